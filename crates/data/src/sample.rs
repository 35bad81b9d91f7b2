//! What the audit records about one sample: format, shape, dtype, statistics with percentiles,
//! saturation, value convention, a hash of the decoded values, and the NIfTI header.

use crate::histogram::SampleHistogram;
use glassbox_run::inputs::{Detail, Loaded, NiftiHeaderFacts};
use glassbox_run::Array;
use glassbox_tensor::{DType, Histogram, Moments};
use serde::{Deserialize, Deserializer, Serialize};

/// One array read from the dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleRecord {
    /// Path relative to the audited folder, `/`-separated.
    pub path: String,
    /// The array's name inside an `.npz` archive (one record per array); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array: Option<String>,
    /// File format: `png`, `jpeg`, `tiff`, `bmp`, `npy`, `npz`, `nifti1`, `nifti2`.
    pub format: String,
    /// Shape as read: images `[H, W, C]`, arrays as numpy loads them, NIfTI `[X, Y, Z, ...]`.
    pub shape: Vec<usize>,
    /// Element type as read (`uint8`, `float32`, ...); scaled NIfTI volumes are `float32`.
    pub dtype: String,
    /// Channels per pixel, for images.
    pub channels: Option<usize>,
    /// Value statistics.
    pub stats: SampleStats,
    /// Fractions of values at the dtype's minimum and maximum (integer dtypes only).
    pub saturation: Option<Saturation>,
    /// Whether every value is the same (or there are no finite values).
    pub constant: bool,
    /// Which value range the sample follows: `[0,1]`, `[-1,1]`, `[0,255]`, `[0,65535]`,
    /// `other` or `empty` (see [`convention`]).
    pub convention: String,
    /// BLAKE3 of dtype, shape and decoded little-endian values, hex: equal for exact duplicates.
    pub hash: String,
    /// Histogram of the finite values, mergeable over the set (see [`crate::histogram`]).
    pub histogram: SampleHistogram,
    /// The NIfTI header, for NIfTI volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<NiftiHeader>,
    /// Image-quality facts, for 2-D pictures (see [`crate::image`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<crate::image::ImageFeatures>,
    /// Blocks holding bright, sharp-edged pixels, for 2-D images (see [`crate::marks`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marks: Option<crate::marks::MarkGrid>,
    /// Blocks holding dark, sharp-edged pixels, for 2-D images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dark_marks: Option<crate::marks::MarkGrid>,
}

/// Statistics of one sample's values. Mean, std and percentiles are over finite values;
/// std is the population standard deviation (numpy's default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleStats {
    /// Number of values.
    pub count: u64,
    /// Smallest finite value.
    pub min: Option<f64>,
    /// Largest finite value.
    pub max: Option<f64>,
    /// Mean of the finite values.
    pub mean: Option<f64>,
    /// Standard deviation of the finite values.
    pub std: Option<f64>,
    /// Values exactly zero.
    pub zeros: u64,
    /// `zeros / count`.
    pub zero_fraction: f64,
    /// NaN values.
    pub nan: u64,
    /// ±Inf values.
    pub inf: u64,
    /// 1st percentile (numpy's default linear interpolation).
    pub p1: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
}

impl SampleStats {
    /// Number of finite values.
    pub fn finite(&self) -> u64 {
        self.count - self.nan - self.inf
    }

    /// The statistics as mergeable [`Moments`] (min/max/mean/variance of the finite values).
    pub fn moments(&self) -> Moments {
        let finite = self.finite();
        let std = self.std.unwrap_or(0.0);
        Moments {
            finite,
            mean: self.mean.unwrap_or(0.0),
            m2: std * std * finite as f64,
            min: self.min.unwrap_or(f64::INFINITY),
            max: self.max.unwrap_or(f64::NEG_INFINITY),
            zeros: self.zeros,
            nan: self.nan,
            pos_inf: self.inf,
            neg_inf: 0,
        }
    }
}

/// Fractions of values at the ends of an integer dtype's range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Saturation {
    /// Fraction of values equal to the dtype's minimum (0 for unsigned types).
    pub low: f64,
    /// Fraction of values equal to the dtype's maximum (255 for `uint8`).
    pub high: f64,
}

/// A NIfTI header as the audit reports it (DESIGN.md's `header` object, plus a few facts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NiftiHeader {
    /// 1 or 2.
    pub nifti_version: u8,
    /// `dim[1..=dim[0]]`.
    pub dim: Vec<usize>,
    /// `pixdim[1..=dim[0]]`: voxel size per axis (spatial axes first).
    #[serde(deserialize_with = "floats_or_null")]
    pub voxel_size: Vec<f64>,
    /// Spatial unit of `pixdim` (`mm`, `m`, `um`, `unknown`).
    pub space_unit: String,
    /// Time unit of `pixdim` (`s`, `ms`, `us`, `hz`, ..., `unknown`).
    pub time_unit: String,
    /// Axis codes of the best affine, nibabel's `aff2axcodes` (`RAS`, `LAS`, `LPS`, ...).
    pub orientation: String,
    /// `qform_code` (0 = no qform).
    pub qform_code: i32,
    /// `sform_code` (0 = no sform).
    pub sform_code: i32,
    /// The best affine: sform if `sform_code > 0`, else qform if `qform_code > 0`, else base.
    #[serde(deserialize_with = "affine_or_null")]
    pub affine: [[f64; 4]; 4],
    /// The affine from the quaternion fields.
    #[serde(deserialize_with = "affine_or_null")]
    pub qform: [[f64; 4]; 4],
    /// The affine from `srow_x/y/z`.
    #[serde(deserialize_with = "affine_or_null")]
    pub sform: [[f64; 4]; 4],
    /// The stored element type (`int16`, `float32`, ...), before scaling.
    pub datatype: String,
    /// `scl_slope` as stored (0 or NaN mean "no scaling"; NaN is written as null).
    #[serde(deserialize_with = "float_or_null")]
    pub scl_slope: f64,
    /// `scl_inter` as stored.
    #[serde(deserialize_with = "float_or_null")]
    pub scl_inter: f64,
    /// Whether slope/intercept were applied to the values (the sample is then `float32`).
    pub scaled: bool,
}

impl From<&NiftiHeaderFacts> for NiftiHeader {
    fn from(facts: &NiftiHeaderFacts) -> NiftiHeader {
        NiftiHeader {
            nifti_version: facts.nifti_version,
            dim: facts.dim.clone(),
            voxel_size: facts.voxel_size.clone(),
            space_unit: facts.units.space.clone(),
            time_unit: facts.units.time.clone(),
            orientation: facts.orientation.clone(),
            qform_code: facts.qform_code,
            sform_code: facts.sform_code,
            affine: facts.affine,
            qform: facts.qform,
            sform: facts.sform,
            datatype: facts.datatype.clone(),
            scl_slope: facts.scl_slope,
            scl_inter: facts.scl_inter,
            scaled: facts.scaled,
        }
    }
}

// serde_json writes NaN and ±Inf as null; these read null back as NaN so partial summaries
// round-trip.
fn float_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

fn floats_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    let values = Vec::<Option<f64>>::deserialize(d)?;
    Ok(values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

fn affine_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<[[f64; 4]; 4], D::Error> {
    let rows = <[[Option<f64>; 4]; 4]>::deserialize(d)?;
    Ok(rows.map(|row| row.map(|v| v.unwrap_or(f64::NAN))))
}

/// Builds the record of one loaded array. `path` is relative to the audited folder.
pub fn record(path: String, loaded: &Loaded) -> SampleRecord {
    let array = &loaded.array;
    let (stats, saturation, counted_histogram) = stats_of(array);
    let image = crate::image::features(loaded, &stats);
    let (channels, header, array_name) = match &loaded.detail {
        Detail::Image(image) => (Some(image.channels), None, None),
        Detail::Array(detail) => (None, None, detail.name.clone()),
        Detail::Nifti(facts) => (None, Some(NiftiHeader::from(facts.as_ref())), None),
    };
    let constant = match (stats.min, stats.max) {
        (Some(lo), Some(hi)) => lo == hi,
        _ => true,
    };
    let histogram =
        counted_histogram.unwrap_or_else(|| SampleHistogram::of(array, stats.min, stats.max));
    let [marks, dark_marks] = match crate::marks::marks_of(array, &stats) {
        Some([bright, dark]) => [Some(bright), Some(dark)],
        None => [None, None],
    };
    SampleRecord {
        image,
        path,
        array: array_name,
        format: format_name(loaded),
        shape: array.shape.clone(),
        dtype: array.dtype.name().to_string(),
        channels,
        convention: convention(array.dtype, &stats).to_string(),
        stats,
        saturation,
        constant,
        hash: hash_of(array),
        histogram,
        header,
        marks,
        dark_marks,
    }
}

fn format_name(loaded: &Loaded) -> String {
    serde_json::to_value(loaded.format)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The value convention of a sample: integer dtypes by their type (`uint8` → `[0,255]`,
/// `uint16` → `[0,65535]`, `bool` → `[0,1]`), everything else by its finite range: `[0,1]`,
/// `[-1,1]`, `[0,255]`, `[0,65535]`, else `other`; `empty` without finite values.
pub fn convention(dtype: DType, stats: &SampleStats) -> &'static str {
    match dtype {
        DType::U8 => return "[0,255]",
        DType::U16 => return "[0,65535]",
        DType::Bool => return "[0,1]",
        _ => {}
    }
    let (Some(lo), Some(hi)) = (stats.min, stats.max) else {
        return "empty";
    };
    if lo >= 0.0 && hi <= 1.0 {
        "[0,1]"
    } else if lo >= -1.0 && hi <= 1.0 {
        "[-1,1]"
    } else if lo >= 0.0 && hi <= 255.0 {
        "[0,255]"
    } else if lo >= 0.0 && hi <= 65535.0 {
        "[0,65535]"
    } else {
        "other"
    }
}

/// The smallest and largest value of an integer dtype; None for floats and bool.
fn integer_range(dtype: DType) -> Option<(f64, f64)> {
    Some(match dtype {
        DType::U8 => (0.0, u8::MAX as f64),
        DType::U16 => (0.0, u16::MAX as f64),
        DType::U32 => (0.0, u32::MAX as f64),
        DType::U64 => (0.0, u64::MAX as f64),
        DType::I8 => (i8::MIN as f64, i8::MAX as f64),
        DType::I16 => (i16::MIN as f64, i16::MAX as f64),
        DType::I32 => (i32::MIN as f64, i32::MAX as f64),
        DType::I64 => (i64::MIN as f64, i64::MAX as f64),
        _ => return None,
    })
}

/// Statistics, percentiles and saturation of an array, and its [`SampleHistogram`] when
/// counting the values gave it for free (8/16-bit integers).
fn stats_of(array: &Array) -> (SampleStats, Option<Saturation>, Option<SampleHistogram>) {
    match array.dtype {
        DType::U8 | DType::I8 | DType::U16 | DType::I16 => {
            let (stats, saturation, histogram) = stats_by_counts(array);
            (stats, saturation, Some(histogram))
        }
        _ => {
            let (stats, saturation) = stats_by_values(array);
            (stats, saturation, None)
        }
    }
}

/// [`stats_of`] for 8- and 16-bit integers: one pass counting every value, then everything
/// from the counts — min/max/zeros/saturation and percentiles exactly, mean and variance from
/// exact integer sums (no sorting, no copy of the values).
fn stats_by_counts(array: &Array) -> (SampleStats, Option<Saturation>, SampleHistogram) {
    let (offset, counts) = value_counts(array);
    let value = |bin: usize| (bin as i64 - offset) as f64;
    let (mut count, mut sum, mut sum_squares) = (0u64, 0i128, 0i128);
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for (bin, &n) in counts.iter().enumerate().filter(|(_, &n)| n > 0) {
        let v = bin as i128 - offset as i128;
        count += n;
        sum += v * n as i128;
        sum_squares += v * v * n as i128;
        min = min.min(value(bin));
        max = max.max(value(bin));
    }
    let moments = Moments {
        finite: count,
        mean: if count == 0 {
            0.0
        } else {
            sum as f64 / count as f64
        },
        // Σ(v - mean)² = (n·Σv² - (Σv)²) / n, exact in integers before the division.
        m2: if count == 0 {
            0.0
        } else {
            (count as i128 * sum_squares - sum * sum) as f64 / count as f64
        },
        min,
        max,
        zeros: counts[offset as usize],
        ..Moments::empty()
    };
    let fraction = |n: u64| {
        if count == 0 {
            0.0
        } else {
            n as f64 / count as f64
        }
    };
    let saturation = Saturation {
        low: fraction(counts[0]),
        high: fraction(counts[counts.len() - 1]),
    };
    let p = percentiles_of_counts(&counts, offset, [1.0, 50.0, 99.0]);
    let histogram = histogram_of_counts(array.dtype, &counts);
    (stats_from(&moments, 0, 0, p), Some(saturation), histogram)
}

/// The [`SampleHistogram`] of 8/16-bit integers (256 bins over the type's range, see
/// [`crate::histogram`]) from [`value_counts`]: each bin sums a run of counts.
fn histogram_of_counts(dtype: DType, counts: &[u64]) -> SampleHistogram {
    let (lo, hi) = match dtype {
        DType::U8 => (0.0, 256.0),
        DType::I8 => (-128.0, 128.0),
        DType::U16 => (0.0, 65536.0),
        _ => (-32768.0, 32768.0),
    };
    let edges = Histogram::with_range(lo, hi, 256).edges;
    SampleHistogram {
        lo: edges[0],
        hi: edges[256],
        counts: counts
            .chunks(counts.len() / 256)
            .map(|run| run.iter().sum())
            .collect(),
    }
}

/// How often each value of an 8- or 16-bit integer array occurs: `counts[i]` is the number of
/// values equal to `i - offset`, bins cover the whole type (the first is its minimum, the last
/// its maximum).
fn value_counts(array: &Array) -> (i64, Vec<u64>) {
    let bytes = &array.bytes;
    let (offset, bins) = match array.dtype {
        DType::U8 => (0, 1 << 8),
        DType::I8 => (1 << 7, 1 << 8),
        DType::U16 => (0, 1 << 16),
        _ => (1 << 15, 1 << 16),
    };
    let index: fn(&[u8]) -> usize = match array.dtype {
        DType::U8 => |b| b[0] as usize,
        DType::I8 => |b| (b[0] as i8 as i32 + 128) as usize,
        DType::U16 => |b| u16::from_le_bytes([b[0], b[1]]) as usize,
        _ => |b| (i16::from_le_bytes([b[0], b[1]]) as i32 + 32768) as usize,
    };
    let size = array.dtype.size_bytes();
    // Four tables of u32 break the dependency between equal neighbours (runs of air in a CT
    // volume); blocks keep each table's counts below u32::MAX.
    let mut totals = vec![0u64; bins];
    let mut tables = vec![0u32; 4 * bins];
    for block in bytes.chunks(size << 30) {
        let mut quads = block.chunks_exact(4 * size);
        for quad in &mut quads {
            for (lane, element) in quad.chunks_exact(size).enumerate() {
                tables[lane * bins + index(element)] += 1;
            }
        }
        for element in quads.remainder().chunks_exact(size) {
            tables[index(element)] += 1;
        }
        for table in tables.chunks_exact_mut(bins) {
            for (total, n) in totals.iter_mut().zip(table.iter_mut()) {
                *total += u64::from(std::mem::take(n));
            }
        }
    }
    (offset, totals)
}

/// [`percentiles`] of the values that `counts` describes (see [`value_counts`]).
fn percentiles_of_counts<const N: usize>(
    counts: &[u64],
    offset: i64,
    qs: [f64; N],
) -> [Option<f64>; N] {
    let n: u64 = counts.iter().sum();
    // The k-th smallest value (0-based).
    let nth = |k: u64| {
        let mut seen = 0;
        counts.iter().enumerate().find_map(|(bin, &c)| {
            seen += c;
            (seen > k).then_some((bin as i64 - offset) as f64)
        })
    };
    qs.map(|q| {
        if n == 0 {
            return None;
        }
        let rank = q / 100.0 * (n - 1) as f64;
        let below = rank.floor() as u64;
        let lo = nth(below)?;
        let hi = if below + 1 < n { nth(below + 1)? } else { lo };
        Some(interpolate(lo, hi, rank - below as f64))
    })
}

/// [`SampleStats`] from moments (of the finite values), the NaN and Inf counts and percentiles.
fn stats_from(moments: &Moments, nan: u64, inf: u64, p: [Option<f64>; 3]) -> SampleStats {
    let count = moments.finite + nan + inf;
    SampleStats {
        count,
        min: moments.min(),
        max: moments.max(),
        mean: moments.mean(),
        std: moments.std(),
        zeros: moments.zeros,
        zero_fraction: if count == 0 {
            0.0
        } else {
            moments.zeros as f64 / count as f64
        },
        nan,
        inf,
        p1: p[0],
        p50: p[1],
        p99: p[2],
    }
}

/// [`stats_of`] for every other dtype: the finite values copied out, percentiles by selection.
fn stats_by_values(array: &Array) -> (SampleStats, Option<Saturation>) {
    let mut finite = Vec::with_capacity(array.numel());
    let (mut nan, mut inf) = (0u64, 0u64);
    glassbox_tensor::for_each_le_value(array.dtype, &array.bytes, |v| {
        if v.is_finite() {
            finite.push(v);
        } else if v.is_nan() {
            nan += 1;
        } else {
            inf += 1;
        }
    });
    let moments = Moments::of(finite.iter().copied());
    let count = finite.len() as u64 + nan + inf;
    let saturation = integer_range(array.dtype).map(|(lo, hi)| {
        let at = |target: f64| finite.iter().filter(|&&v| v == target).count();
        let fraction = |n: usize| {
            if count == 0 {
                0.0
            } else {
                n as f64 / count as f64
            }
        };
        Saturation {
            low: fraction(at(lo)),
            high: fraction(at(hi)),
        }
    });
    let p = percentiles(&mut finite, [1.0, 50.0, 99.0]);
    (stats_from(&moments, nan, inf, p), saturation)
}

/// Percentiles as `numpy.percentile` computes them by default (linear interpolation between
/// the closest ranks). Reorders `values`: each rank is selected inside the part the ranks
/// selected before left it (the median first, then the 1st percentile below it, ...).
pub fn percentiles<const N: usize>(values: &mut [f64], qs: [f64; N]) -> [Option<f64>; N] {
    let n = values.len();
    if n == 0 {
        return [None; N];
    }
    let ranks = qs.map(|q| q / 100.0 * (n - 1) as f64);
    let mut selected: Vec<usize> = ranks.iter().map(|r| r.floor() as usize).collect();
    selected.sort_unstable();
    selected.dedup();
    select_all(values, &selected);
    ranks.map(|rank| {
        let below = rank.floor() as usize;
        let lo = values[below];
        // Everything after `below` up to the next selected position (inclusive) is >= lo, and
        // everything past that is >= the next selected value: the next rank's value is the
        // minimum of that stretch.
        let next = selected
            .iter()
            .copied()
            .find(|&s| s > below)
            .unwrap_or(n - 1);
        let hi = values[below + 1..=next.max(below)]
            .iter()
            .copied()
            .min_by(f64::total_cmp)
            .unwrap_or(lo);
        Some(interpolate(lo, hi, rank - below as f64))
    })
}

/// Puts the `positions`-th smallest values (sorted, distinct) at their positions, each part
/// between two of them holding only values between theirs.
fn select_all(values: &mut [f64], positions: &[usize]) {
    if positions.is_empty() {
        return;
    }
    let middle = positions.len() / 2;
    let at = positions[middle];
    let (left, _, right) = values.select_nth_unstable_by(at, f64::total_cmp);
    select_all(left, &positions[..middle]);
    let after: Vec<usize> = positions[middle + 1..].iter().map(|p| p - at - 1).collect();
    select_all(right, &after);
}

/// numpy's `_lerp`: a + (b - a) * t, evaluated from the nearer end.
fn interpolate(lo: f64, hi: f64, fraction: f64) -> f64 {
    if fraction >= 0.5 {
        hi - (hi - lo) * (1.0 - fraction)
    } else {
        lo + (hi - lo) * fraction
    }
}

/// BLAKE3 over dtype, shape and the little-endian value bytes.
fn hash_of(array: &Array) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(array.dtype.name().as_bytes());
    for &d in &array.shape {
        hasher.update(&(d as u64).to_le_bytes());
    }
    hasher.update(&array.bytes);
    hasher.finalize().to_hex()[..32].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_numpy() {
        // numpy.percentile([1, 2, 3, 4], [1, 50, 99]) = [1.03, 2.5, 3.97]
        let mut values = vec![4.0, 1.0, 3.0, 2.0];
        let [p1, p50, p99] = percentiles(&mut values, [1.0, 50.0, 99.0]);
        assert!((p1.unwrap() - 1.03).abs() < 1e-12);
        assert_eq!(p50, Some(2.5));
        assert!((p99.unwrap() - 3.97).abs() < 1e-12);
        assert_eq!(percentiles(&mut [], [50.0]), [None]);
    }

    #[test]
    fn counting_integers_gives_the_statistics_of_the_values() {
        // Skewed values with long runs (as air in a CT volume), the type's ends and zeros.
        let mut state = 12345u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as i64
        };
        for dtype in [DType::U8, DType::I8, DType::U16, DType::I16] {
            let (lo, hi) = integer_range(dtype).unwrap();
            for numel in [0usize, 1, 7, 1001] {
                let values: Vec<i64> = (0..numel)
                    .map(|i| match next() % 10 {
                        0 => lo as i64,
                        1 => hi as i64,
                        2 => 0,
                        3 => (i / 100) as i64,
                        _ => lo as i64 + next() % (hi - lo + 1.0) as i64,
                    })
                    .collect();
                let bytes = values
                    .iter()
                    .flat_map(|&v| v.to_le_bytes()[..dtype.size_bytes()].to_vec())
                    .collect();
                let array = Array {
                    dtype,
                    shape: vec![numel],
                    bytes,
                };
                let (counted, counted_saturation, histogram) = stats_by_counts(&array);
                let (sorted, sorted_saturation) = stats_by_values(&array);
                let what = format!("{dtype:?} x {numel}");
                let binned = SampleHistogram::of(&array, sorted.min, sorted.max);
                assert_eq!(histogram, binned, "{what} histogram");
                assert_eq!(counted_saturation, sorted_saturation, "{what}");
                let near = |a: Option<f64>, b: Option<f64>| match (a, b) {
                    (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                    (a, b) => a == b,
                };
                assert!(near(counted.mean, sorted.mean), "{what} mean");
                assert!(near(counted.std, sorted.std), "{what} std");
                let exact = |s: &SampleStats| {
                    (
                        s.count,
                        s.min,
                        s.max,
                        s.zeros,
                        s.zero_fraction,
                        s.p1,
                        s.p50,
                        s.p99,
                    )
                };
                assert_eq!(exact(&counted), exact(&sorted), "{what}");
            }
        }
    }

    #[test]
    fn percentiles_select_each_rank_once() {
        let mut state = 7u64;
        let values: Vec<f64> = (0..5000)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                ((state >> 40) % 300) as f64 * 0.5
            })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let qs = [99.0, 1.0, 50.0, 0.0, 100.0, 25.0, 25.0];
        let expected = qs.map(|q| {
            let rank = q / 100.0 * (sorted.len() - 1) as f64;
            let below = rank.floor() as usize;
            let hi = sorted.get(below + 1).copied().unwrap_or(sorted[below]);
            Some(interpolate(sorted[below], hi, rank - below as f64))
        });
        assert_eq!(percentiles(&mut values.clone(), qs), expected);
    }

    #[test]
    fn conventions_by_dtype_and_range() {
        let stats = |min: f64, max: f64| SampleStats {
            count: 2,
            min: Some(min),
            max: Some(max),
            mean: None,
            std: None,
            zeros: 0,
            zero_fraction: 0.0,
            nan: 0,
            inf: 0,
            p1: None,
            p50: None,
            p99: None,
        };
        assert_eq!(convention(DType::U8, &stats(0.0, 1.0)), "[0,255]");
        assert_eq!(convention(DType::F32, &stats(0.0, 1.0)), "[0,1]");
        assert_eq!(convention(DType::F32, &stats(-0.5, 1.0)), "[-1,1]");
        assert_eq!(convention(DType::F32, &stats(0.0, 200.0)), "[0,255]");
        assert_eq!(convention(DType::I16, &stats(-1024.0, 3000.0)), "other");
    }
}
