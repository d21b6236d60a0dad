//! `host-train table` end to end with a tiny budget on real items: one row trains, is scored
//! and written to table1.md (the other rows listed as not run) with figure2.png; a second
//! invocation skips the finished row, a third with more epochs extends it; an unknown row name
//! is a usage error. Needs libtorch.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use host_train::model::FamilyKind;
use host_train::table::{RESULT, RowResult, rows};

const BIN: &str = env!("CARGO_BIN_EXE_host-train");

fn table(data: &Path, out: &Path, only: &str, epochs: u32) -> Output {
    Command::new(BIN)
        .args(["table", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .args([
            "--epochs",
            &epochs.to_string(),
            "--max-steps-per-epoch",
            "3",
            "--eval-items",
            "2",
            "--windows-per-item",
            "1",
            "--batch",
            "8",
            "--device",
            "cpu",
            "--only",
            only,
        ])
        .output()
        .expect("run host-train")
}

#[test]
fn one_row_trains_is_scored_and_is_not_retrained() {
    let data = common::small_dataset();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("table");

    let o = table(&data, &out, "ssm-bi-1", 2);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let result_path = out.join("runs/ssm-bi-1").join(RESULT);
    let text = std::fs::read_to_string(&result_path).expect("result.json");
    let r: RowResult = serde_json::from_str(&text).expect("parse result");
    assert_eq!(r.epochs, 2);
    assert_eq!(r.history.len(), 2);
    assert_eq!(r.spec.family, FamilyKind::Ssm);
    assert!(r.eval_windows >= 1);
    assert!((0.0..=1.0).contains(&r.hamming.mean));
    assert!(r.params > 1000);

    let md = std::fs::read_to_string(out.join("table1.md")).expect("table1.md");
    let table_rows = md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #"))
        .count();
    assert_eq!(table_rows, 15, "{md}");
    assert_eq!(md.matches("*not run*").count(), 14 * 3, "{md}");
    assert!(md.contains("0.170 ± 0.086"), "paper's numbers beside ours");
    assert!(md.contains("Missing rows (not run): ssm-bi-2"), "{md}");
    let png = std::fs::read(out.join("figure2.png")).expect("figure2.png");
    assert_eq!(&png[1..4], b"PNG");

    // Second run: the finished row is read back, not retrained.
    let before = std::fs::metadata(&result_path)
        .and_then(|m| m.modified())
        .expect("mtime");
    let o = table(&data, &out, "ssm-bi-1", 2);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("done before, skipped"));
    let after = std::fs::metadata(&result_path)
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(before, after);

    // More epochs: the run resumes from its checkpoint and the row is scored again.
    let o = table(&data, &out, "ssm-bi-1", 3);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}");
    assert!(stdout.contains("extending from 2 to 3 epochs"), "{stdout}");
    assert!(stdout.contains("resuming"), "{stdout}");
    let r: RowResult =
        serde_json::from_str(&std::fs::read_to_string(&result_path).expect("read")).expect("parse");
    assert_eq!((r.epochs, r.history.len()), (3, 3));
}

#[test]
fn unknown_row_is_a_usage_error() {
    let data = common::small_dataset();
    let dir = tempfile::tempdir().expect("tempdir");
    let o = table(&data, dir.path(), "no-such-row", 2);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no such row") && err.contains("rnn-base"),
        "{err}"
    );
}

#[test]
fn the_table_has_the_papers_fifteen_rows() {
    let rows = rows(FamilyKind::Attention);
    assert_eq!(rows.len(), 15);
    let names: std::collections::BTreeSet<_> = rows.iter().map(|r| r.name).collect();
    assert_eq!(names.len(), 15, "names are unique");
    let count = |f: FamilyKind| rows.iter().filter(|r| r.spec.family == f).count();
    assert_eq!(
        (
            count(FamilyKind::Ssm),
            count(FamilyKind::Attention),
            count(FamilyKind::Rnn)
        ),
        (3, 2, 10)
    );
    // The paper's best row: bi, PxBy, conv, In 81, Mod 32, depth 2.
    let best = rows.iter().find(|r| r.name == "rnn-state32").expect("row");
    assert_eq!(best.spec.config, pxby_core::config::ModelConfig::PAPER_BEST);
    assert_eq!(best.paper.bleu, (0.785, 0.082));
}
