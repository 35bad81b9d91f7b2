//! Linear algebra tract lacks: `Det` (determinant of the last two axes, by LU decomposition
//! with partial pivoting in double precision).

use super::kernel::{f64_values, from_f64s, kernel, Kernel};
use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

/// `Det(X)`: X is `[..., M, M]`, the result `[...]`.
pub fn det(
    _ctx: &ParsingContext,
    _node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    kernel(Det)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Det;

impl Kernel for Det {
    const NAME: &'static str = "Det";

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        s.equals(&outputs[0].datum_type, &inputs[0].datum_type)?;
        s.equals(&inputs[0].rank, outputs[0].rank.bex() + 2)
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let shape = &inputs[0].shape;
        ensure!(
            shape.rank() >= 2,
            "Det needs a matrix or a batch of matrices"
        );
        let batch: TVec<TDim> = shape.iter().take(shape.rank() - 2).cloned().collect();
        Ok(tvec!(inputs[0].datum_type.fact(batch)))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = &inputs[0];
        let shape = input.shape();
        let n = shape[shape.len() - 1];
        ensure!(
            shape[shape.len() - 2] == n,
            "Det needs square matrices, got {shape:?}"
        );
        let values = f64_values(input)?;
        let batch = &shape[..shape.len() - 2];
        let dets = if n == 0 {
            vec![1.0; batch.iter().product()]
        } else {
            values
                .chunks(n * n)
                .map(|m| determinant(m.to_vec(), n))
                .collect()
        };
        Ok(tvec!(from_f64s(dets, batch, input.datum_type())?))
    }
}

/// Determinant of the row-major `n`×`n` matrix `a`.
fn determinant(mut a: Vec<f64>, n: usize) -> f64 {
    let mut det = 1.0;
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))
            .unwrap_or(col);
        if a[pivot * n + col] == 0.0 {
            return 0.0;
        }
        if pivot != col {
            for k in 0..n {
                a.swap(pivot * n + k, col * n + k);
            }
            det = -det;
        }
        let p = a[col * n + col];
        det *= p;
        for row in col + 1..n {
            let factor = a[row * n + col] / p;
            for k in col..n {
                a[row * n + k] -= factor * a[col * n + k];
            }
        }
    }
    det
}

#[cfg(test)]
mod tests {
    use super::determinant;

    #[test]
    fn determinants_of_known_matrices() {
        assert_eq!(determinant(vec![2.0], 1), 2.0);
        assert!((determinant(vec![1.0, 2.0, 3.0, 4.0], 2) + 2.0).abs() < 1e-12);
        // Needs a row swap: the first pivot is zero.
        assert!((determinant(vec![0.0, 1.0, 1.0, 0.0], 2) + 1.0).abs() < 1e-12);
        let m = vec![6.0, 1.0, 1.0, 4.0, -2.0, 5.0, 2.0, 8.0, 7.0];
        assert!((determinant(m, 3) + 306.0).abs() < 1e-9);
        assert_eq!(determinant(vec![1.0, 2.0, 2.0, 4.0], 2), 0.0);
    }
}
