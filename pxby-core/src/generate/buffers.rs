//! The caller-provided working arrays of a [`Generator`](super::Generator).

use crate::vocab::VOCAB_SIZE;

/// The large working arrays of a [`Generator`](super::Generator): the embedding ring (`W × D` floats), the layer
/// buffer (`W × S`), gates and cell state (`5 × S`) and the logits (113).
///
/// They live outside the generator so that they can be placed where the caller wants — a
/// zero-initialised `static` (`.bss`) or a stack frame on a microcontroller, a [`Buffers::boxed`]
/// on the host — and are never moved: a [`Generator`](super::Generator) only borrows them. [`Buffers::new`] is a
/// `const fn` returning all zeros. The contents are scratch: every generator overwrites what it
/// reads, so one `Buffers` can serve many generators, one after another.
///
/// Size: [`Buffers::BYTES`] = `4·(W·D + W·S + 5·S + 113)`; 30,020 bytes for `Buffers<64>`
/// (the paper's best model), 15,556 for `Buffers<32>`.
pub struct Buffers<const W: usize = 64, const D: usize = 81, const S: usize = 32> {
    pub(super) embeds: [[f32; D]; W],
    pub(super) layer: [[f32; S]; W],
    pub(super) work: [[f32; S]; 5],
    pub(super) logits: [f32; VOCAB_SIZE],
}

impl<const W: usize, const D: usize, const S: usize> Buffers<W, D, S> {
    /// Bytes of RAM the buffers take (`size_of::<Self>()`).
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// All-zero buffers (usable in a `static`).
    pub const fn new() -> Self {
        Buffers {
            embeds: [[0.0; D]; W],
            layer: [[0.0; S]; W],
            work: [[0.0; S]; 5],
            logits: [0.0; VOCAB_SIZE],
        }
    }

    /// All-zero buffers on the heap (host convenience for large `W`, `D`, `S`).
    #[cfg(feature = "alloc")]
    pub fn boxed() -> alloc::boxed::Box<Self> {
        alloc::boxed::Box::new(Self::new())
    }
}

impl<const W: usize, const D: usize, const S: usize> Default for Buffers<W, D, S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const W: usize, const D: usize, const S: usize> core::fmt::Debug for Buffers<W, D, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Buffers<{W}, {D}, {S}> ({} bytes)", Self::BYTES)
    }
}
