//! One-pass, mergeable statistics: count, min, max, mean, variance, zeros, NaN, ±Inf.

use serde::{Serialize, Serializer};

/// Values are folded in chunks of this many: each chunk is summarised exactly with a
/// two-pass mean/variance over a cache-hot buffer, then merged (Chan et al.), which is both
/// numerically stable and faster than a per-element Welford update.
const CHUNK: usize = 1024;

/// Statistics of a set of values, mergeable without loss.
///
/// Mean and standard deviation are over the finite values only; NaN and ±Inf are counted
/// apart. `std` is the population standard deviation (numpy's default, `ddof=0`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Moments {
    /// Number of finite values.
    pub finite: u64,
    /// Mean of the finite values (0 when there are none).
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
    /// Smallest finite value (`+inf` when there are none).
    pub min: f64,
    /// Largest finite value (`-inf` when there are none).
    pub max: f64,
    /// Values exactly equal to zero (either sign).
    pub zeros: u64,
    /// NaN values.
    pub nan: u64,
    /// `+Inf` values.
    pub pos_inf: u64,
    /// `-Inf` values.
    pub neg_inf: u64,
}

impl Moments {
    /// Statistics of no values.
    pub fn empty() -> Moments {
        Moments {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            ..Moments::default()
        }
    }

    /// Statistics of `values`, read once.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Moments {
        let mut total = Moments::empty();
        let mut buffer = [0f64; CHUNK];
        let mut len = 0;
        for value in values {
            if value.is_finite() {
                buffer[len] = value;
                len += 1;
                if len == CHUNK {
                    total.merge(&Moments::of_finite_chunk(&buffer));
                    len = 0;
                }
            } else if value.is_nan() {
                total.nan += 1;
            } else if value > 0.0 {
                total.pos_inf += 1;
            } else {
                total.neg_inf += 1;
            }
        }
        total.merge(&Moments::of_finite_chunk(&buffer[..len]));
        total
    }

    fn of_finite_chunk(chunk: &[f64]) -> Moments {
        if chunk.is_empty() {
            return Moments::empty();
        }
        let mut sum = 0.0;
        let mut min = f64::INFINITY;
        let mut max = f64::NEG_INFINITY;
        let mut zeros = 0u64;
        for &value in chunk {
            sum += value;
            min = min.min(value);
            max = max.max(value);
            zeros += u64::from(value == 0.0);
        }
        let mean = sum / chunk.len() as f64;
        let m2 = chunk.iter().map(|v| (v - mean) * (v - mean)).sum();
        Moments {
            finite: chunk.len() as u64,
            mean,
            m2,
            min,
            max,
            zeros,
            ..Moments::empty()
        }
    }

    /// Adds the statistics of other values (Chan et al.'s parallel update).
    pub fn merge(&mut self, other: &Moments) {
        let count = self.finite + other.finite;
        if count > 0 {
            let delta = other.mean - self.mean;
            let weight_other = other.finite as f64 / count as f64;
            self.mean += delta * weight_other;
            self.m2 += other.m2 + delta * delta * self.finite as f64 * weight_other;
        }
        self.finite = count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.zeros += other.zeros;
        self.nan += other.nan;
        self.pos_inf += other.pos_inf;
        self.neg_inf += other.neg_inf;
    }

    /// Number of values seen, finite or not.
    pub fn count(&self) -> u64 {
        self.finite + self.nan + self.pos_inf + self.neg_inf
    }

    /// Population variance of the finite values, `None` when there are none.
    pub fn variance(&self) -> Option<f64> {
        (self.finite > 0).then(|| (self.m2 / self.finite as f64).max(0.0))
    }

    /// Population standard deviation of the finite values.
    pub fn std(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }

    /// Smallest finite value, `None` when there are none.
    pub fn min(&self) -> Option<f64> {
        (self.finite > 0).then_some(self.min)
    }

    /// Largest finite value, `None` when there are none.
    pub fn max(&self) -> Option<f64> {
        (self.finite > 0).then_some(self.max)
    }

    /// Mean of the finite values, `None` when there are none.
    pub fn mean(&self) -> Option<f64> {
        (self.finite > 0).then_some(self.mean)
    }

    /// Fraction of all values that are exactly zero (0 for an empty set).
    pub fn zero_fraction(&self) -> f64 {
        match self.count() {
            0 => 0.0,
            n => self.zeros as f64 / n as f64,
        }
    }
}

/// The JSON form of the contract: `{count, min, max, mean, std, zeros, nan, inf}`, with
/// `null` for statistics of no finite values; `pos_inf`/`neg_inf` split `inf`.
impl Serialize for Moments {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Stats", 10)?;
        s.serialize_field("count", &self.count())?;
        s.serialize_field("min", &self.min())?;
        s.serialize_field("max", &self.max())?;
        s.serialize_field("mean", &self.mean())?;
        s.serialize_field("std", &self.std())?;
        s.serialize_field("zeros", &self.zeros)?;
        s.serialize_field("nan", &self.nan)?;
        s.serialize_field("inf", &(self.pos_inf + self.neg_inf))?;
        s.serialize_field("pos_inf", &self.pos_inf)?;
        s.serialize_field("neg_inf", &self.neg_inf)?;
        s.end()
    }
}
