//! What a run directory holds and how its files are named.
//!
//! ```text
//! RUN_DIR/run.json                the run's configuration (model, data, hyper-parameters)
//! RUN_DIR/checkpoint.safetensors  last finished epoch: model + AdamW moments + state (atomic)
//! RUN_DIR/best.safetensors        model of the epoch with the lowest validation loss (atomic)
//! RUN_DIR/metrics.csv             one row per finished epoch (rewritten atomically each epoch)
//! RUN_DIR/loss.png, accuracy.png, f1.png   curves, train and validation
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::ModelSpec;

/// File names inside a run directory.
pub mod files {
    /// Run configuration.
    pub const RUN: &str = "run.json";
    /// Last checkpoint.
    pub const CHECKPOINT: &str = "checkpoint.safetensors";
    /// Best-by-validation-loss model.
    pub const BEST: &str = "best.safetensors";
    /// Per-epoch metrics.
    pub const METRICS: &str = "metrics.csv";
}

/// The configuration of a run, fixed when it starts (`--resume` reuses it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The model.
    pub model: ModelSpec,
    /// Dataset file the run was started with.
    pub data: PathBuf,
    /// `Dataset::content_hash` of that file.
    pub dataset_hash: String,
    /// Window length.
    pub seq_len: usize,
    /// Stride of the training windows.
    pub stride: usize,
    /// Stride of the validation windows (`None`: the training stride). A small training stride
    /// with `max_steps` trains on a fresh random subset of all windows every epoch while the
    /// validation set stays fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_stride: Option<usize>,
    /// Batch size.
    pub batch: usize,
    /// AdamW learning rate.
    pub lr: f64,
    /// AdamW decoupled weight decay.
    pub weight_decay: f64,
    /// Maximum number of epochs.
    pub epochs: u32,
    /// Stop after this many epochs without a better validation loss.
    pub patience: Option<u32>,
    /// At most this many optimiser steps per epoch.
    pub max_steps: Option<u64>,
    /// Use only the first N training and the first N validation items.
    pub limit_items: Option<usize>,
    /// Seed of the initialisation and of the shuffling.
    pub seed: u64,
}

/// One finished epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: u32,
    /// Optimiser steps taken in this epoch.
    pub steps: u64,
    /// Mean training loss.
    pub train_loss: f64,
    /// Training next-token accuracy (predictions made during the epoch).
    pub train_acc: f64,
    /// Training weighted F1.
    pub train_f1: f64,
    /// Mean validation loss.
    pub val_loss: f64,
    /// Validation next-token accuracy.
    pub val_acc: f64,
    /// Validation weighted F1.
    pub val_f1: f64,
    /// Wall-clock seconds of the epoch (training + validation).
    pub seconds: f64,
    /// AdamW learning rate of the epoch (a resumed run may change it).
    #[serde(default = "default_lr")]
    pub lr: f64,
}

fn default_lr() -> f64 {
    1e-3
}

impl EpochRecord {
    /// CSV header of [`EpochRecord::csv_row`].
    pub const CSV_HEADER: [&'static str; 10] = [
        "epoch",
        "steps",
        "train_loss",
        "train_acc",
        "train_f1",
        "val_loss",
        "val_acc",
        "val_f1",
        "lr",
        "seconds",
    ];

    /// The fields of one CSV row (six decimals for the metrics, three for the seconds); the
    /// `csv` crate writes them ([`metrics_csv`]).
    pub fn csv_row(&self) -> [String; 10] {
        [
            self.epoch.to_string(),
            self.steps.to_string(),
            format!("{:.6}", self.train_loss),
            format!("{:.6}", self.train_acc),
            format!("{:.6}", self.train_f1),
            format!("{:.6}", self.val_loss),
            format!("{:.6}", self.val_acc),
            format!("{:.6}", self.val_f1),
            self.lr.to_string(),
            format!("{:.3}", self.seconds),
        ]
    }
}

/// Training progress stored in every checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Epochs finished.
    pub epoch: u32,
    /// Optimiser steps taken in total (AdamW's bias-correction counter).
    pub opt_step: i64,
    /// State of the shuffling PRNG after the last finished epoch.
    pub rng: u64,
    /// Lowest validation loss so far.
    pub best_val_loss: f64,
    /// Epoch of the lowest validation loss.
    pub best_epoch: u32,
    /// Epochs since the validation loss last improved.
    pub bad_epochs: u32,
    /// Training seconds summed over all sessions of the run.
    pub train_seconds: f64,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
    /// Every finished epoch.
    pub history: Vec<EpochRecord>,
}

impl TrainState {
    /// The state before the first epoch of a run seeded with `seed`.
    pub fn start(seed: u64) -> Self {
        TrainState {
            epoch: 0,
            opt_step: 0,
            rng: seed ^ 0x5EED_5EED_5EED_5EED,
            best_val_loss: f64::INFINITY,
            best_epoch: 0,
            bad_epochs: 0,
            train_seconds: 0.0,
            stopped_early: false,
            history: Vec::new(),
        }
    }
}

/// The schedule a resumed run may switch to from its next epoch on (`None` keeps the saved
/// value): `host-train train --resume --lr X --stride S --max-steps N`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Schedule {
    /// New AdamW learning rate.
    pub lr: Option<f64>,
    /// New training stride; the validation windows stay those the run has validated on.
    pub stride: Option<usize>,
    /// New cap on optimiser steps per epoch.
    pub max_steps: Option<u64>,
}

impl RunConfig {
    /// Stride of the validation windows: `val_stride`, else the training stride.
    pub fn validation_stride(&self) -> usize {
        self.val_stride.unwrap_or(self.stride)
    }

    /// Switches a saved run to `schedule`; returns whether anything changed. A new training
    /// stride keeps validation on the windows the run has validated on so far.
    pub fn reschedule(&mut self, schedule: Schedule) -> bool {
        let before = self.clone();
        if let Some(lr) = schedule.lr {
            self.lr = lr;
        }
        if let Some(stride) = schedule.stride
            && stride != self.stride
        {
            self.val_stride = Some(self.validation_stride());
            self.stride = stride;
        }
        if schedule.max_steps.is_some() {
            self.max_steps = schedule.max_steps;
        }
        *self != before
    }

    /// Reads `RUN_DIR/run.json`.
    pub fn load(run_dir: &Path) -> Result<Self> {
        let path = run_dir.join(files::RUN);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let cfg: RunConfig = serde_json::from_str(&text).map_err(|source| Error::Json {
            path: path.clone(),
            source,
        })?;
        cfg.validate()
            .map_err(|reason| Error::BadCheckpoint { path, reason })?;
        Ok(cfg)
    }

    /// Checks the values a run needs (a `run.json` is checked when loaded, a new run before it
    /// starts): a valid model configuration, window length, strides and batch of at least 1, a
    /// finite learning rate > 0 and a finite weight decay ≥ 0. Names every bad value.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let mut bad = Vec::new();
        if !self.model.config.is_valid() {
            bad.push(format!(
                "model {:?} is not a valid configuration",
                self.model.config
            ));
        }
        for (name, v) in [
            ("seq_len", Some(self.seq_len)),
            ("stride", Some(self.stride)),
            ("val_stride", self.val_stride),
            ("batch", Some(self.batch)),
        ] {
            if v == Some(0) {
                bad.push(format!("{name} is 0 (must be at least 1)"));
            }
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            bad.push(format!("lr is {} (must be a finite number > 0)", self.lr));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            bad.push(format!(
                "weight_decay is {} (must be a finite number ≥ 0)",
                self.weight_decay
            ));
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(bad.join("; "))
        }
    }

    /// Writes `RUN_DIR/run.json` atomically.
    pub fn save(&self, run_dir: &Path) -> Result<()> {
        let path = run_dir.join(files::RUN);
        let text = serde_json::to_string_pretty(self).map_err(|source| Error::Json {
            path: path.clone(),
            source,
        })?;
        write_atomic(&path, text.as_bytes())
    }
}

/// Writes `bytes` to `path` atomically ([`pxby_data::atomic::write_atomic`]: `path` holds
/// either its old or its new content, never a mix); errors name `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    pxby_data::atomic::write_atomic(path, bytes).map_err(|e| Error::io(path, e))
}

/// metrics.csv: the header and one row per finished epoch.
pub fn metrics_csv(history: &[EpochRecord]) -> Result<Vec<u8>> {
    let csv_err = |e: csv::Error| Error::io(files::METRICS, std::io::Error::other(e));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(EpochRecord::CSV_HEADER).map_err(csv_err)?;
    for r in history {
        w.write_record(r.csv_row()).map_err(csv_err)?;
    }
    w.into_inner()
        .map_err(|e| Error::io(files::METRICS, e.into_error()))
}

/// Writes metrics.csv from the history, atomically.
pub fn write_metrics(run_dir: &Path, history: &[EpochRecord]) -> Result<()> {
    write_atomic(&run_dir.join(files::METRICS), &metrics_csv(history)?)
}

#[cfg(test)]
mod tests {
    use pxby_core::config::ModelConfig;

    use super::*;
    use crate::model::FamilyKind;

    fn saved() -> RunConfig {
        RunConfig {
            model: ModelSpec {
                family: FamilyKind::Rnn,
                config: ModelConfig::PAPER_BEST,
            },
            data: "data.pxds".into(),
            dataset_hash: "h".into(),
            seq_len: 128,
            stride: 32,
            val_stride: None,
            batch: 32,
            lr: 1e-3,
            weight_decay: 0.01,
            epochs: 40,
            patience: Some(10),
            max_steps: None,
            limit_items: None,
            seed: 0,
        }
    }

    #[test]
    fn reschedule_changes_only_what_is_given_and_keeps_the_validation_windows() {
        let mut cfg = saved();
        assert!(!cfg.reschedule(Schedule::default()));
        assert!(!cfg.reschedule(Schedule {
            stride: Some(32),
            ..Schedule::default()
        }));
        assert_eq!(cfg, saved());

        let fresh = Schedule {
            lr: Some(3e-4),
            stride: Some(1),
            max_steps: Some(710),
        };
        assert!(cfg.reschedule(fresh));
        assert_eq!(
            (cfg.lr, cfg.stride, cfg.val_stride, cfg.max_steps),
            (3e-4, 1, Some(32), Some(710))
        );
        // A second switch still validates on the run's first windows.
        assert!(cfg.reschedule(Schedule {
            stride: Some(4),
            ..Schedule::default()
        }));
        assert_eq!((cfg.stride, cfg.val_stride, cfg.lr), (4, Some(32), 3e-4));
    }

    #[test]
    fn metrics_csv_bytes_are_those_of_the_hand_written_rows() {
        let rec = |epoch: u32, lr: f64, seconds: f64| EpochRecord {
            epoch,
            steps: 710,
            train_loss: 1.812_345_67,
            train_acc: 0.5,
            train_f1: f64::NAN,
            val_loss: 2.0,
            val_acc: 1.0 / 3.0,
            val_f1: 0.25,
            seconds,
            lr,
        };
        let history = [rec(1, 1e-3, 12.3456), rec(2, 0.0003, 1e4)];
        let text = String::from_utf8(metrics_csv(&history).unwrap()).unwrap();
        assert_eq!(
            text,
            "epoch,steps,train_loss,train_acc,train_f1,val_loss,val_acc,val_f1,lr,seconds\n\
             1,710,1.812346,0.500000,NaN,2.000000,0.333333,0.250000,0.001,12.346\n\
             2,710,1.812346,0.500000,NaN,2.000000,0.333333,0.250000,0.0003,10000.000\n"
        );
        assert_eq!(
            String::from_utf8(metrics_csv(&[]).unwrap()).unwrap(),
            "epoch,steps,train_loss,train_acc,train_f1,val_loss,val_acc,val_f1,lr,seconds\n"
        );
    }
}
