//! Image-quality facts of one 2-D picture: brightness, dark and light fractions, entropy,
//! sharpness, size, aspect ratio, whether a colour image is really gray, and a perceptual
//! hash. The dataset rules in `findings/images.rs` compare them across the set.
//!
//! Everything is computed from the decoded [`Array`] in two passes over the pixels (luminance
//! with its histogram, moments and channel spread; then the Laplacian and the 32×32
//! downscale); the percentiles come from the histogram. Luminance is on `[0, 1]`: the dtype's range for
//! `uint8` (0..255) and `uint16` (0..65535, never 0..255), the value convention for floats and
//! other integers (`[0,1]`, `[-1,1]`, `[0,255]`, `[0,65535]`), and the sample's own min..max
//! when it follows none (`scale_from = "sample"`; brightness then means little).

use glassbox_run::inputs::{Detail, Loaded};
use glassbox_run::Array;
use serde::{Deserialize, Serialize};

use crate::sample::SampleStats;

/// Luminance at or below this (on `[0, 1]`) counts as dark.
pub const DARK_LEVEL: f64 = 0.1;
/// Luminance at or above this counts as light.
pub const LIGHT_LEVEL: f64 = 0.9;
/// Side of the square the picture is box-averaged to before the DCT of the perceptual hash.
const HASH_SIDE: usize = 32;
/// Low frequencies per axis kept by the perceptual hash: 8×8 = 64 bits.
const HASH_FREQUENCIES: usize = 8;
/// Pictures with more pixels than this (64 Mi, e.g. 8192×8192) get no image features or mark
/// grid: both work on a `f64` luminance copy (8 bytes per pixel), which for a whole-slide
/// image would exceed memory. Their value statistics are still recorded.
pub const MAX_PICTURE_PIXELS: usize = 1 << 26;

/// Whether a `height × width` picture is small enough for the per-pixel picture analyses.
pub fn within_picture_limit(height: usize, width: usize) -> bool {
    height
        .checked_mul(width)
        .is_some_and(|pixels| pixels <= MAX_PICTURE_PIXELS)
}

/// Side of the thumbnail kept to confirm near duplicates.
const THUMB_SIDE: usize = 8;
/// Bins of the luminance histogram (entropy).
const HISTOGRAM_BINS: usize = 256;

/// Image-quality facts of one picture (an image file, or a `[H, W]` / `[H, W, C≤4]` array).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageFeatures {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `width / height`.
    pub aspect_ratio: f64,
    /// The value range mapped to luminance `[0, 1]`: `[lo, hi]`.
    pub scale: [f64; 2],
    /// Where `scale` comes from: `dtype` (uint8, uint16, bool), `convention` (floats and other
    /// integers by their value range) or `sample` (the picture's own min..max).
    pub scale_from: String,
    /// Mean luminance on `[0, 1]` (Rec. 601 weights 0.299/0.587/0.114 for colour; alpha
    /// ignored).
    pub brightness: f64,
    /// 1st percentile of the luminance (nearest rank, to the nearest of 256 levels).
    pub luminance_p1: f64,
    /// 99th percentile of the luminance (nearest rank, to the nearest of 256 levels).
    pub luminance_p99: f64,
    /// Fraction of pixels with luminance at or below [`DARK_LEVEL`].
    pub dark_fraction: f64,
    /// Fraction of pixels with luminance at or above [`LIGHT_LEVEL`].
    pub light_fraction: f64,
    /// Shannon entropy, in bits, of the luminance histogram over 256 levels of the scale
    /// (each pixel at the nearest level, halves up).
    pub entropy_bits: f64,
    /// Variance of the 4-neighbour Laplacian of the luminance divided by the variance of the
    /// luminance: high-frequency share of the picture's contrast, so it does not follow
    /// brightness or contrast. None for constant pictures or ones under 3×3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharpness: Option<f64>,
    /// For pictures with 3 or 4 channels: the largest difference between the R, G and B values
    /// of any pixel, as a fraction of the scale (0 for a gray picture stored as colour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_spread: Option<f64>,
    /// 64-bit DCT perceptual hash, 16 hex digits: luminance box-averaged to 32×32, the 8×8
    /// lowest frequencies of its DCT-II, each bit set when the coefficient is above their
    /// median (row-major, most significant bit first).
    pub phash: String,
    /// The luminance box-averaged to 8×8, each cell as a level of 255 (two hex digits,
    /// row-major): confirms near duplicates whose hashes drifted apart (a shifted copy).
    #[serde(default)]
    pub thumbnail: String,
}

/// The image features of a loaded sample, or None when it is not a 2-D picture (NIfTI
/// volumes, arrays of other shapes, pictures under 2×2 or over [`MAX_PICTURE_PIXELS`]).
pub fn features(loaded: &Loaded, stats: &SampleStats) -> Option<ImageFeatures> {
    let array = &loaded.array;
    let (height, width, channels) = match (&loaded.detail, array.shape.as_slice()) {
        (Detail::Image(_), &[h, w, c]) => (h, w, c),
        (Detail::Array(_), &[h, w]) => (h, w, 1),
        (Detail::Array(_), &[h, w, c]) if (1..=4).contains(&c) => (h, w, c),
        _ => return None,
    };
    if height < 2
        || width < 2
        || channels == 0
        || stats.nan + stats.inf > 0
        || !within_picture_limit(height, width)
    {
        return None;
    }
    let (scale, scale_from) = scale_of(array, stats)?;
    let picture = Picture::luminance(array, width, height, channels, scale);
    Some(picture.features(scale, scale_from))
}

/// The range mapped to `[0, 1]` and where it comes from.
fn scale_of(array: &Array, stats: &SampleStats) -> Option<([f64; 2], &'static str)> {
    use glassbox_tensor::DType;
    let from_dtype = match array.dtype {
        DType::U8 => Some([0.0, 255.0]),
        DType::U16 => Some([0.0, 65535.0]),
        DType::Bool => Some([0.0, 1.0]),
        _ => None,
    };
    if let Some(scale) = from_dtype {
        return Some((scale, "dtype"));
    }
    let by_convention = match crate::sample::convention(array.dtype, stats) {
        "[0,1]" => Some([0.0, 1.0]),
        "[-1,1]" => Some([-1.0, 1.0]),
        "[0,255]" => Some([0.0, 255.0]),
        "[0,65535]" => Some([0.0, 65535.0]),
        _ => None,
    };
    match by_convention {
        Some(scale) => Some((scale, "convention")),
        None => {
            let (lo, hi) = (stats.min?, stats.max?);
            Some(([lo, if hi > lo { hi } else { lo + 1.0 }], "sample"))
        }
    }
}

/// The luminance of a picture on `[0, 1]`, row-major, with what the first pass learned.
struct Picture {
    width: usize,
    height: usize,
    luminance: Vec<f64>,
    histogram: [u64; HISTOGRAM_BINS],
    sum: f64,
    sum_squares: f64,
    dark: usize,
    light: usize,
    channel_spread: Option<f64>,
}

impl Picture {
    /// First pass: luminance, its histogram, sum and sum of squares, the dark and light
    /// counts, and the channel spread. `uint8` and `uint16` are read straight from the bytes.
    fn luminance(
        array: &Array,
        width: usize,
        height: usize,
        channels: usize,
        scale: [f64; 2],
    ) -> Picture {
        let bytes = &array.bytes;
        match array.dtype {
            glassbox_tensor::DType::U8 => {
                Picture::from_values(width, height, channels, scale, |i| f64::from(bytes[i]))
            }
            glassbox_tensor::DType::U16 => {
                Picture::from_values(width, height, channels, scale, |i| {
                    f64::from(u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]]))
                })
            }
            dtype => {
                let mut values = Vec::with_capacity(array.numel());
                glassbox_tensor::for_each_le_value(dtype, bytes, |v| values.push(v));
                Picture::from_values(width, height, channels, scale, |i| values[i])
            }
        }
    }

    fn from_values(
        width: usize,
        height: usize,
        channels: usize,
        scale: [f64; 2],
        value: impl Fn(usize) -> f64,
    ) -> Picture {
        let pixels = width * height;
        let [lo, hi] = scale;
        let inverse = 1.0 / (hi - lo);
        let top = (HISTOGRAM_BINS - 1) as f64;
        let mut luminance = Vec::with_capacity(pixels);
        let mut histogram = [0u64; HISTOGRAM_BINS];
        let (mut sum, mut sum_squares, mut dark, mut light) = (0.0, 0.0, 0usize, 0usize);
        let mut spread: f64 = 0.0;
        for pixel in 0..pixels {
            let at = pixel * channels;
            let raw = if channels >= 3 {
                let (r, g, b) = (value(at), value(at + 1), value(at + 2));
                spread = spread.max((r - g).abs().max((g - b).abs()).max((r - b).abs()));
                0.299 * r + 0.587 * g + 0.114 * b
            } else {
                value(at)
            };
            let l = (raw - lo) * inverse;
            sum += l;
            sum_squares += l * l;
            dark += usize::from(l <= DARK_LEVEL);
            light += usize::from(l >= LIGHT_LEVEL);
            // Nearest level, halves up; `as` truncates, so the floor of a non-negative value.
            histogram[((l * top + 0.5).max(0.0) as usize).min(HISTOGRAM_BINS - 1)] += 1;
            luminance.push(l);
        }
        Picture {
            width,
            height,
            luminance,
            histogram,
            sum,
            sum_squares,
            dark,
            light,
            channel_spread: (channels >= 3).then_some(spread * inverse),
        }
    }

    fn features(self, scale: [f64; 2], scale_from: &str) -> ImageFeatures {
        let pixels = self.luminance.len() as f64;
        let brightness = self.sum / pixels;
        let variance = (self.sum_squares / pixels - brightness * brightness).max(0.0);
        let sharpness = self.sharpness(variance);
        let phash = self.phash();
        let thumbnail: String = box_downscale(&self.luminance, self.width, self.height, THUMB_SIDE)
            .iter()
            .map(|l| format!("{:02x}", (l.clamp(0.0, 1.0) * 255.0).round() as u8))
            .collect();
        let [luminance_p1, luminance_p99] = histogram_percentiles(&self.histogram, [1.0, 99.0]);
        ImageFeatures {
            width: self.width,
            height: self.height,
            aspect_ratio: self.width as f64 / self.height as f64,
            scale,
            scale_from: scale_from.to_string(),
            brightness,
            luminance_p1,
            luminance_p99,
            dark_fraction: self.dark as f64 / pixels,
            light_fraction: self.light as f64 / pixels,
            entropy_bits: entropy_bits(&self.histogram),
            sharpness,
            channel_spread: self.channel_spread,
            phash: format!("{phash:016x}"),
            thumbnail,
        }
    }

    /// Second pass: variance of the 4-neighbour Laplacian over the interior pixels, divided by
    /// the luminance variance over all pixels (`variance`).
    fn sharpness(&self, variance: f64) -> Option<f64> {
        let (w, h, l) = (self.width, self.height, &self.luminance);
        // Below ~1e-12 the variance is rounding noise of a constant picture.
        if w < 3 || h < 3 || variance <= 1e-12 {
            return None;
        }
        let (mut sum, mut sum_squares) = (0.0, 0.0);
        for y in 1..h - 1 {
            let row = y * w;
            for x in 1..w - 1 {
                let i = row + x;
                let laplacian = 4.0 * l[i] - l[i - 1] - l[i + 1] - l[i - w] - l[i + w];
                sum += laplacian;
                sum_squares += laplacian * laplacian;
            }
        }
        let n = ((w - 2) * (h - 2)) as f64;
        let laplacian_mean = sum / n;
        let laplacian_variance = (sum_squares / n - laplacian_mean * laplacian_mean).max(0.0);
        Some(laplacian_variance / variance)
    }

    /// The 64-bit DCT perceptual hash (see [`ImageFeatures::phash`]).
    fn phash(&self) -> u64 {
        let small = box_downscale(&self.luminance, self.width, self.height, HASH_SIDE);
        let cosines = dct_table();
        // Rows first: for each row of the 32×32 picture, its 8 lowest frequencies.
        let mut rows = [[0.0f64; HASH_FREQUENCIES]; HASH_SIDE];
        for (y, row) in rows.iter_mut().enumerate() {
            let pixels = &small[y * HASH_SIDE..(y + 1) * HASH_SIDE];
            for (k, out) in row.iter_mut().enumerate() {
                *out = pixels.iter().zip(&cosines[k]).map(|(p, c)| p * c).sum();
            }
        }
        let mut coefficients = [0.0f64; HASH_FREQUENCIES * HASH_FREQUENCIES];
        for u in 0..HASH_FREQUENCIES {
            for v in 0..HASH_FREQUENCIES {
                coefficients[u * HASH_FREQUENCIES + v] =
                    (0..HASH_SIDE).map(|y| rows[y][v] * cosines[u][y]).sum();
            }
        }
        let mut sorted = coefficients;
        sorted.sort_by(f64::total_cmp);
        let half = sorted.len() / 2;
        let median = (sorted[half - 1] + sorted[half]) / 2.0;
        coefficients
            .iter()
            .fold(0u64, |bits, &c| (bits << 1) | u64::from(c > median))
    }
}

/// `cos(pi / N * (n + 0.5) * k)` for the lowest frequencies `k` of an `N = 32` DCT-II.
fn dct_table() -> [[f64; HASH_SIDE]; HASH_FREQUENCIES] {
    let mut table = [[0.0; HASH_SIDE]; HASH_FREQUENCIES];
    for (k, row) in table.iter_mut().enumerate() {
        for (n, value) in row.iter_mut().enumerate() {
            *value = (std::f64::consts::PI / HASH_SIDE as f64 * (n as f64 + 0.5) * k as f64).cos();
        }
    }
    table
}

/// The rows (or columns) `[start, end)` that output cell `i` of `side` averages over `length`
/// inputs: an even partition, at least one input per cell (inputs repeat when `length < side`).
pub fn cell_span(i: usize, length: usize, side: usize) -> (usize, usize) {
    let start = i * length / side;
    let end = ((i + 1) * length / side).max(start + 1);
    (start, end)
}

/// Box-averages a `width × height` picture to `side × side`, row-major.
fn box_downscale(values: &[f64], width: usize, height: usize, side: usize) -> Vec<f64> {
    let columns: Vec<(usize, usize)> = (0..side).map(|j| cell_span(j, width, side)).collect();
    let mut out = vec![0.0; side * side];
    for i in 0..side {
        let (y0, y1) = cell_span(i, height, side);
        for (j, &(x0, x1)) in columns.iter().enumerate() {
            let mut sum = 0.0;
            for y in y0..y1 {
                sum += values[y * width + x0..y * width + x1].iter().sum::<f64>();
            }
            out[i * side + j] = sum / ((y1 - y0) * (x1 - x0)) as f64;
        }
    }
    out
}

/// Shannon entropy in bits of a histogram.
fn entropy_bits(histogram: &[u64]) -> f64 {
    let total: u64 = histogram.iter().sum();
    if total == 0 {
        return 0.0;
    }
    let total = total as f64;
    histogram
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = n as f64 / total;
            -p * p.log2()
        })
        .sum()
}

/// Nearest-rank percentiles of the luminance to the nearest of the histogram's levels: the
/// level holding the value of rank `ceil(q / 100 · n)` (1-based), on `[0, 1]`.
fn histogram_percentiles<const N: usize>(histogram: &[u64], qs: [f64; N]) -> [f64; N] {
    let n: u64 = histogram.iter().sum();
    let top = (histogram.len() - 1) as f64;
    qs.map(|q| {
        let rank = ((q / 100.0 * n as f64).ceil() as u64).clamp(1, n.max(1));
        let mut seen = 0;
        let level = histogram
            .iter()
            .position(|&count| {
                seen += count;
                seen >= rank
            })
            .unwrap_or(0);
        level as f64 / top
    })
}

/// Mean absolute difference, on `[0, 1]`, between two [`ImageFeatures::thumbnail`]s; `None`
/// when either is missing or malformed.
pub fn thumbnail_difference(a: &str, b: &str) -> Option<f64> {
    let levels = |t: &str| -> Option<Vec<u8>> {
        if t.len() != THUMB_SIDE * THUMB_SIDE * 2 {
            return None;
        }
        (0..t.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(t.get(i..i + 2)?, 16).ok())
            .collect()
    };
    let (a, b) = (levels(a)?, levels(b)?);
    let total: u32 = a.iter().zip(&b).map(|(x, y)| x.abs_diff(*y) as u32).sum();
    Some(total as f64 / (255.0 * a.len() as f64))
}

/// Bits that differ between two hex perceptual hashes; None if either is not 16 hex digits.
pub fn hamming_distance(a: &str, b: &str) -> Option<u32> {
    let a = u64::from_str_radix(a, 16).ok()?;
    let b = u64::from_str_radix(b, 16).ok()?;
    Some((a ^ b).count_ones())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(width: usize, height: usize, value: impl Fn(usize, usize) -> f64) -> Picture {
        let luminance: Vec<f64> = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| value(x, y))
            .collect();
        Picture {
            width,
            height,
            sum: luminance.iter().sum(),
            sum_squares: luminance.iter().map(|l| l * l).sum(),
            luminance,
            histogram: [0; HISTOGRAM_BINS],
            dark: 0,
            light: 0,
            channel_spread: None,
        }
    }

    #[test]
    fn sharpness_ignores_brightness_and_contrast() {
        let texture = |x: usize, y: usize| ((x * 7 + y * 13) % 11) as f64 / 11.0;
        let dim = picture(20, 20, |x, y| 0.05 + 0.1 * texture(x, y));
        let bright = picture(20, 20, |x, y| 0.3 + 0.6 * texture(x, y));
        let variance = |p: &Picture| p.sum_squares / 400.0 - (p.sum / 400.0).powi(2);
        let a = dim.sharpness(variance(&dim)).unwrap();
        let b = bright.sharpness(variance(&bright)).unwrap();
        assert!((a - b).abs() < 1e-9 * b, "{a} vs {b}");
        let flat = picture(20, 20, |_, _| 0.5);
        assert_eq!(flat.sharpness(variance(&flat)), None);
    }

    #[test]
    fn phash_of_a_shifted_copy_is_close_and_of_a_transposed_one_is_not() {
        // Gaussian blobs of different sizes and signs over waves, like a photograph's content.
        let blobs = [
            (10.0, 12.0, 6.0, 1.0),
            (40.0, 30.0, 9.0, -0.8),
            (55.0, 8.0, 4.0, 0.6),
            (25.0, 40.0, 7.0, 0.9),
            (50.0, 44.0, 5.0, -0.5),
            (5.0, 35.0, 8.0, -0.7),
        ];
        let value = |x: usize, y: usize| {
            let (x, y) = (x as f64, y as f64);
            blobs
                .iter()
                .map(|(bx, by, r, a)| {
                    a * (-((x - bx).powi(2) + (y - by).powi(2)) / (2.0 * r * r)).exp()
                })
                .sum::<f64>()
                + 0.5 * (x / 7.0 + y / 11.0).sin()
                + 0.3 * (x / 13.0 - y / 5.0).cos()
        };
        let a = picture(64, 48, value).phash();
        let shifted = picture(64, 48, |x, y| value(x + 1, y)).phash();
        let transposed = picture(64, 48, |x, y| value(y, x)).phash();
        assert!((a ^ shifted).count_ones() <= 4, "{a:016x} {shifted:016x}");
        assert!(
            (a ^ transposed).count_ones() > 12,
            "{a:016x} {transposed:016x}"
        );
    }

    #[test]
    fn spans_partition_and_repeat() {
        assert_eq!(cell_span(0, 64, 32), (0, 2));
        assert_eq!(cell_span(31, 64, 32), (62, 64));
        assert_eq!(cell_span(31, 10, 32), (9, 10));
        assert_eq!(cell_span(0, 10, 32), (0, 1));
    }

    #[test]
    fn thumbnail_difference_is_the_mean_absolute_level_difference() {
        let a = "00".repeat(64);
        let b = format!("{}{}", "ff".repeat(32), "00".repeat(32));
        assert_eq!(thumbnail_difference(&a, &b), Some(0.5));
        assert_eq!(thumbnail_difference(&a, &a), Some(0.0));
        assert_eq!(thumbnail_difference(&a, "00"), None);
        assert_eq!(thumbnail_difference(&a, &"zz".repeat(64)), None);
    }

    #[test]
    fn pictures_over_the_pixel_limit_are_left_out() {
        assert!(within_picture_limit(8192, 8192));
        assert!(!within_picture_limit(8192, 8193));
        assert!(!within_picture_limit(usize::MAX, 2));
    }

    #[test]
    fn entropy_and_percentiles() {
        assert_eq!(entropy_bits(&[5, 0, 5]), 1.0);
        assert_eq!(entropy_bits(&[7]), 0.0);
        // 100 pixels at levels 0..100: the 1st is level 0, the 99th level 98.
        let mut histogram = [0u64; HISTOGRAM_BINS];
        histogram[..100].iter_mut().for_each(|n| *n = 1);
        let [p1, p99] = histogram_percentiles(&histogram, [1.0, 99.0]);
        assert_eq!((p1 * 255.0, p99 * 255.0), (0.0, 98.0));
        assert_eq!(
            hamming_distance("00000000000000ff", "000000000000000f"),
            Some(4)
        );
        assert_eq!(hamming_distance("xyz", "0"), None);
    }
}
