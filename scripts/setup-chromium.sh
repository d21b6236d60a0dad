#!/usr/bin/env bash
# Idempotent install of Debian's headless-capable Chromium and its WebDriver (`chromedriver`), for
# the browser test of the web page (tools/tests/web_browser.rs). Does nothing when both
# `chromium --version` and `chromedriver --version` already work.
set -euo pipefail

if chromium --version >/dev/null 2>&1 && chromedriver --version >/dev/null 2>&1; then
    echo "setup-chromium: $(chromium --version | head -n1) and chromedriver already installed"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
    chromium chromium-driver
chromium --version | head -n1
chromedriver --version | head -n1
