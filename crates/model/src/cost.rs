//! Parameter counts, multiply-accumulate counts, and weight summaries.

use crate::graph::{ElemType, Graph, Node, TensorId};
use glassbox_tensor::Summary;
use std::collections::HashMap;

/// Parameters a node reads: elements of its floating-point inputs fixed at load time, when
/// the node itself computes on run-time data (a Conv reading its kernel, not a
/// `ConstantOfShape` building one).
pub fn node_params(graph: &Graph, node: &Node) -> u64 {
    if node.output_ids().all(|t| graph.is_constant(t)) {
        return 0;
    }
    node.input_ids()
        .filter(|&t| is_parameter(graph, t))
        .map(|t| stored_elements(graph, t))
        .sum()
}

/// Total parameters of the graph: every floating-point fixed tensor that a run-time node
/// reads, counted once however many nodes share it.
pub fn total_params(graph: &Graph) -> u64 {
    let mut counted = vec![false; graph.tensors.len()];
    for node in graph
        .nodes
        .iter()
        .filter(|n| n.output_ids().any(|t| !graph.is_constant(t)))
    {
        for t in node.input_ids().filter(|&t| is_parameter(graph, t)) {
            counted[t] = true;
        }
    }
    (0..graph.tensors.len())
        .filter(|&t| counted[t])
        .map(|t| stored_elements(graph, t))
        .sum()
}

/// Total bytes of stored tensor data.
pub fn weights_bytes(graph: &Graph) -> u64 {
    graph
        .tensors
        .iter()
        .filter_map(|t| t.data.as_ref())
        .map(|d| d.bytes.len() as u64)
        .sum()
}

fn is_parameter(graph: &Graph, tensor: TensorId) -> bool {
    graph.is_constant(tensor) && graph.tensors[tensor].elem_type.is_float()
}

fn stored_elements(graph: &Graph, tensor: TensorId) -> u64 {
    graph.tensors[tensor].shape.numel_per_sample().unwrap_or(0)
}

/// Multiply-accumulates of one sample through a Conv, ConvTranspose, Gemm or MatMul
/// (symbolic batch dimensions count as 1); `None` for other ops or unknown shapes.
pub fn node_macs(graph: &Graph, node: &Node) -> Option<u64> {
    let shape_of = |i: usize| {
        node.inputs
            .get(i)
            .copied()
            .flatten()
            .map(|t| &graph.tensors[t].shape)
    };
    let output = node
        .outputs
        .first()
        .copied()
        .flatten()
        .map(|t| &graph.tensors[t].shape)?;
    match node.op.as_str() {
        "Conv" => {
            // weight: [C_out, C_in / group, k...]; each output element sums C_in/group × k.
            let weight = shape_of(1)?.fixed_dims()?;
            output
                .numel_per_sample()?
                .checked_mul(weight.iter().skip(1).product())
        }
        "ConvTranspose" => {
            // weight: [C_in, C_out / group, k...]; each input element scatters C_out/group × k.
            let weight = shape_of(1)?.fixed_dims()?;
            shape_of(0)?
                .numel_per_sample()?
                .checked_mul(weight.iter().skip(1).product())
        }
        "Gemm" => {
            let a = shape_of(0)?.fixed_dims()?;
            let transposed = node.int_attribute("transA").unwrap_or(0) != 0;
            let k = if transposed { *a.first()? } else { *a.get(1)? };
            output.numel_per_sample()?.checked_mul(k)
        }
        "MatMul" => {
            let a = shape_of(0)?.dims()?;
            let k = match a.last()? {
                crate::graph::Dim::Fixed(k) => *k,
                _ => return None,
            };
            output.numel_per_sample()?.checked_mul(k)
        }
        _ => None,
    }
}

/// Summaries (stats and histogram with `bins` bins) of every numeric stored tensor, computed
/// in parallel across tensors.
pub fn weight_summaries(graph: &Graph, bins: usize) -> HashMap<TensorId, Summary> {
    use rayon::prelude::*;
    graph
        .tensors
        .par_iter()
        .enumerate()
        .filter_map(|(id, t)| match (t.elem_type, &t.data) {
            (ElemType::Numeric(dtype), Some(data)) => {
                Some((id, Summary::of_le_bytes(dtype, &data.bytes, bins)))
            }
            _ => None,
        })
        .collect()
}
