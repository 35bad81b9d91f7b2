//! From values to colours: which range maps onto the colour map, and how.

use super::{Colormap, RenderError};

/// Whether each tile (channel, kernel, slice) gets its own value range or all share one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Scale {
    /// Every tile is stretched over its own range: the most contrast, no comparison.
    #[default]
    PerChannel,
    /// One range for the whole image: tiles compare, a weak tile looks weak.
    Shared,
}

/// A closed range of values; `low` maps to the colour map's start, `high` to its end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValueRange {
    /// Value drawn with the map's first colour.
    pub low: f32,
    /// Value drawn with the map's last colour.
    pub high: f32,
}

/// How values become colours.
///
/// The range is, in order of precedence: `range` when given (used as it is, even for the
/// diverging map); else the finite values' `clip_percent`-th and `(100 - clip_percent)`-th
/// percentiles when `clip_percent` is given; else their minimum and maximum. The diverging map
/// then widens the range to `[-m, m]` with `m = max(|low|, |high|)`, so 0 is white.
/// A constant tile (low = high) is drawn with the map's low end, or white under the
/// diverging map when it is 0. NaN is drawn magenta; ±Inf with the map's ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coloring {
    /// The colour map.
    pub colormap: Colormap,
    /// Per-tile or shared range.
    pub scale: Scale,
    /// An explicit range, overriding the data's.
    pub range: Option<ValueRange>,
    /// Clip this percentage of finite values at each end (e.g. 1.0: 1st to 99th percentile).
    pub clip_percent: Option<f32>,
}

impl Coloring {
    /// `colormap` with `scale`, the data's full range and no clipping.
    pub fn new(colormap: Colormap, scale: Scale) -> Coloring {
        Coloring {
            colormap,
            scale,
            range: None,
            clip_percent: None,
        }
    }

    /// Refuses an explicit range that is not finite and ordered, or a clip outside [0, 50).
    pub(crate) fn validate(&self) -> Result<(), RenderError> {
        if let Some(range) = self.range {
            if !(range.low.is_finite() && range.high.is_finite() && range.low <= range.high) {
                return Err(RenderError::InvalidOption {
                    option: "range",
                    reason: "must be finite with low <= high",
                });
            }
        }
        if let Some(percent) = self.clip_percent {
            if !(0.0..50.0).contains(&percent) {
                return Err(RenderError::InvalidOption {
                    option: "clip_percent",
                    reason: "must be in [0, 50)",
                });
            }
        }
        Ok(())
    }

    /// The scaler for `values` (ignored when an explicit range is set).
    pub(crate) fn fit(&self, values: impl IntoIterator<Item = f32>) -> Scaler {
        let (low, high) = match (self.range, self.clip_percent) {
            (Some(range), _) => (f64::from(range.low), f64::from(range.high)),
            (None, Some(percent)) => percentile_range(values, f64::from(percent)),
            (None, None) => finite_min_max(values),
        };
        let (low, high) = if self.colormap.is_diverging() && self.range.is_none() {
            let magnitude = low.abs().max(high.abs());
            (-magnitude, magnitude)
        } else {
            (low, high)
        };
        Scaler {
            colormap: self.colormap,
            low,
            high,
        }
    }
}

impl Default for Coloring {
    fn default() -> Coloring {
        Coloring::new(Colormap::Viridis, Scale::PerChannel)
    }
}

/// Maps values onto a colour map over a fixed range.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scaler {
    colormap: Colormap,
    low: f64,
    high: f64,
}

impl Scaler {
    /// The colour of `value`.
    pub(crate) fn rgb(&self, value: f32) -> [u8; 3] {
        self.colormap.rgb(self.position(value))
    }

    /// Where `value` falls on the map, in [0, 1] (NaN stays NaN).
    fn position(&self, value: f32) -> f32 {
        let value = f64::from(value);
        if value.is_nan() {
            return f32::NAN;
        }
        if self.high > self.low {
            return ((value - self.low) / (self.high - self.low)).clamp(0.0, 1.0) as f32;
        }
        if value > self.high {
            1.0
        } else if value < self.low {
            0.0
        } else if self.colormap.is_diverging() {
            0.5
        } else {
            0.0
        }
    }
}

/// Minimum and maximum of the finite values; (0, 0) when there are none.
fn finite_min_max(values: impl IntoIterator<Item = f32>) -> (f64, f64) {
    let (low, high) = values
        .into_iter()
        .filter(|value| value.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(low, high), value| {
            (low.min(value), high.max(value))
        });
    if low > high {
        (0.0, 0.0)
    } else {
        (f64::from(low), f64::from(high))
    }
}

/// The `percent`-th and `(100 - percent)`-th percentiles of the finite values, interpolated
/// linearly as numpy's default `percentile` does; (0, 0) when there are none.
fn percentile_range(values: impl IntoIterator<Item = f32>, percent: f64) -> (f64, f64) {
    let mut finite: Vec<f32> = values.into_iter().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return (0.0, 0.0);
    }
    let low = quantile(&mut finite, percent / 100.0);
    let high = quantile(&mut finite, 1.0 - percent / 100.0);
    (low, high)
}

/// The `q` quantile of non-empty finite `values` (reordered in place), linear interpolation.
fn quantile(values: &mut [f32], q: f64) -> f64 {
    let position = q * (values.len() - 1) as f64;
    let below = position.floor() as usize;
    let fraction = position - below as f64;
    let (_, &mut low, above) = values.select_nth_unstable_by(below, f32::total_cmp);
    let low = f64::from(low);
    if fraction == 0.0 || above.is_empty() {
        return low;
    }
    let next = above.iter().copied().fold(f32::INFINITY, f32::min);
    low + (f64::from(next) - low) * fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        // numpy.percentile(range(11), [1, 99]) == [0.1, 9.9]
        let values: Vec<f32> = (0..=10).rev().map(|v| v as f32).collect();
        let (low, high) = percentile_range(values, 1.0);
        assert!((low - 0.1).abs() < 1e-9, "{low}");
        assert!((high - 9.9).abs() < 1e-9, "{high}");
    }

    #[test]
    fn no_finite_values_give_a_constant_range() {
        assert_eq!(finite_min_max([f32::NAN, f32::INFINITY]), (0.0, 0.0));
        assert_eq!(percentile_range([f32::NAN], 1.0), (0.0, 0.0));
    }
}
