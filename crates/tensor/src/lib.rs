//! Summaries of numeric arrays, with no knowledge of models.
//!
//! [`Summary`] holds what glassbox shows for every weight and activation: element count,
//! min/max/mean/std (population, numerically stable), exact zeros, NaN and ±Inf counts, and a
//! [`Histogram`] of the finite values over `[min, max]`. [`Moments`] are computed in one pass
//! and merge exactly (Chan et al.), so shards of a tensor or of a dataset can be summarised
//! apart and combined; histograms merge exactly when they share their edges (see
//! [`Histogram::merge`]).
//!
//! Elements of any supported [`DType`] are read straight from little-endian bytes, as ONNX,
//! `.npy` and NIfTI store them, so a weight is summarised without first being copied.

mod dtype;
mod histogram;
mod moments;
pub mod render;

pub use dtype::{DType, Element};
pub use histogram::{Histogram, HistogramError};
pub use moments::Moments;

use serde::Serialize;

/// Default number of histogram bins used by glassbox's reports.
pub const DEFAULT_BINS: usize = 32;

/// Statistics and histogram of one array.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// One-pass statistics.
    pub moments: Moments,
    /// Histogram of the finite values over `[min, max]`.
    pub histogram: Histogram,
}

impl Summary {
    /// Summarises typed values: one pass for the moments, one for the histogram over
    /// the `[min, max]` that pass found.
    pub fn of<T: Element>(values: &[T], bins: usize) -> Summary {
        let moments = Moments::of(values.iter().map(|v| v.to_f64()));
        let mut histogram = Histogram::over_range_of(&moments, bins);
        histogram.add_all(values.iter().map(|v| v.to_f64()));
        Summary { moments, histogram }
    }

    /// Summarises little-endian encoded elements of `dtype`. Trailing bytes that do not make
    /// a whole element are ignored; callers check sizes before calling.
    pub fn of_le_bytes(dtype: DType, bytes: &[u8], bins: usize) -> Summary {
        dtype::with_le_values!(dtype, bytes, |values| {
            let moments = Moments::of(values.clone());
            let mut histogram = Histogram::over_range_of(&moments, bins);
            histogram.add_all(values);
            Summary { moments, histogram }
        })
    }

    /// Merges the summary of another part of the same data. The moments merge exactly;
    /// histograms must share edges (build both parts with [`Histogram::with_range`]).
    pub fn merge(&mut self, other: &Summary) -> Result<(), HistogramError> {
        self.histogram.merge(&other.histogram)?;
        self.moments.merge(&other.moments);
        Ok(())
    }
}

/// Calls `visit` with every element of little-endian `bytes` of `dtype`, as f64.
pub fn for_each_le_value(dtype: DType, bytes: &[u8], mut visit: impl FnMut(f64)) {
    dtype::with_le_values!(dtype, bytes, |values| values.for_each(&mut visit))
}
