//! Calibration and the writer of integer files (feature `alloc`).
//!
//! [`calibrate`] runs the f32 model over calibration windows and records, at every activation
//! boundary ([`Boundary`]), the largest absolute value seen (symmetric min/max: no percentile,
//! no clipping of outliers). [`write_int_model`] turns f32 weights and those [`Ranges`] into a
//! [`WeightType::Int`] file:
//! - each boundary's scale is `max|v| / 32767` (int16, symmetric), except the fixed scales of
//!   [`crate::fixed`] (gates Q4.11, hidden states Q15, logits `2^-LOGIT_BITS`);
//! - each LSTM's cell state is stored at `2^-shift`, the largest shift (≤ 15) that holds its
//!   calibrated range in `i16`;
//! - matrices are quantised per output row as for [`WeightType::I8`]; each row gets the
//!   [`Requant`] `s_in · s_row / s_out` (15-bit multiplier, [`row_requant`]) and its bias
//!   `round(b / (s_in · s_row))` in `i32`.
//!
//! ```
//! use pxby_core::calibrate::{calibrate, write_int_model};
//! use pxby_core::config::ModelConfig;
//! use pxby_core::format::{random_weights, write_model, Metadata};
//! use pxby_core::quant::WeightType;
//! use pxby_core::{context::contexts, Model};
//! let cfg = ModelConfig::PAPER_BEST;
//! let w = random_weights(&cfg, 1, 1.0);
//! let list: Vec<(&str, &[f32])> = w.iter().map(|(n, v)| (*n, v.as_slice())).collect();
//! let f32_file = write_model(&cfg, &Metadata::default(), WeightType::F32, &list)?;
//! let window: Vec<_> = contexts(&[40, 41, 42, 1, 43]).collect();
//! let ranges = calibrate(&Model::from_bytes(&f32_file)?, [window.as_slice()])?;
//! assert_eq!(ranges.windows, 1);
//! let bytes = write_int_model(&cfg, &Metadata::default(), &list, &ranges)?;
//! assert_eq!(Model::from_bytes(&bytes)?.weights(), WeightType::Int);
//! # Ok::<(), pxby_core::Error>(())
//! ```

use alloc::vec::Vec;

use crate::config::{Direction, LstmPart, MAX_DEPTH, MAX_TENSORS, ModelConfig, Slot};
use crate::context::Context;
use crate::error::{Error, QuantError};
use crate::fixed::{GATE_BITS, HIDDEN_BITS, LOGIT_BITS, MAX_CELL_SHIFT, NORM_BITS, Requant};
use crate::format::{Metadata, assemble, resolve};
use crate::intparams::{ActivationScales, IntParams};
use crate::math::{abs, sigmoid};
use crate::model::{Boundary, LAYER_NORM_EPS, Model, Observe};
use crate::quant::{WeightType, quantise_row};
use crate::vocab::VOCAB_SIZE;

/// The largest absolute value seen at each activation boundary (see the [module docs](self)).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Ranges {
    /// PxByEmbed's embedding rows, convolution output and mix.
    pub mix: f32,
    /// The projection's output.
    pub proj: f32,
    /// The embedding front's output.
    pub embed: f32,
    /// Gate pre-activations, per forward LSTM layer (informational: gates use Q4.11).
    pub gates: [f32; MAX_DEPTH],
    /// Cell state per forward LSTM layer.
    pub cells: [f32; MAX_DEPTH],
    /// Gate pre-activations of the reverse first layer.
    pub gates_reverse: f32,
    /// Cell state of the reverse first layer.
    pub cell_reverse: f32,
    /// Windows run.
    pub windows: usize,
}

fn max_abs(acc: &mut f32, values: &[f32]) {
    for &v in values {
        let a = abs(v);
        if a > *acc {
            *acc = a; // NaN never compares greater
        }
    }
}

impl Observe for Ranges {
    fn observe(&mut self, at: Boundary, values: &[f32]) {
        let slot = match at {
            Boundary::Mix => &mut self.mix,
            Boundary::Proj => &mut self.proj,
            Boundary::Embed => &mut self.embed,
            Boundary::Gates(_, Direction::Reverse) => &mut self.gates_reverse,
            Boundary::Cell(_, Direction::Reverse) => &mut self.cell_reverse,
            Boundary::Gates(k, _) => &mut self.gates[(k as usize).min(MAX_DEPTH - 1)],
            Boundary::Cell(k, _) => &mut self.cells[(k as usize).min(MAX_DEPTH - 1)],
        };
        max_abs(slot, values);
    }
}

/// Runs the f32 `model` over each window of contexts (zero states per window, as in training)
/// and returns the ranges it saw. Errors: `model` is an integer file, or a context holds a
/// token outside the vocabulary.
pub fn calibrate<'w>(
    model: &Model<'_>,
    windows: impl IntoIterator<Item = &'w [Context]>,
) -> Result<Ranges, Error> {
    let mut ranges = Ranges::default();
    let mut scratch = Vec::new();
    let mut logits = [0.0f32; VOCAB_SIZE];
    for w in windows {
        scratch.resize(model.scratch_len_for(w.len()), 0.0);
        model.logits_observed(w, &mut scratch, &mut logits, &mut ranges)?;
        ranges.windows += 1;
    }
    Ok(ranges)
}

/// The [`Requant`] nearest to a real factor: `M · 2^-n` with `M` in `[2^30, 2^31)`.
/// Errors: the factor is not positive and finite ([`QuantError::BadScale`]) or needs a shift
/// outside `1..=62` ([`QuantError::ShiftOutOfRange`]).
pub fn requant_for(factor: f64) -> Result<Requant, Error> {
    if !(factor.is_finite() && factor > 0.0) {
        return Err(Error::Quant(QuantError::BadScale));
    }
    let (mut m, mut e) = (factor, 0i32);
    while m >= 1.0 {
        m /= 2.0;
        e += 1;
    }
    while m < 0.5 {
        m *= 2.0;
        e -= 1;
    }
    let mut q = (m * (1u64 << 31) as f64 + 0.5) as i64;
    if q == 1 << 31 {
        q >>= 1;
        e += 1;
    }
    let shift = 31 - e;
    let r = Requant {
        multiplier: q as i32,
        shift: shift.max(0) as u32,
    };
    if shift < 0 || !r.is_valid() {
        return Err(Error::Quant(QuantError::ShiftOutOfRange));
    }
    Ok(r)
}

/// The factor of one matrix row as a file stores it: a 15-bit multiplier in `[2^14, 2^15)`
/// (relative precision 2^-15, far finer than the int8 weights) and an 8-bit shift.
pub fn row_requant(factor: f64) -> Result<Requant, Error> {
    let r = requant_for(factor)?;
    let mut m = (i64::from(r.multiplier) + (1 << 15)) >> 16;
    let mut shift = i64::from(r.shift) - 16;
    if m == 1 << 15 {
        m >>= 1;
        shift -= 1;
    }
    let r = Requant {
        multiplier: m as i32,
        shift: shift.max(0) as u32,
    };
    if shift < 1 || !r.is_valid() {
        return Err(Error::Quant(QuantError::ShiftOutOfRange));
    }
    Ok(r)
}

/// The factors of a matrix's rows as a file stores them, all with one shift: that of the
/// largest factor's [`row_requant`] (its multiplier in `[2^14, 2^15)`), the others' multipliers
/// `round(factor · 2^shift)`, at least 1. A shared shift lets the kernels requantise a matrix
/// with one loop-wide shift (vectorised on x86_64); a multiplier of a row 2^7 times smaller
/// than the largest still has 8 bits, finer than its int8 weights. When the largest factor's
/// shift falls outside [`UNIFORM_SHIFTS`](crate::quant::UNIFORM_SHIFTS) (where the shared-shift
/// loop is exact), each row keeps its own [`row_requant`] instead. Errors: those of
/// [`row_requant`], or a factor that is not positive and finite ([`QuantError::BadScale`]).
pub fn matrix_requants(factors: &[f64]) -> Result<Vec<Requant>, Error> {
    let largest = factors.iter().fold(0.0f64, |m, &f| m.max(f));
    let Some(&first) = factors.first() else {
        return Ok(Vec::new());
    };
    let top = row_requant(if largest > 0.0 { largest } else { first })?;
    if !crate::quant::UNIFORM_SHIFTS.contains(&top.shift) {
        return factors.iter().map(|&f| row_requant(f)).collect();
    }
    let unit = (1u64 << top.shift) as f64;
    factors
        .iter()
        .map(|&f| {
            if !(f.is_finite() && f > 0.0) {
                return Err(Error::Quant(QuantError::BadScale));
            }
            let m = (f * unit + 0.5).clamp(1.0, 32767.0) as i32;
            Ok(Requant {
                multiplier: m,
                shift: top.shift,
            })
        })
        .collect()
}

/// A calibrated range as an int16 scale (`max / 32767`; 1.0 for a boundary never reached).
fn scale_of(range: f32) -> f32 {
    if range > 0.0 && range.is_finite() {
        range / 32767.0
    } else {
        1.0
    }
}

/// The largest shift in `0..=15` with `range · 2^shift ≤ 32767`.
fn cell_shift(range: f32) -> u32 {
    let mut s = MAX_CELL_SHIFT;
    while s > 0 && range * (1u32 << s) as f32 > 32767.0 {
        s -= 1;
    }
    s
}

fn round_i32(v: f64) -> Result<i32, Error> {
    let r = if v >= 0.0 { v + 0.5 } else { v - 0.5 };
    if r.is_finite() && r.abs() < f64::from(i32::MAX) {
        Ok(r as i32)
    } else {
        Err(Error::TooLarge)
    }
}

/// Serialises an integer model (feature `alloc`) from f32 weights (by canonical name, as
/// [`crate::format::write_model`] takes them) and calibrated [`Ranges`]. Errors: those of
/// `write_model`, a factor no [`Requant`] can hold, or a bias beyond `i32`.
pub fn write_int_model(
    config: &ModelConfig,
    meta: &Metadata<'_>,
    tensors: &[(&str, &[f32])],
    ranges: &Ranges,
) -> Result<Vec<u8>, Error> {
    let given = resolve(config, tensors)?;
    let center = config.embed == crate::config::Embed::Center;
    let s_mix = f64::from(scale_of(ranges.mix));
    let s_proj = f64::from(scale_of(ranges.proj));
    let s_embed = f64::from(scale_of(ranges.embed));
    let hidden = 1.0 / (1u64 << HIDDEN_BITS) as f64;
    let gate = 1.0 / (1u64 << GATE_BITS) as f64;
    let logit = 1.0 / (1u64 << LOGIT_BITS) as f64;
    // Input and output scale of every matrix, by slot.
    let io = |slot: Slot| -> (f64, f64) {
        match slot {
            Slot::Embedding if center => (1.0, s_embed),
            Slot::Embedding => (1.0, s_mix),
            Slot::ConvWeight => (s_mix, s_mix),
            Slot::ProjWeight => (s_mix, s_proj),
            Slot::Lstm {
                layer: 0,
                part: LstmPart::WeightIh,
                ..
            } => (s_embed, gate),
            Slot::Lstm { .. } => (hidden, gate),
            _ => (hidden, logit), // the head
        }
    };
    // The matrix whose accumulator a bias is added to.
    let matrix_of = |slot: Slot| -> Option<Slot> {
        Some(match slot {
            Slot::ConvBias => Slot::ConvWeight,
            Slot::ProjBias => Slot::ProjWeight,
            Slot::HeadBias => Slot::HeadWeight,
            Slot::Lstm {
                layer,
                direction,
                part: LstmPart::BiasIh,
            } => Slot::Lstm {
                layer,
                direction,
                part: LstmPart::WeightIh,
            },
            Slot::Lstm {
                layer,
                direction,
                part: LstmPart::BiasHh,
            } => Slot::Lstm {
                layer,
                direction,
                part: LstmPart::WeightHh,
            },
            _ => return None,
        })
    };
    // Per-row weight scales of every matrix (an all-zero row uses 1/127).
    let mut row_scales: Vec<(Slot, Vec<f32>)> = Vec::new();
    let mut payload = Vec::new();
    let mut dtypes = heapless::Vec::<WeightType, MAX_TENSORS>::new();
    let norm_w = given
        .iter()
        .find(|(s, _)| s.slot == Slot::NormWeight)
        .map(|(_, d)| d.iter().fold(0.0f32, |m, &v| m.max(abs(v))))
        .unwrap_or(0.0);
    let s_norm_w = if norm_w > 0.0 { norm_w / 32767.0 } else { 1.0 };
    let norm_unit = f64::from(s_norm_w) / (1u64 << NORM_BITS) as f64;
    for (spec, data) in &given {
        dtypes.push(WeightType::Int).map_err(|_| Error::Encode)?;
        if spec.quantisable {
            let cols = spec.cols().max(1);
            let (s_in, s_out) = io(spec.slot);
            let mut q = alloc::vec![0i8; data.len()];
            let mut scales = Vec::with_capacity(spec.rows());
            for (row, qrow) in data.chunks(cols).zip(q.chunks_mut(cols)) {
                let s = quantise_row(row, qrow);
                scales.push(if s > 0.0 { s } else { 1.0 / 127.0 });
            }
            let factors: Vec<f64> = scales
                .iter()
                .map(|&s| s_in * f64::from(s) / s_out)
                .collect();
            let requants = matrix_requants(&factors)?;
            for r in &requants {
                payload.extend_from_slice(&(r.multiplier as i16).to_le_bytes());
            }
            payload.extend(requants.iter().map(|r| r.shift as u8));
            payload.extend(q.iter().map(|&v| v as u8));
            while !payload.len().is_multiple_of(4) {
                payload.push(0);
            }
            row_scales.push((spec.slot, scales));
            continue;
        }
        for (i, &v) in data.iter().enumerate() {
            let q = match spec.slot {
                Slot::Alpha => round_i32(f64::from(sigmoid(v)) * 32768.0)?.clamp(0, 32768),
                Slot::NormWeight => {
                    round_i32(f64::from(v) / f64::from(s_norm_w))?.clamp(-32767, 32767)
                }
                Slot::NormBias => round_i32(f64::from(v) / norm_unit)?,
                slot => {
                    let m = matrix_of(slot).ok_or(Error::LayoutMismatch)?;
                    let (_, scales) = row_scales
                        .iter()
                        .find(|(s, _)| *s == m)
                        .ok_or(Error::LayoutMismatch)?;
                    round_i32(f64::from(v) / (io(m).0 * f64::from(scales[i])))?
                }
            };
            payload.extend_from_slice(&q.to_le_bytes());
        }
    }
    let scales = ActivationScales {
        mix: s_mix as f32,
        proj: s_proj as f32,
        embed: s_embed as f32,
        norm_weight: s_norm_w,
    };
    let (ln_eps, norm) = if center {
        (0, Requant::ONE)
    } else {
        let eps = f64::from(LAYER_NORM_EPS) / (s_proj * s_proj) + 0.5;
        (
            eps.min(f64::from(u32::MAX)) as u32,
            requant_for(norm_unit / s_embed)?,
        )
    };
    let mut cells = Vec::new();
    cells.push(cell_shift(ranges.cells[0]));
    if config.bidirectional {
        cells.push(cell_shift(ranges.cell_reverse));
    }
    for k in 1..config.depth as usize {
        cells.push(cell_shift(ranges.cells[k]));
    }
    IntParams::encode(&scales, ln_eps, norm, &cells, &mut payload);
    assemble(config, meta, dtypes, &payload)
}
