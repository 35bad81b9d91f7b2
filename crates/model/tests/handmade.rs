//! Graphs built by hand with glassbox's own protobuf structs, loaded back and linted.

#![allow(clippy::unwrap_used)] // test support code outside #[test] functions

use glassbox_model::cost::weight_summaries;
use glassbox_model::lint::{self, Severity};
use glassbox_model::onnx::proto::*;
use glassbox_model::{Dim, LoadError, Model, TensorKind};
use prost::Message;

fn value_info(name: &str, dims: &[i64]) -> ValueInfoProto {
    use tensor_shape_proto::{dimension::Value as D, Dimension};
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: 1,
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|&d| Dimension {
                            value: Some(D::DimValue(d)),
                            denotation: String::new(),
                        })
                        .collect(),
                }),
            })),
            denotation: String::new(),
        }),
        doc_string: String::new(),
    }
}

fn weight(name: &str, dims: &[i64], values: impl Fn(usize) -> f32) -> TensorProto {
    let n: i64 = dims.iter().product();
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: 1,
        raw_data: (0..n as usize)
            .flat_map(|i| values(i).to_le_bytes())
            .collect::<Vec<u8>>()
            .into(),
        ..Default::default()
    }
}

fn node(op: &str, name: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: name.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// input [1,2,8,8] -> Conv(w1) -> Relu -> Conv(w2) -> Relu -> output.
fn two_conv_model(w1: TensorProto, w2: TensorProto) -> ModelProto {
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 17,
        }],
        graph: Some(GraphProto {
            name: "handmade".into(),
            node: vec![
                node("Conv", "/c1/Conv", &["input", "w1"], &["c1"]),
                node("Relu", "/r1/Relu", &["c1"], &["r1"]),
                node("Conv", "/c2/Conv", &["r1", "w2"], &["c2"]),
                node("Relu", "/r2/Relu", &["c2"], &["output"]),
            ],
            initializer: vec![w1, w2],
            input: vec![value_info("input", &[1, 2, 8, 8])],
            output: vec![value_info("output", &[1, 2, 6, 6])],
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn load(proto: &ModelProto) -> Result<Model, LoadError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.onnx");
    std::fs::write(&path, proto.encode_to_vec()).unwrap();
    glassbox_model::load(&path)
}

fn rules(model: &Model) -> Vec<(&'static str, Severity, Vec<String>)> {
    let summaries = weight_summaries(&model.graph, 8);
    lint::run(&lint::Context {
        model,
        weight_summaries: &summaries,
    })
    .into_iter()
    .map(|f| (f.rule, f.severity, f.nodes))
    .collect()
}

#[test]
fn shapes_are_inferred_for_unannotated_activations() {
    let model = load(&two_conv_model(
        weight("w1", &[2, 2, 3, 3], |i| i as f32),
        weight("w2", &[2, 2, 1, 1], |_| 1.0),
    ))
    .unwrap();
    let graph = &model.graph;
    let c1 = graph.tensor_by_name("c1").unwrap();
    assert_eq!(
        c1.shape.dims().unwrap(),
        &[Dim::Fixed(1), Dim::Fixed(2), Dim::Fixed(6), Dim::Fixed(6)]
    );
    assert_eq!(c1.kind, TensorKind::Activation);
    assert_eq!(graph.tensor_by_name("w1").unwrap().kind, TensorKind::Weight);
    assert_eq!(graph.nodes[0].scope, "c1");
}

#[test]
fn nonfinite_weights_are_errors_and_zero_kernels_warnings() {
    let model = load(&two_conv_model(
        weight("w1", &[2, 2, 3, 3], |i| if i == 5 { f32::NAN } else { 0.5 }),
        weight("w2", &[2, 2, 1, 1], |_| 0.0),
    ))
    .unwrap();
    let found = rules(&model);
    assert!(
        found.contains(&("nonfinite-weight", Severity::Error, vec!["w1".into()])),
        "{found:?}"
    );
    assert!(
        found.contains(&("zero-weight", Severity::Warning, vec!["w2".into()])),
        "{found:?}"
    );
    // Errors sort first.
    assert_eq!(found[0].1, Severity::Error);
}

#[test]
fn conv_feeding_conv_without_activation_is_flagged() {
    // input -> Conv -> Relu -> Conv -> Conv -> Relu: the middle pair lacks a nonlinearity.
    let mut proto = two_conv_model(
        weight("w1", &[2, 2, 3, 3], |_| 0.1),
        weight("w2", &[2, 2, 1, 1], |_| 0.2),
    );
    let graph = proto.graph.as_mut().unwrap();
    graph.node[2].output = vec!["c2".into()];
    graph
        .node
        .insert(3, node("Conv", "/c3/Conv", &["c2", "w3"], &["c3"]));
    graph.node[4].input = vec!["c3".into()];
    graph.initializer.push(weight("w3", &[2, 2, 1, 1], |_| 0.3));
    // Three linear layers, two followed by Relu, so the model "otherwise" activates.
    let found = rules(&load(&proto).unwrap());
    assert!(
        found
            .iter()
            .any(|(rule, _, nodes)| *rule == "missing-activation"
                && nodes == &["/c2/Conv", "/c3/Conv"]),
        "{found:?}"
    );
}

#[test]
fn a_tensor_defined_twice_or_never_is_refused() {
    let mut proto = two_conv_model(
        weight("w1", &[2, 2, 3, 3], |_| 0.1),
        weight("w2", &[2, 2, 1, 1], |_| 0.2),
    );
    proto.graph.as_mut().unwrap().node[1].output = vec!["c1".into()];
    let err = load(&proto).unwrap_err().to_string();
    assert!(err.contains("`c1` is defined more than once"), "{err}");

    let mut proto = two_conv_model(
        weight("w1", &[2, 2, 3, 3], |_| 0.1),
        weight("w2", &[2, 2, 1, 1], |_| 0.2),
    );
    proto.graph.as_mut().unwrap().output[0].name = "nowhere".into();
    let err = load(&proto).unwrap_err().to_string();
    assert!(
        err.contains("graph output `nowhere` is not produced"),
        "{err}"
    );
}

#[test]
fn out_of_order_nodes_still_wire() {
    let mut proto = two_conv_model(
        weight("w1", &[2, 2, 3, 3], |_| 0.1),
        weight("w2", &[2, 2, 1, 1], |_| 0.2),
    );
    proto.graph.as_mut().unwrap().node.reverse();
    let model = load(&proto).unwrap();
    let found = rules(&model);
    assert!(
        found
            .iter()
            .all(|(_, severity, _)| *severity == Severity::Info),
        "{found:?}"
    );
}
