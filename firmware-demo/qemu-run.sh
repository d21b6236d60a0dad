#!/usr/bin/env bash
# Cargo runner for the QEMU board: `qemu-run.sh ELF [ARGS...]` runs the firmware on the emulated
# Cortex-M4F (mps2-an386) and hands ARGS to it as its semihosting command line.
# Extra QEMU flags can come from $PXBY_QEMU_FLAGS (e.g. "-icount shift=0" for instruction counts).
set -euo pipefail
elf="$1"
shift
if ! command -v qemu-system-arm >/dev/null 2>&1; then
    echo "qemu-system-arm not found: run scripts/setup-qemu.sh" >&2
    exit 127
fi
# shellcheck disable=SC2086
exec qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
    -semihosting-config enable=on,target=native ${PXBY_QEMU_FLAGS:-} \
    -kernel "$elf" -append "$*"
