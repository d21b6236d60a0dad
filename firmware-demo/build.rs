//! Build script of the firmware: link arguments, the memory map of each board, and the model file
//! that `include_bytes!` embeds.
//!
//! Model: `$PXBY_MODEL` if set (a path, relative to the workspace root or absolute), else
//! `fixtures/models/default-int8.pxby` when it exists. When neither exists, a clearly labelled
//! *untrained* model with seeded random weights (paper configuration, int8) is written into
//! `OUT_DIR` with pxby-core's writer, so the firmware still builds and runs end to end; a cargo
//! warning says so and the firmware prints the model's notes. The model is checked with
//! `pxby_core::Model::from_bytes` (what the firmware runs at reset): a file it rejects fails
//! the build, saying why.
//!
//! Memory maps: the `qemu` binary links against `memory/qemu.x` (or, with
//! `PXBY_MEMORY_MAP=budget`, `memory/qemu-budget.x`); the `pygamer` binary against
//! `memory/pygamer.x` (flash after the UF2 bootloader); the `microbit` binary against
//! `memory/microbit.x` (the nRF51822's 256 KiB of flash and 16 KiB of RAM).
use std::{
    env, fs,
    path::{Path, PathBuf},
};

use pxby_core::{
    Model,
    config::ModelConfig,
    format::{Metadata, random_weights, write_model},
    quant::WeightType,
    wide::widen,
};

const DEFAULT_MODEL: &str = "fixtures/models/default-int8.pxby";
/// Seed of the untrained stand-in model.
const RANDOM_SEED: u64 = 0x5058_4259_2d72_7321;

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest
        .parent()
        .expect("firmware-demo lives in the workspace")
        .to_path_buf();
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = env::var("TARGET").unwrap_or_default();
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=memory");

    if target.starts_with("thumb") {
        println!("cargo:rustc-link-arg-bins=--nmagic");
        println!("cargo:rustc-link-arg-bins=-Tlink.x");
        // Each binary's memory.x sits in a folder of its own, searched for that binary only, so
        // the boards build together. PXBY_MEMORY_MAP=budget links the QEMU binary against the
        // demo's budget (256 KiB flash, 64 KiB RAM at QEMU's addresses); its default is the
        // machine's full 4 MiB + 4 MiB.
        println!("cargo:rerun-if-env-changed=PXBY_MEMORY_MAP");
        let budget = env::var("PXBY_MEMORY_MAP").is_ok_and(|m| m == "budget");
        let qemu = if budget { "qemu-budget.x" } else { "qemu.x" };
        for (bin, map) in [
            ("qemu", qemu),
            ("pygamer", "pygamer.x"),
            ("microbit", "microbit.x"),
        ] {
            let text = fs::read(manifest.join("memory").join(map))
                .expect("firmware-demo/memory/*.x is readable");
            let dir = out.join(bin);
            fs::create_dir_all(&dir).expect("OUT_DIR is writable");
            write_if_changed(&dir.join("memory.x"), &text);
            println!("cargo:rustc-link-arg-bin={bin}=-L{}", dir.display());
        }
    }

    let model = model_path(&workspace, &out);
    let loaded = check_model(&model);
    println!("cargo:rustc-env=PXBY_MODEL_FILE={}", model.display());
    let wide = out.join("model.wide");
    write_if_changed(&wide, &wide_image(&loaded, &model, &target));
    println!("cargo:rustc-env=PXBY_WIDE_FILE={}", wide.display());
}

/// The widened-weights image (`pxby_core::wide`) of `model` (the bytes of `path`) for targets
/// with the DSP instructions (the Cortex-M4 boards, whose SMLAD loop reads it), else nothing:
/// the Cortex-M0 has no SMLAD, and a model that is not integer has nothing to widen.
fn wide_image(model: &[u8], path: &Path, target: &str) -> Vec<u8> {
    if !target.starts_with("thumbv7em") {
        return Vec::new();
    }
    match Model::from_bytes(model).map(|m| widen(&m)) {
        Ok(Ok(image)) => image,
        _ => {
            println!(
                "cargo:warning={} is not an integer model: no widened weights, the Cortex-M4 runs the slower loop",
                path.display()
            );
            Vec::new()
        }
    }
}

/// Fails the build when the firmware could not load `path` (it would stop at reset); returns
/// the file's bytes.
fn check_model(path: &Path) -> Vec<u8> {
    let bytes = fs::read(path).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
    if let Err(e) = Model::from_bytes(&bytes) {
        fail(&format!(
            "{} is not a model the firmware can load: {e} (PXBY_MODEL names the model to embed)",
            path.display()
        ));
    }
    bytes
}

/// Stops the build with `message` as cargo's error (cargo fails a build whose script logged an
/// error; the script itself ends normally, so cargo shows just the message).
fn fail(message: &str) -> ! {
    println!("cargo::error={message}");
    std::process::exit(0)
}

fn model_path(workspace: &Path, out: &Path) -> PathBuf {
    println!("cargo:rerun-if-env-changed=PXBY_MODEL");
    if let Some(p) = env::var_os("PXBY_MODEL").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        let p = if p.is_absolute() {
            p
        } else {
            workspace.join(p)
        };
        if !p.is_file() {
            fail(&format!("PXBY_MODEL={} is not a file", p.display()));
        }
        println!("cargo:rerun-if-changed={}", p.display());
        return p;
    }
    let default = workspace.join(DEFAULT_MODEL);
    // Watch the folder too, so that committing the default model triggers a rebuild.
    let watch = match default.parent() {
        Some(d) if d.is_dir() => d.to_path_buf(),
        _ => workspace.join("fixtures"),
    };
    println!("cargo:rerun-if-changed={}", watch.display());
    if default.is_file() {
        println!("cargo:rerun-if-changed={}", default.display());
        return default;
    }
    let path = out.join("untrained-random-int8.pxby");
    let bytes = random_model();
    write_if_changed(&path, &bytes);
    println!(
        "cargo:warning=no {DEFAULT_MODEL} and no PXBY_MODEL: embedding an UNTRAINED seeded random model ({})",
        path.display()
    );
    path
}

/// The paper's configuration with seeded random weights (`pxby_core::format::random_weights`):
/// the shapes, file size and per-token work of the real model, none of its skill.
fn random_model() -> Vec<u8> {
    let config = ModelConfig::PAPER_BEST;
    let tensors = random_weights(&config, RANDOM_SEED, 1.0);
    let borrowed: Vec<(&str, &[f32])> = tensors.iter().map(|(n, d)| (*n, d.as_slice())).collect();
    let meta = Metadata {
        notes: "UNTRAINED: seeded random weights written by firmware-demo/build.rs (stand-in until fixtures/models/default-int8.pxby exists)",
        created: "firmware-demo build.rs",
        ..Metadata::default()
    };
    write_model(&config, &meta, WeightType::I8, &borrowed)
        .expect("the random paper-configuration model serialises")
}

fn write_if_changed(path: &Path, bytes: &[u8]) {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return;
    }
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, bytes).expect("OUT_DIR is writable");
    fs::rename(&tmp, path).expect("OUT_DIR is writable");
}
