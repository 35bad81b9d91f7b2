//! Vision ops tract lacks: `Col2Im` (the inverse of im2col: sums sliding blocks back into an
//! image), `RoiAlign` and `DeformConv` (bilinear sampling at fractional positions).

use super::kernel::{const_i64s, f64_values, from_f64s, kernel, strides, Kernel};
use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

/// `Col2Im(input, image_shape, block_shape)` with `dilations`, `pads` and `strides`.
pub fn col2im(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    kernel(Col2Im {
        dilations: node.get_attr_opt_vec("dilations")?,
        pads: node.get_attr_opt_vec("pads")?,
        strides: node.get_attr_opt_vec("strides")?,
    })
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Col2Im {
    dilations: Option<Vec<usize>>,
    pads: Option<Vec<usize>>,
    strides: Option<Vec<usize>>,
}

/// The per-axis geometry of one `Col2Im` call.
struct Geometry {
    image: Vec<usize>,
    block: Vec<usize>,
    dilations: Vec<usize>,
    pad_begin: Vec<usize>,
    strides: Vec<usize>,
    /// Sliding positions per axis.
    positions: Vec<usize>,
}

impl Col2Im {
    fn geometry(&self, image: Vec<i64>, block: Vec<i64>) -> TractResult<Geometry> {
        let n = image.len();
        ensure!(
            block.len() == n,
            "Col2Im: image_shape and block_shape differ in length"
        );
        let image: Vec<usize> = image.iter().map(|&d| d.max(0) as usize).collect();
        let block: Vec<usize> = block.iter().map(|&d| d.max(0) as usize).collect();
        let dilations = self.dilations.clone().unwrap_or_else(|| vec![1; n]);
        let pads = self.pads.clone().unwrap_or_else(|| vec![0; 2 * n]);
        let strides = self.strides.clone().unwrap_or_else(|| vec![1; n]);
        ensure!(
            dilations.len() == n && pads.len() == 2 * n && strides.len() == n,
            "Col2Im: attributes do not match {n} spatial axes"
        );
        let mut positions = Vec::with_capacity(n);
        for i in 0..n {
            let span = dilations[i] * (block[i].max(1) - 1) + 1;
            let padded = image[i] + pads[i] + pads[n + i];
            ensure!(
                padded >= span && strides[i] > 0,
                "Col2Im: block larger than the image"
            );
            positions.push((padded - span) / strides[i] + 1);
        }
        Ok(Geometry {
            image,
            block,
            dilations,
            pad_begin: pads[..n].to_vec(),
            strides,
            positions,
        })
    }
}

impl Kernel for Col2Im {
    const NAME: &'static str = "Col2Im";

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 3)?;
        s.equals(&outputs[0].datum_type, &inputs[0].datum_type)?;
        s.equals(&inputs[0].rank, 3)?;
        s.equals(&inputs[1].rank, 1)?;
        s.given(&inputs[1].shape[0], move |s, spatial| {
            if let Ok(spatial) = spatial.to_i64() {
                s.equals(&outputs[0].rank, spatial + 2)?;
            }
            Ok(())
        })
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let image = const_i64s(inputs[1], "Col2Im", "image_shape")?;
        let block = const_i64s(inputs[2], "Col2Im", "block_shape")?;
        let block_size: i64 = block.iter().product();
        ensure!(block_size > 0, "Col2Im: empty block");
        let channels = inputs[0].shape[1].clone() / block_size as u64;
        let mut shape: TVec<TDim> = tvec![inputs[0].shape[0].clone(), channels];
        shape.extend(image.iter().map(|&d| TDim::from(d)));
        Ok(tvec!(inputs[0].datum_type.fact(shape)))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let image = super::wire::i64_values(&inputs[1])?;
        let block = super::wire::i64_values(&inputs[2])?;
        let g = self.geometry(image, block)?;
        let shape = inputs[0].shape();
        let block_size: usize = g.block.iter().product();
        let blocks: usize = g.positions.iter().product();
        let (batch, channels) = (shape[0], shape[1] / block_size);
        ensure!(
            shape[1] == channels * block_size && shape[2] == blocks,
            "Col2Im: input {shape:?} does not hold {blocks} blocks of {block_size} values"
        );
        let columns = f64_values(&inputs[0])?;
        let pixels: usize = g.image.iter().product();
        let mut out = vec![0.0; batch * channels * pixels];
        let block_strides = strides(&g.block);
        let position_strides = strides(&g.positions);
        let image_strides = strides(&g.image);
        // For each (kernel offset, block position): the output pixel, if inside the image.
        let mut targets = Vec::with_capacity(block_size * blocks);
        for k in 0..block_size {
            for l in 0..blocks {
                let mut pixel = Some(0usize);
                for axis in 0..g.image.len() {
                    let offset = (k / block_strides[axis]) % g.block[axis];
                    let position = (l / position_strides[axis]) % g.positions[axis];
                    let at = (position * g.strides[axis] + offset * g.dilations[axis]) as i64
                        - g.pad_begin[axis] as i64;
                    pixel = match pixel {
                        Some(p) if at >= 0 && (at as usize) < g.image[axis] => {
                            Some(p + at as usize * image_strides[axis])
                        }
                        _ => None,
                    };
                }
                targets.push(pixel);
            }
        }
        for n in 0..batch {
            for c in 0..channels {
                let image = &mut out[(n * channels + c) * pixels..][..pixels];
                let rows = &columns[(n * shape[1] + c * block_size) * blocks..];
                for (i, target) in targets.iter().enumerate() {
                    if let Some(p) = target {
                        image[*p] += rows[i];
                    }
                }
            }
        }
        let mut out_shape = vec![batch, channels];
        out_shape.extend(&g.image);
        Ok(tvec!(from_f64s(out, &out_shape, inputs[0].datum_type())?))
    }
}
