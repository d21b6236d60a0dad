#!/usr/bin/env bash
# Idempotent install of qemu-system-arm (mps2-an386 Cortex-M4F emulator) on Debian 12.
#
# The machine's qemu-utils comes from bookworm-backports; installing qemu-system-arm from plain
# bookworm (QEMU 7.2) would remove it, so we add a bookworm-backports sources entry that reuses the
# URIs and Signed-By of the main entry of /etc/apt/sources.list.d/debian.sources and install from
# there (see ../shared/TOOLCHAIN.md). Does nothing when `qemu-system-arm --version` already works.
set -euo pipefail

if qemu-system-arm --version >/dev/null 2>&1; then
    echo "setup-qemu: $(qemu-system-arm --version | head -n1) already installed"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

MAIN=/etc/apt/sources.list.d/debian.sources
BACKPORTS=/etc/apt/sources.list.d/bookworm-backports.sources

if [ -f "$MAIN" ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    # The first stanza of debian.sources is the main archive; copy its URIs and Signed-By.
    uris=$(awk 'BEGIN{RS=""} NR==1' "$MAIN" | sed -n 's/^URIs:[[:space:]]*//p' | head -n1)
    signed=$(awk 'BEGIN{RS=""} NR==1' "$MAIN" | sed -n 's/^Signed-By:[[:space:]]*//p' | head -n1)
    if [ -z "$uris" ]; then
        echo "setup-qemu: cannot find URIs in $MAIN" >&2
        exit 1
    fi
    tmp=$(mktemp)
    {
        echo "Types: deb"
        echo "URIs: $uris"
        echo "Suites: bookworm-backports"
        echo "Components: main"
        if [ -n "$signed" ]; then echo "Signed-By: $signed"; fi
    } >"$tmp"
    $SUDO install -m 0644 "$tmp" "$BACKPORTS"
    rm -f "$tmp"
    echo "setup-qemu: added $BACKPORTS"
fi

$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
    -t bookworm-backports qemu-system-arm
qemu-system-arm --version | head -n1
