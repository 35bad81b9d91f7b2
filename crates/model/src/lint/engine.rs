//! Rules about what the inference engine can do with the graph.

use super::{name_list, Context, Finding, Severity};
use crate::engine::engine_supports;
use std::collections::BTreeMap;

/// `unsupported-op` (warning): op types the engine has no implementation for; the graph
/// and weights are still shown, but `glassbox run` will stop at these nodes.
pub fn unsupported_ops(context: &Context) -> Vec<Finding> {
    let graph = &context.model.graph;
    let mut by_op: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for node in &graph.nodes {
        let default_domain = node.domain.is_empty() || node.domain == "ai.onnx";
        if !default_domain || !engine_supports(&node.op) {
            by_op
                .entry((node.domain.clone(), node.op.clone()))
                .or_default()
                .push(node.name.clone());
        }
    }
    by_op
        .into_iter()
        .map(|((domain, op), nodes)| {
            let qualified = if domain.is_empty() { op } else { format!("{domain}.{op}") };
            Finding {
                rule: "unsupported-op",
                severity: Severity::Warning,
                message: format!(
                    "the inference engine cannot run op `{qualified}` ({} node(s): {}); the graph and weights are still inspectable",
                    nodes.len(),
                    name_list(nodes.iter().map(String::as_str), 3)
                ),
                nodes,
            }
        })
        .collect()
}

/// `unknown-shape` (info): tensors whose shape neither the file nor inference could tell.
pub fn unknown_shapes(context: &Context) -> Vec<Finding> {
    let graph = &context.model.graph;
    let unknown: Vec<&str> = graph
        .tensors
        .iter()
        .filter(|t| t.shape.is_partly_unknown())
        .map(|t| t.name.as_str())
        .collect();
    if unknown.is_empty() {
        return Vec::new();
    }
    let why = context
        .model
        .shape_notes
        .first()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    vec![Finding {
        rule: "unknown-shape",
        severity: Severity::Info,
        message: format!(
            "{} tensor shape(s) are unknown{why}: {}",
            unknown.len(),
            name_list(unknown.iter().copied(), 4)
        ),
        nodes: unknown.into_iter().map(String::from).collect(),
    }]
}
