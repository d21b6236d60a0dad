//! `pxby quantize`: an integer file ([`WeightType::Int`]) from an f32 model file and the dataset
//! it was trained on, without the training run.
//!
//! The f32 tensors are read back from the model file, the activation ranges are calibrated
//! ([`pxby_core::calibrate::calibrate`]: min/max, no percentile) on windows of the dataset's
//! training split picked by [`pxby_data::windows::evenly_spaced`] (the rule
//! `host-train export --weights int` uses), and [`write_int_model`] writes the file with the f32
//! file's metadata.
//!
//! ```
//! use pxby_core::{config::ModelConfig, format::{random_weights, write_model, Metadata}};
//! use pxby_core::{quant::WeightType, Model};
//! use pxby_data::dataset::{Dataset, Item};
//! use pxby_tools::quantize::{quantize, QuantizeOptions};
//! let cfg = ModelConfig { dim: 18, d_state: 8, ..ModelConfig::PAPER_BEST };
//! let w = random_weights(&cfg, 1, 1.0);
//! let list: Vec<(&str, &[f32])> = w.iter().map(|(n, v)| (*n, v.as_slice())).collect();
//! let f32_file = write_model(&cfg, &Metadata::default(), WeightType::F32, &list)?;
//! let item = Item::new(1, "Tiny".into(), 1, 2, &[60, 61], &[32, 33])?;
//! let ds = Dataset::new(25, "test".into(), vec![item]);
//! let options = QuantizeOptions { force: true, ..QuantizeOptions::default() };
//! let (bytes, report) = quantize(&Model::from_bytes(&f32_file)?, &ds, &options)?;
//! assert_eq!(Model::from_bytes(&bytes)?.weights(), WeightType::Int);
//! // "(1, 2)\n" + two pixels and "\n" + "ab\n": 13 tokens, 13 windows at stride 1.
//! assert_eq!((report.windows, report.of_windows), (13, 13));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use pxby_core::Model;
use pxby_core::calibrate::{Ranges, calibrate, write_int_model};
use pxby_core::context::{Context, contexts};
use pxby_core::quant::WeightType;
use pxby_data::dataset::{Dataset, Split};
use pxby_data::windows::{CALIBRATION_WINDOWS, evenly_spaced};

/// Contexts per calibration window (SPEC §5's training `seq_len`).
pub const SEQ_LEN: usize = 128;

/// How to calibrate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantizeOptions {
    /// Calibration windows (evenly spaced over all training windows).
    pub windows: usize,
    /// Tokens between the starts of the training windows they are picked from (the training
    /// run's stride; the default model's last epochs ran at 1).
    pub stride: usize,
    /// Contexts per window.
    pub seq_len: usize,
    /// Calibrate even when the dataset's hash is not the one the model was trained on.
    pub force: bool,
}

impl Default for QuantizeOptions {
    fn default() -> Self {
        QuantizeOptions {
            windows: CALIBRATION_WINDOWS,
            stride: 1,
            seq_len: SEQ_LEN,
            force: false,
        }
    }
}

/// Why a model could not be quantised.
#[derive(Debug, thiserror::Error)]
pub enum QuantizeError {
    /// The model is not an f32 file (the integer file is calibrated from f32 weights; an int8
    /// or integer file has lost precision already).
    #[error(
        "the model has {0:?} weights; pxby quantize needs an f32 file (host-train export --weights f32)"
    )]
    NotF32(WeightType),
    /// The dataset is not the one the model was trained on.
    #[error(
        "the dataset's content hash is {data}, the model was trained on {model} \
         (--force calibrates on it anyway)"
    )]
    DatasetMismatch {
        /// The model metadata's `dataset_hash`.
        model: String,
        /// The dataset's content hash.
        data: String,
    },
    /// The training split has no window (or `--windows 0`).
    #[error("no calibration window: the training split is empty (or --windows is 0)")]
    NoWindows,
    /// The model file lacks a tensor of its configuration (never for a file that loads).
    #[error("the model file lacks tensor {0}")]
    MissingTensor(&'static str),
    /// Calibration or writing failed.
    #[error("{0}")]
    Core(#[from] pxby_core::Error),
}

/// What [`quantize`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantizeReport {
    /// Calibration windows run.
    pub windows: usize,
    /// Training windows they were picked from.
    pub of_windows: usize,
    /// The ranges they gave (largest absolute value per activation boundary).
    pub ranges: Ranges,
    /// Whether the dataset's hash differed from the model's (allowed by `force`).
    pub hash_differs: bool,
}

/// The training split's contexts, item by item (items in file order).
fn train_contexts(ds: &Dataset) -> Vec<Vec<Context>> {
    ds.split(Split::Train)
        .map(|item| contexts(&item.tokens).collect())
        .collect()
}

/// Calibrates the f32 `model` on `ds`'s training split and returns the integer file's bytes.
/// Errors: see [`QuantizeError`].
pub fn quantize(
    model: &Model<'_>,
    ds: &Dataset,
    options: &QuantizeOptions,
) -> Result<(Vec<u8>, QuantizeReport), QuantizeError> {
    if model.weights() != WeightType::F32 {
        return Err(QuantizeError::NotF32(model.weights()));
    }
    let meta = model.metadata();
    let hash = ds.content_hash();
    let hash_differs = hash != meta.dataset_hash;
    if hash_differs && !options.force {
        return Err(QuantizeError::DatasetMismatch {
            model: meta.dataset_hash.to_string(),
            data: hash,
        });
    }
    let cfg = *model.config();
    let mut owned = Vec::new();
    for spec in cfg.tensors() {
        let values = model
            .tensor_f32(spec.name)
            .ok_or(QuantizeError::MissingTensor(spec.name))?;
        owned.push((spec.name, values));
    }
    let tensors: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    let items = train_contexts(ds);
    let stride = options.stride.max(1);
    let of_windows = items.iter().map(|c| c.len().div_ceil(stride)).sum();
    let windows = evenly_spaced(
        items.iter().map(Vec::as_slice),
        options.seq_len,
        stride,
        options.windows,
    );
    if windows.is_empty() {
        return Err(QuantizeError::NoWindows);
    }
    let ranges = calibrate(model, windows.iter().map(Vec::as_slice))?;
    let bytes = write_int_model(&cfg, meta, &tensors, &ranges)?;
    Ok((
        bytes,
        QuantizeReport {
            windows: ranges.windows,
            of_windows,
            ranges,
            hash_differs,
        },
    ))
}
