//! What a sweep trains with ([`Budget`], fixed per results folder by `sweep.json`) and how it
//! is run ([`TableOptions`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::rows::Positions;
use crate::error::{Error, Result};
use crate::run::write_atomic;

/// File of the sweep's manifest inside `--out`.
pub const MANIFEST: &str = "sweep.json";

/// The training recipe every row shares. The default is the default model's recipe
/// (`fixtures/models/MODEL_CARD.md`): 128-token windows drawn fresh each epoch from all
/// stride-1 training windows, 710 AdamW steps of batch 32 per epoch at lr 1e-3, validation on
/// the fixed stride-32 windows of every validation item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Epochs per row (a larger number later extends finished rows).
    pub epochs: u32,
    /// Optimiser steps per epoch.
    pub steps_per_epoch: u64,
    /// Batch size.
    pub batch: usize,
    /// Window length.
    pub seq_len: usize,
    /// Training window stride (1 with `steps_per_epoch`: a fresh random draw each epoch).
    pub stride: usize,
    /// Validation window stride (SPEC §5's 32).
    pub val_stride: usize,
    /// AdamW learning rate.
    pub lr: f64,
    /// Seed of every row.
    pub seed: u64,
    /// Positional encoding of the attention rows.
    pub positions: Positions,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            epochs: 20,
            steps_per_epoch: 710,
            batch: 32,
            seq_len: 128,
            stride: 1,
            val_stride: 32,
            lr: 1e-3,
            seed: 0,
            positions: Positions::None,
        }
    }
}

impl Budget {
    /// The settings that must agree between a results folder and a new invocation: all but the
    /// epoch count (more epochs extend finished rows).
    fn fixed_part(&self) -> Budget {
        Budget {
            epochs: 0,
            ..self.clone()
        }
    }
}

/// How `host-train table` runs.
#[derive(Clone, Debug, PartialEq)]
pub struct TableOptions {
    /// Dataset file.
    pub data: PathBuf,
    /// Results folder.
    pub out: PathBuf,
    /// The training recipe.
    pub budget: Budget,
    /// Score only the first N validation items (`None`: all of them).
    pub eval_items: Option<usize>,
    /// At most this many SPEC §8 windows per item (`None`: every window).
    pub windows_per_item: Option<usize>,
    /// Train and score only this row.
    pub only: Option<String>,
    /// Rows trained at once, each in its own process.
    pub jobs: usize,
    /// `auto`, `cpu` or `cuda`.
    pub device: String,
    /// Use a results folder made with another dataset or budget (its runs are moved aside).
    pub force: bool,
    /// No per-epoch lines.
    pub quiet: bool,
}

/// `OUT/sweep.json`: the dataset and budget a results folder belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `Dataset::content_hash` of the dataset.
    pub dataset_hash: String,
    /// The recipe (its epoch count is the latest asked for).
    pub budget: Budget,
}

impl Manifest {
    /// Reads `OUT/sweep.json` if it exists.
    pub fn load(out: &Path) -> Result<Option<Manifest>> {
        let path = out.join(MANIFEST);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|source| Error::Json { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Writes `OUT/sweep.json`.
    pub fn save(&self, out: &Path) -> Result<()> {
        let path = out.join(MANIFEST);
        let text = serde_json::to_string_pretty(self).map_err(|source| Error::Json {
            path: path.clone(),
            source,
        })?;
        write_atomic(&path, text.as_bytes())
    }

    /// Why `self` (the folder's) and `other` (this invocation's) cannot share a results folder,
    /// if they cannot.
    pub fn conflict(&self, other: &Manifest) -> Option<String> {
        if self.dataset_hash != other.dataset_hash {
            return Some(format!(
                "it was made with dataset {} but this dataset has content hash {}",
                self.dataset_hash, other.dataset_hash
            ));
        }
        let (a, b) = (self.budget.fixed_part(), other.budget.fixed_part());
        (a != b).then(|| format!("it was made with budget {a:?}, this invocation asks for {b:?}"))
    }
}
