#!/usr/bin/env python3
"""Run a model with ONNX Runtime exposing every intermediate value, as glassbox's reference.

    .venv/bin/python scripts/ort_reference.py MODEL.onnx OUT_DIR NAME=INPUT.npy [NAME=INPUT.npy ...]

Every node output of the main graph is added as a graph output; all values are written to
OUT_DIR as .npy files plus OUT_DIR/index.json mapping tensor name -> file name, the same layout
as `glassbox run --save-tensors`. Graph optimisations are disabled so no value is fused away.
scripts/compare_tensors.py imports `every_value` to compare without writing anything.
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort


def every_value(model_path, pairs):
    """{tensor name: array} for every node output of the main graph, run on NAME=FILE.npy feeds."""
    model = onnx.load(model_path)
    graph = model.graph
    declared = {o.name for o in graph.output}
    for node in graph.node:
        for name in node.output:
            if name and name not in declared:
                graph.output.append(onnx.ValueInfoProto(name=name))
                declared.add(name)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feeds = {}
    for pair in pairs:
        name, path = pair.split("=", 1)
        feeds[name] = np.load(path)
    names = [o.name for o in session.get_outputs()]
    values = session.run(names, feeds)
    return {name: value for name, value in zip(names, values) if isinstance(value, np.ndarray)}


def main():
    model_path, out_dir, *pairs = sys.argv[1:]
    os.makedirs(out_dir, exist_ok=True)
    index = {}
    for i, (name, value) in enumerate(every_value(model_path, pairs).items()):
        file = f"t{i:05d}.npy"
        np.save(os.path.join(out_dir, file), np.ascontiguousarray(value))
        index[name] = file
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump(index, f, indent=0)


if __name__ == "__main__":
    main()
