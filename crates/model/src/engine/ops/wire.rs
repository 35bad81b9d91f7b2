//! Small helpers for wiring tract core ops inside an `Expansion`.

use tract_onnx::tract_core::ops::binary::{BinMiniOp, TypedBinOp};
use tract_onnx::tract_core::ops::cast::cast as cast_op;
use tract_onnx::tract_core::ops::change_axes::wire_with_rank_broadcast;
use tract_onnx::tract_core::ops::nn::{Reduce, Reducer};
use tract_onnx::tract_hir::internal::*;

/// A scalar constant of type `dt` named `{prefix}.{name}`.
pub fn scalar(
    model: &mut TypedModel,
    prefix: &str,
    name: &str,
    value: Tensor,
    dt: DatumType,
) -> TractResult<OutletId> {
    let value = value.cast_to_dt(dt)?.into_owned();
    model.add_const(format!("{prefix}.{name}"), value)
}

/// `wire` with unit axes added in front up to `rank`.
pub fn broadcast_rank(
    model: &mut TypedModel,
    prefix: &str,
    mut wire: OutletId,
    rank: usize,
) -> TractResult<OutletId> {
    for _ in model.outlet_fact(wire)?.rank()..rank {
        let name = model.unique_name(format!("{prefix}.rank"));
        wire = model.wire_node(name, AxisOp::Add(0), &[wire])?[0];
    }
    Ok(wire)
}

/// A binary op with numpy broadcasting of ranks.
pub fn binary(
    model: &mut TypedModel,
    name: &str,
    op: impl Into<Box<dyn TypedOp>>,
    a: OutletId,
    b: OutletId,
) -> TractResult<OutletId> {
    Ok(wire_with_rank_broadcast(name, model, op, &[a, b])?[0])
}

/// A comparison or other mini binary op as a typed op.
pub fn typed(op: Box<dyn BinMiniOp>) -> TypedBinOp {
    TypedBinOp(op, None)
}

/// `wire` converted to `dt`.
pub fn cast(
    model: &mut TypedModel,
    name: &str,
    wire: OutletId,
    dt: DatumType,
) -> TractResult<OutletId> {
    Ok(model.wire_node(name, cast_op(dt), &[wire])?[0])
}

/// The sum of every element, as a rank-0 tensor.
pub fn sum_all(model: &mut TypedModel, name: &str, wire: OutletId) -> TractResult<OutletId> {
    reduce_axes(model, name, wire, Reducer::Sum, &[], false)
}

/// Reduces `axes` (every axis when empty) with `reducer`, keeping them as unit axes or not.
pub fn reduce_axes(
    model: &mut TypedModel,
    name: &str,
    wire: OutletId,
    reducer: Reducer,
    axes: &[usize],
    keep_dims: bool,
) -> TractResult<OutletId> {
    let rank = model.outlet_fact(wire)?.rank();
    let axes: TVec<usize> = if axes.is_empty() {
        (0..rank).collect()
    } else {
        axes.into()
    };
    let mut out = model.wire_node(name, Reduce::new(axes.clone(), reducer), &[wire])?[0];
    if !keep_dims {
        for (i, axis) in axes.iter().rev().enumerate() {
            out = model.wire_node(format!("{name}.rm{i}"), AxisOp::Rm(*axis), &[out])?[0];
        }
    }
    Ok(out)
}

/// The elements of an integer tensor as `i64`s.
pub fn i64_values(tensor: &Tensor) -> TractResult<Vec<i64>> {
    let cast = tensor.cast_to::<i64>()?;
    let values = cast.to_plain_array_view::<i64>()?.iter().copied().collect();
    Ok(values)
}
