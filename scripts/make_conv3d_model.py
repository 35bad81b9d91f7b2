#!/usr/bin/env python3
"""Write fixtures/models/conv3d_small.onnx: a seeded 3D conv net for volumes (NIfTI inputs).

    .venv/bin/python scripts/make_conv3d_model.py

input [1, 1, x, y, z] (symbolic spatial dims) -> Conv3d(1->4, 3^3, pad 1) -> Relu
-> Conv3d(4->2, 3^3, pad 1) -> Sigmoid -> output [1, 2, x, y, z].
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array((rng.standard_normal((4, 1, 3, 3, 3)) * 0.2).astype(np.float32), "conv1.weight")
    b1 = numpy_helper.from_array((rng.standard_normal(4) * 0.1).astype(np.float32), "conv1.bias")
    w2 = numpy_helper.from_array((rng.standard_normal((2, 4, 3, 3, 3)) * 0.2).astype(np.float32), "conv2.weight")
    pads = [1, 1, 1, 1, 1, 1]
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["/conv1/Conv_output_0"], name="/conv1/Conv", pads=pads),
        helper.make_node("Relu", ["/conv1/Conv_output_0"], ["/relu/Relu_output_0"], name="/relu/Relu"),
        helper.make_node("Conv", ["/relu/Relu_output_0", "conv2.weight"], ["/conv2/Conv_output_0"], name="/conv2/Conv", pads=pads),
        helper.make_node("Sigmoid", ["/conv2/Conv_output_0"], ["output"], name="/sigmoid/Sigmoid"),
    ]
    graph = helper.make_graph(
        nodes,
        "conv3d_small",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, "x", "y", "z"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 2, "x", "y", "z"])],
        [w1, b1, w2],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="glassbox-fixtures")
    model.ir_version = 8
    onnx.checker.check_model(model)
    out = os.path.join(os.path.dirname(__file__), "..", "fixtures", "models", "conv3d_small.onnx")
    onnx.save(model, out)
    print(out)


if __name__ == "__main__":
    main()
