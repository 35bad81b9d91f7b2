//! The capture policy: what happens to each tensor the runner hands over. The summary
//! (statistics and histogram) is always kept; the full tensor is kept in memory up to a byte
//! budget, beyond it written to a spill folder as `.npy`, or dropped with a note when no
//! spill folder is allowed. Memory use therefore stays near the budget whatever the model.

use crate::npy;
use glassbox_tensor::{DType, Summary};
use std::path::PathBuf;
use std::sync::Arc;
use tract_onnx::prelude::{DatumType, Tensor};

/// Default in-memory budget for full tensors: 1 GiB.
pub const DEFAULT_BUDGET_BYTES: u64 = 1 << 30;

/// Where a captured tensor's values are.
#[derive(Clone, Debug)]
pub enum Stored {
    /// Held in memory.
    Memory(Arc<Tensor>),
    /// Written to this `.npy` file because the budget was spent.
    Spilled(PathBuf),
    /// Not kept (budget spent and spilling off, or a type glassbox cannot summarise).
    Dropped(String),
}

/// One captured tensor.
#[derive(Clone, Debug)]
pub struct Captured {
    /// ONNX value name.
    pub name: String,
    /// Element type.
    pub dtype: Option<DType>,
    /// Concrete shape of this run.
    pub shape: Vec<usize>,
    /// Statistics and histogram.
    pub summary: Option<Summary>,
    /// The values, or where they went.
    pub stored: Stored,
}

/// How tensors are captured.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Histogram bins.
    pub bins: usize,
    /// Bytes of full tensors kept in memory.
    pub budget_bytes: u64,
    /// Folder for tensors beyond the budget; `None` drops them instead.
    pub spill_dir: Option<PathBuf>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            bins: glassbox_tensor::DEFAULT_BINS,
            budget_bytes: DEFAULT_BUDGET_BYTES,
            spill_dir: None,
        }
    }
}

/// Everything captured in one run, in execution order.
#[derive(Debug, Default)]
pub struct Capture {
    policy: Policy,
    disabled: bool,
    kept_bytes: u64,
    names: std::collections::HashSet<String>,
    /// Captured tensors in the order the engine produced them.
    pub tensors: Vec<Captured>,
    /// Problems met while capturing (spill failures), reported, never fatal.
    pub notes: Vec<String>,
}

impl Capture {
    /// An empty capture with this policy.
    pub fn new(policy: Policy) -> Capture {
        Capture {
            policy,
            ..Capture::default()
        }
    }

    /// A capture that records nothing: a plain inference, to measure what capturing costs.
    pub fn disabled() -> Capture {
        Capture {
            disabled: true,
            ..Capture::default()
        }
    }

    /// Bytes of full tensors held in memory.
    pub fn kept_bytes(&self) -> u64 {
        self.kept_bytes
    }

    /// Records one tensor: summarises it, then keeps, spills or drops the values.
    pub fn record(&mut self, name: &str, tensor: Arc<Tensor>) {
        if self.disabled || !self.names.insert(name.to_string()) {
            return;
        }
        let (dtype, values) = match summarisable(&tensor) {
            Some(pair) => pair,
            None => {
                self.tensors.push(Captured {
                    name: name.into(),
                    dtype: None,
                    shape: tensor.shape().to_vec(),
                    summary: None,
                    stored: Stored::Dropped(format!(
                        "{:?} values are not summarised",
                        tensor.datum_type()
                    )),
                });
                return;
            }
        };
        let summary = Summary::of_le_bytes(dtype, values.as_bytes(), self.policy.bins);
        let size = values.as_bytes().len() as u64;
        let stored = if self.kept_bytes + size <= self.policy.budget_bytes {
            self.kept_bytes += size;
            Stored::Memory(values)
        } else {
            self.spill(name, dtype, &values)
        };
        self.tensors.push(Captured {
            name: name.into(),
            dtype: Some(dtype),
            shape: tensor.shape().to_vec(),
            summary: Some(summary),
            stored,
        });
    }

    fn spill(&mut self, name: &str, dtype: DType, tensor: &Tensor) -> Stored {
        let Some(dir) = &self.policy.spill_dir else {
            return Stored::Dropped("capture budget spent".into());
        };
        let path = dir.join(format!("spill_{}.npy", self.tensors.len()));
        match npy::write(&path, dtype, tensor.shape(), tensor.as_bytes()) {
            Ok(()) => Stored::Spilled(path),
            Err(e) => {
                self.notes.push(format!(
                    "could not spill `{name}` to {}: {e}",
                    path.display()
                ));
                Stored::Dropped("spill failed".into())
            }
        }
    }

    /// The captured tensor called `name`.
    pub fn get(&self, name: &str) -> Option<&Captured> {
        self.tensors.iter().find(|t| t.name == name)
    }
}

/// The element type and a numeric tensor to summarise (`TDim` becomes `i64`); `None` for
/// strings and other non-numeric types.
fn summarisable(tensor: &Arc<Tensor>) -> Option<(DType, Arc<Tensor>)> {
    let datum = tensor.datum_type();
    if datum == DatumType::TDim {
        let cast = tensor.cast_to::<i64>().ok()?.into_owned();
        return Some((DType::I64, Arc::new(cast)));
    }
    let dtype = glassbox_model::engine::dtype_from_datum(datum)?;
    Some((dtype, tensor.clone()))
}

/// Writes little-endian `bytes` of `dtype` as an `.npy` file numpy loads as it is.
pub fn write_npy(
    path: &std::path::Path,
    dtype: DType,
    shape: &[usize],
    bytes: &[u8],
) -> std::io::Result<()> {
    npy::write(path, dtype, shape, bytes)
}

/// Values of a stored tensor as f32, loading a spilled one back.
pub fn values_f32(captured: &Captured) -> Option<Vec<f32>> {
    match &captured.stored {
        Stored::Memory(tensor) => {
            let dtype = captured.dtype?;
            let mut out = Vec::with_capacity(tensor.len());
            glassbox_tensor::for_each_le_value(dtype, tensor.as_bytes(), |v| out.push(v as f32));
            Some(out)
        }
        Stored::Spilled(path) => Some(crate::inputs::read(path).ok()?.array.to_f32()),
        Stored::Dropped(_) => None,
    }
}

/// Records the node outputs whose value is stored in the file (`Constant` nodes, and an
/// exporter's `Identity` over a stored weight, which the engine folds away), exactly as
/// stored: call it before the run, so the file's shapes win over the engine's folded ones.
pub fn record_stored_values(model: &glassbox_model::Model, capture: &mut Capture) {
    let graph = &model.graph;
    for node in &graph.nodes {
        for output in node.output_ids() {
            let name = &graph.tensors[output].name;
            if capture.get(name).is_some() {
                continue;
            }
            if let Some(tensor) = stored_value(graph, output) {
                capture.record(name, Arc::new(tensor));
            }
        }
    }
}

/// The value of a stored tensor, or of an `Identity` chain over one.
fn stored_value(graph: &glassbox_model::Graph, mut id: glassbox_model::TensorId) -> Option<Tensor> {
    loop {
        let tensor = &graph.tensors[id];
        if let (Some(data), glassbox_model::ElemType::Numeric(dtype)) =
            (&tensor.data, tensor.elem_type)
        {
            let shape: Vec<usize> = tensor
                .shape
                .fixed_dims()?
                .iter()
                .map(|&d| d as usize)
                .collect();
            let array = crate::Array {
                dtype,
                shape,
                bytes: data.bytes.to_vec(),
            };
            return crate::runner::tensor_from_array(&array).ok();
        }
        let producer = &graph.nodes[tensor.producer?];
        if producer.op == "ConstantOfShape" {
            return constant_fill(graph, producer);
        }
        if producer.op != "Identity" {
            return None;
        }
        id = producer.inputs.first().copied().flatten()?;
    }
}

/// The output of a `ConstantOfShape` whose shape is stored: its fill repeated.
fn constant_fill(graph: &glassbox_model::Graph, node: &glassbox_model::Node) -> Option<Tensor> {
    use glassbox_model::graph::AttributeValue;
    let shape_tensor = &graph.tensors[node.inputs.first().copied().flatten()?];
    let mut shape = Vec::new();
    glassbox_tensor::for_each_le_value(DType::I64, &shape_tensor.data.as_ref()?.bytes, |d| {
        shape.push(d as usize)
    });
    let (dtype, value) = match node.attribute("value") {
        Some(AttributeValue::Tensor {
            dtype,
            values: Some(values),
            ..
        }) => (dtype.as_str(), *values.first()?),
        None => ("float32", 0.0),
        _ => return None,
    };
    let numel: usize = shape.iter().product();
    let tensor = match dtype {
        "float32" => Tensor::from_shape(&shape, &vec![value as f32; numel]),
        "float64" => Tensor::from_shape(&shape, &vec![value; numel]),
        "int64" => Tensor::from_shape(&shape, &vec![value as i64; numel]),
        "int32" => Tensor::from_shape(&shape, &vec![value as i32; numel]),
        _ => return None,
    };
    tensor.ok()
}
