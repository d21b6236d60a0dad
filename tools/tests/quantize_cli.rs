//! `pxby quantize` on the real binary: an f32 model file and the dataset it was "trained" on
//! (a seeded random model whose metadata names a small test dataset) give an integer file that
//! loads, runs the integer path and is scored by `pxby eval`; bad inputs are clear errors that
//! write nothing.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use pxby_core::config::ModelConfig;
use pxby_core::format::{Metadata, random_weights, write_model};
use pxby_core::quant::WeightType;
use pxby_core::{Model, vocab::VOCAB_SIZE};
use pxby_data::dataset::Dataset;

/// A seeded random model of the paper's configuration with `weights`, trained on `hash`.
fn write_test_model(path: &Path, weights: WeightType, hash: &str) {
    let cfg = ModelConfig::PAPER_BEST;
    let owned = random_weights(&cfg, 0x51ed_270b, 1.0);
    let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    let meta = Metadata {
        dataset_hash: hash,
        epochs: 3,
        notes: "quantize test",
        ..Metadata::default()
    };
    std::fs::write(path, write_model(&cfg, &meta, weights, &list).unwrap()).unwrap();
}

/// A dataset of 6 training items and 2 validation items, its f32 model, in `dir`.
fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let data = common::test_dataset(dir, "d.pxds", &[1, 2, 3, 4, 5, 6, 10, 20], 25);
    let hash = Dataset::read(&data).unwrap().content_hash();
    let model = dir.join("f32.pxby");
    write_test_model(&model, WeightType::F32, &hash);
    (model, data)
}

fn quantize(model: &Path, data: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    Command::cargo_bin("pxby")
        .unwrap()
        .arg("quantize")
        .arg("--model")
        .arg(model)
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// `pxby eval --json --model MODEL --data DATA EXTRA…`.
fn eval_json(model: &Path, data: &Path, extra: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::cargo_bin("pxby")
        .unwrap()
        .args(["eval", "--json", "--model"])
        .arg(model)
        .arg("--data")
        .arg(data)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn quantize_writes_an_integer_file_that_eval_scores() {
    let dir = tempfile::tempdir().unwrap();
    let (model, data) = setup(dir.path());
    let out = dir.path().join("int.pxby");
    let run = quantize(&model, &data, &out, &["--windows", "4", "--stride", "8"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // Each item: "(4, 5)\n" + 4 rows of 5 pixels and a separator + "a test.\n" = 7 + 24 + 8 =
    // 39 tokens, 5 windows at stride 8; 6 training items: 30 windows.
    assert!(
        stdout.contains("calibrated on 4 of 30 training windows (128 contexts, stride 8"),
        "{stdout}"
    );
    assert!(
        stdout.contains("mix ") && stdout.contains("lstm 0 reverse"),
        "{stdout}"
    );
    assert!(stdout.contains("Int weights"), "{stdout}");

    let bytes = std::fs::read(&out).unwrap();
    let int = Model::from_bytes(&bytes).unwrap();
    assert_eq!(int.weights(), WeightType::Int);
    let f32_bytes = std::fs::read(&model).unwrap();
    let f32_model = Model::from_bytes(&f32_bytes).unwrap();
    assert_eq!(int.config(), f32_model.config());
    assert_eq!(
        int.metadata(),
        f32_model.metadata(),
        "metadata carried over"
    );
    assert!(int.file_size() < f32_model.file_size() / 3);
    // The integer path runs.
    let ctxs: Vec<_> = pxby_core::context::contexts(&[40, 41, 2, 42]).collect();
    let mut scratch = vec![0i16; int.int_scratch_len_for(ctxs.len())];
    let mut logits = [0i32; VOCAB_SIZE];
    int.int_logits_for(&ctxs, &mut scratch, &mut logits)
        .unwrap();

    // The same inputs give the same bytes (no clock in the file).
    let again = dir.path().join("again.pxby");
    let run = quantize(&model, &data, &again, &["--windows", "4", "--stride", "8"]);
    assert!(run.status.success());
    assert_eq!(std::fs::read(&again).unwrap(), bytes);

    // pxby eval scores the integer file, with its agreement with the f32 file.
    let agree_with = [std::ffi::OsStr::new("--agree-with"), model.as_os_str()];
    let run = eval_json(&out, &data, &agree_with);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["items"], 2);
    assert_eq!(json["next_token_windows"], 4, "⌈39 / 32⌉ = 2 per item");
    let acc = json["next_token_accuracy"].as_f64().unwrap();
    let agree = json["next_token_agreement"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&acc), "{json}");
    assert!((0.0..=1.0).contains(&agree), "{json}");
    assert!(json["bleu"]["mean"].as_f64().unwrap().is_finite());
    // Without --agree-with there is no agreement field.
    let run = eval_json(&out, &data, &[]);
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(json.get("next_token_agreement").is_none(), "{json}");
}

/// Runs `pxby quantize`, which must fail with status 1 naming `needle`, writing nothing.
fn assert_refused(model: &Path, data: &Path, out: &Path, extra: &[&str], needle: &str) {
    let run = quantize(model, data, out, extra);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(needle), "{stderr}");
    assert!(!out.exists(), "{} was written", out.display());
}

#[test]
fn quantize_refuses_non_f32_models_and_other_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let (model, data) = setup(dir.path());
    let out = dir.path().join("int.pxby");
    let hash = Dataset::read(&data).unwrap().content_hash();

    // An int8-weight file (or an integer one) is not quantised again.
    let i8_model = dir.path().join("i8.pxby");
    write_test_model(&i8_model, WeightType::I8, &hash);
    assert_refused(&i8_model, &data, &out, &[], "needs an f32 file");
    let run = quantize(&model, &data, &out, &["--windows", "2"]);
    assert!(run.status.success());
    let second = dir.path().join("second.pxby");
    assert_refused(&out, &data, &second, &[], "Int weights");

    // Another dataset: refused, unless --force (then a warning).
    let other = common::test_dataset(dir.path(), "other.pxds", &[1, 2, 3, 11], 25);
    let forced = dir.path().join("forced.pxby");
    assert_refused(&model, &other, &forced, &[], "--force");
    let run = quantize(&model, &other, &forced, &["--force", "--windows", "2"]);
    assert!(run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("warning"));
    assert!(forced.exists());

    // A dataset without training items, a dataset as the model, a model as the dataset.
    let val_only = common::test_dataset(dir.path(), "val.pxds", &[10, 20], 25);
    assert_refused(
        &model,
        &val_only,
        &dir.path().join("v.pxby"),
        &["--force"],
        "no calibration window",
    );
    assert_refused(
        &data,
        &data,
        &dir.path().join("x.pxby"),
        &[],
        "a dataset file",
    );
    assert_refused(
        &model,
        &model,
        &dir.path().join("y.pxby"),
        &[],
        "a model file",
    );

    // --windows and --stride have ranges.
    for bad in [
        ["--windows", "0"],
        ["--windows", "65537"],
        ["--stride", "0"],
    ] {
        let run = quantize(&model, &data, &dir.path().join("z.pxby"), &bad);
        assert_eq!(run.status.code(), Some(2), "{bad:?}");
    }
}
