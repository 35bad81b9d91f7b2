//! `glassbox audit DIR` (dataset audit, optionally one shard of it) and `glassbox merge PARTS`
//! (partial summaries of a sharded audit into the report of one run).

use crate::text;
use anyhow::Context as _;
use glassbox_data::findings::Severity;
use glassbox_data::{AuditOptions, AuditReport, Shard};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `glassbox audit`.
#[derive(clap::Args)]
pub struct Args {
    /// The dataset folder, walked recursively: PNG/JPEG/TIFF/BMP, .npy/.npz, NIfTI (.nii, .nii.gz).
    dir: PathBuf,
    /// A folder of segmentation masks, paired with the images by file name (same relative
    /// path, extension and a `_mask`/`_seg`/`_label` suffix aside).
    #[arg(long, value_name = "DIR")]
    masks: Option<PathBuf>,
    /// Print one JSON document instead of tables.
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML report (charts, flagged samples, NIfTI views) here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Exit with code 1 when a finding of this severity or worse is present.
    #[arg(long, value_parser = ["error", "warning", "info"])]
    fail_on: Option<String>,
    /// Audit only files at sorted positions I modulo N (0-based) and write a partial summary
    /// for `glassbox merge`; use with --json.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// Never page the text output.
    #[arg(long)]
    no_pager: bool,
}

/// Options of `glassbox merge`.
#[derive(clap::Args)]
pub struct MergeArgs {
    /// Partial summaries written by `glassbox audit --shard I/N --json`, every shard once.
    #[arg(required = true)]
    parts: Vec<PathBuf>,
    /// Print one JSON document instead of tables.
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML report (charts, flagged samples, NIfTI views) here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Exit with code 1 when a finding of this severity or worse is present.
    #[arg(long, value_parser = ["error", "warning", "info"])]
    fail_on: Option<String>,
    /// Never page the text output.
    #[arg(long)]
    no_pager: bool,
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    let bad = || format!("expected I/N with 0 <= I < N, like 0/4; got {text:?}");
    let (index, count) = text.split_once('/').ok_or_else(bad)?;
    let index: usize = index.trim().parse().map_err(|_| bad())?;
    let count: usize = count.trim().parse().map_err(|_| bad())?;
    if count == 0 || index >= count {
        return Err(bad());
    }
    Ok(Shard { index, count })
}

/// Runs `glassbox audit`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let options = AuditOptions {
        shard: args.shard,
        masks: args.masks.clone(),
    };
    let report = glassbox_data::audit_with(&args.dir, &options, &|total| {
        bar.set_length(total as u64);
        bar.inc(1);
    })
    .context("cannot audit")?;
    bar.finish_and_clear();
    write_html(&report, args.html.as_deref())?;
    output(&report, args.json, args.no_pager, args.fail_on.as_deref())
}

/// Runs `glassbox merge`.
pub fn run_merge(args: &MergeArgs) -> anyhow::Result<ExitCode> {
    let mut parts = Vec::with_capacity(args.parts.len());
    for path in &args.parts {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let part: AuditReport = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{}: not a partial summary of `glassbox audit --shard I/N --json`",
                path.display()
            )
        })?;
        parts.push(part);
    }
    let report = glassbox_data::merge(parts)?;
    write_html(&report, args.html.as_deref())?;
    output(&report, args.json, args.no_pager, args.fail_on.as_deref())
}

fn write_html(report: &AuditReport, path: Option<&std::path::Path>) -> anyhow::Result<()> {
    if let Some(path) = path {
        let bytes = crate::html::write(report, path)?;
        eprintln!("wrote {} ({} KiB)", path.display(), bytes.div_ceil(1024));
    }
    Ok(())
}

fn output(
    report: &AuditReport,
    json: bool,
    no_pager: bool,
    fail_on: Option<&str>,
) -> anyhow::Result<ExitCode> {
    if json {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer(&mut out, report)?;
        writeln!(out)?;
        out.flush()?;
    } else {
        text::page(&render(report), !no_pager)?;
    }
    let threshold = match fail_on {
        Some("error") => Some(Severity::Error),
        Some("warning") => Some(Severity::Warning),
        Some(_) => Some(Severity::Info),
        None => None,
    };
    let failed = threshold.is_some_and(|t| report.findings.iter().any(|f| f.severity >= t));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Text form of the report: findings first (most severe first), then the dataset tables.
pub fn render(report: &AuditReport) -> String {
    let mut out = String::new();
    let d = &report.dataset;
    let shard = report
        .shard
        .map(|s| format!(" (shard {}/{})", s.index, s.count))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{}{shard}: {} samples, {} unreadable, {} skipped",
        report.root,
        d.samples,
        d.unreadable,
        report.skipped.values().sum::<u64>()
    );
    let _ = writeln!(out);
    if report.findings.is_empty() {
        let _ = writeln!(out, "No findings.");
    } else {
        let _ = writeln!(out, "Findings ({}):", report.findings.len());
        for finding in &report.findings {
            let severity = match finding.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let mut line = format!("{severity} {}: {}", finding.rule, finding.message);
            if let Some(r) = finding.region {
                let _ = write!(line, " [region {r}]");
            }
            let _ = writeln!(out, "{}", text::wrap(&line, 80, 9));
        }
    }
    let _ = writeln!(out);
    table(&mut out, "format", &d.formats);
    table(&mut out, "shape", &d.shapes);
    table(&mut out, "dtype", &d.dtypes);
    table(&mut out, "values", &d.conventions);
    let v = &d.values;
    let num = |x: Option<f64>| x.map(text::number).unwrap_or_else(|| "-".into());
    let _ = writeln!(
        out,
        "all values: min {}  max {}  mean {}  std {}  ({} values, {} NaN, {} Inf)",
        num(v.min),
        num(v.max),
        num(v.mean),
        num(v.std),
        text::count(v.count),
        v.nan,
        v.inf
    );
    if let Some(masks) = &report.masks {
        let labels: Vec<String> = masks
            .labels
            .iter()
            .take(12)
            .map(|label| format!("{} ({})", label.value, label.masks))
            .collect();
        let _ = writeln!(
            out,
            "masks: {} read from {}, {} paired, {} unreadable; labels (masks): {}",
            masks.masks.len(),
            masks.root,
            masks.pairs.len(),
            masks.unreadable.len(),
            labels.join(", ")
        );
    }
    if !report.skipped.is_empty() {
        let skipped: Vec<String> = report
            .skipped
            .iter()
            .map(|(extension, n)| {
                let extension = if extension.is_empty() {
                    "(none)"
                } else {
                    extension
                };
                format!(".{extension}: {n}")
            })
            .collect();
        let _ = writeln!(out, "skipped: {}", skipped.join(", "));
    }
    out
}

/// A two-column table of counts, most common first, at most 8 rows.
fn table(out: &mut String, title: &str, counts: &BTreeMap<String, usize>) {
    let mut rows: Vec<(&String, &usize)> = counts.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let _ = writeln!(out, "{title:<24} samples");
    for (key, n) in rows.iter().take(8) {
        let _ = writeln!(out, "  {:<22} {n}", text::fit_right(key, 22));
    }
    if rows.len() > 8 {
        let rest: usize = rows.iter().skip(8).map(|(_, n)| **n).sum();
        let _ = writeln!(out, "  {:<22} {rest}", format!("({} more)", rows.len() - 8));
    }
}
