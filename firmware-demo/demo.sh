#!/usr/bin/env bash
# The handheld demo in one command, from a fresh machine: installs the pinned toolchain with its
# thumb targets and QEMU (scripts/setup-qemu.sh), builds the firmware for the Cortex-M4F, runs it
# in QEMU, prints the generated Pokémon and writes the screen as demo.png in the repository root.
# Arguments are firmware options, e.g. `firmware-demo/demo.sh seed=7 temp=0.9 topk=8`.
#
# `board=microbit` as the first argument runs the BBC micro:bit board instead (Cortex-M0,
# 16 KiB of RAM, QEMU's `-machine microbit`, window 32, no screen): it prints the Pokémon and
# writes the token stream to target/demo-microbit-tokens.bin, e.g.
# `firmware-demo/demo.sh board=microbit seed=7`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
board=qemu
if [ "${1:-}" = "board=microbit" ] || [ "${1:-}" = "board=qemu" ]; then
    board="${1#board=}"
    shift
fi
rustup toolchain install          # reads rust-toolchain.toml: 1.95.0 + thumbv7em, thumbv6m
scripts/setup-qemu.sh
if [ "$board" = microbit ]; then
    cargo build -p firmware-demo --release --target thumbv6m-none-eabi --features microbit \
        --bin microbit
    elf="${CARGO_TARGET_DIR:-$root/target}/thumbv6m-none-eabi/release/microbit"
    exec qemu-system-arm -machine microbit -nographic \
        -semihosting-config enable=on,target=native -kernel "$elf" \
        -append "tokens=target/demo-microbit-tokens.bin $*"
fi
cd firmware-demo
cargo run --release --features qemu --bin qemu -- png=../demo.png tokens=../target/demo-tokens.bin \
    screen=../target/demo-screen.rgb565 "$@"
echo "screen written to $root/demo.png"
