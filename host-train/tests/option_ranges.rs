//! Numeric options that size memory have documented ranges, checked before anything is
//! allocated: `train --dim 65535` and `--seq-len 100000` are refused at once (status 2) instead
//! of filling the memory. Each command runs under `prlimit --as` (8 GiB of address space) and a
//! 60 s deadline, so a regression fails here instead of eating the machine. Needs libtorch.

mod common;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_host-train");

fn host_train_bounded(args: &[&str]) -> Output {
    let data = common::small_dataset();
    let out = tempfile::tempdir().unwrap();
    let mut child = Command::new("prlimit")
        .arg("--as=8589934592")
        .arg(BIN)
        .args(args)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(out.path().join("run"))
        .args(["--device", "cpu"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run prlimit (util-linux)");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{args:?} still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn sizes_out_of_range_are_refused_before_allocating() {
    for (args, needle) in [
        (&["train", "--dim", "65535"][..], "1..=1024"),
        (&["train", "--d-state", "4096"], "1..=1024"),
        (&["train", "--depth", "9"], "1..=8"),
        (&["train", "--seq-len", "100000"], "1..=1024"),
        (&["train", "--batch", "100000"], "1..=1024"),
        (
            &[
                "train",
                "--batch",
                "1024",
                "--seq-len",
                "1024",
                "--dim",
                "1024",
            ],
            "values per activation",
        ),
        (&["table", "--seq-len", "100000"], "2..=1024"),
        (
            &["table", "--batch", "1024", "--seq-len", "1024"],
            "values per activation",
        ),
    ] {
        let out = host_train_bounded(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {:?} {stderr}",
            out.status
        );
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}
