#!/usr/bin/env python3
"""The peer of `glassbox run` for bench_run.py: ONNX Runtime with every intermediate value
exposed as an output, plus numpy min/max/mean/std, zero/NaN/Inf counts and a 32-bin histogram
of every output, on one input.

    .venv/bin/python bench/python_run.py MODEL.onnx NAME=INPUT.npy [...]
"""
import sys

import numpy as np
import onnx
import onnxruntime as ort


def main():
    model_path, *pairs = sys.argv[1:]
    model = onnx.load(model_path)
    declared = {o.name for o in model.graph.output}
    for node in model.graph.node:
        for name in node.output:
            if name and name not in declared:
                model.graph.output.append(onnx.ValueInfoProto(name=name))
                declared.add(name)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feeds = {name: np.load(path) for name, path in (p.split("=", 1) for p in pairs)}
    names = [o.name for o in session.get_outputs()]
    stats = {}
    for name, value in zip(names, session.run(names, feeds)):
        flat = np.asarray(value).reshape(-1)
        if flat.dtype.kind not in "biuf":
            continue
        finite_mask = np.isfinite(flat) if flat.dtype.kind == "f" else np.ones(flat.shape, bool)
        finite = flat[finite_mask].astype(np.float64)
        if finite.size:
            stats[name] = (finite.min(), finite.max(), finite.mean(), finite.std(),
                           int(np.count_nonzero(flat == 0)), int(flat.size - finite.size),
                           np.histogram(finite, bins=32))
    print(len(stats), file=sys.stderr)


if __name__ == "__main__":
    main()
