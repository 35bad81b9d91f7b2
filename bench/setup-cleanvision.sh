#!/usr/bin/env bash
# Create (or reuse) $REPO/.venv-bench with CleanVision, the peer of bench/bench_audit_png.py.
# Only the benchmark needs it; the test suite never does. Idempotent.
# Prints the venv's python path on the last line of stdout.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv-bench"
PY="${PYTHON:-python3.11}"
if ! command -v "$PY" >/dev/null 2>&1; then
    PY=python3
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "creating $VENV with $PY" >&2
    "$PY" -m venv "$VENV"
fi

VPY="$VENV/bin/python"
if ! "$VPY" -c "import cleanvision" >/dev/null 2>&1; then
    echo "installing cleanvision into $VENV" >&2
    "$VPY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VPY" -m pip install --quiet --disable-pip-version-check cleanvision
fi
"$VPY" -c "import cleanvision; print('cleanvision', cleanvision.__version__)" >&2
echo "$VPY"
