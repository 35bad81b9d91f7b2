//! The values of single samples: constant samples, and samples whose statistics stand out.

use super::{examples, group_by, paths, Context, Finding, Severity};
use crate::sample::{percentiles, SampleRecord};

/// Robust z-scores above this flag an outlier (Iglewicz and Hoaglin's 3.5).
const OUTLIER_Z: f64 = 3.5;
/// Fewer samples than this in a convention group give no outlier findings.
const OUTLIER_MIN_SAMPLES: usize = 8;

/// Samples whose values are all the same (blank images, empty volumes).
pub fn constant_samples(context: &Context) -> Vec<Finding> {
    let constant: Vec<&SampleRecord> = context.samples.iter().filter(|s| s.constant).collect();
    if constant.is_empty() {
        return Vec::new();
    }
    let samples = paths(constant.iter().copied());
    let value = |s: &SampleRecord| match s.stats.min {
        Some(v) => format!("{v}"),
        None => "no finite value".to_string(),
    };
    let message = format!(
        "{} sample(s) hold a single value everywhere ({} = {})",
        samples.len(),
        examples(&samples, 3),
        value(constant[0])
    );
    vec![Finding::new(
        "constant-samples",
        Severity::Warning,
        message,
        samples,
    )]
}

/// Samples whose mean or standard deviation is far from the others' by the robust z-score
/// `0.6745 (x - median) / MAD`, within each value convention (so `[0,1]` floats are not
/// compared with `uint8` images). One finding per statistic.
pub fn outlier_samples(context: &Context) -> Vec<Finding> {
    let groups = group_by(context.samples, |s| s.convention.clone());
    let mut findings = Vec::new();
    for (statistic, pick) in [
        (
            "mean",
            (|s: &SampleRecord| s.stats.mean) as fn(&SampleRecord) -> Option<f64>,
        ),
        ("std", |s: &SampleRecord| s.stats.std),
    ] {
        let mut flagged: Vec<(&SampleRecord, f64)> = Vec::new();
        for members in groups.values() {
            let values: Vec<(&SampleRecord, f64)> = members
                .iter()
                .filter_map(|s| pick(s).map(|v| (*s, v)))
                .collect();
            flagged.extend(robust_outliers(&values));
        }
        if flagged.is_empty() {
            continue;
        }
        flagged.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        let described: Vec<String> = flagged
            .iter()
            .map(|(s, z)| format!("{} (z = {z:.1})", s.path))
            .collect();
        let message = format!(
            "{} sample(s) have an unusual {statistic} (robust z-score over {OUTLIER_Z}): {}",
            flagged.len(),
            examples(&described, 3)
        );
        let samples = paths(flagged.iter().map(|(s, _)| *s));
        findings.push(Finding::new(
            "outlier-samples",
            Severity::Info,
            message,
            samples,
        ));
    }
    findings
}

/// The members whose robust z-score exceeds [`OUTLIER_Z`], with the score. When the MAD is
/// zero (most values equal), the mean absolute deviation scaled by 1.2533 stands in for it.
fn robust_outliers<'a>(values: &[(&'a SampleRecord, f64)]) -> Vec<(&'a SampleRecord, f64)> {
    if values.len() < OUTLIER_MIN_SAMPLES {
        return Vec::new();
    }
    let mut xs: Vec<f64> = values.iter().map(|(_, v)| *v).collect();
    let [Some(median)] = percentiles(&mut xs, [50.0]) else {
        return Vec::new();
    };
    let mut deviations: Vec<f64> = values.iter().map(|(_, v)| (v - median).abs()).collect();
    let [Some(mad)] = percentiles(&mut deviations, [50.0]) else {
        return Vec::new();
    };
    // The robust z-score is (x - median) * scale.
    let scale = if mad > 0.0 {
        0.6745 / mad
    } else {
        let mean_deviation = deviations.iter().sum::<f64>() / deviations.len() as f64;
        if mean_deviation == 0.0 {
            return Vec::new();
        }
        1.0 / (1.253314 * mean_deviation)
    };
    let z_of = |x: f64| (x - median) * scale;
    values
        .iter()
        .map(|(s, v)| (*s, z_of(*v)))
        .filter(|(_, z)| z.abs() > OUTLIER_Z)
        .collect()
}
