//! Reading a dataset file (`pxby_data::dataset`) into training and validation sequences.

use std::path::Path;

use pxby_data::dataset::Dataset;

use crate::error::{Error, Result};
use crate::train::TrainData;
use crate::windows::Sequence;

/// Reads `path`, splits it by item (`Item::is_validation`: id % 10 == 0) and computes the
/// contexts of every item. With `limit`, keeps the first `limit` items of each split.
pub fn load(path: &Path, limit: Option<usize>) -> Result<TrainData> {
    let ds = Dataset::read(path).map_err(|e| Error::Dataset {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(from_dataset(&ds, limit))
}

/// Splits an already loaded dataset (see [`load`]).
pub fn from_dataset(ds: &Dataset, limit: Option<usize>) -> TrainData {
    let limit = limit.unwrap_or(usize::MAX);
    let seqs = |val: bool| -> Vec<Sequence> {
        ds.items
            .iter()
            .filter(|it| it.is_validation() == val && !it.tokens.is_empty())
            .take(limit)
            .map(|it| Sequence::from_tokens(it.id, &it.tokens))
            .collect()
    };
    TrainData {
        dataset_hash: ds.content_hash(),
        train: seqs(false),
        val: seqs(true),
    }
}
