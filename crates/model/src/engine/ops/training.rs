//! The optimizer steps of the `ai.onnx.preview.training` domain: `Adagrad`, `Momentum`
//! (standard and Nesterov) and `Adam`. Inputs are `R` (learning rate), `T` (step count), then
//! `n` tensors each of X, G and every state; outputs the updated X, then the updated states.

use super::kernel::{f64_values, from_f64s, kernel, Kernel};
use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

/// An `f32` attribute stored by its bits, so the op can derive `Hash` and `Eq`.
fn attr(node: &NodeProto, name: &str, default: Option<f32>) -> TractResult<u32> {
    let value = match default {
        Some(d) => node.get_attr_opt::<f32>(name)?.unwrap_or(d),
        None => node.get_attr::<f32>(name)?,
    };
    Ok(value.to_bits())
}

/// `Adagrad(R, T, X..., G..., H...)`.
pub fn adagrad(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let rule = Rule::Adagrad {
        decay: attr(node, "decay_factor", Some(0.0))?,
        epsilon: attr(node, "epsilon", Some(1e-6))?,
        norm: attr(node, "norm_coefficient", Some(0.0))?,
    };
    optimizer(node, rule)
}

/// `Momentum(R, T, X..., G..., V...)` with `mode` `standard` or `nesterov`.
pub fn momentum(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let mode: String = node.get_attr("mode")?;
    let rule = Rule::Momentum {
        alpha: attr(node, "alpha", None)?,
        beta: attr(node, "beta", None)?,
        norm: attr(node, "norm_coefficient", None)?,
        nesterov: mode == "nesterov",
    };
    optimizer(node, rule)
}

/// `Adam(R, T, X..., G..., V..., H...)`.
pub fn adam(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let rule = Rule::Adam {
        alpha: attr(node, "alpha", Some(0.9))?,
        beta: attr(node, "beta", Some(0.999))?,
        epsilon: attr(node, "epsilon", Some(1e-6))?,
        norm: attr(node, "norm_coefficient", Some(0.0))?,
        norm_post: attr(node, "norm_coefficient_post", Some(0.0))?,
    };
    optimizer(node, rule)
}

fn optimizer(node: &NodeProto, rule: Rule) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let per_tensor = 2 + rule.states();
    let inputs = node.input.len();
    ensure!(
        inputs > 2 && (inputs - 2).is_multiple_of(per_tensor),
        "{}: expected R, T and {per_tensor} inputs per optimized tensor, got {inputs}",
        node.op_type
    );
    kernel(Optimizer {
        rule,
        tensors: (inputs - 2) / per_tensor,
    })
}

/// The update rule and its attributes (as `f32` bits).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum Rule {
    Adagrad {
        decay: u32,
        epsilon: u32,
        norm: u32,
    },
    Momentum {
        alpha: u32,
        beta: u32,
        norm: u32,
        nesterov: bool,
    },
    Adam {
        alpha: u32,
        beta: u32,
        epsilon: u32,
        norm: u32,
        norm_post: u32,
    },
}

impl Rule {
    fn states(&self) -> usize {
        match self {
            Rule::Adam { .. } => 2,
            _ => 1,
        }
    }

    /// One step for one element: `x`, `g` and the states in, new `x` and states out.
    fn step(&self, r: f64, t: f64, x: f64, g: f64, states: &mut [f64]) -> f64 {
        let f = |bits: u32| f32::from_bits(bits) as f64;
        match *self {
            Rule::Adagrad {
                decay,
                epsilon,
                norm,
            } => {
                let r = r / (1.0 + t * f(decay));
                let g = f(norm) * x + g;
                states[0] += g * g;
                x - r * g / (states[0].sqrt() + f(epsilon))
            }
            Rule::Momentum {
                alpha,
                beta,
                norm,
                nesterov,
            } => {
                let g = f(norm) * x + g;
                let beta = if t > 0.0 { f(beta) } else { 1.0 };
                states[0] = f(alpha) * states[0] + beta * g;
                if nesterov {
                    x - r * (g + f(alpha) * states[0])
                } else {
                    x - r * states[0]
                }
            }
            Rule::Adam {
                alpha,
                beta,
                epsilon,
                norm,
                norm_post,
            } => {
                let (alpha, beta) = (f(alpha), f(beta));
                let g = f(norm) * x + g;
                states[0] = alpha * states[0] + (1.0 - alpha) * g;
                states[1] = beta * states[1] + (1.0 - beta) * g * g;
                let r = if t > 0.0 {
                    r * (1.0 - beta.powf(t)).sqrt() / (1.0 - alpha.powf(t))
                } else {
                    r
                };
                let x = x - r * states[0] / (states[1].sqrt() + f(epsilon));
                (1.0 - f(norm_post)) * x
            }
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Optimizer {
    rule: Rule,
    /// Number of optimized tensors.
    tensors: usize,
}

impl Optimizer {
    /// The input whose type and shape output `slot` has: X for the new X, the state for the
    /// new state (inputs are R, T, X..., G..., states...).
    fn source(&self, slot: usize) -> usize {
        let (group, k) = (slot / self.tensors, slot % self.tensors);
        let input_group = if group == 0 { 0 } else { group + 1 };
        2 + input_group * self.tensors + k
    }
}

impl Kernel for Optimizer {
    const NAME: &'static str = "Optimizer";

    fn outputs(&self) -> usize {
        self.tensors * (1 + self.rule.states())
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        for (slot, output) in outputs.iter().enumerate() {
            let input = &inputs[self.source(slot)];
            s.equals(&output.datum_type, &input.datum_type)?;
            s.equals(&output.shape, &input.shape)?;
        }
        Ok(())
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok((0..self.outputs())
            .map(|slot| inputs[self.source(slot)].without_value())
            .collect())
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let r = f64_values(&inputs[0])?[0];
        let t = f64_values(&inputs[1])?[0];
        let n = self.tensors;
        let states = self.rule.states();
        let mut new_x = TVec::new();
        let mut new_states: Vec<TVec<TValue>> = vec![TVec::new(); states];
        for k in 0..n {
            let x_in = &inputs[2 + k];
            let x = f64_values(x_in)?;
            let g = f64_values(&inputs[2 + n + k])?;
            let mut s: Vec<Vec<f64>> = (0..states)
                .map(|j| f64_values(&inputs[2 + (2 + j) * n + k]))
                .collect::<TractResult<_>>()?;
            let mut xs = Vec::with_capacity(x.len());
            let mut buffer = vec![0.0; states];
            for i in 0..x.len() {
                for j in 0..states {
                    buffer[j] = s[j][i];
                }
                xs.push(self.rule.step(r, t, x[i], g[i], &mut buffer));
                for j in 0..states {
                    s[j][i] = buffer[j];
                }
            }
            new_x.push(from_f64s(xs, x_in.shape(), x_in.datum_type())?);
            for (j, values) in s.into_iter().enumerate() {
                let state_in = &inputs[2 + (2 + j) * n + k];
                new_states[j].push(from_f64s(values, state_in.shape(), state_in.datum_type())?);
            }
        }
        new_x.extend(new_states.into_iter().flatten());
        Ok(new_x)
    }
}
