//! Intensity histograms that merge: one small fixed histogram per sample, and the dataset's
//! histogram summed from them.
//!
//! Per sample ([`SampleHistogram::of`]): integer dtypes up to 16 bits use their natural range,
//! so every sample of one dtype has the same edges — `uint8`/`int8` 256 unit bins
//! (`[0, 256)`, `[-128, 128)`), `uint16`/`int16` 256 bins of width 256 over the type's range,
//! `bool` 2 unit bins over `[0, 2)`. Every other dtype (floats, 32/64-bit integers) uses
//! [`FLOAT_BINS`] bins over the sample's own finite `[min, max]`, as `numpy.histogram(x, bins)`
//! bins. Bin membership is numpy's (edges as `numpy.linspace`, last bin closed).
//!
//! Dataset ([`DatasetHistogram::of`]): when every sample has the same edges, the counts are
//! summed and the result is exact (`exact: true`; a set of `uint8` images gives
//! `numpy.histogram(all_values, 256, (0, 256))` exactly). Otherwise each sample's bins are
//! spread over [`DATASET_BINS`] bins over the union of the samples' occupied bins, each bin's count
//! split in proportion to its overlap with the target bins (values assumed uniform inside a
//! bin): the total count stays exact, the shape is approximate within one source bin
//! (`exact: false`). Both are functions of the sorted records, so merged shards equal one run.

use glassbox_run::Array;
use glassbox_tensor::{DType, Histogram};
use serde::{Deserialize, Serialize};

/// Bins of a float (or wide integer) sample's histogram over its own range.
pub const FLOAT_BINS: usize = 64;
/// Bins of the dataset histogram when the samples' edges differ.
pub const DATASET_BINS: usize = 256;

/// A sample's histogram: `counts.len()` equal bins over `[lo, hi]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleHistogram {
    /// Left edge of the first bin.
    pub lo: f64,
    /// Right edge of the last bin.
    pub hi: f64,
    /// Finite values per bin.
    pub counts: Vec<u64>,
}

/// The histogram over every finite value of every sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetHistogram {
    /// Bin edges, ascending (one more than `counts`).
    pub edges: Vec<f64>,
    /// Values per bin; whole numbers when `exact`, shares of split bins otherwise.
    pub counts: Vec<f64>,
    /// Whether all samples had the same edges, so the counts are exact.
    pub exact: bool,
}

/// The fixed range and bin count of an integer dtype's histogram; `None` for the others.
fn natural_range(dtype: DType) -> Option<(f64, f64, usize)> {
    Some(match dtype {
        DType::Bool => (0.0, 2.0, 2),
        DType::U8 => (0.0, 256.0, 256),
        DType::I8 => (-128.0, 128.0, 256),
        DType::U16 => (0.0, 65536.0, 256),
        DType::I16 => (-32768.0, 32768.0, 256),
        _ => return None,
    })
}

impl SampleHistogram {
    /// The histogram of an array's finite values (see the module docs for the bins).
    pub fn of(array: &Array, min: Option<f64>, max: Option<f64>) -> SampleHistogram {
        let mut histogram = match (natural_range(array.dtype), min, max) {
            (Some((lo, hi, bins)), _, _) => Histogram::with_range(lo, hi, bins),
            (None, Some(lo), Some(hi)) => Histogram::with_range(lo, hi, FLOAT_BINS),
            (None, _, _) => {
                return SampleHistogram {
                    lo: 0.0,
                    hi: 0.0,
                    counts: Vec::new(),
                }
            }
        };
        let mut values = Vec::with_capacity(4096);
        glassbox_tensor::for_each_le_value(array.dtype, &array.bytes, |v| {
            values.push(v);
            if values.len() == 4096 {
                histogram.add_all(values.drain(..));
            }
        });
        histogram.add_all(values);
        SampleHistogram::from_histogram(&histogram)
    }

    fn from_histogram(histogram: &Histogram) -> SampleHistogram {
        let bins = histogram.bins();
        SampleHistogram {
            lo: histogram.edges.first().copied().unwrap_or(0.0),
            hi: histogram.edges.get(bins).copied().unwrap_or(0.0),
            counts: histogram.counts.clone(),
        }
    }

    /// From the left edge of the first non-empty bin to the right edge of the last one.
    pub fn occupied(&self) -> Option<(f64, f64)> {
        let first = self.counts.iter().position(|&n| n > 0)?;
        let last = self.counts.iter().rposition(|&n| n > 0)?;
        let edges = self.edges();
        Some((edges[first], edges[last + 1]))
    }

    /// The bin edges, computed as [`Histogram::with_range`] computes them.
    pub fn edges(&self) -> Vec<f64> {
        if self.counts.is_empty() {
            return Vec::new();
        }
        Histogram::with_range(self.lo, self.hi, self.counts.len()).edges
    }
}

impl DatasetHistogram {
    /// The dataset's histogram from the samples' (see the module docs for what is exact).
    pub fn of<'a>(samples: impl IntoIterator<Item = &'a SampleHistogram>) -> DatasetHistogram {
        let samples: Vec<&SampleHistogram> = samples
            .into_iter()
            .filter(|h| !h.counts.is_empty())
            .collect();
        let Some(first) = samples.first() else {
            return DatasetHistogram {
                edges: Vec::new(),
                counts: Vec::new(),
                exact: true,
            };
        };
        let same = samples
            .iter()
            .all(|h| h.lo == first.lo && h.hi == first.hi && h.counts.len() == first.counts.len());
        if same {
            let mut counts = vec![0u64; first.counts.len()];
            for h in &samples {
                for (total, n) in counts.iter_mut().zip(&h.counts) {
                    *total += n;
                }
            }
            return DatasetHistogram {
                edges: first.edges(),
                counts: counts.into_iter().map(|n| n as f64).collect(),
                exact: true,
            };
        }
        // Over the occupied span only: an int16 volume's natural range would squeeze uint8
        // images into one bin.
        let spans: Vec<(f64, f64)> = samples.iter().filter_map(|h| h.occupied()).collect();
        let lo = spans.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
        let hi = spans.iter().map(|s| s.1).fold(f64::NEG_INFINITY, f64::max);
        if lo.is_nan() || hi.is_nan() || lo > hi || spans.is_empty() {
            return DatasetHistogram {
                edges: Vec::new(),
                counts: Vec::new(),
                exact: false,
            };
        }
        let edges = Histogram::with_range(lo, hi, DATASET_BINS).edges;
        let mut counts = vec![0.0; DATASET_BINS];
        for h in &samples {
            rebin(h, &edges, &mut counts);
        }
        DatasetHistogram {
            edges,
            counts,
            exact: false,
        }
    }
}

/// Adds `source`'s counts into the bins of `edges`, each source bin split by overlap.
fn rebin(source: &SampleHistogram, edges: &[f64], counts: &mut [f64]) {
    let (lo, hi) = (edges[0], edges[edges.len() - 1]);
    let width = (hi - lo) / counts.len() as f64;
    let source_edges = source.edges();
    for (i, &n) in source.counts.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let (a, b) = (source_edges[i], source_edges[i + 1]);
        let target = |x: f64| (((x - lo) / width).floor().max(0.0) as usize).min(counts.len() - 1);
        let (first, last) = (target(a), target(b));
        if first == last || b <= a {
            counts[first] += n as f64;
            continue;
        }
        for (j, slot) in counts.iter_mut().enumerate().take(last + 1).skip(first) {
            let overlap = b.min(edges[j + 1]) - a.max(edges[j]);
            if overlap > 0.0 {
                *slot += n as f64 * overlap / (b - a);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array(dtype: DType, bytes: Vec<u8>) -> Array {
        let n = bytes.len() / dtype.size_bytes();
        Array {
            dtype,
            shape: vec![n],
            bytes,
        }
    }

    #[test]
    fn uint8_samples_sum_exactly_over_unit_bins() {
        let a = SampleHistogram::of(&array(DType::U8, vec![0, 255, 255, 7]), None, None);
        let b = SampleHistogram::of(&array(DType::U8, vec![7, 8]), None, None);
        assert_eq!(a.counts.len(), 256);
        assert_eq!((a.counts[0], a.counts[7], a.counts[255]), (1, 1, 2));
        let set = DatasetHistogram::of([&a, &b]);
        assert!(set.exact);
        assert_eq!(set.edges[..3], [0.0, 1.0, 2.0]);
        assert_eq!(
            (set.counts[7], set.counts[8], set.counts[255]),
            (2.0, 1.0, 2.0)
        );
    }

    #[test]
    fn different_edges_rebin_keeping_the_total() {
        let floats: Vec<u8> = [0.0f32, 0.5, 1.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let f = SampleHistogram::of(&array(DType::F32, floats), Some(0.0), Some(1.0));
        assert_eq!(f.counts.len(), FLOAT_BINS);
        let u = SampleHistogram::of(&array(DType::U8, vec![10, 200]), None, None);
        let set = DatasetHistogram::of([&f, &u]);
        assert!(!set.exact);
        assert_eq!(set.edges.len(), DATASET_BINS + 1);
        assert!((set.counts.iter().sum::<f64>() - 5.0).abs() < 1e-9);
        // Over the occupied span [0, 201]: the floats' bins (width 1/64) fall in the first
        // target bins (width 201/256), uint8 200's bin [200, 201] in the last two.
        assert_eq!((set.edges[0], set.edges[DATASET_BINS]), (0.0, 201.0));
        assert!((set.counts[0] + set.counts[1] - 3.0).abs() < 1e-9);
        assert!((set.counts[254] + set.counts[255] - 1.0).abs() < 1e-9);
    }
}
