//! `Unique`: the distinct values (or slices along an axis) of a tensor, with first-occurrence
//! indices, inverse indices and counts. Its output length depends on the values, so it is a
//! symbol bound when the node runs.

use super::kernel::{kernel, Kernel};
use std::cmp::Ordering;
use tract_onnx::model::{optional_outputs, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

/// `Unique(X)` with `axis` (absent: over the flattened tensor) and `sorted` (default 1).
pub fn unique(
    ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let wanted: Vec<bool> = optional_outputs(node)
        .take(4)
        .map(|o| o.is_some())
        .collect();
    kernel(Unique {
        axis: node.get_attr_opt("axis")?,
        sorted: node.get_attr_opt::<i64>("sorted")?.unwrap_or(1) != 0,
        wanted,
        count: ctx.template.symbols.new_with_prefix("unique"),
    })
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Unique {
    axis: Option<i64>,
    sorted: bool,
    /// Which of Y, indices, inverse_indices, counts the node asks for.
    wanted: Vec<bool>,
    /// Number of distinct values or slices.
    count: Symbol,
}

impl Unique {
    fn axis(&self, rank: usize) -> Option<usize> {
        self.axis
            .map(|a| if a < 0 { a + rank as i64 } else { a } as usize)
    }

    /// The four outputs, in order, before dropping those not asked for.
    fn all_facts(&self, input: &TypedFact) -> TVec<TypedFact> {
        let count = self.count.to_dim();
        let (y, inverse) = match self.axis(input.rank()) {
            Some(axis) => {
                let mut shape: TVec<TDim> = input.shape.iter().cloned().collect();
                let along = std::mem::replace(&mut shape[axis], count.clone());
                (shape, along)
            }
            None => (tvec![count.clone()], input.shape.volume()),
        };
        tvec![
            input.datum_type.fact(y),
            i64::fact([count.clone()]),
            i64::fact([inverse]),
            i64::fact([count]),
        ]
    }

    fn eval_t<T: Datum + PartialOrd + Copy>(&self, input: &Tensor) -> TractResult<TVec<TValue>> {
        let shape = input.shape();
        let values = input.to_plain_array_view::<T>()?;
        let values: Vec<T> = values.iter().copied().collect();
        // Slices along the axis (single values when flattened), as (outer, inner) blocks.
        let (len, outer, inner) = match self.axis(shape.len()) {
            Some(axis) => (
                shape[axis],
                shape[..axis].iter().product::<usize>(),
                shape[axis + 1..].iter().product::<usize>(),
            ),
            None => (values.len(), 1, 1),
        };
        let slice = |i: usize| -> Vec<T> {
            (0..outer)
                .flat_map(|o| values[(o * len + i) * inner..][..inner].iter().copied())
                .collect()
        };
        let slices: Vec<Vec<T>> = (0..len).map(slice).collect();
        let compare = |a: &Vec<T>, b: &Vec<T>| -> Ordering {
            a.iter()
                .zip(b)
                .map(|(x, y)| x.partial_cmp(y).unwrap_or(Ordering::Equal))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        };
        // First occurrences, in order of appearance.
        let mut first: Vec<usize> = Vec::new();
        let mut inverse = vec![0usize; len];
        let mut order: Vec<usize> = (0..len).collect();
        order.sort_by(|&a, &b| compare(&slices[a], &slices[b]).then(a.cmp(&b)));
        let mut group_of = vec![0usize; len];
        let mut groups = 0;
        for (i, &index) in order.iter().enumerate() {
            if i > 0 && compare(&slices[order[i - 1]], &slices[index]) != Ordering::Equal {
                groups += 1;
            }
            group_of[index] = groups;
        }
        let groups = if len == 0 { 0 } else { groups + 1 };
        // Rank of each group in the output: sorted order, or order of first appearance.
        let mut rank = vec![usize::MAX; groups];
        if self.sorted {
            for (g, r) in rank.iter_mut().enumerate() {
                *r = g;
            }
            first = vec![usize::MAX; groups];
            for i in 0..len {
                first[group_of[i]] = first[group_of[i]].min(i);
            }
        } else {
            for i in 0..len {
                if rank[group_of[i]] == usize::MAX {
                    rank[group_of[i]] = first.len();
                    first.push(i);
                }
            }
        }
        let mut counts = vec![0i64; groups];
        for i in 0..len {
            let r = rank[group_of[i]];
            inverse[i] = r;
            counts[r] += 1;
        }
        // Y: the first occurrences' slices, put back in the input's layout.
        let mut y = Vec::with_capacity(groups * outer * inner);
        for o in 0..outer {
            for &i in &first {
                y.extend_from_slice(&values[(o * len + i) * inner..][..inner]);
            }
        }
        let y_shape: Vec<usize> = match self.axis(shape.len()) {
            Some(axis) => {
                let mut s = shape.to_vec();
                s[axis] = groups;
                s
            }
            None => vec![groups],
        };
        let as_i64 = |v: &[usize]| v.iter().map(|&x| x as i64).collect::<Vec<_>>();
        let all: [Tensor; 4] = [
            Tensor::from_shape(&y_shape, &y)?,
            Tensor::from_shape(&[groups], &as_i64(&first))?,
            Tensor::from_shape(&[len], &as_i64(&inverse))?,
            Tensor::from_shape(&[groups], &counts)?,
        ];
        Ok(all
            .into_iter()
            .zip(&self.wanted)
            .filter(|(_, w)| **w)
            .map(|(t, _)| t.into_tvalue())
            .collect())
    }
}

impl Kernel for Unique {
    const NAME: &'static str = "Unique";

    fn outputs(&self) -> usize {
        self.wanted.iter().filter(|w| **w).count()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        let mut slot = 0;
        for (kind, wanted) in self.wanted.iter().enumerate() {
            if !wanted {
                continue;
            }
            if kind == 0 {
                s.equals(&outputs[slot].datum_type, &inputs[0].datum_type)?;
            } else {
                s.equals(&outputs[slot].datum_type, i64::datum_type())?;
                s.equals(&outputs[slot].rank, 1)?;
            }
            slot += 1;
        }
        Ok(())
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(self
            .all_facts(inputs[0])
            .into_iter()
            .zip(&self.wanted)
            .filter(|(_, w)| **w)
            .map(|(f, _)| f)
            .collect())
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = &inputs[0];
        dispatch_numbers!(Self::eval_t(input.datum_type())(self, input))
    }

    fn mints_symbols(&self) -> bool {
        true
    }
}

/// `Compress(input, condition)` with `axis` (absent: over the flattened input): the slices
/// whose condition is true. The length is a run-time symbol unless the condition is constant.
pub fn compress(
    ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    kernel(Compress {
        axis: node.get_attr_opt("axis")?,
        count: ctx.template.symbols.new_with_prefix("compressed"),
    })
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Compress {
    axis: Option<i64>,
    /// Number of kept slices, when the condition is only known at run time.
    count: Symbol,
}

impl Compress {
    fn axis(&self, rank: usize) -> Option<usize> {
        self.axis
            .map(|a| if a < 0 { a + rank as i64 } else { a } as usize)
    }
}

/// Indices below `len` whose condition is true.
fn kept(condition: &Tensor, len: usize) -> TractResult<Vec<usize>> {
    let condition = condition.cast_to::<bool>()?;
    let view = condition.to_plain_array_view::<bool>()?;
    Ok(view
        .iter()
        .take(len)
        .enumerate()
        .filter(|(_, &c)| c)
        .map(|(i, _)| i)
        .collect())
}

impl Kernel for Compress {
    const NAME: &'static str = "Compress";

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 2)?;
        s.equals(&outputs[0].datum_type, &inputs[0].datum_type)?;
        if self.axis.is_some() {
            s.equals(&outputs[0].rank, &inputs[0].rank)
        } else {
            s.equals(&outputs[0].rank, 1)
        }
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let axis = self.axis(inputs[0].rank());
        let length = |len: Option<usize>| -> TractResult<TDim> {
            match (&inputs[1].konst, len) {
                (Some(condition), Some(len)) => Ok(kept(condition, len)?.len().to_dim()),
                _ => Ok(self.count.to_dim()),
            }
        };
        let shape: TVec<TDim> = match axis {
            Some(axis) => {
                let mut shape: TVec<TDim> = inputs[0].shape.iter().cloned().collect();
                let along = shape[axis].to_usize().ok();
                shape[axis] = length(along)?;
                shape
            }
            None => tvec![length(inputs[0].shape.volume().to_usize().ok())?],
        };
        Ok(tvec!(inputs[0].datum_type.fact(shape)))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = &inputs[0];
        let (flat, axis) = match self.axis(input.rank()) {
            Some(axis) => (input.clone().into_tensor(), axis),
            None => (input.clone().into_tensor().into_shape(&[input.len()])?, 0),
        };
        let indices = kept(&inputs[1], flat.shape()[axis])?;
        let parts = indices
            .iter()
            .map(|&i| flat.slice(axis, i, i + 1))
            .collect::<TractResult<Vec<_>>>()?;
        let out = if parts.is_empty() {
            let mut shape = flat.shape().to_vec();
            shape[axis] = 0;
            Tensor::zero_dt(flat.datum_type(), &shape)?
        } else {
            Tensor::stack_tensors(axis, &parts)?
        };
        Ok(tvec!(out.into_tvalue()))
    }

    fn mints_symbols(&self) -> bool {
        true
    }
}
