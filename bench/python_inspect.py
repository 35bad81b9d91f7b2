#!/usr/bin/env python3
"""Baseline for bench_inspect.py: the weight statistics `glassbox inspect --json` computes, in
plain onnx + numpy.

    python bench/python_inspect.py MODEL.onnx

For every initializer: min, max, mean, std (population) over the finite values in float64,
count of exact zeros, NaN and Inf counts, and a 32-bin np.histogram of the finite values.
Prints a one-line summary (the timing, not the output, is what the benchmark measures).
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper


def values(t):
    if t.data_type == TensorProto.BFLOAT16:  # onnx 1.17's to_array ignores bf16 raw_data
        bits = np.frombuffer(t.raw_data, dtype="<u2") if t.raw_data else \
            np.asarray(t.int32_data, dtype=np.uint32).astype(np.uint16)
        return (bits.astype(np.uint32) << 16).view(np.float32)
    if t.data_type == TensorProto.STRING:
        return None
    a = numpy_helper.to_array(t)
    if a.dtype.kind not in "biufc" or a.dtype.names:
        return None
    return a.reshape(-1)


def stats(a):
    finite = np.isfinite(a)
    n_finite = int(np.count_nonzero(finite))
    nan = int(np.count_nonzero(np.isnan(a)))
    s = {"count": int(a.size), "zeros": int(np.count_nonzero(a == 0)), "nan": nan,
         "inf": int(a.size - n_finite - nan)}
    if n_finite:
        f = (a if n_finite == a.size else a[finite]).astype(np.float64)
        s.update(min=float(f.min()), max=float(f.max()), mean=float(f.mean()), std=float(f.std()))
        s["hist"] = np.histogram(f, bins=32)
    return s


def main(path):
    m = onnx.load(path)  # loads external data too
    n = total = 0
    for t in m.graph.initializer:
        a = values(t)
        if a is None:
            continue
        s = stats(a)
        n += 1
        total += s["count"]
    print(f"{path}: {n} initializers, {total} values")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} MODEL.onnx")
    sys.exit(main(sys.argv[1]))
