#!/usr/bin/env python3
"""Print facts about an ONNX model as one JSON document (a test oracle for glassbox).

    .venv/bin/python scripts/onnx_facts.py MODEL.onnx

Output:
  {"nodes": top-level node count,
   "nodes_deep": node count including If/Loop/Scan (any graph attribute) subgraphs, recursively,
   "ops": {op_type: count} over the top-level graph,
   "inputs": graph inputs that are not initializers, "outputs": graph outputs,
   "initializers": {name: {"dtype", "shape", "stats": {count,min,max,mean,std,zeros,nan,inf},
                           "histogram": {"edges", "counts"}}}}

Statistics: min/max/mean/std (population, ddof=0) over the finite values in float64; "zeros"
counts exact zeros, "nan"/"inf" the non-finite values, all over the whole tensor; "count" is the
element count. Histogram: np.histogram(finite values as float64, bins=32); with no finite
values min/max/mean/std are null and edges/counts are []. String initializers are skipped.
Top-level initializers only (not sparse_initializer, not subgraph initializers).

Notes: onnx 1.17's numpy_helper.to_array ignores raw_data for BFLOAT16 tensors, so bfloat16
is decoded here by hand (uint16 << 16 viewed as float32); its dtype is reported as "bfloat16".
"""
import collections
import copy
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper
from onnx.external_data_helper import load_external_data_for_tensor, uses_external_data

BINS = 32


def count_deep(graph):
    n = 0
    for node in graph.node:
        n += 1
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                n += count_deep(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    n += count_deep(g)
    return n


def bfloat16_to_float32(t, base_dir):
    if uses_external_data(t):
        t = copy.deepcopy(t)
        load_external_data_for_tensor(t, base_dir)
    if t.raw_data:
        bits = np.frombuffer(t.raw_data, dtype="<u2")
    else:  # int32_data holds one bf16 bit pattern per element in its low 16 bits
        bits = np.asarray(t.int32_data, dtype=np.uint32).astype(np.uint16)
    f = (bits.astype(np.uint32) << 16).view(np.float32)
    return f.reshape(tuple(t.dims))


def tensor_values(t, base_dir):
    """Return (dtype name, array) or None for tensors we do not summarise."""
    if t.data_type == TensorProto.STRING:
        return None
    if t.data_type == TensorProto.BFLOAT16:
        return "bfloat16", bfloat16_to_float32(t, base_dir)
    a = numpy_helper.to_array(t, base_dir=base_dir)
    if a.dtype.kind not in "biufc" or a.dtype.names:  # float8 / int4 custom types, objects
        return None
    return a.dtype.name, a


def summarise(a):
    flat = a.reshape(-1)
    finite_mask = np.isfinite(flat)
    n_finite = int(np.count_nonzero(finite_mask))
    nan = int(np.count_nonzero(np.isnan(flat)))
    stats = {
        "count": int(flat.size),
        "min": None,
        "max": None,
        "mean": None,
        "std": None,
        "zeros": int(np.count_nonzero(flat == 0)),
        "nan": nan,
        "inf": int(flat.size - n_finite - nan),
    }
    hist = {"edges": [], "counts": []}
    if n_finite:
        f = (flat if n_finite == flat.size else flat[finite_mask]).astype(np.float64)
        stats.update(min=float(f.min()), max=float(f.max()), mean=float(f.mean()),
                     std=float(f.std()))
        counts, edges = np.histogram(f, bins=BINS)
        hist = {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}
    return stats, hist


def facts(path):
    model = onnx.load(path, load_external_data=False)
    g = model.graph
    base_dir = os.path.dirname(os.path.abspath(path))
    init_names = {t.name for t in g.initializer}
    inits = {}
    for t in g.initializer:
        tv = tensor_values(t, base_dir)
        if tv is None:
            continue
        dtype, a = tv
        if a.dtype.kind == "c":
            a = np.abs(a)
        stats, hist = summarise(a)
        inits[t.name] = {"dtype": dtype, "shape": [int(d) for d in t.dims], "stats": stats,
                         "histogram": hist}
    return {
        "nodes": len(g.node),
        "nodes_deep": count_deep(g),
        "ops": dict(collections.Counter(n.op_type for n in g.node)),
        "inputs": [i.name for i in g.input if i.name not in init_names],
        "outputs": [o.name for o in g.output],
        "initializers": inits,
    }


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} MODEL.onnx", file=sys.stderr)
        return 2
    json.dump(facts(argv[1]), sys.stdout, allow_nan=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
