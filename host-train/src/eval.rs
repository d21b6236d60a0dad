//! `host-train eval`: the SPEC §8 evaluation of a run's tch model, through the shared code of
//! [`pxby_data::eval`] (windows, greedy generation, metrics): this module only supplies a
//! [`Predictor`] for tch models, so every family (including those pxby-core does not run) is
//! scored exactly like the exported files.

use std::path::Path;

use pxby_core::context::Context;
use pxby_core::vocab::VOCAB_SIZE;
use pxby_data::dataset::{Dataset, Split};
use pxby_data::eval::{EvalError, EvalOptions, EvalReport, Predictor, evaluate};
use tch::{Device, Kind, Tensor};

use crate::data;
use crate::error::{Error, Result};
use crate::export::Which;
use crate::model::Family;
use crate::run::RunConfig;
use crate::stats::Stats;
use crate::train::{self, load_model};
use crate::windows::Windows;

/// A [`Predictor`] over a tch model (one window per call, batch 1, no gradients).
pub struct TchPredictor<'a> {
    model: &'a dyn Family,
    device: Device,
}

impl<'a> TchPredictor<'a> {
    /// A predictor for `model`, whose variables live on `device`.
    pub fn new(model: &'a dyn Family, device: Device) -> Self {
        TchPredictor { model, device }
    }
}

impl Predictor for TchPredictor<'_> {
    fn logits(&mut self, window: &[Context], out: &mut [f32; VOCAB_SIZE]) -> Result<(), EvalError> {
        let _guard = tch::no_grad_guard();
        let xs: Vec<i64> = window
            .iter()
            .flat_map(|c| c.iter().map(|&t| i64::from(t)))
            .collect();
        let x = Tensor::from_slice(&xs)
            .view([1, window.len() as i64, 9])
            .to_device(self.device);
        let y = self
            .model
            .forward(&x)
            .to_device(Device::Cpu)
            .to_kind(Kind::Float)
            .flatten(0, -1);
        let v = Vec::<f32>::try_from(y).map_err(|e| EvalError::Predictor(e.to_string()))?;
        if v.len() != VOCAB_SIZE {
            return Err(EvalError::Predictor(format!(
                "model gave {} logits, expected {VOCAB_SIZE}",
                v.len()
            )));
        }
        out.copy_from_slice(&v);
        Ok(())
    }
}

fn read_split(data: &Path) -> Result<Dataset> {
    Dataset::read(data).map_err(|e| Error::Dataset {
        path: data.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Evaluates a pxby-core model file (f32 or int8) with pxby-tools' `CorePredictor`, for
/// side-by-side comparison with [`eval_run`].
pub fn eval_model_file(
    model: &Path,
    data: &Path,
    split: Split,
    options: &EvalOptions,
) -> Result<EvalReport> {
    let bytes = pxby_data::input::read_input(model, pxby_data::input::MODEL)?;
    let m = pxby_core::Model::from_bytes(&bytes).map_err(|e| Error::BadCheckpoint {
        path: model.to_path_buf(),
        reason: format!("not a pxby-core model file: {e}"),
    })?;
    let ds = read_split(data)?;
    let items: Vec<_> = ds.split(split).collect();
    let mut predictor = pxby_data::eval::CorePredictor::new(&m);
    evaluate(&items, options, &mut predictor).map_err(|e| Error::Eval(e.to_string()))
}

/// Evaluates the run's best (or last) model on a split of `data`.
pub fn eval_run(
    run_dir: &Path,
    data: &Path,
    which: Which,
    split: Split,
    options: &EvalOptions,
    device: Device,
) -> Result<EvalReport> {
    let (built, _) = load_model(&which.path(run_dir), device)?;
    let ds = read_split(data)?;
    let items: Vec<_> = ds.split(split).collect();
    let mut predictor = TchPredictor::new(built.model.as_ref(), device);
    evaluate(&items, options, &mut predictor).map_err(|e| Error::Eval(e.to_string()))
}

/// The trainer's validation metrics (SPEC §5 windows of the run's length; loss, next-token
/// accuracy, weighted F1) of the run's best (or last) model on every window of a split that
/// starts every `stride` tokens: stride 1 scores every token of the split, where the trainer
/// validates on a fixed stride-32 subset each epoch. The items are those the run uses (its
/// `limit_items` applies). `stride` must be at least 1.
pub fn next_token(
    run_dir: &Path,
    data: &Path,
    which: Which,
    split: Split,
    stride: usize,
    device: Device,
) -> Result<Stats> {
    if stride == 0 {
        return Err(Error::Usage("the window stride must be at least 1".into()));
    }
    let cfg = RunConfig::load(run_dir)?;
    let (built, _) = load_model(&which.path(run_dir), device)?;
    let mut items = data::from_dataset(&read_split(data)?, cfg.limit_items);
    let seqs = match split {
        Split::Val => items.val,
        Split::Train => items.train,
        Split::All => {
            items.train.append(&mut items.val);
            items.train
        }
    };
    let windows = Windows::new(seqs, cfg.seq_len, stride);
    if windows.is_empty() {
        return Err(Error::Usage(format!(
            "{} has no {} items to score",
            data.display(),
            format!("{split:?}").to_lowercase()
        )));
    }
    train::evaluate(built.model.as_ref(), &windows, device)
}
