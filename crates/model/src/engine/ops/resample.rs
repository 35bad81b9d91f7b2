//! Resampling ops tract lacks: `Upsample` (opsets 7–9, deprecated in favour of `Resize`),
//! wired as tract's ONNX `Resize` with opset-10 semantics, and `AffineGrid` (opset 20), a
//! constant grid of normalised coordinates multiplied by each batch entry's affine matrix.

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_core::ops::einsum::EinSum;
use tract_onnx::tract_core::ops::nn::resize::{CoordTransformer, Interpolator};
use tract_onnx::tract_hir::internal::*;
use tract_onnx_opl::resize::{AspectRatio, CoordTransform, Nearest, Resize};

/// `Upsample(X, scales)` (opset 9) or `Upsample(X)` with a `scales` attribute (opset 7).
pub fn upsample(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let interpolator = match node.get_attr_opt::<&str>("mode")?.unwrap_or("nearest") {
        "nearest" => Interpolator::Nearest,
        "linear" | "bilinear" => Interpolator::Linear,
        other => bail!("Upsample mode `{other}` is not supported"),
    };
    let scales = node.get_attr_opt_vec::<f32>("scales")?;
    Ok((
        expand(Upsample {
            interpolator,
            scales_bits: scales.map(|s| s.iter().map(|f| f.to_bits()).collect()),
        }),
        vec![],
    ))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Upsample {
    interpolator: Interpolator,
    /// The `scales` attribute (opset 7), as f32 bits; `None` when they are input 1.
    scales_bits: Option<Vec<u32>>,
}

impl Upsample {
    fn resize(&self) -> Resize {
        Resize {
            axes: None,
            coord_transformer: CoordTransform::Plain(CoordTransformer::Asymmetric),
            interpolator: self.interpolator.clone(),
            nearest: Nearest::Floor,
            antialias: false,
            cubic_coeff_a_bits: (-0.75f32).to_bits(),
            exclude_outside: false,
            extrapolation_value_bits: 0f32.to_bits(),
            keep_aspect_ratio_policy: AspectRatio::Stretch,
            optional_roi_input: None,
            optional_scales_input: Some(1),
            optional_sizes_input: None,
        }
    }
}

impl Expansion for Upsample {
    fn name(&self) -> StaticName {
        "Upsample".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1 + usize::from(self.scales_bits.is_none()))?;
        check_output_arity(outputs, 1)?;
        s.equals(&outputs[0].datum_type, &inputs[0].datum_type)?;
        s.equals(&outputs[0].rank, &inputs[0].rank)?;
        let scaled = move |s: &mut Solver<'r>, shape: TVec<TDim>, scales: Vec<f32>| {
            for (axis, (dim, scale)) in shape.iter().zip(scales).enumerate() {
                let size = (dim.to_i64()? as f32 * scale).floor() as i64;
                s.equals(&outputs[0].shape[axis], size.to_dim())?;
            }
            Ok(())
        };
        match &self.scales_bits {
            Some(bits) => {
                let scales: Vec<f32> = bits.iter().map(|&b| f32::from_bits(b)).collect();
                s.given(&inputs[0].shape, move |s, shape| {
                    scaled(s, shape, scales.clone())
                })
            }
            None => s.given_2(
                &inputs[0].shape,
                &inputs[1].value,
                move |s, shape, scales| {
                    let scales = scales.cast_to::<f32>()?;
                    let scales = scales
                        .to_plain_array_view::<f32>()?
                        .iter()
                        .copied()
                        .collect();
                    scaled(s, shape, scales)
                },
            ),
        }
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let scales = match &self.scales_bits {
            Some(bits) => {
                let scales: Vec<f32> = bits.iter().map(|&b| f32::from_bits(b)).collect();
                model.add_const(format!("{prefix}.scales"), tensor1(&scales))?
            }
            None => inputs[1],
        };
        model.wire_node(prefix, self.resize(), &[inputs[0], scales])
    }
}

/// `AffineGrid(theta, size)`: the sampling grid `theta · [x, y(, z), 1]` over normalised
/// output coordinates in [-1, 1].
pub fn affine_grid(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let align_corners = node.get_attr_opt::<i64>("align_corners")?.unwrap_or(0) == 1;
    Ok((expand(AffineGrid { align_corners }), vec![]))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct AffineGrid {
    align_corners: bool,
}

impl AffineGrid {
    /// Normalised coordinates of `size` samples along one axis.
    fn coordinates(&self, size: usize) -> Vec<f64> {
        (0..size)
            .map(|i| {
                let i = i as f64;
                let n = size as f64;
                if self.align_corners {
                    if size > 1 {
                        -1.0 + 2.0 * i / (n - 1.0)
                    } else {
                        0.0
                    }
                } else {
                    (2.0 * i + 1.0) / n - 1.0
                }
            })
            .collect()
    }

    /// Homogeneous coordinates of every output point, `(points, spatial + 1)`, with the
    /// fastest axis (x) first in each row, as ONNX orders them.
    fn base_grid(&self, spatial: &[usize]) -> TractResult<Tensor> {
        let per_axis: Vec<Vec<f64>> = spatial.iter().map(|&n| self.coordinates(n)).collect();
        let points: usize = spatial.iter().product();
        let width = spatial.len() + 1;
        let mut values = Vec::with_capacity(points * width);
        for point in 0..points {
            let mut rest = point;
            let mut index = vec![0; spatial.len()];
            for axis in (0..spatial.len()).rev() {
                index[axis] = rest % spatial[axis];
                rest /= spatial[axis];
            }
            for axis in (0..spatial.len()).rev() {
                values.push(per_axis[axis][index[axis]]);
            }
            values.push(1.0);
        }
        Tensor::from_shape(&[points, width], &values)
    }
}

impl Expansion for AffineGrid {
    fn name(&self) -> StaticName {
        "AffineGrid".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 2)?;
        check_output_arity(outputs, 1)?;
        s.equals(&outputs[0].datum_type, &inputs[0].datum_type)?;
        s.given(&inputs[1].value, move |s, size| {
            let size = super::wire::i64_values(&size)?;
            let spatial = &size[2..];
            s.equals(&outputs[0].rank, (spatial.len() + 2) as i64)?;
            s.equals(&outputs[0].shape[0], size[0].to_dim())?;
            for (axis, &n) in spatial.iter().enumerate() {
                s.equals(&outputs[0].shape[axis + 1], n.to_dim())?;
            }
            s.equals(
                &outputs[0].shape[spatial.len() + 1],
                (spatial.len() as i64).to_dim(),
            )
        })
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let size = model
            .outlet_fact(inputs[1])?
            .konst
            .clone()
            .context("AffineGrid needs its output size as a constant")?;
        let size = super::wire::i64_values(&size)?;
        let spatial: Vec<usize> = size[2..].iter().map(|&n| n as usize).collect();
        let dt = model.outlet_fact(inputs[0])?.datum_type;
        let base = self.base_grid(&spatial)?.cast_to_dt(dt)?.into_owned();
        let base = model.add_const(format!("{prefix}.base"), base)?;
        let mapping: AxesMapping = "pk,ndk->npd".parse()?;
        let grid = model.wire_node(
            format!("{prefix}.grid"),
            EinSum::new(mapping, dt),
            &[base, inputs[0]],
        )?[0];
        let points: usize = spatial.iter().product();
        let to: TVec<TDim> = spatial.iter().map(|&n| n.to_dim()).collect();
        model.wire_node(
            format!("{prefix}.reshape"),
            AxisOp::Reshape(1, tvec!(points.to_dim()), to),
            &[grid],
        )
    }
}
