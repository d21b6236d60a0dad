//! Flash and RAM of the release firmware against the checked-in size file
//! `firmware-demo/sizes.json` and the budget (flash <= 256 KiB, RAM <= 64 KiB including the
//! framebuffer). Any number above its recorded value fails (a regression shows in review); an
//! improvement prints a note. Re-record with
//! `PXBY_UPDATE_SIZES=1 cargo test -p pxby-tests --test sizes` (keeps the exemptions).
//!
//! RAM = static (.data + .bss + .uninit, from the ELF's section headers) + peak stack, measured by stack
//! painting in QEMU (`-icount shift=0`, so interrupts land deterministically) over a full
//! structured generation, once per window (32 and 64).
//! A budget overrun fails unless the size file lists it under `over_budget` with the reason (a
//! ratchet: an exemption that is no longer needed fails too, so it gets removed).
//! The PyGamer build is linked with the PyGamer memory map (the board crate's memory.x: 496 KiB
//! flash after the bootloader, 192 KiB RAM) to prove it fits; it has no RAM framebuffer (the
//! ST7735 keeps the pixels) and its stack is not measured (no emulator for that board).
//! The micro:bit (`microbit` board, Cortex-M0 in QEMU's `-machine microbit`) has its own entry
//! and budget: flash <= 256 KiB, static RAM + peak stack <= 16 KiB (its memory map is that
//! size, so the linker enforces the static part too); its own test measures and records it.

use std::{collections::BTreeMap, path::Path, sync::Mutex, time::Duration};

use pxby_tests::{
    build_firmware_for, firmware_target_dir, flash_and_static_ram, require_qemu, run_microbit,
    run_qemu, section_sizes, test_model, workspace_root,
};
use serde::{Deserialize, Serialize};

const BUDGET_FLASH: u64 = 256 * 1024;
const BUDGET_RAM: u64 = 64 * 1024;
const WINDOWS: [u32; 2] = [32, 64];
/// The micro:bit's RAM (nRF51822): statics and stack share it.
const BUDGET_RAM_MICROBIT: u64 = 16 * 1024;

/// Held while a test reads and rewrites the size file (the two tests each own a part of it).
static SIZE_FILE: Mutex<()> = Mutex::new(());

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct SizeFile {
    about: String,
    budget: Budget,
    /// Budget checks allowed to fail for now (check name -> reason), e.g. `qemu_ram_window_64`.
    #[serde(default)]
    over_budget: BTreeMap<String, String>,
    qemu: QemuSizes,
    pygamer: PygamerSizes,
    /// The micro:bit board (recorded by its own test).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    microbit: Option<MicrobitSizes>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct MicrobitSizes {
    sections: BTreeMap<String, u64>,
    flash_bytes: u64,
    static_ram_bytes: u64,
    /// The window the board runs (the only one that fits).
    window: u32,
    /// Deepest stack over a structured and a free run (model loading included).
    stack_peak_bytes: u64,
    /// Static RAM + peak stack.
    ram_bytes: u64,
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
    /// Per window: peak stack and RAM (static + peak stack).
    windows: BTreeMap<String, WindowRam>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct WindowRam {
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
    let mut windows = BTreeMap::new();
    for window in WINDOWS {
        // A full structured generation with every output file written (the PNG writer has the
        // largest frame of the output code). `-icount` makes the SysTick wrap interrupts land on
        // the same instructions every run: without it they follow the host's clock, and an
        // exception frame stacked at the deepest call moved the peak by up to 80 bytes.
        let args = format!("seed=9 temp=0.8 topk=8 window={window} quiet");
        let run = run_qemu(&elf, &args, &dir, true, Duration::from_secs(600))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(run.code, 0, "firmware failed:\n{}", run.output);
        let peak = run
            .value("stack_peak_bytes")
            .unwrap_or_else(|| panic!("no stack report:\n{}", run.output));
        eprintln!("window {window}: peak stack {peak} bytes");
        windows.insert(
            window.to_string(),
            WindowRam {
                stack_peak_bytes: peak,
                ram_bytes: static_ram + peak,
            },
        );
    }

    let pg_elf = build_firmware_for("pygamer", &model).unwrap_or_else(|e| panic!("{e}"));
    let pg_sections = section_sizes(&pg_elf).unwrap_or_else(|e| panic!("{e}"));
    let (pg_flash, pg_ram) = flash_and_static_ram(&pg_sections);

    SizeFile {
        about: "Release firmware-demo sizes in bytes, measured by `cargo test -p pxby-tests --test sizes` \
                (ELF section headers; peak stack by stack painting in QEMU, per window). \
                Re-record with PXBY_UPDATE_SIZES=1."
            .into(),
        budget: Budget { flash_bytes: BUDGET_FLASH, ram_bytes: BUDGET_RAM },
        over_budget: BTreeMap::new(),
        qemu: QemuSizes {
            model_file_bytes,
            sections,
            flash_bytes: flash,
            static_ram_bytes: static_ram,
            windows,
        },
        pygamer: PygamerSizes { sections: pg_sections, flash_bytes: pg_flash, static_ram_bytes: pg_ram },
        microbit: None,
    }
}

fn measure_microbit() -> MicrobitSizes {
    let model = test_model().expect("test model");
    let elf = build_firmware_for("microbit", &model).unwrap_or_else(|e| panic!("{e}"));
    let sections = section_sizes(&elf).unwrap_or_else(|e| panic!("{e}"));
    let (flash, static_ram) = flash_and_static_ram(&sections);
    let dir = firmware_target_dir().join("sizes-microbit");
    std::fs::create_dir_all(&dir).expect("sizes folder");
    let mut peak = 0;
    // With the token file written, as the parity test runs it; `-icount` as for the qemu board.
    for args in [
        "seed=9 temp=0.8 topk=8 quiet tokens=tokens.bin",
        "seed=3 temp=1 topk=0 mode=free max=400 quiet tokens=tokens.bin",
    ] {
        let run = run_microbit(&elf, args, &dir, true, Duration::from_secs(600))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(run.code, 0, "firmware failed:\n{}", run.output);
        let p = run
            .value("stack_peak_bytes")
            .unwrap_or_else(|| panic!("no stack report:\n{}", run.output));
        eprintln!("micro:bit `{args}`: peak stack {p} bytes");
        peak = peak.max(p);
    }
    MicrobitSizes {
        sections,
        flash_bytes: flash,
        static_ram_bytes: static_ram,
        window: 32,
        stack_peak_bytes: peak,
        ram_bytes: static_ram + peak,
    }
}

fn read_size_file() -> Option<SizeFile> {
    let path = sizes_path();
    std::fs::read_to_string(&path)
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

#[test]
fn microbit_sizes_match_the_recorded_ones_and_fit_16_kib() {
    if !require_qemu("microbit_sizes_match_the_recorded_ones_and_fit_16_kib") {
        return;
    }
    let now = measure_microbit();
    eprintln!("{}", serde_json::to_string_pretty(&now).unwrap_or_default());
    let mut failures = Vec::new();
    if now.flash_bytes > BUDGET_FLASH {
        failures.push(format!(
            "microbit flash: {} bytes > budget {BUDGET_FLASH}",
            now.flash_bytes
        ));
    }
    if now.ram_bytes > BUDGET_RAM_MICROBIT {
        failures.push(format!(
            "microbit RAM (static {} + peak stack {}): {} bytes > budget {BUDGET_RAM_MICROBIT}",
            now.static_ram_bytes, now.stack_peak_bytes, now.ram_bytes
        ));
    }
    assert!(failures.is_empty(), "budget:\n{}", failures.join("\n"));

    let path = sizes_path();
    let _lock = SIZE_FILE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut file = read_size_file().unwrap_or_else(|| {
        panic!(
            "{}: missing (record it with PXBY_UPDATE_SIZES=1)",
            path.display()
        )
    });
    if std::env::var_os("PXBY_UPDATE_SIZES").is_some() {
        file.microbit = Some(now);
        write_atomic(
            &path,
            &(serde_json::to_string_pretty(&file).unwrap_or_default() + "\n"),
        );
        eprintln!("recorded the micro:bit in {}", path.display());
        return;
    }
    let was = file
        .microbit
        .unwrap_or_else(|| panic!("{}: no `microbit` entry (re-record)", path.display()));
    let mut regressions = Vec::new();
    for (what, was, now) in [
        ("microbit flash", was.flash_bytes, now.flash_bytes),
        (
            "microbit static RAM",
            was.static_ram_bytes,
            now.static_ram_bytes,
        ),
        (
            "microbit peak stack",
            was.stack_peak_bytes,
            now.stack_peak_bytes,
        ),
    ] {
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
    }
    assert!(
        regressions.is_empty(),
        "size regressions against {}:\n{}",
        path.display(),
        regressions.join("\n")
    );
}

/// (check name, measured, budget).
fn budget_checks(s: &SizeFile) -> Vec<(String, u64, u64)> {
    let mut checks = vec![
        ("qemu_flash".to_string(), s.qemu.flash_bytes, BUDGET_FLASH),
        (
            "pygamer_flash".to_string(),
            s.pygamer.flash_bytes,
            BUDGET_FLASH,
        ),
    ];
    for (w, r) in &s.qemu.windows {
        checks.push((format!("qemu_ram_window_{w}"), r.ram_bytes, BUDGET_RAM));
    }
    checks
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
    let mut now = measure();
    let path = sizes_path();
    let lock = SIZE_FILE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let was = read_size_file();
    // The micro:bit's entry is its own test's: kept as recorded.
    now.microbit = was.as_ref().and_then(|w| w.microbit.clone());
    now.over_budget = was
        .as_ref()
        .map(|w| w.over_budget.clone())
        .unwrap_or_default();
    eprintln!("{}", serde_json::to_string_pretty(&now).unwrap_or_default());

    let update = std::env::var_os("PXBY_UPDATE_SIZES").is_some();
    if update {
        write_atomic(
            &path,
            &(serde_json::to_string_pretty(&now).unwrap_or_default() + "\n"),
        );
        eprintln!("recorded {}", path.display());
    }
    drop(lock);

    let mut failures = Vec::new();
    for (name, value, budget) in budget_checks(&now) {
        match (value > budget, now.over_budget.get(&name)) {
            (true, None) => failures.push(format!("{name}: {value} bytes > budget {budget}")),
            (true, Some(reason)) => eprintln!(
                "\n*** KNOWN OVER BUDGET {name}: {value} bytes > {budget} ({reason}) ***\n"
            ),
            (false, Some(_)) => failures.push(format!(
                "{name}: {value} bytes now fits the budget {budget}: remove its `over_budget` entry"
            )),
            (false, None) => {}
        }
    }
    assert!(failures.is_empty(), "budget:\n{}", failures.join("\n"));
    if update {
        return;
    }

    let was = was.unwrap_or_else(|| {
        panic!(
            "{}: missing (record it with PXBY_UPDATE_SIZES=1)",
            path.display()
        )
    });
    assert_eq!(
        was.qemu.model_file_bytes, now.qemu.model_file_bytes,
        "the embedded model changed size: re-record with PXBY_UPDATE_SIZES=1"
    );
    let mut regressions = Vec::new();
    let mut check = |what: String, was: Option<u64>, now: u64| match was {
        None => regressions.push(format!("{what}: not recorded (re-record)")),
        Some(was) if now > was => regressions.push(format!(
            "{what}: {now} bytes, recorded {was} (+{})",
            now - was
        )),
        Some(was) if now < was => eprintln!(
            "note: {what} shrank from {was} to {now} bytes; re-record with PXBY_UPDATE_SIZES=1"
        ),
        Some(_) => {}
    };
    check(
        "qemu flash".into(),
        Some(was.qemu.flash_bytes),
        now.qemu.flash_bytes,
    );
    check(
        "qemu static RAM".into(),
        Some(was.qemu.static_ram_bytes),
        now.qemu.static_ram_bytes,
    );
    for (w, r) in &now.qemu.windows {
        let old = was.qemu.windows.get(w).map(|o| o.stack_peak_bytes);
        check(
            format!("qemu peak stack, window {w}"),
            old,
            r.stack_peak_bytes,
        );
    }
    check(
        "pygamer flash".into(),
        Some(was.pygamer.flash_bytes),
        now.pygamer.flash_bytes,
    );
    check(
        "pygamer static RAM".into(),
        Some(was.pygamer.static_ram_bytes),
        now.pygamer.static_ram_bytes,
    );
    assert!(
        regressions.is_empty(),
        "size regressions against {}:\n{}",
        path.display(),
        regressions.join("\n")
    );
}
