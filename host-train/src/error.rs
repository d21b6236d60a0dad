//! The one error type of host-train.

use std::path::PathBuf;

/// Everything that can go wrong while training, evaluating or exporting.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// libtorch refused an operation (bad checkpoint, out of memory, ...).
    #[error("{context}: {source}")]
    Torch {
        /// What was being done.
        context: String,
        /// The cause.
        source: tch::TchError,
    },
    /// A checkpoint or model file is not what it should be (truncated, wrong model, ...).
    #[error("{path}: {reason}")]
    BadCheckpoint {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The dataset could not be read.
    #[error("dataset {path}: {reason}")]
    Dataset {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An argument or combination of arguments is invalid.
    #[error("{0}")]
    Usage(String),
    /// A JSON side file is malformed.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// The model file writer of pxby-core refused the model.
    #[error("writing the model file: {0}")]
    Format(String),
    /// The shared evaluation (pxby_data::eval) failed.
    #[error("evaluation: {0}")]
    Eval(String),
    /// Another process holds the lock of a Table 1 row.
    #[error("{0}")]
    RowBusy(String),
    /// An input file is not a regular file or exceeds its size limit (`pxby_data::input`).
    #[error(transparent)]
    Input(#[from] pxby_data::input::InputError),
    /// An output path resolves to one of the command's inputs (nothing was written).
    #[error(transparent)]
    OutputIsInput(#[from] pxby_data::paths::OutputIsInput),
    /// Drawing the plots failed.
    #[error("plot {path}: {reason}")]
    Plot {
        /// The image file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Wraps a libtorch error with what was being done.
    pub fn torch(context: impl Into<String>, source: tch::TchError) -> Self {
        Error::Torch {
            context: context.into(),
            source,
        }
    }
}
