//! `glassbox inspect` on real models and hand-made faulty ones, checked against the `onnx`
//! package's reading and numpy's statistics (scripts/onnx_facts.py).

#![allow(clippy::unwrap_used)] // test support code outside #[test] functions

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

/// Node and op counts, graph inputs/outputs and every initializer's statistics agree with
/// what the `onnx` package and numpy compute from the same file.
fn assert_matches_onnx(model: &Path) {
    let report = inspect_json(model);
    let facts = onnx_facts(model);
    let name = model.display();
    let nodes = report["nodes"].as_array().unwrap();
    assert_eq!(
        nodes.len() as u64,
        facts["nodes"].as_u64().unwrap(),
        "{name}: node count"
    );
    assert_eq!(
        report["totals"]["nodes_deep"], facts["nodes_deep"],
        "{name}: nested node count"
    );
    assert_eq!(report["totals"]["ops"], facts["ops"], "{name}: op counts");
    let kinds = |kind: &str| -> Vec<Value> {
        let mut names: Vec<Value> = report["tensors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"] == kind)
            .map(|t| t["name"].clone())
            .collect();
        names.sort_by_key(|v| v.to_string());
        names
    };
    let mut inputs = facts["inputs"].as_array().unwrap().clone();
    inputs.sort_by_key(|v| v.to_string());
    assert_eq!(kinds("input"), inputs, "{name}: graph inputs");
    for (tensor_name, expected) in facts["initializers"].as_object().unwrap() {
        let actual = tensor(&report, tensor_name);
        assert_eq!(
            actual["dtype"], expected["dtype"],
            "{name}: {tensor_name} dtype"
        );
        assert_eq!(
            actual["shape"], expected["shape"],
            "{name}: {tensor_name} shape"
        );
        assert_stats_close(
            &actual["stats"],
            &expected["stats"],
            &format!("{name}: {tensor_name}"),
        );
        assert_histogram_equal(
            &actual["histogram"],
            &expected["histogram"],
            &format!("{name}: {tensor_name}"),
        );
    }
}

fn assert_stats_close(actual: &Value, expected: &Value, what: &str) {
    for key in ["count", "zeros", "nan", "inf"] {
        assert_eq!(actual[key], expected[key], "{what}: {key}");
    }
    let scale = ["min", "max"]
        .iter()
        .filter_map(|k| expected[k].as_f64())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    for key in ["min", "max", "mean", "std"] {
        match (actual[key].as_f64(), expected[key].as_f64()) {
            (Some(a), Some(e)) => {
                let tolerance = 1e-5 * e.abs() + 1e-12 * scale;
                assert!((a - e).abs() <= tolerance, "{what}: {key} {a} vs numpy {e}");
            }
            (a, e) => assert_eq!(a, e, "{what}: {key}"),
        }
    }
}

fn assert_histogram_equal(actual: &Value, expected: &Value, what: &str) {
    assert_eq!(
        actual["counts"], expected["counts"],
        "{what}: histogram counts"
    );
    let edges = |v: &Value| -> Vec<f64> {
        v["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_f64().unwrap())
            .collect()
    };
    let (a, e) = (edges(actual), edges(expected));
    assert_eq!(a.len(), e.len(), "{what}: histogram edges");
    for (a, e) in a.iter().zip(&e) {
        assert!(
            (a - e).abs() <= 1e-12 * (1.0 + e.abs()),
            "{what}: edge {a} vs numpy {e}"
        );
    }
}

#[test]
fn light_models_match_the_onnx_package() {
    for model in light_models() {
        assert_matches_onnx(&model);
    }
}

#[test]
fn light_models_have_every_shape_inferred() {
    for model in light_models() {
        let report = inspect_json(&model);
        assert!(
            findings(&report, "unknown-shape").is_empty(),
            "{}: {:?}",
            model.display(),
            findings(&report, "unknown-shape")
        );
    }
    let densenet = inspect_json(&onnx_test_data().join("light/light_densenet121.onnx"));
    assert_eq!(densenet["nodes"].as_array().unwrap().len(), 1746);
}

#[test]
fn exports_and_fixtures_match_numpy() {
    for model in [
        "models/shufflenet_v2_x0_5.onnx",
        "models/unet_small.onnx",
        "models/tiny_cnn.onnx",
        "lint/external_data/model.onnx",
        "lint/bfloat16_weights.onnx",
        "lint/constant_nodes.onnx",
        "lint/if_subgraph.onnx",
        "lint/unknown_op.onnx",
    ] {
        assert_matches_onnx(&fixture(model));
    }
}

/// resnet18 is 47 MB, generated locally by scripts/export_models.py and not committed.
#[test]
fn resnet18_export_matches_numpy_and_lints_clean() {
    let model = repo().join("work/models/resnet18.onnx");
    if !model.exists() {
        eprintln!(
            "SKIPPED: {} missing; generate it with scripts/export_models.py",
            model.display()
        );
        return;
    }
    assert_matches_onnx(&model);
    let report = inspect_json(&model);
    assert_eq!(problems(&report), Vec::<String>::new());
    // torchvision counts 11,689,512; the export folds each BatchNorm's scale and shift (two
    // per channel, 9,600) into one conv bias per channel (4,800).
    assert_eq!(report["params"], 11_689_512 - 4_800);
    let conv = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "/layer1/layer1.0/conv1/Conv")
        .unwrap();
    assert_eq!(conv["scope"], "layer1/layer1.0/conv1");
}

#[test]
fn clean_exports_lint_without_warnings() {
    for model in [
        "models/shufflenet_v2_x0_5.onnx",
        "models/unet_small.onnx",
        "models/tiny_cnn.onnx",
        "lint/unet_correct_skips.onnx",
    ] {
        let report = inspect_json(&fixture(model));
        assert_eq!(problems(&report), Vec::<String>::new(), "{model}");
        assert!(
            !findings(&report, "activation-inventory").is_empty(),
            "{model}: no activation inventory"
        );
        assert!(
            findings(&report, "unknown-shape").is_empty(),
            "{model}: {:?}",
            findings(&report, "unknown-shape")
        );
    }
}

/// Each faulty fixture triggers its rule, naming the nodes involved, and nothing else warns.
#[test]
fn each_lint_rule_fires_on_its_faulty_model() {
    let corpus: &[(&str, &str, &[&str])] = &[
        (
            "lint/orphan_branch.onnx",
            "unreachable-node",
            &["/branch/conv/Conv", "/branch/relu/Relu"],
        ),
        ("lint/unused_input.onnx", "unused-input", &["mask"]),
        (
            "lint/unused_initializer.onnx",
            "unused-initializer",
            &["stale_weight"],
        ),
        (
            "lint/missing_activation.onnx",
            "missing-activation",
            &["/block3/conv1/Conv", "/block3/conv2/Conv"],
        ),
        (
            "lint/unet_copy_paste_skip.onnx",
            "skip-wiring",
            &["/dec1/Concat", "/dec0/Concat"],
        ),
        (
            "lint/unknown_op.onnx",
            "unsupported-op",
            &["/attn/FancyNewAttention"],
        ),
    ];
    for (model, rule, nodes) in corpus {
        let report = inspect_json(&fixture(model));
        let found = findings(&report, rule);
        assert_eq!(found.len(), 1, "{model}: {rule}: {:?}", report["lint"]);
        let named: Vec<&str> = found[0]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        for node in *nodes {
            assert!(
                named.contains(node),
                "{model}: {rule} does not name {node}: {named:?}"
            );
        }
        assert_eq!(
            problems(&report).len(),
            1,
            "{model}: other rules fired: {:?}",
            problems(&report)
        );
    }
    let report = inspect_json(&fixture("lint/unet_copy_paste_skip.onnx"));
    let skip = &findings(&report, "skip-wiring")[0]["message"];
    assert!(
        skip.as_str().unwrap().contains("enc1_out") && skip.as_str().unwrap().contains("stem_out"),
        "{skip}"
    );
}

#[test]
fn bad_inputs_exit_2_naming_the_file_and_the_problem() {
    let cases = [
        ("bad/truncated.onnx", "truncated"),
        ("bad/not_onnx.onnx", "not an ONNX model"),
        ("bad/empty.onnx", "empty"),
        ("bad/missing_tensor.onnx", "reads `ghost`"),
        ("bad/negative_dim.onnx", "negative dimension -3"),
        ("bad/absurd_dim.onnx", "more than 2^48 elements"),
        (
            "bad/escape_external/model.onnx",
            "leaves the model's folder",
        ),
        (
            "bad/absolute_external/model.onnx",
            "leaves the model's folder",
        ),
        (
            "bad/size_mismatch.onnx",
            "needs 64 bytes but the file holds 40",
        ),
        ("bad/does_not_exist.onnx", "cannot read"),
        ("bad", "cannot read"),
    ];
    for (file, problem) in cases {
        let path = fixture(file);
        let out = glassbox(&["inspect", path.to_str().unwrap(), "--json"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        assert!(
            stderr.contains(path.to_str().unwrap()),
            "{file}: message does not name the file: {stderr}"
        );
        assert!(
            stderr.contains(problem),
            "{file}: message does not say {problem:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{file}: {stderr}");
        assert!(out.stdout.is_empty(), "{file}: wrote to stdout");
    }
}

#[test]
fn subgraphs_are_kept_with_their_outer_reads() {
    let report = inspect_json(&fixture("lint/if_subgraph.onnx"));
    let node = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["op"] == "If")
        .unwrap();
    let subgraphs = node["subgraphs"].as_array().unwrap();
    assert_eq!(subgraphs.len(), 2);
    for sub in subgraphs {
        assert_eq!(sub["outer_names"], serde_json::json!(["features"]));
        assert_eq!(sub["nodes"], 1);
    }
    // The Conv feeding only the branches still reaches the output through the If.
    assert!(findings(&report, "unreachable-node").is_empty());
}

#[test]
fn unknown_ops_and_bfloat16_weights_still_inspect() {
    let report = inspect_json(&fixture("lint/unknown_op.onnx"));
    let node = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["op"] == "FancyNewAttention")
        .unwrap();
    assert_eq!(node["domain"], "com.example");
    assert_eq!(node["attributes"]["num_heads"], 2);
    let report = inspect_json(&fixture("lint/bfloat16_weights.onnx"));
    assert_eq!(tensor(&report, "conv.weight_bf16")["dtype"], "bfloat16");
}

#[test]
fn json_follows_the_contract() {
    let report = inspect_json(&fixture("models/unet_small.onnx"));
    for node in report["nodes"].as_array().unwrap() {
        for key in ["name", "op", "inputs", "outputs", "scope"] {
            assert!(node.get(key).is_some(), "node lacks {key}: {node}");
        }
    }
    for tensor in report["tensors"].as_array().unwrap() {
        for key in ["name", "kind", "shape", "dtype", "stats", "histogram"] {
            assert!(tensor.get(key).is_some(), "tensor lacks {key}: {tensor}");
        }
        assert!(
            ["weight", "input", "output", "activation"].contains(&tensor["kind"].as_str().unwrap())
        );
    }
    for finding in report["lint"].as_array().unwrap() {
        for key in ["rule", "severity", "nodes", "message"] {
            assert!(finding.get(key).is_some(), "finding lacks {key}: {finding}");
        }
    }
    assert!(report["params"].as_u64().unwrap() > 0);
    // The symbolic batch dimension survives inference into every activation.
    let output = tensor(&report, "output");
    assert_eq!(output["shape"], serde_json::json!(["batch", 1, 64, 64]));
    assert_eq!(output["kind"], "output");
    // Inferred (not declared) shapes keep the symbol's name too.
    let conv = tensor(&report, "/enc1/enc1.0/Conv_output_0");
    assert_eq!(conv["shape"], serde_json::json!(["batch", 8, 64, 64]));
}

#[test]
fn params_and_macs_are_counted_per_sample() {
    // tiny_cnn: conv 3->8 3x3 on 32x32 (pad 1), conv 8->16 3x3, GAP, Gemm 16->10.
    let report = inspect_json(&fixture("models/tiny_cnn.onnx"));
    let facts = onnx_facts(&fixture("models/tiny_cnn.onnx"));
    let float_elements: u64 = facts["initializers"]
        .as_object()
        .unwrap()
        .values()
        .filter(|t| t["dtype"].as_str().unwrap().starts_with("float"))
        .map(|t| t["stats"]["count"].as_u64().unwrap())
        .sum();
    assert_eq!(report["params"].as_u64().unwrap(), float_elements);
    for node in report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["op"] == "Conv")
    {
        let weight = tensor(&report, node["inputs"][1].as_str().unwrap());
        let output = tensor(&report, node["outputs"][0].as_str().unwrap());
        let dims = |t: &Value| -> Vec<u64> {
            t["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap_or(1))
                .collect()
        };
        let expected =
            dims(output).iter().product::<u64>() * dims(weight)[1..].iter().product::<u64>();
        assert_eq!(node["macs"].as_u64(), Some(expected), "{}", node["name"]);
    }
}

#[test]
fn text_output_fits_80_columns_and_pages_big_graphs() {
    let out = glassbox(&[
        "inspect",
        fixture("models/unet_small.onnx").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "line too wide ({}): {line}",
            line.chars().count()
        );
    }
    assert!(text.contains("/enc1/"), "node names missing:\n{text}");
    // The exporter's Identity copies of weights are hidden unless asked for.
    assert!(
        !text.contains("Identity_0") && text.contains("10 nodes computed at load time hidden"),
        "{text}"
    );
    let all = glassbox(&[
        "inspect",
        fixture("models/unet_small.onnx").to_str().unwrap(),
        "--all-nodes",
    ]);
    assert!(String::from_utf8(all.stdout)
        .unwrap()
        .contains("Identity_0"));
    assert!(text.contains("LINT: 0 problem(s)"), "{text}");
    assert!(text.contains("WEIGHTS:"), "{text}");
    let out = glassbox(&[
        "inspect",
        fixture("models/shufflenet_v2_x0_5.onnx").to_str().unwrap(),
        "--depth",
        "1",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("stage2") && text.contains("stage4"), "{text}");
    assert!(
        text.lines().count() < 954,
        "--depth 1 should group the 954 nodes"
    );
}

#[test]
fn fail_on_sets_exit_code_1() {
    let path = fixture("lint/orphan_branch.onnx");
    let out = glassbox(&[
        "inspect",
        path.to_str().unwrap(),
        "--json",
        "--fail-on",
        "warning",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = glassbox(&[
        "inspect",
        path.to_str().unwrap(),
        "--json",
        "--fail-on",
        "error",
    ]);
    assert_eq!(out.status.code(), Some(0));
}
