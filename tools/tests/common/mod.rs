//! Helpers shared by the tools integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use pxby_core::config::ModelConfig;
use pxby_core::format::{Metadata, random_weights, write_model};
use pxby_core::quant::WeightType;
use pxby_data::dataset::{Dataset, Item};

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

/// A seeded random model of the paper's best configuration with int8 weights, as `dir/m.pxby`.
pub fn test_model(dir: &Path) -> PathBuf {
    let cfg = ModelConfig::PAPER_BEST;
    let owned = random_weights(&cfg, 7, 2.0);
    let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    let path = dir.join("m.pxby");
    std::fs::write(
        &path,
        write_model(&cfg, &Metadata::default(), WeightType::I8, &list).unwrap(),
    )
    .unwrap();
    path
}

/// A dataset `dir/name` of `ids.len()` items (a 4x5 sprite and the caption "a test." each),
/// recorded with sprites at most `max_size` a side.
pub fn test_dataset(dir: &Path, name: &str, ids: &[u32], max_size: u16) -> PathBuf {
    let caption: Vec<u8> = b"a test."
        .iter()
        .map(|&b| pxby_core::vocab::byte_to_token(b).unwrap())
        .collect();
    let image: Vec<u8> = (0..20).map(|j| 58 + (j % 55) as u8).collect();
    let items = ids
        .iter()
        .map(|&i| Item::new(i, format!("Mon{i}"), 4, 5, &image, &caption).unwrap())
        .collect();
    let path = dir.join(name);
    Dataset::new(max_size, "test".into(), items)
        .write(&path)
        .unwrap();
    path
}

/// A source folder `dir/src` for `pxby dataset build`: the hand-made heart sprite and a
/// one-row `pokedex.csv` naming it.
pub fn test_source(dir: &Path) -> PathBuf {
    let s = dir.join("src");
    std::fs::create_dir_all(s.join("sprites")).unwrap();
    std::fs::copy(
        fixtures_dir().join("sprites/heart.png"),
        s.join("sprites/heart.png"),
    )
    .unwrap();
    std::fs::write(
        s.join("pokedex.csv"),
        "id,name,sprite,description\n0001,Heart,sprites/heart.png,A heart.\n",
    )
    .unwrap();
    s
}
