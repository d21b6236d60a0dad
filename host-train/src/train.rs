//! The training loop: AdamW on cross-entropy over SPEC §5 windows, one validation pass per
//! epoch, atomic checkpoints, best-by-validation-loss model, early stopping, exact resume.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use tch::{Device, Kind, Tensor, nn};

use crate::checkpoint;
use crate::error::{Error, Result};
use crate::model::{self, Family, ModelSpec};
use crate::optim::{AdamW, AdamWConfig};
use crate::run::{EpochRecord, RunConfig, Schedule, TrainState, files, write_metrics};
use crate::stats::Stats;
use crate::windows::{Sequence, SplitMix64, Windows};

/// Batch size of the validation pass (no gradients, so larger than training batches).
const EVAL_BATCH: usize = 256;

/// The items a run trains and validates on.
#[derive(Clone, Debug)]
pub struct TrainData {
    /// `Dataset::content_hash` of the source file.
    pub dataset_hash: String,
    /// Training items (id % 10 != 0).
    pub train: Vec<Sequence>,
    /// Validation items (id % 10 == 0).
    pub val: Vec<Sequence>,
}

/// How to run (not part of the run's configuration).
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// The run directory.
    pub out: PathBuf,
    /// Where tensors live.
    pub device: Device,
    /// `Some`: continue the run in `out` from its last checkpoint, switching to this schedule.
    pub resume: Option<Schedule>,
    /// Draw a progress bar (on stderr, only when it is a terminal).
    pub progress: bool,
    /// Print one line per epoch on stdout.
    pub verbose: bool,
}

/// A model in a var store, with its variables by canonical name.
pub struct Built {
    /// Owns the variables.
    pub vs: nn::VarStore,
    /// The model.
    pub model: Box<dyn Family>,
    /// Shallow clones of the variables, by canonical name.
    pub vars: BTreeMap<String, Tensor>,
}

/// Builds `spec` on `device` with the torch RNG seeded by `seed`.
pub fn build_model(spec: &ModelSpec, device: Device, seed: u64) -> Result<Built> {
    tch::manual_seed(seed as i64);
    let vs = nn::VarStore::new(device);
    let model = model::build(&vs.root(), spec)?;
    let vars: BTreeMap<String, Tensor> = vs.variables().into_iter().collect();
    Ok(Built { vs, model, vars })
}

/// Builds the model of a checkpoint or best-model file and loads its variables.
pub fn load_model(path: &Path, device: Device) -> Result<(Built, checkpoint::Checkpoint)> {
    let ckpt = checkpoint::load(path)?;
    let mut built = build_model(&ckpt.model, device, 0)?;
    checkpoint::restore_vars(path, &ckpt, &mut built.vars)?;
    Ok((built, ckpt))
}

fn to_i64s(t: &Tensor, what: &str) -> Result<Vec<i64>> {
    Vec::<i64>::try_from(t.to_device(Device::Cpu).to_kind(Kind::Int64).flatten(0, -1))
        .map_err(|e| Error::torch(what.to_string(), e))
}

fn to_f64(t: &Tensor, what: &str) -> Result<f64> {
    f64::try_from(t.to_device(Device::Cpu).to_kind(Kind::Double))
        .map_err(|e| Error::torch(what.to_string(), e))
}

/// Loss, accuracy and weighted F1 of `model` on every window of `windows`.
pub fn evaluate(model: &dyn Family, windows: &Windows, device: Device) -> Result<Stats> {
    let _guard = tch::no_grad_guard();
    let mut stats = Stats::default();
    let idx: Vec<usize> = (0..windows.len()).collect();
    for chunk in idx.chunks(EVAL_BATCH) {
        let (x, y) = windows.batch(chunk, device);
        let logits = model.forward(&x);
        let loss = to_f64(&logits.cross_entropy_for_logits(&y), "validation loss")?;
        let pred = to_i64s(&logits.argmax(-1, false), "validation predictions")?;
        stats.add(loss, &to_i64s(&y, "validation targets")?, &pred);
    }
    Ok(stats)
}

/// Trains (or, with `opts.resume`, continues) the run described by `cfg` in `opts.out`.
/// A resumed run keeps its saved `run.json` except for `epochs` and `patience` from `cfg` (to
/// extend a run) and the [`Schedule`] in `opts.resume`; the changes are saved to `run.json`.
/// Returns the final state.
pub fn train(cfg: RunConfig, data: &TrainData, opts: &TrainOptions) -> Result<TrainState> {
    let out = &opts.out;
    let ckpt_path = out.join(files::CHECKPOINT);
    let (cfg, resume_from) = if let Some(schedule) = opts.resume {
        let mut saved = RunConfig::load(out)?;
        if saved.dataset_hash != data.dataset_hash {
            return Err(Error::Usage(format!(
                "--resume: the run was trained on dataset {} but {} has hash {}",
                saved.dataset_hash,
                cfg.data.display(),
                data.dataset_hash
            )));
        }
        saved.epochs = cfg.epochs;
        saved.patience = cfg.patience;
        if saved.reschedule(schedule) && opts.verbose {
            println!(
                "from the next epoch on: learning rate {}, training stride {}, steps per epoch {}",
                saved.lr,
                saved.stride,
                saved.max_steps.map_or("all".to_string(), |n| n.to_string())
            );
        }
        saved.save(out)?;
        let from = ckpt_path.exists().then(|| ckpt_path.clone());
        (saved, from)
    } else {
        cfg.validate().map_err(Error::Usage)?;
        if out.exists() && !out.is_dir() {
            return Err(Error::Usage(format!(
                "--out {}: not a folder (a run is a folder; choose a new or empty one)",
                out.display()
            )));
        }
        if ckpt_path.exists() || out.join(files::RUN).exists() {
            return Err(Error::Usage(format!(
                "{} already holds a run; pass --resume to continue it or choose another --out",
                out.display()
            )));
        }
        // run.json is written once the model and the windows are known to be good (below), so
        // a start that fails leaves no run to block the retry.
        (cfg, None)
    };

    let device = opts.device;
    let mut built = build_model(&cfg.model, device, cfg.seed)?;
    let adam = AdamWConfig {
        lr: cfg.lr,
        weight_decay: cfg.weight_decay,
        ..Default::default()
    };
    let opt_vars = built
        .vars
        .iter()
        .map(|(k, t)| (k.clone(), t.shallow_clone()))
        .collect();
    let mut opt = AdamW::new(opt_vars, adam);
    let mut state = TrainState::start(cfg.seed);
    if let Some(path) = &resume_from {
        let ckpt = checkpoint::load(path)?;
        if ckpt.model != cfg.model {
            return Err(Error::BadCheckpoint {
                path: path.clone(),
                reason: format!(
                    "holds model {:?}, run.json says {:?}",
                    ckpt.model, cfg.model
                ),
            });
        }
        checkpoint::restore_vars(path, &ckpt, &mut built.vars)?;
        let missing = opt.load_state(&ckpt.tensors, ckpt.state.opt_step);
        if !missing.is_empty() {
            return Err(Error::BadCheckpoint {
                path: path.clone(),
                reason: format!("optimizer state lacks {}", missing.join(", ")),
            });
        }
        state = ckpt.state;
        state.stopped_early = cfg.patience.is_some_and(|p| state.bad_epochs >= p);
        if opts.verbose {
            println!("resuming {} after epoch {}", out.display(), state.epoch);
        }
    }
    let train_w = Windows::new(data.train.clone(), cfg.seq_len, cfg.stride);
    let val_w = Windows::new(data.val.clone(), cfg.seq_len, cfg.validation_stride());
    if train_w.is_empty() || val_w.is_empty() {
        return Err(Error::Usage(format!(
            "need training and validation windows (have {} and {})",
            train_w.len(),
            val_w.len()
        )));
    }
    if resume_from.is_none() && opts.resume.is_none() {
        std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
        cfg.save(out)?;
    }
    // metrics.csv always mirrors the checkpoint's history (drops a row a kill left behind).
    write_metrics(out, &state.history)?;
    let batch = cfg.batch.max(1);
    let full_steps = train_w.len().div_ceil(batch) as u64;
    let steps = cfg
        .max_steps
        .map_or(full_steps, |m| m.min(full_steps))
        .max(1);

    if opts.verbose {
        println!(
            "{} training windows (stride {}), {steps} steps of {batch} per epoch; {} validation windows",
            train_w.len(),
            cfg.stride,
            val_w.len()
        );
    }
    while state.epoch < cfg.epochs && !state.stopped_early {
        let epoch = state.epoch + 1;
        let started = Instant::now();
        let mut rng = SplitMix64(state.rng);
        let mut order: Vec<usize> = (0..train_w.len()).collect();
        rng.shuffle(&mut order);
        tch::manual_seed((cfg.seed ^ u64::from(epoch)) as i64);

        let bar = if opts.progress {
            ProgressBar::new(steps)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} {msg} {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(format!("epoch {epoch}/{}", cfg.epochs));
        let mut train_stats = Stats::default();
        for (k, chunk) in order.chunks(batch).take(steps as usize).enumerate() {
            let (x, y) = train_w.batch(chunk, device);
            let logits = built.model.forward(&x);
            let loss = logits.cross_entropy_for_logits(&y);
            opt.zero_grad();
            loss.backward();
            opt.step();
            let pred = to_i64s(&logits.detach().argmax(-1, false), "training predictions")?;
            train_stats.add(
                to_f64(&loss, "training loss")?,
                &to_i64s(&y, "targets")?,
                &pred,
            );
            bar.set_position(k as u64 + 1);
            bar.set_message(format!("loss {:.4}", train_stats.loss()));
        }
        bar.finish_and_clear();
        let val = evaluate(built.model.as_ref(), &val_w, device)?;
        let seconds = started.elapsed().as_secs_f64();
        let record = EpochRecord {
            epoch,
            steps,
            train_loss: train_stats.loss(),
            train_acc: train_stats.accuracy(),
            train_f1: train_stats.weighted_f1(),
            val_loss: val.loss(),
            val_acc: val.accuracy(),
            val_f1: val.weighted_f1(),
            seconds,
            lr: cfg.lr,
        };
        state.epoch = epoch;
        state.opt_step = opt.step;
        state.rng = rng.0;
        state.train_seconds += seconds;
        state.history.push(record.clone());
        let improved = record.val_loss < state.best_val_loss;
        if improved {
            state.best_val_loss = record.val_loss;
            state.best_epoch = epoch;
            state.bad_epochs = 0;
        } else {
            state.bad_epochs += 1;
        }
        if cfg.patience.is_some_and(|p| state.bad_epochs >= p) {
            state.stopped_early = true;
        }
        let model_tensors: Vec<(String, Tensor)> = built
            .vars
            .iter()
            .map(|(k, t)| (k.clone(), t.shallow_clone()))
            .collect();
        if improved {
            checkpoint::save(&out.join(files::BEST), &cfg.model, &state, &model_tensors)?;
        }
        let mut all = model_tensors;
        all.extend(opt.state());
        checkpoint::save(&ckpt_path, &cfg.model, &state, &all)?;
        write_metrics(out, &state.history)?;
        if let Err(e) = crate::plot::write_plots(out, &state.history) {
            eprintln!("warning: {e}");
        }
        if opts.verbose {
            println!(
                "epoch {epoch}/{}: train loss {:.4} acc {:.4} | val loss {:.4} acc {:.4} f1 {:.4} | {:.1} s, {:.1} steps/s{}",
                cfg.epochs,
                record.train_loss,
                record.train_acc,
                record.val_loss,
                record.val_acc,
                record.val_f1,
                seconds,
                steps as f64 / seconds,
                if improved { " (best)" } else { "" }
            );
        }
    }
    if opts.verbose && state.stopped_early {
        println!(
            "stopped early: no better validation loss for {} epochs (best: epoch {}, {:.4})",
            state.bad_epochs, state.best_epoch, state.best_val_loss
        );
    }
    Ok(state)
}
