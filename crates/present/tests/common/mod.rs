//! Helpers shared by the CLI tests: paths, running glassbox, and the Python reference.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The project's Python venv interpreter (made by `scripts/setup-python.sh`).
pub fn python() -> PathBuf {
    let python = repo().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-python.sh first",
        python.display()
    );
    python
}

/// Generates set `set` of `scripts/make_audit_fixtures.py` into a new temp dir; returns the
/// dir and the facts the script prints.
pub fn generate(set: &str) -> (tempfile::TempDir, Value) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(python())
        .arg(repo().join("scripts/make_audit_fixtures.py"))
        .args([set, dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, serde_json::from_slice(&out.stdout).unwrap())
}

/// The folder of real models shipped in the `onnx==1.17.0` wheel.
pub fn onnx_test_data() -> PathBuf {
    let out = Command::new(python())
        .args(["-c", "import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), 'backend/test/data'))"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// The nine `light_*.onnx` architectures.
pub fn light_models() -> Vec<PathBuf> {
    let dir = onnx_test_data().join("light");
    let mut models: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    models.sort();
    assert_eq!(
        models.len(),
        9,
        "expected nine light models in {}",
        dir.display()
    );
    models
}

/// Runs the glassbox binary.
pub fn glassbox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glassbox"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}

/// `glassbox inspect MODEL --json`, which must succeed.
pub fn inspect_json(model: &Path) -> Value {
    let out = glassbox(&["inspect", model.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}: {}",
        model.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What the `onnx` package and numpy say about a model (`scripts/onnx_facts.py`).
pub fn onnx_facts(model: &Path) -> Value {
    let out = Command::new(python())
        .arg(repo().join("scripts/onnx_facts.py"))
        .arg(model)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        model.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A fixture file by path relative to `fixtures/`.
pub fn fixture(relative: &str) -> PathBuf {
    repo().join("fixtures").join(relative)
}

/// The tensor called `name` in an inspect report.
pub fn tensor<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no tensor {name}"))
}

/// Findings of `rule` in an inspect report.
pub fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["lint"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// Findings of severity warning or error.
pub fn problems(report: &Value) -> Vec<String> {
    report["lint"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| format!("{}: {}", f["rule"], f["message"]))
        .collect()
}
