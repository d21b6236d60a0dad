//! The model file: layout, zero-copy reader ([`ModelFile::parse`]) and (feature `alloc`)
//! writer (`write_model`).
//!
//! This module knows bytes, not maths: it turns a file into a configuration, its metadata and
//! the typed tensor table ([`Weights`]), and back. It sits above `config`, `quant` and
//! `weights` and below the `model` module, which wraps a [`ModelFile`] into a runnable model
//! (`Model::from_bytes`); it never names the model.
//!
//! # Layout (version 1, all integers little-endian)
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 4 | magic `PXBY` |
//! | 4 | 2 | format version (`u16`, currently 1) |
//! | 6 | 4 | header length `n` (`u32`) |
//! | 10 | n | header: [postcard](https://docs.rs/postcard) encoding of `Header` (below) |
//! | 10+n | 0..3 | zero padding to a multiple of 4 |
//! | p | … | weight payload: every tensor of [`ModelConfig::tensors`], in that order |
//! | end−4 | 4 | CRC-32 (ISO-HDLC, as zlib) of every byte before it |
//!
//! The header is `{ config: ModelConfig, dtypes: [WeightType], meta: Metadata }`: the
//! configuration, one storage type per tensor (int8 only for matrices), and the training
//! metadata (dataset hash, epochs, training seconds, creation string, notes, up to 16 named f32
//! metrics; strings are borrowed from the file). The tensor table itself is not stored: names,
//! shapes and order follow from the configuration ([`ModelConfig::tensors`]) and each tensor's
//! offset from the sizes before it:
//! - an f32 tensor is `4·len` bytes of little-endian f32;
//! - an int8 matrix (`rows × cols`) is `4·rows` bytes of f32 row scales, then `rows·cols`
//!   bytes of i8, then zero padding to a multiple of 4.
//!
//! - an integer tensor ([`WeightType::Int`]; an integer file stores *every* tensor this way)
//!   is, for a matrix (`rows × cols`), `rows` little-endian `i16` multipliers, `rows` `u8`
//!   shifts, then `rows·cols` bytes of i8, then zero padding to a multiple of 4; for a vector,
//!   `len` little-endian `i32`.
//!
//! (How one tensor is stored is the business of its [`WeightType`], in [`crate::quant`]; a new
//! storage type brings its own rule there and this framing stays as it is.)
//!
//! ## Integer files
//! An integer file is the same framing with every dtype `Int` and, between the last tensor and
//! the CRC, the integer block ([`crate::intparams`]), all little-endian:
//!
//! | size | content |
//! |---|---|
//! | 4 | `u32` table length, 257 |
//! | 514 | sigmoid table: `i16` Q15 of `σ(−8 + i/16)`, `i = 0..=256` |
//! | 514 | tanh table, same grid |
//! | 16 | `f32` activation scales: mix, projection, embedding output, LayerNorm weight |
//! | 4 | `u32` LayerNorm epsilon in (projection scale)² units |
//! | 8 | LayerNorm output factor: `i32` multiplier, `u32` shift |
//! | 4 | `u32` number of LSTMs: `depth`, plus 1 if bidirectional |
//! | 4 each | `u32` cell-state shift per LSTM: layer 0 forward, layer 0 reverse, layers 1.. |
//!
//! What the integers of each tensor mean (a matrix row's factor `M · 2^-shift` maps its
//! accumulator `Σ w·x + bias` to the output scale; see [`crate::fixed`] for the fixed scales):
//!
//! | tensor | row factor: input scale → output scale | vector |
//! |---|---|---|
//! | `embed.alpha` | — | `σ(alpha)` in Q15 (`0..=32768`) |
//! | `embed.embedding.weight` | 1 (the i8 itself) → mix (PxBy) or embedding output (center) | — |
//! | `embed.conv.weight`, `.bias` | mix → mix | bias in accumulator units |
//! | `embed.proj.weight`, `.bias` | mix → projection | bias in accumulator units |
//! | `embed.norm.weight`, `.bias` | — | weight as `i16` at the LayerNorm-weight scale; bias in units of that scale · 2^-11 |
//! | `lstm.K.weight_ih` / `bias_ih` | embedding output (K = 0) or Q15 → gates Q4.11 | bias in accumulator units |
//! | `lstm.K.weight_hh` / `bias_hh` | Q15 → gates Q4.11 | bias in accumulator units |
//! | `head.weight` / `.bias` | Q15 → logits `2^-12` | bias in accumulator units |
//!
//! Loading an integer file also checks (each a [`QuantError`] inside [`Error::Quant`]): the
//! table length (checked first: it frames the block), every dtype `Int` and no matrix wider
//! than [`crate::intparams::MAX_INT_COLS`], each factor's multiplier positive and shift in
//! `1..=62`, cell shifts ≤ 15, `σ(alpha)` and the LayerNorm weights in range, the LSTM count,
//! and the four scales finite and positive. The writer is
//! `calibrate::write_int_model` (feature `alloc`); it gives all rows of a matrix one shift
//! (`calibrate::matrix_requants`), and a bias below `2^30` in magnitude. Files whose rows have
//! shifts of their own, or larger biases, load and give the same results through a per-row
//! loop; the shared shift lets the kernels requantise a whole matrix in one loop (vectorised on
//! x86_64), which loading notes per tensor ([`crate::quant::Tensor::uniform_shift`],
//! [`crate::quant::Tensor::is_bounded`]).
//!
//! The file must end exactly after the CRC. Loading checks, in order: length of the fixed
//! prefix, magic, version, header length, header decoding, configuration validity and size
//! limits, tensor table, (integer files) table length, total length (truncated / trailing
//! bytes), CRC, (integer files) the integer parameters, then that every stored f32 (the values
//! of f32 tensors, the row scales of int8 matrices) is finite ([`Error::NonFinite`] names the
//! first tensor that is not). Each failure is a distinct [`Error`]; nothing panics and nothing is allocated. Values are decoded with
//! `f32::from_le_bytes` on the fly, so the bytes may sit anywhere (e.g. `&'static` in flash)
//! with any alignment.
//!
//! ```
//! use pxby_core::{config::ModelConfig, format::{write_model, Metadata, Metric}, quant::WeightType, Model};
//! let cfg = ModelConfig { dim: 18, d_state: 8, ..ModelConfig::PAPER_BEST };
//! let owned: Vec<(&str, Vec<f32>)> =
//!     cfg.tensors().map(|t| (t.name, vec![0.01; t.len()])).collect();
//! let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
//! let mut meta = Metadata { epochs: 3, notes: "demo", ..Metadata::default() };
//! meta.metrics.push(Metric { name: "val_loss", value: 1.5 }).unwrap();
//! let bytes = write_model(&cfg, &meta, WeightType::I8, &list)?;
//! let model = Model::from_bytes(&bytes)?;
//! assert_eq!(model.config(), &cfg);
//! assert_eq!(model.metadata().metric("val_loss"), Some(1.5));
//! assert_eq!(model.weights(), WeightType::I8);
//! assert!(Model::from_bytes(&bytes[..bytes.len() - 1]).is_err());
//! # Ok::<(), pxby_core::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::config::{MAX_TENSORS, ModelConfig};
#[cfg(feature = "alloc")]
use crate::config::{Slot, TensorSpec};
use crate::error::{Error, QuantError};
use crate::intparams::{self, IntParams};
use crate::quant::{Tensor, WeightType};
use crate::weights::Weights;

/// First four bytes of every model file.
pub const MAGIC: [u8; 4] = *b"PXBY";
/// The format version this build reads and writes.
pub const VERSION: u16 = 1;
/// Largest `dim` / `d_state` accepted (anything larger is [`Error::TooLarge`]).
pub const MAX_WIDTH: u16 = 4096;
/// Largest number of metrics in [`Metadata`].
pub const MAX_METRICS: usize = 16;

const PREFIX: usize = 10;
const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// A named training metric.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric<'a> {
    /// Name, e.g. `val_loss`.
    pub name: &'a str,
    /// Value.
    pub value: f32,
}

/// Training metadata stored in the header; strings are borrowed from the file.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Metadata<'a> {
    /// Content hash of the dataset the model was trained on.
    pub dataset_hash: &'a str,
    /// Epochs trained.
    pub epochs: u32,
    /// Training wall time in seconds.
    pub train_seconds: f32,
    /// Creation string (e.g. an ISO date and tool version).
    pub created: &'a str,
    /// Free-form notes.
    pub notes: &'a str,
    /// Up to 16 named metrics.
    #[serde(borrow)]
    pub metrics: heapless::Vec<Metric<'a>, MAX_METRICS>,
}

impl Metadata<'_> {
    /// The value of the first metric with this name.
    pub fn metric(&self, name: &str) -> Option<f32> {
        self.metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }
}

#[derive(Serialize, Deserialize)]
struct Header<'a> {
    config: ModelConfig,
    dtypes: heapless::Vec<WeightType, MAX_TENSORS>,
    #[serde(borrow)]
    meta: Metadata<'a>,
}

fn align4(n: u64) -> u64 {
    n.div_ceil(4) * 4
}

/// Checks a configuration against the runtime's limits.
fn check_config(config: &ModelConfig) -> Result<(), Error> {
    if !config.is_valid() {
        return Err(Error::InvalidConfig);
    }
    if config.dim > MAX_WIDTH || config.d_state > MAX_WIDTH {
        return Err(Error::TooLarge);
    }
    Ok(())
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// A model file taken apart and checked: what `Model::from_bytes` runs. Everything is borrowed
/// from the file bytes (zero-copy).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelFile<'a> {
    /// The model configuration.
    pub config: ModelConfig,
    /// Training metadata.
    pub meta: Metadata<'a>,
    /// `Int` for an integer file, else `I8` when any matrix is stored quantised, else `F32`.
    pub weight_type: WeightType,
    /// Views of every tensor, by slot.
    pub weights: Weights<'a>,
    /// The integer-inference block ([`WeightType::Int`] files only).
    pub int: Option<IntParams<'a>>,
    /// Size of the file in bytes.
    pub file_size: usize,
    /// CRC-32 (ISO-HDLC) stored at the end of the file.
    pub crc: u32,
}

impl<'a> ModelFile<'a> {
    /// Parses and checks a model file (the checks and their order are in the
    /// [module docs](self)). Never panics and never allocates, whatever the bytes.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        if bytes.len() < PREFIX + 4 {
            return Err(Error::Truncated);
        }
        if bytes[..4] != MAGIC {
            return Err(Error::BadMagic);
        }
        let version = u16_at(bytes, 4);
        if version != VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        let hlen = u64::from(u32_at(bytes, 6));
        let header_end = PREFIX as u64 + hlen;
        if header_end + 4 > bytes.len() as u64 {
            return Err(Error::Truncated);
        }
        let header_bytes = &bytes[PREFIX..header_end as usize];
        let (header, rest): (Header<'a>, _) =
            postcard::take_from_bytes(header_bytes).map_err(|_| Error::BadHeader)?;
        if !rest.is_empty() {
            return Err(Error::BadHeader);
        }
        let config = header.config;
        check_config(&config)?;
        let n_tensors = config.tensors().count();
        if header.dtypes.len() != n_tensors {
            return Err(Error::LayoutMismatch);
        }
        // One walk over the tensor table: storage types, payload length and the views (cut
        // from the bytes after the header, checked against the length only below).
        let payload_start = align4(header_end);
        let after_header = bytes.get(payload_start as usize..).unwrap_or(&[]);
        let mut weights = Weights::EMPTY;
        let mut views_ok = true;
        let mut payload_len = 0u64;
        let mut any_i8 = false;
        let mut any_int = false;
        for (spec, &dtype) in config.tensors().zip(header.dtypes.iter()) {
            if dtype == WeightType::I8 {
                if !spec.quantisable {
                    return Err(Error::LayoutMismatch);
                }
                any_i8 = true;
            }
            any_int |= dtype == WeightType::Int;
            let len = dtype.stored_len(&spec);
            let view = usize::try_from(payload_len)
                .ok()
                .zip(usize::try_from(payload_len + len).ok())
                .and_then(|(start, end)| after_header.get(start..end))
                .and_then(|b| {
                    Tensor::from_stored(dtype, spec.quantisable, spec.rows(), spec.cols(), b)
                })
                .filter(|view| view.len() == spec.len());
            match view {
                Some(view) => weights.set(spec.slot, view),
                None => views_ok = false,
            }
            payload_len += len;
        }
        // Integer files: the block after the tensors (its table length frames it).
        let block_start = payload_start + payload_len;
        let block_len = if any_int {
            let table_len = usize::try_from(block_start)
                .ok()
                .and_then(|i| bytes.get(i..))
                .and_then(IntParams::table_len)
                .ok_or(Error::Truncated)?;
            if table_len as usize != crate::fixed::TABLE_LEN {
                return Err(Error::Quant(QuantError::TableLength));
            }
            intparams::block_len(&config) as u64
        } else {
            0
        };
        let total = block_start + block_len + 4;
        let len = bytes.len() as u64;
        if len < total {
            return Err(Error::Truncated);
        }
        if len > total {
            return Err(Error::TrailingBytes);
        }
        let body = bytes.len() - 4;
        let stored = u32_at(bytes, body);
        let computed = CRC.checksum(&bytes[..body]);
        if stored != computed {
            return Err(Error::BadCrc { stored, computed });
        }
        if !views_ok {
            return Err(Error::LayoutMismatch);
        }
        let int = if any_int {
            intparams::check_weights(&config, &header.dtypes, &weights)?;
            let start = block_start as usize;
            Some(IntParams::parse(
                &config,
                &bytes[start..start + block_len as usize],
            )?)
        } else {
            None
        };
        // Every stored f32 (f32 values, int8 row scales) finite: one pass, so that no NaN or
        // infinity reaches a forward pass, on the host or on the firmware.
        for spec in config.tensors() {
            if !weights.get(spec.slot).is_finite() {
                return Err(Error::NonFinite(spec.name));
            }
        }
        Ok(ModelFile {
            config,
            meta: header.meta,
            weight_type: if any_int {
                WeightType::Int
            } else if any_i8 {
                WeightType::I8
            } else {
                WeightType::F32
            },
            weights,
            int,
            file_size: bytes.len(),
            crc: stored,
        })
    }
}

/// Seeded random weights for `config` (feature `alloc`): xorshift64* uniform in
/// `±gain / √fan_in` for every tensor, except LayerNorm (weight 1, bias 0). The shapes, file size
/// and per-token work of a real model, none of its skill: for builds, tests and benchmarks that
/// need a model before a trained one exists. Pass the result to [`write_model`].
///
/// ```
/// use pxby_core::{config::ModelConfig, format::{random_weights, write_model, Metadata}};
/// use pxby_core::{quant::WeightType, Model};
/// let cfg = ModelConfig::PAPER_BEST;
/// let weights = random_weights(&cfg, 7, 1.0);
/// let list: Vec<(&str, &[f32])> = weights.iter().map(|(n, v)| (*n, v.as_slice())).collect();
/// let bytes = write_model(&cfg, &Metadata::default(), WeightType::I8, &list)?;
/// assert_eq!(Model::from_bytes(&bytes)?.param_count(), cfg.param_count());
/// # Ok::<(), pxby_core::Error>(())
/// ```
#[cfg(feature = "alloc")]
pub fn random_weights(
    config: &ModelConfig,
    seed: u64,
    gain: f32,
) -> alloc::vec::Vec<(&'static str, alloc::vec::Vec<f32>)> {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let v = state.wrapping_mul(0x2545_f491_4f6c_dd1d);
        ((v >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    config
        .tensors()
        .map(|spec| {
            let n = spec.len();
            let data = if spec.slot == Slot::NormWeight {
                alloc::vec![1.0; n]
            } else if spec.slot == Slot::NormBias {
                alloc::vec![0.0; n]
            } else {
                let a = gain * crate::math::inv_sqrt(spec.cols().max(1) as f32);
                (0..n).map(|_| next() * a).collect()
            };
            (spec.name, data)
        })
        .collect()
}

/// Serialises a model (feature `alloc`): `tensors` gives every tensor of
/// [`ModelConfig::tensors`] by canonical name as row-major f32 (PyTorch `state_dict` order).
/// With [`WeightType::I8`], matrices are quantised here (per output row, symmetric); vectors
/// stay f32.
///
/// Errors: invalid or too large configuration, a missing tensor, a wrong element count, an
/// unknown or repeated name ([`Error::UnknownTensor`] with its index in `tensors`), NaN or
/// infinite weights, or more metadata than the header holds.
#[cfg(feature = "alloc")]
pub fn write_model(
    config: &ModelConfig,
    meta: &Metadata<'_>,
    weights: WeightType,
    tensors: &[(&str, &[f32])],
) -> Result<alloc::vec::Vec<u8>, Error> {
    use alloc::vec::Vec;
    check_config(config)?;
    if weights == WeightType::Int {
        // Integer files need calibrated activation ranges: `calibrate::write_int_model`.
        return Err(Error::Unsupported);
    }
    let mut dtypes = heapless::Vec::<WeightType, MAX_TENSORS>::new();
    let mut payload = Vec::new();
    for (spec, data) in resolve(config, tensors)? {
        let dtype = if spec.quantisable {
            weights
        } else {
            WeightType::F32
        };
        dtypes.push(dtype).map_err(|_| Error::Encode)?;
        dtype.encode(spec.cols(), data, &mut payload);
    }
    assemble(config, meta, dtypes, &payload)
}

/// Matches `tensors` (canonical name → row-major f32) to the configuration's tensor table, in
/// its order (feature `alloc`), with the writer's checks: every tensor given once, by a known
/// name, with the right length and finite values.
#[cfg(feature = "alloc")]
pub(crate) fn resolve<'t>(
    config: &ModelConfig,
    tensors: &[(&str, &'t [f32])],
) -> Result<alloc::vec::Vec<(TensorSpec, &'t [f32])>, Error> {
    use alloc::vec::Vec;
    check_config(config)?;
    let specs: Vec<TensorSpec> = config.tensors().collect();
    let mut given: Vec<Option<&[f32]>> = alloc::vec![None; specs.len()];
    for (i, (name, data)) in tensors.iter().enumerate() {
        let slot = specs
            .iter()
            .position(|s| s.name == *name)
            .ok_or(Error::UnknownTensor(i))?;
        if given[slot].is_some() {
            return Err(Error::UnknownTensor(i));
        }
        given[slot] = Some(data);
    }
    let mut out = Vec::with_capacity(specs.len());
    for (spec, data) in specs.into_iter().zip(given) {
        let data = data.ok_or(Error::MissingTensor(spec.name))?;
        if data.len() != spec.len() {
            return Err(Error::TensorLength {
                name: spec.name,
                expected: spec.len(),
                got: data.len(),
            });
        }
        if data.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite(spec.name));
        }
        out.push((spec, data));
    }
    Ok(out)
}

/// Frames a finished payload (feature `alloc`): magic, version, header, padding, `payload`,
/// CRC. `dtypes` has one storage type per tensor of the configuration.
#[cfg(feature = "alloc")]
pub(crate) fn assemble(
    config: &ModelConfig,
    meta: &Metadata<'_>,
    dtypes: heapless::Vec<WeightType, MAX_TENSORS>,
    payload: &[u8],
) -> Result<alloc::vec::Vec<u8>, Error> {
    use alloc::vec::Vec;
    let header = Header {
        config: *config,
        dtypes,
        meta: meta.clone(),
    };
    let hbytes = postcard::to_allocvec(&header).map_err(|_| Error::Encode)?;
    let mut out = Vec::with_capacity(PREFIX + hbytes.len() + 3 + payload.len() + 4);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(u32::try_from(hbytes.len()).map_err(|_| Error::Encode)?).to_le_bytes());
    out.extend_from_slice(&hbytes);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out.extend_from_slice(payload);
    let crc = CRC.checksum(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}
