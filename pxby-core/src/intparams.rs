//! The integer-inference block of a [`WeightType::Int`] model file: activation tables,
//! calibrated activation scales, the LayerNorm constants and the cell-state shifts, plus the
//! load-time checks of everything integer in such a file.
//!
//! The block follows the tensor payload (its byte layout is in [`crate::format`]); [`IntParams`]
//! borrows its tables from the file bytes. Like the tensors, it knows bytes and ranges, not the
//! forward pass that uses it ([`crate::integer`]).

use crate::config::{Direction, MAX_DEPTH, ModelConfig, Slot};
use crate::error::{Error, QuantError};
use crate::fixed::{MAX_CELL_SHIFT, Requant, TABLE_LEN};
use crate::quant::WeightType;
use crate::weights::Weights;

/// Widest matrix row (columns) an integer file may have: with |w| ≤ 128 and |x| ≤ 2^15 an
/// `i32` accumulator holds 2^31 / 2^22 = 512 products; 256 leaves room for the bias.
pub const MAX_INT_COLS: usize = 256;

/// The calibrated activation scales of the embedding front (real value = `q · scale`). All are
/// stored as f32 for inspection and for tests; the integer forward pass never reads them (their
/// effect is folded into the multipliers).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ActivationScales {
    /// PxByEmbed's embedding rows, convolution output and mix (`i16`).
    pub mix: f32,
    /// The projection's output, LayerNorm's input (`i16`).
    pub proj: f32,
    /// The embedding front's output, the first LSTM layer's input (`i16`).
    pub embed: f32,
    /// The LayerNorm weight (stored as `i16` values).
    pub norm_weight: f32,
}

/// The parsed integer block of a model file (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntParams<'a> {
    /// Sigmoid table: [`TABLE_LEN`] little-endian `i16`, Q15, at `x = −8 + i/16`.
    pub sigmoid: &'a [u8],
    /// Tanh table, same grid.
    pub tanh: &'a [u8],
    /// Calibrated activation scales.
    pub scales: ActivationScales,
    /// LayerNorm's epsilon in units of `scales.proj²` (rounded).
    pub ln_eps: u32,
    /// From `z · g + b` (normalised value at `2^-NORM_BITS` times the int16 LayerNorm weight)
    /// to the embedding output scale.
    pub norm: Requant,
    cell_shifts: [u8; MAX_DEPTH + 1],
}

/// Number of LSTMs (layer × direction) of a configuration: `depth`, plus one if bidirectional.
pub fn lstm_count(config: &ModelConfig) -> usize {
    config.depth as usize + usize::from(config.bidirectional)
}

/// The position of an LSTM in the cell-shift list (and in a widened-weights image,
/// [`crate::wide`]): layer 0 forward, layer 0 reverse (if bidirectional), then layers 1..
/// forward.
pub(crate) fn lstm_index(config: &ModelConfig, layer: usize, direction: Direction) -> usize {
    match (layer, direction) {
        (0, Direction::Forward) => 0,
        (_, Direction::Reverse) => 1,
        (k, Direction::Forward) => k + usize::from(config.bidirectional),
    }
}

/// Bytes of the block for `config` (with tables of [`TABLE_LEN`] entries).
pub fn block_len(config: &ModelConfig) -> usize {
    4 + (4 * TABLE_LEN).div_ceil(4) * 4 + 16 + 4 + 8 + 4 + 4 * lstm_count(config)
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

impl<'a> IntParams<'a> {
    /// The cell-state shift of one LSTM (cell state stored as `i16` at `2^-shift`).
    pub fn cell_shift(&self, config: &ModelConfig, layer: usize, direction: Direction) -> u32 {
        u32::from(self.cell_shifts[lstm_index(config, layer, direction)])
    }

    /// Reads the table length that starts the block at `bytes` (`None` if too short).
    pub(crate) fn table_len(bytes: &[u8]) -> Option<u32> {
        (bytes.len() >= 4).then(|| u32_at(bytes, 0))
    }

    /// Parses and checks a block of exactly [`block_len`] bytes.
    pub(crate) fn parse(config: &ModelConfig, bytes: &'a [u8]) -> Result<Self, Error> {
        let quant = |e| Err(Error::Quant(e));
        if bytes.len() != block_len(config) {
            return Err(Error::LayoutMismatch);
        }
        if u32_at(bytes, 0) as usize != TABLE_LEN {
            return quant(QuantError::TableLength);
        }
        let t = 2 * TABLE_LEN;
        let sigmoid = &bytes[4..4 + t];
        let tanh = &bytes[4 + t..4 + 2 * t];
        let mut at = 4 + (2 * t).div_ceil(4) * 4;
        let mut next = || {
            let v = u32_at(bytes, at);
            at += 4;
            v
        };
        let mut scale = [0.0f32; 4];
        for s in &mut scale {
            *s = f32::from_bits(next());
        }
        if scale.iter().any(|s| !s.is_finite() || *s <= 0.0) {
            return quant(QuantError::BadScale);
        }
        let ln_eps = next();
        let norm = Requant {
            multiplier: next() as i32,
            shift: next(),
        };
        check_requant(norm)?;
        let n = next() as usize;
        if n != lstm_count(config) {
            return quant(QuantError::Mismatch);
        }
        let mut cell_shifts = [0u8; MAX_DEPTH + 1];
        for c in cell_shifts.iter_mut().take(n) {
            let v = next();
            if v > MAX_CELL_SHIFT {
                return quant(QuantError::ShiftOutOfRange);
            }
            *c = v as u8;
        }
        Ok(IntParams {
            sigmoid,
            tanh,
            scales: ActivationScales {
                mix: scale[0],
                proj: scale[1],
                embed: scale[2],
                norm_weight: scale[3],
            },
            ln_eps,
            norm,
            cell_shifts,
        })
    }

    /// Appends the block (feature `alloc`). `cell_shifts` in the order of the module docs.
    #[cfg(feature = "alloc")]
    pub(crate) fn encode(
        scales: &ActivationScales,
        ln_eps: u32,
        norm: Requant,
        cell_shifts: &[u32],
        out: &mut alloc::vec::Vec<u8>,
    ) {
        out.extend_from_slice(&(TABLE_LEN as u32).to_le_bytes());
        out.extend_from_slice(&crate::fixed::sigmoid_table_q15());
        out.extend_from_slice(&crate::fixed::tanh_table_q15());
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
        for s in [scales.mix, scales.proj, scales.embed, scales.norm_weight] {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out.extend_from_slice(&ln_eps.to_le_bytes());
        out.extend_from_slice(&norm.multiplier.to_le_bytes());
        out.extend_from_slice(&norm.shift.to_le_bytes());
        out.extend_from_slice(&(cell_shifts.len() as u32).to_le_bytes());
        for s in cell_shifts {
            out.extend_from_slice(&s.to_le_bytes());
        }
    }
}

fn check_requant(r: Requant) -> Result<(), Error> {
    if r.multiplier <= 0 {
        Err(Error::Quant(QuantError::NonPositiveMultiplier))
    } else if !r.is_valid() {
        Err(Error::Quant(QuantError::ShiftOutOfRange))
    } else {
        Ok(())
    }
}

/// Checks the integer tensors of a file: every tensor stored as [`WeightType::Int`], matrices
/// at most [`MAX_INT_COLS`] wide with a valid [`Requant`] per row, `σ(alpha)` in Q15
/// (`0..=32768`) and LayerNorm weights within `i16`.
pub(crate) fn check_weights(
    config: &ModelConfig,
    dtypes: &[WeightType],
    weights: &Weights<'_>,
) -> Result<(), Error> {
    let mismatch = Err(Error::Quant(QuantError::Mismatch));
    if dtypes.iter().any(|&d| d != WeightType::Int) {
        return mismatch;
    }
    for spec in config.tensors() {
        let t = weights.get(spec.slot);
        if spec.quantisable {
            if t.cols() > MAX_INT_COLS {
                return mismatch;
            }
            for r in 0..t.rows() {
                check_requant(t.requant(r))?;
            }
        }
        let range = match spec.slot {
            Slot::Alpha => 0..=32768,
            Slot::NormWeight => -32768..=32767,
            _ => continue,
        };
        if (0..t.len()).any(|i| !range.contains(&t.int_at(i))) {
            return mismatch;
        }
    }
    Ok(())
}
