//! The caller-provided working arrays of a [`Generator`](super::Generator).

use crate::vocab::VOCAB_SIZE;

/// The large working arrays of a [`Generator`](super::Generator), in one of two layouts chosen
/// by the model's weight type (an enum, so the RAM is that of the larger layout, not the sum):
/// - f32 and int8-weight files: the embedding ring (`W × D` floats), the layer buffer
///   (`W × S`), gates and cell state (`5 × S`);
/// - integer files: the ring of first-layer input projections (`W × 4S` `i16`: both
///   directions' four gates, computed once per token), the layer buffer (`W × S` `i16`), cell
///   state and one hidden row (`2 × S`), one embedding (`D`) and the `i32` logits;
///
/// plus the f32 logits (113).
///
/// They live outside the generator so that they can be placed where the caller wants — a
/// zero-initialised `static` (`.bss`) or a stack frame on a microcontroller, a [`Buffers::boxed`]
/// on the host — and are never moved: a [`Generator`](super::Generator) only borrows them. [`Buffers::new`] is a
/// `const fn` returning all zeros in the f32 layout; a generator for an integer model switches
/// it once. The contents are scratch: every generator overwrites what it reads, so one
/// `Buffers` can serve many generators, one after another.
///
/// Size: [`Buffers::BYTES`], `4·(W·D + W·S + 5·S + 113)` plus the layout tag when the f32
/// layout is the larger (30,024 bytes for `Buffers<64>`, the paper's best model; 15,560 for
/// `Buffers<32>`).
pub struct Buffers<const W: usize = 64, const D: usize = 81, const S: usize = 32> {
    pub(super) store: Store<W, D, S>,
    pub(super) logits: [f32; VOCAB_SIZE],
}

/// The two layouts of [`Buffers`]. Boxing the smaller one would defeat the point (no heap, and
/// the RAM is the larger of the two either way).
#[allow(clippy::large_enum_variant)]
pub(super) enum Store<const W: usize, const D: usize, const S: usize> {
    /// f32 path.
    Float {
        embeds: [[f32; D]; W],
        layer: [[f32; S]; W],
        work: [[f32; S]; 5],
    },
    /// Integer path.
    Int {
        proj: [[[i16; S]; 4]; W],
        layer: [[i16; S]; W],
        work: [[i16; S]; 2],
        x: [i16; D],
        logits: [i32; VOCAB_SIZE],
    },
}

impl<const W: usize, const D: usize, const S: usize> Store<W, D, S> {
    pub(super) const FLOAT: Self = Store::Float {
        embeds: [[0.0; D]; W],
        layer: [[0.0; S]; W],
        work: [[0.0; S]; 5],
    };

    pub(super) const INT: Self = Store::Int {
        proj: [[[0; S]; 4]; W],
        layer: [[0; S]; W],
        work: [[0; S]; 2],
        x: [0; D],
        logits: [0; VOCAB_SIZE],
    };
}

impl<const W: usize, const D: usize, const S: usize> Buffers<W, D, S> {
    /// Bytes of one `Buffers` value.
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// All zeros (f32 layout), usable in a `static`.
    pub const fn new() -> Self {
        Buffers {
            store: Store::FLOAT,
            logits: [0.0; VOCAB_SIZE],
        }
    }

    /// Switches to the integer (`int = true`) or f32 layout, zeroed, unless already there.
    pub(super) fn set_layout(&mut self, int: bool) {
        match (&self.store, int) {
            (Store::Int { .. }, true) | (Store::Float { .. }, false) => {}
            (_, true) => self.store = Store::INT,
            (_, false) => self.store = Store::FLOAT,
        }
    }

    /// Heap-allocated (feature `alloc`).
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
