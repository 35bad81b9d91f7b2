//! Pooling ops tract lacks: `LpPool` (opset 1–18), the p-norm over each window, wired as
//! |x|^p → un-normalised sum pool → ^(1/p).

use super::wire;
use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;
use tract_onnx::tract_hir::ops::cnn::{HirSumPool, PaddingSpec, PoolSpec};
use tract_onnx::tract_hir::ops::nn::DataFormat;

/// The window geometry of an ONNX pooling node: kernel, strides, dilations and padding
/// (`auto_pad`, or explicit `pads` with `ceil_mode`).
pub fn pool_spec(node: &NodeProto) -> TractResult<PoolSpec> {
    let kernel: TVec<usize> = node.get_attr_tvec("kernel_shape")?;
    let rank = kernel.len();
    let ceil_mode = node.get_attr_opt::<i64>("ceil_mode")?.unwrap_or(0) == 1;
    let padding = match node.get_attr_opt::<&str>("auto_pad")?.unwrap_or("NOTSET") {
        "SAME_UPPER" => PaddingSpec::SameUpper,
        "SAME_LOWER" => PaddingSpec::SameLower,
        "VALID" => PaddingSpec::Valid,
        "NOTSET" => {
            let pads: TVec<usize> = node
                .get_attr_opt_tvec("pads")?
                .unwrap_or_else(|| tvec!(0; 2 * rank));
            ensure!(
                pads.len() == 2 * rank,
                "pads {pads:?} for a rank {rank} kernel"
            );
            PaddingSpec::ExplicitOnnxPool(pads[..rank].into(), pads[rank..].into(), ceil_mode)
        }
        other => bail!("unknown auto_pad `{other}`"),
    };
    Ok(PoolSpec {
        data_format: DataFormat::NCHW,
        kernel_shape: kernel,
        padding,
        dilations: node.get_attr_opt_tvec("dilations")?,
        strides: node.get_attr_opt_tvec("strides")?,
        input_channels: 0,
        output_channels: 0,
    })
}

/// `LpPool(X)`: `(Σ_window |x|^p)^(1/p)`.
pub fn lp_pool(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let p: i64 = node.get_attr_opt("p")?.unwrap_or(2);
    ensure!(p > 0, "LpPool needs p > 0, got {p}");
    let sum = HirSumPool::new(pool_spec(node)?, false, false);
    Ok((expand(LpPool { sum, p }), vec![]))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct LpPool {
    sum: HirSumPool,
    p: i64,
}

impl Expansion for LpPool {
    fn name(&self) -> StaticName {
        "LpPool".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        self.sum.rules(s, inputs, outputs)
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        use tract_onnx::tract_core::ops::math;
        let dt = model.outlet_fact(inputs[0])?.datum_type;
        let magnitude = model.wire_node(format!("{prefix}.abs"), math::abs(), &[inputs[0]])?[0];
        let p = wire::scalar(model, prefix, "p", tensor0(self.p as f64), dt)?;
        let powered = wire::binary(model, &format!("{prefix}.pow"), math::pow(), magnitude, p)?;
        let summed = self.sum.wire(&format!("{prefix}.sum"), model, &[powered])?[0];
        let inverse = wire::scalar(model, prefix, "inverse_p", tensor0(1.0 / self.p as f64), dt)?;
        let root = wire::binary(
            model,
            &format!("{prefix}.root"),
            math::pow(),
            summed,
            inverse,
        )?;
        Ok(tvec!(root))
    }
}
