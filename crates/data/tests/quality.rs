//! The image-quality rules on a generated set (`make_audit_fixtures.py quality`): every planted
//! problem found with exactly its planted pictures, none of the clean ones flagged, and the
//! per-picture facts equal to numpy's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use glassbox_data::findings::Finding;
use glassbox_data::AuditReport;
use serde_json::Value;

/// The rules of `findings/images.rs` that give one finding listing every flagged picture.
const PER_PICTURE_RULES: [&str; 7] = [
    "too-dark",
    "too-light",
    "low-information",
    "blurry",
    "odd-aspect-ratio",
    "odd-size",
    "grayscale-as-rgb",
];

mod common;
use common::*;

/// The `quality` set in a new temp dir, its audit, and the script's plan and numpy facts.
fn quality_set() -> (tempfile::TempDir, AuditReport, Value) {
    let (dir, plan) = generate("quality");
    let report = run(dir.path());
    (dir, report, plan)
}

fn findings<'a>(report: &'a AuditReport, rule: &str) -> Vec<&'a Finding> {
    report.findings.iter().filter(|f| f.rule == rule).collect()
}

fn sorted(mut paths: Vec<String>) -> Vec<String> {
    paths.sort();
    paths
}

#[test]
fn every_planted_quality_problem_is_found_with_exactly_its_pictures() {
    let (_dir, report, plan) = quality_set();
    let files: Vec<String> = serde_json::from_value(plan["files"].clone()).unwrap();
    assert_eq!(report.samples.len(), files.len(), "{:?}", report.unreadable);
    assert!(report.samples.iter().all(|s| s.image.is_some()));
    for rule in PER_PICTURE_RULES {
        let planted: Vec<String> = serde_json::from_value(plan["planted"][rule].clone()).unwrap();
        let found = findings(&report, rule);
        assert_eq!(found.len(), 1, "{rule}: {:#?}", report.findings);
        assert_eq!(sorted(found[0].samples.clone()), planted, "{rule}");
        // The message gives the measured value of the first (most affected) picture.
        let first = &found[0].samples[0];
        assert!(
            found[0].message.contains(&format!("{first} (")),
            "{rule}: {}",
            found[0].message
        );
    }
    for rule in ["near-duplicates", "exact-duplicates"] {
        let planted: Vec<Vec<String>> =
            serde_json::from_value(plan["groups"][rule].clone()).unwrap();
        let mut groups: Vec<Vec<String>> = findings(&report, rule)
            .iter()
            .map(|f| sorted(f.samples.clone()))
            .collect();
        groups.sort();
        assert_eq!(groups, planted, "{rule}");
    }
}

#[test]
fn most_affected_pictures_come_first() {
    let (_dir, report, _) = quality_set();
    let picture = |path: &str| {
        report
            .samples
            .iter()
            .find(|s| s.path == path)
            .and_then(|s| s.image.as_ref())
            .unwrap()
    };
    let blurry = &findings(&report, "blurry")[0].samples;
    let sharpness: Vec<f64> = blurry
        .iter()
        .map(|p| picture(p).sharpness.unwrap())
        .collect();
    assert!(sharpness.windows(2).all(|w| w[0] <= w[1]), "{sharpness:?}");
    let dark = &findings(&report, "too-dark")[0].samples;
    let p99: Vec<f64> = dark.iter().map(|p| picture(p).luminance_p99).collect();
    assert!(p99.windows(2).all(|w| w[0] <= w[1]), "{p99:?}");
}

#[test]
fn blur_is_found_on_dark_and_bright_pictures_alike() {
    // CleanVision's blur score follows brightness; ours is relative to the picture's contrast.
    let (_dir, report, _) = quality_set();
    let brightness = |path: &str| {
        let s = report.samples.iter().find(|s| s.path == path).unwrap();
        s.image.as_ref().unwrap().brightness
    };
    let blurry = &findings(&report, "blurry")[0].samples;
    assert!(blurry.iter().any(|p| brightness(p) < 0.35), "{blurry:?}");
    assert!(blurry.iter().any(|p| brightness(p) > 0.65), "{blurry:?}");
    // The set is one where a score that follows contrast fails: the plain Laplacian variance
    // (sharpness times the luminance variance, exact for gray pictures) under the same
    // "median / BLUR_FACTOR" rule flags sharp pictures too.
    let plain: Vec<(&str, f64)> = report
        .samples
        .iter()
        .filter(|s| s.channels == Some(1))
        .filter_map(|s| {
            let image = s.image.as_ref()?;
            let range = image.scale[1] - image.scale[0];
            let variance = (s.stats.std? / range).powi(2);
            Some((s.path.as_str(), image.sharpness? * variance))
        })
        .collect();
    let mut values: Vec<f64> = plain.iter().map(|(_, v)| *v).collect();
    values.sort_by(f64::total_cmp);
    let median = values[values.len() / 2];
    let wrongly_flagged: Vec<&str> = plain
        .iter()
        .filter(|(p, v)| {
            *v < median / glassbox_data::findings::images::BLUR_FACTOR
                && !blurry.iter().any(|b| b == p)
        })
        .map(|(p, _)| *p)
        .collect();
    assert!(!wrongly_flagged.is_empty(), "{plain:?}");
}

#[test]
fn brightness_entropy_and_phash_agree_with_numpy() {
    let (_dir, report, plan) = quality_set();
    let facts = plan["facts"].as_object().unwrap();
    assert!(facts.len() >= 30, "{}", facts.len());
    for (path, want) in facts {
        let s = report.samples.iter().find(|s| &s.path == path).unwrap();
        let image = s.image.as_ref().unwrap();
        for (what, got) in [
            ("brightness", image.brightness),
            ("entropy_bits", image.entropy_bits),
        ] {
            let want = want[what].as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-9,
                "{path} {what}: {got} vs numpy {want}"
            );
        }
        assert_eq!(image.phash, want["phash"].as_str().unwrap(), "{path}");
    }
    // 16-bit pictures are on the 0..65535 scale: the mid-gray one is mid-gray.
    let normal16 = report
        .samples
        .iter()
        .find(|s| s.path == "normal16.png")
        .unwrap();
    assert_eq!(normal16.dtype, "uint16");
    let brightness = normal16.image.as_ref().unwrap().brightness;
    assert!((0.4..0.6).contains(&brightness), "{brightness}");
}
