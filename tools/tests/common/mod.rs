//! Helpers shared by the tools integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The workspace root (the folder above `tools/`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tools/ has a parent")
        .to_path_buf()
}

/// The shared folder: `$PXBY_SHARED`, else `../shared` relative to the workspace root.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("PXBY_SHARED") {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join("../shared"),
    }
}

/// The real Pokémon data (`shared/data/pokemon`); panics with a clear message when absent,
/// since these tests are about the real data and must not pass silently without it.
pub fn pokemon_dir() -> PathBuf {
    let d = shared_dir().join("data/pokemon");
    assert!(
        d.join("pokedex.csv").is_file(),
        "real data not found at {} (set PXBY_SHARED to the shared folder)",
        d.display()
    );
    d
}

/// `fixtures/` at the workspace root.
pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("fixtures")
}
