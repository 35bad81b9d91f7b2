//! One ONNX backend node-test case through glassbox's runner: read the model and its
//! `test_data_set_0`, feed the inputs (all of them, or only the first with the rest folded
//! into the model as initializers, as tract's own harness does), and compare every output
//! the capture recorded with the expected one.

use glassbox_model::onnx::proto::{type_proto, ModelProto, TensorProto, ValueInfoProto};
use glassbox_model::onnx::tensor_data::tensor_data;
use glassbox_model::ElemType;
use glassbox_run::{Array, Capture, Engine, Policy, RunError, Stored};
use glassbox_tensor::DType;
use prost::Message;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// Relative and absolute tolerance for floating-point outputs (tract's harness uses 1e-3).
pub const TOLERANCE: f64 = 1e-3;

/// How the inputs reach the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every input is fed at run time.
    Plain,
    /// Inputs after the first are written into the model as initializers (constants).
    Folded,
}

/// What happened to one case in one mode: `None` when it passed, else a short tag saying why
/// it failed (`unsupported-op:Foo`, `dtype:bfloat16`, `mismatch`, `error:...`) and details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Short, space-free reason, as the allowlist stores it.
    pub tag: String,
    /// The full message, for a human.
    pub detail: String,
}

fn fail(tag: impl Into<String>, detail: impl Into<String>) -> Failure {
    Failure {
        tag: tag.into(),
        detail: detail.into(),
    }
}

/// The case's model and test data, read once and shared by both modes.
pub struct Case {
    model_bytes: Vec<u8>,
    model: ModelProto,
    inputs: Vec<(ValueInfoProto, TensorProto)>,
    outputs: Vec<(ValueInfoProto, Vec<u8>)>,
}

impl Case {
    /// Reads `dir/model.onnx` and `dir/test_data_set_0/{input,output}_*.pb`.
    pub fn read(dir: &Path) -> Result<Case, Failure> {
        let model_bytes = std::fs::read(dir.join("model.onnx"))
            .map_err(|e| fail("error:read", format!("model.onnx: {e}")))?;
        let model = ModelProto::decode(&model_bytes[..])
            .map_err(|e| fail("error:read", format!("model.onnx: {e}")))?;
        let graph = model.graph.clone().unwrap_or_default();
        let initialized: Vec<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
        let fed: Vec<ValueInfoProto> = graph
            .input
            .iter()
            .filter(|i| !initialized.contains(&i.name.as_str()))
            .cloned()
            .collect();
        let data = dir.join("test_data_set_0");
        let mut inputs = Vec::new();
        for (index, info) in fed.into_iter().enumerate() {
            let path = data.join(format!("input_{index}.pb"));
            if !path.exists() {
                break;
            }
            value_kind(&info)?;
            let bytes = std::fs::read(&path)
                .map_err(|e| fail("error:read", format!("{}: {e}", path.display())))?;
            let proto = TensorProto::decode(&bytes[..])
                .map_err(|e| fail("error:read", format!("{}: {e}", path.display())))?;
            inputs.push((info, proto));
        }
        let mut outputs = Vec::new();
        for (index, info) in graph.output.iter().enumerate() {
            value_kind(info)?;
            let path = data.join(format!("output_{index}.pb"));
            let bytes = std::fs::read(&path)
                .map_err(|e| fail("error:read", format!("{}: {e}", path.display())))?;
            outputs.push((info.clone(), bytes));
        }
        Ok(Case {
            model_bytes,
            model,
            inputs,
            outputs,
        })
    }

    /// Whether folding changes anything (more than one fed input).
    pub fn has_inputs_to_fold(&self) -> bool {
        self.inputs.len() > 1
    }

    /// Runs the case in `mode` and compares the outputs; a panic inside the engine is a failure.
    pub fn run(&self, dir: &Path, mode: Mode) -> Result<(), Failure> {
        match catch_unwind(AssertUnwindSafe(|| self.run_unguarded(dir, mode))) {
            Ok(result) => result,
            Err(payload) => {
                let message = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(fail("panic", message))
            }
        }
    }

    fn run_unguarded(&self, dir: &Path, mode: Mode) -> Result<(), Failure> {
        let fed = match mode {
            Mode::Plain => self.inputs.len(),
            Mode::Folded => self.inputs.len().min(1),
        };
        let mut bytes = self.model_bytes.clone();
        if fed < self.inputs.len() {
            bytes.extend(self.folding_suffix(fed));
        }
        let mut inputs = Vec::new();
        for (info, proto) in &self.inputs[..fed] {
            inputs.push((info.name.clone(), array_from_proto(proto, dir)?));
        }
        for (info, bytes) in &self.outputs {
            let proto = TensorProto::decode(&bytes[..])
                .map_err(|e| fail("error:read", format!("output `{}`: {e}", info.name)))?;
            array_from_proto(&proto, dir)?;
        }
        let engine = Engine::load_bytes(&bytes, &dir.join("model.onnx")).map_err(run_failure)?;
        let mut capture = Capture::new(Policy::default());
        engine.run(&inputs, &mut capture).map_err(run_failure)?;
        for (info, bytes) in &self.outputs {
            let proto = TensorProto::decode(&bytes[..])
                .map_err(|e| fail("error:read", format!("output `{}`: {e}", info.name)))?;
            let expected = array_from_proto(&proto, dir)?;
            compare(&info.name, &expected, &capture)?;
        }
        Ok(())
    }

    /// Protobuf bytes that, appended to the model's, add the inputs from `first` on as
    /// graph initializers (protobuf merges a repeated field by appending); tract then makes
    /// those inputs constants.
    fn folding_suffix(&self, first: usize) -> Vec<u8> {
        let initializer = self.inputs[first..]
            .iter()
            .map(|(info, proto)| TensorProto {
                name: info.name.clone(),
                ..proto.clone()
            })
            .collect();
        let suffix = ModelProto {
            graph: Some(glassbox_model::onnx::proto::GraphProto {
                initializer,
                ..Default::default()
            }),
            ..Default::default()
        };
        debug_assert!(self.model.graph.is_some());
        suffix.encode_to_vec()
    }
}

/// Refuses values that are not tensors (sequences, optionals, maps): glassbox's inputs and
/// captures are tensors.
fn value_kind(info: &ValueInfoProto) -> Result<(), Failure> {
    let kind = info.r#type.as_ref().and_then(|t| t.value.as_ref());
    let tag = match kind {
        Some(type_proto::Value::TensorType(_)) | None => return Ok(()),
        Some(type_proto::Value::SequenceType(_)) => "type:sequence",
        Some(type_proto::Value::OptionalType(_)) => "type:optional",
        Some(type_proto::Value::MapType(_)) => "type:map",
        Some(type_proto::Value::SparseTensorType(_)) => "type:sparse",
    };
    Err(fail(tag, format!("value `{}`", info.name)))
}

/// A test-data tensor as a glassbox array; element types glassbox cannot hold fail the case.
fn array_from_proto(proto: &TensorProto, dir: &Path) -> Result<Array, Failure> {
    let (elem_type, _, data) =
        tensor_data(proto, dir).map_err(|e| fail("error:read", format!("tensor: {e}")))?;
    let dtype = match elem_type {
        ElemType::Numeric(DType::BF16) => return Err(fail("dtype:bfloat16", "")),
        ElemType::Numeric(dtype) => dtype,
        ElemType::String => return Err(fail("dtype:string", "")),
        other => return Err(fail(format!("dtype:{}", other.name()), "")),
    };
    let shape = proto.dims.iter().map(|&d| d as usize).collect();
    let bytes = data.map(|d| d.bytes.to_vec()).unwrap_or_default();
    Ok(Array {
        dtype,
        shape,
        bytes,
    })
}

fn run_failure(e: RunError) -> Failure {
    let detail = format!("{e}");
    let tag = match &e {
        RunError::UnsupportedOp { op, .. } => format!("unsupported-op:{op}"),
        RunError::UnknownInput { .. } | RunError::BadInputs { .. } => "error:inputs".into(),
        RunError::Engine { message, .. } => engine_tag(message),
    };
    fail(tag, detail)
}

/// A short tag for an engine error: the first words of its innermost cause that says more
/// than one word.
fn engine_tag(message: &str) -> String {
    let words_of = |cause: &str| -> Vec<String> {
        cause
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(4)
            .map(str::to_lowercase)
            .collect()
    };
    let words = message
        .rsplit(": ")
        .map(words_of)
        .find(|w| w.len() > 1)
        .unwrap_or_default();
    format!("error:{}", words.join("-"))
}

/// Compares one expected output with what the capture recorded under its name.
fn compare(name: &str, expected: &Array, capture: &Capture) -> Result<(), Failure> {
    let captured = capture
        .get(name)
        .ok_or_else(|| fail("missing-output", format!("`{name}` was not captured")))?;
    let Stored::Memory(tensor) = &captured.stored else {
        return Err(fail("missing-output", format!("`{name}` was not kept")));
    };
    if captured.dtype != Some(expected.dtype) {
        return Err(fail(
            "dtype-mismatch",
            format!(
                "`{name}`: expected {}, got {:?}",
                expected.dtype.name(),
                captured.dtype
            ),
        ));
    }
    if captured.shape != expected.shape {
        return Err(fail(
            "shape-mismatch",
            format!(
                "`{name}`: expected {:?}, got {:?}",
                expected.shape, captured.shape
            ),
        ));
    }
    let got = tensor.as_bytes();
    if !expected.dtype.is_float() {
        return if got == expected.bytes.as_slice() {
            Ok(())
        } else {
            Err(fail("mismatch", format!("`{name}`: values differ")))
        };
    }
    let (mut want_values, mut got_values) = (Vec::new(), Vec::new());
    glassbox_tensor::for_each_le_value(expected.dtype, &expected.bytes, |v| want_values.push(v));
    glassbox_tensor::for_each_le_value(expected.dtype, got, |v| got_values.push(v));
    let bad = want_values
        .iter()
        .zip(&got_values)
        .position(|(&want, &got)| !close(want, got));
    match bad {
        None => Ok(()),
        Some(i) => Err(fail(
            "mismatch",
            format!(
                "`{name}`[{i}]: expected {}, got {}",
                want_values[i], got_values[i]
            ),
        )),
    }
}

fn close(want: f64, got: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if want.is_infinite() || got.is_infinite() {
        return want == got;
    }
    (want - got).abs() <= TOLERANCE + TOLERANCE * want.abs()
}
