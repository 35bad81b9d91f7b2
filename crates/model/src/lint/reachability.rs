//! Rules about what is connected: nodes that reach no output, inputs and initializers
//! nothing reads.

use super::{name_list, Context, Finding, Severity};
use crate::graph::{Graph, NodeId, TensorId, TensorKind};

/// Tensors a node reads: its inputs and the outer values its subgraphs capture.
fn reads(graph: &Graph, node: NodeId) -> Vec<TensorId> {
    let node = &graph.nodes[node];
    let captured = node
        .subgraphs
        .iter()
        .flat_map(|(_, g)| g.outer_names.iter())
        .filter_map(|name| graph.tensor_id(name));
    node.input_ids().chain(captured).collect()
}

/// Whether each node contributes to some graph output.
pub(crate) fn reaches_output(graph: &Graph) -> Vec<bool> {
    let mut reached = vec![false; graph.nodes.len()];
    let mut stack: Vec<TensorId> = graph.outputs.clone();
    while let Some(tensor) = stack.pop() {
        if let Some(node) = graph.tensors[tensor].producer {
            if !reached[node] {
                reached[node] = true;
                stack.extend(reads(graph, node));
            }
        }
    }
    reached
}

/// `unreachable-node`: one finding per connected group of nodes whose outputs never reach a
/// graph output (a branch someone forgot to connect).
pub fn unreachable_nodes(context: &Context) -> Vec<Finding> {
    let graph = &context.model.graph;
    let reached = reaches_output(graph);
    let mut group_of: Vec<Option<usize>> = vec![None; graph.nodes.len()];
    let mut groups: Vec<Vec<NodeId>> = Vec::new();
    for start in (0..graph.nodes.len()).filter(|&n| !reached[n]) {
        if group_of[start].is_some() {
            continue;
        }
        let group = groups.len();
        let mut members = Vec::new();
        let mut stack = vec![start];
        group_of[start] = Some(group);
        while let Some(node) = stack.pop() {
            members.push(node);
            let producers = reads(graph, node)
                .into_iter()
                .filter_map(|t| graph.tensors[t].producer);
            let consumers = graph.nodes[node]
                .output_ids()
                .flat_map(|t| graph.tensors[t].consumers.iter().copied());
            for next in producers.chain(consumers).collect::<Vec<_>>() {
                if !reached[next] && group_of[next].is_none() {
                    group_of[next] = Some(group);
                    stack.push(next);
                }
            }
        }
        members.sort_unstable();
        groups.push(members);
    }
    groups
        .into_iter()
        .map(|members| {
            let names: Vec<String> = members.iter().map(|&n| graph.nodes[n].name.clone()).collect();
            let last = members.iter().rev().find_map(|&n| graph.nodes[n].output_ids().next());
            let dangling = last.map(|t| format!(", ending in `{}`", graph.tensors[t].name)).unwrap_or_default();
            Finding {
                rule: "unreachable-node",
                severity: Severity::Warning,
                message: format!(
                    "{} node(s) never reach a graph output{dangling}: {} (a branch that was never connected?)",
                    names.len(),
                    name_list(names.iter().map(String::as_str), 4)
                ),
                nodes: names,
            }
        })
        .collect()
}

/// `unused-input`: graph inputs that no node reads.
pub fn unused_inputs(context: &Context) -> Vec<Finding> {
    let graph = &context.model.graph;
    graph
        .inputs
        .iter()
        .filter(|&&t| graph.tensors[t].consumers.is_empty() && !graph.outputs.contains(&t))
        .map(|&t| Finding {
            rule: "unused-input",
            severity: Severity::Warning,
            nodes: vec![graph.tensors[t].name.clone()],
            message: format!(
                "graph input `{}` ({}) is read by no node: data fed there is ignored",
                graph.tensors[t].name, graph.tensors[t].shape
            ),
        })
        .collect()
}

/// `unused-initializer`: stored tensors that no node reads.
pub fn unused_initializers(context: &Context) -> Vec<Finding> {
    let graph = &context.model.graph;
    graph
        .tensors
        .iter()
        .enumerate()
        .filter(|(id, t)| {
            t.kind == TensorKind::Weight
                && t.producer.is_none()
                && t.consumers.is_empty()
                && !graph.outputs.contains(id)
        })
        .map(|(_, t)| Finding {
            rule: "unused-initializer",
            severity: Severity::Warning,
            nodes: vec![t.name.clone()],
            message: format!(
                "initializer `{}` ({}, {}) is read by no node: stale weights?",
                t.name,
                t.shape,
                t.elem_type.name()
            ),
        })
        .collect()
}
