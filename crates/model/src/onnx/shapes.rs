//! Shape and element-type inference for tensors the file does not annotate, through tract's
//! analysis of the same bytes. Whatever tract cannot analyse stays unknown and is noted;
//! the model loads regardless.

use super::proto::{GraphProto, ModelProto, TensorShapeProto, TypeProto, ValueInfoProto};
use crate::graph::{Dim, ElemType, Graph, Shape};
use std::collections::HashMap;
use std::path::Path;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::{Factoid, InferenceFact};

/// Fills in unknown shapes and element types of the main graph. Returns notes on what could
/// not be inferred.
pub fn infer(graph: &mut Graph, proto: &ModelProto, model_dir: &Path) -> Vec<String> {
    let needs_inference = graph
        .tensors
        .iter()
        .any(|t| t.shape.is_partly_unknown() || matches!(t.elem_type, ElemType::Unknown(_)));
    if !needs_inference {
        return Vec::new();
    }
    // tract is a dependency with its own invariants; a panic in it must not take the
    // inspection down with it.
    let analysed =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| analyse(proto, model_dir)));
    let (facts, mut notes) = match analysed {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => return vec![format!("shape inference unavailable: {e:#}")],
        Err(_) => {
            return vec![
                "shape inference unavailable: the engine panicked while analysing the model".into(),
            ]
        }
    };
    for tensor in &mut graph.tensors {
        let Some(fact) = facts.get(&tensor.name) else {
            continue;
        };
        let (shape, dtype) = fact;
        if matches!(tensor.elem_type, ElemType::Unknown(_)) {
            if let Some(dtype) = dtype {
                tensor.elem_type = ElemType::Numeric(*dtype);
            }
        }
        if tensor.shape.is_partly_unknown() {
            tensor.shape = merge_shapes(&tensor.shape, shape);
        }
    }
    let unknown = graph
        .tensors
        .iter()
        .filter(|t| t.shape.is_partly_unknown())
        .count();
    if unknown > 0 {
        notes.push(format!("{unknown} tensor shapes could not be inferred"));
    }
    notes
}

/// Inferred shape and element type by value name.
type Facts = HashMap<String, (Shape, Option<glassbox_tensor::DType>)>;

fn analyse(proto: &ModelProto, model_dir: &Path) -> TractResult<(Facts, Vec<String>)> {
    use prost::Message;
    let proto = tract_onnx::pb::ModelProto::decode(slim(proto).encode_to_vec().as_slice())?;
    let parsed = crate::engine::ops::onnx().parse(&proto, model_dir.to_str())?;
    let mut model = parsed.model;
    let mut notes = Vec::new();
    if let Err(e) = model.analyse(true) {
        notes.push(format!("shape inference stopped early: {e}"));
    }
    let mut facts = HashMap::with_capacity(parsed.outlets_by_name.len());
    // Converted while the model lives: its symbols (`batch`) print by name only then.
    for (name, outlet) in parsed.outlets_by_name {
        let fact = model.outlet_fact(outlet)?;
        let dtype = fact
            .datum_type
            .concretize()
            .and_then(crate::engine::dtype_from_datum);
        facts.insert(name, (shape_from_fact(fact), dtype));
    }
    Ok((facts, notes))
}

/// Floating-point initializers with more elements than this are handed to the analysis as
/// typed graph inputs instead of values: shapes follow from their dims alone, and the engine
/// does not copy megabytes of weights. Small ones (Resize scales, Pad values) stay values,
/// since shapes can depend on them.
const SLIM_ABOVE_ELEMENTS: i64 = 256;

/// A copy of the model whose big floating-point initializers are declared inputs.
fn slim(proto: &ModelProto) -> ModelProto {
    let mut proto = proto.clone();
    if let Some(graph) = proto.graph.as_mut() {
        slim_graph(graph);
    }
    proto
}

fn slim_graph(graph: &mut GraphProto) {
    let floats = [1, 10, 11, 16];
    let initializers = std::mem::take(&mut graph.initializer);
    for init in initializers {
        let big = element_count(&init.dims).is_some_and(|n| n > SLIM_ABOVE_ELEMENTS);
        if !(big && floats.contains(&init.data_type)) {
            graph.initializer.push(init);
        } else if !graph.input.iter().any(|i| i.name == init.name) {
            graph
                .input
                .push(typed_input(&init.name, init.data_type, &init.dims));
        }
    }
    // Weights filled by ConstantOfShape from a stored shape (as in the ONNX "light" models)
    // would otherwise be materialised by constant folding: declare them instead.
    let nodes = std::mem::take(&mut graph.node);
    for node in nodes {
        match big_constant_fill(graph, &node) {
            Some((elem_type, dims)) => {
                graph
                    .input
                    .push(typed_input(&node.output[0], elem_type, &dims))
            }
            None => graph.node.push(node),
        }
    }
}

fn element_count(dims: &[i64]) -> Option<i64> {
    dims.iter().try_fold(1i64, |acc, &d| acc.checked_mul(d))
}

/// Element type and dims of a big `ConstantOfShape` output whose shape input is stored.
fn big_constant_fill(
    graph: &GraphProto,
    node: &super::proto::NodeProto,
) -> Option<(i32, Vec<i64>)> {
    if node.op_type != "ConstantOfShape" || node.output.len() != 1 {
        return None;
    }
    let shape = graph
        .initializer
        .iter()
        .find(|t| Some(&t.name) == node.input.first())?;
    let dims: Vec<i64> = if !shape.raw_data.is_empty() {
        shape
            .raw_data
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect()
    } else {
        shape.int64_data.clone()
    };
    if dims.iter().any(|&d| d < 0) || element_count(&dims)? <= SLIM_ABOVE_ELEMENTS {
        return None;
    }
    let elem_type = node
        .attribute
        .iter()
        .find(|a| a.name == "value")
        .and_then(|a| a.t.as_ref())
        .map_or(1, |t| t.data_type);
    Some((elem_type, dims))
}

fn typed_input(name: &str, elem_type: i32, dims: &[i64]) -> ValueInfoProto {
    use super::proto::tensor_shape_proto::{dimension::Value as D, Dimension};
    use super::proto::type_proto::{Tensor as TensorType, Value};
    let dim = dims
        .iter()
        .map(|&d| Dimension {
            value: Some(D::DimValue(d)),
            denotation: String::new(),
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(Value::TensorType(TensorType {
                elem_type,
                shape: Some(TensorShapeProto { dim }),
            })),
            denotation: String::new(),
        }),
        doc_string: String::new(),
    }
}

fn shape_from_fact(fact: &InferenceFact) -> Shape {
    if fact.shape.is_open() {
        return Shape(None);
    }
    Shape(Some(
        fact.shape
            .dims()
            .map(|d| match d.concretize() {
                Some(dim) => match dim.to_i64() {
                    Ok(n) if n >= 0 => Dim::Fixed(n as u64),
                    Ok(_) => Dim::Unknown,
                    Err(_) => Dim::Symbol(dim.to_string()),
                },
                None => Dim::Unknown,
            })
            .collect(),
    ))
}

/// Keeps every dimension the declaration knows and fills the rest from inference.
fn merge_shapes(declared: &Shape, inferred: &Shape) -> Shape {
    match (&declared.0, &inferred.0) {
        (None, _) => inferred.clone(),
        (Some(d), Some(i)) if d.len() == i.len() => Shape(Some(
            d.iter()
                .zip(i)
                .map(|(d, i)| {
                    if *d == Dim::Unknown {
                        i.clone()
                    } else {
                        d.clone()
                    }
                })
                .collect(),
        )),
        _ => declared.clone(),
    }
}
