//! Training losses met when a model is exported with its loss head:
//! `NegativeLogLikelihoodLoss` and `SoftmaxCrossEntropyLoss` (opset 12+), wired from tract's
//! `GatherElements`, `Gather`, `Softmax` (log kind), comparisons and a sum reduction.

use super::wire;
use tract_onnx::model::{optional_inputs, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_core::ops::array::{Gather, GatherElements};
use tract_onnx::tract_core::ops::nn::{Softmax, SoftmaxKind};
use tract_onnx::tract_hir::internal::*;

/// How the per-element losses are combined (`reduction` attribute).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Reduction {
    None,
    Sum,
    Mean,
}

impl Reduction {
    fn from_node(node: &NodeProto) -> TractResult<Reduction> {
        Ok(
            match node.get_attr_opt::<&str>("reduction")?.unwrap_or("mean") {
                "none" => Reduction::None,
                "sum" => Reduction::Sum,
                "mean" => Reduction::Mean,
                other => bail!("unknown reduction `{other}`"),
            },
        )
    }
}

/// The options both losses share.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct LossSpec {
    reduction: Reduction,
    ignore_index: Option<i64>,
    has_weight: bool,
}

impl LossSpec {
    fn from_node(node: &NodeProto) -> TractResult<LossSpec> {
        Ok(LossSpec {
            reduction: Reduction::from_node(node)?,
            ignore_index: node.get_attr_opt("ignore_index")?,
            has_weight: optional_inputs(node).nth(2).flatten().is_some(),
        })
    }

    fn input_count(&self) -> usize {
        2 + usize::from(self.has_weight)
    }

    /// Shape and type rules for the loss output (`outputs[0]`).
    fn loss_rules<'r, 'p: 'r>(
        &self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        s.equals(&outputs[0].datum_type, &inputs[0].datum_type)?;
        if self.reduction == Reduction::None {
            s.equals(&outputs[0].shape, &inputs[1].shape)?;
        } else {
            s.equals(&outputs[0].rank, 0)?;
        }
        Ok(())
    }

    /// Wires the loss of log-probabilities `log_prob` (N, C, d...) against `target` (N, d...).
    fn wire_loss(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        log_prob: OutletId,
        target: OutletId,
        weight: Option<OutletId>,
    ) -> TractResult<OutletId> {
        let dt = model.outlet_fact(log_prob)?.datum_type;
        let target_dt = model.outlet_fact(target)?.datum_type;
        let rank = model.outlet_fact(target)?.rank();
        // Ignored targets index class 0 and get a zero weight.
        let (index, kept) = match self.ignore_index {
            Some(ignored) => {
                let ignored = wire::scalar(model, prefix, "ignored", tensor0(ignored), target_dt)?;
                let kept = wire::binary(
                    model,
                    &format!("{prefix}.kept"),
                    wire::typed(tract_onnx::tract_core::ops::logic::comp_ne()),
                    target,
                    ignored,
                )?;
                let zero = wire::scalar(model, prefix, "zero_index", tensor0(0i64), target_dt)?;
                let zero = wire::broadcast_rank(model, prefix, zero, rank)?;
                let index = model.wire_node(
                    format!("{prefix}.safe_target"),
                    tract_onnx::tract_core::ops::logic::Iff,
                    &[kept, target, zero],
                )?[0];
                (index, Some(kept))
            }
            None => (target, None),
        };
        let picked_index =
            model.wire_node(format!("{prefix}.class_axis"), AxisOp::Add(1), &[index])?;
        let picked = model.wire_node(
            format!("{prefix}.pick"),
            GatherElements { axis: 1 },
            &[log_prob, picked_index[0]],
        )?;
        let picked = model.wire_node(format!("{prefix}.picked"), AxisOp::Rm(1), &picked)?[0];
        let mut element_weight = match weight {
            Some(weight) => Some(
                model.wire_node(
                    format!("{prefix}.class_weight"),
                    Gather {
                        axis: 0,
                        output_type: None,
                    },
                    &[weight, index],
                )?[0],
            ),
            None => None,
        };
        if let Some(kept) = kept {
            let kept = wire::cast(model, &format!("{prefix}.kept_weight"), kept, dt)?;
            element_weight = Some(match element_weight {
                Some(w) => wire::binary(
                    model,
                    &format!("{prefix}.masked_weight"),
                    tract_onnx::tract_core::ops::math::mul(),
                    w,
                    kept,
                )?,
                None => kept,
            });
        }
        let negated = model.wire_node(
            format!("{prefix}.negated"),
            tract_onnx::tract_core::ops::math::neg(),
            &[picked],
        )?[0];
        let losses = match element_weight {
            Some(w) => wire::binary(
                model,
                &format!("{prefix}.weighted"),
                tract_onnx::tract_core::ops::math::mul(),
                negated,
                w,
            )?,
            None => negated,
        };
        match self.reduction {
            Reduction::None => Ok(losses),
            Reduction::Sum => wire::sum_all(model, &format!("{prefix}.sum"), losses),
            Reduction::Mean => {
                let total = wire::sum_all(model, &format!("{prefix}.sum"), losses)?;
                let count = match element_weight {
                    Some(w) => wire::sum_all(model, &format!("{prefix}.weight_sum"), w)?,
                    None => {
                        let shape = model.outlet_fact(losses)?.shape.clone();
                        let count = shape.iter().product::<TDim>().to_i64()?;
                        wire::scalar(model, prefix, "count", tensor0(count as f64), dt)?
                    }
                };
                wire::binary(
                    model,
                    &format!("{prefix}.mean"),
                    tract_onnx::tract_core::ops::math::div(),
                    total,
                    count,
                )
            }
        }
    }
}

/// `NegativeLogLikelihoodLoss(input, target[, weight])`.
pub fn negative_log_likelihood_loss(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    Ok((expand(NllLoss(LossSpec::from_node(node)?)), vec![]))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct NllLoss(LossSpec);

impl Expansion for NllLoss {
    fn name(&self) -> StaticName {
        "NegativeLogLikelihoodLoss".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, self.0.input_count())?;
        check_output_arity(outputs, 1)?;
        self.0.loss_rules(s, inputs, outputs)
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let loss = self
            .0
            .wire_loss(prefix, model, inputs[0], inputs[1], inputs.get(2).copied())?;
        Ok(tvec!(loss))
    }
}

/// `SoftmaxCrossEntropyLoss(scores, labels[, weights]) -> (loss[, log_prob])`.
pub fn softmax_cross_entropy_loss(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let with_log_prob = node.output.get(1).is_some_and(|o| !o.is_empty());
    Ok((
        expand(SoftmaxCrossEntropy {
            spec: LossSpec::from_node(node)?,
            with_log_prob,
        }),
        vec![],
    ))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct SoftmaxCrossEntropy {
    spec: LossSpec,
    with_log_prob: bool,
}

impl Expansion for SoftmaxCrossEntropy {
    fn name(&self) -> StaticName {
        "SoftmaxCrossEntropyLoss".into()
    }

    fn nboutputs(&self) -> TractResult<usize> {
        Ok(1 + usize::from(self.with_log_prob))
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, self.spec.input_count())?;
        check_output_arity(outputs, 1 + usize::from(self.with_log_prob))?;
        self.spec.loss_rules(s, inputs, outputs)?;
        if self.with_log_prob {
            s.equals(&outputs[1].datum_type, &inputs[0].datum_type)?;
            s.equals(&outputs[1].shape, &inputs[0].shape)?;
        }
        Ok(())
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let log_prob = model.wire_node(
            format!("{prefix}.log_softmax"),
            Softmax {
                axes: tvec!(1),
                quant_output_dt: None,
                kind: SoftmaxKind::LogSoftmax,
            },
            &[inputs[0]],
        )?[0];
        let loss =
            self.spec
                .wire_loss(prefix, model, log_prob, inputs[1], inputs.get(2).copied())?;
        let mut outputs = tvec!(loss);
        if self.with_log_prob {
            outputs.push(log_prob);
        }
        Ok(outputs)
    }
}
