#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing (the pinned toolchain and
# its targets, QEMU, libtorch, Chromium), then checks formatting and lints, proves the no_std builds, builds
# the three firmware boards and runs every test of the workspace (pxby-core, tools, host-train with
# libtorch, and the firmware in QEMU against the host). Idempotent; `.ci/run` calls it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$SECONDS
step() { printf '\n==> [%4ds] %s\n' "$((SECONDS - start))" "$*"; }

step "toolchain (rust-toolchain.toml: 1.95.0 + thumbv7em, thumbv6m, wasm32)"
rustup toolchain install
step "QEMU"
scripts/setup-qemu.sh
step "Chromium and chromedriver for the web page's browser test"
scripts/setup-chromium.sh
step "libtorch for host-train"
scripts/setup-torch.sh

step "format"
cargo fmt --all -- --check
step "clippy: host crates"
cargo clippy --workspace --all-targets -- -D warnings
step "clippy: the web page's wasm (pxby-web's C ABI only builds for wasm32), with and without WebAssembly SIMD (the page's build uses it: tools/build.rs)"
cargo clippy -p pxby-web --target wasm32-unknown-unknown -- -D warnings
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128" \
    cargo clippy -p pxby-web --target wasm32-unknown-unknown --target-dir target/wasm-simd -- -D warnings
step "clippy: firmware (the three boards)"
cargo clippy -p firmware-demo --target thumbv7em-none-eabihf --features qemu --bins -- -D warnings
cargo clippy -p firmware-demo --target thumbv7em-none-eabihf --features pygamer --bins -- -D warnings
cargo clippy -p firmware-demo --target thumbv6m-none-eabi --features microbit --bins -- -D warnings
step "clippy: the integer kernels with the Cortex-M4 DSP instructions (pxby-dsp's asm) and on the M0"
cargo clippy -p pxby-dsp -p pxby-core --target thumbv7em-none-eabihf -- -D warnings
cargo clippy -p pxby-dsp -p pxby-core --target thumbv6m-none-eabi -- -D warnings

step "no_std: pxby-core for Cortex-M4F, Cortex-M0+ and wasm"
for target in thumbv7em-none-eabihf thumbv6m-none-eabi wasm32-unknown-unknown; do
    cargo build -p pxby-core --release --target "$target"
done
step "firmware: release builds (qemu, pygamer, microbit)"
cargo build -p firmware-demo --release --target thumbv7em-none-eabihf --features qemu --bin qemu
cargo build -p firmware-demo --release --target thumbv7em-none-eabihf --features pygamer --bin pygamer
cargo build -p firmware-demo --release --target thumbv6m-none-eabi --features microbit --bin microbit

step "tests: the whole workspace (pxby-core, tools, host-train, QEMU parity and sizes)"
cargo test --workspace
