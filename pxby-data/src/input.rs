//! Reading an input file: the one way the host tools read a model, a dataset, a CSV or a sprite.
//!
//! An input must be a regular file (not a folder, a FIFO, a device such as `/dev/zero`, ...;
//! symbolic links to a regular file are followed), and its size is checked against the limit of
//! its [`Kind`] before anything is read; the read itself stops one byte past the limit, so a file
//! that grows meanwhile cannot exhaust memory either.
//!
//! | kind | limit | why |
//! |---|---|---|
//! | [`MODEL`] | 1 MiB | the handheld's flash; the paper's models are 40–140 KB |
//! | [`DATASET`] | 64 MiB | the real dataset is 0.8 MB |
//! | [`CSV`] | 16 MiB | the real `pokedex.csv` is 0.5 MB |
//! | [`SPRITE`] | 4 MiB | the real sprites are at most 4 KB |
//!
//! ```
//! use pxby_data::input::{read_input, InputError, MODEL};
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("m.pxby");
//! std::fs::write(&path, b"PXBY...")?;
//! assert_eq!(read_input(&path, MODEL)?, b"PXBY...");
//! assert!(matches!(read_input(dir.path(), MODEL), Err(InputError::NotAFile { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

/// A kind of input file and its size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    /// What the file is, for messages ("model file").
    pub what: &'static str,
    /// Largest accepted size in bytes.
    pub max_bytes: u64,
}

/// A model file (`.pxby`): at most 1 MiB.
pub const MODEL: Kind = Kind {
    what: "model file",
    max_bytes: 1 << 20,
};
/// A dataset file (`.pxds`): at most 64 MiB.
pub const DATASET: Kind = Kind {
    what: "dataset file",
    max_bytes: 64 << 20,
};
/// A source CSV (`pokedex.csv`): at most 16 MiB.
pub const CSV: Kind = Kind {
    what: "CSV file",
    max_bytes: 16 << 20,
};
/// A sprite image: at most 4 MiB.
pub const SPRITE: Kind = Kind {
    what: "sprite image",
    max_bytes: 4 << 20,
};

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file system refused (missing file, no permission, ...).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Not a regular file.
    #[error("{}: not a regular file (a {what} must be one; this is a {found})", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What was expected.
        what: &'static str,
        /// What it is instead (folder, FIFO, device, ...).
        found: &'static str,
    },
    /// Larger than the limit of its kind.
    #[error("{}: {size} bytes, more than the {max_bytes}-byte limit of a {what}", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What it was read as.
        what: &'static str,
        /// Its size (at least; it may have grown while read).
        size: u64,
        /// The limit.
        max_bytes: u64,
    },
}

fn file_type_name(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "device";
        }
        if t.is_socket() {
            return "socket";
        }
    }
    if t.is_dir() { "folder" } else { "special file" }
}

/// Checks that `path` is a regular file within `kind`'s limit, without reading it; returns its
/// size.
pub fn check_input(path: &Path, kind: Kind) -> Result<u64, InputError> {
    let meta = std::fs::metadata(path).map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_file() {
        return Err(InputError::NotAFile {
            path: path.to_path_buf(),
            what: kind.what,
            found: file_type_name(meta.file_type()),
        });
    }
    if meta.len() > kind.max_bytes {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            what: kind.what,
            size: meta.len(),
            max_bytes: kind.max_bytes,
        });
    }
    Ok(meta.len())
}

/// Reads the whole of `path` after [`check_input`], never more than `kind.max_bytes`.
pub fn read_input(path: &Path, kind: Kind) -> Result<Vec<u8>, InputError> {
    let size = check_input(path, kind)?;
    let io = |source| InputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(kind.max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > kind.max_bytes {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            what: kind.what,
            size: bytes.len() as u64,
            max_bytes: kind.max_bytes,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_file_types() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.pxby");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MODEL.max_bytes + 1).unwrap();
        match read_input(&big, MODEL) {
            Err(e @ InputError::TooLarge { size, .. }) => {
                assert_eq!(size, MODEL.max_bytes + 1);
                assert!(
                    e.to_string().contains("1048576-byte limit of a model file"),
                    "{e}"
                );
            }
            other => panic!("{other:?}"),
        }
        // Exactly at the limit is fine.
        f.set_len(MODEL.max_bytes).unwrap();
        assert_eq!(
            read_input(&big, MODEL).unwrap().len() as u64,
            MODEL.max_bytes
        );
        assert!(matches!(
            read_input(dir.path(), DATASET),
            Err(InputError::NotAFile {
                found: "folder",
                ..
            })
        ));
        assert!(matches!(
            read_input(&dir.path().join("missing"), CSV),
            Err(InputError::Io { .. })
        ));
        #[cfg(unix)]
        {
            let e = read_input(Path::new("/dev/zero"), SPRITE).unwrap_err();
            assert!(
                matches!(
                    e,
                    InputError::NotAFile {
                        found: "device",
                        ..
                    }
                ),
                "{e:?}"
            );
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&big, &link).unwrap();
            assert_eq!(check_input(&link, MODEL).unwrap(), MODEL.max_bytes);
        }
    }
}
