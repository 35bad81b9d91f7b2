//! Dataset-level findings. Each rule is one function from the audited samples to findings,
//! grouped one file per family and registered in [`RULES`]; adding a rule is one function plus
//! one line here.

mod consistency;
mod duplicates;
mod files;
pub mod images;
mod marks;
mod masks;
mod nifti;
mod values;

use crate::sample::SampleRecord;
use crate::Unreadable;
use serde::{Deserialize, Serialize};

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, not a problem.
    Info,
    /// Probably a mistake.
    Warning,
    /// Certainly broken.
    Error,
}

/// A rectangle in pixels, `x1`/`y1` exclusive.
///
/// Without an `anchor` the coordinates hold in every image the finding names. With one, they
/// are for an image of `anchor.width_px` × `anchor.height_px`, and in an image of another size
/// the rectangle keeps its distances from `anchor.corner` ([`Region::placed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// Left column.
    pub x0: usize,
    /// Top row.
    pub y0: usize,
    /// One past the right column.
    pub x1: usize,
    /// One past the bottom row.
    pub y1: usize,
    /// The corner the region keeps its distance from, in images of other sizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<Anchor>,
}

/// Where a [`Region`] of images of mixed sizes sits: the coordinates are for an image of
/// `width_px` × `height_px`, and keep their distances from `corner` in the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    /// The corner.
    pub corner: Corner,
    /// Width of the image the coordinates are given for.
    pub width_px: usize,
    /// Height of the image the coordinates are given for.
    pub height_px: usize,
}

/// A corner of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Corner {
    /// Row 0, column 0.
    TopLeft,
    /// Row 0, the last column.
    TopRight,
    /// The last row, column 0.
    BottomLeft,
    /// The last row, the last column.
    BottomRight,
}

impl Corner {
    /// All four, top-left first.
    pub const ALL: [Corner; 4] = [
        Corner::TopLeft,
        Corner::TopRight,
        Corner::BottomLeft,
        Corner::BottomRight,
    ];

    /// A box `[x0, y0, x1, y1]` (exclusive ends) of a `width` × `height` image seen from this
    /// corner: its distances from the corner's two edges, again as a box. Applying it twice
    /// gives the box back. Saturates for boxes outside the image.
    pub fn flip(self, [x0, y0, x1, y1]: [usize; 4], width: usize, height: usize) -> [usize; 4] {
        let (x0, x1) = match self {
            Corner::TopRight | Corner::BottomRight => {
                (width.saturating_sub(x1), width.saturating_sub(x0))
            }
            _ => (x0, x1),
        };
        let (y0, y1) = match self {
            Corner::BottomLeft | Corner::BottomRight => {
                (height.saturating_sub(y1), height.saturating_sub(y0))
            }
            _ => (y0, y1),
        };
        [x0, y0, x1, y1]
    }

    /// Its name, like `bottom-right`.
    pub fn name(self) -> &'static str {
        match self {
            Corner::TopLeft => "top-left",
            Corner::TopRight => "top-right",
            Corner::BottomLeft => "bottom-left",
            Corner::BottomRight => "bottom-right",
        }
    }
}

impl std::fmt::Display for Region {
    /// `x 8..99, y 8..40`, and for an anchored region `in 256x256 px images, from the
    /// bottom-right corner in the others`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "x {}..{}, y {}..{}", self.x0, self.x1, self.y0, self.y1)?;
        if let Some(anchor) = self.anchor {
            write!(
                f,
                " in {}x{} px images, as far from the {} corner in the others",
                anchor.width_px,
                anchor.height_px,
                anchor.corner.name()
            )?;
        }
        Ok(())
    }
}

impl Region {
    /// The rectangle `[x0, y0, x1, y1]` in an image of `width` × `height` pixels, clipped to it.
    pub fn placed(&self, width: usize, height: usize) -> [usize; 4] {
        let corners = [self.x0, self.y0, self.x1, self.y1];
        let [x0, y0, x1, y1] = match self.anchor {
            None => corners,
            Some(anchor) => {
                let from_corner = anchor
                    .corner
                    .flip(corners, anchor.width_px, anchor.height_px);
                anchor.corner.flip(from_corner, width, height)
            }
        };
        [x0.min(width), y0.min(height), x1.min(width), y1.min(height)]
    }
}

/// One problem a rule found in the dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Rule name, like `mixed-shapes`.
    pub rule: String,
    /// How bad it is.
    pub severity: Severity,
    /// One line saying what is wrong.
    pub message: String,
    /// Paths of the samples involved (relative to the audited folder).
    pub samples: Vec<String>,
    /// Where in the image, for rules about a region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

impl Finding {
    fn new(rule: &str, severity: Severity, message: String, samples: Vec<String>) -> Finding {
        Finding {
            rule: rule.to_string(),
            severity,
            message,
            samples,
            region: None,
        }
    }
}

/// What every rule sees.
pub struct Context<'a> {
    /// Samples, sorted by path.
    pub samples: &'a [SampleRecord],
    /// Files that could not be read or reached, sorted by path.
    pub unreadable: &'a [Unreadable],
    /// The masks given with `--masks`, paired with the samples.
    pub masks: Option<&'a crate::masks::MaskSet>,
}

/// A dataset rule.
pub type Rule = fn(&Context) -> Vec<Finding>;

/// Every rule, by name.
pub const RULES: &[(&str, Rule)] = &[
    ("unreadable-file", files::unreadable_file),
    ("mixed-shapes", consistency::mixed_shapes),
    ("mixed-dtypes", consistency::mixed_dtypes),
    (
        "mixed-value-conventions",
        consistency::mixed_value_conventions,
    ),
    ("constant-samples", values::constant_samples),
    ("outlier-samples", values::outlier_samples),
    ("exact-duplicates", duplicates::exact_duplicates),
    ("too-dark", images::too_dark),
    ("too-light", images::too_light),
    ("low-information", images::low_information),
    ("blurry", images::blurry),
    ("odd-aspect-ratio", images::odd_aspect_ratio),
    ("odd-size", images::odd_size),
    ("grayscale-as-rgb", images::grayscale_as_rgb),
    ("near-duplicates", images::near_duplicates),
    ("burned-in-mark", marks::burned_in_mark),
    ("nifti-mixed-orientations", nifti::mixed_orientations),
    ("nifti-anisotropic-voxels", nifti::anisotropic_voxels),
    ("nifti-qform-sform-disagree", nifti::qform_sform_disagree),
    ("nifti-scaling", nifti::scaling_present),
    ("nifti-bad-pixdim", nifti::bad_pixdim),
    ("unreadable-mask", masks::unreadable_mask),
    ("image-without-mask", masks::image_without_mask),
    ("mask-without-image", masks::mask_without_image),
    ("mask-shape-mismatch", masks::shape_mismatch),
    ("empty-masks", masks::empty_masks),
    ("mask-not-binary", masks::not_binary),
];

/// Runs every rule; findings most severe first, then by rule name, then by first sample.
pub fn run(context: &Context) -> Vec<Finding> {
    let mut findings: Vec<Finding> = RULES.iter().flat_map(|(_, rule)| rule(context)).collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.samples.cmp(&b.samples))
    });
    findings
}

/// The sample paths, without repeats (an `.npz` with several arrays is one path).
fn paths<'a>(samples: impl IntoIterator<Item = &'a SampleRecord>) -> Vec<String> {
    let mut out: Vec<String> = samples.into_iter().map(|s| s.path.clone()).collect();
    out.dedup();
    out
}

/// "a, b, c and 4 more" for messages.
fn examples(paths: &[String], shown: usize) -> String {
    let mut text = paths
        .iter()
        .take(shown)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > shown {
        text.push_str(&format!(" and {} more", paths.len() - shown));
    }
    text
}

/// Groups samples by a key; groups in key order. Used by the "mixed" rules.
fn group_by<'a, K: Ord>(
    samples: impl IntoIterator<Item = &'a SampleRecord>,
    key: impl Fn(&SampleRecord) -> K,
) -> std::collections::BTreeMap<K, Vec<&'a SampleRecord>> {
    let mut groups = std::collections::BTreeMap::<K, Vec<&SampleRecord>>::new();
    for sample in samples {
        groups.entry(key(sample)).or_default().push(sample);
    }
    groups
}

/// For a "mixed X" rule: when there is more than one group, one finding listing the counts
/// and naming the samples outside the largest group (ties go to the first group in key order).
fn mixed_finding<K: Ord + std::fmt::Display>(
    rule: &str,
    severity: Severity,
    what: &str,
    groups: std::collections::BTreeMap<K, Vec<&SampleRecord>>,
) -> Vec<Finding> {
    if groups.len() < 2 {
        return Vec::new();
    }
    let largest = groups
        .iter()
        .enumerate()
        .max_by(|(ia, (_, a)), (ib, (_, b))| a.len().cmp(&b.len()).then(ib.cmp(ia)))
        .map(|(_, (k, _))| k.to_string())
        .unwrap_or_default();
    let counts = groups
        .iter()
        .map(|(k, members)| format!("{k}: {}", members.len()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut minority: Vec<&SampleRecord> = groups
        .iter()
        .filter(|(k, _)| k.to_string() != largest)
        .flat_map(|(_, members)| members.iter().copied())
        .collect();
    minority.sort_by(|a, b| a.path.cmp(&b.path));
    let samples = paths(minority);
    let message = format!(
        "{} different {what} ({counts}); most are {largest}, the others: {}",
        groups.len(),
        examples(&samples, 3)
    );
    vec![Finding::new(rule, severity, message, samples)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flips_undo_themselves_and_anchored_regions_keep_their_distances_from_the_corner() {
        let bx = [10, 20, 30, 25];
        for corner in Corner::ALL {
            assert_eq!(corner.flip(corner.flip(bx, 100, 50), 100, 50), bx);
        }
        assert_eq!(Corner::BottomRight.flip(bx, 100, 50), [70, 25, 90, 30]);
        assert_eq!(Corner::TopRight.flip(bx, 100, 50), [70, 20, 90, 25]);
        // 10 px from the right edge and 5 px from the bottom, in a 100x50 image.
        let region = Region {
            x0: 70,
            y0: 30,
            x1: 90,
            y1: 45,
            anchor: Some(Anchor {
                corner: Corner::BottomRight,
                width_px: 100,
                height_px: 50,
            }),
        };
        assert_eq!(region.placed(200, 80), [170, 60, 190, 75]);
        assert_eq!(region.placed(100, 50), [70, 30, 90, 45]);
        // Too small an image: clipped at its top-left, never below zero.
        assert_eq!(region.placed(15, 10), [0, 0, 5, 5]);
        let plain = Region {
            anchor: None,
            ..region
        };
        assert_eq!(plain.placed(200, 80), [70, 30, 90, 45]);
        assert_eq!(plain.placed(80, 40), [70, 30, 80, 40]);
        assert_eq!(plain.to_string(), "x 70..90, y 30..45");
        assert!(region
            .to_string()
            .ends_with("from the bottom-right corner in the others"));
    }
}
