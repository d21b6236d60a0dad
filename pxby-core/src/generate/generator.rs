//! The streaming [`Generator`]: a window ring of cached embeddings, the model over it for every
//! new token, sampling among the tokens the structured grammar allows.

use crate::context::{Context, ContextCursor};
use crate::error::Error;
use crate::model::Model;
use crate::vocab::{Symbol, VOCAB_SIZE, byte_to_token, decode};

use super::buffers::{Buffers, IntBuffers, IntScratch, Scratch};
use super::grammar::Grammar;
use super::int_sampling::{inv_temperature_q16, sample_int};
use super::sampling::{Pcg32, Sampling, sample};
use super::{ALL_TOKENS, TokenMask};
use crate::fixed::LOGIT_BITS;

/// Row capacity of the generator's context cursor (tokens per `\t`-terminated row, separator
/// included): images up to 63 columns.
pub const ROW_CAP: usize = 64;
/// The context cursor type the generator uses.
pub type Cursor = ContextCursor<ROW_CAP>;

/// Generation options.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Sampling rule.
    pub sampling: Sampling,
    /// PRNG seed (stream [`Options::STREAM`]).
    pub seed: u64,
    /// Structured mode: header `(h, w)`, then exactly `h` rows of `w` colours, then a caption;
    /// generation ends after the caption's `\n`.
    pub structured: bool,
    /// Structured mode: largest image side the header may announce (clamped to 1..=63).
    pub max_side: u8,
    /// Structured mode: smallest image side the header may announce (clamped to 1..=`max_side`).
    pub min_side: u8,
    /// Structured mode: longest caption in bytes before `\n` is forced.
    pub max_caption: u16,
}

impl Options {
    /// PCG32 stream used by the generator.
    pub const STREAM: u64 = 0x5058_4259; // "PXBY"
}

impl Default for Options {
    /// Greedy, seed 0, unstructured, sides 1 to 32, captions up to 256 bytes.
    fn default() -> Self {
        Options {
            sampling: Sampling::Greedy,
            seed: 0,
            structured: false,
            max_side: 32,
            min_side: 1,
            max_caption: 256,
        }
    }
}

/// One generated token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Token id.
    pub token: u8,
    /// Its 3x3 context (SPEC §4).
    pub context: Context,
    /// The decoded byte or colour.
    pub symbol: Symbol,
}

/// A streaming generator over a window of the last `W` tokens (see the [module docs](super)).
///
/// `D` and `S` are the largest `dim` and `d_state` it can run; the defaults fit the paper's best
/// model. Its large arrays are a borrowed [`Buffers`]; the generator itself is a few hundred
/// bytes ([`Generator::STATE_BYTES`]). It is also an [`Iterator`] of [`Step`]s (endless unless
/// structured).
#[derive(Debug)]
pub struct Generator<'m, const W: usize = 64, const D: usize = 81, const S: usize = 32> {
    model: &'m Model<'m>,
    scratch: Scratch<'m, W, D, S>,
    options: Options,
    rng: Pcg32,
    cursor: Cursor,
    structure: Option<Grammar>,
    /// Ring index of the oldest token in the window.
    start: usize,
    /// Tokens in the window (≤ W).
    len: usize,
    /// `1 / temperature` in Q16 for the integer sampler (`None`: greedy).
    inv_temperature: Option<u32>,
}

impl<'m, const W: usize, const D: usize, const S: usize> Generator<'m, W, D, S> {
    /// Bytes of the generator value itself (model and buffer references, cursor, PRNG, grammar
    /// state): `size_of::<Self>()`, without the borrowed [`Buffers`].
    pub const STATE_BYTES: usize = core::mem::size_of::<Self>();

    /// Bytes of RAM one generator needs in all: [`Generator::STATE_BYTES`] plus
    /// [`Buffers::BYTES`] (the model weights stay wherever the file bytes are, e.g. flash).
    pub const RAM_BYTES: usize = Self::STATE_BYTES + Buffers::<W, D, S>::BYTES;

    // `#[inline]` here and on `new`: the generator is a few hundred bytes, and inlined its
    // constructor writes it straight into the caller's frame instead of through a `Result`
    // copy (firmware peak stack, `tests/sizes`).
    #[inline]
    fn empty(
        model: &'m Model<'m>,
        buffers: &'m mut Buffers<W, D, S>,
        options: Options,
        cursor: Cursor,
    ) -> Result<Self, Error> {
        let scratch = if model.int_params().is_some() {
            Scratch::Int(IntScratch::from_float(buffers, model).ok_or(Error::Capacity)?)
        } else {
            Scratch::Float(buffers)
        };
        Self::with_scratch(model, scratch, options, cursor)
    }

    // Inlined into the constructors (and they into the caller) so that the generator is built
    // in the caller's frame, not copied out of a `Result` (firmware peak stack).
    #[inline(always)]
    fn with_scratch(
        model: &'m Model<'m>,
        scratch: Scratch<'m, W, D, S>,
        options: Options,
        cursor: Cursor,
    ) -> Result<Self, Error> {
        if W == 0 || model.dim() > D || model.d_state() > S {
            return Err(Error::Capacity);
        }
        if let Scratch::Int(b) = &scratch
            && (b.ring.len() < W * model.int_proj_len()
                || b.rev.len() < model.int_rev_len(W)
                || b.work.len() < model.int_work_len()
                || b.embed.len() < model.dim())
        {
            return Err(Error::Capacity);
        }
        let temperature = match options.sampling {
            Sampling::Greedy => None,
            Sampling::Temperature(t) | Sampling::TopK { temperature: t, .. } => {
                inv_temperature_q16(t)
            }
        };
        Ok(Generator {
            model,
            scratch,
            options,
            rng: Pcg32::new(options.seed, Options::STREAM),
            cursor,
            structure: options
                .structured
                .then(|| Grammar::new(options.min_side, options.max_side, options.max_caption)),
            start: 0,
            len: 0,
            inv_temperature: temperature,
        })
    }

    /// A generator after a prompt of tokens (may be empty), working in `buffers`. In structured
    /// mode the prompt must follow the layout (e.g. `(25, 22)\n` or a prefix of it), else
    /// [`Error::InvalidPrompt`]. Errors with [`Error::Capacity`] if the model is larger than
    /// `D`/`S` (or `W` is 0).
    #[inline]
    pub fn new(
        model: &'m Model<'m>,
        buffers: &'m mut Buffers<W, D, S>,
        prompt: &[u8],
        options: Options,
    ) -> Result<Self, Error> {
        let mut g = Self::empty(model, buffers, options, Cursor::new())?;
        for &t in prompt {
            g.push(t)?;
        }
        Ok(g)
    }

    /// Like [`Generator::new`] for an integer model ([`crate::quant::WeightType::Int`]) in
    /// its own integer arrays, which take less RAM than [`Buffers`] (the firmware's choice).
    /// Errors: [`Error::Unsupported`] for a model that is not integer, [`Error::Capacity`] if
    /// the arrays are too small for it (`P` below [`Model::int_proj_len`]).
    #[inline(always)]
    pub fn with_int_buffers<const P: usize, const H: usize>(
        model: &'m Model<'m>,
        buffers: &'m mut IntBuffers<W, D, S, P, H>,
        prompt: &[u8],
        options: Options,
    ) -> Result<Self, Error> {
        if model.int_params().is_none() {
            return Err(Error::Unsupported);
        }
        let scratch = Scratch::Int(IntScratch::from_int(buffers));
        let mut g = Self::with_scratch(model, scratch, options, Cursor::new())?;
        for &t in prompt {
            g.push(t)?;
        }
        Ok(g)
    }

    /// Like [`Generator::new`] with a text prompt: each byte must be in the vocabulary
    /// ([`Error::InvalidByte`] otherwise), `\t` and `\n` included.
    pub fn from_text(
        model: &'m Model<'m>,
        buffers: &'m mut Buffers<W, D, S>,
        prompt: &str,
        options: Options,
    ) -> Result<Self, Error> {
        let mut g = Self::empty(model, buffers, options, Cursor::new())?;
        for b in prompt.bytes() {
            g.push(byte_to_token(b).ok_or(Error::InvalidByte(b))?)?;
        }
        Ok(g)
    }

    /// A generator whose window holds the given contexts (the last `W` of them if more), and
    /// whose cursor — which gives the contexts of the tokens generated next — is `cursor`: the
    /// state after the token of the last context. This is how evaluation continues a dataset
    /// window (contexts taken from the item, cursor advanced over the item's tokens up to that
    /// point). Structured mode is not available here ([`Error::Unsupported`]).
    pub fn with_window(
        model: &'m Model<'m>,
        buffers: &'m mut Buffers<W, D, S>,
        contexts: &[Context],
        cursor: Cursor,
        options: Options,
    ) -> Result<Self, Error> {
        if options.structured {
            return Err(Error::Unsupported);
        }
        let mut g = Self::empty(model, buffers, options, cursor)?;
        let skip = contexts.len().saturating_sub(W);
        for ctx in &contexts[skip..] {
            g.append(ctx)?;
        }
        Ok(g)
    }

    /// Embeds `ctx` into the ring (dropping the oldest token when full).
    fn append(&mut self, ctx: &Context) -> Result<(), Error> {
        let slot = (self.start + self.len) % W;
        match &mut self.scratch {
            Scratch::Int(b) => {
                // Embedding and first-layer input projections, once per token.
                let p = self.model.int_proj_len();
                // The work array is free between forward passes: the embedding's scratch.
                match self.model.int_embed_in(ctx, b.embed, b.work) {
                    Err(Error::BufferTooSmall { .. }) => self.model.int_embed(ctx, b.embed)?,
                    r => r?,
                }
                self.model
                    .int_project(b.embed, &mut b.ring[slot * p..(slot + 1) * p])?;
            }
            Scratch::Float(b) => {
                let d = self.model.dim();
                self.model.embed(
                    ctx,
                    &mut b.embeds.as_flattened_mut()[slot * d..(slot + 1) * d],
                )?;
            }
        }
        if self.len < W {
            self.len += 1;
        } else {
            self.start = (self.start + 1) % W;
        }
        Ok(())
    }

    /// Appends a known token (teacher forcing) and returns its context. In structured mode the
    /// token must be allowed at this point ([`Error::InvalidPrompt`]).
    pub fn push(&mut self, token: u8) -> Result<Context, Error> {
        if token as usize >= VOCAB_SIZE {
            return Err(Error::InvalidToken(token));
        }
        if let Some(s) = &mut self.structure {
            s.advance(token)?;
        }
        let ctx = self.cursor.push(token);
        self.append(&ctx)?;
        Ok(ctx)
    }

    /// Computes and returns the next-token logits for the current window (for integer models
    /// the integer logits converted to f32, in the same array).
    pub fn logits(&mut self) -> &[f32; VOCAB_SIZE] {
        self.compute();
        match &mut self.scratch {
            Scratch::Float(b) => &b.logits,
            Scratch::Int(b) => {
                let logits: &mut [i32] = &mut b.logits[..];
                let out: &mut [f32] = bytemuck::cast_slice_mut(logits);
                for l in out.iter_mut() {
                    *l = l.to_bits() as i32 as f32 / (1u32 << LOGIT_BITS) as f32;
                }
                <&[f32; VOCAB_SIZE]>::try_from(&*out).unwrap_or(&[0.0; VOCAB_SIZE])
            }
        }
    }

    /// Runs the model over the window into the logits: f32 logits for float files, `i32`
    /// logits for integer files.
    fn compute(&mut self) {
        let (start, len) = (self.start, self.len);
        match &mut self.scratch {
            Scratch::Int(b) => {
                let p = self.model.int_proj_len();
                let ring: &[i16] = b.ring;
                let row = |t: usize| {
                    let i = (start + t) % W;
                    &ring[i * p..(i + 1) * p]
                };
                self.model.int_forward(row, len, b.rev, b.work, b.logits);
            }
            Scratch::Float(b) => {
                let d = self.model.dim();
                let ring = &b.embeds.as_flattened()[..W * d];
                let row = |t: usize| {
                    let i = (start + t) % W;
                    &ring[i * d..(i + 1) * d]
                };
                self.model.forward_parts(
                    row,
                    len,
                    b.layer.as_flattened_mut(),
                    b.work.as_flattened_mut(),
                    &mut b.logits,
                    &mut (),
                );
            }
        }
    }

    /// The tokens allowed next: all of them, or the structured-mode set (empty when done).
    pub fn allowed(&self) -> TokenMask {
        self.structure.map_or(ALL_TOKENS, |s| s.allowed())
    }

    /// True once a structured generation has produced its caption's final `\n`.
    pub fn is_done(&self) -> bool {
        self.allowed() == 0
    }

    /// Generates one token: logits over the window, sampling among the allowed tokens, then
    /// the token is appended. `None` only when a structured generation is complete.
    pub fn step(&mut self) -> Option<Step> {
        let allowed = self.allowed();
        if allowed == 0 {
            return None;
        }
        self.compute();
        let token = match &self.scratch {
            Scratch::Int(b) => sample_int(
                b.logits,
                allowed,
                self.options.sampling,
                self.inv_temperature,
                &mut self.rng,
            ),
            Scratch::Float(b) => sample(&b.logits, allowed, self.options.sampling, &mut self.rng),
        };
        let context = self.push(token).ok()?;
        Some(Step {
            token,
            context,
            symbol: decode(token)?,
        })
    }

    /// The context cursor (row, column, previous row length of the next token).
    pub fn cursor(&self) -> &Cursor {
        &self.cursor
    }

    /// Tokens currently in the window.
    pub fn window_len(&self) -> usize {
        self.len
    }

    /// The options in use.
    pub fn options(&self) -> &Options {
        &self.options
    }
}

impl<const W: usize, const D: usize, const S: usize> Iterator for Generator<'_, W, D, S> {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        self.step()
    }
}
