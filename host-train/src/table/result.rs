//! `runs/NAME/result.json`: what a finished row stores.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::options::{Budget, TableOptions};
use super::score::ItemScore;
use crate::error::{Error, Result};
use crate::model::ModelSpec;
use crate::run::{EpochRecord, write_atomic};

/// File of a row's result inside its run directory.
pub const RESULT: &str = "result.json";

/// Version of the scoring; a result with another version is scored again (not retrained).
pub const SCORE_VERSION: u32 = 2;

/// What a row was scored on; a result scored on other settings is scored again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scoring {
    /// [`SCORE_VERSION`] when it was scored.
    pub version: u32,
    /// Only the first N validation items (`None`: all).
    pub items: Option<usize>,
    /// At most N SPEC §8 windows per item (`None`: all).
    pub windows_per_item: Option<usize>,
    /// Length of the teacher-forced windows.
    pub seq_len: usize,
    /// Their stride.
    pub val_stride: usize,
}

impl Scoring {
    /// The scoring `opts` asks for.
    pub fn of(opts: &TableOptions) -> Self {
        Scoring {
            version: SCORE_VERSION,
            items: opts.eval_items,
            windows_per_item: opts.windows_per_item,
            seq_len: opts.budget.seq_len,
            val_stride: opts.budget.val_stride,
        }
    }
}

/// What a finished row stores in `result.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowResult {
    /// Row name.
    pub name: String,
    /// The model trained.
    pub spec: ModelSpec,
    /// Number of trainable parameters.
    pub params: u64,
    /// Epochs trained.
    pub epochs: u32,
    /// Epoch of the scored (best-by-validation-loss) model.
    pub best_epoch: u32,
    /// Its validation loss.
    pub best_val_loss: f64,
    /// Seconds of training, per-epoch validation included.
    pub train_seconds: f64,
    /// Seconds of scoring.
    pub eval_seconds: f64,
    /// What it was scored on.
    pub scoring: Scoring,
    /// Per validation item sums (metrics and intervals are computed from them).
    pub items: Vec<ItemScore>,
    /// Per-epoch history (Figure 2).
    pub history: Vec<EpochRecord>,
}

impl RowResult {
    /// Whether this result answers `budget` scored by `scoring` (no training or scoring to do).
    pub fn is_current(&self, budget: &Budget, scoring: &Scoring) -> bool {
        self.epochs >= budget.epochs && &self.scoring == scoring
    }

    /// Reads a result file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        serde_json::from_str(&text).map_err(|source| Error::Json {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Writes it atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|source| Error::Json {
            path: path.to_path_buf(),
            source,
        })?;
        write_atomic(path, text.as_bytes())
    }
}
