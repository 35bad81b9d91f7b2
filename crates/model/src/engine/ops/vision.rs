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

/// `RoiAlign(X, rois, batch_indices)` with `mode`, `output_height`, `output_width`,
/// `sampling_ratio`, `spatial_scale` and `coordinate_transformation_mode` (default
/// `half_pixel` from opset 16, `output_half_pixel` before).
pub fn roi_align(
    ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let default_transform = if ctx.onnx_operator_set_version >= 16 {
        "half_pixel"
    } else {
        "output_half_pixel"
    };
    let transform: String = node
        .get_attr_opt("coordinate_transformation_mode")?
        .unwrap_or_else(|| default_transform.to_string());
    let mode: String = node
        .get_attr_opt("mode")?
        .unwrap_or_else(|| "avg".to_string());
    ensure!(
        mode == "avg" || mode == "max",
        "RoiAlign: unknown mode `{mode}`"
    );
    let spatial_scale: f32 = node.get_attr_opt("spatial_scale")?.unwrap_or(1.0);
    kernel(RoiAlign {
        half_pixel: transform == "half_pixel",
        max: mode == "max",
        output_height: node.get_attr_opt("output_height")?.unwrap_or(1),
        output_width: node.get_attr_opt("output_width")?.unwrap_or(1),
        sampling_ratio: node.get_attr_opt("sampling_ratio")?.unwrap_or(0),
        spatial_scale_bits: spatial_scale.to_bits(),
    })
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct RoiAlign {
    half_pixel: bool,
    /// `max` pools the largest weighted corner of each sample point, as ONNX Runtime and the
    /// ONNX reference implementation do; `avg` averages the bilinear samples.
    max: bool,
    output_height: usize,
    output_width: usize,
    sampling_ratio: i64,
    spatial_scale_bits: u32,
}

/// The four pixels around a sample point and their bilinear weights.
type Corners = [(usize, f64); 4];

/// Bilinear corners of `(y, x)` in an `h`×`w` image, or `None` when the point lies outside
/// the image by more than one pixel (it then contributes zero).
fn bilinear_corners(y: f64, x: f64, h: usize, w: usize) -> Option<Corners> {
    if y < -1.0 || y > h as f64 || x < -1.0 || x > w as f64 {
        return None;
    }
    let (mut y, mut x) = (y.max(0.0), x.max(0.0));
    let (mut y_low, mut x_low) = (y as usize, x as usize);
    let y_high = if y_low >= h - 1 {
        y_low = h - 1;
        y = y_low as f64;
        y_low
    } else {
        y_low + 1
    };
    let x_high = if x_low >= w - 1 {
        x_low = w - 1;
        x = x_low as f64;
        x_low
    } else {
        x_low + 1
    };
    let (ly, lx) = (y - y_low as f64, x - x_low as f64);
    let (hy, hx) = (1.0 - ly, 1.0 - lx);
    Some([
        (y_low * w + x_low, hy * hx),
        (y_low * w + x_high, hy * lx),
        (y_high * w + x_low, ly * hx),
        (y_high * w + x_high, ly * lx),
    ])
}

impl Kernel for RoiAlign {
    const NAME: &'static str = "RoiAlign";

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 3)?;
        s.equals(&outputs[0].datum_type, &inputs[0].datum_type)?;
        s.equals(&outputs[0].rank, 4)?;
        s.equals(&outputs[0].shape[0], &inputs[1].shape[0])?;
        s.equals(&outputs[0].shape[1], &inputs[0].shape[1])?;
        s.equals(&outputs[0].shape[2], self.output_height.to_dim())?;
        s.equals(&outputs[0].shape[3], self.output_width.to_dim())
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let shape = tvec![
            inputs[1].shape[0].clone(),
            inputs[0].shape[1].clone(),
            self.output_height.to_dim(),
            self.output_width.to_dim(),
        ];
        Ok(tvec!(inputs[0].datum_type.fact(shape)))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let shape = inputs[0].shape();
        ensure!(shape.len() == 4, "RoiAlign: X must be NCHW, got {shape:?}");
        let (channels, h, w) = (shape[1], shape[2], shape[3]);
        let x = f64_values(&inputs[0])?;
        let rois = f64_values(&inputs[1])?;
        let batch = super::wire::i64_values(&inputs[2])?;
        let (ph_n, pw_n) = (self.output_height, self.output_width);
        let scale = f32::from_bits(self.spatial_scale_bits) as f64;
        let offset = if self.half_pixel { 0.5 } else { 0.0 };
        let mut out = vec![0.0; batch.len() * channels * ph_n * pw_n];
        for (n, &image) in batch.iter().enumerate() {
            ensure!(
                image >= 0 && (image as usize) < shape[0],
                "RoiAlign: batch index {image} out of range"
            );
            let roi = &rois[n * 4..][..4];
            let (start_w, start_h) = (roi[0] * scale - offset, roi[1] * scale - offset);
            let (mut roi_w, mut roi_h) = (
                roi[2] * scale - offset - start_w,
                roi[3] * scale - offset - start_h,
            );
            if !self.half_pixel {
                roi_w = roi_w.max(1.0);
                roi_h = roi_h.max(1.0);
            }
            let (bin_h, bin_w) = (roi_h / ph_n as f64, roi_w / pw_n as f64);
            let grid = |extent: f64, bins: usize| -> usize {
                if self.sampling_ratio > 0 {
                    self.sampling_ratio as usize
                } else {
                    (extent / bins as f64).ceil().max(0.0) as usize
                }
            };
            let (grid_h, grid_w) = (grid(roi_h, ph_n), grid(roi_w, pw_n));
            let count = (grid_h * grid_w).max(1) as f64;
            // Sample points per output cell, shared by every channel.
            let mut points: Vec<Option<Corners>> = Vec::new();
            for ph in 0..ph_n {
                for pw in 0..pw_n {
                    for iy in 0..grid_h {
                        let y =
                            start_h + ph as f64 * bin_h + (iy as f64 + 0.5) * bin_h / grid_h as f64;
                        for ix in 0..grid_w {
                            let x = start_w
                                + pw as f64 * bin_w
                                + (ix as f64 + 0.5) * bin_w / grid_w as f64;
                            points.push(bilinear_corners(y, x, h, w));
                        }
                    }
                }
            }
            let per_cell = grid_h * grid_w;
            for c in 0..channels {
                let plane = &x[(image as usize * channels + c) * h * w..][..h * w];
                for cell in 0..ph_n * pw_n {
                    let samples = points[cell * per_cell..][..per_cell].iter().map(|p| {
                        let corners = p.unwrap_or([(0, 0.0); 4]);
                        let weighted = corners.map(|(i, wt)| wt * plane[i]);
                        if self.max {
                            weighted.into_iter().fold(f64::NEG_INFINITY, f64::max)
                        } else {
                            weighted.iter().sum()
                        }
                    });
                    let value = if self.max {
                        samples.fold(f64::NEG_INFINITY, f64::max)
                    } else {
                        samples.sum::<f64>() / count
                    };
                    let value = if value == f64::NEG_INFINITY {
                        0.0
                    } else {
                        value
                    };
                    out[(n * channels + c) * ph_n * pw_n + cell] = value;
                }
            }
        }
        let out_shape = [batch.len(), channels, ph_n, pw_n];
        Ok(tvec!(from_f64s(out, &out_shape, inputs[0].datum_type())?))
    }
}

/// `DeformConv(X, W, offset, B?, mask?)` with `dilations`, `group`, `offset_group`, `pads` and
/// `strides`, for 2D images: each kernel tap samples X bilinearly at its position plus its
/// learned offset (taps outside the image read zero), times the mask.
pub fn deform_conv(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let mut optional = tract_onnx::model::optional_inputs(node).skip(3);
    let bias = optional.next().flatten();
    let mask = optional.next().flatten();
    kernel(DeformConv {
        dilations: node.get_attr_opt_vec("dilations")?,
        group: node.get_attr_opt("group")?.unwrap_or(1),
        offset_group: node.get_attr_opt("offset_group")?.unwrap_or(1),
        pads: node.get_attr_opt_vec("pads")?,
        strides: node.get_attr_opt_vec("strides")?,
        bias,
        mask,
    })
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct DeformConv {
    dilations: Option<Vec<usize>>,
    group: usize,
    offset_group: usize,
    pads: Option<Vec<usize>>,
    strides: Option<Vec<usize>>,
    /// Input slot of the bias, when given.
    bias: Option<usize>,
    /// Input slot of the mask, when given.
    mask: Option<usize>,
}

/// X at the fractional position `(y, x)`, bilinear, with zeros outside the image.
fn sample_zero_padded(plane: &[f64], h: usize, w: usize, y: f64, x: f64) -> f64 {
    let (y0, x0) = (y.floor(), x.floor());
    let (ly, lx) = (y - y0, x - x0);
    let at = |yy: f64, xx: f64| -> f64 {
        if yy < 0.0 || xx < 0.0 || yy >= h as f64 || xx >= w as f64 {
            0.0
        } else {
            plane[yy as usize * w + xx as usize]
        }
    };
    (1.0 - ly) * (1.0 - lx) * at(y0, x0)
        + (1.0 - ly) * lx * at(y0, x0 + 1.0)
        + ly * (1.0 - lx) * at(y0 + 1.0, x0)
        + ly * lx * at(y0 + 1.0, x0 + 1.0)
}

impl Kernel for DeformConv {
    const NAME: &'static str = "DeformConv";

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        s.equals(&outputs[0].datum_type, &inputs[0].datum_type)?;
        s.equals(&outputs[0].rank, &inputs[0].rank)?;
        s.equals(&outputs[0].shape[0], &inputs[0].shape[0])?;
        s.equals(&outputs[0].shape[1], &inputs[1].shape[0])?;
        s.equals(&outputs[0].shape[2], &inputs[2].shape[2])?;
        s.equals(&outputs[0].shape[3], &inputs[2].shape[3])
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(
            inputs[0].rank() == 4,
            "DeformConv: only 2D images are supported"
        );
        let mut shape: TVec<TDim> = tvec![inputs[0].shape[0].clone(), inputs[1].shape[0].clone()];
        shape.extend(inputs[2].shape.iter().skip(2).cloned());
        Ok(tvec!(inputs[0].datum_type.fact(shape)))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (xs, ws, os) = (inputs[0].shape(), inputs[1].shape(), inputs[2].shape());
        ensure!(xs.len() == 4, "DeformConv: only 2D images are supported");
        let (n, ic, ih, iw) = (xs[0], xs[1], xs[2], xs[3]);
        let (oc, icg, kh, kw) = (ws[0], ws[1], ws[2], ws[3]);
        let (oh, ow) = (os[2], os[3]);
        let (group, og) = (self.group.max(1), self.offset_group.max(1));
        ensure!(
            ic == icg * group && oc % group == 0 && ic % og == 0,
            "DeformConv: channels {ic} do not fit W {ws:?}, group {group}, offset_group {og}"
        );
        ensure!(
            os[1] == og * kh * kw * 2,
            "DeformConv: offset {os:?} does not fit the kernel"
        );
        let dil = self.dilations.clone().unwrap_or_else(|| vec![1, 1]);
        let pads = self.pads.clone().unwrap_or_else(|| vec![0; 4]);
        let st = self.strides.clone().unwrap_or_else(|| vec![1, 1]);
        let x = f64_values(&inputs[0])?;
        let weights = f64_values(&inputs[1])?;
        let offsets = f64_values(&inputs[2])?;
        let bias = match self.bias {
            Some(slot) => f64_values(&inputs[slot])?,
            None => vec![0.0; oc],
        };
        let mask = match self.mask {
            Some(slot) => Some(f64_values(&inputs[slot])?),
            None => None,
        };
        let (taps, cells) = (kh * kw, oh * ow);
        let (ocs_per_group, ics_per_og) = (oc / group, ic / og);
        let mut out = vec![0.0; n * oc * cells];
        // Sampled input per (batch, input channel, tap, output cell), mask applied.
        let mut columns = vec![0.0; ic * taps * cells];
        for b in 0..n {
            for c in 0..ic {
                let g = c / ics_per_og;
                let plane = &x[(b * ic + c) * ih * iw..][..ih * iw];
                for tap in 0..taps {
                    let (ky, kx) = (tap / kw, tap % kw);
                    let offset_at = |axis: usize, cell: usize| {
                        offsets[((b * og + g) * taps * 2 + tap * 2 + axis) * cells + cell]
                    };
                    for i in 0..oh {
                        for j in 0..ow {
                            let cell = i * ow + j;
                            let y = (i * st[0] + ky * dil[0]) as f64 - pads[0] as f64
                                + offset_at(0, cell);
                            let xx = (j * st[1] + kx * dil[1]) as f64 - pads[1] as f64
                                + offset_at(1, cell);
                            let m = mask
                                .as_ref()
                                .map_or(1.0, |m| m[((b * og + g) * taps + tap) * cells + cell]);
                            columns[(c * taps + tap) * cells + cell] =
                                m * sample_zero_padded(plane, ih, iw, y, xx);
                        }
                    }
                }
            }
            for o in 0..oc {
                let g = o / ocs_per_group;
                let row = &mut out[(b * oc + o) * cells..][..cells];
                row.iter_mut().for_each(|v| *v = bias[o]);
                for ci in 0..icg {
                    let c = g * icg + ci;
                    for tap in 0..taps {
                        let wt = weights[(o * icg + ci) * taps + tap];
                        let col = &columns[(c * taps + tap) * cells..][..cells];
                        for (r, v) in row.iter_mut().zip(col) {
                            *r += wt * v;
                        }
                    }
                }
            }
        }
        let out_shape = [n, oc, oh, ow];
        Ok(tvec!(from_f64s(out, &out_shape, inputs[0].datum_type())?))
    }
}
