//! `glassbox run`: every captured tensor against ONNX Runtime with every intermediate value
//! exposed (scripts/ort_reference.py), and the run's bad inputs.

#![allow(clippy::unwrap_used)] // test support code outside #[test] functions

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn python_json(args: &[&str]) -> Value {
    let out = Command::new(python())
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Names of the `mask` outputs of Dropout nodes: in inference mode the ONNX reference
/// implementation (and tract) return all-ones, ONNX Runtime zeros; no consumer reads them.
fn dropout_masks(model: &Path) -> Vec<String> {
    let report = inspect_json(model);
    report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["op"] == "Dropout")
        .filter_map(|n| {
            n["outputs"]
                .get(1)
                .and_then(|o| o.as_str())
                .filter(|o| !o.is_empty())
                .map(String::from)
        })
        .collect()
}

/// Runs glassbox and ONNX Runtime on the same seeded random inputs and checks that every
/// node output of the graph was captured and equals ONNX Runtime's to 1e-4.
fn assert_matches_onnx_runtime(model: &Path, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let inputs = python_json(&[
        "scripts/random_inputs.py",
        model.to_str().unwrap(),
        &d("inputs"),
    ]);
    let pairs: Vec<String> = inputs
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
        .collect();
    let mut args = vec![
        "run".to_string(),
        model.to_str().unwrap().into(),
        "--json".into(),
        "--save-tensors".into(),
        d("glassbox"),
    ];
    for pair in &pairs {
        args.extend(["--input".to_string(), pair.clone()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = glassbox(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        out.status.success(),
        "{}: {}",
        model.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(d("run.json"), &out.stdout).unwrap();
    // ONNX Runtime's values are compared in the Python process, never written: every value of
    // light_vgg19 is over a gigabyte, more than a CI disk may have free.
    let mut compare = vec![
        "scripts/compare_tensors.py".to_string(),
        d("glassbox"),
        "--stats".into(),
        d("run.json"),
        "--ort".into(),
        model.to_str().unwrap().into(),
    ];
    compare.extend(pairs.iter().cloned());
    let comparison = python_json(&compare.iter().map(String::as_str).collect::<Vec<_>>());
    let masks = dropout_masks(model);
    let mismatched: Vec<&Value> = comparison["mismatched"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !masks.contains(&m["name"].as_str().unwrap().to_string()))
        .collect();
    let name = model.display();
    assert!(
        mismatched.is_empty(),
        "{name}: differs from ONNX Runtime: {mismatched:?}"
    );
    assert_eq!(
        comparison["missing_in_actual"],
        serde_json::json!([]),
        "{name}: not captured"
    );
    let stats_mismatched: Vec<&Value> = comparison["stats_mismatched"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !masks.contains(&m["name"].as_str().unwrap().to_string()))
        .collect();
    assert!(
        stats_mismatched.is_empty(),
        "{name}: stats differ from numpy on ONNX Runtime's values: {stats_mismatched:?}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let graph_outputs = inspect_json(model)["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["outputs"].as_array().unwrap().clone())
        .filter(|o| o != "")
        .count();
    assert!(
        comparison["compared"].as_u64().unwrap() as usize >= graph_outputs,
        "{name}: compared fewer tensors than the graph has"
    );
    eprintln!(
        "{name}: {} tensors equal to ONNX Runtime",
        comparison["compared"]
    );
    report
}

#[test]
fn light_models_match_onnx_runtime() {
    for model in light_models() {
        assert_matches_onnx_runtime(&model, &[]);
    }
}

#[test]
fn exports_and_fixtures_match_onnx_runtime() {
    for model in [
        "models/unet_small.onnx",
        "models/shufflenet_v2_x0_5.onnx",
        "models/tiny_cnn.onnx",
        "lint/constant_nodes.onnx",
        "lint/if_subgraph.onnx",
        "lint/external_data/model.onnx",
    ] {
        assert_matches_onnx_runtime(&fixture(model), &[]);
    }
}

/// The optimised plan (every labelled value declared an output, then tract's optimiser) keeps
/// every value: proven here per model before `--optimized` is offered for it.
#[test]
fn optimized_plan_matches_onnx_runtime() {
    let mut models = light_models();
    for fixture_path in [
        "models/unet_small.onnx",
        "models/shufflenet_v2_x0_5.onnx",
        "models/tiny_cnn.onnx",
        "models/conv3d_small.onnx",
        "lint/orphan_branch.onnx",
    ] {
        models.push(fixture(fixture_path));
    }
    let resnet18 = repo().join("work/models/resnet18.onnx");
    if resnet18.exists() {
        models.push(resnet18);
    }
    for model in models {
        assert_matches_onnx_runtime(&model, &["--optimized"]);
    }
}

#[test]
fn resnet18_matches_onnx_runtime() {
    let model = repo().join("work/models/resnet18.onnx");
    if !model.exists() {
        eprintln!(
            "SKIPPED: {} missing; generate it with scripts/export_models.py",
            model.display()
        );
        return;
    }
    assert_matches_onnx_runtime(&model, &[]);
}

#[test]
fn an_unconnected_branch_is_computed_and_captured() {
    let report = assert_matches_onnx_runtime(&fixture("lint/orphan_branch.onnx"), &[]);
    let branch = report["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "branch_out")
        .unwrap();
    assert_eq!(branch["op"], "Relu");
    assert_eq!(branch["producer"], "/branch/relu/Relu");
}

#[test]
fn tensors_beyond_the_budget_are_spilled_and_still_exact() {
    let report = assert_matches_onnx_runtime(
        &fixture("models/unet_small.onnx"),
        &["--capture-budget", "64K"],
    );
    let stored: Vec<&str> = report["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["stored"].as_str().unwrap())
        .collect();
    assert!(stored.contains(&"spilled"), "{stored:?}");
    assert!(stored.contains(&"memory"), "{stored:?}");
}

#[test]
fn json_lists_every_tensor_with_producer_op_and_stats() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = python_json(&[
        "scripts/random_inputs.py",
        fixture("models/tiny_cnn.onnx").to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    let input = inputs["input"].as_str().unwrap();
    let out = glassbox(&[
        "run",
        fixture("models/tiny_cnn.onnx").to_str().unwrap(),
        "--input",
        input,
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    for tensor in report["tensors"].as_array().unwrap() {
        for key in ["name", "producer", "op", "shape", "stats", "histogram"] {
            assert!(tensor.get(key).is_some(), "{key} missing: {tensor}");
        }
    }
    assert_eq!(report["outputs"], serde_json::json!(["output"]));
    let text = glassbox(&[
        "run",
        fixture("models/tiny_cnn.onnx").to_str().unwrap(),
        "--input",
        input,
    ]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("tensors captured") && text.contains("outputs: output"),
        "{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
}

#[test]
fn bad_runs_exit_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let wrong_shape = dir.path().join("wrong_shape.npy");
    let wrong_dtype = dir.path().join("wrong_dtype.npy");
    let good = dir.path().join("good.npy");
    let status = Command::new(python())
        .args(["-c", &format!(
            "import numpy as np; np.save('{}', np.zeros((1,3,16,16), np.float32)); np.save('{}', np.zeros((1,3,32,32), np.int64)); np.save('{}', np.zeros((1,3,32,32), np.float32))",
            wrong_shape.display(), wrong_dtype.display(), good.display()
        )])
        .status()
        .unwrap();
    assert!(status.success());
    let tiny = fixture("models/tiny_cnn.onnx");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                tiny.display().to_string(),
                "--input".into(),
                format!("nosuch={}", good.display()),
            ],
            "has no input `nosuch`",
        ),
        (
            vec![
                tiny.display().to_string(),
                "--input".into(),
                wrong_shape.display().to_string(),
            ],
            "has shape [1, 3, 16, 16] but the model input is [1, 3, 32, 32]",
        ),
        (
            vec![
                tiny.display().to_string(),
                "--input".into(),
                wrong_dtype.display().to_string(),
            ],
            "must be float32, got int64",
        ),
        (
            vec![
                fixture("lint/unknown_op.onnx").display().to_string(),
                "--input".into(),
                good.display().to_string(),
            ],
            "cannot run op `FancyNewAttention` (node `/attn/FancyNewAttention`, opset 17)",
        ),
        (
            vec![
                tiny.display().to_string(),
                "--input".into(),
                dir.path().join("missing.npy").display().to_string(),
            ],
            "missing.npy",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["run"];
        all.extend(args.iter().map(String::as_str));
        let out = glassbox(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: expected {expected:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// ONNX Runtime's value of every node output of `model` fed `feed` (`NAME=FILE.npy`), written
/// to `out` in the `--save-tensors` layout.
fn ort_reference(model: &Path, out: &str, feed: &str) {
    let status = Command::new(python())
        .args([
            repo().join("scripts/ort_reference.py").to_str().unwrap(),
            model.to_str().unwrap(),
            out,
            feed,
        ])
        .status()
        .unwrap();
    assert!(
        status.success(),
        "ONNX Runtime failed on {}",
        model.display()
    );
}

/// A NIfTI volume through a 3D conv net: the fed tensor equals nibabel's scaled voxels in raw
/// array order, and every activation equals ONNX Runtime's on that tensor.
#[test]
fn nifti_volume_through_a_3d_conv_net_matches_nibabel_and_onnx_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let model = fixture("models/conv3d_small.onnx");
    let volume = fixture("inputs/nifti/las_int16_scaled.nii.gz");
    let out = glassbox(&[
        "run",
        model.to_str().unwrap(),
        "--input",
        volume.to_str().unwrap(),
        "--save-tensors",
        &d("glassbox"),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["inputs"][0]["recipe"]["output_shape"],
        serde_json::json!([1, 1, 5, 6, 7])
    );
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(d("glassbox") + "/index.json").unwrap())
            .unwrap();
    let fed = format!("{}/{}", d("glassbox"), index["input"].as_str().unwrap());
    let check = format!(
        "import nibabel as nib, numpy as np; v = nib.load('{}').get_fdata(dtype=np.float32); a = np.load('{}'); \
         assert a.shape == (1, 1) + v.shape, a.shape; assert np.allclose(a[0, 0], v, rtol=1e-6), abs(a[0, 0] - v).max(); \
         assert abs(v).max() > 10, 'scl_slope/scl_inter not applied?'",
        volume.display(),
        fed
    );
    let status = Command::new(python())
        .args(["-c", &check])
        .status()
        .unwrap();
    assert!(status.success(), "fed tensor differs from nibabel's voxels");
    let comparison = python_json(&[
        "scripts/compare_tensors.py",
        &d("glassbox"),
        "--ort",
        model.to_str().unwrap(),
        &format!("input={fed}"),
    ]);
    assert_eq!(
        comparison["mismatched"],
        serde_json::json!([]),
        "{comparison}"
    );
    assert_eq!(
        comparison["missing_in_actual"],
        serde_json::json!([]),
        "{comparison}"
    );
    assert_eq!(comparison["compared"], 4, "all four node outputs");
}

#[test]
fn images_are_written_for_every_activation_and_kernel() {
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path().join("images");
    let model = fixture("models/unet_small.onnx");
    let out = glassbox(&[
        "run",
        model.to_str().unwrap(),
        "--input",
        fixture("inputs/images/camera_gray8.png").to_str().unwrap(),
        "--images",
        images.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(images.join("index.json")).unwrap()).unwrap();
    let activations = report["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["shape"].as_array().unwrap().len() == 4);
    let mut expected = 0;
    for tensor in activations {
        expected += 1;
        let file = index[tensor["name"].as_str().unwrap()]
            .as_str()
            .unwrap_or_else(|| panic!("no image for {}", tensor["name"]));
        let bytes = std::fs::read(images.join(file)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{file} is not a PNG");
    }
    let convs = inspect_json(&model)["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["op"] == "Conv" || n["op"] == "ConvTranspose")
        .count();
    assert!(expected > 30, "{expected}");
    assert!(
        index.as_object().unwrap().len() >= expected + convs - 1,
        "{} files for {expected} activations and {convs} kernels",
        index.as_object().unwrap().len()
    );
}

#[test]
fn a_requested_slice_of_a_5d_activation_shows_onnx_runtime_values() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let model = fixture("models/conv3d_small.onnx");
    let volume = fixture("inputs/nifti/las_int16_scaled.nii.gz");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            model.to_str().unwrap(),
            "--input",
            volume.to_str().unwrap(),
            "--json",
        ];
        args.extend_from_slice(extra);
        let out = glassbox(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let report = run(&["--save-tensors", &d("glassbox")]);
    let activation = report["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["shape"].as_array().unwrap().len() == 5 && t["shape"][1].as_u64().unwrap() > 1)
        .expect("a 5D activation with several channels");
    let name = activation["name"].as_str().unwrap();
    // Axes 4 (rows) and 3 (columns): a transposed plane, at batch 0, channel 1, depth 2.
    let request = format!("{name}@4,3@0,1,2");
    run(&[
        "--images",
        &d("images"),
        "--colormap",
        "gray",
        "--slice",
        &request,
    ]);
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(d("images") + "/index.json").unwrap())
            .unwrap();
    let file = index[&request]
        .as_str()
        .expect("the slice is in index.json");
    let fed = format!(
        "{}/{}",
        d("glassbox"),
        serde_json::from_str::<Value>(
            &std::fs::read_to_string(d("glassbox") + "/index.json").unwrap()
        )
        .unwrap()["input"]
            .as_str()
            .unwrap()
    );
    ort_reference(&model, &d("ort"), &format!("input={fed}"));
    // The expected picture from ONNX Runtime's tensor: plane [0, 1, 2, :, :] transposed, gray
    // levels over the plane's own range, each value a zoom×zoom square.
    let check = format!(
        "import json, numpy as np; from PIL import Image; \
         index = json.load(open('{ort}/index.json')); a = np.load('{ort}/' + index['{name}']); \
         plane = a[0, 1, 2].T.astype(np.float64); \
         want = np.round((plane - plane.min()) / (plane.max() - plane.min()) * 255); \
         img = np.asarray(Image.open('{images}/{file}').convert('L')).astype(np.float64); \
         zoom = img.shape[1] // plane.shape[1]; assert zoom >= 1 and img.shape == (plane.shape[0] * zoom, plane.shape[1] * zoom), (img.shape, plane.shape); \
         got = img[::zoom, ::zoom]; assert np.abs(got - want).max() <= 1, np.abs(got - want).max()",
        ort = d("ort"),
        images = d("images"),
    );
    let status = Command::new(python())
        .args(["-c", &check])
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the slice picture differs from ONNX Runtime's values"
    );
    // A bad request names the problem.
    let out = glassbox(&[
        "run",
        model.to_str().unwrap(),
        "--input",
        volume.to_str().unwrap(),
        "--images",
        &d("bad"),
        "--slice",
        &format!("{name}@4,9"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("axes 4,9"), "{stderr}");
}
