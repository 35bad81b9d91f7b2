#!/usr/bin/env python3
"""Compare two folders of tensors (index.json + .npy, as written by `glassbox run
--save-tensors` and scripts/ort_reference.py) and print one JSON document:

    .venv/bin/python scripts/compare_tensors.py ACTUAL_DIR REFERENCE_DIR [--rtol 1e-4] [--atol 1e-4]
    .venv/bin/python scripts/compare_tensors.py ACTUAL_DIR --ort MODEL.onnx NAME=INPUT.npy ... [--stats RUN.json]

With --ort the reference is ONNX Runtime's values computed in this process (scripts/ort_reference.py)
and never written to disk: a model's every intermediate value can be larger than a CI disk has free.

{"compared": n, "scalars_as_1": [names whose reference was [1] for a stored scalar], "mismatched": [{"name", "max_abs", "max_rel", "shape_actual", "shape_reference"}],
 "missing_in_actual": [...], "missing_in_reference": [...]}
Equality is numpy.allclose(actual, reference, rtol, atol) with NaNs equal, after checking shapes.
"""
import argparse
import json
import os

import numpy as np

from ort_reference import every_value


def load(folder):
    """{tensor name: loader} for a folder written by --save-tensors or ort_reference.py."""
    with open(os.path.join(folder, "index.json")) as f:
        index = json.load(f)
    return {name: (lambda path=os.path.join(folder, file): read(path)) for name, file in index.items()}


def read(path):
    """The array in a .npy file, mapped rather than read where numpy can (not empty arrays)."""
    try:
        return np.load(path, mmap_mode="r")
    except ValueError:
        return np.load(path)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("actual")
    p.add_argument("reference", nargs="+", help="REFERENCE_DIR, or with --ort: MODEL.onnx NAME=INPUT.npy ...")
    p.add_argument("--ort", action="store_true", help="compute the reference with ONNX Runtime in memory")
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("--stats", help="a `glassbox run --json` document whose stats to check against the reference values")
    args = p.parse_args()
    actual = load(args.actual)
    if args.ort:
        values = every_value(args.reference[0], args.reference[1:])
        reference = {name: (lambda value=value: value) for name, value in values.items()}
    else:
        reference = load(args.reference[0])
    mismatched = []
    scalars_as_1 = []
    compared = 0
    for name in sorted(set(actual) & set(reference)):
        a, r = actual[name](), reference[name]()
        compared += 1
        if a.shape == () and r.shape == (1,):
            # ONNX Runtime returns a stored scalar constant as shape [1]; the file says [].
            r = r.reshape(())
            scalars_as_1.append(name)
        if a.shape != r.shape:
            mismatched.append({"name": name, "shape_actual": list(a.shape), "shape_reference": list(r.shape)})
            continue
        if a.dtype == bool or r.dtype == bool:
            same = np.array_equal(a, r)
        else:
            same = np.allclose(a.astype(np.float64), r.astype(np.float64), rtol=args.rtol, atol=args.atol, equal_nan=True)
        if not same:
            diff = np.abs(a.astype(np.float64) - r.astype(np.float64))
            rel = diff / np.maximum(np.abs(r.astype(np.float64)), 1e-12)
            mismatched.append({"name": name, "max_abs": float(np.nanmax(diff)), "max_rel": float(np.nanmax(rel)),
                               "shape_actual": list(a.shape), "shape_reference": list(r.shape)})
    stats_mismatched = []
    if args.stats:
        with open(args.stats) as f:
            run = json.load(f)
        for tensor in run["tensors"]:
            stats = tensor.get("stats")
            if not stats or tensor["name"] not in reference or stats["count"] == 0:
                continue
            r = np.asarray(reference[tensor["name"]]()).astype(np.float64).reshape(-1)
            finite = r[np.isfinite(r)]
            if finite.size == 0:
                continue
            expected = {"min": finite.min(), "max": finite.max(), "mean": finite.mean(), "std": finite.std()}
            scale = max(abs(expected["min"]), abs(expected["max"]), 1e-30)
            for key, value in expected.items():
                if stats[key] is None or abs(stats[key] - value) > args.rtol * abs(value) + args.atol * scale:
                    stats_mismatched.append({"name": tensor["name"], "stat": key, "glassbox": stats[key], "reference": float(value)})
    print(json.dumps({
        "stats_mismatched": stats_mismatched,
        "compared": compared,
        "mismatched": mismatched,
        "missing_in_actual": sorted(set(reference) - set(actual)),
        "missing_in_reference": sorted(set(actual) - set(reference)),
        "scalars_as_1": scalars_as_1,
    }))


if __name__ == "__main__":
    main()
