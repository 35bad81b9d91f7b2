//! Array ops tract lacks: `CenterCropPad` (opset 18) as slices and zero pads around the
//! centre, and `ReverseSequence` (opset 10) as a gather along time with per-batch reversed
//! indices.

use super::wire;
use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_core::ops::array::{GatherElements, MultiBroadcastTo, Pad, PadMode, Slice};
use tract_onnx::tract_core::ops::logic::{comp_lt, Iff};
use tract_onnx::tract_core::ops::math;
use tract_onnx::tract_hir::internal::*;

/// `CenterCropPad(input, shape)`: each listed axis cropped or zero-padded to its target size,
/// centred (the extra element of an odd difference goes to the end).
pub fn center_crop_pad(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let axes = node.get_attr_opt_vec::<i64>("axes")?;
    Ok((expand(CenterCropPad { axes }), vec![]))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct CenterCropPad {
    axes: Option<Vec<i64>>,
}

impl CenterCropPad {
    fn resolved_axes(&self, rank: usize, targets: usize) -> TractResult<Vec<usize>> {
        let axes: Vec<usize> = match &self.axes {
            Some(axes) => axes
                .iter()
                .map(|&a| if a < 0 { a + rank as i64 } else { a } as usize)
                .collect(),
            None => (0..rank).collect(),
        };
        ensure!(
            axes.len() == targets && axes.iter().all(|&a| a < rank),
            "CenterCropPad: {targets} target sizes for axes {axes:?} of a rank {rank} input"
        );
        Ok(axes)
    }
}

impl Expansion for CenterCropPad {
    fn name(&self) -> StaticName {
        "CenterCropPad".into()
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
        s.equals(&outputs[0].rank, &inputs[0].rank)?;
        s.given_2(
            &inputs[0].rank,
            &inputs[1].value,
            move |s, rank, targets| {
                let targets = super::wire::i64_values(&targets)?;
                let axes = self.resolved_axes(rank as usize, targets.len())?;
                for axis in 0..rank as usize {
                    match axes.iter().position(|&a| a == axis) {
                        Some(i) => s.equals(&outputs[0].shape[axis], targets[i].to_dim())?,
                        None => s.equals(&outputs[0].shape[axis], &inputs[0].shape[axis])?,
                    }
                }
                Ok(())
            },
        )
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let fact = model.outlet_fact(inputs[0])?.clone();
        let targets = model
            .outlet_fact(inputs[1])?
            .konst
            .clone()
            .context("CenterCropPad needs its target shape as a constant")?;
        let targets = wire::i64_values(&targets)?;
        let axes = self.resolved_axes(fact.rank(), targets.len())?;
        let mut wire = inputs[0];
        let mut pads = vec![(0usize, 0usize); fact.rank()];
        for (&axis, &target) in axes.iter().zip(&targets) {
            let size = fact.shape[axis].to_i64()?;
            if target < size {
                let start = (size - target) / 2;
                wire = model.wire_node(
                    format!("{prefix}.crop{axis}"),
                    Slice::new(axis, start, start + target),
                    &[wire],
                )?[0];
            } else if target > size {
                let before = (target - size) / 2;
                pads[axis] = (before as usize, (target - size - before) as usize);
            }
        }
        if pads.iter().any(|&(a, b)| a + b > 0) {
            let zero = Tensor::zero_dt(fact.datum_type, &[])?;
            wire = model.wire_node(
                format!("{prefix}.pad"),
                Pad::new(pads, PadMode::Constant(zero.into_arc_tensor())),
                &[wire],
            )?[0];
        }
        Ok(tvec!(wire))
    }
}

/// `ReverseSequence(input, sequence_lens)`: for each batch entry, the first `len` steps
/// along the time axis reversed, the rest kept.
pub fn reverse_sequence(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let batch_axis = node.get_attr_opt::<i64>("batch_axis")?.unwrap_or(1) as usize;
    let time_axis = node.get_attr_opt::<i64>("time_axis")?.unwrap_or(0) as usize;
    ensure!(
        batch_axis != time_axis && batch_axis < 2 && time_axis < 2,
        "ReverseSequence: batch_axis {batch_axis} and time_axis {time_axis} must be 0 and 1"
    );
    Ok((
        expand(ReverseSequence {
            batch_axis,
            time_axis,
        }),
        vec![],
    ))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct ReverseSequence {
    batch_axis: usize,
    time_axis: usize,
}

impl Expansion for ReverseSequence {
    fn name(&self) -> StaticName {
        "ReverseSequence".into()
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
        s.equals(&outputs[0].shape, &inputs[0].shape)
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let fact = model.outlet_fact(inputs[0])?.clone();
        let rank = fact.rank();
        let steps = fact.shape[self.time_axis].to_i64()?;
        // Time indices 0..T laid along the time axis, unit everywhere else.
        let mut time_shape = vec![1usize; rank];
        time_shape[self.time_axis] = steps as usize;
        let time = Tensor::from_shape(&time_shape, &(0..steps).collect::<Vec<i64>>())?;
        let time = model.add_const(format!("{prefix}.time"), time)?;
        // Lengths laid along the batch axis.
        let mut lens = wire::cast(
            model,
            &format!("{prefix}.lens"),
            inputs[1],
            i64::datum_type(),
        )?;
        for axis in (0..rank).filter(|&a| a != self.batch_axis) {
            lens = model.wire_node(
                format!("{prefix}.lens_axis{axis}"),
                AxisOp::Add(axis),
                &[lens],
            )?[0];
        }
        let inside = wire::binary(
            model,
            &format!("{prefix}.inside"),
            wire::typed(comp_lt()),
            time,
            lens,
        )?;
        let one = wire::scalar(model, prefix, "one", tensor0(1i64), i64::datum_type())?;
        let last = wire::binary(model, &format!("{prefix}.last"), math::sub(), lens, one)?;
        let mirrored = wire::binary(
            model,
            &format!("{prefix}.mirrored"),
            math::sub(),
            last,
            time,
        )?;
        let inside = model.wire_node(
            format!("{prefix}.inside_full"),
            MultiBroadcastTo::new(fact.shape.clone()),
            &[inside],
        )?[0];
        let mirrored = model.wire_node(
            format!("{prefix}.mirrored_full"),
            MultiBroadcastTo::new(fact.shape.clone()),
            &[mirrored],
        )?[0];
        let time = model.wire_node(
            format!("{prefix}.time_full"),
            MultiBroadcastTo::new(fact.shape.clone()),
            &[time],
        )?[0];
        let index = model.wire_node(format!("{prefix}.index"), Iff, &[inside, mirrored, time])?[0];
        let out = model.wire_node(
            format!("{prefix}.gather"),
            GatherElements {
                axis: self.time_axis,
            },
            &[inputs[0], index],
        )?;
        Ok(out)
    }
}
