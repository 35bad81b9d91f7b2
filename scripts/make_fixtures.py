#!/usr/bin/env python3
"""Write the small hand-built ONNX fixtures used by glassbox's tests.

Run with the CI venv (scripts/setup-python.sh):

    .venv/bin/python scripts/make_fixtures.py

Only needs onnx and numpy. Deterministic: every model gets its own
np.random.default_rng(0), so re-running produces byte-identical files.

Outputs
  fixtures/models/tiny_cnn.onnx         clean baseline CNN (no lint should fire)
  fixtures/lint/*.onnx                  one lint rule demonstrated per file
  fixtures/lint/external_data/          model.onnx + weights.bin
  fixtures/bad/*                        files a loader must reject

Node names follow the PyTorch exporter style ("/block1/conv/Conv").
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(REPO, "fixtures")
OPSET = 17
IR_VERSION = 8
PRODUCER = "glassbox-make_fixtures"


# --------------------------------------------------------------------------------------------
# A tiny graph builder
# --------------------------------------------------------------------------------------------
class G:
    def __init__(self, name):
        self.name = name
        self.rng = np.random.default_rng(0)
        self.nodes = []
        self.inits = []
        self.inputs = []
        self.outputs = []
        self.value_info = []

    # -- declarations -------------------------------------------------------------------------
    def input(self, name, shape, elem=TensorProto.FLOAT):
        self.inputs.append(helper.make_tensor_value_info(name, elem, shape))
        return name

    def output(self, name, shape, elem=TensorProto.FLOAT):
        self.outputs.append(helper.make_tensor_value_info(name, elem, shape))
        return name

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op, inputs, outputs, name, domain=None, **attrs):
        n = helper.make_node(op, inputs, outputs, name=name, **attrs)
        if domain is not None:
            n.domain = domain
        self.nodes.append(n)
        return outputs[0] if len(outputs) == 1 else outputs

    # -- layers -------------------------------------------------------------------------------
    def conv(self, scope, x, cin, cout, k=3, out=None, bias=True):
        """Conv with 'same' padding; weights random normal * 0.1."""
        w = self.init(f"{scope}.weight".lstrip("/").replace("/", "."),
                      (self.rng.standard_normal((cout, cin, k, k)) * 0.1).astype(np.float32))
        ins = [x, w]
        if bias:
            ins.append(self.init(f"{scope}.bias".lstrip("/").replace("/", "."),
                                 (self.rng.standard_normal(cout) * 0.1).astype(np.float32)))
        p = k // 2
        return self.node("Conv", ins, [out or f"{scope}/Conv_output_0"], f"{scope}/Conv",
                         kernel_shape=[k, k], pads=[p, p, p, p], strides=[1, 1])

    def relu(self, scope, x, out=None):
        return self.node("Relu", [x], [out or f"{scope}/Relu_output_0"], f"{scope}/Relu")

    def conv_relu(self, block, x, cin, cout, k=3, out=None):
        """'/block/conv/Conv' -> '/block/relu/Relu'."""
        y = self.conv(f"/{block}/conv", x, cin, cout, k)
        return self.relu(f"/{block}/relu", y, out)

    def bn(self, scope, x, c):
        prefix = scope.lstrip("/").replace("/", ".")
        scale = self.init(f"{prefix}.weight", (1 + 0.1 * self.rng.standard_normal(c)).astype(np.float32))
        bias = self.init(f"{prefix}.bias", (0.1 * self.rng.standard_normal(c)).astype(np.float32))
        mean = self.init(f"{prefix}.running_mean", (0.1 * self.rng.standard_normal(c)).astype(np.float32))
        var = self.init(f"{prefix}.running_var",
                        (1 + 0.1 * np.abs(self.rng.standard_normal(c))).astype(np.float32))
        return self.node("BatchNormalization", [x, scale, bias, mean, var],
                         [f"{scope}/BatchNormalization_output_0"], f"{scope}/BatchNormalization",
                         epsilon=1e-5, momentum=0.9)

    def maxpool(self, scope, x):
        return self.node("MaxPool", [x], [f"{scope}/MaxPool_output_0"], f"{scope}/MaxPool",
                         kernel_shape=[2, 2], strides=[2, 2])

    def head(self, x, cin, classes=10, out="output"):
        """GlobalAveragePool -> Flatten -> Gemm -> output [1, classes]."""
        p = self.node("GlobalAveragePool", [x], ["/pool/GlobalAveragePool_output_0"],
                      "/pool/GlobalAveragePool")
        f = self.node("Flatten", [p], ["/flatten/Flatten_output_0"], "/flatten/Flatten", axis=1)
        w = self.init("fc.weight", (self.rng.standard_normal((classes, cin)) * 0.1).astype(np.float32))
        b = self.init("fc.bias", (self.rng.standard_normal(classes) * 0.1).astype(np.float32))
        self.node("Gemm", [f, w, b], [out], "/fc/Gemm", alpha=1.0, beta=1.0, transB=1)
        self.output(out, [1, classes])
        return out

    # -- finishing ----------------------------------------------------------------------------
    def graph(self):
        return helper.make_graph(self.nodes, self.name, self.inputs, self.outputs,
                                 initializer=self.inits, value_info=self.value_info)

    def model(self, extra_opsets=(), ir_version=IR_VERSION):
        opsets = [helper.make_opsetid("", OPSET)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
        m = helper.make_model(self.graph(), opset_imports=opsets, producer_name=PRODUCER)
        m.ir_version = ir_version
        return m


def save(model, path, check=True, **kwargs):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if check:
        onnx.checker.check_model(model, full_check=True)
    onnx.save_model(model, path, **kwargs)
    return path


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


# --------------------------------------------------------------------------------------------
# Clean models
# --------------------------------------------------------------------------------------------
def clean_cnn(name="tiny_cnn"):
    """input [1,3,32,32] -> conv-relu(8) -> conv-relu(16) -> GAP -> Flatten -> Gemm(10)."""
    g = G(name)
    x = g.input("input", [1, 3, 32, 32])
    x = g.conv_relu("block1", x, 3, 8)
    x = g.conv_relu("block2", x, 8, 16)
    g.head(x, 16)
    return g


def tiny_cnn():
    return clean_cnn().model()


# --------------------------------------------------------------------------------------------
# fixtures/lint
# --------------------------------------------------------------------------------------------
def orphan_branch():
    g = G("orphan_branch")
    x = g.input("input", [1, 3, 32, 32])
    r1 = g.conv_relu("block1", x, 3, 8)
    r2 = g.conv_relu("block2", r1, 8, 16)
    g.head(r2, 16)
    # The mistake: a branch off the first Relu whose result reaches no graph output.
    g.conv_relu("branch", r1, 8, 8, out="branch_out")
    return g.model()


def unused_input():
    g = clean_cnn("unused_input")
    g.input("mask", [1, 1, 32, 32])  # declared, never read
    return g.model()


def unused_initializer():
    g = clean_cnn("unused_initializer")
    g.init("stale_weight", (g.rng.standard_normal((16, 3, 3, 3)) * 0.1).astype(np.float32))
    return g.model()


def missing_activation():
    g = G("missing_activation")
    x = g.input("input", [1, 3, 32, 32])
    x = g.conv_relu("block1", x, 3, 8)
    x = g.conv_relu("block2", x, 8, 16)
    # The mistake: conv1 -> bn1 -> conv2 with no nonlinearity in between.
    x = g.conv("/block3/conv1", x, 16, 16)
    x = g.bn("/block3/bn1", x, 16)
    x = g.conv("/block3/conv2", x, 16, 16)
    x = g.relu("/block3/relu", x)
    x = g.conv_relu("block4", x, 16, 32)
    g.head(x, 32)
    return g.model()


def unet_skip(correct):
    """U-Net-like graph; with correct=False the last decoder stage re-uses enc1_out."""
    g = G("unet_correct_skips" if correct else "unet_copy_paste_skip")
    x = g.input("input", [1, 1, 64, 64])
    stem = g.conv_relu("stem", x, 1, 8, out="stem_out")                # 8  x 64 x 64
    enc1 = g.conv_relu("enc1", stem, 8, 8, out="enc1_out")             # 8  x 64 x 64
    p1 = g.maxpool("/pool1", enc1)                                     # 8  x 32 x 32
    enc2 = g.conv_relu("enc2", p1, 8, 16, out="enc2_out")              # 16 x 32 x 32
    p2 = g.maxpool("/pool2", enc2)                                     # 16 x 16 x 16
    bott = g.conv_relu("bottleneck", p2, 16, 32, out="bottleneck_out")  # 32 x 16 x 16

    # up2: ConvTranspose 32 -> 16, 16x16 -> 32x32
    wt = g.init("up2.weight", (g.rng.standard_normal((32, 16, 2, 2)) * 0.1).astype(np.float32))
    bt = g.init("up2.bias", (g.rng.standard_normal(16) * 0.1).astype(np.float32))
    up2 = g.node("ConvTranspose", [bott, wt, bt], ["up2_out"], "/up2/ConvTranspose",
                 kernel_shape=[2, 2], strides=[2, 2])
    cat2 = g.node("Concat", [up2, enc2], ["/dec2/Concat_output_0"], "/dec2/Concat", axis=1)
    dec2 = g.conv_relu("dec2", cat2, 32, 16, out="dec2_out")          # 16 x 32 x 32

    # up1: nearest Resize x2, 32x32 -> 64x64
    scales = g.init("up1.scales", np.array([1, 1, 2, 2], dtype=np.float32))
    up1 = g.node("Resize", [dec2, "", scales], ["up1_out"], "/up1/Resize", mode="nearest")
    cat1 = g.node("Concat", [up1, enc1], ["/dec1/Concat_output_0"], "/dec1/Concat", axis=1)
    dec1 = g.conv_relu("dec1", cat1, 24, 8, out="dec1_out")           # 8 x 64 x 64

    # dec0: second decoder stage at 64x64. Copy-paste bug: takes enc1_out again.
    skip = stem if correct else enc1
    cat0 = g.node("Concat", [dec1, skip], ["/dec0/Concat_output_0"], "/dec0/Concat", axis=1)
    dec0 = g.conv_relu("dec0", cat0, 16, 8, out="dec0_out")           # 8 x 64 x 64

    logits = g.conv("/head/conv", dec0, 8, 1, k=1, out="logits")
    g.node("Sigmoid", [logits], ["output"], "/head/Sigmoid")
    g.output("output", [1, 1, 64, 64])
    return g.model()


def if_subgraph():
    g = G("if_subgraph")
    x = g.input("input", [1, 3, 32, 32])
    g.input("flag", [], TensorProto.BOOL)
    g.conv("/conv", x, 3, 8, out="features")

    shape = [1, 8, 32, 32]
    then_g = helper.make_graph(
        [helper.make_node("Relu", ["features"], ["then_out"], name="/then/Relu")],
        "then_branch", [], [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, shape)])
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["features"], ["else_out"], name="/else/Neg")],
        "else_branch", [], [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, shape)])
    g.node("If", ["flag"], ["branched"], "/If", then_branch=then_g, else_branch=else_g)
    g.value_info.append(helper.make_tensor_value_info("branched", TensorProto.FLOAT, shape))
    g.head("branched", 8)
    return g.model()


def unknown_op():
    g = G("unknown_op")
    x = g.input("input", [1, 3, 32, 32])
    x = g.conv_relu("block1", x, 3, 8)
    x = g.node("FancyNewAttention", [x], ["/attn/FancyNewAttention_output_0"],
               "/attn/FancyNewAttention", domain="com.example", num_heads=2)
    # Shape inference cannot see through the custom op: declare its output type.
    g.value_info.append(helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 8, 32, 32]))
    x = g.conv_relu("block2", x, 8, 16)
    g.head(x, 16)
    return g.model(extra_opsets=[("com.example", 1)])


def f32_to_bf16_bits(a):
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # round to nearest even
    return rounded.astype(np.uint16)


def bfloat16_weights():
    g = G("bfloat16_weights")
    x = g.input("input", [1, 3, 32, 32])
    w32 = (g.rng.standard_normal((8, 3, 3, 3)) * 0.1).astype(np.float32)
    t = TensorProto()
    t.name = "conv.weight_bf16"
    t.data_type = TensorProto.BFLOAT16
    t.dims.extend(w32.shape)
    t.raw_data = f32_to_bf16_bits(w32).astype("<u2").tobytes()
    g.inits.append(t)
    w = g.node("Cast", ["conv.weight_bf16"], ["/conv/Cast_output_0"], "/conv/Cast",
               to=TensorProto.FLOAT)
    b = g.init("conv.bias", (g.rng.standard_normal(8) * 0.1).astype(np.float32))
    y = g.node("Conv", [x, w, b], ["/conv/Conv_output_0"], "/conv/Conv",
               kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    y = g.relu("/relu", y)
    g.head(y, 8)
    return g.model()


def constant_nodes():
    g = G("constant_nodes")
    x = g.input("input", [1, 3, 32, 32])
    x = g.conv_relu("block1", x, 3, 8)
    x = g.conv_relu("block2", x, 8, 16)
    p = g.node("GlobalAveragePool", [x], ["/pool/GlobalAveragePool_output_0"],
               "/pool/GlobalAveragePool")
    shape = g.node("Constant", [], ["/Constant_output_0"], "/Constant",
                   value=numpy_helper.from_array(np.array([1, 16], dtype=np.int64), "shape_value"))
    r = g.node("Reshape", [p, shape], ["/Reshape_output_0"], "/Reshape")
    half = g.node("Constant", [], ["/Constant_1_output_0"], "/Constant_1", value_float=0.5)
    s = g.node("Mul", [r, half], ["/Mul_output_0"], "/Mul")
    w = g.init("fc.weight", (g.rng.standard_normal((10, 16)) * 0.1).astype(np.float32))
    b = g.init("fc.bias", (g.rng.standard_normal(10) * 0.1).astype(np.float32))
    g.node("Gemm", [s, w, b], ["output"], "/fc/Gemm", transB=1)
    g.output("output", [1, 10])
    return g.model()


# --------------------------------------------------------------------------------------------
# fixtures/bad
# --------------------------------------------------------------------------------------------
def add_model(name, bad_init, in_shape):
    """input + <bad initializer> -> output; the initializer is put in as a raw TensorProto."""
    g = G(name)
    g.input("input", in_shape)
    g.inits.append(bad_init)
    g.node("Add", ["input", bad_init.name], ["output"], "/Add")
    g.output("output", in_shape)
    return g.model()


def external_tensor(name, location, dims=(16,), length=64):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", str(length))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def bad_fixtures(out):
    valid = tiny_cnn().SerializeToString()
    write_bytes(os.path.join(out, "truncated.onnx"), valid[: int(len(valid) * 0.6)])
    write_bytes(os.path.join(out, "not_onnx.onnx"), b"hello, this is not a model\n" * 20)
    write_bytes(os.path.join(out, "empty.onnx"), b"")

    g = clean_cnn("missing_tensor")
    g.nodes[2].input[0] = "ghost"  # /block2/conv/Conv reads a tensor nothing defines
    save(g.model(), os.path.join(out, "missing_tensor.onnx"), check=False)

    g = clean_cnn("negative_dim")
    m = g.model()
    m.graph.input[0].type.tensor_type.shape.dim[2].dim_value = -3
    save(m, os.path.join(out, "negative_dim.onnx"), check=False)

    t = TensorProto()
    t.name = "absurd"
    t.data_type = TensorProto.FLOAT
    t.dims.extend([1000000, 1000000, 1000000])
    t.raw_data = np.arange(4, dtype="<f4").tobytes()  # 16 bytes
    save(add_model("absurd_dim", t, [1, 1, 1]), os.path.join(out, "absurd_dim.onnx"), check=False)

    t = TensorProto()
    t.name = "mismatch"
    t.data_type = TensorProto.FLOAT
    t.dims.extend([4, 4])
    t.raw_data = np.arange(10, dtype="<f4").tobytes()  # 40 bytes, 64 expected
    save(add_model("size_mismatch", t, [4, 4]), os.path.join(out, "size_mismatch.onnx"), check=False)

    save(add_model("escape_external", external_tensor("weight", "../../etc/passwd"), [16]),
         os.path.join(out, "escape_external", "model.onnx"), check=False)
    save(add_model("absolute_external", external_tensor("weight", "/etc/passwd"), [16]),
         os.path.join(out, "absolute_external", "model.onnx"), check=False)


# --------------------------------------------------------------------------------------------
def main():
    lint = os.path.join(FIX, "lint")
    save(tiny_cnn(), os.path.join(FIX, "models", "tiny_cnn.onnx"))
    save(orphan_branch(), os.path.join(lint, "orphan_branch.onnx"))
    save(unused_input(), os.path.join(lint, "unused_input.onnx"))
    save(unused_initializer(), os.path.join(lint, "unused_initializer.onnx"))
    save(missing_activation(), os.path.join(lint, "missing_activation.onnx"))
    save(unet_skip(correct=False), os.path.join(lint, "unet_copy_paste_skip.onnx"))
    save(unet_skip(correct=True), os.path.join(lint, "unet_correct_skips.onnx"))
    save(if_subgraph(), os.path.join(lint, "if_subgraph.onnx"))
    save(unknown_op(), os.path.join(lint, "unknown_op.onnx"), check=False)
    onnx.checker.check_model(unknown_op())  # non-strict check passes (custom domain is skipped)
    save(bfloat16_weights(), os.path.join(lint, "bfloat16_weights.onnx"))
    save(constant_nodes(), os.path.join(lint, "constant_nodes.onnx"))

    ext_dir = os.path.join(lint, "external_data")
    for f in ("model.onnx", "weights.bin"):  # save_model appends to an existing weights.bin
        if os.path.exists(os.path.join(ext_dir, f)):
            os.remove(os.path.join(ext_dir, f))
    m = clean_cnn("external_data").model()
    onnx.checker.check_model(m, full_check=True)
    save(m, os.path.join(ext_dir, "model.onnx"), check=False, save_as_external_data=True,
         all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    onnx.checker.check_model(os.path.join(ext_dir, "model.onnx"), full_check=True)

    bad_fixtures(os.path.join(FIX, "bad"))

    for root, _, files in sorted(os.walk(FIX)):
        for f in sorted(files):
            p = os.path.join(root, f)
            if "fixtures/models" in p and f != "tiny_cnn.onnx":
                continue
            print(f"{os.path.relpath(p, REPO)}\t{os.path.getsize(p)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
