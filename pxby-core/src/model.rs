//! The forward pass of the RNN family (SPEC §6), shared by f32 and int8 weights.
//!
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

use crate::config::{Embed, MAX_DEPTH, ModelConfig};
use crate::context::Context;
use crate::error::Error;
use crate::format::Metadata;
use crate::math::{inv_sqrt, sigmoid, tanh};
use crate::quant::{Tensor, WeightType};
use crate::vocab::VOCAB_SIZE;

/// LayerNorm epsilon of PxByEmbed.
pub const LAYER_NORM_EPS: f32 = 1e-5;

/// One LSTM direction: PyTorch's `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Lstm<'a> {
    pub(crate) w_ih: Tensor<'a>,
    pub(crate) w_hh: Tensor<'a>,
    pub(crate) b_ih: Tensor<'a>,
    pub(crate) b_hh: Tensor<'a>,
}

impl Lstm<'_> {
    pub(crate) const EMPTY: Lstm<'static> = Lstm {
        w_ih: Tensor::EMPTY,
        w_hh: Tensor::EMPTY,
        b_ih: Tensor::EMPTY,
        b_hh: Tensor::EMPTY,
    };
}

/// Views of every tensor the forward pass uses (absent parts are empty).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Net<'a> {
    pub(crate) alpha: Tensor<'a>,
    pub(crate) embedding: Tensor<'a>,
    pub(crate) conv_w: Tensor<'a>,
    pub(crate) conv_b: Tensor<'a>,
    pub(crate) proj_w: Tensor<'a>,
    pub(crate) proj_b: Tensor<'a>,
    pub(crate) norm_w: Tensor<'a>,
    pub(crate) norm_b: Tensor<'a>,
    pub(crate) lstm: [Lstm<'a>; MAX_DEPTH],
    pub(crate) reverse: Lstm<'a>,
    pub(crate) head_w: Tensor<'a>,
    pub(crate) head_b: Tensor<'a>,
}

impl Net<'_> {
    pub(crate) const EMPTY: Net<'static> = Net {
        alpha: Tensor::EMPTY,
        embedding: Tensor::EMPTY,
        conv_w: Tensor::EMPTY,
        conv_b: Tensor::EMPTY,
        proj_w: Tensor::EMPTY,
        proj_b: Tensor::EMPTY,
        norm_w: Tensor::EMPTY,
        norm_b: Tensor::EMPTY,
        lstm: [Lstm::EMPTY; MAX_DEPTH],
        reverse: Lstm::EMPTY,
        head_w: Tensor::EMPTY,
        head_b: Tensor::EMPTY,
    };
}

/// A loaded model: configuration, metadata and zero-copy views of the weights inside the file
/// bytes. Load it with [`Model::from_bytes`] (see [`crate::format`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Model<'a> {
    pub(crate) config: ModelConfig,
    pub(crate) weights: WeightType,
    pub(crate) dtypes: heapless::Vec<WeightType, { crate::config::MAX_TENSORS }>,
    pub(crate) meta: Metadata<'a>,
    pub(crate) payload: &'a [u8],
    pub(crate) file_size: usize,
    pub(crate) crc: u32,
    pub(crate) net: Net<'a>,
}

/// One LSTM step: `gates = (W_ih x + b_ih) + (W_hh h + b_hh)` (the `W_hh` product is skipped
/// for the zero initial state), then PyTorch's i, f, g, o update of `c` (in place). Writes the
/// new hidden state into `gates[..H]` and returns nothing else.
#[inline]
fn lstm_gates(l: &Lstm<'_>, x: &[f32], h: Option<&[f32]>, c: &mut [f32], gates: &mut [f32]) {
    let n = l.w_ih.rows();
    let hid = n / 4;
    for (r, g) in gates.iter_mut().enumerate().take(n) {
        let gi = l.w_ih.dot_row(r, x) + l.b_ih.at(r);
        let hh = match h {
            Some(h) => l.w_hh.dot_row(r, h),
            None => 0.0,
        };
        *g = gi + (hh + l.b_hh.at(r));
    }
    for j in 0..hid {
        let i = sigmoid(gates[j]);
        let f = sigmoid(gates[hid + j]);
        let g = tanh(gates[2 * hid + j]);
        let o = sigmoid(gates[3 * hid + j]);
        let cj = f * c[j] + i * g;
        c[j] = cj;
        gates[j] = o * tanh(cj);
    }
}

impl<'a> Model<'a> {
    /// The model configuration.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// `I8` when the matrices are stored quantised, else `F32`.
    pub fn weights(&self) -> WeightType {
        self.weights
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
        crate::format::tensor_views(&self.config, &self.dtypes, self.payload)
            .find(|(spec, _)| spec.name == name)
            .map(|(_, t)| t)
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
        let d = self.dim();
        at_least(d, out.len())?;
        if let Some(&t) = ctx.iter().find(|&&t| t as usize >= VOCAB_SIZE) {
            return Err(Error::InvalidToken(t));
        }
        let out = &mut out[..d];
        let n = &self.net;
        if self.config.embed == Embed::Center {
            let tok = ctx[crate::context::CENTRE] as usize;
            for (j, o) in out.iter_mut().enumerate() {
                *o = n.embedding.get(tok, j);
            }
            return Ok(());
        }
        let e = self.config.embed_inner();
        let conv = self.config.embed == Embed::PxBy;
        let mut a = [0.0f32; 9];
        for (p, a) in a.iter_mut().enumerate() {
            *a = sigmoid(n.alpha.at(p));
        }
        // x[ch, p] = embedding[ctx[p]][ch], laid out (E, 3, 3).
        let x = |ch: usize, p: usize| n.embedding.get(ctx[p] as usize, ch);
        out.fill(0.0);
        for ch in 0..e {
            for (p, &ap) in a.iter().enumerate() {
                let m = if conv {
                    let (pr, pc) = (p / 3, p % 3);
                    let mut s = 0.0f32;
                    for ci in 0..e {
                        for kr in 0..3 {
                            let r = pr + kr;
                            if !(1..=3).contains(&r) {
                                continue;
                            }
                            for kc in 0..3 {
                                let c = pc + kc;
                                if !(1..=3).contains(&c) {
                                    continue;
                                }
                                let q = (r - 1) * 3 + (c - 1);
                                s += n.conv_w.raw(ch, ci * 9 + kr * 3 + kc) * x(ci, q);
                            }
                        }
                    }
                    let cv = s * n.conv_w.scale(ch) + n.conv_b.at(ch);
                    ap * x(ch, p) + (1.0 - ap) * cv
                } else {
                    ap * x(ch, p)
                };
                n.proj_w.axpy_col(ch * 9 + p, m, out);
            }
        }
        n.proj_w.scale_rows(out);
        for (j, o) in out.iter_mut().enumerate() {
            *o += n.proj_b.at(j);
        }
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
            *o = (*o - mean) * inv * n.norm_w.at(j) + n.norm_b.at(j);
        }
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
    fn forward<'r>(
        &self,
        row: impl Fn(usize) -> &'r [f32],
        len: usize,
        scratch: &mut [f32],
        logits: &mut [f32; VOCAB_SIZE],
    ) {
        let (buf, work) = scratch.split_at_mut(len * self.d_state());
        self.forward_parts(row, len, buf, work, logits);
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
    ) {
        let s = self.d_state();
        let buf = &mut buf[..len * s];
        let (gates, rest) = work.split_at_mut(4 * s);
        let c = &mut rest[..s];
        let n = &self.net;
        // First layer, forward direction, into buf[t][..H].
        let h0 = self.config.first_hidden();
        c.fill(0.0);
        for t in 0..len {
            let prev = if t == 0 {
                None
            } else {
                Some(&buf[(t - 1) * s..(t - 1) * s + h0])
            };
            lstm_gates(&n.lstm[0], row(t), prev, c, gates);
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
                lstm_gates(&n.reverse, row(t), prev, c, gates);
                buf[t * s + h0..t * s + 2 * h0].copy_from_slice(&gates[..h0]);
            }
        }
        // Layers 1..depth, in place: step t reads row t (input) and row t-1 (state), then
        // overwrites row t.
        for layer in &n.lstm[1..self.config.depth as usize] {
            c.fill(0.0);
            for t in 0..len {
                let prev = if t == 0 {
                    None
                } else {
                    Some(&buf[(t - 1) * s..t * s])
                };
                lstm_gates(layer, &buf[t * s..(t + 1) * s], prev, c, gates);
                buf[t * s..(t + 1) * s].copy_from_slice(&gates[..s]);
            }
        }
        let last: &[f32] = if len == 0 {
            gates[..s].fill(0.0);
            &gates[..s]
        } else {
            &buf[(len - 1) * s..len * s]
        };
        for (v, l) in logits.iter_mut().enumerate() {
            *l = n.head_w.dot_row(v, last) + n.head_b.at(v);
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
