//! `host-train export` never overwrites the run it reads: an `--out` that resolves to one of the
//! run's files is refused before anything is written. Needs libtorch.

mod common;

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_host-train");

#[test]
fn export_refuses_to_overwrite_the_runs_files() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let o = Command::new(BIN)
        .arg("train")
        .arg("--data")
        .arg(common::small_dataset())
        .arg("--out")
        .arg(&run)
        .args([
            "--dim",
            "9",
            "--d-state",
            "8",
            "--depth",
            "1",
            "--seq-len",
            "16",
        ])
        .args(["--batch", "8", "--max-steps", "2", "--limit-items", "4"])
        .args(["--epochs", "1", "--device", "cpu", "--quiet"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in [
        "best.safetensors",
        "checkpoint.safetensors",
        "run.json",
        "metrics.csv",
    ] {
        let file = run.join(name);
        let before = std::fs::read(&file).unwrap();
        for out in [file.clone(), run.join("../run").join(name)] {
            let o = Command::new(BIN)
                .arg("export")
                .arg("--run")
                .arg(&run)
                .arg("--out")
                .arg(&out)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(!o.status.success(), "{}: {stderr}", out.display());
            assert!(stderr.contains("an input of this command"), "{stderr}");
            assert_eq!(std::fs::read(&file).unwrap(), before, "{name} changed");
        }
    }
    // Next to the run is fine.
    let o = Command::new(BIN)
        .arg("export")
        .arg("--run")
        .arg(&run)
        .arg("--out")
        .arg(run.join("model.pxby"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
