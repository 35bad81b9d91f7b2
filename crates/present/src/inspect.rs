//! `glassbox inspect MODEL`: architecture table, totals, lint findings, weight statistics.

use crate::report::{InspectReport, NodeReport};
use crate::text;
use anyhow::Context as _;
use glassbox_model::lint::{self, Severity};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `glassbox inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// The ONNX model file.
    model: PathBuf,
    /// Print one JSON document (DESIGN.md's contract) instead of tables.
    #[arg(long)]
    json: bool,
    /// Histogram bins per weight tensor.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=4096))]
    bins: u16,
    /// Group nodes by module scope down to this depth (1 = top-level modules) instead of
    /// listing every node; for big graphs.
    #[arg(long)]
    depth: Option<usize>,
    /// List nodes computed at load time too (Constant, Identity of a weight, ConstantOfShape),
    /// which the table hides by default.
    #[arg(long)]
    all_nodes: bool,
    /// Exit with code 1 when a finding of this severity or worse is present.
    #[arg(long, value_parser = ["error", "warning", "info"])]
    fail_on: Option<String>,
    /// Never page the text output.
    #[arg(long)]
    no_pager: bool,
}

/// Runs the subcommand.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let model = glassbox_model::load(&args.model).with_context(|| "cannot inspect the model")?;
    let summaries = glassbox_model::cost::weight_summaries(&model.graph, usize::from(args.bins));
    let findings = lint::run(&lint::Context {
        model: &model,
        weight_summaries: &summaries,
    });
    let report = InspectReport::new(&args.model.to_string_lossy(), &model, &summaries, findings);
    if args.json {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
        out.flush()?;
    } else {
        text::page(&render(&report, args.depth, args.all_nodes), !args.no_pager)?;
    }
    let threshold = match args.fail_on.as_deref() {
        Some("error") => Some(Severity::Error),
        Some("warning") => Some(Severity::Warning),
        Some(_) => Some(Severity::Info),
        None => None,
    };
    let failed = threshold.is_some_and(|t| report.lint.iter().any(|f| f.severity >= t));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Text form of the report, 80 columns wide.
pub fn render(report: &InspectReport, depth: Option<usize>, all_nodes: bool) -> String {
    let mut out = String::new();
    let m = &report.model;
    let opset = m
        .opsets
        .get("")
        .or(m.opsets.get("ai.onnx"))
        .map(|v| format!(", opset {v}"))
        .unwrap_or_default();
    let producer = if m.producer.is_empty() {
        String::new()
    } else {
        format!(", {}", m.producer)
    };
    let about = format!("  (ONNX IR {}{opset}{producer})", m.ir_version);
    let path_width = 80usize.saturating_sub(about.chars().count()).max(20);
    let _ = writeln!(out, "{}{about}", text::fit_left(&m.path, path_width));
    let t = &report.totals;
    let _ = writeln!(
        out,
        "{} nodes · {} params · {} MACs per sample · weights {}\n",
        t.nodes,
        text::count(t.params),
        text::count(t.macs),
        text::bytes(t.weights_bytes)
    );
    match depth {
        Some(depth) => render_scopes(&mut out, report, depth),
        None => render_nodes(&mut out, report, all_nodes),
    }
    render_lint(&mut out, report);
    render_weights(&mut out, report);
    out
}

fn output_shape(report: &InspectReport, node: &NodeReport) -> String {
    let first = node.outputs.first().map(String::as_str).unwrap_or("");
    report
        .tensors
        .iter()
        .find(|t| t.name == first)
        .map(|t| t.shape.to_string())
        .unwrap_or_default()
}

fn render_nodes(out: &mut String, report: &InspectReport, all_nodes: bool) {
    let _ = writeln!(
        out,
        "{:<29} {:<12} {:<20} {:>7} {:>7}",
        "NODE", "OP", "OUTPUT SHAPE", "PARAMS", "MACS"
    );
    // Output shapes are looked up by name; index them once.
    let shapes: std::collections::HashMap<&str, String> = report
        .tensors
        .iter()
        .map(|t| (t.name.as_str(), t.shape.to_string()))
        .collect();
    let hidden = report
        .nodes
        .iter()
        .filter(|n| n.constant && !all_nodes)
        .count();
    for node in report.nodes.iter().filter(|n| all_nodes || !n.constant) {
        let shape = node
            .outputs
            .first()
            .and_then(|o| shapes.get(o.as_str()))
            .cloned()
            .unwrap_or_default();
        let params = if node.params > 0 {
            text::count(node.params)
        } else {
            String::new()
        };
        let macs = node.macs.map(text::count).unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<29} {:<12} {:<20} {:>7} {:>7}",
            text::fit_left(&node.name, 29),
            text::fit_right(&node.op, 12),
            text::fit_right(&shape, 20),
            params,
            macs
        );
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "({hidden} nodes computed at load time hidden; --all-nodes lists them)"
        );
    }
    out.push('\n');
}

fn render_scopes(out: &mut String, report: &InspectReport, depth: usize) {
    #[derive(Default)]
    struct Group {
        nodes: usize,
        params: u64,
        macs: u64,
        ops: BTreeMap<String, usize>,
        last: Option<usize>,
    }
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for (index, node) in report.nodes.iter().enumerate() {
        let scope: Vec<&str> = node
            .scope
            .split('/')
            .filter(|s| !s.is_empty())
            .take(depth.max(1))
            .collect();
        let key = if scope.is_empty() {
            "(top level)".to_string()
        } else {
            scope.join("/")
        };
        let group = groups.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            Group::default()
        });
        group.nodes += 1;
        group.params += node.params;
        group.macs += node.macs.unwrap_or(0);
        *group.ops.entry(node.op.clone()).or_default() += 1;
        group.last = Some(index);
    }
    let _ = writeln!(
        out,
        "{:<24} {:>5} {:<20} {:>7} {:>7} {:>10}",
        "SCOPE", "NODES", "OUTPUT SHAPE", "PARAMS", "MACS", "TOP OP"
    );
    for key in order {
        let group = &groups[&key];
        let shape = group
            .last
            .map(|i| output_shape(report, &report.nodes[i]))
            .unwrap_or_default();
        let top = group
            .ops
            .iter()
            .max_by_key(|(_, &n)| n)
            .map(|(op, _)| op.as_str())
            .unwrap_or("");
        let _ = writeln!(
            out,
            "{:<24} {:>5} {:<20} {:>7} {:>7} {:>10}",
            text::fit_left(&key, 24),
            group.nodes,
            text::fit_right(&shape, 20),
            text::count(group.params),
            text::count(group.macs),
            text::fit_right(top, 10)
        );
    }
    out.push('\n');
}

fn render_lint(out: &mut String, report: &InspectReport) {
    let problems = report
        .lint
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .count();
    let _ = writeln!(
        out,
        "LINT: {problems} problem(s), {} note(s)",
        report.lint.len() - problems
    );
    for finding in &report.lint {
        let severity = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        // `  warning ` then the wrapped text, continuation lines aligned under it.
        let body = text::wrap(&format!("{}: {}", finding.rule, finding.message), 70, 0);
        for (i, line) in body.lines().enumerate() {
            let lead = if i == 0 {
                format!("  {severity:<7} ")
            } else {
                " ".repeat(10)
            };
            let _ = writeln!(out, "{lead}{line}");
        }
    }
    out.push('\n');
}

fn render_weights(out: &mut String, report: &InspectReport) {
    let weights: Vec<_> = report
        .tensors
        .iter()
        .filter(|t| t.stats.is_some())
        .collect();
    let _ = writeln!(out, "WEIGHTS: {} stored tensor(s)", weights.len());
    let _ = writeln!(out, "{}", text::stats_header("NAME"));
    for tensor in weights {
        if let Some(stats) = &tensor.stats {
            let row = text::stats_row(
                &tensor.name,
                &tensor.shape.to_string(),
                stats,
                tensor.histogram.as_ref(),
            );
            let _ = writeln!(out, "{row}");
        }
    }
}
