//! Link fix for tch on a wheel-installed libtorch (see ../shared/TOOLCHAIN.md, "libtorch for tch").
//!
//! torch-sys links `torch_cpu` and `c10`, but sets no rpath, so the binary would not find
//! `libtorch_cpu.so` at run time: torch-sys (`links = "tch"`) publishes the library folder as
//! `DEP_TCH_LIBTORCH_LIB` and we add an rpath to it. The linker also drops `libtorch.so` (and
//! with it `libtorch_cuda.so`) as "not needed", which leaves CUDA unavailable even on a GPU host;
//! we force them in with `--no-as-needed` when the CUDA libraries they load are installed (a
//! full `pip install torch`: `nvidia/*/lib/libcublas.so*` next to torch), or when
//! `HOST_TRAIN_LINK_CUDA=1`. The CPU-only setup of `scripts/setup-torch.sh` lacks them, and there
//! `libtorch.so` could not even be loaded. These flags stay in this crate: as global rustflags
//! they break the no_std crate's tests.

use std::path::Path;

fn has_cublas(site_packages: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(site_packages.join("nvidia")) else {
        return false;
    };
    entries.flatten().any(|e| {
        std::fs::read_dir(e.path().join("lib")).is_ok_and(|libs| {
            libs.flatten()
                .any(|l| l.file_name().to_string_lossy().starts_with("libcublas.so"))
        })
    })
}

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    println!("cargo:rerun-if-env-changed=HOST_TRAIN_LINK_CUDA");
    let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") else {
        return;
    };
    let lib_dir = Path::new(&lib);
    println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    let forced = std::env::var("HOST_TRAIN_LINK_CUDA").is_ok_and(|v| v == "1");
    let full = lib_dir.join("libtorch_cuda.so").exists() && has_cublas(&lib_dir.join("../.."));
    if forced || full {
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
        println!("cargo:rustc-link-arg=-ltorch");
        println!("cargo:rustc-link-arg=-ltorch_cuda");
        println!("cargo:rustc-link-arg=-Wl,--as-needed");
    }
}
