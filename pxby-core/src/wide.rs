//! Widened weights: an integer model's LSTM matrices laid out for the Cortex-M4's SMLAD loop
//! ([`pxby_dsp::wide_gates`]), kept in flash beside the model file.
//!
//! The SMLAD instruction multiplies pairs of `i16`. Int8 weights must be split and sign-extended
//! first (SXTB16, two per four weights), and each row's products need their own loads; that
//! loop costs 1.375 instructions per multiply-add. A *widened* matrix stores the same int8
//! values as `i16` pairs, four rows interleaved, with each block's biases and multipliers
//! beside its weights, so that one `ldm` feeds four SMLAD of four rows: 0.69 instructions per
//! multiply-add, and the requantisation in the same loop. It takes more than twice the bytes
//! of the matrices it covers (27 KB for the paper's model), so it is not part of the model
//! file (still ≤ 40 KB): the firmware's build script writes it with `widen` (feature `alloc`)
//! next to the file it embeds, and the firmware attaches it with [`Model::attach_wide`]. The
//! results are the same with and without it, bit for bit (the tests compare them).
//!
//! Covered: the matrices that run at every window position — every LSTM's `W_hh` and the
//! `W_ih` of layers after the first — when their rows share one requantisation shift and
//! their biases are bounded ([`Tensor::uniform_shift`], [`Tensor::is_bounded`]: what
//! `pxby quantize` writes) and the shift is at most 32 (the multiplier and shift become one
//! 32-bit multiplier for SMMULR), with a multiple of 4 rows and of 8 columns (the paper's 16
//! and 32).
//!
//! Layout (little-endian `u32` words): the magic `PXWI`, the version (2), the CRC of the model
//! file it was made from, the number of matrices; then per matrix its index (`2 · lstm + part`,
//! the LSTMs in the order layer 0 forward, layer 0 reverse, layers 1.. forward; part 0 is
//! `W_ih`, 1 is `W_hh`), its word count, and its words in [`pxby_dsp::wide_gates`]' layout.
//!
//! ```
//! use pxby_core::calibrate::{calibrate, write_int_model};
//! use pxby_core::config::ModelConfig;
//! use pxby_core::format::{random_weights, write_model, Metadata};
//! use pxby_core::quant::WeightType;
//! use pxby_core::{context::contexts, vocab::VOCAB_SIZE, wide::widen, Model};
//! let cfg = ModelConfig { dim: 27, d_state: 16, ..ModelConfig::PAPER_BEST };
//! let w = random_weights(&cfg, 3, 1.0);
//! let list: Vec<(&str, &[f32])> = w.iter().map(|(n, v)| (*n, v.as_slice())).collect();
//! let f32_bytes = write_model(&cfg, &Metadata::default(), WeightType::F32, &list)?;
//! let window: Vec<_> = contexts(&[30, 31, 32, 2, 33, 34, 35]).collect();
//! let ranges = calibrate(&Model::from_bytes(&f32_bytes)?, [window.as_slice()])?;
//! let bytes = write_int_model(&cfg, &Metadata::default(), &list, &ranges)?;
//! let model = Model::from_bytes(&bytes)?;
//! let image: Vec<u32> = bytemuck::cast_slice(&widen(&model)?).to_vec(); // 4-aligned copy
//! let mut wide = model.clone();
//! wide.attach_wide(bytemuck::cast_slice(&image))?;
//! let mut scratch = vec![0i16; model.int_scratch_len_for(window.len())];
//! let (mut a, mut b) = ([0i32; VOCAB_SIZE], [0i32; VOCAB_SIZE]);
//! model.int_logits_for(&window, &mut scratch, &mut a)?;
//! wide.int_logits_for(&window, &mut scratch, &mut b)?;
//! assert_eq!(a, b);
//! # Ok::<(), pxby_core::Error>(())
//! ```
#![deny(clippy::float_arithmetic)]

use crate::config::{Direction, LstmPart, MAX_DEPTH, ModelConfig};
use crate::error::{Error, QuantError};
use crate::intparams::lstm_index;
use crate::model::Model;
use crate::quant::Tensor;
use pxby_dsp::{pair, wide_block_words};

/// The first word of an image: `PXWI`.
pub const MAGIC: u32 = u32::from_le_bytes(*b"PXWI");
/// The layout version this runtime reads.
pub const VERSION: u32 = 2;

/// Matrix slots of an image: two parts of each of up to `MAX_DEPTH + 1` LSTMs.
const SLOTS: usize = 2 * (MAX_DEPTH + 1);

/// The widened matrices attached to a [`Model`]: one word slice per slot (empty: not widened).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct WideMatrices<'a> {
    m: [&'a [u32]; SLOTS],
}

impl<'a> WideMatrices<'a> {
    /// The widened words of one matrix (empty when it is not widened).
    #[inline]
    pub(crate) fn get(
        &self,
        config: &ModelConfig,
        layer: usize,
        dir: Direction,
        hh: bool,
    ) -> &'a [u32] {
        let i = lstm_index(config, layer, dir);
        self.m.get(2 * i + usize::from(hh)).copied().unwrap_or(&[])
    }
}

/// The LSTMs of a configuration in image order ([`lstm_index`]): layer 0 forward, layer 0
/// reverse (if bidirectional), layers 1.. forward.
fn lstms(config: &ModelConfig) -> impl Iterator<Item = (usize, Direction)> {
    let rev = config.bidirectional.then_some((0, Direction::Reverse));
    core::iter::once((0, Direction::Forward))
        .chain(rev)
        .chain((1..config.depth as usize).map(|k| (k, Direction::Forward)))
}

/// The widenable matrices of a model: `(slot, weight, bias)` for every `W_hh` and every `W_ih`
/// after the first layer that [`widenable`] accepts.
fn matrices<'m, 'a>(
    model: &'m Model<'a>,
) -> impl Iterator<Item = (usize, &'m Tensor<'a>, &'m Tensor<'a>)> {
    lstms(model.config())
        .enumerate()
        .flat_map(move |(i, (layer, dir))| {
            let l = model.weights.lstm(layer, dir);
            let ih =
                (layer > 0).then(|| (2 * i, l.get(LstmPart::WeightIh), l.get(LstmPart::BiasIh)));
            let hh = (
                2 * i + 1,
                l.get(LstmPart::WeightHh),
                l.get(LstmPart::BiasHh),
            );
            ih.into_iter()
                .chain([hh])
                .filter(|(_, w, b)| widenable(w, b))
        })
}

/// Whether a matrix can be widened: integer, rows a multiple of 4, columns a multiple of 8 (at
/// most 256), one shared shift of at most 32 (so that a 32-bit multiplier holds it) and
/// bounded biases.
fn widenable(w: &Tensor<'_>, b: &Tensor<'_>) -> bool {
    w.is_int_matrix()
        && w.rows() > 0
        && w.rows().is_multiple_of(4)
        && w.cols().is_multiple_of(8)
        && (8..=256).contains(&w.cols())
        && w.uniform_shift().is_some_and(|s| s <= 32)
        && b.is_bounded()
        && b.len() == w.rows()
}

/// Words of a widened matrix: one block per four rows.
fn matrix_words(w: &Tensor<'_>) -> usize {
    w.rows() / 4 * wide_block_words(w.cols() / 2)
}

/// Word `i` of the widened form of `w` and its bias `b` (see [`pxby_dsp::wide_gates`]).
fn word(w: &Tensor<'_>, b: &Tensor<'_>, i: usize) -> u32 {
    let pairs = w.cols() / 2;
    let (block, j) = (i / wide_block_words(pairs), i % wide_block_words(pairs));
    let row = 4 * block;
    if j < 4 {
        b.int_at(row + j) as u32
    } else if j < 4 + 4 * pairs {
        let (p, r) = ((j - 4) / 4, row + (j - 4) % 4);
        let v = |c: usize| i16::from(w.row_i8(r).get(c).map_or(0, |&v| v as i8));
        pair(v(2 * p), v(2 * p + 1))
    } else {
        // The row's multiplier and shift as one 32-bit multiplier (`widenable`: shift ≤ 32).
        let q = w.requant(row + j - 4 - 4 * pairs);
        (q.multiplier as u32) << (32 - q.shift.min(32))
    }
}

fn refused() -> Error {
    Error::Quant(QuantError::WideImage)
}

impl<'a> Model<'a> {
    /// Attaches a widened-weights image (see the [module docs](self)): the integer forward
    /// pass then reads the matrices it covers from it. (In place, not by value: a `Model`
    /// holds a view of every tensor, and a microcontroller's stack should not hold two.) On
    /// an error the model is unchanged. The image must have been made by `widen` (feature
    /// `alloc`) from this very file: its CRC, every matrix's shape and every word are checked
    /// against the model (a few instructions per word, once).
    ///
    /// Errors: [`Error::BadMagic`], [`Error::UnsupportedVersion`], [`Error::Truncated`],
    /// [`Error::TrailingBytes`] for a malformed image; [`QuantError::WideImage`] for bytes
    /// that are not 4-aligned or an image of another model; [`Error::Unsupported`] for a
    /// model that is not integer.
    pub fn attach_wide(&mut self, bytes: &'a [u8]) -> Result<(), Error> {
        if self.int.is_none() {
            return Err(Error::Unsupported);
        }
        if cfg!(target_endian = "big") {
            return Err(refused());
        }
        let words: &'a [u32] = bytemuck::try_cast_slice(bytes).map_err(|_| {
            if bytes.len().is_multiple_of(4) {
                refused()
            } else {
                Error::Truncated
            }
        })?;
        let [magic, version, crc, count, rest @ ..] = words else {
            return Err(Error::Truncated);
        };
        if *magic != MAGIC {
            return Err(Error::BadMagic);
        }
        if *version != VERSION {
            return Err(Error::UnsupportedVersion(
                u16::try_from(*version).unwrap_or(u16::MAX),
            ));
        }
        if *crc != self.crc() {
            return Err(refused());
        }
        let mut wide = WideMatrices::default();
        let mut rest = rest;
        for _ in 0..*count {
            let [slot, len, tail @ ..] = rest else {
                return Err(Error::Truncated);
            };
            let (slot, len) = (*slot as usize, *len as usize);
            let Some((_, w, b)) = matrices(self).find(|(s, _, _)| *s == slot) else {
                return Err(refused());
            };
            if len != matrix_words(w) || !wide.m[slot].is_empty() {
                return Err(refused());
            }
            let Some((m, tail)) = tail.split_at_checked(len) else {
                return Err(Error::Truncated);
            };
            if m.iter().enumerate().any(|(i, &v)| v != word(w, b, i)) {
                return Err(refused());
            }
            wide.m[slot] = m;
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(Error::TrailingBytes);
        }
        self.wide = wide;
        Ok(())
    }
}

/// The widened-weights image of an integer model (see the [module docs](self)): every matrix
/// that can be widened. Errors with [`Error::Unsupported`] for a model that is not integer.
#[cfg(feature = "alloc")]
pub fn widen(model: &Model<'_>) -> Result<alloc::vec::Vec<u8>, Error> {
    if model.int.is_none() {
        return Err(Error::Unsupported);
    }
    let list: alloc::vec::Vec<_> = matrices(model).collect();
    let mut out = alloc::vec::Vec::new();
    let mut put = |v: u32| out.extend_from_slice(&v.to_le_bytes());
    for v in [MAGIC, VERSION, model.crc(), list.len() as u32] {
        put(v);
    }
    for (slot, w, b) in list {
        put(slot as u32);
        put(matrix_words(w) as u32);
        for i in 0..matrix_words(w) {
            put(word(w, b, i));
        }
    }
    Ok(out)
}
