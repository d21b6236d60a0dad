#!/usr/bin/env bash
# Idempotent libtorch setup for host-train (tch 0.24.0 <-> libtorch 2.11.0).
#
# Installs the PyPI wheel torch==2.11.0 (CPU-usable subset, no CUDA libraries beyond the two that
# libtorch_cpu.so links against) into the project-local virtual environment `.venv`, then points
# the symlink `.torch` at the wheel's `site-packages/torch` folder, which is a complete libtorch
# folder (include/, lib/). `.cargo/config.toml` sets LIBTORCH=.torch for cargo.
#
# Usage (from anywhere): scripts/setup-torch.sh
# Re-running it when everything is in place does nothing and takes well under a second.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
LINK="$ROOT/.torch"
TORCH_VERSION="2.11.0"
PYTHON="${PYTHON:-python3}"

have_torch() {
    [ -e "$LINK/lib/libtorch_cpu.so" ] && [ -e "$LINK/include/torch/csrc/api/include/torch/torch.h" ] \
        && [ -f "$LINK/version.py" ] && grep -q "__version__ = '$TORCH_VERSION" "$LINK/version.py"
}

if have_torch; then
    echo "setup-torch: libtorch $TORCH_VERSION already at $LINK"
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup-torch: creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi

SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
if [ ! -f "$SITE/torch/version.py" ] || ! grep -q "__version__ = '$TORCH_VERSION" "$SITE/torch/version.py"; then
    echo "setup-torch: installing torch==$TORCH_VERSION (CPU-usable subset) into $VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-deps \
        "torch==$TORCH_VERSION" nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85
fi

ln -sfn "$SITE/torch" "$LINK"
if ! have_torch; then
    echo "setup-torch: error: $LINK does not look like libtorch $TORCH_VERSION" >&2
    exit 1
fi
echo "setup-torch: libtorch $TORCH_VERSION ready at $LINK"
