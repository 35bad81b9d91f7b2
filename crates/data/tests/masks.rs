//! `--masks` pairing and mask findings, and the dataset intensity histogram, against numpy on
//! generated sets; sharded audits with masks merged equal one run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use glassbox_data::{audit, audit_with, merge, AuditOptions, AuditReport, Shard};
use std::path::Path;

mod common;
use common::*;

fn with_masks(dir: &Path, shard: Option<Shard>) -> AuditReport {
    let options = AuditOptions {
        shard,
        masks: Some(dir.join("masks")),
    };
    audit_with(&dir.join("images"), &options, &|_| {}).unwrap()
}

#[test]
fn each_mask_finding_names_its_planted_sample() {
    let (dir, facts) = generate("masks");
    let report = with_masks(dir.path(), None);
    for (rule, expected) in facts["planted"].as_object().unwrap() {
        let expected: Vec<String> = serde_json::from_value(expected.clone()).unwrap();
        let found: Vec<_> = report.findings.iter().filter(|f| &f.rule == rule).collect();
        assert_eq!(found.len(), 1, "{rule}: {:#?}", report.findings);
        assert_eq!(found[0].samples, expected, "{rule}");
    }
    let masks = report.masks.as_ref().unwrap();
    assert!(masks.binary);
    // Pairing across suffixes, formats and folders.
    let pair_of = |image: &str| {
        masks
            .pairs
            .iter()
            .find(|p| p.image == image)
            .map(|p| p.mask.as_str())
    };
    assert_eq!(pair_of("case00.png"), Some("case00_mask.png"));
    assert_eq!(pair_of("case07.png"), Some("case07_seg.png"));
    assert_eq!(pair_of("case09.png"), Some("case09_mask.jpg"));
    assert_eq!(pair_of("sub/case10.png"), Some("sub/case10_label.npy"));
    assert_eq!(pair_of("vol.nii.gz"), Some("vol_seg.nii.gz"));
    assert_eq!(pair_of("case06.png"), None);
    // Label values per mask, as numpy's unique.
    for (path, values) in facts["labels"].as_object().unwrap() {
        let want: Vec<f64> = serde_json::from_value(values.clone()).unwrap();
        let mask = masks.mask(path).unwrap_or_else(|| panic!("no mask {path}"));
        assert_eq!(mask.distinct_values, want.len() as u64, "{path}");
        let got: Vec<f64> = mask.labels.iter().map(|l| l.value).collect();
        if want.len() <= glassbox_data::masks::MAX_LABELS_PER_MASK {
            assert_eq!(got, want, "{path}");
        } else {
            assert!(got.iter().all(|v| want.contains(v)), "{path}: {got:?}");
        }
    }
    // Over the set: 0 in every mask, 255 in the 9 PNG/JPEG masks with a disk, 1 in the .npy
    // and the NIfTI mask (and in the JPEG's, if among its 16 most frequent values).
    assert_eq!(masks.masks_holding(0.0), masks.masks.len());
    assert_eq!(masks.masks_holding(255.0), 9);
    assert!(
        (2..=3).contains(&masks.masks_holding(1.0)),
        "{:?}",
        masks.labels
    );
    // Without --masks, none of this.
    let plain = audit(&dir.path().join("images"), None, &|_| {}).unwrap();
    assert!(plain.masks.is_none());
    assert!(plain.findings.iter().all(|f| !f.rule.contains("mask")));
}

#[test]
fn a_masks_folder_inside_the_dataset_is_not_audited_as_images() {
    let (dir, _) = generate("masks");
    let images = dir.path().join("images");
    std::fs::rename(dir.path().join("masks"), images.join("masks")).unwrap();
    let options = AuditOptions {
        shard: None,
        masks: Some(images.join("masks")),
    };
    let report = audit_with(&images, &options, &|_| {}).unwrap();
    assert!(report.samples.iter().all(|s| !s.path.starts_with("masks/")));
    assert_eq!(
        report.masks.unwrap().pairs.len(),
        11,
        "every image but case06"
    );
}

#[test]
fn three_shards_with_masks_merged_equal_one_run() {
    let (dir, _) = generate("masks");
    std::fs::write(
        dir.path().join("masks/broken_mask.png"),
        b"\x89PNG\r\n\x1a\nno",
    )
    .unwrap();
    let whole = with_masks(dir.path(), None);
    assert!(whole
        .findings
        .iter()
        .any(|f| f.rule == "unreadable-mask" && f.samples == ["broken_mask.png"]));
    let parts: Vec<AuditReport> = (0..3)
        .map(|index| {
            let part = with_masks(dir.path(), Some(Shard { index, count: 3 }));
            serde_json::from_str(&serde_json::to_string(&part).unwrap()).unwrap()
        })
        .collect();
    assert!(
        parts
            .iter()
            .all(|p| p.masks.as_ref().unwrap().masks.len()
                < whole.masks.as_ref().unwrap().masks.len())
    );
    let merged = merge(parts).unwrap();
    assert_eq!(
        serde_json::to_value(&merged).unwrap(),
        serde_json::to_value(&whole).unwrap()
    );
}

#[test]
fn dataset_histogram_of_uint8_images_equals_numpy() {
    let (dir, facts) = generate("histogram");
    let report = audit(&dir.path().join("u8"), None, &|_| {}).unwrap();
    let histogram = &report.dataset.histogram;
    assert!(histogram.exact);
    let want: Vec<f64> = serde_json::from_value(facts["u8_counts"].clone()).unwrap();
    assert_eq!(histogram.counts, want);
    let edges: Vec<f64> = (0..=256).map(f64::from).collect();
    assert_eq!(histogram.edges, edges);
    // Three shards merged give the same histogram.
    let parts: Vec<AuditReport> = (0..3)
        .map(|index| {
            audit(
                &dir.path().join("u8"),
                Some(Shard { index, count: 3 }),
                &|_| {},
            )
            .unwrap()
        })
        .collect();
    assert_eq!(&merge(parts).unwrap().dataset.histogram, histogram);
}

#[test]
fn float_samples_bin_like_numpy_and_rebin_keeping_the_total() {
    let (dir, facts) = generate("histogram");
    let report = audit(&dir.path().join("floats"), None, &|_| {}).unwrap();
    for (name, want) in facts["floats"].as_object().unwrap() {
        let sample = report.samples.iter().find(|s| &s.path == name).unwrap();
        let counts: Vec<u64> = serde_json::from_value(want["counts"].clone()).unwrap();
        assert_eq!(sample.histogram.counts, counts, "{name}");
        assert_eq!(sample.histogram.lo, want["lo"].as_f64().unwrap(), "{name}");
        assert_eq!(sample.histogram.hi, want["hi"].as_f64().unwrap(), "{name}");
    }
    let histogram = &report.dataset.histogram;
    assert!(!histogram.exact, "different ranges are rebinned");
    let total: f64 = histogram.counts.iter().sum();
    assert!((total - 3.0 * 600.0).abs() < 1e-6, "{total}");
    assert_eq!(histogram.edges[0], report.dataset.values.min.unwrap());
    assert_eq!(
        *histogram.edges.last().unwrap(),
        report.dataset.values.max.unwrap()
    );
}
