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
//!    projections in the same way from the previous layer's Q15 outputs. With widened weights
//!    attached ([`crate::wide`], the Cortex-M4 firmware) these per-position matrices run
//!    through `pxby_dsp::wide_gates` instead: the same values.
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
    ALPHA_BITS, GATE_BITS, HIDDEN_BITS, NORM_BITS, Requant, TABLE_LEN, TABLE_LO, div_round, isqrt,
    lookup, lookup_batch, lookup_i16, lookup_smlad, sat16, shift_round, shift_round32,
};
use crate::intparams::{IntParams, MAX_INT_COLS};
use crate::kernel::{Activations, pairs_len};
use crate::model::Model;
use crate::quant::Tensor;
use crate::vocab::VOCAB_SIZE;
use crate::weights::LstmWeights;

/// Words of the SMLAD pairs of the embedding front's vectors (up to 96 values, the paper's 81
/// included; longer ones use the portable kernel).
const EMBED_PAIRS_MAX: usize = pairs_len(96);

/// Rows whose dot products [`Rows::add_to`] computes before requantising them: a whole gate
/// matrix of the paper's model on the host (128 rows: fewer calls of each loop), 64 on the
/// Cortex-M4 (the array is zeroed at every call), 32 on the Cortex-M0 (16 KiB of RAM).
const DOT_CHUNK: usize = if !cfg!(target_arch = "arm") {
    128
} else if pxby_dsp::USES_DSP_INSTRUCTIONS {
    64
} else {
    32
};

/// Words of the stack buffers holding SMLAD pairs ([`Activations`]): vectors of up to 64 values
/// (longer ones use the portable kernel).
const PAIRS_MAX: usize = pairs_len(64);

/// `Σ w[k] · x[q]` over the listed `(k, q)` taps.
macro_rules! taps {
    ($w:ident, $x:ident; $($k:literal $q:literal),*) => {
        0 $(+ $w[$k] * $x[$q])*
    };
}

/// The 49 taps of PxByEmbed's 3x3 convolution that land inside the 3x3 context
/// ([`crate::model::conv_taps`] of every cell), written out for one input channel: adds to
/// `accs[p]` the kernel `w` (int8, as bytes) applied at cell `p` of the channel's cells `x`.
/// Straight-line code with constant indices (integer sums do not depend on the order); the
/// unit test compares it with `conv_taps`.
#[inline(always)]
fn conv3x3_add(w: &[u8; 9], x: &[i16; 9], accs: &mut [i32; 9]) {
    let w = w.map(|b| i32::from(b as i8));
    let x = x.map(i32::from);
    accs[0] += taps!(w, x; 4 0, 5 1, 7 3, 8 4);
    accs[1] += taps!(w, x; 3 0, 4 1, 5 2, 6 3, 7 4, 8 5);
    accs[2] += taps!(w, x; 3 1, 4 2, 6 4, 7 5);
    accs[3] += taps!(w, x; 1 0, 2 1, 4 3, 5 4, 7 6, 8 7);
    accs[4] += taps!(w, x; 0 0, 1 1, 2 2, 3 3, 4 4, 5 5, 6 6, 7 7, 8 8);
    accs[5] += taps!(w, x; 0 1, 1 2, 3 4, 4 5, 6 7, 7 8);
    accs[6] += taps!(w, x; 1 3, 2 4, 4 6, 5 7);
    accs[7] += taps!(w, x; 0 3, 1 4, 2 5, 3 6, 4 7, 5 8);
    accs[8] += taps!(w, x; 0 4, 1 5, 3 7, 4 8);
}

/// An integer matrix and its bias, cut into slices once per layer for the hot loops.
#[derive(Clone, Copy)]
struct Rows<'a> {
    w: &'a [u8],
    cols: usize,
    mult: &'a [u8],
    shift: &'a [u8],
    bias: &'a [u8],
    /// The multipliers and biases read as `i16` / `i32` when their bytes are aligned (the
    /// usual case: the file's sections are 4-aligned), else `None` (read byte by byte).
    words: Option<(&'a [i16], &'a [i32])>,
    /// The shift all rows share ([`Tensor::uniform_shift`]), if they do and the biases are
    /// [`Tensor::is_bounded`]: then [`requant_add_rows_uniform`] applies.
    uniform_shift: Option<u32>,
    /// The matrix widened for [`pxby_dsp::wide_gates`] ([`crate::wide`]), or empty.
    wide: &'a [u32],
}

/// Bytes as little-endian values of `T` when they are aligned for it (and the target is
/// little-endian), else `None`.
fn aligned_words<T: bytemuck::Pod>(bytes: &[u8]) -> Option<&[T]> {
    if cfg!(target_endian = "big") {
        return None;
    }
    bytemuck::try_cast_slice(bytes).ok()
}

impl<'a> Rows<'a> {
    /// The rows of `w` with biases `b` and, when not empty, their widened form `wide`.
    fn new(w: &Tensor<'a>, b: &Tensor<'a>, wide: &'a [u32]) -> Self {
        let (data, mult, shift) = w.int_parts();
        let (bias, _, _) = b.int_parts();
        Rows {
            w: data,
            cols: w.cols(),
            mult,
            shift,
            bias,
            words: aligned_words(mult).zip(aligned_words(bias)),
            uniform_shift: w.uniform_shift().filter(|_| b.is_bounded()),
            wide,
        }
    }

    /// [`Rows::add_to`] of the vector `x`: through the widened matrix
    /// ([`pxby_dsp::wide_gates`]) when there is one and `out` is word-aligned (then it returns
    /// true), else through `x`'s SMLAD pairs (built in `pairs`). Both give the same values.
    #[inline]
    fn add(&self, x: &[i16], pairs: &mut [u32; PAIRS_MAX], out: &mut [i16]) -> bool {
        if !self.wide.is_empty()
            && x.len() == self.cols
            && let Ok(o) = bytemuck::try_cast_slice_mut::<i16, u32>(out)
        {
            // The activations as words: in place when aligned, else copied into `pairs`.
            let xw = match bytemuck::try_cast_slice::<i16, u32>(x) {
                Ok(xw) => Some(xw),
                Err(_) => pairs.get_mut(..x.len() / 2).map(|pw| {
                    for (w, p) in pw.iter_mut().zip(x.as_chunks::<2>().0) {
                        *w = pxby_dsp::pair(p[0], p[1]);
                    }
                    &*pw
                }),
            };
            if let Some(xw) = xw
                && pxby_dsp::wide_gates(self.wide, xw, o)
            {
                return true;
            }
        }
        self.add_to(&Activations::new(x, pairs), out);
        false
    }

    /// `out[r] = sat16(out[r] + R(W[r] · x + b[r]))` for every row `r < out.len()`, the
    /// requantised row first saturated to `i16`. Two passes per chunk of [`DOT_CHUNK`] rows:
    /// the dot products ([`Activations::dots`]), then the requantisation, so that each loop
    /// keeps its values in registers.
    #[inline]
    fn add_to(&self, x: &Activations<'_>, out: &mut [i16]) {
        let c = self.cols;
        let mut dots = [0i32; DOT_CHUNK];
        for (k, out) in out.chunks_mut(DOT_CHUNK).enumerate() {
            let (r0, n) = (k * DOT_CHUNK, out.len());
            let dots = &mut dots[..n];
            x.dots(self.w.get(r0 * c..).unwrap_or(&[]), c, dots);
            self.requant_add(r0, dots, out);
        }
    }

    /// [`Rows::add_to`] with `x = 0` (the zero initial state): adds `R(b[r])`.
    fn add_bias_to(&self, out: &mut [i16]) {
        let dots = [0i32; DOT_CHUNK];
        for (k, out) in out.chunks_mut(DOT_CHUNK).enumerate() {
            self.requant_add(k * DOT_CHUNK, &dots[..out.len()], out);
        }
    }

    /// `out[i] = sat16(out[i] + R(dots[i] + b[r0 + i]))`: rows `r0..` requantised by the
    /// loop that suits how they are stored.
    #[inline(always)]
    fn requant_add(&self, r0: usize, dots: &[i32], out: &mut [i16]) {
        let shift = self.shift.get(r0..).unwrap_or(&[]);
        if let Some((mult, bias)) = self.words {
            let (mult, bias) = (mult.get(r0..).unwrap_or(&[]), bias.get(r0..).unwrap_or(&[]));
            match self.uniform_shift {
                Some(sh) => requant_add_rows_uniform(out, dots, mult, sh, bias),
                None => requant_add_rows(out, dots, mult, shift, bias),
            }
        } else {
            let mult = self.mult.get(2 * r0..).unwrap_or(&[]).as_chunks::<2>().0;
            let bias = self.bias.get(4 * r0..).unwrap_or(&[]).as_chunks::<4>().0;
            for ((((o, &d), m), &sh), b) in out.iter_mut().zip(dots).zip(mult).zip(shift).zip(bias)
            {
                requant_add(o, d, i16::from_le_bytes(*m), sh, i32::from_le_bytes(*b));
            }
        }
    }
}

/// [`requant_add`] of each row (aligned multipliers and biases). A function of its own, so
/// that its loop gets the registers to itself (on a Cortex-M0 it otherwise spills).
#[inline(never)]
fn requant_add_rows(out: &mut [i16], dots: &[i32], mult: &[i16], shift: &[u8], bias: &[i32]) {
    for ((((o, &d), &m), &sh), &b) in out.iter_mut().zip(dots).zip(mult).zip(shift).zip(bias) {
        // On x86_64 LLVM vectorises this loop with SSE2 emulations of per-lane 64-bit shifts,
        // which made a generator step 15 % slower than the scalar loop (criterion,
        // `generate/W=64`); passing the shift through `black_box` keeps the loop scalar.
        let sh = if cfg!(target_arch = "x86_64") {
            core::hint::black_box(sh)
        } else {
            sh
        };
        requant_add(o, d, m, sh, b);
    }
}

/// [`requant_add_rows`] for rows that share one shift in
/// [`UNIFORM_SHIFTS`](crate::quant::UNIFORM_SHIFTS) and biases below 2^30 (what writers
/// produce): the same values. On targets without DSP instructions (x86_64, wasm32, Cortex-M0)
/// it is [`requant_halves`](crate::fixed::requant_halves) with the shift and rounding constant hoisted and the two products
/// written as 16 × 16-bit ones, which LLVM vectorises on x86_64 (`pmaddwd`/`pmulhuw`, one
/// `psrad` by the shared shift, `packssdw`, `paddsw`); with DSP instructions (Cortex-M4) the
/// per-row loop, whose SMMUL form is shorter.
#[inline(never)]
fn requant_add_rows_uniform(out: &mut [i16], dots: &[i32], mult: &[i16], shift: u32, bias: &[i32]) {
    if pxby_dsp::USES_DSP_INSTRUCTIONS {
        for (((o, &d), &m), &b) in out.iter_mut().zip(dots).zip(mult).zip(bias) {
            requant_add(o, d, m, shift as u8, b);
        }
        return;
    }
    let k = shift.wrapping_sub(16) & 31; // 1..=30
    let round = 1i32 << (k.wrapping_sub(1) & 31);
    for (((o, &d), &m), &b) in out.iter_mut().zip(dots).zip(mult).zip(bias) {
        // |d| ≤ 2^30 (at most 256 columns) and |b| < 2^30 (bounded biases): this is the
        // saturating sum of the other loops, without the overflow checks.
        let a = d.wrapping_add(b);
        // a = a_h·2^16 + a_l; M < 2^15 (checked at load), so `M as u16` is M.
        let high = i32::from((a >> 16) as i16) * i32::from(m);
        let low = i32::from(((u32::from(a as u16) * u32::from(m as u16)) >> 16) as u16);
        let v = (high + low + round) >> k;
        *o = o.saturating_add(v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16);
    }
}

/// `o = sat16(o + R(dot + bias))` with `R` the row's multiplier and shift (checked at load).
#[inline(always)]
fn requant_add(o: &mut i16, dot: i32, multiplier: i16, shift: u8, bias: i32) {
    let q = Requant {
        multiplier: i32::from(multiplier),
        shift: u32::from(shift),
    };
    let v = q.to_i16_checked(dot, bias);
    *o = (i32::from(*o) + i32::from(v)).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
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

    /// `i16` values of [`Model::int_forward`]'s `rev` buffer for a window of `window` tokens:
    /// the first layer's reverse outputs (`window · first_hidden`; none when unidirectional).
    pub fn int_rev_len(&self, window: usize) -> usize {
        if self.config().bidirectional {
            window * self.config().first_hidden()
        } else {
            0
        }
    }

    /// `i16` values of [`Model::int_forward`]'s `work` buffer: the four gates and the next
    /// layer's input (`5 · d_state`), then the cell and hidden state of every forward layer
    /// (`2 · depth · d_state`).
    pub fn int_work_len(&self) -> usize {
        (5 + 2 * self.config().depth as usize) * self.d_state()
    }

    /// `i16` scratch of [`Model::int_forward`] in one slice: [`Model::int_rev_len`] then
    /// [`Model::int_work_len`].
    pub fn int_scratch_len(&self, window: usize) -> usize {
        self.int_rev_len(window) + self.int_work_len()
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
        self.int_embed_in(ctx, out, &mut [0; 2 * MAX_INT_COLS])
    }

    /// [`Model::int_embed`] with its two intermediate vectors (the context's embedding rows
    /// and their mix, `9 · E` values each) in `scratch` instead of on the stack (the
    /// generator lends its LSTM work array). Errors also when `scratch` holds fewer than
    /// `18 · E` values.
    pub fn int_embed_in(
        &self,
        ctx: &Context,
        out: &mut [i16],
        scratch: &mut [i16],
    ) -> Result<(), Error> {
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
        let Some((x, m)) = scratch.get_mut(..2 * n).map(|s| s.split_at_mut(n)) else {
            return Err(Error::BufferTooSmall {
                needed: 2 * n,
                got: scratch.len(),
            });
        };
        for ch in 0..e {
            for (pos, &tok) in ctx.iter().enumerate() {
                x[ch * 9 + pos] = emb(tok, ch);
            }
        }
        let alpha = w.get(Slot::Alpha);
        if self.config().embed == Embed::PxBy {
            let (conv_w, conv_b) = (w.get(Slot::ConvWeight), w.get(Slot::ConvBias));
            for ch in 0..e {
                let row = conv_w.row_i8(ch);
                let mut accs = [0i32; 9];
                for (wk, xq) in row.as_chunks::<9>().0.iter().zip(x.as_chunks::<9>().0) {
                    conv3x3_add(wk, xq, &mut accs);
                }
                for (pos, &acc) in accs.iter().enumerate() {
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
        let proj = Rows::new(w.get(Slot::ProjWeight), w.get(Slot::ProjBias), &[]);
        let mut pairs = [0u32; EMBED_PAIRS_MAX];
        out.fill(0);
        proj.add_to(&Activations::new(&m[..n], &mut pairs), out);
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
        let mut pairs = [0u32; EMBED_PAIRS_MAX];
        let x = Activations::new(&x[..self.dim()], &mut pairs);
        for (k, &dir) in dirs.iter().enumerate() {
            let l = self.weights.lstm(0, dir);
            let rows = Rows::new(l.get(LstmPart::WeightIh), l.get(LstmPart::BiasIh), &[]);
            let out = &mut out[k * g..(k + 1) * g];
            out.fill(0);
            rows.add_to(&x, out);
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
        let (rev, work) = rest.split_at_mut(self.int_rev_len(l));
        self.int_forward(|t| &proj[t * pl..(t + 1) * pl], l, rev, work, logits);
        Ok(())
    }

    /// The LSTM stack and the head over a window of `len` tokens whose first-layer input
    /// projections `proj(t)` ([`Model::int_project`]) are given. `rev` holds
    /// [`Model::int_rev_len`] values, `work` [`Model::int_work_len`]. Does nothing for a file
    /// that is not integer or when a buffer is too short.
    ///
    /// Only the first layer may be bidirectional, so the order is: its reverse direction over
    /// the window (outputs kept in `rev`), then every forward LSTM in lockstep, one position
    /// at a time (layer `k` at `t` needs only layer `k − 1` at `t`). Each forward layer thus
    /// keeps just its state, not a row per position.
    pub fn int_forward<'r>(
        &self,
        proj: impl Fn(usize) -> &'r [i16],
        len: usize,
        rev: &mut [i16],
        work: &mut [i16],
        logits: &mut [i32; VOCAB_SIZE],
    ) {
        let Some(p) = self.int.as_ref() else {
            return;
        };
        let cfg = *self.config();
        let (s, h0, depth) = (self.d_state(), cfg.first_hidden(), cfg.depth as usize);
        let g0 = 4 * h0;
        let (Some(rev), Some(work)) = (
            rev.get_mut(..self.int_rev_len(len)),
            work.get_mut(..self.int_work_len()),
        ) else {
            return;
        };
        let (gates, rest) = work.split_at_mut(4 * s);
        let (x, states) = rest.split_at_mut(s);
        // SMLAD pairs of whichever vector is multiplied next (input, then hidden state).
        let mut pairs = [0u32; PAIRS_MAX];
        // The first layer's reverse direction: rev[t], t = L−1..0.
        if cfg.bidirectional {
            let l = self.weights.lstm(0, Direction::Reverse);
            let wide = self.wide.get(&cfg, 0, Direction::Reverse, true);
            let step = Step::new(p, l, p.cell_shift(&cfg, 0, Direction::Reverse), wide);
            let (c, h) = states.split_at_mut(s);
            c[..h0].fill(0);
            for t in (0..len).rev() {
                let g = &mut gates[..g0];
                g.copy_from_slice(&proj(t)[g0..2 * g0]);
                if t + 1 < len {
                    let _ = step.hh.add(&rev[(t + 1) * h0..(t + 2) * h0], &mut pairs, g);
                } else {
                    step.hh.add_bias_to(g);
                }
                step.update(g, &mut c[..h0], &mut h[..h0]);
                rev[t * h0..(t + 1) * h0].copy_from_slice(&h[..h0]);
            }
        }
        // Every forward LSTM, in lockstep over the window. (The per-layer views are rebuilt
        // at every position: a few slice splits, cheaper in RAM than arrays of them.)
        let head_from_x = depth == 1 && cfg.bidirectional;
        states.fill(0);
        for t in 0..len {
            for k in 0..depth {
                let l = self.weights.lstm(k, Direction::Forward);
                let wide = |hh| self.wide.get(&cfg, k, Direction::Forward, hh);
                let step = Step::new(p, l, p.cell_shift(&cfg, k, Direction::Forward), wide(true));
                let ih = (k > 0).then(|| {
                    let (w, b) = (l.get(LstmPart::WeightIh), l.get(LstmPart::BiasIh));
                    Rows::new(w, b, wide(false))
                });
                let hid = if k == 0 { h0 } else { s };
                let (c, h) = states[2 * k * s..(2 * k + 2) * s].split_at_mut(s);
                let (c, h) = (&mut c[..hid], &mut h[..hid]);
                let g = &mut gates[..4 * hid];
                match ih {
                    None => g.copy_from_slice(&proj(t)[..g0]),
                    Some(ih) => {
                        g.fill(0);
                        let _ = ih.add(&x[..s], &mut pairs, g);
                    }
                }
                if t > 0 {
                    let _ = step.hh.add(h, &mut pairs, g);
                } else {
                    step.hh.add_bias_to(g);
                }
                step.update(g, c, h);
                // The next layer's input (or the head's, for one bidirectional layer): this
                // output, with the reverse direction's beside the first layer's. (The last
                // layer's output otherwise stays in its state.)
                if k + 1 < depth || head_from_x {
                    x[..hid].copy_from_slice(h);
                    if k == 0 && cfg.bidirectional {
                        x[h0..2 * h0].copy_from_slice(&rev[t * h0..(t + 1) * h0]);
                    }
                }
            }
        }
        let (head_w, head_b) = (
            self.weights.get(Slot::HeadWeight),
            self.weights.get(Slot::HeadBias),
        );
        // The last layer's output at the last position (nothing for an empty window).
        let out_at = (2 * depth - 1) * s;
        let last: &[i16] = if len == 0 {
            &[]
        } else if head_from_x {
            &x[..s]
        } else {
            states.get(out_at..out_at + s).unwrap_or(&[])
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

/// One LSTM (a layer in one direction) ready to step: its recurrent matrix and the constants of
/// the cell update.
struct Step<'a> {
    hh: Rows<'a>,
    sigmoid: &'a [u8],
    tanh: &'a [u8],
    /// The two tables read as `i16`, when their bytes allow it (see [`table_words`]).
    words: Option<(&'a [i16; TABLE_LEN], &'a [i16; TABLE_LEN])>,
    cell_shift: u32,
}

/// An activation table's bytes as `i16` values when they are 2-aligned, on a little-endian
/// target: the usual case, since the integer block is 4-aligned in the file and the firmware
/// embeds the file 4-aligned. (Else [`lookup`] reads the bytes, with the same values.)
fn table_words(bytes: &[u8]) -> Option<&[i16; TABLE_LEN]> {
    aligned_words::<i16>(bytes).and_then(|t| t.try_into().ok())
}

impl<'a> Step<'a> {
    fn new(p: &IntParams<'a>, l: &LstmWeights<'a>, cell_shift: u32, wide_hh: &'a [u32]) -> Self {
        Step {
            hh: Rows::new(l.get(LstmPart::WeightHh), l.get(LstmPart::BiasHh), wide_hh),
            sigmoid: p.sigmoid,
            tanh: p.tanh,
            words: table_words(p.sigmoid).zip(table_words(p.tanh)),
            cell_shift,
        }
    }

    /// The cell update from the gate pre-activations `gates` (`[i; f; g; o]`, `4 · h.len()`
    /// values in gate units): `c' = f·c + i·g` with the cell at `2^-cell_shift`, updated in
    /// place, and `h = o · tanh(c')` in Q15 into `h`. Per target: with the DSP instructions
    /// one assembly loop (`pxby_dsp::lstm_cells`, cell shifts up to 11) or SMLAD interpolation
    /// ([`lookup_smlad`]), batches ([`Step::update_batched`]) on vector targets, else
    /// [`lookup_i16`] or, for unaligned tables, [`lookup`]; all give the same values.
    #[inline]
    fn update(&self, gates: &[i16], c: &mut [i16], h: &mut [i16]) {
        // With the DSP instructions (Cortex-M4): one word load and one SMLAD per lookup, in
        // one assembly loop for cell shifts up to 11 (all that calibration gives in practice).
        if pxby_dsp::USES_DSP_INSTRUCTIONS
            && let Some((s, t)) = self.sigmoid.first_chunk().zip(self.tanh.first_chunk())
        {
            if pxby_dsp::lstm_cells(gates, c, h, s, t, self.cell_shift) {
                return;
            }
            return self.update_with(gates, c, h, |x| lookup_smlad(s, x), |x| lookup_smlad(t, x));
        }
        if let Some((s, t)) = self.words {
            if !cfg!(target_arch = "arm") {
                return self.update_batched(s, t, gates, c, h);
            }
            self.update_with(gates, c, h, |x| lookup_i16(s, x), |x| lookup_i16(t, x));
        } else {
            let (s, t) = (self.sigmoid, self.tanh);
            self.update_with(gates, c, h, |x| lookup(s, x), |x| lookup(t, x));
        }
    }

    /// [`Step::update`] with the two table lookups given.
    #[inline(always)]
    fn update_with(
        &self,
        gates: &[i16],
        c: &mut [i16],
        h: &mut [i16],
        sigmoid: impl Fn(i32) -> i16,
        tanh: impl Fn(i32) -> i16,
    ) {
        let hid = h.len();
        let cs = self.cell_shift;
        let (gi, rest) = gates.split_at(hid);
        let (gf, rest) = rest.split_at(hid);
        let (gg, go) = rest.split_at(hid);
        for (((((c, h), &gi), &gf), &gg), &go) in
            c.iter_mut().zip(h).zip(gi).zip(gf).zip(gg).zip(go)
        {
            let (i, f) = (sigmoid(i32::from(gi)), sigmoid(i32::from(gf)));
            let (g, o) = (tanh(i32::from(gg)), sigmoid(i32::from(go)));
            *c = new_cell(i, f, g, *c, cs);
            *h = new_hidden(o, i32::from(tanh(cell_in_gate_units(*c, cs))));
        }
    }

    /// [`Step::update`] of aligned tables in phases over chunks of [`CELLS`] cells, for
    /// targets with vector units (x86_64, wasm32): the table lookups as one batch per table
    /// ([`lookup_batch`]: indices, then a scalar gather, then the interpolation as a
    /// vectorised multiply-add), and the cell and hidden-state updates as vectorised loops.
    /// The same values as [`Step::update_with`]: the same functions of the same inputs.
    #[inline(never)]
    fn update_batched(
        &self,
        s: &[i16; TABLE_LEN],
        t: &[i16; TABLE_LEN],
        gates: &[i16],
        c: &mut [i16],
        h: &mut [i16],
    ) {
        let hid = h.len();
        let cs = self.cell_shift;
        let (gi, rest) = gates.split_at(hid);
        let (gf, rest) = rest.split_at(hid);
        let (gg, go) = rest.split_at(hid);
        let chunks = c
            .chunks_mut(CELLS)
            .zip(h.chunks_mut(CELLS))
            .zip(gi.chunks(CELLS).zip(gf.chunks(CELLS)))
            .zip(gg.chunks(CELLS).zip(go.chunks(CELLS)));
        for (((c, h), (gi, gf)), (gg, go)) in chunks {
            let n = c.len();
            // The sigmoid gates i, f, o side by side, then g.
            let mut x = [0i16; 3 * CELLS];
            x[..n].copy_from_slice(gi);
            x[CELLS..CELLS + n].copy_from_slice(gf);
            x[2 * CELLS..2 * CELLS + n].copy_from_slice(go);
            let mut y = [0i16; 3 * CELLS];
            lookup_batch(s, &x, &mut y);
            let mut gx = [0i16; CELLS];
            gx[..n].copy_from_slice(gg);
            let mut g = [0i16; CELLS];
            lookup_batch(t, &gx, &mut g);
            let (i, rest) = y.split_at(CELLS);
            let (f, o) = rest.split_at(CELLS);
            let mut cx = [0i16; CELLS];
            for ((((cx, c), &i), &f), &g) in cx.iter_mut().zip(c.iter_mut()).zip(i).zip(f).zip(&g) {
                *c = new_cell(i, f, g, *c, cs);
                *cx = cell_in_gate_units(*c, cs).clamp(TABLE_LO, -TABLE_LO - 1) as i16;
            }
            let mut th = [0i16; CELLS];
            lookup_batch(t, &cx, &mut th);
            for ((h, &o), &th) in h.iter_mut().zip(o).zip(&th) {
                *h = new_hidden(o, i32::from(th));
            }
        }
    }
}

/// Cells per chunk of [`Step::update_batched`].
const CELLS: usize = 16;

/// `c' = f·c + i·g`, saturated to `i16`, with `i, f, g` in Q15 and the cell at `2^-cs`.
#[inline(always)]
fn new_cell(i: i16, f: i16, g: i16, c: i16, cs: u32) -> i16 {
    // f·c: Q15 × 2^-cs → 2^-cs; i·g: Q30 → 2^-cs. Every product is below 2^30 in magnitude
    // (i16 × i16), so `i32` holds them exactly.
    let cn = shift_round32(i32::from(f) * i32::from(c), HIDDEN_BITS)
        + shift_round32(i32::from(i) * i32::from(g), 2 * HIDDEN_BITS - cs);
    cn.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

/// A cell at `2^-cs` in gate units (`|c| < 2^15`, `cs ≤ 15`: at most `2^26`).
#[inline(always)]
fn cell_in_gate_units(c: i16, cs: u32) -> i32 {
    let c = i32::from(c);
    if cs >= GATE_BITS {
        shift_round32(c, cs - GATE_BITS)
    } else {
        c << (GATE_BITS - cs)
    }
}

/// `h = o · tanh(c')` in Q15, saturated to `i16`.
#[inline(always)]
fn new_hidden(o: i16, tanh_c: i32) -> i16 {
    shift_round32(i32::from(o) * tanh_c, HIDDEN_BITS)
        .clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

#[cfg(test)]
mod tests {
    use super::{PAIRS_MAX, Rows, conv3x3_add, requant_add_rows, requant_add_rows_uniform};
    use crate::config::{Direction, LstmPart};
    use crate::fixed::lookup;

    /// `pxby_dsp::lstm_cells` (the Cortex-M4's assembly cell update; its portable twin on the
    /// host) equals [`Step::update_with`] with the model's tables, for every cell shift it
    /// takes, on random gates and cells and on the extremes.
    #[test]
    fn dsp_cell_update_equals_the_portable_one() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/models/default-int8.pxby"
        );
        let bytes = std::fs::read(path).unwrap();
        let model = crate::Model::from_bytes(&bytes).unwrap();
        let p = model.int.unwrap();
        let (sig, tanh) = (
            p.sigmoid.first_chunk().unwrap(),
            p.tanh.first_chunk().unwrap(),
        );
        let mut s = 0x51ed_2705u32;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s as i16
        };
        let l = model.weights.lstm(0, Direction::Forward);
        for cs in 0..=11 {
            for round in 0..4 {
                let n = 32;
                let mut gates = [0i16; 128];
                let mut c = [0i16; 32];
                for v in gates.iter_mut().chain(c.iter_mut()) {
                    *v = match round {
                        0 => i16::MIN,
                        1 => i16::MAX,
                        _ => next(),
                    };
                }
                let (mut c2, mut h, mut h2) = (c, [0i16; 32], [0i16; 32]);
                let step = super::Step::new(&p, l, cs, &[]);
                step.update_with(
                    &gates,
                    &mut c,
                    &mut h,
                    |x| lookup(p.sigmoid, x),
                    |x| lookup(p.tanh, x),
                );
                pxby_dsp::portable::lstm_cells(&gates, &mut c2, &mut h2, sig, tanh, cs);
                assert_eq!((c2, h2), (c, h), "cell shift {cs}, round {round}");
                assert!(pxby_dsp::lstm_cells(
                    &gates,
                    &mut c2[..n],
                    &mut h2,
                    sig,
                    tanh,
                    cs
                ));
            }
        }
        let (mut c, mut h) = ([0i16; 4], [0i16; 4]);
        assert!(!pxby_dsp::lstm_cells(
            &[0; 16], &mut c, &mut h, sig, tanh, 12
        ));
        assert!(!pxby_dsp::lstm_cells(
            &[0; 12], &mut c, &mut h, sig, tanh, 8
        ));
    }

    /// The default model's per-position matrices really run widened (not the fallback) when
    /// an image is attached and the buffers are word-aligned, with the same gates.
    #[test]
    fn widened_rows_run_widened_with_the_same_gates() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/models/default-int8.pxby"
        );
        let bytes = std::fs::read(path).unwrap();
        let model = crate::Model::from_bytes(&bytes).unwrap();
        let image: std::vec::Vec<u32> = crate::wide::widen(&model)
            .unwrap()
            .as_chunks::<4>()
            .0
            .iter()
            .map(|b| u32::from_le_bytes(*b))
            .collect();
        let mut wide = model.clone();
        wide.attach_wide(bytemuck::cast_slice(&image)).unwrap();
        let cfg = *model.config();
        let mut widened = 0;
        for (layer, dir, part) in [
            (0, Direction::Forward, LstmPart::WeightHh),
            (0, Direction::Reverse, LstmPart::WeightHh),
            (1, Direction::Forward, LstmPart::WeightIh),
            (1, Direction::Forward, LstmPart::WeightHh),
        ] {
            let l = model.weights.lstm(layer, dir);
            let bias = if part == LstmPart::WeightIh {
                LstmPart::BiasIh
            } else {
                LstmPart::BiasHh
            };
            let rows = Rows::new(l.get(part), l.get(bias), &[]);
            let hh = part == LstmPart::WeightHh;
            let fast = Rows::new(
                l.get(part),
                l.get(bias),
                wide.wide.get(&cfg, layer, dir, hh),
            );
            let (n, cols) = (l.get(part).rows(), l.get(part).cols());
            let mut xw = [0u32; 16];
            let mut ow = [0u32; 64];
            let x: &mut [i16] = &mut bytemuck::cast_slice_mut(&mut xw)[..cols];
            for (i, v) in x.iter_mut().enumerate() {
                *v = (i as i16).wrapping_mul(2311) ^ 0x5a5a;
            }
            let out: &mut [i16] = &mut bytemuck::cast_slice_mut(&mut ow)[..n];
            for (i, v) in out.iter_mut().enumerate() {
                *v = (i as i16).wrapping_mul(977);
            }
            let mut want = out.to_vec();
            let mut pairs = [0u32; PAIRS_MAX];
            assert!(
                !rows.add(x, &mut pairs, &mut want),
                "no image: the pairs path"
            );
            widened += usize::from(fast.add(x, &mut pairs, out));
            assert_eq!(out, &want[..], "layer {layer} {dir:?} {part:?}");
        }
        assert_eq!(widened, 4);
    }
    use crate::model::conv_taps;
    use crate::quant::{BIAS_LIMIT, UNIFORM_SHIFTS};

    /// The shared-shift requantisation equals the per-row one on every shared shift, for dot
    /// products of up to 256 columns and biases within the bound, extremes included.
    #[test]
    fn shared_shift_requantisation_equals_the_per_row_loop() {
        let mut s = 0x9e37_79b9u32;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        };
        for shift in UNIFORM_SHIFTS {
            let n = 64;
            let mut dots: std::vec::Vec<i32> = (0..n)
                .map(|_| (next() as i32) >> (1 + next() % 31))
                .collect();
            let mut bias: std::vec::Vec<i32> = (0..n)
                .map(|_| (next() as i32) >> (1 + next() % 31))
                .collect();
            let mut mult: std::vec::Vec<i16> =
                (0..n).map(|_| (next() % 32767 + 1) as i16).collect();
            (dots[0], bias[0], mult[0]) = (1 << 30, BIAS_LIMIT, i16::MAX);
            (dots[1], bias[1], mult[1]) = (-(1 << 30), -BIAS_LIMIT, 1);
            let start: std::vec::Vec<i16> = (0..n).map(|_| next() as i16).collect();
            let (mut want, mut got) = (start.clone(), start);
            let shifts = std::vec![shift as u8; n];
            requant_add_rows(&mut want, &dots, &mult, &shifts, &bias);
            requant_add_rows_uniform(&mut got, &dots, &mult, shift, &bias);
            assert_eq!(got, want, "shift {shift}");
        }
    }

    /// The integer path's tap table lists the f32 path's taps, cell by cell.
    #[test]
    fn written_out_convolution_matches_the_taps() {
        let mut s = 0x7f4a_7c15u32;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        };
        for _ in 0..64 {
            let w: [u8; 9] = core::array::from_fn(|_| next() as u8);
            let x: [i16; 9] = core::array::from_fn(|_| next() as i16);
            let mut got = [7i32; 9];
            conv3x3_add(&w, &x, &mut got);
            let mut want = [7i32; 9];
            for (p, a) in want.iter_mut().enumerate() {
                for (k, q) in conv_taps(p) {
                    *a += i32::from(w[k] as i8) * i32::from(x[q]);
                }
            }
            assert_eq!(got, want);
        }
    }
}
