//! Segmentation masks beside the images (`glassbox audit DIR --masks MASKS`): what each mask
//! holds, and which image it belongs to.
//!
//! **Pairing rule.** A mask belongs to the image with the same *key*: the path relative to its
//! folder, `/`-separated, with the extension removed (`.nii.gz` counts as one extension) and,
//! in the file name, one trailing mask suffix removed from masks (`_mask`, `_masks`, `_seg`,
//! `_segmentation`, `_label`, `_labels`, `_gt`, also with `-` or `.` instead of `_`, any case)
//! and one trailing image suffix from images (`_image`, `_img`, same spellings). So
//! `a/b/case7.png` pairs with `a/b/case7.png`, `a/b/case7_mask.png`, `a/b/case7-seg.nii.gz` or
//! `a/b/case7.npy` in the masks folder, but not with `b/case7.png` or `case7.png`. When several
//! masks share a key, the first in sorted order is paired and the others count as masks without
//! an image. An `.npz` image pairs by its path (its first array); of an `.npz` mask the first
//! array is read.
//!
//! **Spatial shape**, compared between an image and its mask: images `[H, W, C]` → `[H, W]`;
//! NIfTI → the first three axes; arrays → their shape without trailing axes of size 1, and
//! `[H, W]` for a rank-3 array whose last axis has at most 4 entries (channels last).
//!
//! Masks are read in parallel and sharded like the images (sorted position modulo N in the
//! masks folder); pairing and every mask finding are computed from the full sorted lists in
//! [`MaskSet::build`], so merged shards equal one run.

use std::collections::BTreeMap;
use std::path::Path;

use glassbox_run::inputs::Loaded;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::sample::SampleRecord;
use crate::walk::{self, EntryKind};
use crate::{Shard, Unreadable};

/// Labels listed per mask at most (the most frequent when there are more).
pub const MAX_LABELS_PER_MASK: usize = 16;

/// What one mask file holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MaskRecord {
    /// Path relative to the masks folder, `/`-separated.
    pub path: String,
    /// File format, as for samples.
    pub format: String,
    /// Shape as read.
    pub shape: Vec<usize>,
    /// Element type as read.
    pub dtype: String,
    /// Number of different finite values.
    pub distinct_values: u64,
    /// Values and their pixel counts, by value: all of them when `distinct_values` is at most
    /// [`MAX_LABELS_PER_MASK`], else the most frequent ones.
    pub labels: Vec<LabelCount>,
    /// Fraction of values that are not 0 (foreground).
    pub foreground_fraction: f64,
}

/// A value in a mask and how many elements hold it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelCount {
    /// The value.
    pub value: f64,
    /// Elements holding it.
    pub pixels: u64,
}

/// A value present in the masks and how many masks hold it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetLabel {
    /// The value.
    pub value: f64,
    /// Masks holding it.
    pub masks: usize,
}

/// An image and its mask.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskPair {
    /// Image path, relative to the audited folder.
    pub image: String,
    /// Mask path, relative to the masks folder.
    pub mask: String,
}

/// The masks of an audit, paired with its images.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MaskSet {
    /// The masks folder, as given.
    pub root: String,
    /// Every mask read, sorted by path.
    pub masks: Vec<MaskRecord>,
    /// Mask files that could not be read, sorted by path.
    pub unreadable: Vec<Unreadable>,
    /// Images with their mask, by image path.
    pub pairs: Vec<MaskPair>,
    /// Images (paths relative to the audited folder) with no mask.
    pub images_without_mask: Vec<String>,
    /// Masks (paths relative to the masks folder) with no image.
    pub masks_without_image: Vec<String>,
    /// Each value present in any mask and how many masks hold it, by value.
    pub labels: Vec<SetLabel>,
    /// Whether the set is binary: more than half of the masks hold at most two values.
    pub binary: bool,
}

/// Reads every supported file below `root` (or one shard of them) as a mask.
pub fn read_all(root: &Path, shard: Option<Shard>) -> (Vec<MaskRecord>, Vec<Unreadable>) {
    let mut entries = walk::list(root);
    if let Some(Shard { index, count }) = shard {
        entries = walk::shard(entries, index, count);
    }
    let outcomes: Vec<Result<MaskRecord, Unreadable>> = entries
        .into_par_iter()
        .filter_map(|entry| match entry.kind {
            EntryKind::Skipped(_) => None,
            EntryKind::Problem(problem) => Some(Err(Unreadable {
                problem: format!("{}: {problem}", root.join(&entry.relative).display()),
                path: entry.relative,
            })),
            EntryKind::Supported => Some(
                glassbox_run::inputs::read(&root.join(&entry.relative))
                    .map(|loaded| record(entry.relative.clone(), &loaded))
                    .map_err(|error| Unreadable {
                        path: entry.relative,
                        problem: error.to_string(),
                    }),
            ),
        })
        .collect();
    let mut masks = Vec::new();
    let mut unreadable = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(mask) => masks.push(mask),
            Err(problem) => unreadable.push(problem),
        }
    }
    (masks, unreadable)
}

/// The record of one loaded mask; `path` is relative to the masks folder.
pub fn record(path: String, loaded: &Loaded) -> MaskRecord {
    let array = &loaded.array;
    let mut values = Vec::with_capacity(array.numel());
    glassbox_tensor::for_each_le_value(array.dtype, &array.bytes, |v| {
        if v.is_finite() {
            values.push(v);
        }
    });
    values.sort_unstable_by(f64::total_cmp);
    let mut labels: Vec<LabelCount> = Vec::new();
    for &v in &values {
        match labels.last_mut() {
            Some(last) if last.value == v => last.pixels += 1,
            _ => labels.push(LabelCount {
                value: v,
                pixels: 1,
            }),
        }
    }
    let distinct_values = labels.len() as u64;
    if labels.len() > MAX_LABELS_PER_MASK {
        labels.sort_by(|a, b| b.pixels.cmp(&a.pixels).then(a.value.total_cmp(&b.value)));
        labels.truncate(MAX_LABELS_PER_MASK);
        labels.sort_by(|a, b| a.value.total_cmp(&b.value));
    }
    let background = labels
        .iter()
        .find(|l| l.value == 0.0)
        .map_or(0, |l| l.pixels);
    let total = array.numel() as u64;
    MaskRecord {
        path,
        format: serde_json::to_value(loaded.format)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        shape: array.shape.clone(),
        dtype: array.dtype.name().to_string(),
        distinct_values,
        labels,
        foreground_fraction: if total == 0 {
            0.0
        } else {
            (total - background) as f64 / total as f64
        },
    }
}

impl MaskRecord {
    /// Whether every value is 0 (all background).
    pub fn is_empty(&self) -> bool {
        self.foreground_fraction == 0.0
    }

    /// The spatial shape (see the module docs).
    pub fn spatial_shape(&self) -> Vec<usize> {
        spatial_shape(&self.format, &self.shape)
    }
}

const MASK_SUFFIXES: [&str; 7] = [
    "mask",
    "masks",
    "seg",
    "segmentation",
    "label",
    "labels",
    "gt",
];
const IMAGE_SUFFIXES: [&str; 2] = ["image", "img"];

/// The pairing key of a mask path (see the module docs).
pub fn mask_key(path: &str) -> String {
    key(path, &MASK_SUFFIXES)
}

/// The pairing key of an image path (see the module docs).
pub fn image_key(path: &str) -> String {
    key(path, &IMAGE_SUFFIXES)
}

fn key(path: &str, suffixes: &[&str]) -> String {
    let (folder, name) = match path.rsplit_once('/') {
        Some((folder, name)) => (Some(folder), name),
        None => (None, path),
    };
    let ends_with = |text: &str, tail: &str| {
        text.len() > tail.len()
            && text.is_char_boundary(text.len() - tail.len())
            && text[text.len() - tail.len()..].eq_ignore_ascii_case(tail)
    };
    let stem_len = if ends_with(name, ".nii.gz") {
        name.len() - ".nii.gz".len()
    } else {
        name.rfind('.').filter(|&at| at > 0).unwrap_or(name.len())
    };
    let mut stem = &name[..stem_len];
    for suffix in suffixes {
        let cut = stem.len().saturating_sub(suffix.len() + 1);
        if ends_with(stem, suffix) && cut > 0 && matches!(stem.as_bytes()[cut], b'_' | b'-' | b'.')
        {
            stem = &stem[..cut];
            break;
        }
    }
    match folder {
        Some(folder) => format!("{folder}/{stem}"),
        None => stem.to_string(),
    }
}

/// The axes compared between an image and its mask (see the module docs).
pub fn spatial_shape(format: &str, shape: &[usize]) -> Vec<usize> {
    match format {
        "png" | "jpeg" | "tiff" | "bmp" => shape.iter().take(2).copied().collect(),
        "nifti1" | "nifti2" => shape.iter().take(3).copied().collect(),
        _ => {
            if shape.len() == 3 && shape[2] <= 4 {
                return shape[..2].to_vec();
            }
            let mut spatial = shape.to_vec();
            while spatial.len() > 1 && spatial.last() == Some(&1) {
                spatial.pop();
            }
            spatial
        }
    }
}

impl MaskSet {
    /// Pairs the masks with the images and summarises their labels. `samples` and `masks` may
    /// come in any order; the result depends only on their contents.
    pub fn build(
        root: String,
        mut masks: Vec<MaskRecord>,
        mut unreadable: Vec<Unreadable>,
        samples: &[SampleRecord],
    ) -> MaskSet {
        masks.sort_by(|a, b| a.path.cmp(&b.path));
        unreadable.sort();
        let mut by_key: BTreeMap<String, &MaskRecord> = BTreeMap::new();
        let mut masks_without_image = Vec::new();
        // Unreadable masks still pair, so their images are not reported as lacking a mask.
        let mut unreadable_keys: BTreeMap<String, ()> = BTreeMap::new();
        for problem in &unreadable {
            unreadable_keys.insert(mask_key(&problem.path), ());
        }
        for mask in &masks {
            match by_key.entry(mask_key(&mask.path)) {
                std::collections::btree_map::Entry::Occupied(_) => {
                    masks_without_image.push(mask.path.clone())
                }
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(mask);
                }
            }
        }
        let mut image_paths: Vec<&str> = samples.iter().map(|s| s.path.as_str()).collect();
        image_paths.sort_unstable();
        image_paths.dedup();
        let mut pairs = Vec::new();
        let mut images_without_mask = Vec::new();
        let mut used: BTreeMap<String, ()> = BTreeMap::new();
        for image in image_paths {
            let key = image_key(image);
            match by_key.get(&key) {
                Some(mask) => {
                    pairs.push(MaskPair {
                        image: image.to_string(),
                        mask: mask.path.clone(),
                    });
                    used.insert(key, ());
                }
                None if unreadable_keys.contains_key(&key) => {}
                None => images_without_mask.push(image.to_string()),
            }
        }
        for (key, mask) in &by_key {
            if !used.contains_key(key) {
                masks_without_image.push(mask.path.clone());
            }
        }
        masks_without_image.sort();
        let mut values: Vec<f64> = masks
            .iter()
            .flat_map(|m| m.labels.iter().map(|l| l.value))
            .collect();
        values.sort_by(f64::total_cmp);
        let mut labels: Vec<SetLabel> = Vec::new();
        for value in values {
            match labels.last_mut() {
                Some(last) if last.value == value => last.masks += 1,
                _ => labels.push(SetLabel { value, masks: 1 }),
            }
        }
        let binary_masks = masks.iter().filter(|m| m.distinct_values <= 2).count();
        MaskSet {
            root,
            binary: !masks.is_empty() && 2 * binary_masks > masks.len(),
            masks,
            unreadable,
            pairs,
            images_without_mask,
            masks_without_image,
            labels,
        }
    }

    /// The mask at `path` (relative to the masks folder).
    pub fn mask(&self, path: &str) -> Option<&MaskRecord> {
        self.masks
            .binary_search_by(|m| m.path.as_str().cmp(path))
            .ok()
            .map(|at| &self.masks[at])
    }

    /// How many masks hold `value`.
    pub fn masks_holding(&self, value: f64) -> usize {
        self.labels
            .iter()
            .find(|l| l.value == value)
            .map_or(0, |l| l.masks)
    }

    /// The image paired with the mask at `path`, if any.
    pub fn image_of(&self, mask_path: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|p| p.mask == mask_path)
            .map(|p| p.image.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_drop_extensions_and_mask_suffixes() {
        assert_eq!(mask_key("a/b/case7_mask.png"), "a/b/case7");
        assert_eq!(mask_key("a/b/case7-SEG.nii.gz"), "a/b/case7");
        assert_eq!(mask_key("case7.label.npy"), "case7");
        assert_eq!(mask_key("case7.png"), "case7");
        assert_eq!(mask_key("_mask.png"), "_mask", "a suffix alone is a name");
        assert_eq!(mask_key("case7_masked.png"), "case7_masked");
        assert_eq!(image_key("a/b/case7_img.jpg"), "a/b/case7");
        assert_eq!(image_key("a/b/case7.nii.gz"), "a/b/case7");
        assert_eq!(image_key(".hidden"), ".hidden");
    }

    #[test]
    fn spatial_shapes_ignore_channels() {
        assert_eq!(spatial_shape("png", &[64, 48, 3]), [64, 48]);
        assert_eq!(spatial_shape("nifti1", &[8, 9, 7, 2]), [8, 9, 7]);
        assert_eq!(spatial_shape("npy", &[64, 48]), [64, 48]);
        assert_eq!(spatial_shape("npy", &[64, 48, 1]), [64, 48]);
        assert_eq!(spatial_shape("npy", &[8, 9, 7, 1]), [8, 9, 7]);
    }
}
