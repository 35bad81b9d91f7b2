//! Conformance gate: the ONNX backend node tests shipped in the `onnx==1.17.0` wheel
//! (`onnx/backend/test/data/node/*`, 1,288 cases) through glassbox's runner, in two modes:
//! "plain" (every input fed at run time) and "folded" (inputs after the first written into
//! the model as initializers, as tract's own harness runs the suite).
//!
//! `tests/node_suite.txt` is the checked-in allowlist: one line per case, `name plain folded`,
//! each column `pass` or `fail:<tag>`. The test fails when a case the list marks `pass`
//! fails; it prints the pass rates, the failure tags by count and the newly passing cases.
//! `GLASSBOX_UPDATE_ALLOWLIST=1` rewrites the list from this run.
//! `GLASSBOX_NODE_SUITE_FILTER=substring` runs only matching cases (the list is then not
//! checked for missing cases), `GLASSBOX_NODE_SUITE_VERBOSE=1` prints every failure's detail.
//! The suite comes from the project venv (`scripts/setup-python.sh`), or
//! `GLASSBOX_ONNX_NODE_DIR`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support code

mod conformance;

use conformance::{Case, Failure, Mode};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

const ALLOWLIST: &str = "tests/node_suite.txt";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `node` folder of the onnx wheel in the project venv.
fn suite_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GLASSBOX_ONNX_NODE_DIR") {
        return dir.into();
    }
    let lib = repo().join(".venv/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .map(|e| e.path().join("site-packages/onnx/backend/test/data/node"))
            .find(|p| p.is_dir())
    });
    found.unwrap_or_else(|| {
        panic!(
            "no onnx node tests under {}: run scripts/setup-python.sh first",
            lib.display()
        )
    })
}

/// One case's outcome in both modes.
struct Outcome {
    name: String,
    plain: Result<(), Failure>,
    folded: Result<(), Failure>,
}

fn column(result: &Result<(), Failure>) -> String {
    match result {
        Ok(()) => "pass".into(),
        Err(f) => format!("fail:{}", f.tag),
    }
}

fn run_one(dir: &Path) -> Outcome {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let (plain, folded) = match Case::read(dir) {
        Err(failure) => (Err(failure.clone()), Err(failure)),
        Ok(case) => {
            let plain = case.run(dir, Mode::Plain);
            let folded = if case.has_inputs_to_fold() {
                case.run(dir, Mode::Folded)
            } else {
                plain.clone()
            };
            (plain, folded)
        }
    };
    Outcome {
        name,
        plain,
        folded,
    }
}

/// The allowlist: case name → (plain, folded) columns.
fn read_allowlist(path: &Path) -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(fields.len(), 3, "bad allowlist line: {l}");
            (fields[0].into(), (fields[1].into(), fields[2].into()))
        })
        .collect()
}

fn write_allowlist(path: &Path, outcomes: &[Outcome]) {
    let mut text = String::from(
        "# ONNX backend node tests (onnx 1.17.0 wheel) through glassbox's runner.\n\
         # Columns: case, plain (all inputs fed), folded (inputs after the first as constants).\n\
         # `pass`, or `fail:<why>`. Regenerate: GLASSBOX_UPDATE_ALLOWLIST=1 cargo test -p glassbox-run --test node_suite\n",
    );
    for o in outcomes {
        text.push_str(&format!(
            "{} {} {}\n",
            o.name,
            column(&o.plain),
            column(&o.folded)
        ));
    }
    std::fs::write(path, text).unwrap();
}

fn rate(passed: usize, total: usize) -> f64 {
    100.0 * passed as f64 / total.max(1) as f64
}

#[test]
fn onnx_node_suite_keeps_every_allowlisted_case_passing() {
    let dir = suite_dir();
    let filter = std::env::var("GLASSBOX_NODE_SUITE_FILTER").ok();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("model.onnx").exists())
        .filter(|p| {
            filter
                .as_deref()
                .is_none_or(|f| p.file_name().unwrap().to_string_lossy().contains(f))
        })
        .collect();
    cases.sort();
    let started = Instant::now();
    // Panics inside the engine are caught per case; keep their messages out of the log.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcomes: Vec<Outcome> = cases.par_iter().map(|d| run_one(d)).collect();
    std::panic::set_hook(hook);
    let elapsed = started.elapsed();

    let total = outcomes.len();
    let plain = outcomes.iter().filter(|o| o.plain.is_ok()).count();
    let folded = outcomes.iter().filter(|o| o.folded.is_ok()).count();
    println!(
        "node suite: {plain}/{total} ({:.1}%) plain, {folded}/{total} ({:.1}%) folded, in {:.1} s",
        rate(plain, total),
        rate(folded, total),
        elapsed.as_secs_f64()
    );
    let mut tags: HashMap<String, [usize; 2]> = HashMap::new();
    for o in &outcomes {
        for (mode, result) in [&o.plain, &o.folded].into_iter().enumerate() {
            if let Err(f) = result {
                tags.entry(f.tag.clone()).or_default()[mode] += 1;
            }
        }
    }
    let mut tags: Vec<(String, [usize; 2])> = tags.into_iter().collect();
    tags.sort_by(|a, b| {
        (b.1[0] + b.1[1])
            .cmp(&(a.1[0] + a.1[1]))
            .then(a.0.cmp(&b.0))
    });
    println!("failures by reason (plain, folded):");
    for (tag, [p, f]) in &tags {
        println!("  {p:4} {f:4}  {tag}");
    }
    if std::env::var_os("GLASSBOX_NODE_SUITE_VERBOSE").is_some() {
        for o in &outcomes {
            for (mode, result) in [("plain", &o.plain), ("folded", &o.folded)] {
                if let Err(f) = result {
                    println!("{} [{mode}] {}: {}", o.name, f.tag, f.detail);
                }
            }
        }
    }

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(ALLOWLIST);
    let allowlist = read_allowlist(&path);
    let mut regressions = Vec::new();
    let mut newly_passing = Vec::new();
    for o in &outcomes {
        let listed = allowlist.get(&o.name);
        for (mode, result, was) in [
            ("plain", &o.plain, listed.map(|l| l.0.as_str())),
            ("folded", &o.folded, listed.map(|l| l.1.as_str())),
        ] {
            match (was == Some("pass"), result) {
                (true, Err(f)) => regressions.push(format!("{} [{mode}] {}", o.name, f.detail)),
                (false, Ok(())) => newly_passing.push(format!("{} [{mode}]", o.name)),
                _ => {}
            }
        }
    }
    if !newly_passing.is_empty() {
        let shown: Vec<&str> = newly_passing.iter().take(20).map(String::as_str).collect();
        println!(
            "{} newly passing case-modes (update {ALLOWLIST} with GLASSBOX_UPDATE_ALLOWLIST=1): {}{}",
            newly_passing.len(),
            shown.join(", "),
            if newly_passing.len() > shown.len() { ", ..." } else { "" }
        );
    }
    if std::env::var_os("GLASSBOX_UPDATE_ALLOWLIST").is_some() && filter.is_none() {
        write_allowlist(&path, &outcomes);
        println!("rewrote {}", path.display());
    }
    if filter.is_none() {
        let missing: Vec<&String> = allowlist
            .keys()
            .filter(|k| !outcomes.iter().any(|o| &o.name == *k))
            .collect();
        assert!(
            missing.is_empty(),
            "allowlisted cases not found: {missing:?}"
        );
    }
    assert!(
        regressions.is_empty(),
        "{} allowlisted case-modes no longer pass:\n{}",
        regressions.len(),
        regressions.join("\n")
    );
}
