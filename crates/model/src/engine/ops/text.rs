//! `TfIdfVectorizer` over integer token ids: n-gram counts (with skips) weighted by TF, IDF or
//! TF-IDF, one row of `max(ngram_indexes) + 1` floats per input row.

use super::kernel::{kernel, Kernel};
use std::collections::HashMap;
use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

/// `TfIdfVectorizer(X)`; string pools are refused (glassbox's engine holds numbers).
pub fn tfidf_vectorizer(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let mode: String = node.get_attr("mode")?;
    let mode = match mode.as_str() {
        "TF" => Weighting::Tf,
        "IDF" => Weighting::Idf,
        "TFIDF" => Weighting::TfIdf,
        other => bail!("TfIdfVectorizer: unknown mode `{other}`"),
    };
    let pool: Vec<i64> = node.get_attr_opt_vec("pool_int64s")?.unwrap_or_default();
    ensure!(
        !pool.is_empty() || node.get_attr_opt_vec::<String>("pool_strings")?.is_none(),
        "TfIdfVectorizer: string pools are not supported"
    );
    let weights: Vec<f32> = node.get_attr_opt_vec("weights")?.unwrap_or_default();
    kernel(TfIdfVectorizer {
        mode,
        min_gram: node.get_attr("min_gram_length")?,
        max_gram: node.get_attr("max_gram_length")?,
        max_skip: node.get_attr("max_skip_count")?,
        ngram_counts: node.get_attr_vec("ngram_counts")?,
        ngram_indexes: node.get_attr_vec("ngram_indexes")?,
        pool,
        weight_bits: weights.iter().map(|w| w.to_bits()).collect(),
    })
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum Weighting {
    Tf,
    Idf,
    TfIdf,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct TfIdfVectorizer {
    mode: Weighting,
    min_gram: usize,
    max_gram: usize,
    max_skip: usize,
    /// Start of the n-grams of size `i + 1` in the pool.
    ngram_counts: Vec<usize>,
    /// Output column of the i-th n-gram of the pool.
    ngram_indexes: Vec<usize>,
    pool: Vec<i64>,
    weight_bits: Vec<u32>,
}

impl TfIdfVectorizer {
    fn width(&self) -> usize {
        self.ngram_indexes.iter().max().map_or(0, |m| m + 1)
    }

    /// Pool n-grams of the counted sizes, to their output column.
    fn grams(&self) -> HashMap<&[i64], usize> {
        let mut grams = HashMap::new();
        let mut id = 0;
        for (i, &start) in self.ngram_counts.iter().enumerate() {
            let size = i + 1;
            let end = self
                .ngram_counts
                .get(i + 1)
                .copied()
                .unwrap_or(self.pool.len());
            for gram in self.pool[start.min(end)..end].chunks_exact(size) {
                if (self.min_gram..=self.max_gram).contains(&size) {
                    if let Some(&column) = self.ngram_indexes.get(id) {
                        grams.insert(gram, column);
                    }
                }
                id += 1;
            }
        }
        grams
    }

    /// Counts per output column of one row: every n-gram of a counted size whose items are
    /// `skip + 1` apart, for every skip up to `max_skip` (unigrams once).
    fn count_row(&self, row: &[i64], grams: &HashMap<&[i64], usize>, counts: &mut [f32]) {
        let mut gram = Vec::with_capacity(self.max_gram);
        for distance in 1..=self.max_skip + 1 {
            let min = if distance > 1 {
                self.min_gram.max(2)
            } else {
                self.min_gram
            };
            for start in 0..row.len() {
                gram.clear();
                for size in 1..=self.max_gram {
                    let Some(&item) = row.get(start + (size - 1) * distance) else {
                        break;
                    };
                    gram.push(item);
                    if size >= min {
                        if let Some(&column) = grams.get(gram.as_slice()) {
                            counts[column] += 1.0;
                        }
                    }
                }
            }
        }
    }
}

impl Kernel for TfIdfVectorizer {
    const NAME: &'static str = "TfIdfVectorizer";

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        s.equals(&outputs[0].datum_type, f32::datum_type())
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let shape: TVec<TDim> = match inputs[0].rank() {
            0 | 1 => tvec![self.width().to_dim()],
            2 => tvec![inputs[0].shape[0].clone(), self.width().to_dim()],
            r => bail!("TfIdfVectorizer: input must be [C] or [B, C], got rank {r}"),
        };
        Ok(tvec!(f32::fact(shape)))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let shape = inputs[0].shape().to_vec();
        let tokens = super::wire::i64_values(&inputs[0])?;
        let (rows, columns) = match shape.len() {
            0 => (1, 1),
            1 => (1, shape[0]),
            _ => (shape[0], shape[1]),
        };
        let width = self.width();
        let grams = self.grams();
        let mut counts = vec![0.0f32; rows * width];
        if columns > 0 {
            for (row, out) in tokens.chunks(columns).zip(counts.chunks_mut(width)) {
                self.count_row(row, &grams, out);
            }
        }
        let weights: Vec<f32> = self
            .weight_bits
            .iter()
            .map(|&b| f32::from_bits(b))
            .collect();
        for row in counts.chunks_mut(width.max(1)) {
            for (i, value) in row.iter_mut().enumerate() {
                let weight = weights.get(i).copied().unwrap_or(1.0);
                *value = match self.mode {
                    Weighting::Tf => *value,
                    Weighting::Idf if *value > 0.0 => weight,
                    Weighting::Idf => 0.0,
                    Weighting::TfIdf => weight * *value,
                };
            }
        }
        let out_shape: Vec<usize> = if shape.len() == 2 {
            vec![rows, width]
        } else {
            vec![width]
        };
        Ok(tvec!(Tensor::from_shape(&out_shape, &counts)?.into_tvalue()))
    }
}
