//! The audit against numpy and nibabel on generated and real files: per-sample statistics,
//! NIfTI headers, every finding on a planted problem and none on a clean set, bad inputs as
//! findings, and sharded audits merged equal to one run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use glassbox_data::findings::{Finding, Severity};
use glassbox_data::sample::SampleRecord;
use glassbox_data::{audit, merge, AuditReport, Shard};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

mod common;
use common::*;

fn sample<'a>(report: &'a AuditReport, path: &str) -> &'a SampleRecord {
    report
        .samples
        .iter()
        .find(|s| s.path == path)
        .unwrap_or_else(|| panic!("no sample {path}"))
}

fn findings<'a>(report: &'a AuditReport, rule: &str) -> Vec<&'a Finding> {
    report.findings.iter().filter(|f| f.rule == rule).collect()
}

fn close(actual: Option<f64>, expected: &Value, what: &str) {
    let expected = expected.as_f64().unwrap();
    let actual = actual.unwrap_or_else(|| panic!("{what}: missing"));
    let tolerance = 1e-9 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} vs numpy {expected}"
    );
}

#[test]
fn per_sample_stats_match_numpy() {
    let (dir, facts) = generate("stats");
    let report = run(dir.path());
    let files = facts["files"].as_object().unwrap();
    assert_eq!(report.samples.len(), files.len());
    for (path, expected) in files {
        let s = sample(&report, path);
        let what = |field: &str| format!("{path} {field}");
        let shape: Vec<usize> = serde_json::from_value(expected["shape"].clone()).unwrap();
        assert_eq!(s.shape, shape, "{path}");
        assert_eq!(s.dtype, expected["dtype"].as_str().unwrap(), "{path}");
        assert_eq!(s.stats.count, expected["count"].as_u64().unwrap(), "{path}");
        for (field, value) in [
            ("min", s.stats.min),
            ("max", s.stats.max),
            ("mean", s.stats.mean),
            ("std", s.stats.std),
            ("p1", s.stats.p1),
            ("p50", s.stats.p50),
            ("p99", s.stats.p99),
        ] {
            close(value, &expected[field], &what(field));
        }
        assert_eq!(s.stats.zeros, expected["zeros"].as_u64().unwrap(), "{path}");
        assert_eq!(s.stats.nan, expected["nan"].as_u64().unwrap(), "{path}");
        assert_eq!(s.stats.inf, expected["inf"].as_u64().unwrap(), "{path}");
        match (&s.saturation, &expected["saturation"]) {
            (None, Value::Null) => {}
            (Some(got), want) => {
                close(Some(got.low), &want["low"], &what("saturation.low"));
                close(Some(got.high), &want["high"], &what("saturation.high"));
            }
            (got, want) => panic!("{path}: saturation {got:?} vs numpy {want}"),
        }
        if let Some(orientation) = expected.get("orientation") {
            let header = s.header.as_ref().unwrap();
            assert_eq!(header.orientation, orientation.as_str().unwrap(), "{path}");
        }
    }
    // Channels come from the image's colour type.
    assert_eq!(sample(&report, "rgb8.png").channels, Some(3));
    assert_eq!(sample(&report, "gray16.png").channels, Some(1));
    assert_eq!(sample(&report, "floats.npy").channels, None);
    assert!(
        sample(&report, "ct_scaled.nii.gz")
            .header
            .as_ref()
            .unwrap()
            .scaled
    );
}

#[test]
fn clean_sets_have_no_findings() {
    for set in ["clean", "nifti-clean"] {
        let (dir, _) = generate(set);
        let report = run(dir.path());
        assert!(report.samples.len() >= 6, "{set}");
        assert_eq!(report.findings, Vec::<Finding>::new(), "{set}");
    }
}

#[test]
fn each_finding_names_its_planted_samples() {
    let (dir, facts) = generate("planted");
    let report = run(dir.path());
    for (rule, expected) in facts["planted"].as_object().unwrap() {
        let expected: Vec<String> = serde_json::from_value(expected.clone()).unwrap();
        let found = findings(&report, rule);
        assert_eq!(found.len(), 1, "{rule}: {:#?}", report.findings);
        assert_eq!(found[0].samples, expected, "{rule}");
    }
    let outliers: Vec<&String> = findings(&report, "outlier-samples")
        .iter()
        .flat_map(|f| &f.samples)
        .collect();
    let bright = facts["outlier"].as_str().unwrap();
    assert!(outliers.iter().any(|p| *p == bright), "{outliers:?}");
    assert!(
        outliers.iter().all(|p| !p.starts_with("img")),
        "a clean image flagged as outlier: {outliers:?}"
    );
}

#[test]
fn each_nifti_finding_names_its_planted_volume() {
    let (dir, facts) = generate("nifti-planted");
    let report = run(dir.path());
    for (rule, expected) in facts["planted"].as_object().unwrap() {
        let expected: Vec<String> = serde_json::from_value(expected.clone()).unwrap();
        let found = findings(&report, rule);
        assert_eq!(found.len(), 1, "{rule}: {:#?}", report.findings);
        assert_eq!(found[0].samples, expected, "{rule}");
    }
}

#[test]
fn bad_files_are_one_error_finding_each_and_the_audit_goes_on() {
    let (dir, facts) = generate("bad");
    let report = run(dir.path());
    let bad: Vec<String> = serde_json::from_value(facts["bad"].clone()).unwrap();
    let unreadable = findings(&report, "unreadable-file");
    let named: Vec<&str> = unreadable.iter().map(|f| f.samples[0].as_str()).collect();
    assert_eq!(named, bad);
    for finding in &unreadable {
        assert_eq!(finding.severity, Severity::Error);
        assert!(
            finding.message.contains(&finding.samples[0]),
            "{}",
            finding.message
        );
    }
    let read: Vec<&str> = report.samples.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(read, ["good.png"]);
    assert!(
        findings(&report, "unreadable-file")
            .iter()
            .any(|f| f.message.contains("symlink loop")),
        "{:#?}",
        report.findings
    );
}

/// The NIfTI files of nibabel's test data and of fixtures/inputs/nifti, linked into one folder.
fn real_volumes() -> (tempfile::TempDir, Vec<(String, PathBuf)>) {
    let nibabel = python_path("import nibabel, os; print(os.path.join(os.path.dirname(nibabel.__file__), 'tests', 'data'))");
    let dir = tempfile::tempdir().unwrap();
    let mut volumes = Vec::new();
    for (prefix, folder) in [
        ("nibabel", nibabel),
        ("fixtures", repo().join("fixtures/inputs/nifti")),
    ] {
        std::fs::create_dir(dir.path().join(prefix)).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".nii") || n.ends_with(".nii.gz"))
            .collect();
        names.sort();
        for name in names {
            let source = folder.join(&name);
            std::os::unix::fs::symlink(&source, dir.path().join(prefix).join(&name)).unwrap();
            volumes.push((format!("{prefix}/{name}"), source));
        }
    }
    (dir, volumes)
}

fn python_path(code: &str) -> PathBuf {
    let out = Command::new(repo().join(".venv/bin/python"))
        .args(["-c", code])
        .output()
        .unwrap();
    assert!(out.status.success());
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

#[test]
fn nifti_headers_match_nibabel_on_real_files() {
    let (dir, volumes) = real_volumes();
    assert!(volumes.len() >= 15, "{volumes:?}");
    let report = run(dir.path());
    assert_eq!(report.unreadable, vec![], "every real volume must be read");
    let mut args = vec!["header-facts"];
    args.extend(volumes.iter().map(|(_, p)| p.to_str().unwrap()));
    let facts = fixture_script(&args);
    for (relative, source) in &volumes {
        let want = &facts[source.to_str().unwrap()];
        let header = sample(&report, relative).header.as_ref().unwrap();
        assert_eq!(
            header.orientation,
            want["orientation"].as_str().unwrap(),
            "{relative}"
        );
        assert_eq!(
            header.qform_code as i64,
            want["qform_code"].as_i64().unwrap(),
            "{relative}"
        );
        assert_eq!(
            header.sform_code as i64,
            want["sform_code"].as_i64().unwrap(),
            "{relative}"
        );
        let dim: Vec<usize> = serde_json::from_value(want["dim"].clone()).unwrap();
        assert_eq!(header.dim, dim, "{relative}");
        let zooms: Vec<f64> = serde_json::from_value(want["voxel_size"].clone()).unwrap();
        assert_eq!(header.voxel_size.len(), zooms.len(), "{relative}");
        for (got, want) in header.voxel_size.iter().zip(&zooms) {
            assert!(
                (got - want).abs() < 1e-6,
                "{relative}: voxel size {got} vs {want}"
            );
        }
        let affine: Vec<Vec<f64>> = serde_json::from_value(want["affine"].clone()).unwrap();
        for (row, want_row) in header.affine.iter().zip(&affine) {
            for (got, want) in row.iter().zip(want_row) {
                assert!(
                    (got - want).abs() < 1e-4,
                    "{relative}: affine {:?} vs {affine:?}",
                    header.affine
                );
            }
        }
        for (got, want, what) in [
            (header.scl_slope, &want["scl_slope"], "scl_slope"),
            (header.scl_inter, &want["scl_inter"], "scl_inter"),
        ] {
            match want.as_f64() {
                Some(want) => assert_eq!(got, want, "{relative}: {what}"),
                None => assert!(got.is_nan(), "{relative}: {what} {got} vs nibabel NaN"),
            }
        }
    }
    // The JSON `header` object carries the contract's keys.
    let json = serde_json::to_value(&report).unwrap();
    let header = &json["samples"][0]["header"];
    for key in [
        "voxel_size",
        "orientation",
        "qform_code",
        "sform_code",
        "affine",
        "scl_slope",
        "scl_inter",
    ] {
        assert!(header.get(key).is_some(), "header lacks {key}: {header}");
    }
}

#[test]
fn three_shards_merged_equal_one_run() {
    let (dir, _) = generate("planted");
    // Bad files and a skipped file too, so every part of the report is sharded.
    std::fs::write(dir.path().join("notes.txt"), "not data").unwrap();
    std::fs::write(dir.path().join("broken.png"), b"\x89PNG\r\n\x1a\nnope").unwrap();
    let whole = run(dir.path());
    let parts: Vec<AuditReport> = (0..3)
        .map(|index| audit(dir.path(), Some(Shard { index, count: 3 }), &|_| {}).unwrap())
        .collect();
    let sizes: Vec<usize> = parts
        .iter()
        .map(|p| p.samples.len() + p.unreadable.len())
        .collect();
    assert!(
        sizes.iter().all(|&n| n >= 5),
        "unbalanced shards: {sizes:?}"
    );
    // Through JSON, as `glassbox merge` reads them.
    let parts: Vec<AuditReport> = parts
        .iter()
        .map(|p| serde_json::from_str(&serde_json::to_string(p).unwrap()).unwrap())
        .collect();
    let merged = merge(parts.clone()).unwrap();
    assert_eq!(
        serde_json::to_value(&merged).unwrap(),
        serde_json::to_value(&whole).unwrap()
    );
    assert!(!whole.findings.is_empty());
    // Incomplete or repeated shards are refused.
    assert!(merge(parts[..2].to_vec()).is_err());
    assert!(merge(vec![parts[0].clone(), parts[0].clone(), parts[1].clone()]).is_err());
    assert!(merge(vec![whole]).is_err());
}
