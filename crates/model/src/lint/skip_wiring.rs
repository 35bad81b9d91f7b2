//! `skip-wiring`: in an encoder–decoder, one encoder tensor taken by two skip merges while
//! another of the same shape, further up the encoder, feeds none: the copy-paste mistake.

use super::ops::is_linear_layer;
use super::{Context, Finding, Severity};
use crate::graph::{Dim, Graph, NodeId, TensorId};
use std::collections::BTreeMap;

/// A Concat (on the channel axis) or Add joining non-constant tensors of equal spatial size.
fn is_spatial_merge(graph: &Graph, node_id: NodeId) -> bool {
    let node = &graph.nodes[node_id];
    let inputs: Vec<TensorId> = node
        .input_ids()
        .filter(|&t| !graph.is_constant(t))
        .collect();
    if inputs.len() < 2 {
        return false;
    }
    match node.op.as_str() {
        "Concat" if node.int_attribute("axis") == Some(1) => {}
        "Add" | "Sum" => {}
        _ => return false,
    }
    let spatial = |t: TensorId| -> Option<Vec<Dim>> {
        let dims = graph.tensors[t].shape.dims()?;
        (dims.len() >= 3 && !dims[2..].contains(&Dim::Unknown)).then(|| dims[2..].to_vec())
    };
    let first = spatial(inputs[0]);
    first.is_some() && inputs.iter().all(|&t| spatial(t) == first)
}

/// Position of a tensor's producer in node order (graph inputs and weights come first).
fn position(graph: &Graph, tensor: TensorId) -> isize {
    graph.tensors[tensor].producer.map_or(-1, |n| n as isize)
}

/// Ancestors of `tensor` of the same shape that lie behind at least one linear layer (so a
/// different block, not a normalised or activated copy of the same tensor), nearest first.
fn earlier_same_shape(graph: &Graph, tensor: TensorId) -> Vec<TensorId> {
    let shape = &graph.tensors[tensor].shape;
    let mut found = Vec::new();
    let mut seen = vec![false; graph.tensors.len()];
    // (tensor, crossed a linear layer on the way back)
    let mut stack = vec![(tensor, false)];
    while let Some((current, crossed)) = stack.pop() {
        if crossed
            && current != tensor
            && graph.tensors[current].shape == *shape
            && !graph.is_constant(current)
        {
            found.push(current);
        }
        let Some(producer) = graph.tensors[current].producer else {
            continue;
        };
        let node = &graph.nodes[producer];
        let crossed = crossed || is_linear_layer(graph, node);
        for input in node.input_ids().filter(|&t| !graph.is_constant(t)) {
            if !std::mem::replace(&mut seen[input], true) {
                stack.push((input, crossed));
            }
        }
    }
    found.sort_by_key(|&t| std::cmp::Reverse(position(graph, t)));
    found
}

/// See the module documentation.
pub fn skip_wiring(context: &Context) -> Vec<Finding> {
    let graph = &context.model.graph;
    let merges: Vec<NodeId> = (0..graph.nodes.len())
        .filter(|&n| is_spatial_merge(graph, n))
        .collect();
    if merges.len() < 2 {
        return Vec::new();
    }
    // The skip input of a merge is the one computed earliest: the encoder side.
    let mut merges_by_skip: BTreeMap<TensorId, Vec<NodeId>> = BTreeMap::new();
    for &merge in &merges {
        let skip = graph.nodes[merge]
            .input_ids()
            .filter(|&t| !graph.is_constant(t))
            .min_by_key(|&t| position(graph, t));
        if let Some(skip) = skip {
            merges_by_skip.entry(skip).or_default().push(merge);
        }
    }
    let feeds_a_merge = |t: TensorId| {
        merges
            .iter()
            .any(|&m| graph.nodes[m].input_ids().any(|i| i == t))
    };
    let mut findings = Vec::new();
    for (&skip, takers) in merges_by_skip
        .iter()
        .filter(|(_, takers)| takers.len() >= 2)
    {
        let Some(&orphan) = earlier_same_shape(graph, skip)
            .iter()
            .find(|&&t| !feeds_a_merge(t))
        else {
            continue;
        };
        let names: Vec<String> = takers
            .iter()
            .map(|&m| graph.nodes[m].name.clone())
            .collect();
        let mut nodes = names.clone();
        nodes.extend(
            graph.tensors[orphan]
                .producer
                .map(|p| graph.nodes[p].name.clone()),
        );
        findings.push(Finding {
            rule: "skip-wiring",
            severity: Severity::Warning,
            message: format!(
                "`{}` is the skip input of {} merges ({}) while `{}`, an earlier level of the same shape {}, feeds none: was one skip meant to take it?",
                graph.tensors[skip].name,
                takers.len(),
                names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                graph.tensors[orphan].name,
                graph.tensors[orphan].shape
            ),
            nodes,
        });
    }
    findings
}
