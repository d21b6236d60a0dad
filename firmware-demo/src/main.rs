//! PixelBytes handheld demo: generates a Pokémon (header, sprite, description) with the default
//! model embedded in flash and draws it, token by token, on a 160x128 screen.
//!
//! Boards (cargo features): `qemu` (default; mps2-an386 in QEMU, semihosting I/O) and `pygamer`
//! (Adafruit PyGamer). Build for `thumbv7em-none-eabihf`; a host build only prints a note.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
mod model_data;
#[cfg(all(target_os = "none", feature = "qemu", not(feature = "pygamer")))]
mod png;
#[cfg(all(target_os = "none", feature = "pygamer"))]
mod pygamer;
#[cfg(all(target_os = "none", feature = "qemu", not(feature = "pygamer")))]
mod qemu;
#[cfg(all(target_os = "none", feature = "qemu", not(feature = "pygamer")))]
mod semihost;
#[cfg(all(target_os = "none", feature = "qemu", not(feature = "pygamer")))]
mod stack;
#[cfg(all(target_os = "none", feature = "qemu", not(feature = "pygamer")))]
mod ticks;

#[cfg(all(target_os = "none", not(any(feature = "qemu", feature = "pygamer"))))]
compile_error!("firmware-demo needs a board feature: `qemu` or `pygamer`");

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "firmware-demo is Cortex-M4F firmware: build it with \
         `cargo build -p firmware-demo --release --target thumbv7em-none-eabihf --features qemu` \
         (or `cargo run --release` inside firmware-demo/ to run it in QEMU)"
    );
    std::process::exit(2);
}
