//! Flash and RAM of the release firmware against the checked-in size file
//! `firmware-demo/sizes.json` and the budget (flash <= 256 KiB, RAM <= 64 KiB including the
//! framebuffer). Any number above its recorded value fails (a regression shows in review); an
//! improvement prints a note. Re-record with `PXBY_UPDATE_SIZES=1 cargo test -p pxby-tests --test sizes`.
//!
//! RAM = static (.data + .bss + .uninit, from `llvm-size -A`) + peak stack, measured by stack
//! painting in QEMU over a full generation at window 64 and at window 32.
//! The PyGamer build is linked with the PyGamer memory map (the board crate's memory.x: 496 KiB
//! flash after the bootloader, 192 KiB RAM) to prove it fits; it has no RAM framebuffer (the
//! ST7735 keeps the pixels) and its stack is not measured (no emulator for that board).

use std::{collections::BTreeMap, path::Path, time::Duration};

use pxby_tests::{
    build_firmware_for, firmware_target_dir, flash_and_static_ram, require_qemu, run_qemu,
    section_sizes, test_model, workspace_root,
};
use serde::{Deserialize, Serialize};

const BUDGET_FLASH: u64 = 256 * 1024;
const BUDGET_RAM: u64 = 64 * 1024;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct SizeFile {
    about: String,
    budget: Budget,
    qemu: QemuSizes,
    pygamer: PygamerSizes,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Budget {
    flash_bytes: u64,
    ram_bytes: u64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct QemuSizes {
    model_file_bytes: u64,
    sections: BTreeMap<String, u64>,
    flash_bytes: u64,
    static_ram_bytes: u64,
    stack_peak_bytes: u64,
    ram_bytes: u64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct PygamerSizes {
    sections: BTreeMap<String, u64>,
    flash_bytes: u64,
    static_ram_bytes: u64,
}

fn sizes_path() -> std::path::PathBuf {
    workspace_root().join("firmware-demo").join("sizes.json")
}

fn measure() -> SizeFile {
    let model = test_model().expect("test model");
    let model_file_bytes = std::fs::metadata(&model).expect("model file").len();
    let elf = build_firmware_for("qemu", &model).unwrap_or_else(|e| panic!("{e}"));
    let sections = section_sizes(&elf).unwrap_or_else(|e| panic!("{e}"));
    let (flash, static_ram) = flash_and_static_ram(&sections);

    let dir = firmware_target_dir().join("sizes");
    std::fs::create_dir_all(&dir).expect("sizes folder");
    let mut stack = 0;
    for window in [64, 32] {
        // A full structured generation with every output file written (the PNG writer has the
        // largest frame of the output code).
        let args = format!("seed=9 temp=0.8 topk=8 window={window} quiet");
        let run = run_qemu(&elf, &args, &dir, false, Duration::from_secs(600))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(run.code, 0, "firmware failed:\n{}", run.output);
        let peak = run
            .value("stack_peak_bytes")
            .unwrap_or_else(|| panic!("no stack report:\n{}", run.output));
        eprintln!("window {window}: peak stack {peak} bytes");
        stack = stack.max(peak);
    }

    let pg_elf = build_firmware_for("pygamer", &model).unwrap_or_else(|e| panic!("{e}"));
    let pg_sections = section_sizes(&pg_elf).unwrap_or_else(|e| panic!("{e}"));
    let (pg_flash, pg_ram) = flash_and_static_ram(&pg_sections);

    SizeFile {
        about: "Release firmware-demo sizes in bytes, measured by `cargo test -p pxby-tests --test sizes` \
                (llvm-size -A; peak stack by stack painting in QEMU, max over windows 64 and 32). \
                Re-record with PXBY_UPDATE_SIZES=1."
            .into(),
        budget: Budget { flash_bytes: BUDGET_FLASH, ram_bytes: BUDGET_RAM },
        qemu: QemuSizes {
            model_file_bytes,
            sections,
            flash_bytes: flash,
            static_ram_bytes: static_ram,
            stack_peak_bytes: stack,
            ram_bytes: static_ram + stack,
        },
        pygamer: PygamerSizes { sections: pg_sections, flash_bytes: pg_flash, static_ram_bytes: pg_ram },
    }
}

fn write_atomic(path: &Path, text: &str) {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).expect("write size file");
    std::fs::rename(&tmp, path).expect("replace size file");
}

#[test]
fn firmware_sizes_match_the_recorded_ones_and_fit_the_budget() {
    if !require_qemu("firmware_sizes_match_the_recorded_ones_and_fit_the_budget") {
        return;
    }
    let now = measure();
    eprintln!("{}", serde_json::to_string_pretty(&now).unwrap_or_default());
    let path = sizes_path();
    if std::env::var_os("PXBY_UPDATE_SIZES").is_some() {
        write_atomic(
            &path,
            &(serde_json::to_string_pretty(&now).unwrap_or_default() + "\n"),
        );
        eprintln!("recorded {}", path.display());
    }
    assert!(
        now.qemu.flash_bytes <= BUDGET_FLASH,
        "flash {} > budget {BUDGET_FLASH}",
        now.qemu.flash_bytes
    );
    assert!(
        now.qemu.ram_bytes <= BUDGET_RAM,
        "RAM {} > budget {BUDGET_RAM}",
        now.qemu.ram_bytes
    );
    assert!(
        now.pygamer.flash_bytes <= BUDGET_FLASH,
        "PyGamer flash {} > budget",
        now.pygamer.flash_bytes
    );

    if std::env::var_os("PXBY_UPDATE_SIZES").is_some() {
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (record it with PXBY_UPDATE_SIZES=1)",
            path.display()
        )
    });
    let was: SizeFile =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        was.qemu.model_file_bytes, now.qemu.model_file_bytes,
        "the embedded model changed size: re-record with PXBY_UPDATE_SIZES=1"
    );
    let mut regressions = Vec::new();
    let mut check = |what: &str, was: u64, now: u64| {
        if now > was {
            regressions.push(format!(
                "{what}: {now} bytes, recorded {was} (+{})",
                now - was
            ));
        } else if now < was {
            eprintln!(
                "note: {what} shrank from {was} to {now} bytes; re-record with PXBY_UPDATE_SIZES=1"
            );
        }
    };
    check("qemu flash", was.qemu.flash_bytes, now.qemu.flash_bytes);
    check(
        "qemu static RAM",
        was.qemu.static_ram_bytes,
        now.qemu.static_ram_bytes,
    );
    check(
        "qemu peak stack",
        was.qemu.stack_peak_bytes,
        now.qemu.stack_peak_bytes,
    );
    check(
        "pygamer flash",
        was.pygamer.flash_bytes,
        now.pygamer.flash_bytes,
    );
    check(
        "pygamer static RAM",
        was.pygamer.static_ram_bytes,
        now.pygamer.static_ram_bytes,
    );
    assert!(
        regressions.is_empty(),
        "size regressions against {}:\n{}",
        path.display(),
        regressions.join("\n")
    );
}
