//! The integer-only forward pass of a [`WeightType::Int`](crate::quant::WeightType::Int) model:
//! int8 weights, int16 activations, `i32` accumulators, requantisation by multiplier and shift
//! ([`crate::fixed`]), sigmoid and tanh by int16 tables. No floating point at all (this module
//! denies `clippy::float_arithmetic`), so the result is the same on every target.
//!
//! The pieces, in the order a token meets them:
//! 1. [`Model::int_embed`]: PxByEmbed in fixed point. Embedding rows are requantised to the
//!    mix scale; the 3x3 convolution runs on them (int8 × int16); the mix
//!    `σ(α)·x + (1 − σ(α))·conv` uses `σ(α)` in Q15; the projection requantises to the
//!    projection scale; LayerNorm centres exactly (sums times `dim`), takes the integer square
//!    root of the variance (plus epsilon in the same units) and divides, giving `z` at
//!    `2^-NORM_BITS`, then `z · g + b` is requantised to the embedding output scale.
//! 2. [`Model::int_project`]: the first LSTM layer's input projections `W_ih · x + b_ih` of
//!    both directions, requantised to gate units (Q4.11). They depend on the token only, so the
//!    generator computes them once, when the token enters the window.
//! 3. [`Model::int_forward`]: the LSTM stack over the window. Per step and row the recurrent
//!    part `W_hh · h + b_hh` is requantised to Q4.11 and added; `i, f, o = σ`, `g = tanh` from
//!    the tables (Q15); `c' = f·c + i·g` with the cell at `2^-cell_shift` (per LSTM, from
//!    calibration); `h = o · tanh(c')` in Q15. Layers after the first compute their input
//!    projections in the same way from the previous layer's Q15 outputs.
//! 4. The head: `W · h_last + b` requantised to logits at `2^-LOGIT_BITS` (`i32`).
//!
//! ```
//! use pxby_core::calibrate::{calibrate, write_int_model};
//! use pxby_core::config::ModelConfig;
//! use pxby_core::format::{random_weights, write_model, Metadata};
//! use pxby_core::quant::WeightType;
//! use pxby_core::{context::contexts, vocab::VOCAB_SIZE, Model};
//! let cfg = ModelConfig { dim: 27, d_state: 8, ..ModelConfig::PAPER_BEST };
//! let w = random_weights(&cfg, 3, 1.0);
//! let list: Vec<(&str, &[f32])> = w.iter().map(|(n, v)| (*n, v.as_slice())).collect();
//! let f32_bytes = write_model(&cfg, &Metadata::default(), WeightType::F32, &list)?;
//! let window: Vec<_> = contexts(&[30, 31, 32, 2, 33, 34, 35]).collect();
//! let ranges = calibrate(&Model::from_bytes(&f32_bytes)?, [window.as_slice()])?;
//! let bytes = write_int_model(&cfg, &Metadata::default(), &list, &ranges)?;
//! let model = Model::from_bytes(&bytes)?;
//! let mut scratch = vec![0i16; model.int_scratch_len_for(window.len())];
//! let mut logits = [0i32; VOCAB_SIZE];
//! model.int_logits_for(&window, &mut scratch, &mut logits)?;
//! # Ok::<(), pxby_core::Error>(())
//! ```
#![deny(clippy::float_arithmetic)]

use crate::config::{Direction, Embed, LstmPart, Slot};
use crate::context::{CENTRE, Context};
use crate::error::Error;
use crate::fixed::{
    ALPHA_BITS, GATE_BITS, HIDDEN_BITS, NORM_BITS, Requant, div_round, isqrt, lookup, sat16,
    shift_round,
};
use crate::intparams::{IntParams, MAX_INT_COLS};
use crate::model::{Model, conv_taps};
use crate::quant::{Tensor, dot4_i8_i16};
use crate::vocab::VOCAB_SIZE;
use crate::weights::LstmWeights;

/// An integer matrix and its bias, cut into slices once per layer for the hot loops.
#[derive(Clone, Copy)]
struct Rows<'a> {
    w: &'a [u8],
    cols: usize,
    mult: &'a [u8],
    shift: &'a [u8],
    bias: &'a [u8],
}

impl<'a> Rows<'a> {
    fn new(w: &Tensor<'a>, b: &Tensor<'a>) -> Self {
        let (data, mult, shift) = w.int_parts();
        let (bias, _, _) = b.int_parts();
        Rows {
            w: data,
            cols: w.cols(),
            mult,
            shift,
            bias,
        }
    }

    /// Row `r`'s weights.
    #[inline(always)]
    fn row(&self, r: usize) -> &'a [u8] {
        self.w
            .get(r * self.cols..(r + 1) * self.cols)
            .unwrap_or(&[])
    }

    /// `R(dot + b[r])` saturated to `i16`, for a finished dot product of row `r`.
    #[inline(always)]
    fn finish(&self, r: usize, dot: i32) -> i16 {
        let b = self
            .bias
            .get(4 * r..4 * r + 4)
            .map_or(0, |b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let m = self
            .mult
            .get(2 * r..2 * r + 2)
            .map_or(0, |m| i16::from_le_bytes([m[0], m[1]]));
        let q = Requant {
            multiplier: i32::from(m),
            shift: self.shift.get(r).map_or(1, |&s| u32::from(s)),
        };
        q.to_i16(i64::from(dot) + i64::from(b))
    }

    /// `R(W[r] · x + b[r])` saturated to `i16` for four rows against the same `x`.
    #[inline(always)]
    fn out4(&self, r: [usize; 4], x: &[i16]) -> [i16; 4] {
        let d = dot4_i8_i16(r.map(|r| self.row(r)), x);
        [
            self.finish(r[0], d[0]),
            self.finish(r[1], d[1]),
            self.finish(r[2], d[2]),
            self.finish(r[3], d[3]),
        ]
    }
}

/// `R(W[r] · x + b[r])` saturated to `i16`: one output row of an integer matrix.
#[inline(always)]
fn row_out(w: &Tensor<'_>, b: &Tensor<'_>, r: usize, x: &[i16]) -> i16 {
    w.requant(r)
        .to_i16(i64::from(w.dot_row_i16(r, x)) + i64::from(b.int_at(r)))
}

impl<'a> Model<'a> {
    fn int_or_unsupported(&self) -> Result<&IntParams<'a>, Error> {
        self.int.as_ref().ok_or(Error::Unsupported)
    }

    /// Values per token of the first layer's input projections: `4 · first_hidden` per
    /// direction, forward then reverse.
    pub fn int_proj_len(&self) -> usize {
        let dirs = if self.config().bidirectional { 2 } else { 1 };
        4 * self.config().first_hidden() * dirs
    }

    /// `i16` scratch of [`Model::int_forward`] for a window of `window` tokens: the layer
    /// buffer (`window · d_state`), the cell state and one hidden row (`2 · d_state`).
    pub fn int_scratch_len(&self, window: usize) -> usize {
        (window + 2) * self.d_state()
    }

    /// `i16` scratch of [`Model::int_logits_for`]: the projections of every token, one
    /// embedding and [`Model::int_scratch_len`].
    pub fn int_scratch_len_for(&self, window: usize) -> usize {
        window * self.int_proj_len() + self.dim() + self.int_scratch_len(window)
    }

    /// PxByEmbed of one context in fixed point into `out[..dim]`, at the embedding output
    /// scale. Errors: not an integer model, `out` too short, a context cell outside the
    /// vocabulary.
    pub fn int_embed(&self, ctx: &Context, out: &mut [i16]) -> Result<(), Error> {
        let p = self.int_or_unsupported()?;
        let d = self.dim();
        if out.len() < d {
            return Err(Error::BufferTooSmall {
                needed: d,
                got: out.len(),
            });
        }
        if let Some(&t) = ctx.iter().find(|&&t| t as usize >= VOCAB_SIZE) {
            return Err(Error::InvalidToken(t));
        }
        let out = &mut out[..d];
        let w = &self.weights;
        let embedding = w.get(Slot::Embedding);
        let emb = |tok: u8, ch: usize| {
            let tok = tok as usize;
            let q = embedding
                .row_i8(tok)
                .get(ch)
                .map_or(0, |&b| i64::from(b as i8));
            embedding.requant(tok).to_i16(q)
        };
        if self.config().embed == Embed::Center {
            for (j, o) in out.iter_mut().enumerate() {
                *o = emb(ctx[CENTRE], j);
            }
            return Ok(());
        }
        let e = self.config().embed_inner();
        let n = 9 * e; // ≤ MAX_INT_COLS: the projection's width, checked at load
        let mut x = [0i16; MAX_INT_COLS];
        for ch in 0..e {
            for (pos, &tok) in ctx.iter().enumerate() {
                x[ch * 9 + pos] = emb(tok, ch);
            }
        }
        let alpha = w.get(Slot::Alpha);
        let mut m = [0i16; MAX_INT_COLS];
        if self.config().embed == Embed::PxBy {
            let (conv_w, conv_b) = (w.get(Slot::ConvWeight), w.get(Slot::ConvBias));
            for ch in 0..e {
                let row = conv_w.row_i8(ch);
                for pos in 0..9 {
                    let mut acc = 0i32;
                    for ci in 0..e {
                        for (k, q) in conv_taps(pos) {
                            let wv = row.get(ci * 9 + k).map_or(0, |&b| b as i8);
                            acc += i32::from(wv) * i32::from(x[ci * 9 + q]);
                        }
                    }
                    let cv = conv_w
                        .requant(ch)
                        .to_i16(i64::from(acc) + i64::from(conv_b.int_at(ch)));
                    let a = alpha.int_at(pos);
                    let mix =
                        a * i32::from(x[ch * 9 + pos]) + ((1 << ALPHA_BITS) - a) * i32::from(cv);
                    m[ch * 9 + pos] = sat16(shift_round(i64::from(mix), ALPHA_BITS));
                }
            }
        } else {
            for ch in 0..e {
                for pos in 0..9 {
                    let v = i64::from(alpha.int_at(pos)) * i64::from(x[ch * 9 + pos]);
                    m[ch * 9 + pos] = sat16(shift_round(v, ALPHA_BITS));
                }
            }
        }
        let (proj_w, proj_b) = (w.get(Slot::ProjWeight), w.get(Slot::ProjBias));
        for (j, o) in out.iter_mut().enumerate() {
            *o = row_out(proj_w, proj_b, j, &m[..n]);
        }
        self.int_layer_norm(p, out);
        Ok(())
    }

    /// LayerNorm in integers, in place: from the projection scale to the embedding scale.
    fn int_layer_norm(&self, p: &IntParams<'_>, y: &mut [i16]) {
        let (norm_w, norm_b) = (
            self.weights.get(Slot::NormWeight),
            self.weights.get(Slot::NormBias),
        );
        let d = y.len() as i64;
        let sum: i64 = y.iter().map(|&v| i64::from(v)).sum();
        // Centred values times d (exact): yc = d·y − Σy.
        let yc = |v: i16| i64::from(v) * d - sum;
        let sq: i64 = y.iter().map(|&v| yc(v) * yc(v)).sum();
        // Variance + eps, times d²: Σyc² / d + eps · d².
        let var = (sq / d) as u64 + u64::from(p.ln_eps) * (d * d) as u64;
        let bits = 64 - var.leading_zeros();
        let k = if bits >= 62 {
            0
        } else {
            ((62 - bits) / 2).min(8)
        };
        let sd = isqrt(var << (2 * k)) as i64; // √var · 2^k
        for (j, o) in y.iter_mut().enumerate() {
            let z = if sd == 0 {
                0
            } else {
                div_round(yc(*o) << (NORM_BITS + k), sd)
            };
            *o = p
                .norm
                .to_i16(z * i64::from(norm_w.int_at(j)) + i64::from(norm_b.int_at(j)));
        }
    }

    /// The first LSTM layer's input projections `W_ih · x + b_ih` of an embedding `x` (at the
    /// embedding scale), for the forward and (if bidirectional) the reverse direction, in gate
    /// units, into `out[..int_proj_len]`.
    pub fn int_project(&self, x: &[i16], out: &mut [i16]) -> Result<(), Error> {
        self.int_or_unsupported()?;
        let n = self.int_proj_len();
        if out.len() < n || x.len() < self.dim() {
            return Err(Error::BufferTooSmall {
                needed: n,
                got: out.len(),
            });
        }
        let dirs: &[Direction] = if self.config().bidirectional {
            &[Direction::Forward, Direction::Reverse]
        } else {
            &[Direction::Forward]
        };
        let g = 4 * self.config().first_hidden();
        for (k, &dir) in dirs.iter().enumerate() {
            let l = self.weights.lstm(0, dir);
            let (w, b) = (l.get(LstmPart::WeightIh), l.get(LstmPart::BiasIh));
            for (r, o) in out[k * g..(k + 1) * g].iter_mut().enumerate() {
                *o = row_out(w, b, r, &x[..self.dim()]);
            }
        }
        Ok(())
    }

    /// Logits of a window of contexts on the integer path (embedding, projections, LSTM stack,
    /// head), at `2^-LOGIT_BITS`. `scratch` needs [`Model::int_scratch_len_for`] values.
    pub fn int_logits_for(
        &self,
        contexts: &[Context],
        scratch: &mut [i16],
        logits: &mut [i32; VOCAB_SIZE],
    ) -> Result<(), Error> {
        self.int_or_unsupported()?;
        let (l, pl, d) = (contexts.len(), self.int_proj_len(), self.dim());
        let need = self.int_scratch_len_for(l);
        if scratch.len() < need {
            return Err(Error::BufferTooSmall {
                needed: need,
                got: scratch.len(),
            });
        }
        let (proj, rest) = scratch.split_at_mut(l * pl);
        let (x, rest) = rest.split_at_mut(d);
        for (ctx, out) in contexts.iter().zip(proj.chunks_exact_mut(pl)) {
            self.int_embed(ctx, x)?;
            self.int_project(x, out)?;
        }
        let (buf, work) = rest.split_at_mut(l * self.d_state());
        self.int_forward(|t| &proj[t * pl..(t + 1) * pl], l, buf, work, logits);
        Ok(())
    }

    /// The LSTM stack and the head over a window of `len` tokens whose first-layer input
    /// projections `proj(t)` ([`Model::int_project`]) are given. `buf` holds `len · d_state`
    /// values, `work` `2 · d_state`. Does nothing for a file that is not integer.
    pub fn int_forward<'r>(
        &self,
        proj: impl Fn(usize) -> &'r [i16],
        len: usize,
        buf: &mut [i16],
        work: &mut [i16],
        logits: &mut [i32; VOCAB_SIZE],
    ) {
        let Some(p) = self.int.as_ref() else {
            return;
        };
        let s = self.d_state();
        let buf = &mut buf[..len * s];
        let (c, tmp) = work.split_at_mut(s);
        let tmp = &mut tmp[..s];
        let h0 = self.config().first_hidden();
        let g0 = 4 * h0;
        let cfg = *self.config();
        // First layer, forward: buf[t][..H].
        let fwd = self.weights.lstm(0, Direction::Forward);
        let cs = p.cell_shift(&cfg, 0, Direction::Forward);
        c[..h0].fill(0);
        for t in 0..len {
            let (done, row) = buf.split_at_mut(t * s);
            let prev = (t > 0).then(|| &done[(t - 1) * s..(t - 1) * s + h0]);
            let pr = proj(t);
            lstm_step(
                p,
                fwd,
                |r| r.map(|r| i32::from(pr[r])),
                prev,
                cs,
                &mut c[..h0],
                &mut row[..h0],
            );
        }
        // Reverse: buf[t][H..2H], t = L−1..0.
        if cfg.bidirectional {
            let rev = self.weights.lstm(0, Direction::Reverse);
            let cs = p.cell_shift(&cfg, 0, Direction::Reverse);
            c[..h0].fill(0);
            for t in (0..len).rev() {
                let (head, tail) = buf.split_at_mut((t + 1) * s);
                let prev = (t + 1 < len).then(|| &tail[h0..2 * h0]);
                let pr = proj(t);
                lstm_step(
                    p,
                    rev,
                    |r| r.map(|r| i32::from(pr[g0 + r])),
                    prev,
                    cs,
                    &mut c[..h0],
                    &mut head[t * s + h0..t * s + 2 * h0],
                );
            }
        }
        // Layers 1.., in place through `tmp`.
        for k in 1..cfg.depth as usize {
            let layer = self.weights.lstm(k, Direction::Forward);
            let ih = Rows::new(layer.get(LstmPart::WeightIh), layer.get(LstmPart::BiasIh));
            let cs = p.cell_shift(&cfg, k, Direction::Forward);
            c.fill(0);
            for t in 0..len {
                let (done, row) = buf.split_at_mut(t * s);
                let prev = (t > 0).then(|| &done[(t - 1) * s..t * s]);
                let x = &row[..s];
                lstm_step(p, layer, |r| ih.out4(r, x).map(i32::from), prev, cs, c, tmp);
                row[..s].copy_from_slice(tmp);
            }
        }
        let (head_w, head_b) = (
            self.weights.get(Slot::HeadWeight),
            self.weights.get(Slot::HeadBias),
        );
        let zeros = [0i16; 0];
        let last: &[i16] = if len == 0 {
            &zeros
        } else {
            &buf[(len - 1) * s..len * s]
        };
        for (v, l) in logits.iter_mut().enumerate() {
            let acc = i64::from(head_w.dot_row_i16(v, last)) + i64::from(head_b.int_at(v));
            *l = head_w
                .requant(v)
                .apply(acc)
                .clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        }
    }
}

/// One LSTM step over `h.len()` hidden units: `input(rows)` gives the input projections of
/// four gate rows (the gates i, f, g, o of one unit) in gate units, `prev` the previous hidden state (Q15; `None` at the first step), `c` the
/// cell state at `2^-cs`, updated in place; the new hidden state goes to `h`.
#[inline]
fn lstm_step(
    p: &IntParams<'_>,
    l: &LstmWeights<'_>,
    input: impl Fn([usize; 4]) -> [i32; 4],
    prev: Option<&[i16]>,
    cs: u32,
    c: &mut [i16],
    h: &mut [i16],
) {
    let hh = Rows::new(l.get(LstmPart::WeightHh), l.get(LstmPart::BiasHh));
    let hid = h.len();
    let prev = prev.unwrap_or(&[]); // a zero state contributes nothing but the bias
    for j in 0..hid {
        let rows = [j, hid + j, 2 * hid + j, 3 * hid + j];
        let (a, b) = (input(rows), hh.out4(rows, prev));
        let i = i32::from(lookup(p.sigmoid, a[0] + i32::from(b[0])));
        let f = i32::from(lookup(p.sigmoid, a[1] + i32::from(b[1])));
        let g = i32::from(lookup(p.tanh, a[2] + i32::from(b[2])));
        let o = i32::from(lookup(p.sigmoid, a[3] + i32::from(b[3])));
        // f·c: Q15 × 2^-cs → 2^-cs; i·g: Q30 → 2^-cs.
        let cn = shift_round(i64::from(f) * i64::from(c[j]), HIDDEN_BITS)
            + shift_round(i64::from(i) * i64::from(g), 2 * HIDDEN_BITS - cs);
        let cn = sat16(cn);
        c[j] = cn;
        let c_gate = if cs >= GATE_BITS {
            shift_round(i64::from(cn), cs - GATE_BITS)
        } else {
            i64::from(cn) << (GATE_BITS - cs)
        };
        let th = i64::from(lookup(
            p.tanh,
            c_gate.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
        ));
        h[j] = sat16(shift_round(i64::from(o) * th, HIDDEN_BITS));
    }
}
