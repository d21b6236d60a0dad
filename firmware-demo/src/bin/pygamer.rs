//! The PixelBytes handheld demo on the Adafruit PyGamer (ATSAMD51J19, ST7735R): generates a
//! Pokémon with the model embedded in flash and draws it, token by token, straight onto the
//! screen; button A starts the next one (see `src/pygamer/`).
//!
//! Build for `thumbv7em-none-eabihf` with `--features pygamer`; a host build only prints a note.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
#[path = "../pygamer/mod.rs"]
mod board;
#[cfg(target_os = "none")]
#[path = "../model_data.rs"]
mod model_data;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "the pygamer board is Cortex-M4F firmware: build it with \
         `cargo build -p firmware-demo --release --target thumbv7em-none-eabihf --features pygamer` \
         (or run `cargo pygamer` inside firmware-demo/)"
    );
    std::process::exit(2);
}
