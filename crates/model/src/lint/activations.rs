//! Rules about nonlinearities: linear layers stacked without one, and which are used where.

use super::ops::{is_depthwise_conv, is_linear_layer, is_linear_passthrough, is_nonlinearity};
use super::{name_list, Context, Finding, Severity};
use crate::graph::{Graph, NodeId};
use std::collections::BTreeMap;

/// What follows a linear layer once shape and normalisation ops are skipped.
#[derive(Default)]
struct Followers {
    nonlinearity: bool,
    linear: Vec<NodeId>,
}

fn followers(graph: &Graph, layer: NodeId) -> Followers {
    let mut result = Followers::default();
    let mut seen = vec![false; graph.nodes.len()];
    let mut stack = vec![layer];
    while let Some(node) = stack.pop() {
        for tensor in graph.nodes[node].output_ids() {
            for &next in &graph.tensors[tensor].consumers {
                if std::mem::replace(&mut seen[next], true) {
                    continue;
                }
                let op = graph.nodes[next].op.as_str();
                if is_nonlinearity(op) {
                    result.nonlinearity = true;
                } else if is_linear_layer(graph, &graph.nodes[next]) {
                    result.linear.push(next);
                } else if is_linear_passthrough(graph, &graph.nodes[next]) {
                    stack.push(next);
                }
            }
        }
    }
    result
}

/// `missing-activation`: a linear layer feeding another linear layer through only shape and
/// normalisation ops, in a model whose other linear layers are followed by a nonlinearity.
/// A depthwise convolution next to its pointwise partner is one factorised layer, not a miss.
pub fn missing_activation(context: &Context) -> Vec<Finding> {
    let graph = &context.model.graph;
    let mut activated = 0usize;
    let mut pairs: Vec<(NodeId, NodeId)> = Vec::new();
    for (id, node) in graph.nodes.iter().enumerate() {
        if !is_linear_layer(graph, node) {
            continue;
        }
        let next = followers(graph, id);
        activated += usize::from(next.nonlinearity);
        for other in next.linear {
            let factorised =
                is_depthwise_conv(graph, node) || is_depthwise_conv(graph, &graph.nodes[other]);
            if !factorised {
                pairs.push((id, other));
            }
        }
    }
    if activated == 0 || pairs.len() >= activated {
        return Vec::new();
    }
    pairs
        .into_iter()
        .map(|(first, second)| {
            let (a, b) = (&graph.nodes[first], &graph.nodes[second]);
            Finding {
                rule: "missing-activation",
                severity: Severity::Warning,
                nodes: vec![a.name.clone(), b.name.clone()],
                message: format!(
                    "`{}` ({}) feeds `{}` ({}) with no nonlinearity between, while {activated} other linear layers are followed by one",
                    a.name, a.op, b.name, b.op
                ),
            }
        })
        .collect()
}

/// `activation-inventory` (info): each activation op, how often and in which scopes, so an
/// unexpected one stands out.
pub fn inventory(context: &Context) -> Vec<Finding> {
    let graph = &context.model.graph;
    let mut by_op: BTreeMap<&str, Vec<&crate::graph::Node>> = BTreeMap::new();
    for node in graph.nodes.iter().filter(|n| is_nonlinearity(&n.op)) {
        by_op.entry(node.op.as_str()).or_default().push(node);
    }
    if by_op.is_empty() {
        return Vec::new();
    }
    let parts: Vec<String> = by_op
        .iter()
        .map(|(op, nodes)| {
            let mut scopes: Vec<&str> = nodes.iter().map(|n| top_scope(&n.scope)).collect();
            scopes.dedup();
            let named: Vec<&str> = scopes.into_iter().filter(|s| !s.is_empty()).collect();
            match named.is_empty() {
                true => format!("{op} ×{}", nodes.len()),
                false => format!("{op} ×{} in {}", nodes.len(), name_list(named, 4)),
            }
        })
        .collect();
    vec![Finding {
        rule: "activation-inventory",
        severity: Severity::Info,
        nodes: by_op.values().flatten().map(|n| n.name.clone()).collect(),
        message: format!("activations: {}", parts.join("; ")),
    }]
}

fn top_scope(scope: &str) -> &str {
    scope.split('/').next().unwrap_or("")
}
