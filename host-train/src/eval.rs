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
    let m = load_model_file(model, &bytes)?;
    let ds = read_split(data)?;
    let items: Vec<_> = ds.split(split).collect();
    let mut predictor = pxby_data::eval::CorePredictor::new(&m);
    evaluate(&items, options, &mut predictor).map_err(|e| Error::Eval(e.to_string()))
}

/// Loads the pxby-core model file `path` (its `bytes`), naming it on error.
fn load_model_file<'a>(path: &Path, bytes: &'a [u8]) -> Result<pxby_core::Model<'a>> {
    pxby_core::Model::from_bytes(bytes).map_err(|e| Error::BadCheckpoint {
        path: path.to_path_buf(),
        reason: format!("not a pxby-core model file: {e}"),
    })
}

/// [`next_token`] for a pxby-core model file (f32, int8 or integer, run by pxby-core on one
/// thread): loss, next-token accuracy and weighted F1 on the SPEC §5 windows of `seq_len`
/// contexts starting every `stride` tokens, over every item of the split (a file has no run, so
/// no `limit_items`). On the same windows and items a run's exported model gives the run's
/// figures. `seq_len` and `stride` must be at least 1.
pub fn next_token_model_file(
    model: &Path,
    data: &Path,
    split: Split,
    seq_len: usize,
    stride: usize,
) -> Result<Stats> {
    if stride == 0 || seq_len == 0 {
        return Err(Error::Usage(
            "the window length and stride must be at least 1".into(),
        ));
    }
    let bytes = pxby_data::input::read_input(model, pxby_data::input::MODEL)?;
    let m = load_model_file(model, &bytes)?;
    let ds = read_split(data)?;
    let mut predictor = pxby_data::eval::CorePredictor::new(&m);
    let mut stats = Stats::default();
    let mut logits = [0.0f32; VOCAB_SIZE];
    let mut window = Vec::with_capacity(seq_len);
    for item in ds.split(split) {
        let ctxs: Vec<Context> = pxby_core::context::contexts(&item.tokens).collect();
        if ctxs.is_empty() {
            continue;
        }
        for start in pxby_data::windows::starts(ctxs.len(), stride) {
            let (contexts, target) = pxby_data::windows::window(&ctxs, start, seq_len);
            window.clear();
            window.extend(contexts.copied());
            predictor
                .logits(&window, &mut logits)
                .map_err(|e| Error::Eval(e.to_string()))?;
            let (loss, prediction) = loss_and_argmax(&logits, target);
            stats.add(loss, &[i64::from(target)], &[prediction as i64]);
        }
    }
    if stats.count() == 0 {
        return Err(Error::Usage(format!(
            "{} has no {} items to score",
            data.display(),
            format!("{split:?}").to_lowercase()
        )));
    }
    Ok(stats)
}

/// Cross-entropy of `target` in nats (log-sum-exp in f64, as `pxby eval` scores it) and the
/// most likely token (pxby-core's `argmax`: first on ties).
fn loss_and_argmax(logits: &[f32; VOCAB_SIZE], target: u8) -> (f64, usize) {
    let best = pxby_core::math::argmax(logits);
    let max = f64::from(logits[best]);
    let sum: f64 = logits.iter().map(|&l| (f64::from(l) - max).exp()).sum();
    let loss = max + sum.ln() - f64::from(logits[usize::from(target)]);
    (loss, best)
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
