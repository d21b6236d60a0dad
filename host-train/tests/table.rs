//! `host-train table` end to end with a tiny budget on real items: one row trains, is scored
//! and written to table1.md (the other rows listed as not run) with figure2.png; a second
//! invocation skips the finished row, a third with more epochs extends it; a folder from
//! another dataset or budget is refused unless --force; a corrupt run directory is trained
//! again; --jobs 2 trains rows in two processes; an unknown row name is a usage error. Needs
//! libtorch.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use host_train::model::FamilyKind;
use host_train::table::score::{Metric, value};
use host_train::table::{RESULT, RowResult, rows};

const BIN: &str = env!("CARGO_BIN_EXE_host-train");

/// `host-train table` with a tiny budget; `only` may be empty (every row) and `extra` adds flags
/// (replacing the default value of a flag it names).
fn table_with(data: &Path, out: &Path, only: &str, epochs: u32, extra: &[&str]) -> Output {
    let epochs = epochs.to_string();
    let defaults = [
        ("--epochs", epochs.as_str()),
        ("--max-steps-per-epoch", "3"),
        ("--seq-len", "64"),
        ("--val-stride", "64"),
        ("--eval-items", "2"),
        ("--windows-per-item", "1"),
        ("--batch", "8"),
        ("--device", "cpu"),
    ];
    let mut c = Command::new(BIN);
    c.args(["table", "--data"]).arg(data).arg("--out").arg(out);
    for (flag, value) in defaults {
        if !extra.contains(&flag) {
            c.args([flag, value]);
        }
    }
    c.args(extra);
    if !only.is_empty() {
        c.args(["--only", only]);
    }
    c.output().expect("run host-train")
}

fn table(data: &Path, out: &Path, only: &str, epochs: u32) -> Output {
    table_with(data, out, only, epochs, &[])
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn result(out: &Path, row: &str) -> RowResult {
    let path = out.join("runs").join(row).join(RESULT);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("result.json")).expect("parse")
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
    assert_eq!(r.items.len(), 2, "--eval-items 2");
    assert!(
        r.items
            .iter()
            .all(|i| i.windows == 1 && i.next_windows >= 1)
    );
    assert!((0.0..=1.0).contains(&value(&r.items, Metric::Hamming)));
    assert!((0.0..=1.0).contains(&value(&r.items, Metric::NextAccuracy)));
    assert!(r.params > 1000);

    let md = std::fs::read_to_string(out.join("table1.md")).expect("table1.md");
    let table_rows = md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #"))
        .count();
    assert_eq!(table_rows, 15, "{md}");
    assert_eq!(md.matches("*not run*").count(), 14 * 3, "{md}");
    assert!(
        md.contains("What our data says about the paper's claims"),
        "{md}"
    );
    assert!(md.contains("*not yet: a row is missing*"), "{md}");
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
fn other_scoring_settings_rescore_the_best_model_without_retraining() {
    let data = common::small_dataset();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("table");
    let o = table(&data, &out, "rnn-depth1", 1);
    assert!(o.status.success(), "{}", text(&o));
    let before = result(&out, "rnn-depth1");
    // A finished row keeps only what is committed of it: no training checkpoint.
    std::fs::remove_file(out.join("runs/rnn-depth1/checkpoint.safetensors")).expect("rm");
    let o = table_with(&data, &out, "rnn-depth1", 1, &["--eval-items", "3"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("scoring again") && !t.contains("training"),
        "{t}"
    );
    let after = result(&out, "rnn-depth1");
    assert_eq!(after.items.len(), 3);
    assert_eq!(after.history, before.history, "the training record is kept");
    assert_eq!(
        after.items[..2],
        before.items[..],
        "the same model scores the same items alike"
    );
}

#[test]
fn another_dataset_or_budget_is_refused_unless_forced() {
    let data = common::small_dataset();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("table");
    let o = table(&data, &out, "rnn-depth1", 1);
    assert!(o.status.success(), "{}", text(&o));

    // Another budget (a different learning rate): refused, nothing touched.
    let o = table_with(&data, &out, "rnn-depth1", 1, &["--lr", "0.002"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("belongs to another sweep") && text(&o).contains("--force"),
        "{}",
        text(&o)
    );
    assert!(out.join("runs/rnn-depth1").join(RESULT).exists());

    // Another dataset (the folder's manifest names another content hash): refused too.
    let manifest = out.join("sweep.json");
    let original = std::fs::read_to_string(&manifest).expect("sweep.json");
    let mut m: serde_json::Value = serde_json::from_str(&original).expect("json");
    m["dataset_hash"] = "0000".into();
    std::fs::write(&manifest, m.to_string()).expect("write");
    let o = table(&data, &out, "rnn-depth1", 1);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("dataset 0000"), "{}", text(&o));

    // --force moves the old runs aside (nothing is lost) and starts over.
    let o = table_with(&data, &out, "rnn-depth1", 1, &["--force"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("moved its runs to"), "{}", text(&o));
    assert!(out.join("runs.replaced-1/rnn-depth1").join(RESULT).exists());
    assert!(out.join("runs/rnn-depth1").join(RESULT).exists());
}

#[test]
fn a_corrupt_run_directory_is_trained_again() {
    let data = common::small_dataset();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("table");
    let o = table(&data, &out, "rnn-depth1", 1);
    assert!(o.status.success(), "{}", text(&o));
    let run = out.join("runs/rnn-depth1");
    // A damaged checkpoint and result: the row is not skipped, the directory is moved aside.
    let ckpt = run.join("checkpoint.safetensors");
    let bytes = std::fs::read(&ckpt).expect("checkpoint");
    std::fs::write(&ckpt, &bytes[..bytes.len() / 2]).expect("truncate");
    std::fs::write(run.join(RESULT), "{ not json").expect("damage");
    let o = table(&data, &out, "rnn-depth1", 1);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(!t.contains("done before"), "{t}");
    assert!(
        t.contains("cannot be resumed") && t.contains("training again"),
        "{t}"
    );
    assert!(
        out.join("runs/rnn-depth1.corrupt-1/checkpoint.safetensors")
            .exists()
    );
    let r = result(&out, "rnn-depth1");
    assert_eq!((r.epochs, r.history.len()), (1, 1));
}

#[test]
fn two_jobs_train_rows_in_separate_processes() {
    let data = common::small_dataset();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("table");
    // A whole sweep is too slow for a test: train one row, copy its result to every row but
    // two (rnn-in36, rnn-center), and let --jobs 2 train those two side by side.
    let o = table(&data, &out, "rnn-depth1", 1);
    assert!(o.status.success(), "{}", text(&o));
    let first = result(&out, "rnn-depth1");
    for r in rows(FamilyKind::Attention) {
        if ["rnn-depth1", "rnn-in36", "rnn-center"].contains(&r.name) {
            continue;
        }
        let d = out.join("runs").join(r.name);
        std::fs::create_dir_all(&d).expect("mkdir");
        let mut copy = first.clone();
        copy.name = r.name.to_string();
        copy.save(&d.join(RESULT)).expect("save");
    }
    let o = table_with(&data, &out, "", 1, &["--jobs", "2"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    for row in ["rnn-in36", "rnn-center"] {
        assert!(t.contains(&format!("{row}: started (process")), "{t}");
        assert!(t.contains(&format!("{row}: finished in")), "{t}");
        let log =
            std::fs::read_to_string(out.join("runs").join(format!("{row}.log"))).expect("log");
        assert!(log.contains("training"), "{log}");
        assert_eq!(result(&out, row).epochs, 1);
    }
    assert!(
        !t.contains("rnn-base: started"),
        "finished rows are not started: {t}"
    );
    let md = std::fs::read_to_string(out.join("table1.md")).expect("table1.md");
    assert!(md.contains("All 15 rows are done."), "{md}");
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
