//! Ops glassbox computes with its own code, for ONNX ops no composition of tract's core ops
//! expresses (value-dependent shapes, gathers at fractional positions, decoders).
//!
//! A [`Kernel`] says how to type the op (inference rules and typed output facts) and how to
//! evaluate it on plain tensors. [`kernel`] wraps it for tract's ONNX parser: the inference
//! side is an `Expansion` that wires one [`Computed`] typed node, so the run hook captures the
//! kernel's outputs like any other node's.

use std::fmt::Debug;
use std::hash::Hash;
use tract_onnx::tract_hir::internal::*;

/// An op evaluated by glassbox's own code.
pub trait Kernel: Debug + Clone + PartialEq + Eq + Hash + Send + Sync + 'static {
    /// The ONNX op type.
    const NAME: &'static str;

    /// Number of outputs the node has.
    fn outputs(&self) -> usize {
        1
    }

    /// Inference rules: at least the output types, and shapes where they follow from shapes.
    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult;

    /// Typed output facts from the typed input facts (constant inputs carry their value).
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>>;

    /// Evaluates the op.
    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>>;

    /// Whether output shapes depend on input values (and carry symbols bound at run time).
    fn mints_symbols(&self) -> bool {
        false
    }
}

/// The kernel as the builder result tract's ONNX parser expects.
pub fn kernel<K: Kernel>(k: K) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    Ok((expand(Infer(k)), vec![]))
}

/// The inference-model side: rules from the kernel, typed as one [`Computed`] node.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Infer<K>(K);

impl<K: Kernel> Expansion for Infer<K> {
    fn name(&self) -> StaticName {
        K::NAME.into()
    }

    fn nboutputs(&self) -> TractResult<usize> {
        Ok(self.0.outputs())
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_output_arity(outputs, self.0.outputs())?;
        self.0.rules(s, inputs, outputs)
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        model.wire_node(prefix, Computed(self.0.clone()), inputs)
    }
}

/// The typed op: facts and evaluation from the kernel.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Computed<K>(pub K);

impl<K: Kernel> Op for Computed<K> {
    fn name(&self) -> StaticName {
        K::NAME.into()
    }

    fn mints_runtime_symbols(&self) -> bool {
        self.0.mints_symbols()
    }

    op_as_typed_op!();
}

impl<K: Kernel> EvalOp for Computed<K> {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        self.0.eval(inputs)
    }
}

impl<K: Kernel> TypedOp for Computed<K> {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        self.0.output_facts(inputs)
    }

    as_op!();
}

/// The constant value of an integer input, required by an op whose output shape depends on it.
pub fn const_i64s(fact: &TypedFact, op: &str, what: &str) -> TractResult<Vec<i64>> {
    let Some(value) = fact.konst.as_ref() else {
        bail!("{op} needs its `{what}` input known before the run (a constant or initializer)")
    };
    super::wire::i64_values(value)
}

/// Row-major strides of `shape`.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    strides
}

/// The tensor's values as `f64`s (row-major), for kernels that compute in double precision.
pub fn f64_values(tensor: &Tensor) -> TractResult<Vec<f64>> {
    let cast = tensor.cast_to::<f64>()?;
    Ok(cast.to_plain_array_view::<f64>()?.iter().copied().collect())
}

/// A tensor of type `dt` and `shape` from `f64` values.
pub fn from_f64s(values: Vec<f64>, shape: &[usize], dt: DatumType) -> TractResult<TValue> {
    let tensor = Tensor::from_shape(shape, &values)?;
    Ok(tensor.cast_to_dt(dt)?.into_owned().into_tvalue())
}
