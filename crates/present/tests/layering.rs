//! Dependencies point down: a crate may depend only on glassbox crates of a lower layer
//! (tensor ← model ← run ← data/diagnose ← present). ARCHITECTURE.md lists the same order.

#![allow(clippy::unwrap_used)] // test support code outside #[test] functions

mod common;

/// Layer rank of each glassbox crate; a crate may depend on strictly lower ranks.
const LAYERS: &[(&str, u32)] = &[
    ("glassbox-tensor", 1),
    ("glassbox-model", 2),
    ("glassbox-run", 3),
    ("glassbox-data", 4),
    ("glassbox-diagnose", 4),
    ("glassbox", 6),
];

fn rank(name: &str) -> Option<u32> {
    LAYERS.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

/// `name` and glassbox dependencies of a Cargo.toml, read line by line (normal, dev and build
/// sections alike: a test may not reach up either).
fn manifest(text: &str) -> (String, Vec<String>) {
    let mut name = String::new();
    let mut section = String::new();
    let mut deps = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.to_string();
            continue;
        }
        let key = line.split(['=', '.', ' ']).next().unwrap_or("");
        if section == "[package]" && key == "name" {
            name = line.split('"').nth(1).unwrap_or("").to_string();
        } else if section.contains("dependencies") && key.starts_with("glassbox") {
            deps.push(key.to_string());
        }
    }
    (name, deps)
}

#[test]
fn lower_layers_never_depend_on_higher_ones() {
    let crates = common::repo().join("crates");
    let mut checked = 0;
    for entry in std::fs::read_dir(&crates).unwrap() {
        let path = entry.unwrap().path().join("Cargo.toml");
        let (name, deps) = manifest(&std::fs::read_to_string(&path).unwrap());
        let own = rank(&name).unwrap_or_else(|| {
            panic!(
                "{name} ({}) has no layer in this test and ARCHITECTURE.md",
                path.display()
            )
        });
        for dep in deps {
            let theirs =
                rank(&dep).unwrap_or_else(|| panic!("{name} depends on unknown crate {dep}"));
            assert!(theirs < own, "{name} (layer {own}) depends on {dep} (layer {theirs}): dependencies must point down");
        }
        checked += 1;
    }
    assert!(checked >= 3, "found only {checked} crates");
}

#[test]
fn the_check_catches_an_upward_dependency() {
    let (name, deps) = manifest(
        "[package]\nname = \"glassbox-tensor\"\n[dependencies]\nglassbox-model.workspace = true\n",
    );
    assert_eq!(name, "glassbox-tensor");
    assert_eq!(deps, vec!["glassbox-model"]);
    assert!(rank(&deps[0]).unwrap() >= rank(&name).unwrap());
}
