//! A `train` that fails before its first epoch leaves no run behind: the same command can be
//! retried (no "already holds a run"); a file given as `--out` is named as one. Needs libtorch.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use pxby_data::dataset::{Dataset, Item};

const BIN: &str = env!("CARGO_BIN_EXE_host-train");

fn train(data: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(BIN)
        .arg("train")
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(["--dim", "9", "--depth", "1", "--seq-len", "16"])
        .args(["--batch", "8", "--max-steps", "2", "--limit-items", "4"])
        .args(["--epochs", "1", "--device", "cpu", "--quiet"])
        .args(extra)
        .output()
        .unwrap()
}

/// A dataset without validation items (no id is a multiple of 10).
fn no_validation(path: &Path) {
    let caption: Vec<u8> = b"a test creature."
        .iter()
        .map(|&b| pxby_core::vocab::byte_to_token(b).unwrap())
        .collect();
    let image: Vec<u8> = (0..20).map(|j| 58 + (j % 55) as u8).collect();
    let items = (1..6)
        .map(|i| Item::new(i, format!("Mon{i}"), 4, 5, &image, &caption).unwrap())
        .collect();
    Dataset::new(25, "test".into(), items).write(path).unwrap();
}

#[test]
fn a_failed_start_leaves_nothing_and_the_retry_works() {
    let tmp = tempfile::tempdir().unwrap();
    let bad_data = tmp.path().join("noval.pxds");
    no_validation(&bad_data);
    let good_data = common::small_dataset();
    let out = tmp.path().join("run");
    // No validation windows; then a model pxby-core cannot hold (odd bidirectional state).
    for (data, extra, needle) in [
        (
            bad_data.as_path(),
            &["--d-state", "8"][..],
            "validation windows",
        ),
        (good_data.as_path(), &["--d-state", "7"][..], "d_state"),
    ] {
        let o = train(data, &out, extra);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
        assert!(
            !out.join("run.json").exists(),
            "{extra:?}: a failed start left run.json"
        );
    }
    let o = train(&good_data, &out, &["--d-state", "8"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("run.json").exists() && out.join("checkpoint.safetensors").exists());
}

#[test]
fn a_file_as_out_is_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("notes.txt");
    std::fs::write(&file, b"keep me").unwrap();
    let o = train(&common::small_dataset(), &file, &["--d-state", "8"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("notes.txt: not a folder"), "{stderr}");
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
}

#[test]
fn non_finite_rates_and_bad_run_json_values_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::small_dataset();
    let out = tmp.path().join("run");
    for extra in [
        &["--lr", "NaN"][..],
        &["--lr", "inf"],
        &["--lr", "0"],
        &["--weight-decay=-1"],
        &["--weight-decay", "NaN"],
    ] {
        let o = train(&data, &out, &[&["--d-state", "8"][..], extra].concat());
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(
            stderr.contains("must be a finite number"),
            "{extra:?}: {stderr}"
        );
        assert!(!out.exists(), "{extra:?}");
    }
    // A finished run whose run.json was edited: --resume names the bad values.
    let o = train(&data, &out, &["--d-state", "8"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run_json = out.join("run.json");
    let mut cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&run_json).unwrap()).unwrap();
    cfg["stride"] = 0.into();
    cfg["batch"] = 0.into();
    std::fs::write(&run_json, cfg.to_string()).unwrap();
    let o = train(&data, &out, &["--d-state", "8", "--resume"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{stderr}");
    assert!(
        stderr.contains("run.json")
            && stderr.contains("stride is 0 (must be at least 1)")
            && stderr.contains("batch is 0"),
        "{stderr}"
    );
}
