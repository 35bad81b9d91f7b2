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

/// `MaxUnpool(X, I[, output_shape])`: the pooled values put back at the flat positions
/// `MaxPool` reported, zeros elsewhere (a scatter into a zero tensor).
pub fn max_unpool(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let kernel: Vec<i64> = node.get_attr_vec("kernel_shape")?;
    let rank = kernel.len();
    let strides = node
        .get_attr_opt_vec("strides")?
        .unwrap_or_else(|| vec![1; rank]);
    let pads = node
        .get_attr_opt_vec("pads")?
        .unwrap_or_else(|| vec![0; 2 * rank]);
    ensure!(strides.len() == rank && pads.len() == 2 * rank);
    let with_output_shape = node.input.get(2).is_some_and(|i| !i.is_empty());
    Ok((
        expand(MaxUnpool {
            kernel,
            strides,
            pads,
            with_output_shape,
        }),
        vec![],
    ))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct MaxUnpool {
    kernel: Vec<i64>,
    strides: Vec<i64>,
    pads: Vec<i64>,
    with_output_shape: bool,
}

impl MaxUnpool {
    /// The output shape for an input shape, when `output_shape` is not given.
    fn default_shape(&self, input: &[i64]) -> Vec<i64> {
        let rank = self.kernel.len();
        let mut shape = input[..2].to_vec();
        for axis in 0..rank {
            shape.push(
                (input[axis + 2] - 1) * self.strides[axis] + self.kernel[axis]
                    - self.pads[axis]
                    - self.pads[axis + rank],
            );
        }
        shape
    }
}

impl Expansion for MaxUnpool {
    fn name(&self) -> StaticName {
        "MaxUnpool".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 2 + usize::from(self.with_output_shape))?;
        check_output_arity(outputs, 1)?;
        s.equals(&outputs[0].datum_type, &inputs[0].datum_type)?;
        s.equals(&outputs[0].rank, &inputs[0].rank)?;
        if self.with_output_shape {
            s.given(&inputs[2].value, move |s, shape| {
                for (axis, d) in wire::i64_values(&shape)?.into_iter().enumerate() {
                    s.equals(&outputs[0].shape[axis], d.to_dim())?;
                }
                Ok(())
            })
        } else {
            s.given(&inputs[0].shape, move |s, shape| {
                let shape: Vec<i64> = shape
                    .iter()
                    .map(|d| Ok(d.to_i64()?))
                    .collect::<TractResult<_>>()?;
                for (axis, d) in self.default_shape(&shape).into_iter().enumerate() {
                    s.equals(&outputs[0].shape[axis], d.to_dim())?;
                }
                Ok(())
            })
        }
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        use tract_onnx::tract_core::ops::array::{ScatterElements, ScatterReduction};
        let fact = model.outlet_fact(inputs[0])?.clone();
        let input_shape: Vec<i64> = fact
            .shape
            .iter()
            .map(|d| Ok(d.to_i64()?))
            .collect::<TractResult<_>>()?;
        // Indices address the default unpooled layout; a larger `output_shape` pads each
        // axis at its end, as the ONNX reference does.
        let shape = self.default_shape(&input_shape);
        let padded = if self.with_output_shape {
            let given = model
                .outlet_fact(inputs[2])?
                .konst
                .clone()
                .context("MaxUnpool needs output_shape as a constant")?;
            Some(wire::i64_values(&given)?)
        } else {
            None
        };
        let total: i64 = shape.iter().product();
        let count: i64 = input_shape.iter().product();
        let flat = |model: &mut TypedModel, name: &str, wire: OutletId| -> TractResult<OutletId> {
            let from: TVec<TDim> = input_shape.iter().map(|d| d.to_dim()).collect();
            Ok(model.wire_node(
                format!("{prefix}.{name}"),
                AxisOp::Reshape(0, from, tvec!(count.to_dim())),
                &[wire],
            )?[0])
        };
        let values = flat(model, "flat_values", inputs[0])?;
        let indices = flat(model, "flat_indices", inputs[1])?;
        let zeros = Tensor::zero_dt(fact.datum_type, &[total as usize])?;
        let zeros = model.add_const(format!("{prefix}.zeros"), zeros)?;
        let scattered = model.wire_node(
            format!("{prefix}.scatter"),
            ScatterElements {
                axis: 0,
                reduction: ScatterReduction::None,
            },
            &[zeros, indices, values],
        )?[0];
        let to: TVec<TDim> = shape.iter().map(|d| d.to_dim()).collect();
        let unpooled = model.wire_node(
            format!("{prefix}.reshape"),
            AxisOp::Reshape(0, tvec!(total.to_dim()), to),
            &[scattered],
        )?;
        let Some(padded) = padded else {
            return Ok(unpooled);
        };
        ensure!(
            padded.len() == shape.len() && padded.iter().zip(&shape).all(|(p, s)| p >= s),
            "MaxUnpool: output_shape {padded:?} is smaller than {shape:?}"
        );
        let pads = padded
            .iter()
            .zip(&shape)
            .map(|(p, s)| (0, (p - s) as usize))
            .collect();
        let zero = Tensor::zero_dt(fact.datum_type, &[])?.into_arc_tensor();
        model.wire_node(
            format!("{prefix}.pad"),
            tract_onnx::tract_core::ops::array::Pad::new(
                pads,
                tract_onnx::tract_core::ops::array::PadMode::Constant(zero),
            ),
            &unpooled,
        )
    }
}
