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

/// Rows of `S` values in [`IntBuffers`]' work array: the gates (4), the next layer's input
/// (1), and the cell and hidden state of up to three forward layers (6) — integer models of
/// depth ≤ 3 ([`crate::Error::Capacity`] otherwise; the paper's model has depth 2).
pub const INT_WORK_ROWS: usize = 11;

/// The working arrays of a [`Generator`](super::Generator) for an integer model
/// ([`crate::quant::WeightType::Int`]), all integer and sized for it alone — 60 % of
/// [`Buffers`] for the paper's best model: the projection ring (`W × P` `i16`, `P` the
/// model's [`Model::int_proj_len`](crate::Model::int_proj_len), 128 for the paper's model),
/// the first layer's reverse outputs (`W × H`, `H` its hidden size, 16), the LSTM work values
/// ([`INT_WORK_ROWS`]` × S`), one embedding (`D` `i16`) and the `i32` logits. Use it with
/// [`Generator::with_int_buffers`](super::Generator::with_int_buffers).
///
/// Size: [`IntBuffers::BYTES`]; 19,752 bytes for `IntBuffers<64>`, 10,536 for
/// `IntBuffers<32>`.
#[repr(C)] // the `i32` logits first, so that every `i16` array is word-aligned (M0 kernel)
pub struct IntBuffers<
    const W: usize = 64,
    const D: usize = 81,
    const S: usize = 32,
    const P: usize = 128,
    const H: usize = 16,
> {
    pub(super) logits: [i32; VOCAB_SIZE],
    pub(super) ring: [[i16; P]; W],
    pub(super) rev: [[i16; H]; W],
    pub(super) work: [[i16; S]; INT_WORK_ROWS],
    pub(super) embed: [i16; D],
}

impl<const W: usize, const D: usize, const S: usize, const P: usize, const H: usize>
    IntBuffers<W, D, S, P, H>
{
    /// Bytes of RAM the buffers take (`size_of::<Self>()`).
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// All-zero buffers (usable in a `static`).
    pub const fn new() -> Self {
        IntBuffers {
            logits: [0; VOCAB_SIZE],
            ring: [[0; P]; W],
            rev: [[0; H]; W],
            work: [[0; S]; INT_WORK_ROWS],
            embed: [0; D],
        }
    }

    /// All-zero buffers on the heap.
    #[cfg(feature = "alloc")]
    pub fn boxed() -> alloc::boxed::Box<Self> {
        alloc::boxed::Box::new(Self::new())
    }
}

impl<const W: usize, const D: usize, const S: usize, const P: usize, const H: usize> Default
    for IntBuffers<W, D, S, P, H>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<const W: usize, const D: usize, const S: usize, const P: usize, const H: usize>
    core::fmt::Debug for IntBuffers<W, D, S, P, H>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "IntBuffers<{W}, {D}, {S}, {P}, {H}> ({} bytes)",
            Self::BYTES
        )
    }
}

/// The arrays a generator works in: an f32 model's [`Buffers`], or an integer model's arrays
/// (from [`IntBuffers`], or carved out of a [`Buffers`] as `i16` / `i32`).
#[derive(Debug)]
pub(super) enum Scratch<'m, const W: usize, const D: usize, const S: usize> {
    Float(&'m mut Buffers<W, D, S>),
    Int(IntScratch<'m>),
}

/// An integer model's arrays (see [`IntBuffers`]).
#[derive(Debug)]
pub(super) struct IntScratch<'m> {
    pub(super) ring: &'m mut [i16],
    pub(super) rev: &'m mut [i16],
    pub(super) work: &'m mut [i16],
    pub(super) embed: &'m mut [i16],
    pub(super) logits: &'m mut [i32; VOCAB_SIZE],
}

impl<'m> IntScratch<'m> {
    /// Views of an [`IntBuffers`].
    pub(super) fn from_int<
        const W: usize,
        const D: usize,
        const S: usize,
        const P: usize,
        const H: usize,
    >(
        b: &'m mut IntBuffers<W, D, S, P, H>,
    ) -> Self {
        IntScratch {
            ring: b.ring.as_flattened_mut(),
            rev: b.rev.as_flattened_mut(),
            work: b.work.as_flattened_mut(),
            embed: &mut b.embed,
            logits: &mut b.logits,
        }
    }

    /// The integer layout inside the f32 arrays of a [`Buffers`] (as `i16`): the projection
    /// ring in the embedding ring (`2·D` values per token), the reverse outputs, the LSTM work
    /// values and one embedding in the layer array (`2·W·S` values), `i32` logits. `None` if
    /// they do not fit.
    pub(super) fn from_float<const W: usize, const D: usize, const S: usize>(
        b: &'m mut Buffers<W, D, S>,
        model: &crate::Model<'_>,
    ) -> Option<Self> {
        let ring: &mut [i16] = bytemuck::cast_slice_mut(b.embeds.as_flattened_mut());
        let layer: &mut [i16] = bytemuck::cast_slice_mut(b.layer.as_flattened_mut());
        let (rev, rest) = layer.split_at_mut_checked(model.int_rev_len(W))?;
        let (work, rest) = rest.split_at_mut_checked(model.int_work_len())?;
        let embed = rest.get_mut(..model.dim())?;
        let logits: &mut [i32] = bytemuck::cast_slice_mut(&mut b.logits[..]);
        Some(IntScratch {
            ring,
            rev,
            work,
            embed,
            logits: <&mut [i32; VOCAB_SIZE]>::try_from(logits).ok()?,
        })
    }
}
