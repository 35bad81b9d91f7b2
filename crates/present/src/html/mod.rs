//! `glassbox audit --html FILE`: the audit as one self-contained HTML page — inline CSS, inline
//! SVG charts, pictures as `data:` PNGs, no external requests.
//!
//! Sections: summary counts; findings, most severe first; the dataset histogram and each value
//! convention's sample ranges (SVG); every finding with a `region` drawn on example images; a
//! gallery of flagged and outlier samples; for NIfTI volumes the mid axial slice in raw array
//! order beside the canonical (RAS) one. Pictures are re-read from the audited folder through
//! `glassbox_run::inputs` and drawn with `glassbox_tensor::render`; the page stays bounded:
//! at most [`MAX_GALLERY`] gallery thumbnails of at most [`THUMB_PX`] px a side, [`MAX_VOLUMES`]
//! volume pairs and [`REGION_EXAMPLES`] examples for each of [`MAX_REGION_FINDINGS`] regions.
//!
//! Slices of volumes are drawn with the first array axis to the right and the second axis up
//! (`imshow(data[:, :, k].T, origin="lower")`), both for the raw array and the canonical one,
//! so a volume that is not RAS shows up mirrored or turned next to its canonical view.

use glassbox_data::findings::{Finding, Severity};
use glassbox_data::sample::SampleRecord;
use glassbox_data::AuditReport;
use glassbox_tensor::render::RgbImage;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

mod pictures;
use pictures::{canonical_plane, img_tag, load, outline, plane_of, thumbnail, volume_plane};

/// Most thumbnails in the gallery.
pub const MAX_GALLERY: usize = 48;
/// Longest side of a thumbnail, in pixels.
pub const THUMB_PX: usize = 128;
/// Most NIfTI volumes shown raw beside canonical.
pub const MAX_VOLUMES: usize = 12;
/// Most findings with a region drawn.
pub const MAX_REGION_FINDINGS: usize = 8;
/// Example images per region finding.
pub const REGION_EXAMPLES: usize = 6;
/// Longest side of a volume slice, in pixels.
const SLICE_PX: usize = 192;

/// Writes the report to `path`; returns its size in bytes.
pub fn write(report: &AuditReport, path: &Path) -> anyhow::Result<usize> {
    let html = render(report);
    std::fs::write(path, &html)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(html.len())
}

/// The whole page.
pub fn render(report: &AuditReport) -> String {
    let mut out = String::with_capacity(1 << 20);
    let title = format!("glassbox audit: {}", report.root);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>{CSS}</style></head><body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    summary(&mut out, report);
    findings(&mut out, &report.findings);
    charts(&mut out, report);
    regions(&mut out, report);
    gallery(&mut out, report);
    volumes(&mut out, report);
    out.push_str("</body></html>\n");
    out
}

const CSS: &str =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}\
h1{font-size:20px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}\
table{border-collapse:collapse}td,th{padding:3px 8px;text-align:left;vertical-align:top;\
border-bottom:1px solid #eee}.counts td{padding:2px 10px}\
.sev{font-weight:600;border-radius:3px;padding:1px 6px;color:#fff}.error{background:#c62828}\
.warning{background:#ef6c00}.info{background:#1565c0}.paths{color:#555;font-size:12px}\
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{width:140px;font-size:11px;word-break:break-all}\
.card img,.pair img{image-rendering:pixelated;border:1px solid #ccc;display:block}\
.pair{display:inline-flex;gap:14px;margin:0 20px 16px 0;font-size:12px}\
.pair figure{margin:0}.rule{color:#c62828}.note{color:#666;font-size:12px}";

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn summary(out: &mut String, report: &AuditReport) {
    let d = &report.dataset;
    let by_severity = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let _ = write!(
        out,
        "<table class=\"counts\"><tr><td>samples</td><td>{}</td></tr>\
         <tr><td>unreadable</td><td>{}</td></tr><tr><td>skipped</td><td>{}</td></tr>\
         <tr><td>findings</td><td>{} error, {} warning, {} info</td></tr>",
        d.samples,
        d.unreadable,
        report.skipped.values().sum::<u64>(),
        by_severity(Severity::Error),
        by_severity(Severity::Warning),
        by_severity(Severity::Info)
    );
    for (title, counts) in [
        ("formats", &d.formats),
        ("shapes", &d.shapes),
        ("dtypes", &d.dtypes),
        ("value conventions", &d.conventions),
    ] {
        let mut rows: Vec<(&String, &usize)> = counts.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let text: Vec<String> = rows
            .iter()
            .take(8)
            .map(|(k, n)| format!("{} ({n})", esc(k)))
            .collect();
        let more = if rows.len() > 8 { ", …" } else { "" };
        let _ = write!(
            out,
            "<tr><td>{title}</td><td>{}{more}</td></tr>",
            text.join(", ")
        );
    }
    if let Some(masks) = &report.masks {
        let labels: Vec<String> = masks
            .labels
            .iter()
            .take(16)
            .map(|l| format!("{} ({})", l.value, l.masks))
            .collect();
        let _ = write!(
            out,
            "<tr><td>masks</td><td>{} in {}, {} paired; values (masks holding them): {}</td></tr>",
            masks.masks.len(),
            esc(&masks.root),
            masks.pairs.len(),
            labels.join(", ")
        );
    }
    out.push_str("</table>\n");
}

fn findings(out: &mut String, findings: &[Finding]) {
    let _ = writeln!(out, "<h2>Findings ({})</h2>", findings.len());
    if findings.is_empty() {
        out.push_str("<p>No findings.</p>\n");
        return;
    }
    out.push_str("<table><tr><th>severity</th><th>rule</th><th>what</th></tr>\n");
    for f in findings {
        let shown: Vec<String> = f.samples.iter().take(12).map(|p| esc(p)).collect();
        let more = if f.samples.len() > 12 {
            format!(" and {} more", f.samples.len() - 12)
        } else {
            String::new()
        };
        let region = f.region.map(|r| format!(" [{r}]")).unwrap_or_default();
        let severity = severity_name(f.severity);
        let _ = writeln!(
            out,
            "<tr><td><span class=\"sev {severity}\">{severity}</span></td><td>{}</td>\
             <td>{}{region}<div class=\"paths\">{}{more}</div></td></tr>",
            esc(&f.rule),
            esc(&f.message),
            shown.join(", ")
        );
    }
    out.push_str("</table>\n");
}

fn charts(out: &mut String, report: &AuditReport) {
    let h = &report.dataset.histogram;
    out.push_str("<h2>Intensity histogram of the whole set</h2>\n");
    if h.counts.is_empty() {
        out.push_str("<p>No finite values.</p>\n");
    } else {
        // Drawn over the occupied bins (an int16 set's bins span the type's range).
        let first = h.counts.iter().position(|&c| c > 0.0).unwrap_or(0);
        let last = h
            .counts
            .iter()
            .rposition(|&c| c > 0.0)
            .unwrap_or(h.counts.len() - 1);
        let (edges, counts) = (&h.edges[first..=last + 1], &h.counts[first..=last]);
        let note = if h.exact {
            "exact: every sample has the same bins"
        } else {
            "approximate: samples with different bins spread over these"
        };
        let _ = writeln!(
            out,
            "{}<div class=\"note\">{} occupied bins of {} over [{}, {}], bar height \
             log(1 + count); {note}</div>",
            histogram_svg(edges, counts),
            counts.len(),
            h.counts.len(),
            num(edges[0]),
            num(edges[edges.len() - 1])
        );
    }
    out.push_str("<h2>Value ranges per convention</h2>\n");
    out.push_str(
        "<div class=\"note\">One line per sample: min–max (thin), p1–p99 (thick), mean (dot).\
         </div>\n",
    );
    let mut groups: BTreeMap<&str, Vec<&SampleRecord>> = BTreeMap::new();
    for s in &report.samples {
        groups.entry(s.convention.as_str()).or_default().push(s);
    }
    for (convention, members) in groups {
        out.push_str(&ranges_svg(convention, &members));
    }
}

fn num(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e9 {
        format!("{x}")
    } else {
        format!("{x:.4}")
    }
}

fn histogram_svg(edges: &[f64], counts: &[f64]) -> String {
    let (width, height) = (720.0, 160.0);
    let max = counts.iter().copied().fold(0.0, f64::max);
    let scale = |c: f64| (1.0 + c).ln() / (1.0 + max).ln().max(1e-9);
    let bar = width / counts.len() as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" \
         role=\"img\" aria-label=\"dataset histogram\"><rect width=\"100%\" height=\"{height}\" \
         fill=\"#fafafa\"/>",
        width,
        height + 18.0
    );
    for (i, &c) in counts.iter().enumerate() {
        if c <= 0.0 {
            continue;
        }
        let h = scale(c) * height;
        let _ = write!(
            svg,
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"#1565c0\">\
             <title>[{}, {}): {}</title></rect>",
            i as f64 * bar,
            height - h,
            bar.max(1.0),
            h,
            num(edges[i]),
            num(edges[i + 1]),
            num(c)
        );
    }
    let _ = write!(
        svg,
        "<text x=\"0\" y=\"{y}\" font-size=\"11\">{}</text>\
         <text x=\"{width}\" y=\"{y}\" font-size=\"11\" text-anchor=\"end\">{}</text></svg>",
        num(edges[0]),
        num(edges[edges.len() - 1]),
        y = height + 14.0
    );
    svg
}

/// The nominal range of a convention, else the members' own.
fn convention_range(convention: &str, members: &[&SampleRecord]) -> (f64, f64) {
    match convention {
        "[0,1]" => (0.0, 1.0),
        "[-1,1]" => (-1.0, 1.0),
        "[0,255]" => (0.0, 255.0),
        "[0,65535]" => (0.0, 65535.0),
        _ => {
            let lo = members
                .iter()
                .filter_map(|s| s.stats.min)
                .fold(f64::INFINITY, f64::min);
            let hi = members
                .iter()
                .filter_map(|s| s.stats.max)
                .fold(f64::NEG_INFINITY, f64::max);
            if lo.is_finite() && hi > lo {
                (lo, hi)
            } else {
                (0.0, 1.0)
            }
        }
    }
}

fn ranges_svg(convention: &str, members: &[&SampleRecord]) -> String {
    const ROWS: usize = 60;
    let (lo, hi) = convention_range(convention, members);
    let step = members.len().div_ceil(ROWS).max(1);
    let shown: Vec<&&SampleRecord> = members.iter().step_by(step).collect();
    let (left, width, row) = (150.0, 560.0, 4.0);
    let height = shown.len() as f64 * row + 20.0;
    let x = |v: f64| left + ((v - lo) / (hi - lo)).clamp(0.0, 1.0) * width;
    let mut svg = format!(
        "<div><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\">\
         <text x=\"0\" y=\"14\" font-size=\"12\">{} ({} samples{})</text>\
         <rect x=\"{left}\" y=\"2\" width=\"{width}\" height=\"{}\" fill=\"#f3f3f3\"/>",
        left + width + 60.0,
        esc(convention),
        members.len(),
        if step > 1 { ", every nth shown" } else { "" },
        height - 18.0
    );
    for (i, s) in shown.iter().enumerate() {
        let y = 4.0 + i as f64 * row + row / 2.0;
        let (Some(min), Some(max)) = (s.stats.min, s.stats.max) else {
            continue;
        };
        let _ = write!(
            svg,
            "<g><title>{}: min {} max {}</title><line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y}\" \
             y2=\"{y}\" stroke=\"#999\" stroke-width=\"1\"/>",
            esc(&s.path),
            num(min),
            num(max),
            x(min),
            x(max).max(x(min) + 1.0)
        );
        if let (Some(p1), Some(p99)) = (s.stats.p1, s.stats.p99) {
            let _ = write!(
                svg,
                "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#1565c0\" \
                 stroke-width=\"3\"/>",
                x(p1),
                x(p99).max(x(p1) + 1.0)
            );
        }
        if let Some(mean) = s.stats.mean {
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{y}\" r=\"1.6\" fill=\"#c62828\"/>",
                x(mean)
            );
        }
        svg.push_str("</g>");
    }
    let _ = writeln!(
        svg,
        "<text x=\"{left}\" y=\"{ty}\" font-size=\"11\">{}</text>\
         <text x=\"{}\" y=\"{ty}\" font-size=\"11\" text-anchor=\"end\">{}</text></svg></div>",
        num(lo),
        left + width,
        num(hi),
        ty = height - 4.0
    );
    svg
}

/// The samples the findings name, most severe finding first, with the rules naming them.
fn flagged(report: &AuditReport) -> Vec<(&SampleRecord, Vec<&str>)> {
    let mut order: Vec<&str> = Vec::new();
    let mut rules: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in &report.findings {
        for path in &f.samples {
            let entry = rules.entry(path.as_str()).or_default();
            if entry.is_empty() {
                order.push(path);
            }
            if !entry.contains(&f.rule.as_str()) {
                entry.push(&f.rule);
            }
        }
    }
    order
        .into_iter()
        .filter_map(|path| {
            let sample = report.samples.iter().find(|s| s.path == path)?;
            Some((sample, rules.remove(path).unwrap_or_default()))
        })
        .take(MAX_GALLERY)
        .collect()
}

fn gallery(out: &mut String, report: &AuditReport) {
    let flagged = flagged(report);
    let _ = writeln!(
        out,
        "<h2>Flagged and outlier samples ({} shown, at most {MAX_GALLERY})</h2>",
        flagged.len()
    );
    if flagged.is_empty() {
        out.push_str("<p>No sample is named by a finding.</p>\n");
        return;
    }
    out.push_str("<div class=\"cards\">\n");
    for (sample, rules) in flagged {
        let picture = load(report, sample)
            .and_then(|loaded| plane_of(&loaded))
            .and_then(|plane| thumbnail(&plane, THUMB_PX));
        let img = match picture {
            Some((image, _)) => img_tag(&image, &sample.path),
            None => "<div class=\"note\">(no picture)</div>".to_string(),
        };
        let _ = writeln!(
            out,
            "<div class=\"card\">{img}<div>{}</div><div class=\"rule\">{}</div></div>",
            esc(&sample.path),
            esc(&rules.join(", "))
        );
    }
    out.push_str("</div>\n");
}

fn regions(out: &mut String, report: &AuditReport) {
    let with_region: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.region.is_some())
        .take(MAX_REGION_FINDINGS)
        .collect();
    if with_region.is_empty() {
        return;
    }
    out.push_str("<h2>Regions</h2>\n");
    for f in with_region {
        let Some(r) = f.region else { continue };
        let _ = writeln!(
            out,
            "<p><b>{}</b>: {} <span class=\"note\">[{}]</span></p>\
             <div class=\"cards\">",
            esc(&f.rule),
            esc(&f.message),
            esc(&r.to_string())
        );
        let examples = f
            .samples
            .iter()
            .filter_map(|p| report.samples.iter().find(|s| &s.path == p))
            .take(REGION_EXAMPLES);
        for sample in examples {
            let Some(plane) = load(report, sample).and_then(|loaded| plane_of(&loaded)) else {
                continue;
            };
            let Some((mut image, scale)) = thumbnail(&plane, THUMB_PX) else {
                continue;
            };
            let placed = r.placed(plane.width, plane.height);
            outline(&mut image, placed, scale, [255, 40, 40]);
            let _ = writeln!(
                out,
                "<div class=\"card\">{}<div>{}</div></div>",
                img_tag(&image, &sample.path),
                esc(&sample.path)
            );
        }
        out.push_str("</div>\n");
    }
}

fn volumes(out: &mut String, report: &AuditReport) {
    let mut nifti: Vec<&SampleRecord> = report
        .samples
        .iter()
        .filter(|s| s.header.is_some() && s.shape.len() >= 3)
        .collect();
    if nifti.is_empty() {
        return;
    }
    // Volumes that are not RAS first: they are the ones whose raw view misleads.
    nifti.sort_by_key(|s| s.header.as_ref().is_some_and(|h| h.orientation == "RAS"));
    let _ = writeln!(
        out,
        "<h2>NIfTI volumes: raw array order beside canonical RAS ({} of {})</h2>\
         <div class=\"note\">Mid axial slice (third axis), first axis to the right, second axis \
         up, in both views. Canonical: R to the right, A up. A volume that is not RAS looks \
         mirrored or turned on the left; what a network trained on raw arrays saw.</div>",
        nifti.len().min(MAX_VOLUMES),
        nifti.len()
    );
    for sample in nifti.into_iter().take(MAX_VOLUMES) {
        let Some(loaded) = load(report, sample) else {
            continue;
        };
        let orientation = sample
            .header
            .as_ref()
            .map(|h| h.orientation.clone())
            .unwrap_or_default();
        let raw = volume_plane(&loaded).and_then(|p| thumbnail(&p, SLICE_PX));
        let canonical = canonical_plane(&loaded).and_then(|p| thumbnail(&p, SLICE_PX));
        let figure = |picture: Option<(RgbImage, f64)>, caption: &str, kind: &str| match picture {
            Some((image, _)) => format!(
                "<figure data-view=\"{kind}\">{}<figcaption>{caption}</figcaption></figure>",
                img_tag(&image, &format!("{} {kind}", sample.path))
            ),
            None => format!("<figure>(cannot draw)<figcaption>{caption}</figcaption></figure>"),
        };
        let _ = writeln!(
            out,
            "<div class=\"pair\" data-path=\"{}\">{}{}<div>{}<br>{}<br>{}</div></div>",
            esc(&sample.path),
            figure(raw, &format!("raw ({})", esc(&orientation)), "raw"),
            figure(canonical, "canonical (RAS)", "canonical"),
            esc(&sample.path),
            esc(&glassbox_data::shape_text(&sample.shape)),
            esc(&orientation)
        );
    }
}
