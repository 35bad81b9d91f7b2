//! Rules about stored weights: non-finite values, all-zero kernels.

use super::{Context, Finding, Severity};

/// `nonfinite-weight` (error): a stored tensor holding NaN or ±Inf.
pub fn nonfinite_weights(context: &Context) -> Vec<Finding> {
    let graph = &context.model.graph;
    let mut findings: Vec<Finding> = context
        .weight_summaries
        .iter()
        .filter(|(_, s)| s.moments.nan + s.moments.pos_inf + s.moments.neg_inf > 0)
        .map(|(&id, s)| Finding {
            rule: "nonfinite-weight",
            severity: Severity::Error,
            nodes: vec![graph.tensors[id].name.clone()],
            message: format!(
                "weight `{}` holds {} NaN and {} infinite values: every output it touches is garbage",
                graph.tensors[id].name,
                s.moments.nan,
                s.moments.pos_inf + s.moments.neg_inf
            ),
        })
        .collect();
    findings.sort_by(|a, b| a.nodes.cmp(&b.nodes));
    findings
}

/// `zero-weight` (warning): a kernel or matrix (rank 2 or more) that is zero everywhere; the
/// layer passes no signal. Biases may legitimately be zero and are not checked.
pub fn zero_weights(context: &Context) -> Vec<Finding> {
    let graph = &context.model.graph;
    let mut findings: Vec<Finding> = context
        .weight_summaries
        .iter()
        .filter(|(&id, s)| {
            let tensor = &graph.tensors[id];
            tensor.elem_type.is_float()
                && tensor.shape.dims().is_some_and(|d| d.len() >= 2)
                && s.moments.count() > 1
                && s.moments.zeros == s.moments.count()
                && !tensor.consumers.is_empty()
        })
        .map(|(&id, _)| Finding {
            rule: "zero-weight",
            severity: Severity::Warning,
            nodes: vec![graph.tensors[id].name.clone()],
            message: format!(
                "weight `{}` ({}) is zero everywhere: the layer reading it passes no signal",
                graph.tensors[id].name, graph.tensors[id].shape
            ),
        })
        .collect();
    findings.sort_by(|a, b| a.nodes.cmp(&b.nodes));
    findings
}
