#!/usr/bin/env bash
# Developer-only: create (or reuse) $REPO/.venv-torch with torch, torchvision, onnx==1.17.0 and
# numpy, used by scripts/export_models.py. CI never runs this (it downloads ~GBs of wheels).
# Prints the venv's python path on the last line of stdout.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv-torch"
PY="${PYTHON:-python3.11}"
if ! command -v "$PY" >/dev/null 2>&1; then
    PY=python3
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "creating $VENV with $PY" >&2
    "$PY" -m venv "$VENV"
fi

VPY="$VENV/bin/python"
if ! "$VPY" - <<'PYEOF' >/dev/null 2>&1
import torch, torchvision, onnx, numpy
assert onnx.__version__ == "1.17.0", onnx.__version__
PYEOF
then
    echo "installing torch torchvision onnx==1.17.0 numpy into $VENV" >&2
    "$VPY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    # TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu gives the much smaller CPU-only wheels.
    if [ -n "${TORCH_INDEX_URL:-}" ]; then
        "$VPY" -m pip install --quiet --disable-pip-version-check \
            --index-url "$TORCH_INDEX_URL" --extra-index-url https://pypi.org/simple \
            torch torchvision
    else
        "$VPY" -m pip install --quiet --disable-pip-version-check torch torchvision
    fi
    "$VPY" -m pip install --quiet --disable-pip-version-check "onnx==1.17.0" numpy
fi

echo "$VPY"
