#!/usr/bin/env bash
# The whole test suite, exactly what CI runs (.ci/run calls this).
# Sets up the Python reference venv (onnx 1.17.0 + numpy + onnxruntime) first; needs only
# the stock toolchain (Rust, Python 3.11). Takes about 15 minutes on 2 cores from clean.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-python.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
mkdir -p target
cargo test --workspace -- --nocapture 2>&1 | tee target/test-output.log
echo
echo "== conformance (from the tests above) =="
grep -E "^node suite:|tensors equal to ONNX Runtime" target/test-output.log || true
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
echo "scripts/test.sh: all checks passed"
