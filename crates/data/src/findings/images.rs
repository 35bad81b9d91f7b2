//! Image-quality findings, the checks CleanVision makes (too dark, too light, low information,
//! blurry, odd aspect ratio, odd size, grayscale stored as colour, near duplicates) over the
//! per-picture facts of [`crate::image`], with a blur score that does not follow brightness
//! and brightness on the dtype's own scale (16-bit pictures by 65535).
//!
//! Each rule gives at most one finding listing its pictures most affected first, except
//! near duplicates: one finding per group.

use std::collections::HashMap;

use super::{examples, paths, Context, Finding, Severity};
use crate::image::ImageFeatures;
use crate::sample::{percentiles, SampleRecord};

/// Too dark: the 99th percentile of the luminance is below this fraction of the scale, so even
/// the brightest pixels are dim (CleanVision also scores darkness by a high percentile of
/// brightness). A dark background with bright objects is not flagged. Absolute.
pub const DARK_P99: f64 = 0.25;
/// Too light: the 1st percentile of the luminance is above this fraction of the scale, so
/// even the darkest pixels are washed out. Absolute.
pub const LIGHT_P1: f64 = 0.8;
/// Low information: luminance entropy under this many bits (of at most 8). Near-uniform
/// pictures with a level or two of noise measure 1.2–1.6 bits, two-level pictures at most 1.
/// CleanVision's default, 3 bits (score 0.3 with normalising factor 0.1), also flags pictures
/// of real content that are merely under- or over-exposed (at 8–12% of the range they keep
/// 2–3 bits); those are `too-dark` / `too-light`. Constant pictures are left to the
/// `constant-samples` rule. Absolute.
pub const LOW_INFORMATION_BITS: f64 = 2.0;
/// Blurry: sharpness (Laplacian variance over intensity variance) below the set's median
/// divided by this. Dataset-relative, since how much fine detail a picture has depends on
/// what the set shows; a Gaussian blur of radius 3 divides it by 30 or more.
pub const BLUR_FACTOR: f64 = 8.0;
/// Odd aspect ratio: the short side over the long side below this (CleanVision's default).
/// Absolute.
pub const ASPECT_RATIO_MIN: f64 = 0.5;
/// Odd size: `sqrt(width · height)` more than this factor from the set's median (or further
/// than 3.5 robust standard deviations of the log size, whichever is wider, so sets of
/// naturally varied sizes are not flagged). Dataset-relative.
pub const SIZE_FACTOR: f64 = 2.0;
/// Grayscale stored as colour: R, G and B differ by at most this fraction of the scale (one
/// level of 255) at every pixel. Absolute.
pub const GRAY_SPREAD: f64 = 1.0 / 255.0;
/// Near duplicates: perceptual hashes at most this many bits apart (of 64; unrelated pictures
/// differ in about 32 ± 4). Pairs with identical values are `exact-duplicates` instead.
pub const NEAR_DUPLICATE_BITS: u32 = 6;
/// Near duplicates whose hashes drifted a little further (a copy shifted by a few pixels):
/// hashes at most this many bits apart count when their 8×8 thumbnails also differ by at most
/// [`THUMBNAIL_DIFFERENCE`]. On the 2,000-picture benchmark set, shifted copies sat at 7–8
/// bits with thumbnails 0.013–0.022 apart, unrelated pictures at 7–8 bits 0.10–0.11 apart.
pub const NEAR_DUPLICATE_CONFIRMED_BITS: u32 = 8;
/// Mean absolute difference of the 8×8 thumbnails (on `[0, 1]`) that confirms a near
/// duplicate between [`NEAR_DUPLICATE_BITS`] and [`NEAR_DUPLICATE_CONFIRMED_BITS`].
pub const THUMBNAIL_DIFFERENCE: f64 = 0.03;
/// The dataset-relative rules (blur, size) need at least this many pictures.
pub const MIN_PICTURES: usize = 8;
/// Robust z-score limit of the size rule (Iglewicz and Hoaglin's 3.5).
const SIZE_Z: f64 = 3.5;

/// Samples with image features, in path order.
fn pictures<'a>(context: &'a Context) -> Vec<(&'a SampleRecord, &'a ImageFeatures)> {
    context
        .samples
        .iter()
        .filter_map(|s| s.image.as_ref().map(|f| (s, f)))
        .collect()
}

/// Pictures whose luminance has a known scale (not the sample's own min..max).
fn scaled<'a>(context: &'a Context) -> Vec<(&'a SampleRecord, &'a ImageFeatures)> {
    let mut all = pictures(context);
    all.retain(|(_, f)| f.scale_from != "sample");
    all
}

/// One finding naming `flagged` (already most affected first) with their descriptions.
fn finding(
    rule: &str,
    severity: Severity,
    what: &str,
    flagged: Vec<(&SampleRecord, String)>,
) -> Vec<Finding> {
    if flagged.is_empty() {
        return Vec::new();
    }
    let described: Vec<String> = flagged
        .iter()
        .map(|(s, d)| format!("{} ({d})", s.path))
        .collect();
    let message = format!(
        "{} image(s) {what}: {}",
        flagged.len(),
        examples(&described, 3)
    );
    let samples = paths(flagged.iter().map(|(s, _)| *s));
    vec![Finding::new(rule, severity, message, samples)]
}

/// Sorts by a score (ascending, or descending when `descending`), then by path.
fn by_score(
    mut scored: Vec<(&SampleRecord, f64, String)>,
    descending: bool,
) -> Vec<(&SampleRecord, String)> {
    scored.sort_by(|a, b| {
        let order = a.1.total_cmp(&b.1);
        let order = if descending { order.reverse() } else { order };
        order.then_with(|| a.0.path.cmp(&b.0.path))
    });
    scored.into_iter().map(|(s, _, d)| (s, d)).collect()
}

/// Pictures whose 99th luminance percentile is below [`DARK_P99`], darkest first.
pub fn too_dark(context: &Context) -> Vec<Finding> {
    let scored = scaled(context)
        .into_iter()
        .filter(|(_, f)| f.luminance_p99 < DARK_P99)
        .map(|(s, f)| {
            let text = format!(
                "99% of pixels below {:.3}, mean {:.3}",
                f.luminance_p99, f.brightness
            );
            (s, f.luminance_p99, text)
        })
        .collect();
    let what = format!("are too dark (99th percentile of brightness under {DARK_P99})");
    finding(
        "too-dark",
        Severity::Warning,
        &what,
        by_score(scored, false),
    )
}

/// Pictures whose 1st luminance percentile is above [`LIGHT_P1`], lightest first.
pub fn too_light(context: &Context) -> Vec<Finding> {
    let scored = scaled(context)
        .into_iter()
        .filter(|(_, f)| f.luminance_p1 > LIGHT_P1)
        .map(|(s, f)| {
            let text = format!(
                "99% of pixels above {:.3}, mean {:.3}",
                f.luminance_p1, f.brightness
            );
            (s, f.luminance_p1, text)
        })
        .collect();
    let what = format!("are too light (1st percentile of brightness over {LIGHT_P1})");
    finding(
        "too-light",
        Severity::Warning,
        &what,
        by_score(scored, true),
    )
}

/// Non-constant pictures whose luminance entropy is under [`LOW_INFORMATION_BITS`], lowest
/// first.
pub fn low_information(context: &Context) -> Vec<Finding> {
    let scored = scaled(context)
        .into_iter()
        .filter(|(s, f)| !s.constant && f.entropy_bits < LOW_INFORMATION_BITS)
        .map(|(s, f)| {
            let text = format!("entropy {:.2} bits", f.entropy_bits);
            (s, f.entropy_bits, text)
        })
        .collect();
    let what = format!("carry little information (entropy under {LOW_INFORMATION_BITS} bits)");
    finding(
        "low-information",
        Severity::Warning,
        &what,
        by_score(scored, false),
    )
}

/// Pictures whose sharpness is below the set's median over [`BLUR_FACTOR`], blurriest first.
pub fn blurry(context: &Context) -> Vec<Finding> {
    let sharp: Vec<(&SampleRecord, f64)> = pictures(context)
        .into_iter()
        .filter_map(|(s, f)| f.sharpness.map(|v| (s, v)))
        .collect();
    if sharp.len() < MIN_PICTURES {
        return Vec::new();
    }
    let mut values: Vec<f64> = sharp.iter().map(|(_, v)| *v).collect();
    let [Some(median)] = percentiles(&mut values, [50.0]) else {
        return Vec::new();
    };
    let scored = sharp
        .into_iter()
        .filter(|(_, v)| *v < median / BLUR_FACTOR)
        .map(|(s, v)| {
            let text = format!("sharpness {v:.4}, {:.3}x the median", v / median);
            (s, v, text)
        })
        .collect();
    let what = format!(
        "are blurry (sharpness under 1/{BLUR_FACTOR} of the set's median {median:.4}; \
         sharpness = Laplacian variance / intensity variance)"
    );
    finding("blurry", Severity::Warning, &what, by_score(scored, false))
}

/// Pictures whose short side is less than [`ASPECT_RATIO_MIN`] of the long side, most
/// elongated first.
pub fn odd_aspect_ratio(context: &Context) -> Vec<Finding> {
    let scored = pictures(context)
        .into_iter()
        .filter_map(|(s, f)| {
            let ratio = f.aspect_ratio.min(1.0 / f.aspect_ratio);
            (ratio < ASPECT_RATIO_MIN).then(|| {
                let text = format!("{}x{}, 1:{:.2}", f.width, f.height, 1.0 / ratio);
                (s, ratio, text)
            })
        })
        .collect();
    let what =
        format!("have an odd aspect ratio (short side under {ASPECT_RATIO_MIN} of the long)");
    finding(
        "odd-aspect-ratio",
        Severity::Info,
        &what,
        by_score(scored, false),
    )
}

/// Pictures whose size `sqrt(width · height)` is more than [`SIZE_FACTOR`] times (and more
/// than 3.5 robust standard deviations of the log size) from the set's median, furthest
/// first.
pub fn odd_size(context: &Context) -> Vec<Finding> {
    let all = pictures(context);
    if all.len() < MIN_PICTURES {
        return Vec::new();
    }
    let log_side = |f: &ImageFeatures| 0.5 * ((f.width * f.height) as f64).ln();
    let mut logs: Vec<f64> = all.iter().map(|(_, f)| log_side(f)).collect();
    let [Some(median)] = percentiles(&mut logs, [50.0]) else {
        return Vec::new();
    };
    let mut deviations: Vec<f64> = logs.iter().map(|v| (v - median).abs()).collect();
    let [Some(mad)] = percentiles(&mut deviations, [50.0]) else {
        return Vec::new();
    };
    let limit = SIZE_FACTOR.ln().max(SIZE_Z * mad / 0.6745);
    let median_side = median.exp();
    let scored = all
        .into_iter()
        .filter_map(|(s, f)| {
            let distance = (log_side(f) - median).abs();
            (distance > limit).then(|| {
                let factor = (log_side(f) - median).exp();
                let text = format!("{}x{}, {factor:.2}x the median side", f.width, f.height);
                (s, distance, text)
            })
        })
        .collect();
    let what = format!(
        "have an odd size (side more than {:.2}x from the median {median_side:.0} px)",
        limit.exp()
    );
    finding("odd-size", Severity::Info, &what, by_score(scored, true))
}

/// Colour pictures whose R, G and B agree within [`GRAY_SPREAD`] at every pixel.
pub fn grayscale_as_rgb(context: &Context) -> Vec<Finding> {
    let scored = pictures(context)
        .into_iter()
        .filter_map(|(s, f)| {
            let spread = f.channel_spread?;
            (spread <= GRAY_SPREAD + 1e-12).then(|| {
                let text = format!("channels differ by at most {:.0}/255", spread * 255.0);
                (s, spread, text)
            })
        })
        .collect();
    finding(
        "grayscale-as-rgb",
        Severity::Info,
        "store gray pictures as colour (R = G = B within 1/255 at every pixel)",
        by_score(scored, false),
    )
}

/// Groups of pictures whose perceptual hashes are at most [`NEAR_DUPLICATE_BITS`] apart, or at
/// most [`NEAR_DUPLICATE_CONFIRMED_BITS`] with close thumbnails (linked transitively), leaving out pairs with identical values: one finding per group.
pub fn near_duplicates(context: &Context) -> Vec<Finding> {
    let all: Vec<(&SampleRecord, u64)> = pictures(context)
        .into_iter()
        .filter_map(|(s, f)| u64::from_str_radix(&f.phash, 16).ok().map(|h| (s, h)))
        .collect();
    let hashes: Vec<u64> = all.iter().map(|(_, h)| *h).collect();
    let mut groups = UnionFind::new(all.len());
    let mut closest: HashMap<usize, u32> = HashMap::new();
    for (i, j, distance) in close_pairs(&hashes, NEAR_DUPLICATE_CONFIRMED_BITS) {
        if all[i].0.hash == all[j].0.hash {
            continue;
        }
        let thumbnails = || {
            let (a, b) = (&all[i].0.image, &all[j].0.image);
            let (a, b) = (a.as_ref()?, b.as_ref()?);
            crate::image::thumbnail_difference(&a.thumbnail, &b.thumbnail)
        };
        if distance > NEAR_DUPLICATE_BITS && thumbnails().is_none_or(|d| d > THUMBNAIL_DIFFERENCE) {
            continue;
        }
        groups.union(i, j);
        for k in [i, j] {
            let best = closest.entry(k).or_insert(distance);
            *best = (*best).min(distance);
        }
    }
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in closest.keys() {
        members.entry(groups.find(*i)).or_default().push(*i);
    }
    let mut findings: Vec<Finding> = members
        .into_values()
        .map(|mut group| {
            group.sort_by(|a, b| all[*a].0.path.cmp(&all[*b].0.path));
            let nearest = group.iter().map(|i| closest[i]).min().unwrap_or(0);
            let samples = paths(group.iter().map(|i| all[*i].0));
            let message = format!(
                "{} images look alike (perceptual hashes within {NEAR_DUPLICATE_BITS} of 64 \
                 bits, or {NEAR_DUPLICATE_CONFIRMED_BITS} with 8x8 thumbnails within 3%; \
                 closest pair {nearest} bits apart): {}",
                samples.len(),
                examples(&samples, 4)
            );
            Finding::new("near-duplicates", Severity::Warning, message, samples)
        })
        .collect();
    findings.sort_by(|a, b| a.samples.cmp(&b.samples));
    findings
}

/// Every pair `(i, j, distance)`, `i < j`, of hashes at most `limit` bits apart. Split into
/// `limit + 1` bit ranges, two such hashes agree on at least one range (pigeonhole), so only
/// hashes sharing a range's value are compared; a pair is kept at the first range they share.
fn close_pairs(hashes: &[u64], limit: u32) -> Vec<(usize, usize, u32)> {
    let chunks = limit as usize + 1;
    let masks: Vec<u64> = (0..chunks)
        .map(|c| {
            let (lo, hi) = (c * 64 / chunks, (c + 1) * 64 / chunks);
            (lo..hi).fold(0u64, |mask, bit| mask | (1u64 << bit))
        })
        .collect();
    let mut pairs = Vec::new();
    for (c, &mask) in masks.iter().enumerate() {
        let mut buckets: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, &h) in hashes.iter().enumerate() {
            buckets.entry(h & mask).or_default().push(i);
        }
        for bucket in buckets.values() {
            for (a, &i) in bucket.iter().enumerate() {
                for &j in &bucket[a + 1..] {
                    let (x, y) = (hashes[i], hashes[j]);
                    let distance = (x ^ y).count_ones();
                    let earlier = masks[..c].iter().any(|m| x & m == y & m);
                    if distance <= limit && !earlier {
                        pairs.push((i.min(j), i.max(j), distance));
                    }
                }
            }
        }
    }
    pairs.sort_unstable();
    pairs
}

/// Disjoint sets over `0..n` (path halving).
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.parent[a.max(b)] = a.min(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_pairs_finds_every_pair_within_the_limit() {
        let hashes: Vec<u64> = vec![0, 0b111, 0b1111_1111, u64::MAX, 1 << 63 | 1];
        let brute: Vec<(usize, usize, u32)> = (0..hashes.len())
            .flat_map(|i| (i + 1..hashes.len()).map(move |j| (i, j)))
            .map(|(i, j)| (i, j, (hashes[i] ^ hashes[j]).count_ones()))
            .filter(|p| p.2 <= 6)
            .collect();
        assert_eq!(close_pairs(&hashes, 6), brute);
        assert_eq!(brute.len(), 4);
    }
}
