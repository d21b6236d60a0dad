//! Helpers shared by the pxby-data integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared folder: `$PXBY_SHARED`, else `../shared` relative to the workspace root.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("PXBY_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}
