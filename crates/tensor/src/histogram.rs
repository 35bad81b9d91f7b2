//! Fixed-edge histograms of finite values, binned exactly as `numpy.histogram` bins.

use crate::Moments;
use serde::Serialize;

/// Histograms that cannot be merged because their edges differ.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("histograms have different edges ({left_bins} bins over [{left_lo}, {left_hi}] vs {right_bins} over [{right_lo}, {right_hi}])")]
pub struct HistogramError {
    left_bins: usize,
    left_lo: f64,
    left_hi: f64,
    right_bins: usize,
    right_lo: f64,
    right_hi: f64,
}

/// Counts of finite values in equal-width bins; `edges` has one more entry than `counts`.
/// The last bin is closed on the right, every other half-open, as in numpy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Histogram {
    /// Bin edges, ascending.
    pub edges: Vec<f64>,
    /// Number of values in each bin.
    pub counts: Vec<u64>,
}

impl Histogram {
    /// An empty histogram with `bins` equal bins over `[lo, hi]`; a degenerate range
    /// `lo == hi` becomes `[lo - 0.5, hi + 0.5]` as numpy makes it. Edges are computed as
    /// `numpy.linspace` computes them, so bin membership matches numpy exactly.
    pub fn with_range(lo: f64, hi: f64, bins: usize) -> Histogram {
        let bins = bins.max(1);
        let (lo, hi) = if lo == hi {
            (lo - 0.5, hi + 0.5)
        } else {
            (lo, hi)
        };
        let step = (hi - lo) / bins as f64;
        let mut edges: Vec<f64> = (0..=bins).map(|i| i as f64 * step + lo).collect();
        edges[bins] = hi;
        Histogram {
            edges,
            counts: vec![0; bins],
        }
    }

    /// An empty histogram over the finite range the moments found; no bins at all when
    /// there were no finite values.
    pub fn over_range_of(moments: &Moments, bins: usize) -> Histogram {
        match (moments.min(), moments.max()) {
            (Some(lo), Some(hi)) => Histogram::with_range(lo, hi, bins),
            _ => Histogram {
                edges: Vec::new(),
                counts: Vec::new(),
            },
        }
    }

    /// Number of bins.
    pub fn bins(&self) -> usize {
        self.counts.len()
    }

    /// Counts each finite value inside the range; values outside it and non-finite values
    /// are ignored.
    pub fn add_all(&mut self, values: impl IntoIterator<Item = f64>) {
        let bins = self.bins();
        if bins == 0 {
            return;
        }
        let lo = self.edges[0];
        let hi = self.edges[bins];
        let scale = bins as f64 / (hi - lo);
        for value in values {
            if !(value >= lo && value <= hi) {
                continue;
            }
            let mut index = (((value - lo) * scale) as usize).min(bins - 1);
            // Rounding in the scaled index can land one bin off; the edges decide, as in numpy.
            if value < self.edges[index] {
                index -= 1;
            } else if value >= self.edges[index + 1] && index + 1 < bins {
                index += 1;
            }
            self.counts[index] += 1;
        }
    }

    /// Adds the counts of a histogram with identical edges.
    pub fn merge(&mut self, other: &Histogram) -> Result<(), HistogramError> {
        if other.counts.is_empty() {
            return Ok(());
        }
        if self.counts.is_empty() {
            *self = other.clone();
            return Ok(());
        }
        if self.edges != other.edges {
            return Err(HistogramError {
                left_bins: self.bins(),
                left_lo: self.edges[0],
                left_hi: self.edges[self.bins()],
                right_bins: other.bins(),
                right_lo: other.edges[0],
                right_hi: other.edges[other.bins()],
            });
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        Ok(())
    }

    /// Total number of values counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}
