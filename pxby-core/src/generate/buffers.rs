//! The caller-provided working arrays of a [`Generator`](super::Generator).

use crate::integer::WORK_PER_STATE;
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

/// The working arrays of a [`Generator`](super::Generator) for an integer model
/// ([`crate::quant::WeightType::Int`]), all integer and sized for it alone — about two thirds of
/// [`Buffers`] for the paper's best model: the projection ring (`W × P` `i16`, `P` the
/// model's [`Model::int_proj_len`](crate::Model::int_proj_len), 128 for the paper's model),
/// the layer buffer (`W × S` `i16`), the work values of the LSTM step
/// ([`crate::integer::WORK_PER_STATE`]` × S`), one embedding (`D` `i16`) and the `i32`
/// logits. Use it with [`Generator::with_int_buffers`](super::Generator::with_int_buffers).
///
/// Size: [`IntBuffers::BYTES`]; 21,480 bytes for `IntBuffers<64>`, 11,240 for
/// `IntBuffers<32>`.
pub struct IntBuffers<
    const W: usize = 64,
    const D: usize = 81,
    const S: usize = 32,
    const P: usize = 128,
> {
    pub(super) ring: [[i16; P]; W],
    pub(super) layer: [[i16; S]; W],
    pub(super) work: [[i16; S]; WORK_PER_STATE],
    pub(super) embed: [i16; D],
    pub(super) logits: [i32; VOCAB_SIZE],
}

impl<const W: usize, const D: usize, const S: usize, const P: usize> IntBuffers<W, D, S, P> {
    /// Bytes of RAM the buffers take (`size_of::<Self>()`).
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// All-zero buffers (usable in a `static`).
    pub const fn new() -> Self {
        IntBuffers {
            ring: [[0; P]; W],
            layer: [[0; S]; W],
            work: [[0; S]; WORK_PER_STATE],
            embed: [0; D],
            logits: [0; VOCAB_SIZE],
        }
    }

    /// All-zero buffers on the heap.
    #[cfg(feature = "alloc")]
    pub fn boxed() -> alloc::boxed::Box<Self> {
        alloc::boxed::Box::new(Self::new())
    }
}

impl<const W: usize, const D: usize, const S: usize, const P: usize> Default
    for IntBuffers<W, D, S, P>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<const W: usize, const D: usize, const S: usize, const P: usize> core::fmt::Debug
    for IntBuffers<W, D, S, P>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "IntBuffers<{W}, {D}, {S}, {P}> ({} bytes)", Self::BYTES)
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
    pub(super) layer: &'m mut [i16],
    pub(super) work: &'m mut [i16],
    pub(super) embed: &'m mut [i16],
    pub(super) logits: &'m mut [i32; VOCAB_SIZE],
}

impl<'m> IntScratch<'m> {
    /// Views of an [`IntBuffers`].
    pub(super) fn from_int<const W: usize, const D: usize, const S: usize, const P: usize>(
        b: &'m mut IntBuffers<W, D, S, P>,
    ) -> Self {
        IntScratch {
            ring: b.ring.as_flattened_mut(),
            layer: b.layer.as_flattened_mut(),
            work: b.work.as_flattened_mut(),
            embed: &mut b.embed,
            logits: &mut b.logits,
        }
    }

    /// The integer layout inside the f32 arrays of a [`Buffers`] (as `i16`): the projection
    /// ring in the embedding ring (`2·D` values per token), the layer buffer and then one
    /// embedding in the layer array, the work values in the work array, `i32` logits.
    pub(super) fn from_float<const W: usize, const D: usize, const S: usize>(
        b: &'m mut Buffers<W, D, S>,
        dim: usize,
    ) -> Option<Self> {
        let ring: &mut [i16] = bytemuck::cast_slice_mut(b.embeds.as_flattened_mut());
        let layer: &mut [i16] = bytemuck::cast_slice_mut(b.layer.as_flattened_mut());
        let (layer, rest) = layer.split_at_mut_checked(W * S)?;
        let embed = rest.get_mut(..dim)?;
        let work: &mut [i16] = bytemuck::cast_slice_mut(b.work.as_flattened_mut());
        let logits: &mut [i32] = bytemuck::cast_slice_mut(&mut b.logits[..]);
        Some(IntScratch {
            ring,
            layer,
            work,
            embed,
            logits: <&mut [i32; VOCAB_SIZE]>::try_from(logits).ok()?,
        })
    }
}
