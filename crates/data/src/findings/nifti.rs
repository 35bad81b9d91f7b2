//! NIfTI header findings: the ones that break pre-processing that ignores the header.

use super::{examples, group_by, mixed_finding, paths, Context, Finding, Severity};
use crate::sample::{NiftiHeader, SampleRecord};

/// Largest over smallest spatial voxel size above this flags anisotropic voxels.
pub const ANISOTROPY_RATIO: f64 = 3.0;
/// qform and sform differing by more than this (mm, any affine entry) disagree.
const AFFINE_TOLERANCE_MM: f64 = 1e-3;

fn volumes<'a>(context: &'a Context) -> impl Iterator<Item = (&'a SampleRecord, &'a NiftiHeader)> {
    context
        .samples
        .iter()
        .filter_map(|s| s.header.as_ref().map(|h| (s, h)))
}

/// The spatial voxel sizes: the first three (or fewer) of `pixdim`.
fn spatial(header: &NiftiHeader) -> &[f64] {
    &header.voxel_size[..header.voxel_size.len().min(3)]
}

/// Volumes whose axes point different ways (RAS, LAS, LPS, ...): arrays fed in raw order
/// show the network flipped or transposed anatomy.
pub fn mixed_orientations(context: &Context) -> Vec<Finding> {
    let groups = group_by(volumes(context).map(|(s, _)| s), |s| {
        s.header
            .as_ref()
            .map(|h| h.orientation.clone())
            .unwrap_or_default()
    });
    mixed_finding(
        "nifti-mixed-orientations",
        Severity::Warning,
        "orientations",
        groups,
    )
}

/// Volumes whose largest spatial voxel size is more than [`ANISOTROPY_RATIO`] times the
/// smallest.
pub fn anisotropic_voxels(context: &Context) -> Vec<Finding> {
    let flagged: Vec<(&SampleRecord, String)> = volumes(context)
        .filter_map(|(s, h)| {
            let sizes = spatial(h);
            let positive = sizes.iter().all(|v| v.is_finite() && *v > 0.0);
            let lo = sizes.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = sizes.iter().copied().fold(0.0, f64::max);
            (sizes.len() > 1 && positive && hi / lo > ANISOTROPY_RATIO)
                .then(|| (s, format!("{} ({})", s.path, sizes_text(sizes))))
        })
        .collect();
    if flagged.is_empty() {
        return Vec::new();
    }
    let described: Vec<String> = flagged.iter().map(|(_, d)| d.clone()).collect();
    let message = format!(
        "{} volume(s) have voxels more than {ANISOTROPY_RATIO}x longer on one axis than another: {}",
        flagged.len(),
        examples(&described, 3)
    );
    let samples = paths(flagged.iter().map(|(s, _)| *s));
    vec![Finding::new(
        "nifti-anisotropic-voxels",
        Severity::Warning,
        message,
        samples,
    )]
}

fn sizes_text(sizes: &[f64]) -> String {
    sizes
        .iter()
        .map(|v| format!("{v}"))
        .collect::<Vec<_>>()
        .join(" x ")
}

/// Volumes with both a qform and an sform (codes > 0) that map voxels to different places:
/// tools that read the qform (some do) and tools that read the sform disagree.
pub fn qform_sform_disagree(context: &Context) -> Vec<Finding> {
    let flagged: Vec<(&SampleRecord, f64)> = volumes(context)
        .filter(|(_, h)| h.qform_code > 0 && h.sform_code > 0)
        .filter_map(|(s, h)| {
            let difference = h
                .qform
                .iter()
                .flatten()
                .zip(h.sform.iter().flatten())
                .map(|(q, s)| (q - s).abs())
                .fold(0.0, f64::max);
            (difference > AFFINE_TOLERANCE_MM || difference.is_nan()).then_some((s, difference))
        })
        .collect();
    if flagged.is_empty() {
        return Vec::new();
    }
    let described: Vec<String> = flagged
        .iter()
        .map(|(s, d)| format!("{} (up to {d:.3} mm)", s.path))
        .collect();
    let message = format!(
        "{} volume(s) have a qform and an sform that disagree; the sform is used: {}",
        flagged.len(),
        examples(&described, 3)
    );
    let samples = paths(flagged.iter().map(|(s, _)| *s));
    vec![Finding::new(
        "nifti-qform-sform-disagree",
        Severity::Warning,
        message,
        samples,
    )]
}

/// Volumes whose header scales the stored values (`scl_slope`/`scl_inter` other than 1/0):
/// values your array loader may miss if it reads the raw data.
pub fn scaling_present(context: &Context) -> Vec<Finding> {
    let flagged: Vec<(&SampleRecord, String)> = volumes(context)
        .filter(|(_, h)| h.scaled)
        .map(|(s, h)| {
            let text = format!(
                "{} ({} x {} + {})",
                s.path, h.datatype, h.scl_slope, h.scl_inter
            );
            (s, text)
        })
        .collect();
    if flagged.is_empty() {
        return Vec::new();
    }
    let described: Vec<String> = flagged.iter().map(|(_, d)| d.clone()).collect();
    let message = format!(
        "{} volume(s) store scaled values (scl_slope/scl_inter): values your array loader may \
         miss if it reads the raw data: {}",
        flagged.len(),
        examples(&described, 3)
    );
    let samples = paths(flagged.iter().map(|(s, _)| *s));
    vec![Finding::new(
        "nifti-scaling",
        Severity::Warning,
        message,
        samples,
    )]
}

/// Volumes with a zero, negative, non-finite or missing spatial voxel size.
pub fn bad_pixdim(context: &Context) -> Vec<Finding> {
    let flagged: Vec<(&SampleRecord, String)> = volumes(context)
        .filter(|(_, h)| {
            let sizes = spatial(h);
            sizes.len() < h.dim.len().min(3) || sizes.iter().any(|v| !(v.is_finite() && *v > 0.0))
        })
        .map(|(s, h)| (s, format!("{} (pixdim {})", s.path, sizes_text(spatial(h)))))
        .collect();
    if flagged.is_empty() {
        return Vec::new();
    }
    let described: Vec<String> = flagged.iter().map(|(_, d)| d.clone()).collect();
    let message = format!(
        "{} volume(s) have a zero, negative or missing voxel size, so their physical size is \
         unknown: {}",
        flagged.len(),
        examples(&described, 3)
    );
    let samples = paths(flagged.iter().map(|(s, _)| *s));
    vec![Finding::new(
        "nifti-bad-pixdim",
        Severity::Warning,
        message,
        samples,
    )]
}
