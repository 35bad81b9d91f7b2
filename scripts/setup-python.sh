#!/usr/bin/env bash
# Create (or reuse) $REPO/.venv with the Python packages glassbox's tests and scripts need:
# onnx==1.17.0, onnxruntime, numpy, and for the input readers' references nibabel, pillow,
# scikit-image. Idempotent; safe to run repeatedly (CI runs it).
# Prints the venv's python path on the last line of stdout.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
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
import onnx, onnxruntime, numpy, nibabel, PIL, skimage
assert onnx.__version__ == "1.17.0", onnx.__version__
PYEOF
then
    echo "installing onnx==1.17.0 onnxruntime numpy nibabel pillow scikit-image into $VENV" >&2
    "$VPY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VPY" -m pip install --quiet --disable-pip-version-check "onnx==1.17.0" onnxruntime numpy nibabel pillow scikit-image
fi

echo "$VPY"
