//! Masks against their images (with `--masks`): pairing, shapes, empty and non-binary masks.
//!
//! A finding about a mask names the image it is paired with, or the mask's own path (relative
//! to the masks folder) when it has none; the message names the mask files.

use super::{examples, Context, Finding, Severity};
use crate::masks::{MaskRecord, MaskSet};
use crate::sample::SampleRecord;

/// The sample name of a mask in findings: its image's path, else its own.
fn named(set: &MaskSet, mask: &MaskRecord) -> String {
    set.image_of(&mask.path).unwrap_or(&mask.path).to_string()
}

fn sorted(mut paths: Vec<String>) -> Vec<String> {
    paths.sort();
    paths.dedup();
    paths
}

/// Mask files that could not be read.
pub fn unreadable_mask(context: &Context) -> Vec<Finding> {
    let Some(set) = context.masks else {
        return Vec::new();
    };
    set.unreadable
        .iter()
        .map(|u| {
            Finding::new(
                "unreadable-mask",
                Severity::Error,
                u.problem.clone(),
                vec![u.path.clone()],
            )
        })
        .collect()
}

/// Images without a mask.
pub fn image_without_mask(context: &Context) -> Vec<Finding> {
    let Some(set) = context.masks else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    if !set.images_without_mask.is_empty() {
        let paths = &set.images_without_mask;
        let message = format!(
            "{} image(s) have no mask in {}: {}",
            paths.len(),
            set.root,
            examples(paths, 3)
        );
        findings.push(Finding::new(
            "image-without-mask",
            Severity::Warning,
            message,
            paths.clone(),
        ));
    }
    findings
}

/// Masks without an image.
pub fn mask_without_image(context: &Context) -> Vec<Finding> {
    let Some(set) = context.masks else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    if !set.masks_without_image.is_empty() {
        let paths = &set.masks_without_image;
        let message = format!(
            "{} mask(s) in {} have no image (or share an image with another mask): {}",
            paths.len(),
            set.root,
            examples(paths, 3)
        );
        findings.push(Finding::new(
            "mask-without-image",
            Severity::Warning,
            message,
            paths.clone(),
        ));
    }
    findings
}

/// Image and mask with different spatial shapes.
pub fn shape_mismatch(context: &Context) -> Vec<Finding> {
    let Some(set) = context.masks else {
        return Vec::new();
    };
    let mut described = Vec::new();
    let mut samples = Vec::new();
    for pair in &set.pairs {
        let (Some(image), Some(mask)) =
            (sample(context.samples, &pair.image), set.mask(&pair.mask))
        else {
            continue;
        };
        let image_spatial = crate::masks::spatial_shape(&image.format, &image.shape);
        let mask_spatial = mask.spatial_shape();
        if image_spatial != mask_spatial {
            described.push(format!(
                "{} {} vs mask {} {}",
                pair.image,
                crate::shape_text(&image_spatial),
                pair.mask,
                crate::shape_text(&mask_spatial)
            ));
            samples.push(pair.image.clone());
        }
    }
    if samples.is_empty() {
        return Vec::new();
    }
    let message = format!(
        "{} mask(s) differ from their image in spatial shape: {}",
        samples.len(),
        examples(&described, 3)
    );
    vec![Finding::new(
        "mask-shape-mismatch",
        Severity::Error,
        message,
        sorted(samples),
    )]
}

fn sample<'a>(samples: &'a [SampleRecord], path: &str) -> Option<&'a SampleRecord> {
    let at = samples.partition_point(|s| s.path.as_str() < path);
    samples.get(at).filter(|s| s.path == path)
}

/// Masks that are all background (every value 0).
pub fn empty_masks(context: &Context) -> Vec<Finding> {
    let Some(set) = context.masks else {
        return Vec::new();
    };
    let empty: Vec<&MaskRecord> = set.masks.iter().filter(|m| m.is_empty()).collect();
    if empty.is_empty() {
        return Vec::new();
    }
    let files: Vec<String> = empty.iter().map(|m| m.path.clone()).collect();
    let message = format!(
        "{} of {} mask(s) are all background (0): {}",
        empty.len(),
        set.masks.len(),
        examples(&files, 3)
    );
    let samples = sorted(empty.iter().map(|m| named(set, m)).collect());
    vec![Finding::new(
        "empty-masks",
        Severity::Info,
        message,
        samples,
    )]
}

/// In a binary set (most masks hold at most two values), masks with more: JPEG compression,
/// resampling with interpolation, anti-aliased drawing.
pub fn not_binary(context: &Context) -> Vec<Finding> {
    let Some(set) = context.masks else {
        return Vec::new();
    };
    if !set.binary {
        return Vec::new();
    }
    let odd: Vec<&MaskRecord> = set.masks.iter().filter(|m| m.distinct_values > 2).collect();
    if odd.is_empty() {
        return Vec::new();
    }
    let described: Vec<String> = odd
        .iter()
        .map(|m| format!("{} ({} values)", m.path, m.distinct_values))
        .collect();
    let message = format!(
        "{} mask(s) are not binary while {} of {} are (JPEG compression or interpolation?): {}",
        odd.len(),
        set.masks.len() - odd.len(),
        set.masks.len(),
        examples(&described, 3)
    );
    let samples = sorted(odd.iter().map(|m| named(set, m)).collect());
    vec![Finding::new(
        "mask-not-binary",
        Severity::Warning,
        message,
        samples,
    )]
}
