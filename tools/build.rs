//! Builds the page's WebAssembly module (`pxby-web` for `wasm32-unknown-unknown`, release) so
//! `pxby serve` embeds it: `cargo build` stays one command and the wasm always matches the
//! sources. The nested cargo uses its own target folder (next to the outer one) so it never
//! waits on the outer build's lock, and a size-tuned release profile (no debug info, LTO, one
//! codegen unit, stripped).

//!
//! It also derives the page's completion items (`items.json`, see `src/bundle.rs`) from the
//! built dataset named by `PXBY_DATASET` (a `pxby dataset build` output), when set: a few
//! validation items' token streams, nothing of the raw sprites or CSV. Unset, the page bundles
//! none (`pxby serve --data` still offers a dataset's items).

use std::{env, path::PathBuf, process::Command};

#[allow(dead_code)]
#[path = "src/bundle.rs"]
mod bundle;

/// `items.json` in `out`: from `$PXBY_DATASET`, else an empty list.
fn write_items(out: &std::path::Path) {
    println!("cargo:rerun-if-env-changed=PXBY_DATASET");
    let json = match env::var_os("PXBY_DATASET") {
        None => "[]".to_string(),
        Some(path) => {
            println!("cargo:rerun-if-changed={}", PathBuf::from(&path).display());
            let ds = pxby_data::dataset::Dataset::read(&path)
                .unwrap_or_else(|e| panic!("PXBY_DATASET={}: {e}", PathBuf::from(&path).display()));
            bundle::items_json(&ds)
        }
    };
    std::fs::write(out.join("items.json"), json).expect("write items.json");
}

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest
        .parent()
        .expect("tools/ is inside the workspace")
        .to_path_buf();
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    write_items(&out);
    for dir in ["pxby-web", "pxby-core", "pxby-screen"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );

    // OUT_DIR is <target>/<profile>/build/pxby-tools-<hash>/out: the wasm gets <target>/web.
    let target_dir = out
        .ancestors()
        .nth(4)
        .map_or_else(|| out.join("web"), |t| t.join("web"));
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args([
            "build",
            "--release",
            "-p",
            "pxby-web",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .env("CARGO_PROFILE_RELEASE_DEBUG", "0")
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
        .env("CARGO_PROFILE_RELEASE_STRIP", "true")
        // WebAssembly SIMD (128-bit; every current browser has it): LLVM vectorises the integer
        // kernels' loops with it, as with SSE2 on x86_64.
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            "-C target-feature=+simd128",
        );
    // What the outer build set for itself (clippy's wrapper, host flags) is not for the wasm.
    for var in [
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build pxby-web for wasm32: {e}"));
    assert!(
        status.success(),
        "building pxby-web for wasm32-unknown-unknown failed ({status}); is the target installed? \
         (`rustup target add wasm32-unknown-unknown`)"
    );
    let wasm = target_dir.join("wasm32-unknown-unknown/release/pxby_web.wasm");
    std::fs::copy(&wasm, out.join("pxby_web.wasm"))
        .unwrap_or_else(|e| panic!("{}: {e}", wasm.display()));
}
