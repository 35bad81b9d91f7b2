//! Operator families the structural rules reason about.

use crate::graph::{Graph, Node};

/// Ops that bend the signal: what should follow a linear layer.
pub fn is_nonlinearity(op: &str) -> bool {
    matches!(
        op,
        "Relu"
            | "LeakyRelu"
            | "PRelu"
            | "Elu"
            | "Selu"
            | "Celu"
            | "Gelu"
            | "Sigmoid"
            | "HardSigmoid"
            | "Tanh"
            | "Softplus"
            | "Softsign"
            | "HardSwish"
            | "Mish"
            | "ThresholdedRelu"
            | "Softmax"
            | "LogSoftmax"
            | "Clip"
            | "Swish"
            | "FastGelu"
            | "QuickGelu"
            | "BiasGelu"
    )
}

/// Linear layers with learned weights: Conv, ConvTranspose, Gemm, and MatMul by a constant.
pub fn is_linear_layer(graph: &Graph, node: &Node) -> bool {
    match node.op.as_str() {
        "Conv" | "ConvTranspose" | "Gemm" => true,
        "MatMul" => node.input_ids().any(|t| graph.is_constant(t)),
        _ => false,
    }
}

/// Ops that keep a linear layer's output linear: reshaping, normalisation with fixed
/// statistics, average pooling, and elementwise arithmetic with a constant (bias, scale).
pub fn is_linear_passthrough(graph: &Graph, node: &Node) -> bool {
    match node.op.as_str() {
        "BatchNormalization"
        | "InstanceNormalization"
        | "LayerNormalization"
        | "GroupNormalization"
        | "Reshape"
        | "Flatten"
        | "Squeeze"
        | "Unsqueeze"
        | "Transpose"
        | "Identity"
        | "Dropout"
        | "AveragePool"
        | "GlobalAveragePool"
        | "Pad"
        | "Cast"
        | "Resize"
        | "Upsample"
        | "DepthToSpace"
        | "SpaceToDepth" => true,
        "Add" | "Sub" | "Mul" | "Div" => {
            let constants = node.input_ids().filter(|&t| graph.is_constant(t)).count();
            constants + 1 == node.inputs.len()
        }
        _ => false,
    }
}

/// A convolution with one input channel per group (depthwise): with the pointwise
/// convolution next to it, it forms one factorised linear layer by design (MobileNet,
/// ShuffleNet, Xception), so no activation is expected between them.
pub fn is_depthwise_conv(graph: &Graph, node: &Node) -> bool {
    if node.op != "Conv" || node.int_attribute("group").unwrap_or(1) <= 1 {
        return false;
    }
    let weight = node.inputs.get(1).copied().flatten();
    weight
        .and_then(|w| graph.tensors[w].shape.fixed_dims())
        .is_some_and(|dims| dims.get(1) == Some(&1))
}
