#!/usr/bin/env bash
# The handheld demo in one command, from a fresh machine: installs the pinned toolchain with its
# thumb targets and QEMU (scripts/setup-qemu.sh), builds the firmware for the Cortex-M4F, runs it
# in QEMU, prints the generated Pokémon and writes the screen as demo.png in the repository root.
# Arguments are firmware options, e.g. `firmware-demo/demo.sh seed=7 temp=0.9 topk=8`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rustup toolchain install          # reads rust-toolchain.toml: 1.95.0 + thumbv7em-none-eabihf
scripts/setup-qemu.sh
cd firmware-demo
cargo run --release --features qemu --bin qemu -- png=../demo.png tokens=../target/demo-tokens.bin \
    screen=../target/demo-screen.rgb565 "$@"
echo "screen written to $root/demo.png"
