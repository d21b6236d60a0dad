//! Every `host-train` subcommand ends quietly on a closed stdout (`host-train eval ... | head -1`
//! once `head` has exited): killed by SIGPIPE, the conventional status a shell shows as 141, with
//! nothing on stderr (no "failed printing to stdout" panic, no exit status 101). Needs libtorch.
#![cfg(unix)]

mod common;

use std::ffi::{OsStr, OsString};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use pxby_core::config::ModelConfig;
use pxby_core::format::{Metadata, random_weights, write_model};
use pxby_core::quant::WeightType;

const BIN: &str = env!("CARGO_BIN_EXE_host-train");
const SIGPIPE: i32 = 13;

/// Runs `host-train args` with a stdout pipe whose reading end is already closed.
fn assert_quiet_on_closed_stdout(args: &[OsString]) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run host-train");
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

fn args(list: &[&dyn AsRef<OsStr>]) -> Vec<OsString> {
    list.iter().map(|a| a.as_ref().to_os_string()).collect()
}

#[test]
fn every_subcommand_ends_quietly_on_a_closed_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let data = common::small_dataset();
    let model = d.join("m.pxby");
    let cfg = ModelConfig::PAPER_BEST;
    let owned = random_weights(&cfg, 7, 2.0);
    let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    std::fs::write(
        &model,
        write_model(&cfg, &Metadata::default(), WeightType::I8, &list).unwrap(),
    )
    .unwrap();
    // A finished tiny run for `export` and `eval --run` (trained with stdout open).
    let run = d.join("run");
    let tiny: &[&dyn AsRef<OsStr>] = &[
        &"train",
        &"--data",
        &data,
        &"--out",
        &run,
        &"--dim",
        &"9",
        &"--d-state",
        &"8",
        &"--depth",
        &"1",
        &"--seq-len",
        &"16",
        &"--batch",
        &"8",
        &"--max-steps",
        &"2",
        &"--limit-items",
        &"4",
        &"--epochs",
        &"1",
        &"--device",
        &"cpu",
        &"--quiet",
    ];
    let o = Command::new(BIN).args(args(tiny)).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let mut train = args(tiny);
    train[4] = d.join("run2").into();
    assert_quiet_on_closed_stdout(&train);
    assert_quiet_on_closed_stdout(&args(&[
        &"export",
        &"--run",
        &run,
        &"--out",
        &d.join("e.pxby"),
    ]));
    assert_quiet_on_closed_stdout(&args(&[
        &"eval",
        &"--model",
        &model,
        &"--data",
        &data,
        &"--max-windows-per-item",
        &"1",
    ]));
    assert_quiet_on_closed_stdout(&args(&[
        &"eval",
        &"--run",
        &run,
        &"--data",
        &data,
        &"--max-windows-per-item",
        &"1",
        &"--device",
        &"cpu",
    ]));
    assert_quiet_on_closed_stdout(&args(&[
        &"table",
        &"--data",
        &data,
        &"--out",
        &d.join("table"),
        &"--only",
        &"rnn-base",
        &"--device",
        &"cpu",
    ]));
    assert_quiet_on_closed_stdout(&args(&[
        &"bench",
        &"--steps",
        &"1",
        &"--rows",
        &"rnn-base",
        &"--device",
        &"cpu",
    ]));
    assert_quiet_on_closed_stdout(&args(&[&"--version"]));
}
