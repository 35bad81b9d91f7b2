//! `glassbox audit` and `glassbox merge` end to end: exit codes, JSON keys, text order, shards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{generate, glassbox};
use serde_json::Value;
use std::path::Path;

fn json_of(args: &[&str]) -> Value {
    let out = glassbox(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn bad_files_are_findings_exit_0_or_1_with_fail_on_error() {
    let (dir, _) = generate("bad");
    let root = path_str(dir.path());
    let out = glassbox(&["audit", root, "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["samples"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        errors,
        [
            "huge.nii",
            "huge.nii.gz",
            "loop",
            "lying.npy",
            "not_gzip.nii.gz",
            "truncated.png"
        ]
    );
    assert_eq!(report["samples"].as_array().unwrap().len(), 1);
    let failed = glassbox(&["audit", root, "--json", "--fail-on", "error"]);
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(
        failed.stdout, out.stdout,
        "--fail-on changes only the exit code"
    );
}

#[test]
fn json_follows_the_contract() {
    let (dir, _) = generate("stats");
    let report = json_of(&["audit", path_str(dir.path()), "--json"]);
    let samples = report["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 8);
    for sample in samples {
        for key in ["path", "format", "shape", "dtype", "stats"] {
            assert!(sample.get(key).is_some(), "sample lacks {key}: {sample}");
        }
        for key in [
            "min", "max", "mean", "std", "zeros", "nan", "inf", "p1", "p50", "p99",
        ] {
            assert!(sample["stats"].get(key).is_some(), "stats lack {key}");
        }
        let is_nifti = sample["format"].as_str().unwrap().starts_with("nifti");
        assert_eq!(
            sample.get("header").is_some(),
            is_nifti,
            "{}",
            sample["path"]
        );
    }
    let paths: Vec<&str> = samples
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"sub/ints.npy"),
        "paths are relative to DIR: {paths:?}"
    );
    let las = samples.iter().find(|s| s["path"] == "ct_las.nii").unwrap();
    assert_eq!(las["header"]["orientation"], "LAS");
    assert_eq!(
        las["header"]["voxel_size"],
        serde_json::json!([2.0, 2.0, 3.0])
    );
    for finding in report["findings"].as_array().unwrap() {
        for key in ["rule", "severity", "message", "samples"] {
            assert!(finding.get(key).is_some(), "finding lacks {key}: {finding}");
        }
    }
}

#[test]
fn text_lists_findings_most_severe_first_then_the_tables() {
    let (dir, _) = generate("planted");
    std::fs::write(dir.path().join("broken.png"), b"\x89PNG\r\n\x1a\nnope").unwrap();
    let out = glassbox(&["audit", path_str(dir.path()), "--no-pager"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing:\n{text}"))
    };
    assert!(at("error unreadable-file") < at("warning constant-samples"));
    assert!(at("warning mixed-shapes") < at("info outlier-samples"));
    assert!(at("info outlier-samples") < at("format "));
    assert!(at("format ") < at("shape "));
    assert!(text.contains("64x64x1"), "{text}");
}

#[test]
fn three_shards_merged_equal_one_run() {
    let (dir, _) = generate("planted");
    std::fs::write(dir.path().join("readme.txt"), "not data").unwrap();
    let root = path_str(dir.path());
    let whole = json_of(&["audit", root, "--json"]);
    let parts = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for index in 0..3 {
        let part = json_of(&["audit", root, "--json", "--shard", &format!("{index}/3")]);
        assert_eq!(part["shard"]["index"], index);
        let file = parts.path().join(format!("part{index}.json"));
        std::fs::write(&file, serde_json::to_vec(&part).unwrap()).unwrap();
        files.push(file.to_str().unwrap().to_string());
    }
    let mut args = vec!["merge", "--json"];
    args.extend(files.iter().map(String::as_str));
    let merged = json_of(&args);
    assert_eq!(merged, whole);
    assert!(!whole["findings"].as_array().unwrap().is_empty());

    let incomplete = glassbox(&["merge", "--json", &files[0], &files[1]]);
    assert_eq!(incomplete.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&incomplete.stderr).contains("missing shards 2/3"));
}

#[test]
fn bad_usage_exits_2_naming_the_problem() {
    let out = glassbox(&["audit", "no/such/folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/folder"));
    let out = glassbox(&["audit", ".", "--shard", "3/3"]);
    assert_eq!(out.status.code(), Some(2));
}
