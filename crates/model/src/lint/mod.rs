//! Lint rules: named checks over a loaded graph, each a pure function from the model (and the
//! weight summaries) to findings. One file per rule family; [`RULES`] registers them.

mod activations;
mod engine;
mod ops;
mod reachability;
mod skip_wiring;
mod weights;

use crate::graph::{Model, TensorId};
use glassbox_tensor::Summary;
use serde::Serialize;
use std::collections::HashMap;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, not a problem.
    Info,
    /// Probably a mistake.
    Warning,
    /// Certainly broken.
    Error,
}

/// One problem a rule found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// Rule name, like `unreachable-node`.
    pub rule: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// Names of the nodes involved (for tensor-level rules, the tensors' names).
    pub nodes: Vec<String>,
    /// One line saying what is wrong.
    pub message: String,
}

/// What every rule sees: the model and the summaries of its stored tensors.
pub struct Context<'a> {
    /// The model.
    pub model: &'a Model,
    /// Summaries of weights, by tensor id in the main graph.
    pub weight_summaries: &'a HashMap<TensorId, Summary>,
}

type Rule = fn(&Context) -> Vec<Finding>;

/// Every rule, in the order findings are reported before sorting by severity.
pub const RULES: &[(&str, Rule)] = &[
    ("unreachable-node", reachability::unreachable_nodes),
    ("unused-input", reachability::unused_inputs),
    ("unused-initializer", reachability::unused_initializers),
    ("missing-activation", activations::missing_activation),
    ("skip-wiring", skip_wiring::skip_wiring),
    ("nonfinite-weight", weights::nonfinite_weights),
    ("zero-weight", weights::zero_weights),
    ("unsupported-op", engine::unsupported_ops),
    ("unknown-shape", engine::unknown_shapes),
    ("activation-inventory", activations::inventory),
];

/// Runs every rule; findings come most severe first, then in rule order.
pub fn run(context: &Context) -> Vec<Finding> {
    let mut findings: Vec<Finding> = RULES.iter().flat_map(|(_, rule)| rule(context)).collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

/// Names of up to `limit` items, with "and N more" when cut.
pub(crate) fn name_list<'a>(names: impl IntoIterator<Item = &'a str>, limit: usize) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let shown: Vec<String> = names.iter().take(limit).map(|n| format!("`{n}`")).collect();
    match names.len().saturating_sub(limit) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}
