//! The loaded [`Model`] and its forward pass (SPEC §6), shared by f32 and int8 weights.
//!
//! - [`Model::from_bytes`]: a model file ([`crate::format::ModelFile`]) as a runnable model.
//! - [`Model::embed`]: PxByEmbed of one 3x3 context (conv / noconv / center ablations).
//! - [`Model::logits`] / [`Model::logits_ring`]: LSTM stack over a window of cached embeddings
//!   and the head on the last time step.
//! - [`Model::logits_for`]: both, for a window of contexts.
//!
//! No heap: the caller provides the scratch ([`Model::scratch_len`] floats: one `L × d_state`
//! layer buffer reused in place by every layer, plus gates and cell state).
//!
//! ```
//! # use pxby_core::{config::ModelConfig, format::{write_model, Metadata}, quant::WeightType, Model};
//! # let cfg = ModelConfig { dim: 18, d_state: 8, ..ModelConfig::PAPER_BEST };
//! # let owned: Vec<(&str, Vec<f32>)> = cfg.tensors()
//! #     .map(|t| (t.name, (0..t.len()).map(|i| ((i * 7919 % 97) as f32 - 48.0) / 200.0).collect()))
//! #     .collect();
//! # let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
//! # let bytes = write_model(&cfg, &Metadata::default(), WeightType::F32, &list).unwrap();
//! let model = Model::from_bytes(&bytes)?;
//! let contexts = pxby_core::context::contexts(b"\x20\x21\x22\x02").collect::<Vec<_>>();
//! let mut scratch = vec![0.0; model.scratch_len_for(contexts.len())];
//! let mut logits = [0.0; pxby_core::vocab::VOCAB_SIZE];
//! model.logits_for(&contexts, &mut scratch, &mut logits)?;
//! let next = pxby_core::math::argmax(&logits);
//! # assert!(next < 113);
//! # Ok::<(), pxby_core::Error>(())
//! ```

use crate::config::{Direction, Embed, LstmPart, ModelConfig, Slot};
use crate::context::Context;
use crate::error::Error;
use crate::format::{Metadata, ModelFile};
use crate::intparams::IntParams;
use crate::math::{inv_sqrt, sigmoid, tanh};
use crate::quant::{Tensor, WeightType};
use crate::vocab::VOCAB_SIZE;
use crate::weights::{LstmWeights, Weights};

/// LayerNorm epsilon of PxByEmbed.
pub const LAYER_NORM_EPS: f32 = 1e-5;

/// A loaded model: configuration, metadata and zero-copy views of the weights inside the file
/// bytes. Load it with [`Model::from_bytes`] (the file layout is in [`crate::format`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Model<'a> {
    config: ModelConfig,
    weight_type: WeightType,
    meta: Metadata<'a>,
    file_size: usize,
    crc: u32,
    pub(crate) weights: Weights<'a>,
    pub(crate) int: Option<IntParams<'a>>,
    /// Widened matrices attached by [`Model::attach_wide`] (none after loading).
    pub(crate) wide: crate::wide::WideMatrices<'a>,
}

/// One LSTM step: `gates = (W_ih x + b_ih) + (W_hh h + b_hh)` (the `W_hh` product is skipped
/// for the zero initial state), then PyTorch's i, f, g, o update of `c` (in place). Writes the
/// new hidden state into `gates[..H]` and returns nothing else.
/// Where the f32 forward pass can report intermediate values ([`Observe`]): the activation
/// boundaries that an integer file gives a static scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boundary {
    /// PxByEmbed: the embedding rows of the 9 context tokens, the convolution's output and the
    /// mix (one scale for all three).
    Mix,
    /// The projection's output (LayerNorm's input).
    Proj,
    /// The embedding front's output (the first LSTM's input).
    Embed,
    /// The gate pre-activations of one LSTM.
    Gates(u8, Direction),
    /// The cell state of one LSTM.
    Cell(u8, Direction),
}

/// A receiver of intermediate values of the f32 forward pass (calibration). `()` ignores
/// everything and compiles away.
pub trait Observe {
    /// Called with the values crossing `at` (in no particular grouping).
    fn observe(&mut self, at: Boundary, values: &[f32]);
}

impl Observe for () {
    #[inline(always)]
    fn observe(&mut self, _: Boundary, _: &[f32]) {}
}

#[inline]
fn lstm_gates(
    l: &LstmWeights<'_>,
    x: &[f32],
    h: Option<&[f32]>,
    c: &mut [f32],
    gates: &mut [f32],
    obs: &mut impl Observe,
    id: (u8, Direction),
) {
    let (w_ih, w_hh) = (l.get(LstmPart::WeightIh), l.get(LstmPart::WeightHh));
    let (b_ih, b_hh) = (l.get(LstmPart::BiasIh), l.get(LstmPart::BiasHh));
    let n = w_ih.rows();
    let hid = n / 4;
    for (r, g) in gates.iter_mut().enumerate().take(n) {
        let gi = w_ih.dot_row(r, x) + b_ih.at(r);
        let hh = match h {
            Some(h) => w_hh.dot_row(r, h),
            None => 0.0,
        };
        *g = gi + (hh + b_hh.at(r));
    }
    obs.observe(Boundary::Gates(id.0, id.1), &gates[..n]);
    for j in 0..hid {
        let i = sigmoid(gates[j]);
        let f = sigmoid(gates[hid + j]);
        let g = tanh(gates[2 * hid + j]);
        let o = sigmoid(gates[3 * hid + j]);
        let cj = f * c[j] + i * g;
        c[j] = cj;
        gates[j] = o * tanh(cj);
    }
    obs.observe(Boundary::Cell(id.0, id.1), &c[..hid]);
}

impl<'a> Model<'a> {
    /// Loads a model file zero-copy ([`ModelFile::parse`]: see [`crate::format`] for the layout
    /// and the checks). Never panics and never allocates, whatever the bytes.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Model<'a>, Error> {
        let file = ModelFile::parse(bytes)?;
        Ok(Model {
            config: file.config,
            weight_type: file.weight_type,
            meta: file.meta,
            file_size: file.file_size,
            crc: file.crc,
            weights: file.weights,
            int: file.int,
            wide: Default::default(),
        })
    }

    /// The model configuration.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// `Int` for an integer file, `I8` when the matrices are stored quantised, else `F32`.
    pub fn weights(&self) -> WeightType {
        self.weight_type
    }

    /// The integer-inference parameters ([`WeightType::Int`] files only).
    pub fn int_params(&self) -> Option<&IntParams<'a>> {
        self.int.as_ref()
    }

    /// Errors with [`Error::Unsupported`] for integer files, which the f32 path cannot run
    /// (their numbers are requantisation units, not weights): use [`crate::integer`].
    fn float_only(&self) -> Result<(), Error> {
        if self.int.is_some() {
            Err(Error::Unsupported)
        } else {
            Ok(())
        }
    }

    /// Training metadata stored in the file.
    pub fn metadata(&self) -> &Metadata<'a> {
        &self.meta
    }

    /// Number of parameters.
    pub fn param_count(&self) -> usize {
        self.config.param_count()
    }

    /// Size of the file in bytes.
    pub fn file_size(&self) -> usize {
        self.file_size
    }

    /// CRC-32 (ISO-HDLC) stored at the end of the file.
    pub fn crc(&self) -> u32 {
        self.crc
    }

    /// Embedding width D (the length of one [`Model::embed`] output).
    pub fn dim(&self) -> usize {
        self.config.dim as usize
    }

    /// LSTM state width (`d_state`).
    pub fn d_state(&self) -> usize {
        self.config.d_state as usize
    }

    /// Scratch floats [`Model::logits`] needs for a window of `window` embeddings:
    /// `(window + 5) · d_state`.
    pub fn scratch_len(&self, window: usize) -> usize {
        (window + 5) * self.d_state()
    }

    /// Scratch floats [`Model::logits_for`] needs for `window` contexts:
    /// `window · dim + scratch_len(window)`.
    pub fn scratch_len_for(&self, window: usize) -> usize {
        window * self.dim() + self.scratch_len(window)
    }

    /// A view of the tensor with this canonical name ([`ModelConfig::tensors`]), values
    /// dequantised by [`Tensor::get`]. `None` if the configuration has no such tensor.
    pub fn tensor(&self, name: &str) -> Option<Tensor<'a>> {
        let spec = self.config.tensors().find(|spec| spec.name == name)?;
        Some(*self.weights.get(spec.slot))
    }

    /// The views of every tensor, by [`Slot`].
    pub fn tensors(&self) -> &Weights<'a> {
        &self.weights
    }

    /// The dequantised values of a tensor, row-major (host tools, tests).
    #[cfg(feature = "alloc")]
    pub fn tensor_f32(&self, name: &str) -> Option<alloc::vec::Vec<f32>> {
        let t = self.tensor(name)?;
        Some((0..t.len()).map(|i| t.at(i)).collect())
    }

    /// PxByEmbed of one context into `out[..dim]` (SPEC §6). Errors if `out` is shorter than
    /// `dim` or a context cell is not a token.
    pub fn embed(&self, ctx: &Context, out: &mut [f32]) -> Result<(), Error> {
        self.embed_observed(ctx, out, &mut ())
    }

    /// [`Model::embed`], reporting the values at each [`Boundary`] of the embedding front to
    /// `obs` (calibration).
    pub fn embed_observed(
        &self,
        ctx: &Context,
        out: &mut [f32],
        obs: &mut impl Observe,
    ) -> Result<(), Error> {
        self.float_only()?;
        let d = self.dim();
        at_least(d, out.len())?;
        if let Some(&t) = ctx.iter().find(|&&t| t as usize >= VOCAB_SIZE) {
            return Err(Error::InvalidToken(t));
        }
        let out = &mut out[..d];
        let w = &self.weights;
        let embedding = w.get(Slot::Embedding);
        if self.config.embed == Embed::Center {
            let tok = ctx[crate::context::CENTRE] as usize;
            for (j, o) in out.iter_mut().enumerate() {
                *o = embedding.get(tok, j);
            }
            obs.observe(Boundary::Embed, out);
            return Ok(());
        }
        let e = self.config.embed_inner();
        let conv = self.config.embed == Embed::PxBy;
        let (alpha, conv_w, conv_b) = (
            w.get(Slot::Alpha),
            w.get(Slot::ConvWeight),
            w.get(Slot::ConvBias),
        );
        let (proj_w, proj_b) = (w.get(Slot::ProjWeight), w.get(Slot::ProjBias));
        let (norm_w, norm_b) = (w.get(Slot::NormWeight), w.get(Slot::NormBias));
        let mut a = [0.0f32; 9];
        for (p, a) in a.iter_mut().enumerate() {
            *a = sigmoid(alpha.at(p));
        }
        // x[ch, p] = embedding[ctx[p]][ch], laid out (E, 3, 3).
        let x = |ch: usize, p: usize| embedding.get(ctx[p] as usize, ch);
        out.fill(0.0);
        for ch in 0..e {
            for (p, &ap) in a.iter().enumerate() {
                let m = if conv {
                    let mut s = 0.0f32;
                    for ci in 0..e {
                        for (k, q) in conv_taps(p) {
                            s += conv_w.raw(ch, ci * 9 + k) * x(ci, q);
                        }
                    }
                    let cv = s * conv_w.scale(ch) + conv_b.at(ch);
                    let m = ap * x(ch, p) + (1.0 - ap) * cv;
                    obs.observe(Boundary::Mix, &[x(ch, p), cv, m]);
                    m
                } else {
                    let m = ap * x(ch, p);
                    obs.observe(Boundary::Mix, &[x(ch, p), m]);
                    m
                };
                proj_w.axpy_col(ch * 9 + p, m, out);
            }
        }
        proj_w.scale_rows(out);
        for (j, o) in out.iter_mut().enumerate() {
            *o += proj_b.at(j);
        }
        obs.observe(Boundary::Proj, out);
        // LayerNorm over D, biased variance.
        let df = d as f32;
        let mut mean = 0.0f32;
        for &o in out.iter() {
            mean += o;
        }
        mean /= df;
        let mut var = 0.0f32;
        for &o in out.iter() {
            let c = o - mean;
            var += c * c;
        }
        var /= df;
        let inv = inv_sqrt(var + LAYER_NORM_EPS);
        for (j, o) in out.iter_mut().enumerate() {
            *o = (*o - mean) * inv * norm_w.at(j) + norm_b.at(j);
        }
        obs.observe(Boundary::Embed, out);
        Ok(())
    }

    /// Next-token logits for a window of embeddings (`embeds.len() = L · dim`, time order,
    /// oldest first). `scratch` needs [`Model::scratch_len`]`(L)` floats. An empty window gives
    /// the head applied to a zero state (the head bias).
    pub fn logits(
        &self,
        embeds: &[f32],
        scratch: &mut [f32],
        logits: &mut [f32; VOCAB_SIZE],
    ) -> Result<(), Error> {
        let d = self.dim();
        if !embeds.len().is_multiple_of(d) {
            return Err(Error::BufferTooSmall {
                needed: (embeds.len() / d + 1) * d,
                got: embeds.len(),
            });
        }
        self.logits_ring(embeds, 0, embeds.len() / d, scratch, logits)
    }

    /// Like [`Model::logits`] over a ring buffer of embeddings: `ring` holds `ring.len() / dim`
    /// rows, the window is the `len` rows starting at row `start`, wrapping around.
    pub fn logits_ring(
        &self,
        ring: &[f32],
        start: usize,
        len: usize,
        scratch: &mut [f32],
        logits: &mut [f32; VOCAB_SIZE],
    ) -> Result<(), Error> {
        self.float_only()?;
        let d = self.dim();
        let cap = ring.len() / d;
        at_least(len * d, ring.len())?;
        let need = self.scratch_len(len);
        at_least(need, scratch.len())?;
        let row = |t: usize| {
            let i = (start + t) % cap;
            &ring[i * d..(i + 1) * d]
        };
        self.forward(row, len, &mut scratch[..need], logits);
        Ok(())
    }

    /// Embeds `contexts` and returns the next-token logits after them. `scratch` needs
    /// [`Model::scratch_len_for`]`(contexts.len())` floats.
    pub fn logits_for(
        &self,
        contexts: &[Context],
        scratch: &mut [f32],
        logits: &mut [f32; VOCAB_SIZE],
    ) -> Result<(), Error> {
        let (l, d) = (contexts.len(), self.dim());
        let need = self.scratch_len_for(l);
        at_least(need, scratch.len())?;
        let (embeds, rest) = scratch.split_at_mut(l * d);
        for (ctx, out) in contexts.iter().zip(embeds.chunks_exact_mut(d)) {
            self.embed(ctx, out)?;
        }
        self.logits(embeds, rest, logits)
    }

    /// The LSTM stack and head. `scratch` is exactly `scratch_len(len)`.
    /// [`Model::logits_for`] on the f32 path, reporting every [`Boundary`] to `obs`
    /// (calibration of integer files).
    pub fn logits_observed(
        &self,
        contexts: &[Context],
        scratch: &mut [f32],
        logits: &mut [f32; VOCAB_SIZE],
        obs: &mut impl Observe,
    ) -> Result<(), Error> {
        let (l, d) = (contexts.len(), self.dim());
        let need = self.scratch_len_for(l);
        at_least(need, scratch.len())?;
        let (embeds, rest) = scratch.split_at_mut(l * d);
        for (ctx, out) in contexts.iter().zip(embeds.chunks_exact_mut(d)) {
            self.embed_observed(ctx, out, obs)?;
        }
        let (buf, work) = rest.split_at_mut(l * self.d_state());
        let row = |t: usize| &embeds[t * d..(t + 1) * d];
        self.forward_parts(row, l, buf, work, logits, obs);
        Ok(())
    }

    fn forward<'r>(
        &self,
        row: impl Fn(usize) -> &'r [f32],
        len: usize,
        scratch: &mut [f32],
        logits: &mut [f32; VOCAB_SIZE],
    ) {
        let (buf, work) = scratch.split_at_mut(len * self.d_state());
        self.forward_parts(row, len, buf, work, logits, &mut ());
    }

    /// The LSTM stack and head with the layer buffer (`≥ len · d_state`) and the work area
    /// (`≥ 5 · d_state`: gates and cell state) given separately. Callers check the sizes.
    pub(crate) fn forward_parts<'r>(
        &self,
        row: impl Fn(usize) -> &'r [f32],
        len: usize,
        buf: &mut [f32],
        work: &mut [f32],
        logits: &mut [f32; VOCAB_SIZE],
        obs: &mut impl Observe,
    ) {
        let s = self.d_state();
        let buf = &mut buf[..len * s];
        let (gates, rest) = work.split_at_mut(4 * s);
        let c = &mut rest[..s];
        let w = &self.weights;
        // First layer, forward direction, into buf[t][..H].
        let h0 = self.config.first_hidden();
        c.fill(0.0);
        for t in 0..len {
            let prev = if t == 0 {
                None
            } else {
                Some(&buf[(t - 1) * s..(t - 1) * s + h0])
            };
            lstm_gates(
                w.lstm(0, Direction::Forward),
                row(t),
                prev,
                c,
                gates,
                obs,
                (0, Direction::Forward),
            );
            buf[t * s..t * s + h0].copy_from_slice(&gates[..h0]);
        }
        // Reverse direction, t = L-1..0, into buf[t][H..2H].
        if self.config.bidirectional {
            c.fill(0.0);
            for t in (0..len).rev() {
                let prev = if t + 1 == len {
                    None
                } else {
                    Some(&buf[(t + 1) * s + h0..(t + 1) * s + 2 * h0])
                };
                lstm_gates(
                    w.lstm(0, Direction::Reverse),
                    row(t),
                    prev,
                    c,
                    gates,
                    obs,
                    (0, Direction::Reverse),
                );
                buf[t * s + h0..t * s + 2 * h0].copy_from_slice(&gates[..h0]);
            }
        }
        // Layers 1..depth, in place: step t reads row t (input) and row t-1 (state), then
        // overwrites row t.
        for k in 1..self.config.depth as usize {
            let layer = w.lstm(k, Direction::Forward);
            c.fill(0.0);
            for t in 0..len {
                let prev = if t == 0 {
                    None
                } else {
                    Some(&buf[(t - 1) * s..t * s])
                };
                lstm_gates(
                    layer,
                    &buf[t * s..(t + 1) * s],
                    prev,
                    c,
                    gates,
                    obs,
                    (k as u8, Direction::Forward),
                );
                buf[t * s..(t + 1) * s].copy_from_slice(&gates[..s]);
            }
        }
        let last: &[f32] = if len == 0 {
            gates[..s].fill(0.0);
            &gates[..s]
        } else {
            &buf[(len - 1) * s..len * s]
        };
        let (head_w, head_b) = (w.get(Slot::HeadWeight), w.get(Slot::HeadBias));
        for (v, l) in logits.iter_mut().enumerate() {
            *l = head_w.dot_row(v, last) + head_b.at(v);
        }
    }
}

/// `Err(BufferTooSmall)` unless a buffer of `got` elements holds the `needed` ones.
fn at_least(needed: usize, got: usize) -> Result<(), Error> {
    if got < needed {
        Err(Error::BufferTooSmall { needed, got })
    } else {
        Ok(())
    }
}

/// The taps of PxByEmbed's 3x3 convolution ("same" padding over the 3x3 context) that land
/// inside the context for output cell `p` (row-major, 0..9): `(kernel index, input cell)`, in
/// kernel order (the one summation order of the f32 and integer paths).
pub(crate) fn conv_taps(p: usize) -> impl Iterator<Item = (usize, usize)> {
    let (pr, pc) = (p / 3, p % 3);
    (0..3).flat_map(move |kr| {
        (0..3).filter_map(move |kc| {
            let (r, c) = (pr + kr, pc + kc);
            ((1..=3).contains(&r) && (1..=3).contains(&c))
                .then(|| (kr * 3 + kc, (r - 1) * 3 + (c - 1)))
        })
    })
}
