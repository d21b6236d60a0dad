//! Real training runs of the `host-train` binary on real items: the loss decreases; a run
//! killed (SIGKILL) after a checkpoint and resumed ends exactly like an uninterrupted run; a
//! truncated checkpoint gives a clear error. Needs libtorch.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_host-train");

/// A small but real run: a tiny model on the first items of each split.
fn train_args(data: &Path, out: &Path, epochs: u32) -> Vec<String> {
    [
        "train",
        "--data",
        &data.display().to_string(),
        "--out",
        &out.display().to_string(),
        "--dim",
        "27",
        "--d-state",
        "16",
        "--depth",
        "2",
        "--seq-len",
        "32",
        "--stride",
        "32",
        "--batch",
        "16",
        "--lr",
        "3e-3",
        "--max-steps",
        "12",
        "--limit-items",
        "12",
        "--epochs",
        &epochs.to_string(),
        "--device",
        "cpu",
        "--seed",
        "5",
        "--quiet",
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .collect()
}

fn run(args: &[String]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run host-train")
}

/// [`run`], which must succeed; returns its stdout.
fn run_ok(args: &[String]) -> String {
    let o = run(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn metrics_rows(run_dir: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(run_dir.join("metrics.csv")).unwrap_or_default();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// Rows without the wall-clock column.
fn without_seconds(rows: &[Vec<String>]) -> Vec<Vec<String>> {
    rows.iter().map(|r| r[..r.len() - 1].to_vec()).collect()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("host-train-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn short_training_run_lowers_the_loss() {
    let data = common::small_dataset();
    let out = tmp("short");
    run_ok(&train_args(&data, &out, 3));
    let rows = metrics_rows(&out);
    assert_eq!(rows.len(), 3);
    let loss = |r: &Vec<String>, col: usize| r[col].parse::<f64>().expect("number");
    // columns: epoch,steps,train_loss,train_acc,train_f1,val_loss,val_acc,val_f1,seconds
    assert!(loss(&rows[2], 2) < loss(&rows[0], 2), "train loss {rows:?}");
    assert!(loss(&rows[2], 5) < loss(&rows[0], 5), "val loss {rows:?}");
    assert!(
        loss(&rows[0], 2) < 6.0,
        "starts near ln(113) = 4.73: {rows:?}"
    );
    for f in [
        "checkpoint.safetensors",
        "best.safetensors",
        "run.json",
        "loss.png",
        "accuracy.png",
        "f1.png",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // `eval --next-token-stride` at the run's stride scores the best model on the trainer's
    // own validation windows (all 12 validation items are inside --limit-items 12).
    let best = rows
        .iter()
        .min_by(|a, b| loss(a, 5).total_cmp(&loss(b, 5)))
        .expect("a best epoch");
    let eval = |stride: &str| -> Vec<String> {
        let (run, data) = (out.display().to_string(), data.display().to_string());
        [
            "eval",
            "--run",
            &run,
            "--data",
            &data,
            "--next-token-stride",
            stride,
        ]
        .map(String::from)
        .to_vec()
    };
    let report = run_ok(&eval("32"));
    let field = |name: &str, at: usize| -> f64 {
        let line = report
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {report}"));
        let word = line.split_whitespace().nth(at).expect("value");
        word.trim_start_matches('(').parse().expect("number")
    };
    let (n, correct) = (field("windows", 1), field("accuracy", 2));
    assert!(
        (field("loss", 1) - loss(best, 5)).abs() < 1e-4,
        "{report} vs {best:?}"
    );
    assert_eq!(correct, (loss(best, 6) * n).round(), "{report} vs {best:?}");
    assert_eq!(
        run(&eval("0")).status.code(),
        Some(2),
        "stride 0 is a usage error"
    );

    // Without --resume a second run into the same folder is refused and nothing is touched.
    let before = std::fs::read(out.join("metrics.csv")).expect("metrics");
    let o = run(&train_args(&data, &out, 3));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume"));
    assert_eq!(
        std::fs::read(out.join("metrics.csv")).expect("metrics"),
        before
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn killed_run_resumes_to_the_same_result() {
    let data = common::small_dataset();
    let epochs = 8;
    let reference = tmp("reference");
    run_ok(&train_args(&data, &reference, epochs));
    let want = metrics_rows(&reference);
    assert_eq!(want.len(), epochs as usize);

    // Same run, SIGKILLed as soon as its first checkpoint is on disk.
    let out = tmp("killed");
    let mut child = Command::new(BIN)
        .args(train_args(&data, &out, epochs))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn host-train");
    let started = Instant::now();
    while metrics_rows(&out).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no checkpoint after 5 minutes"
        );
        assert!(
            child.try_wait().expect("wait").is_none(),
            "run ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("kill");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "the child was killed, not finished");
    let done = metrics_rows(&out).len();
    assert!(
        done >= 1 && done < epochs as usize,
        "killed after {done} epochs"
    );

    let mut args = train_args(&data, &out, epochs);
    args.push("--resume".into());
    assert!(run_ok(&args).contains("resuming"));
    let got = metrics_rows(&out);
    let epochs_col: Vec<String> = got.iter().map(|r| r[0].clone()).collect();
    let expected: Vec<String> = (1..=epochs).map(|e| e.to_string()).collect();
    assert_eq!(epochs_col, expected, "continuous epochs");
    // Exact resume: model, AdamW moments and shuffling state were all restored.
    assert_eq!(without_seconds(&got), without_seconds(&want));

    // A truncated checkpoint is refused with a clear message, and not overwritten.
    let ckpt = out.join("checkpoint.safetensors");
    let bytes = std::fs::read(&ckpt).expect("checkpoint");
    std::fs::write(&ckpt, &bytes[..bytes.len() / 2]).expect("truncate");
    let mut args = train_args(&data, &out, epochs + 1);
    args.push("--resume".into());
    let o = run(&args);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("checkpoint.safetensors") && err.contains("truncated"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&ckpt).expect("checkpoint").len(),
        bytes.len() / 2
    );
    let o = run(&[
        "export".into(),
        "--run".into(),
        out.display().to_string(),
        "--last".into(),
        "--out".into(),
        out.join("m.pxby").display().to_string(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("truncated"));
    assert!(!out.join("m.pxby").exists());
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&reference);
}

#[test]
fn resumed_run_takes_a_new_schedule_and_keeps_its_validation_windows() {
    let data = common::small_dataset();
    let out = tmp("schedule");
    run_ok(&train_args(&data, &out, 1));
    let before = metrics_rows(&out);

    // Continue on every window (stride 1), 3 random batches per epoch, at a lower rate.
    let mut args = train_args(&data, &out, 2);
    let set = |args: &mut Vec<String>, flag: &str, value: &str| {
        let i = args.iter().position(|a| a == flag).expect("flag");
        args[i + 1] = value.to_string();
    };
    set(&mut args, "--stride", "1");
    set(&mut args, "--max-steps", "3");
    set(&mut args, "--lr", "1e-3");
    args.push("--resume".into());
    assert!(run_ok(&args).contains("training stride 1"));

    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json"))
            .expect("json");
    assert_eq!(saved["stride"], 1);
    assert_eq!(saved["val_stride"], 32, "validation windows unchanged");
    assert_eq!(saved["max_steps"], 3);
    assert_eq!(saved["lr"], 1e-3);
    let rows = metrics_rows(&out);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], before[0], "history kept");
    // columns: epoch,steps,...,lr,seconds
    assert_eq!((rows[1][0].as_str(), rows[1][1].as_str()), ("2", "3"));
    assert_eq!(rows[1][8].parse::<f64>().expect("lr"), 1e-3);
    let _ = std::fs::remove_dir_all(&out);
}
