//! `ai.onnx.ml` ops tract lacks: `Binarizer` (1 where `x > threshold`, else 0, same type).

use super::wire;
use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_core::ops::logic::comp_gt;
use tract_onnx::tract_hir::internal::*;

/// `Binarizer(X)` with the `threshold` attribute (default 0).
pub fn binarizer(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let threshold: f32 = node.get_attr_opt("threshold")?.unwrap_or(0.0);
    Ok((
        expand(Binarizer {
            threshold_bits: threshold.to_bits(),
        }),
        vec![],
    ))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Binarizer {
    threshold_bits: u32,
}

impl Expansion for Binarizer {
    fn name(&self) -> StaticName {
        "Binarizer".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        check_output_arity(outputs, 1)?;
        s.equals(&outputs[0].datum_type, &inputs[0].datum_type)?;
        s.equals(&outputs[0].shape, &inputs[0].shape)
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let dt = model.outlet_fact(inputs[0])?.datum_type;
        let threshold = f32::from_bits(self.threshold_bits);
        let threshold = wire::scalar(model, prefix, "threshold", tensor0(threshold), dt)?;
        let above = wire::binary(
            model,
            &format!("{prefix}.above"),
            wire::typed(comp_gt()),
            inputs[0],
            threshold,
        )?;
        Ok(tvec!(wire::cast(
            model,
            &format!("{prefix}.cast"),
            above,
            dt
        )?))
    }
}
