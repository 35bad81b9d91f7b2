//! The `burned-in-mark` rule on generated X-ray-like and skin-photo-like sets
//! (scripts/make_audit_fixtures.py): a text tag burned into some images, or a black ruler, is
//! found with its region and exactly its images, in 8-bit and 16-bit sets, in either corner and
//! across image sizes; two tags on different images are two findings, a tag
//! on every image is one; sets without a tag give no such finding; sharded audits merged give
//! the same finding.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use glassbox_data::findings::{Corner, Finding, Region, Severity};
use glassbox_data::{audit, merge, AuditReport, Shard};
use std::path::Path;

mod common;
use common::*;

fn marks(report: &AuditReport) -> Vec<&Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.rule == "burned-in-mark")
        .collect()
}

/// The one finding covers the core of the planted tags (the box inside every tag's box: the
/// tags are jittered by 2 px), each side at most `slack_px` from the box around all tags, and
/// names exactly the tagged files.
fn assert_found(set: &str, slack_px: usize) {
    let (dir, plan) = generate(set);
    let report = run(dir.path());
    let found = marks(&report);
    assert_eq!(found.len(), 1, "{set}: {found:#?}");
    let finding = found[0];
    assert_eq!(finding.severity, Severity::Warning);
    let tagged: Vec<String> = serde_json::from_value(plan["tagged"].clone()).unwrap();
    assert_eq!(finding.samples, tagged, "{set}");
    let planted: Region = serde_json::from_value(plan["box"].clone()).unwrap();
    let core: Region = serde_json::from_value(plan["core"].clone()).unwrap();
    let region = finding.region.unwrap();
    assert!(
        region.x0 <= core.x0
            && region.y0 <= core.y0
            && region.x1 >= core.x1
            && region.y1 >= core.y1,
        "{set}: region {region:?} does not contain the tags' core {core:?}"
    );
    let off = |a: usize, b: usize| a.abs_diff(b);
    assert!(
        off(planted.x0, region.x0) <= slack_px
            && off(planted.y0, region.y0) <= slack_px
            && off(region.x1, planted.x1) <= slack_px
            && off(region.y1, planted.y1) <= slack_px,
        "{set}: region {region:?} differs by more than {slack_px} px from the tags {planted:?}"
    );
    eprintln!("{set}: found {region:?}, planted {planted:?}, core {core:?}");
    let total = plan["files"].as_array().unwrap().len();
    let counted = format!("{} of {total} images", tagged.len());
    assert!(finding.message.starts_with(&counted), "{}", finding.message);
    let at = format!(
        "x {}..{}, y {}..{}",
        region.x0, region.x1, region.y0, region.y1
    );
    assert!(finding.message.contains(&at), "{}", finding.message);
}

#[test]
fn a_top_left_tag_on_some_8_bit_x_rays_is_found_with_its_region_and_images() {
    assert_found("xray", 4);
}

#[test]
fn a_bottom_right_tag_on_12_bit_values_in_16_bit_pngs_is_found() {
    assert_found("xray16", 4);
}

/// A black ruler near the bottom of some skin photographs (a dark mark, found on the negated
/// image) beside a soft dark lesion in every one (dark, but not sharp-edged).
#[test]
fn a_dark_ruler_on_some_skin_photographs_is_found() {
    assert_found("derm", 4);
    let (dir, _) = generate("derm");
    let report = run(dir.path());
    assert!(marks(&report)[0].message.contains("dark, sharp-edged"));
}

#[test]
fn sets_without_a_tag_have_no_burned_in_mark() {
    for set in [
        "xray-clean",
        "xray-sizes-clean",
        "derm-clean",
        "quality",
        "clean",
        "planted",
        "stats",
    ] {
        let (dir, _) = generate(set);
        let report = run(dir.path());
        assert!(!report.samples.is_empty(), "{set}");
        assert_eq!(marks(&report), Vec::<&Finding>::new(), "{set}");
    }
    // Every image (here all at least 16 px a side) has a mark record, even when nothing is
    // marked; volumes and tiny arrays have none.
    let (dir, _) = generate("stats");
    let report = run(dir.path());
    for sample in &report.samples {
        let image = sample.format == "png";
        assert_eq!(sample.marks.is_some(), image, "{}", sample.path);
    }
}

/// A tag at the same distances from one corner of images of four sizes (one of them with larger
/// mark blocks) is one finding. From
/// the bottom-right, the region is anchored there, and placed in each carrier's size it lands
/// on that image's own tag; from the top-left, plain coordinates hold in every size.
#[test]
fn a_tag_at_one_corner_of_images_of_four_sizes_is_one_finding() {
    for (set, anchor) in [
        ("xray-sizes", Some(Corner::BottomRight)),
        ("xray-sizes-tl", None),
    ] {
        let (dir, plan) = generate(set);
        let report = run(dir.path());
        let found = marks(&report);
        assert_eq!(found.len(), 1, "{set}: {found:#?}");
        let tagged: Vec<String> = serde_json::from_value(plan["tagged"].clone()).unwrap();
        assert_eq!(found[0].samples, tagged, "{set}");
        let region = found[0].region.unwrap();
        assert_eq!(region.anchor.map(|a| a.corner), anchor, "{set}");
        let per_file = plan["per_file"].as_object().unwrap();
        let mut sizes = std::collections::BTreeSet::new();
        for (name, facts) in per_file {
            let size = |key: &str| facts[key].as_u64().unwrap() as usize;
            let (width, height) = (size("width"), size("height"));
            sizes.insert((width, height));
            let tag: [usize; 4] = serde_json::from_value(facts["box"].clone()).unwrap();
            let placed = region.placed(width, height);
            let off = placed.iter().zip(tag).map(|(a, b)| a.abs_diff(b)).max();
            assert!(
                off <= Some(4),
                "{set}: {name} ({width}x{height}): region {placed:?}, tag {tag:?}"
            );
        }
        assert_eq!(sizes.len(), 4, "{set}: the carriers have four sizes");
        assert!(
            found[0].message.contains("images of 4 sizes"),
            "{}",
            found[0].message
        );
        eprintln!("{set}: {region}");
    }
}

#[test]
fn three_shards_merged_find_the_same_mark() {
    let (dir, _) = generate("xray");
    let whole = run(dir.path());
    assert_eq!(marks(&whole).len(), 1);
    let parts: Vec<AuditReport> = (0..3)
        .map(|index| {
            let part = audit(dir.path(), Some(Shard { index, count: 3 }), &|_| {}).unwrap();
            // Through JSON, as `glassbox merge` reads them.
            serde_json::from_str(&serde_json::to_string(&part).unwrap()).unwrap()
        })
        .collect();
    let merged = merge(parts).unwrap();
    assert_eq!(marks(&merged), marks(&whole));
    assert_eq!(
        serde_json::to_value(&merged).unwrap(),
        serde_json::to_value(&whole).unwrap()
    );
}

/// Writes a 2-D `uint8` array as `.npy`.
fn write_npy(path: &Path, rows: usize, cols: usize, values: &[u8]) {
    let dict = format!("{{'descr': '|u1', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    let mut header = dict.into_bytes();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header);
    bytes.extend(values);
    std::fs::write(path, bytes).unwrap();
}

/// A 64x64 smooth image; with `tags`, a 2-px white box outline at each (row, col) corner.
fn tagged_image(seed: usize, tags: &[(usize, usize)]) -> Vec<u8> {
    (0..64 * 64)
        .map(|i| {
            let (r, c) = (i / 64, i % 64);
            let on_tag = tags.iter().any(|&(r0, c0)| {
                let inside = (r0..r0 + 12).contains(&r) && (c0..c0 + 24).contains(&c);
                let ring = r < r0 + 2 || r >= r0 + 10 || c < c0 + 2 || c >= c0 + 22;
                inside && ring
            });
            if on_tag {
                255
            } else {
                (30 + (r + c) / 2 + seed * 3) as u8
            }
        })
        .collect()
}

#[test]
fn different_images_at_different_places_are_separate_findings_and_a_mark_on_all_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    // Top-left tag on a0..a3, bottom-right tag on a2..a5: two regions, two sets of images.
    for i in 0..6 {
        let mut tags = Vec::new();
        if i < 4 {
            tags.push((4, 4));
        }
        if i >= 2 {
            tags.push((48, 36));
        }
        let path = dir.path().join(format!("a{i}.npy"));
        write_npy(&path, 64, 64, &tagged_image(i, &tags));
    }
    let report = run(dir.path());
    let found = marks(&report);
    assert_eq!(found.len(), 2, "{found:#?}");
    let named = |f: &Finding| f.samples.join(" ");
    assert_eq!(named(found[0]), "a0.npy a1.npy a2.npy a3.npy");
    assert_eq!(found[0].region, Some(region(4, 4, 28, 16)));
    assert_eq!(named(found[1]), "a2.npy a3.npy a4.npy a5.npy");
    assert_eq!(found[1].region, Some(region(36, 48, 60, 60)));

    // The same tag on every image is still a finding, and says so.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5 {
        let path = dir.path().join(format!("b{i}.npy"));
        write_npy(&path, 64, 64, &tagged_image(i, &[(4, 4)]));
    }
    let report = run(dir.path());
    let found = marks(&report);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].samples.len(), 5);
    assert!(
        found[0].message.contains("every image"),
        "{}",
        found[0].message
    );
}

fn region(x0: usize, y0: usize, x1: usize, y1: usize) -> Region {
    Region {
        x0,
        y0,
        x1,
        y1,
        anchor: None,
    }
}
