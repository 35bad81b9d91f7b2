//! What the audit's tests share: the repository root, the generated fixture sets of
//! `scripts/make_audit_fixtures.py` (run with the project venv's python), and a plain audit.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use glassbox_data::{audit, AuditReport};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Runs `scripts/make_audit_fixtures.py ARGS` and parses the JSON it prints.
pub fn fixture_script(args: &[&str]) -> Value {
    let python = repo().join(".venv/bin/python");
    assert!(python.exists(), "run scripts/setup-python.sh first");
    let out = Command::new(python)
        .arg(repo().join("scripts/make_audit_fixtures.py"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Generates fixture set `set` into a new temp dir; returns the dir and the script's facts.
pub fn generate(set: &str) -> (tempfile::TempDir, Value) {
    let dir = tempfile::tempdir().unwrap();
    let facts = fixture_script(&[set, dir.path().to_str().unwrap()]);
    (dir, facts)
}

/// The whole audit of `dir`, no shard, no masks.
pub fn run(dir: &Path) -> AuditReport {
    audit(dir, None, &|_| {}).unwrap()
}
