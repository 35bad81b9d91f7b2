//! `glassbox audit --html` and `--masks` end to end: the page is self-contained, names the
//! findings, every picture decodes as PNG, NIfTI raw and canonical views match nibabel, and
//! regions are drawn.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{generate, glassbox};
use glassbox_run::inputs;
use serde_json::Value;
use std::path::Path;

/// Runs `glassbox audit DIR --html` and returns the page.
fn html_of(dir: &Path, extra: &[&str]) -> String {
    let page = dir.join("report.html");
    let mut args = vec![
        "audit",
        dir.to_str().unwrap(),
        "--json",
        "--html",
        page.to_str().unwrap(),
    ];
    args.extend(extra);
    let out = glassbox(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    std::fs::remove_file(&page).unwrap();
    html
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = text.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= u32::from(value(c)) << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// A decoded picture: width, height and RGB bytes.
struct Picture {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Picture {
    fn at(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }
}

/// Every `<img>` of the page after `from` (a marker), decoded through glassbox's PNG reader.
fn pictures(html: &str, from: &str) -> Vec<Picture> {
    let start = html.find(from).unwrap_or_else(|| panic!("{from} missing"));
    let scratch = tempfile::tempdir().unwrap();
    html[start..]
        .split("<img ")
        .skip(1)
        .enumerate()
        .map(|(i, tag)| {
            let data = tag
                .split_once("src=\"data:image/png;base64,")
                .unwrap_or_else(|| panic!("img {i} is not an inline PNG: {}", &tag[..80]))
                .1;
            let data = &data[..data.find('"').unwrap()];
            let file = scratch.path().join(format!("{i}.png"));
            std::fs::write(&file, base64_decode(data)).unwrap();
            let loaded = inputs::read(&file).unwrap();
            assert_eq!(loaded.array.shape[2], 3, "RGB");
            Picture {
                width: loaded.array.shape[1],
                height: loaded.array.shape[0],
                rgb: loaded.array.bytes,
            }
        })
        .collect()
}

#[test]
fn html_is_self_contained_names_findings_and_every_picture_decodes() {
    let (dir, _) = generate("html");
    let html = html_of(dir.path(), &[]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for external in ["http://", "https://", "<script", "<link"] {
        let stray = html.replace("http://www.w3.org/2000/svg", "");
        assert!(!stray.contains(external), "external reference {external}");
    }
    for rule in ["constant-samples", "exact-duplicates", "outlier-samples"] {
        assert!(html.contains(rule), "{rule} missing");
    }
    // Most severe first.
    assert!(html.find("mixed-shapes").unwrap() < html.find("outlier-samples").unwrap());
    assert!(html.contains("<svg"), "histogram and ranges are inline SVG");
    // The gallery: one card per flagged sample, each with a decodable thumbnail.
    let gallery = &html[html.find("Flagged and outlier samples").unwrap()..];
    let gallery = &gallery[..gallery.find("<h2>").unwrap_or(gallery.len())];
    let cards = gallery.matches("class=\"card\"").count();
    let thumbnails = pictures(gallery, "Flagged");
    assert!(cards >= 6, "{cards} cards");
    assert_eq!(thumbnails.len(), cards, "an <img> per gallery sample");
    for picture in &thumbnails {
        assert!(picture.width <= 128 && picture.height <= 128);
    }
    for flagged in [
        "constant.png",
        "bright.png",
        "wide.png",
        "copy_of_img03.png",
    ] {
        assert!(gallery.contains(flagged), "{flagged} not in the gallery");
    }
}

#[test]
fn nifti_canonical_view_equals_nibabel_and_mirrors_the_las_raw_view() {
    let (dir, facts) = generate("html");
    let html = html_of(dir.path(), &[]);
    let start = html.find("data-path=\"las.nii.gz\"").unwrap();
    let end = start + html[start..].find("</div></div>").unwrap();
    let views = pictures(&html[start..end], "data-path");
    assert_eq!(views.len(), 2, "raw and canonical");
    let (raw, canonical) = (&views[0], &views[1]);
    let las = &facts["las"];
    let (lo, hi) = (las["min"].as_f64().unwrap(), las["max"].as_f64().unwrap());
    for (picture, key) in [(raw, "raw"), (canonical, "canonical")] {
        let want: Vec<Vec<f64>> = serde_json::from_value(las[key].clone()).unwrap();
        let (rows, cols) = (want.len(), want[0].len());
        assert_eq!(
            (picture.height % rows, picture.width % cols),
            (0, 0),
            "{key}"
        );
        let zoom = picture.width / cols;
        assert_eq!(picture.height / rows, zoom, "{key}");
        for (r, row) in want.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                let level = ((v - lo) / (hi - lo) * 255.0).round() as i32;
                let got = picture.at(c * zoom + zoom / 2, r * zoom + zoom / 2)[0] as i32;
                assert!(
                    (got - level).abs() <= 1,
                    "{key} row {r} col {c}: {got} vs nibabel {level}"
                );
            }
        }
    }
    // LAS: the canonical view is the raw view mirrored left-right.
    for y in 0..raw.height {
        for x in 0..raw.width {
            assert_eq!(raw.at(x, y), canonical.at(raw.width - 1 - x, y));
        }
    }
}

#[test]
fn regions_are_drawn_on_example_images() {
    let (dir, _) = generate("xray");
    let html = html_of(dir.path(), &[]);
    let start = html
        .find("<h2>Regions</h2>")
        .expect("the burned-in-mark region is drawn");
    let section = &html[start..html[start + 4..].find("<h2>").unwrap() + start + 4];
    assert!(section.contains("burned-in-mark"));
    let examples = pictures(section, "Regions");
    assert!(!examples.is_empty());
    for picture in examples {
        let red = (0..picture.height)
            .flat_map(|y| (0..picture.width).map(move |x| (x, y)))
            .filter(|&(x, y)| picture.at(x, y) == [255, 40, 40])
            .count();
        assert!(red > 40, "no outline: {red} red pixels");
        // The tag is at the top left: the outline's pixels sit in the left half, top half.
        let first = (0..picture.height * picture.width)
            .find(|&i| picture.at(i % picture.width, i / picture.width) == [255, 40, 40])
            .unwrap();
        assert!(
            first % picture.width < picture.width / 2 && first / picture.width < picture.height / 2
        );
    }
}

/// Images of three sizes with a tag at the same distances from the bottom-right corner: on each
/// example the outline sits on that image's own tag, wherever its size puts it.
#[test]
fn anchored_regions_are_placed_in_each_image_size() {
    let (dir, plan) = generate("xray-sizes");
    let html = html_of(dir.path(), &[]);
    let start = html.find("<h2>Regions</h2>").expect("a region is drawn");
    let section = &html[start..html[start + 4..].find("<h2>").unwrap() + start + 4];
    let cards: Vec<&str> = section.split("<div class=\"card\">").skip(1).collect();
    let examples = pictures(section, "Regions");
    assert_eq!(cards.len(), examples.len());
    assert!(examples.len() >= 3);
    let mut widths = std::collections::BTreeSet::new();
    for (card, picture) in cards.iter().zip(&examples) {
        let name = card
            .rsplit("<div>")
            .next()
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        let facts = &plan["per_file"][name];
        let tag: Vec<f64> = serde_json::from_value(facts["box"].clone()).unwrap();
        let longest = facts["width"]
            .as_f64()
            .unwrap()
            .max(facts["height"].as_f64().unwrap());
        let scale = picture.width.max(picture.height) as f64 / longest;
        widths.insert(picture.width);
        let red: Vec<(usize, usize)> = (0..picture.height)
            .flat_map(|y| (0..picture.width).map(move |x| (x, y)))
            .filter(|&(x, y)| picture.at(x, y) == [255, 40, 40])
            .collect();
        assert!(red.len() > 40, "{name}: no outline");
        let (x0, x1) = (red.iter().map(|p| p.0).min(), red.iter().map(|p| p.0).max());
        let (y0, y1) = (red.iter().map(|p| p.1).min(), red.iter().map(|p| p.1).max());
        let drawn = [x0, y0, x1, y1].map(|v| v.unwrap() as f64);
        for (side, (got, want)) in drawn.iter().zip(tag.iter().map(|v| v * scale)).enumerate() {
            // 4 px of region slack and the outline's own width, at thumbnail scale.
            assert!(
                (got - want).abs() <= 4.0 * scale + 3.0,
                "{name}: outline side {side} at {got}, tag at {want} (scale {scale})"
            );
        }
    }
    assert!(
        widths.len() > 1,
        "examples of more than one size: {widths:?}"
    );
}

#[test]
fn masks_flag_on_the_command_line() {
    let (dir, facts) = generate("masks");
    let images = dir.path().join("images");
    let masks = dir.path().join("masks");
    let out = glassbox(&[
        "audit",
        images.to_str().unwrap(),
        "--masks",
        masks.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for rule in facts["planted"].as_object().unwrap().keys() {
        assert!(rules.contains(&rule.as_str()), "{rule} missing: {rules:?}");
    }
    assert_eq!(report["masks"]["pairs"].as_array().unwrap().len(), 11);
    assert!(report["masks"]["masks"][0]["labels"].is_array());
    let missing = glassbox(&["audit", images.to_str().unwrap(), "--masks", "no/such"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such"));
}
