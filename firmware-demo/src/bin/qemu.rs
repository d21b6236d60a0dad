//! The PixelBytes handheld demo on QEMU's mps2-an386 (Cortex-M4F): generates a Pokémon (header,
//! sprite, description) with the model embedded in flash and draws it, token by token, into a
//! 160x128 palette-indexed framebuffer; options come from the semihosting command line and the
//! results go to host files (see `src/qemu/`).
//!
//! Build for `thumbv7em-none-eabihf` with `--features qemu`; a host build only prints a note.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
#[path = "../qemu/mod.rs"]
mod board;
#[cfg(target_os = "none")]
#[path = "../model_data.rs"]
mod model_data;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "the qemu board is Cortex-M4F firmware: build it with \
         `cargo build -p firmware-demo --release --target thumbv7em-none-eabihf --features qemu` \
         (or run `cargo qemu` inside firmware-demo/ to run it in QEMU)"
    );
    std::process::exit(2);
}
