//! The `microbit` board (Cortex-M0, 16 KiB of RAM) in QEMU's `-machine microbit`: its token
//! stream is byte-identical to the host's (`pxby_screen::demo` with pxby-core, same options,
//! window 32) for several seeds, structured and free; and the options it cannot honour
//! (`window=64`, a structured size beyond the grammar) are refused with a message and exit
//! status 2.
//!
//! Needs `qemu-system-arm` and the thumbv6m-none-eabi target; the test builds the firmware
//! itself (see the crate docs).

use std::{path::PathBuf, sync::OnceLock, time::Duration};

use pxby_screen::args;
use pxby_tests::{
    QemuRun, build_firmware_for, first_difference, host_run, require_qemu, run_microbit, test_model,
};

/// (name, firmware command line without output paths); the board's window is 32.
const CASES: &[(&str, &str)] = &[
    ("greedy-structured-sized", "seed=1 temp=0 h=10 w=9 max=260"),
    ("sampled-structured", "seed=2 temp=0.8 topk=8 max=900"),
    ("sampled-free", "seed=3 temp=1 topk=0 mode=free max=200"),
    ("greedy-free", "seed=4 temp=0 mode=free window=32 max=200"),
    (
        "sampled-structured-sized",
        "seed=5 temp=0.7 topk=16 mode=structured window=32 h=8 w=12 max=300",
    ),
    ("hot-free", "seed=6 temp=1.5 topk=5 mode=free max=200"),
    ("default-options", "seed=7"),
];

/// The micro:bit firmware, built once for all tests of this file.
fn firmware() -> (PathBuf, Vec<u8>) {
    static ELF: OnceLock<(PathBuf, Vec<u8>)> = OnceLock::new();
    ELF.get_or_init(|| {
        let model = test_model().expect("test model");
        let bytes = std::fs::read(&model).expect("read model");
        let elf = build_firmware_for("microbit", &model)
            .unwrap_or_else(|e| panic!("building the micro:bit firmware: {e}"));
        (elf, bytes)
    })
    .clone()
}

fn run_in(name: &str, args: &str) -> (QemuRun, PathBuf) {
    let (elf, _) = firmware();
    let dir = pxby_tests::firmware_target_dir()
        .join("microbit-runs")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create case folder");
    let run = run_microbit(&elf, args, &dir, false, Duration::from_secs(300))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    (run, dir)
}

#[test]
fn microbit_token_stream_matches_host_bit_for_bit() {
    if !require_qemu("microbit_token_stream_matches_host_bit_for_bit") {
        return;
    }
    let (_, model_bytes) = firmware();
    let mut failures = Vec::new();
    for (name, args) in CASES {
        let (run, dir) = run_in(name, &format!("{args} quiet tokens=tokens.bin"));
        assert_eq!(
            run.code, 0,
            "{name}: firmware exit status {}\n{}",
            run.code, run.output
        );
        let fw = std::fs::read(dir.join("tokens.bin")).expect("token file");
        let mut opts = args::parse(args).expect("valid options");
        opts.window = 32;
        let host = host_run(&model_bytes, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(fw.len() > 20, "{name}: only {} tokens", fw.len());
        if let Some(i) = first_difference(&fw, &host.tokens) {
            failures.push(format!(
                "{name}: token streams differ at {i} (firmware {} tokens, host {})",
                fw.len(),
                host.tokens.len()
            ));
        }
        let peak = run.value("stack_peak_bytes").expect("peak stack printed");
        eprintln!("{name}: {} tokens, peak stack {peak} bytes", fw.len());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn assert_refused(name: &str, args: &str, says: &str) {
    let (run, dir) = run_in(name, &format!("{args} tokens=tokens.bin"));
    assert_eq!(run.code, 2, "{name}: exit status\n{}", run.output);
    assert!(run.output.contains(says), "{name}: {}", run.output);
    assert!(
        !dir.join("tokens.bin").exists(),
        "{name}: nothing is generated"
    );
}

#[test]
fn microbit_refuses_window_64() {
    if !require_qemu("microbit_refuses_window_64") {
        return;
    }
    assert_refused(
        "window-64",
        "seed=1 window=64",
        "error: window=64 does not fit in the micro:bit's 16 KiB of RAM",
    );
}

#[test]
fn microbit_refuses_a_size_beyond_the_grammar() {
    if !require_qemu("microbit_refuses_a_size_beyond_the_grammar") {
        return;
    }
    assert_refused(
        "size-40",
        "seed=1 h=40 w=12",
        "error: h=/w=: a structured sprite has sides of at most 32 pixels",
    );
}
