//! Instructions per generated token of the firmware on the emulated Cortex-M4F, windows 32 and
//! 64, and on the emulated Cortex-M0 of the micro:bit (window 32, the one that fits in its
//! 16 KiB): `cargo bench -p pxby-tests --bench firmware`.
//!
//! QEMU runs with `-icount shift=0` (one instruction = 1 ns of virtual time) and the firmware
//! reads SysTick (25 MHz core clock on mps2-an386: one tick = 40 instructions) around every
//! generator step and every screen update. QEMU is not cycle-accurate, so this prints
//! instruction counts; the time at 120 MHz (PyGamer) is derived under a stated CPI assumption.
//! The micro:bit board reads SysTick the same way (16 MHz core clock in QEMU's nRF51: one tick
//! = 62.5 instructions); its row's time is at the nRF51822's 16 MHz, same CPI assumption.

use std::time::Duration;

use pxby_tests::{
    QemuRun, build_firmware, build_firmware_for, firmware_target_dir, qemu_available, run_microbit,
    run_qemu, test_model,
};

/// Assumed cycles per instruction on a 120 MHz Cortex-M4F running this code from flash
/// (FPU multiply-adds and loads dominate: loads take 2 cycles, VMLA 3, flash wait states are
/// mostly hidden by the SAMD51 cache). An assumption, not a measurement.
const CPI: f64 = 1.5;
const MHZ: f64 = 120.0;
/// Generated tokens per measurement (a sized prompt, so the model runs on sprite rows); the
/// table's main column counts only the tokens generated once the window is full.
const TOKENS: usize = 160;
/// The micro:bit's nRF51822 core clock.
const MICROBIT_MHZ: f64 = 16.0;

/// (full-window tokens, model instr/token over them, model instr/token over all, screen
/// instr/token) of a bench run.
fn bench_values(run: &QemuRun) -> (u64, u64, u64, u64) {
    if run.code != 0 {
        panic!("firmware failed (status {}):\n{}", run.code, run.output);
    }
    let value = |key: &str| {
        run.value(key)
            .unwrap_or_else(|| panic!("no {key} in the bench line:\n{}", run.output))
    };
    (
        value("full_window_tokens"),
        value("full_window_model_instr_per_token"),
        value("model_instr_per_token"),
        value("screen_instr_per_token"),
    )
}

fn main() {
    if !qemu_available() {
        eprintln!("qemu-system-arm is missing: run scripts/setup-qemu.sh");
        std::process::exit(1);
    }
    let model = test_model().expect("test model");
    let elf = build_firmware(&model).unwrap_or_else(|e| panic!("{e}"));
    let dir = firmware_target_dir().join("bench");
    std::fs::create_dir_all(&dir).expect("bench folder");
    println!("model: {}", model.display());
    println!(
        "| window | tokens (full window) | model instr/token, full window | model instr/token, all | screen instr/token | total, full window | ms/token @{MHZ} MHz, CPI {CPI} |"
    );
    println!("|---|---|---|---|---|---|---|");
    for window in [32, 64] {
        let args = format!(
            "bench quiet seed=1 temp=0.8 topk=8 h=25 w=25 window={window} max={TOKENS} tokens= screen= png="
        );
        let run = run_qemu(&elf, &args, &dir, true, Duration::from_secs(600))
            .unwrap_or_else(|e| panic!("{e}"));
        let (full_n, full, all, screen_i) = bench_values(&run);
        let total = full + screen_i;
        let ms = total as f64 * CPI / (MHZ * 1e3);
        println!("| {window} | {full_n} | {full} | {all} | {screen_i} | {total} | {ms:.0} |");
    }

    // The micro:bit (Cortex-M0: no SMLAD, the portable kernels), window 32, no screen.
    let elf = build_firmware_for("microbit", &model).unwrap_or_else(|e| panic!("{e}"));
    let args = format!("bench quiet seed=1 temp=0.8 topk=8 h=25 w=25 max={TOKENS} tokens=");
    let run = run_microbit(&elf, &args, &dir, true, Duration::from_secs(600))
        .unwrap_or_else(|e| panic!("{e}"));
    let (full_n, full, all, screen_i) = bench_values(&run);
    let total = full + screen_i;
    let ms = total as f64 * CPI / (MICROBIT_MHZ * 1e3);
    println!();
    println!(
        "| micro:bit (Cortex-M0) window | tokens (full window) | model instr/token, full window | model instr/token, all | loop instr/token (no screen) | total, full window | ms/token @{MICROBIT_MHZ} MHz, CPI {CPI} |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!("| 32 | {full_n} | {full} | {all} | {screen_i} | {total} | {ms:.0} |");
}
