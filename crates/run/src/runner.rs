//! Inference through tract with a hook on every node.
//!
//! The model is parsed once; each run types it for the concrete input shapes and walks the
//! un-optimised typed plan (`into_optimized` fuses nodes and intermediate tensors vanish, see
//! DESIGN.md) with `SimpleState::run_plan_with_eval`, handing every labelled output (an ONNX
//! value name) to the [`Capture`]. Nodes whose outputs reach no graph output are made extra
//! plan outputs, so a forgotten branch is computed and captured too.

use crate::capture::Capture;
use crate::Array;
use anyhow::bail;
use glassbox_tensor::DType;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::konst::Const;
use tract_onnx::tract_core::ops::unimpl::UnimplementedOp;
use tract_onnx::tract_core::plan::{SimplePlan, SimpleState};
use tract_onnx::tract_hir::infer::Factoid;

/// Why a model could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The engine has no implementation for an op.
    #[error("{}: the inference engine cannot run op `{op}` (node `{node}`, opset {opset}); the graph, shapes and weight statistics remain available through `glassbox inspect`", path.display())]
    UnsupportedOp {
        /// Operator type.
        op: String,
        /// Node name.
        node: String,
        /// Default-domain opset of the model.
        opset: i64,
        /// The model file.
        path: PathBuf,
    },
    /// An input given by name that the model does not have.
    #[error("{}: the model has no input `{name}`; its inputs are {available}", path.display())]
    UnknownInput {
        /// The name given.
        name: String,
        /// The model's input names.
        available: String,
        /// The model file.
        path: PathBuf,
    },
    /// Inputs that do not fit the model.
    #[error("{}: {problem}", path.display())]
    BadInputs {
        /// What is wrong.
        problem: String,
        /// The model file.
        path: PathBuf,
    },
    /// The engine failed to load or run the model.
    #[error("{}: {message}", path.display())]
    Engine {
        /// The engine's error chain.
        message: String,
        /// The model file.
        path: PathBuf,
    },
}

/// Which plan runs the model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// The un-optimised typed plan with a hook on every node: the reference, memory bounded by
    /// the capture budget.
    #[default]
    Reference,
    /// Every labelled value declared an output, then tract's optimiser (fusion, faster
    /// kernels). All outputs are held until the run ends, so memory grows with the model.
    Optimized,
}

/// A model input as the engine sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct InputSpec {
    /// ONNX input name.
    pub name: String,
    /// Declared element type, when known.
    pub dtype: Option<DType>,
    /// Declared dimensions; `None` for symbolic or unknown ones.
    pub shape: Option<Vec<Option<usize>>>,
}

/// What one run produced besides the captured tensors.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Names of the model outputs.
    pub outputs: Vec<String>,
    /// Time to type and plan the model for these inputs.
    pub prepare: Duration,
    /// Time of inference including capture.
    pub run: Duration,
}

/// A parsed model, ready to run on inputs of any shape it accepts.
pub struct Engine {
    path: PathBuf,
    model: InferenceModel,
    opset: i64,
}

impl Engine {
    /// Parses the model with tract.
    pub fn load(path: &Path) -> Result<Engine, RunError> {
        let proto = glassbox_model::engine::ops::onnx()
            .proto_model_for_path(path)
            .map_err(|e| engine_error(e, path))?;
        Engine::from_proto(&proto, path)
    }

    /// Parses a model held in memory; `path` names it in messages, and its folder is where
    /// external weights are looked up.
    pub fn load_bytes(bytes: &[u8], path: &Path) -> Result<Engine, RunError> {
        let proto = glassbox_model::engine::ops::onnx()
            .proto_model_for_read(&mut &bytes[..])
            .map_err(|e| engine_error(e, path))?;
        Engine::from_proto(&proto, path)
    }

    fn from_proto(proto: &tract_onnx::pb::ModelProto, path: &Path) -> Result<Engine, RunError> {
        let onnx = glassbox_model::engine::ops::onnx();
        let opset = proto
            .opset_import
            .iter()
            .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
            .map_or(0, |o| o.version);
        let dir = path.parent().and_then(Path::to_str);
        let parsed = onnx.parse(proto, dir).map_err(|e| engine_error(e, path))?;
        Ok(Engine {
            path: path.into(),
            model: parsed.model,
            opset,
        })
    }

    /// The model's inputs, in order.
    pub fn inputs(&self) -> Vec<InputSpec> {
        self.model
            .input_outlets()
            .unwrap_or(&[])
            .iter()
            .map(|&outlet| {
                let node = &self.model.nodes()[outlet.node];
                let fact = &node.outputs[outlet.slot].fact;
                let shape = (!fact.shape.is_open()).then(|| {
                    fact.shape
                        .dims()
                        .map(|d| {
                            d.concretize()
                                .and_then(|d| d.to_i64().ok())
                                .and_then(|d| usize::try_from(d).ok())
                        })
                        .collect()
                });
                let dtype = fact
                    .datum_type
                    .concretize()
                    .and_then(glassbox_model::engine::dtype_from_datum);
                InputSpec {
                    name: node.name.clone(),
                    dtype,
                    shape,
                }
            })
            .collect()
    }

    fn bad_inputs(&self, problem: String) -> RunError {
        RunError::BadInputs {
            problem,
            path: self.path.clone(),
        }
    }

    /// Runs the model on named inputs (every model input must be given), capturing every
    /// labelled tensor into `capture`, on the un-optimised plan ([`Mode::Reference`]).
    pub fn run(
        &self,
        inputs: &[(String, Array)],
        capture: &mut Capture,
    ) -> Result<RunReport, RunError> {
        self.run_with(inputs, capture, Mode::Reference)
    }

    /// [`Engine::run`] with a choice of plan.
    pub fn run_with(
        &self,
        inputs: &[(String, Array)],
        capture: &mut Capture,
        mode: Mode,
    ) -> Result<RunReport, RunError> {
        let started = Instant::now();
        let specs = self.inputs();
        for (name, _) in inputs {
            if !specs.iter().any(|s| &s.name == name) {
                let available = specs
                    .iter()
                    .map(|s| format!("`{}`", s.name))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(RunError::UnknownInput {
                    name: name.clone(),
                    available,
                    path: self.path.clone(),
                });
            }
        }
        let mut tensors = Vec::with_capacity(specs.len());
        for spec in &specs {
            let (_, array) = inputs
                .iter()
                .find(|(name, _)| name == &spec.name)
                .ok_or_else(|| {
                    self.bad_inputs(format!("no value given for model input `{}`", spec.name))
                })?;
            check_input(spec, array).map_err(|p| self.bad_inputs(p))?;
            let tensor = tensor_from_array(array)
                .map_err(|e| self.bad_inputs(format!("input `{}`: {e:#}", spec.name)))?;
            tensors.push(tensor);
        }
        let values: TVec<TValue> = tensors.iter().map(|t| t.clone().into_tvalue()).collect();
        // Some ops need an input's value while the plan is built (Reshape shapes, Resize
        // sizes, axes); when typing fails, try again with small integer inputs known.
        let prepared = self.prepare(&tensors, false, mode).or_else(|first| {
            if tensors.iter().any(is_small_integer) {
                self.prepare(&tensors, true, mode).map_err(|_| first)
            } else {
                Err(first)
            }
        })?;
        let Prepared {
            typed,
            folded,
            labelled,
        } = prepared;
        if mode == Mode::Optimized {
            return self.run_optimized(typed, labelled, values, folded, capture, started);
        }
        let outputs: Vec<String> = self
            .model
            .output_outlets()
            .unwrap_or(&[])
            .iter()
            .filter_map(|&o| self.model.outlet_label(o).map(String::from))
            .collect();
        let plan = SimplePlan::new(typed).map_err(|e| self.engine(e))?;
        let mut state = SimpleState::new(&plan).map_err(|e| self.engine(e))?;
        let prepare = started.elapsed();
        let started = Instant::now();
        let typed_model = plan.model();
        let sources = typed_model.input_outlets().map_err(|e| self.engine(e))?;
        // ONNX value names label node outputs; graph inputs are named by their source node.
        let labels: Vec<Vec<Option<String>>> = typed_model
            .nodes()
            .iter()
            .map(|n| {
                (0..n.outputs.len())
                    .map(|slot| {
                        let outlet = OutletId::new(n.id, slot);
                        match typed_model.outlet_label(outlet) {
                            Some(label) => Some(label.to_string()),
                            None => sources.contains(&outlet).then(|| n.name.clone()),
                        }
                    })
                    .collect()
            })
            .collect();
        state
            .run_plan_with_eval(
                values,
                |context, op_state, node, node_inputs| -> TractResult<TVec<TValue>> {
                    let produced =
                        tract_onnx::tract_core::plan::eval(context, op_state, node, node_inputs)?;
                    for (slot, value) in produced.iter().enumerate() {
                        if let Some(Some(label)) = labels[node.id].get(slot) {
                            capture.record(label, value.clone().into_arc_tensor());
                        }
                    }
                    Ok(produced)
                },
            )
            .map_err(|e| self.engine(e))?;
        // Const nodes never pass through the hook: their values are seeded into the plan.
        for node in plan.model().nodes() {
            if let (Some(konst), Some(Some(label))) =
                (node.op_as::<Const>(), labels[node.id].first())
            {
                capture.record(label, konst.val().clone());
            }
        }
        // Values the analysis computed ahead of time (shape arithmetic) may have no node left.
        for (label, value) in folded {
            capture.record(&label, value);
        }
        Ok(RunReport {
            outputs,
            prepare,
            run: started.elapsed(),
        })
    }

    /// The typed model for these inputs: facts set (values too when `known_values`, for small
    /// integer inputs), unreachable branches made outputs, analysed; for [`Mode::Optimized`]
    /// every labelled outlet declared an output and the optimiser run.
    fn prepare(
        &self,
        tensors: &[Tensor],
        known_values: bool,
        mode: Mode,
    ) -> Result<Prepared, RunError> {
        let mut model = self.model.clone();
        for (index, tensor) in tensors.iter().enumerate() {
            let fact = if known_values && is_small_integer(tensor) {
                InferenceFact::from(tensor.clone())
            } else {
                InferenceFact::dt_shape(tensor.datum_type(), tensor.shape())
            };
            model
                .set_input_fact(index, fact)
                .map_err(|e| self.engine(e))?;
        }
        self.refuse_unimplemented(&model)?;
        compute_unreachable_too(&mut model).map_err(|e| self.engine(e))?;
        model.analyse(false).map_err(|e| self.engine(e))?;
        let folded = folded_values(&model);
        let mut labelled = Vec::new();
        if mode == Mode::Optimized {
            for node in model.nodes() {
                for slot in 0..node.outputs.len() {
                    let outlet = OutletId::new(node.id, slot);
                    if let Some(label) = model.outlet_label(outlet) {
                        labelled.push((outlet, label.to_string()));
                    }
                }
            }
            let outlets: Vec<OutletId> = labelled.iter().map(|(o, _)| *o).collect();
            model
                .select_output_outlets(&outlets)
                .map_err(|e| self.engine(e))?;
        }
        let typed = model.into_typed().map_err(|e| self.engine(e))?;
        let typed = match mode {
            Mode::Optimized => typed.into_optimized().map_err(|e| self.engine(e))?,
            Mode::Reference => typed,
        };
        Ok(Prepared {
            typed,
            folded,
            labelled,
        })
    }

    fn output_names(&self) -> Vec<String> {
        let outlets = self.model.output_outlets().unwrap_or(&[]);
        outlets
            .iter()
            .filter_map(|&o| self.model.outlet_label(o).map(String::from))
            .collect()
    }

    /// Every labelled outlet declared a model output, then tract's optimiser; values are read
    /// from the outputs. Fused nodes cannot swallow a declared output, so every value stays.
    fn run_optimized(
        &self,
        optimized: TypedModel,
        labelled: Vec<(OutletId, String)>,
        values: TVec<TValue>,
        folded: Vec<(String, Arc<Tensor>)>,
        capture: &mut Capture,
        started: Instant,
    ) -> Result<RunReport, RunError> {
        let names: Vec<String> = self.inputs().into_iter().map(|spec| spec.name).collect();
        let plan = SimplePlan::new(optimized).map_err(|e| self.engine(e))?;
        let mut state = SimpleState::new(&plan).map_err(|e| self.engine(e))?;
        let prepare = started.elapsed();
        let started = Instant::now();
        for (name, value) in names.iter().zip(&values) {
            capture.record(name, value.clone().into_arc_tensor());
        }
        let produced = state.run(values).map_err(|e| self.engine(e))?;
        for ((_, label), value) in labelled.iter().zip(produced) {
            capture.record(label, value.into_arc_tensor());
        }
        for (label, value) in folded {
            capture.record(&label, value);
        }
        Ok(RunReport {
            outputs: self.output_names(),
            prepare,
            run: started.elapsed(),
        })
    }

    fn engine(&self, e: anyhow::Error) -> RunError {
        RunError::Engine {
            message: format!("{e:#}"),
            path: self.path.clone(),
        }
    }

    /// Names the first op the engine cannot run, before typing fails with a vaguer message.
    fn refuse_unimplemented(&self, model: &InferenceModel) -> Result<(), RunError> {
        let order: HashSet<usize> = model
            .eval_order()
            .map_err(|e| self.engine(e))?
            .into_iter()
            .collect();
        for node in model
            .nodes()
            .iter()
            .filter(|n| order.contains(&n.id) || n.op_is::<UnimplementedOp>())
        {
            if let Some(op) = node.op_as::<UnimplementedOp>() {
                return Err(RunError::UnsupportedOp {
                    op: op_type_of(op),
                    node: node.name.clone(),
                    opset: self.opset,
                    path: self.path.clone(),
                });
            }
        }
        Ok(())
    }
}

fn engine_error(e: anyhow::Error, path: &Path) -> RunError {
    RunError::Engine {
        message: format!("{e:#}"),
        path: path.into(),
    }
}

/// The ONNX op type an `UnimplementedOp` stands for (tract keeps it in its name).
fn op_type_of(op: &UnimplementedOp) -> String {
    let text = format!("{op:?}");
    text.split("name: \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("unknown")
        .to_string()
}

/// Labelled values the analysis already knows (constants and what folds from them).
fn folded_values(model: &InferenceModel) -> Vec<(String, Arc<Tensor>)> {
    let mut values = Vec::new();
    for node in model.nodes() {
        for (slot, output) in node.outputs.iter().enumerate() {
            let label = model.outlet_label(OutletId::new(node.id, slot));
            if let (Some(label), Some(value)) = (label, output.fact.value.concretize()) {
                values.push((label.to_string(), value));
            }
        }
    }
    values
}

/// A model typed for one run's inputs.
struct Prepared {
    typed: TypedModel,
    folded: Vec<(String, Arc<Tensor>)>,
    /// For the optimised plan: each output outlet and its ONNX name, in output order.
    labelled: Vec<(OutletId, String)>,
}

/// An integer tensor small enough to be a shape, axes or sizes argument.
fn is_small_integer(tensor: &Tensor) -> bool {
    tensor.datum_type().is_integer() && tensor.len() <= 4096
}

/// Makes the outputs of nodes that reach no graph output extra outputs, so the plan runs them.
fn compute_unreachable_too(model: &mut InferenceModel) -> TractResult<()> {
    let reached: HashSet<usize> = model.eval_order()?.into_iter().collect();
    let mut outputs = model.output_outlets()?.to_vec();
    for node in model.nodes() {
        if reached.contains(&node.id) {
            continue;
        }
        for slot in 0..node.outputs.len() {
            let outlet = OutletId::new(node.id, slot);
            if model.outlet_label(outlet).is_some() {
                outputs.push(outlet);
            }
        }
    }
    model.select_output_outlets(&outputs)
}

/// Refuses inputs whose rank, fixed dimensions or element type disagree with the model.
fn check_input(spec: &InputSpec, array: &Array) -> Result<(), String> {
    if let Some(dtype) = spec.dtype {
        if dtype != array.dtype {
            return Err(format!(
                "input `{}` must be {}, got {}",
                spec.name,
                dtype.name(),
                array.dtype.name()
            ));
        }
    }
    if let Some(shape) = &spec.shape {
        let fits = shape.len() == array.shape.len()
            && shape
                .iter()
                .zip(&array.shape)
                .all(|(want, got)| want.is_none_or(|w| w == *got));
        if !fits {
            let want: Vec<String> = shape
                .iter()
                .map(|d| d.map_or("?".into(), |d| d.to_string()))
                .collect();
            return Err(format!(
                "input `{}` must have shape [{}], got {:?}",
                spec.name,
                want.join(", "),
                array.shape
            ));
        }
    }
    Ok(())
}

/// A tract tensor holding the array's values.
pub fn tensor_from_array(array: &Array) -> TractResult<Tensor> {
    fn typed<T: Datum + Copy>(array: &Array, convert: impl Fn(&[u8]) -> T) -> TractResult<Tensor> {
        let size = std::mem::size_of::<T>();
        let values: Vec<T> = array.bytes.chunks_exact(size).map(convert).collect();
        Tensor::from_shape(&array.shape, &values)
    }
    fn le<const N: usize>(chunk: &[u8]) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(chunk);
        out
    }
    match array.dtype {
        DType::F32 => typed(array, |c| f32::from_le_bytes(le(c))),
        DType::F64 => typed(array, |c| f64::from_le_bytes(le(c))),
        DType::F16 => typed(array, |c| half::f16::from_le_bytes(le(c))),
        DType::BF16 => bail!("bfloat16 inputs are not supported by the engine"),
        DType::I8 => typed(array, |c| c[0] as i8),
        DType::U8 => typed(array, |c| c[0]),
        DType::Bool => typed(array, |c| c[0] != 0),
        DType::I16 => typed(array, |c| i16::from_le_bytes(le(c))),
        DType::U16 => typed(array, |c| u16::from_le_bytes(le(c))),
        DType::I32 => typed(array, |c| i32::from_le_bytes(le(c))),
        DType::U32 => typed(array, |c| u32::from_le_bytes(le(c))),
        DType::I64 => typed(array, |c| i64::from_le_bytes(le(c))),
        DType::U64 => typed(array, |c| u64::from_le_bytes(le(c))),
    }
}
