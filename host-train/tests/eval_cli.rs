//! `host-train eval` names what it evaluates: exactly one of `--run` and `--model` (the help's
//! usage line says so and clap enforces it), and `--next-token-stride` works with `--model`:
//! the trainer's next-token loss, accuracy and weighted F1 of a model file, on the same SPEC §5
//! windows `pxby eval` scores. Needs libtorch (the binary links it).

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_host-train");
const MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/models");

fn host_train(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run host-train")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_and_parser_require_exactly_one_of_run_and_model() {
    let (help, _) = text(&host_train(&["eval".as_ref(), "--help".as_ref()]));
    let usage = help
        .lines()
        .find(|l| l.starts_with("Usage:"))
        .unwrap_or_else(|| panic!("no usage line: {help}"));
    assert!(
        usage.contains("<--run <RUN>|--model <MODEL>>"),
        "usage line: {usage}"
    );
    let data = Path::new("unused.pxds");
    let model = Path::new(MODELS).join("default-f32.pxby");
    // Neither: a usage error naming both.
    let out = host_train(&["eval".as_ref(), "--data".as_ref(), data.as_ref()]);
    let (_, e) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("--run <RUN>|--model <MODEL>"), "{e}");
    // Both: refused.
    let out = host_train(&[
        "eval".as_ref(),
        "--run".as_ref(),
        "r".as_ref(),
        "--model".as_ref(),
        model.as_ref(),
        "--data".as_ref(),
        data.as_ref(),
    ]);
    let (_, e) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("cannot be used with"), "{e}");
    // --next-token-len is for a model file's windows only.
    let out = host_train(&[
        "eval".as_ref(),
        "--run".as_ref(),
        "r".as_ref(),
        "--data".as_ref(),
        data.as_ref(),
        "--next-token-stride".as_ref(),
        "32".as_ref(),
        "--next-token-len".as_ref(),
        "64".as_ref(),
    ]);
    let (_, e) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
}

/// The number after `label` on its line of the report (`windows`, `loss`) and, for the
/// accuracy line, the count of correct windows in "(C of N; …)".
fn field(report: &str, label: &str) -> String {
    let line = report
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label} line: {report}"));
    line[label.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn next_token_stride_scores_a_model_file() {
    use pxby_data::eval::{CorePredictor, NextTokenOptions, next_token};
    let data = common::small_dataset();
    let ds = pxby_data::dataset::Dataset::read(&data).expect("dataset");
    let items: Vec<_> = ds.split(pxby_data::dataset::Split::Val).collect();
    for (file, seq_len, stride) in [
        ("default-f32.pxby", None, 32),
        ("default-int8.pxby", Some(64), 16),
    ] {
        let path = Path::new(MODELS).join(file);
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "eval".as_ref(),
            "--model".as_ref(),
            path.as_ref(),
            "--data".as_ref(),
            data.as_ref(),
            "--device".as_ref(),
            "cpu".as_ref(),
            "--next-token-stride".as_ref(),
        ];
        let stride_s = stride.to_string();
        args.push(stride_s.as_ref());
        let len_s = seq_len.map(|n: usize| n.to_string());
        if let Some(n) = &len_s {
            args.push("--next-token-len".as_ref());
            args.push(n.as_ref());
        }
        let out = host_train(&args);
        let (report, e) = text(&out);
        assert!(out.status.success(), "{file}: {e}");
        // The SPEC §8 table is not printed: this is the next-token report.
        assert!(!report.contains("hamming"), "{report}");
        let bytes = std::fs::read(&path).unwrap();
        let model = pxby_core::Model::from_bytes(&bytes).unwrap();
        let options = NextTokenOptions {
            seq_len: seq_len.unwrap_or(128),
            stride,
        };
        let want = next_token(&items, &options, || CorePredictor::new(&model), || {}).unwrap();
        assert_eq!(
            field(&report, "windows"),
            want.windows.to_string(),
            "{report}"
        );
        assert_eq!(
            field(&report, "loss"),
            format!("{:.4}", want.loss()),
            "{report}"
        );
        let accuracy = field(&report, "accuracy");
        assert_eq!(
            accuracy,
            format!("{:.2}%", 100.0 * want.accuracy()),
            "{report}"
        );
        assert!(
            report.contains(&format!("({} of {};", want.correct, want.windows)),
            "{report}"
        );
        let f1: f64 = field(&report, "weighted F1").parse().unwrap();
        assert!(f1 > 0.0 && f1 <= 1.0, "{report}");
    }
}
