//! Every `pxby` subcommand that prints to stdout ends quietly on a closed stdout (as
//! `pxby inspect m.pxby | head -c1` does once `head` has exited): killed by SIGPIPE, the
//! conventional status a shell shows as 141, with nothing on stderr (no "failed printing to
//! stdout" panic, no exit status 101).
#![cfg(unix)]

mod common;

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_pxby");
const SIGPIPE: i32 = 13;

/// Runs `pxby args` with a stdout pipe whose reading end is already closed.
fn assert_quiet_on_closed_stdout(args: &[&std::ffi::OsStr]) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run pxby");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.signal(),
        Some(SIGPIPE),
        "{args:?}: {:?}, stderr: {stderr}",
        out.status
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{args:?}: {stderr}"
    );
}

#[test]
fn every_subcommand_ends_quietly_on_a_closed_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let (model, data, source) = (
        common::test_model(tmp.path()),
        common::test_dataset(tmp.path(), "d.pxds", &[10], 25),
        common::test_source(tmp.path()),
    );
    let d = tmp.path();
    let os = |s: &str| std::ffi::OsString::from(s);
    let cases: Vec<Vec<std::ffi::OsString>> = vec![
        vec![os("inspect"), model.clone().into()],
        vec![os("inspect"), data.clone().into()],
        vec![
            os("eval"),
            os("--model"),
            model.clone().into(),
            os("--data"),
            data.clone().into(),
        ],
        vec![
            os("generate"),
            os("--model"),
            model.clone().into(),
            os("--max-tokens"),
            os("20"),
            os("--out"),
            d.join("card.png").into(),
        ],
        vec![
            os("dataset"),
            os("build"),
            os("--source"),
            source.clone().into(),
            os("--out"),
            d.join("built.pxds").into(),
        ],
        vec![
            os("dataset"),
            os("preview"),
            os("--data"),
            data.clone().into(),
            os("--out"),
            d.join("sheet.png").into(),
        ],
        vec![
            os("bench"),
            os("pixelate"),
            os("--source"),
            source.clone().into(),
        ],
        vec![os("--version")],
    ];
    for args in &cases {
        let refs: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsString::as_os_str).collect();
        assert_quiet_on_closed_stdout(&refs);
    }
}
