#!/usr/bin/env python3
"""Write seeded random inputs for every graph input of a model, one .npy each.

    .venv/bin/python scripts/random_inputs.py MODEL.onnx OUT_DIR [--seed 0]

Prints a JSON object {input name: file path}. Symbolic dimensions become 1. Float inputs are
uniform in [0, 1) (like images scaled by ToTensor); integer inputs small non-negative ints;
bool inputs random booleans.
"""
import argparse
import json
import os

import numpy as np
import onnx
from onnx import helper


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("out_dir")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    model = onnx.load(args.model, load_external_data=False)
    initializers = {t.name for t in model.graph.initializer}
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out_dir, exist_ok=True)
    written = {}
    for i, value in enumerate(model.graph.input):
        if value.name in initializers:
            continue
        tensor_type = value.type.tensor_type
        dtype = helper.tensor_dtype_to_np_dtype(tensor_type.elem_type)
        shape = [d.dim_value if d.HasField("dim_value") else 1 for d in tensor_type.shape.dim]
        if np.issubdtype(dtype, np.floating):
            array = rng.random(shape).astype(dtype)
        elif dtype == np.bool_:
            array = rng.random(shape) < 0.5
        else:
            array = rng.integers(0, 4, size=shape).astype(dtype)
        path = os.path.join(args.out_dir, f"input_{i}.npy")
        np.save(path, array)
        written[value.name] = path
    print(json.dumps(written))


if __name__ == "__main__":
    main()
