//! The PixelBytes demo on a BBC micro:bit in QEMU (`-machine microbit`: nRF51822, Cortex-M0,
//! 16 KiB of RAM): generates a Pokémon (header, sprite, description) with the integer model
//! embedded in flash at window 32 and prints it over semihosting, one character per colour
//! (see `src/microbit/`).
//!
//! Build for `thumbv6m-none-eabi` with `--features microbit`; a host build only prints a note.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
#[path = "../microbit/mod.rs"]
mod board;
#[cfg(target_os = "none")]
#[path = "../model_data.rs"]
mod model_data;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "the microbit board is Cortex-M0 firmware: build it with \
         `cargo build -p firmware-demo --release --target thumbv6m-none-eabi --features microbit --bin microbit` \
         and run it with `qemu-system-arm -machine microbit -nographic \
         -semihosting-config enable=on,target=native -kernel ELF -append 'microbit seed=7'`"
    );
    std::process::exit(2);
}
