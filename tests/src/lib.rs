//! Helpers of the cross-target tests: build the firmware for the Cortex-M4F, run it in QEMU,
//! and reproduce on the host, with the same `pxby-core` and the same drawing code, what it
//! should have produced.
//!
//! The firmware is built by the tests themselves (`cargo build -p firmware-demo --release
//! --target thumbv7em-none-eabihf --features qemu --bin qemu`, in the separate target folder
//! `target/pxby-tests` so that it never waits on the lock of the `cargo test` that runs them).
//! QEMU tests skip with a loud message when `qemu-system-arm` is missing and `CI` is unset; in CI
//! a missing QEMU fails them (install it with `scripts/setup-qemu.sh`).

use std::{
    collections::BTreeMap,
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics_simulator::SimulatorDisplay;
use object::{Object, ObjectSection};
use pxby_core::{
    config::ModelConfig,
    format::{Metadata, random_weights, write_model},
    model::Model,
    quant::WeightType,
};
use pxby_screen::args::Options;
use wait_timeout::ChildExt;

/// Errors of the helpers.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A command could not start or failed.
    #[error("{what}: {detail}")]
    Command {
        /// The command.
        what: String,
        /// Why.
        detail: String,
    },
    /// File I/O.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The model could not be read or written.
    #[error("model: {0}")]
    Model(pxby_core::Error),
    /// The host run failed.
    #[error("host run: {0}")]
    Host(String),
    /// An ELF file could not be read.
    #[error("{path}: {source}")]
    Elf {
        /// The file.
        path: PathBuf,
        /// The error.
        source: object::Error,
    },
}

/// Result of the helpers.
pub type Result<T> = std::result::Result<T, HarnessError>;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// The target folder the tests build the firmware in.
pub fn firmware_target_dir() -> PathBuf {
    workspace_root().join("target").join("pxby-tests")
}

/// The thumb target of the firmware.
pub const TARGET: &str = "thumbv7em-none-eabihf";

/// The thumb target of the micro:bit board (Cortex-M0).
pub const TARGET_M0: &str = "thumbv6m-none-eabi";

/// The thumb target `board`'s binary is built for: [`TARGET_M0`] for `microbit`, else
/// [`TARGET`].
pub fn target_of(board: &str) -> &'static str {
    if board == "microbit" {
        TARGET_M0
    } else {
        TARGET
    }
}

/// The model file the firmware embeds for the tests: `$PXBY_MODEL`, else the default model
/// `fixtures/models/default-int8.pxby`, else an untrained seeded random model (paper
/// configuration, int8) written once into the tests' target folder.
pub fn test_model() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("PXBY_MODEL").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return Ok(if p.is_absolute() {
            p
        } else {
            workspace_root().join(p)
        });
    }
    let default = workspace_root().join("fixtures/models/default-int8.pxby");
    if default.is_file() {
        return Ok(default);
    }
    let dir = firmware_target_dir();
    let path = dir.join("untrained-random-int8.pxby");
    let bytes = random_model(0x7e57).map_err(HarnessError::Model)?;
    if std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
        std::fs::create_dir_all(&dir).map_err(|source| HarnessError::Io {
            path: dir.clone(),
            source,
        })?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &bytes).map_err(|source| HarnessError::Io {
            path: tmp.clone(),
            source,
        })?;
        std::fs::rename(&tmp, &path).map_err(|source| HarnessError::Io {
            path: path.clone(),
            source,
        })?;
    }
    eprintln!(
        "note: no default model yet; the tests use an UNTRAINED seeded random model ({})",
        path.display()
    );
    Ok(path)
}

/// An untrained model of the paper's configuration with seeded random weights.
pub fn random_model(seed: u64) -> std::result::Result<Vec<u8>, pxby_core::Error> {
    let config = ModelConfig::PAPER_BEST;
    // Larger weights than an initialiser would use, so the untrained model's distribution is not
    // flat and the sampled streams differ between seeds.
    let tensors = random_weights(&config, seed, 4.0);
    let borrowed: Vec<(&str, &[f32])> = tensors.iter().map(|(n, d)| (*n, d.as_slice())).collect();
    let meta = Metadata {
        notes: "UNTRAINED: seeded random weights (pxby-tests)",
        created: "pxby-tests",
        ..Metadata::default()
    };
    write_model(&config, &meta, WeightType::I8, &borrowed)
}

/// Builds the QEMU firmware (release) embedding `model`; returns the ELF's path.
pub fn build_firmware(model: &Path) -> Result<PathBuf> {
    build_firmware_for("qemu", model)
}

/// Builds the firmware binary of `board` (`qemu`, `pygamer` or `microbit`: the binary and the
/// feature it needs have the board's name; the target is [`target_of`] the board), release,
/// embedding `model`; returns the ELF's path. The boards use separate target folders.
pub fn build_firmware_for(board: &str, model: &Path) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = target_of(board);
    let target_dir = firmware_target_dir().join(board);
    let what = format!(
        "cargo build -p firmware-demo --release --target {target} --features {board} --bin {board}"
    );
    let out = Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "build",
            "-p",
            "firmware-demo",
            "--release",
            "--target",
            target,
            "--features",
            board,
            "--bin",
            board,
        ])
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("PXBY_MODEL", model)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| HarnessError::Command {
            what: what.clone(),
            detail: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(HarnessError::Command {
            what,
            detail: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(target_dir.join(target).join("release").join(board))
}

/// Whether `qemu-system-arm` runs.
pub fn qemu_available() -> bool {
    Command::new("qemu-system-arm")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `true` when QEMU tests can run. Without QEMU: panics when `CI` is set, else prints a loud
/// skip message and returns `false`.
pub fn require_qemu(test: &str) -> bool {
    if qemu_available() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: qemu-system-arm is missing and CI is set: run scripts/setup-qemu.sh");
    }
    eprintln!(
        "\n*** SKIPPED {test}: qemu-system-arm is not installed (run scripts/setup-qemu.sh); \
         with CI set this is a failure ***\n"
    );
    false
}

/// One finished QEMU run.
#[derive(Debug)]
pub struct QemuRun {
    /// Exit status code.
    pub code: i32,
    /// What the firmware printed (semihosting stdout; QEMU's own messages on stderr are added).
    pub output: String,
}

impl QemuRun {
    /// The value of `key=NUMBER` in the output.
    pub fn value(&self, key: &str) -> Option<u64> {
        self.output
            .split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
    }
}

/// Runs `elf` in QEMU (mps2-an386) with `args` as its command line, in `workdir` (where its
/// semihosting files land); `icount` adds `-icount shift=0` (deterministic instruction timing).
/// Killed after `timeout`.
pub fn run_qemu(
    elf: &Path,
    args: &str,
    workdir: &Path,
    icount: bool,
    timeout: Duration,
) -> Result<QemuRun> {
    run_machine(
        &["-cpu", "cortex-m4", "-machine", "mps2-an386"],
        elf,
        args,
        workdir,
        icount,
        timeout,
    )
}

/// Like [`run_qemu`] on QEMU's BBC micro:bit (`-machine microbit`: nRF51822, Cortex-M0, 16 KiB
/// of RAM), for the `microbit` board.
pub fn run_microbit(
    elf: &Path,
    args: &str,
    workdir: &Path,
    icount: bool,
    timeout: Duration,
) -> Result<QemuRun> {
    run_machine(
        &["-machine", "microbit"],
        elf,
        args,
        workdir,
        icount,
        timeout,
    )
}

fn run_machine(
    machine: &[&str],
    elf: &Path,
    args: &str,
    workdir: &Path,
    icount: bool,
    timeout: Duration,
) -> Result<QemuRun> {
    let what = format!(
        "qemu-system-arm {} -kernel {} -append '{args}'",
        machine.join(" "),
        elf.display()
    );
    let mut cmd = Command::new("qemu-system-arm");
    cmd.args(machine)
        .arg("-nographic")
        .args(["-semihosting-config", "enable=on,target=native"]);
    if icount {
        cmd.args(["-icount", "shift=0"]);
    }
    cmd.arg("-kernel")
        .arg(elf)
        .arg("-append")
        .arg(args)
        .current_dir(workdir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| HarnessError::Command {
        what: what.clone(),
        detail: e.to_string(),
    })?;
    let mut stdout = child.stdout.take().ok_or_else(|| HarnessError::Command {
        what: what.clone(),
        detail: "no stdout".into(),
    })?;
    let mut stderr = child.stderr.take().ok_or_else(|| HarnessError::Command {
        what: what.clone(),
        detail: "no stderr".into(),
    })?;
    let out_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(HarnessError::Command {
                what,
                detail: format!("timed out after {timeout:?}"),
            });
        }
        Err(e) => {
            return Err(HarnessError::Command {
                what,
                detail: e.to_string(),
            });
        }
    };
    let mut output = out_thread.join().unwrap_or_default();
    output.push_str(&err_thread.join().unwrap_or_default());
    Ok(QemuRun {
        code: status.code().unwrap_or(-1),
        output,
    })
}

/// What the host produces for one set of options: the token stream and the screen.
pub struct HostRun {
    /// Every token, prompt first.
    pub tokens: Vec<u8>,
    /// The final screen as RGB565 little-endian, row-major (the firmware's screen file format).
    pub screen: Vec<u8>,
    /// The simulator display (for PNG previews).
    pub display: SimulatorDisplay<Rgb565>,
}

/// The host preview users see: `pxby_tools::card::render` (what `pxby generate` draws), which
/// runs the firmware's own loop (`pxby_screen::demo::run`) with `pxby-core` into
/// `embedded-graphics-simulator`.
pub fn host_run(model_bytes: &[u8], opts: &Options<'_>) -> Result<HostRun> {
    let model = Model::from_bytes(model_bytes).map_err(HarnessError::Model)?;
    let card =
        pxby_tools::card::render(&model, opts).map_err(|e| HarnessError::Host(e.to_string()))?;
    Ok(HostRun {
        screen: card.screen_rgb565(),
        tokens: card.tokens,
        display: card.display,
    })
}

/// The first index where `a` and `b` differ (or where the shorter one ends).
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or_else(|| (a.len() != b.len()).then(|| a.len().min(b.len())))
}

/// The sections of a cortex-m-rt ELF that occupy flash or RAM.
pub const LOADED_SECTIONS: &[&str] = &[
    ".vector_table",
    ".text",
    ".rodata",
    ".data",
    ".gnu.sgstubs",
    ".bss",
    ".uninit",
];

/// Sizes of the [`LOADED_SECTIONS`] of an ELF, read from its section headers (what
/// `llvm-size -A` prints).
pub fn section_sizes(elf: &Path) -> Result<BTreeMap<String, u64>> {
    let bytes = std::fs::read(elf).map_err(|source| HarnessError::Io {
        path: elf.to_path_buf(),
        source,
    })?;
    let file = object::File::parse(bytes.as_slice()).map_err(|source| HarnessError::Elf {
        path: elf.to_path_buf(),
        source,
    })?;
    let mut sizes = BTreeMap::new();
    for section in file.sections() {
        if let Ok(name) = section.name()
            && LOADED_SECTIONS.contains(&name)
        {
            *sizes.entry(name.to_string()).or_insert(0) += section.size();
        }
    }
    Ok(sizes)
}

/// Flash (vector table, code, read-only data, initialised data) and static RAM (data, bss,
/// uninit) of a cortex-m-rt ELF.
pub fn flash_and_static_ram(sections: &BTreeMap<String, u64>) -> (u64, u64) {
    let get = |n: &str| sections.get(n).copied().unwrap_or(0);
    let flash =
        get(".vector_table") + get(".text") + get(".rodata") + get(".data") + get(".gnu.sgstubs");
    let ram = get(".data") + get(".bss") + get(".uninit");
    (flash, ram)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_finds_the_first_mismatch_or_length_change() {
        assert_eq!(first_difference(b"abc", b"abc"), None);
        assert_eq!(first_difference(b"abc", b"abd"), Some(2));
        assert_eq!(first_difference(b"abc", b"ab"), Some(2));
        assert_eq!(first_difference(b"", b"x"), Some(0));
    }

    #[test]
    fn section_sizes_come_from_the_elf_headers() {
        // This test binary is an ELF too (the host's).
        let exe = std::env::current_exe().expect("test binary");
        let sizes = section_sizes(&exe).expect("an ELF");
        assert!(sizes.get(".text").is_some_and(|&n| n > 1000), "{sizes:?}");
        assert!(sizes.keys().all(|k| LOADED_SECTIONS.contains(&k.as_str())));
        let (flash, _) = flash_and_static_ram(&sizes);
        assert!(flash >= sizes[".text"]);
        let not_elf = std::env::temp_dir().join(format!("pxby-not-elf-{}", std::process::id()));
        std::fs::write(&not_elf, b"not an ELF file").expect("temp file");
        let err = section_sizes(&not_elf);
        let _ = std::fs::remove_file(&not_elf);
        assert!(matches!(err, Err(HarnessError::Elf { .. })), "{err:?}");
    }

    #[test]
    fn values_are_read_from_the_firmware_output() {
        let run = QemuRun {
            code: 0,
            output:
                "bench: window=64 generated=12 model_instr_per_token=345\nstack_peak_bytes=99 x"
                    .into(),
        };
        assert_eq!(run.value("generated"), Some(12));
        assert_eq!(run.value("model_instr_per_token"), Some(345));
        assert_eq!(run.value("stack_peak_bytes"), Some(99));
        assert_eq!(run.value("window=64"), None);
        assert_eq!(run.value("missing"), None);
    }
}
