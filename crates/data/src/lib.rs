//! Dataset audit: per-sample facts of images, arrays and NIfTI volumes, and dataset-level
//! findings.
//!
//! [`audit`] walks a folder ([`walk`]), reads every supported file in parallel with
//! `glassbox_run::inputs`, records each array ([`sample`]) and runs the dataset rules
//! ([`findings`]). A file that cannot be read is a finding, never the end of the audit.
//!
//! Scale-out: [`audit`] with a [`Shard`] reads a deterministic 1/N of the files (sorted
//! position modulo N) and its [`AuditReport`] is a partial that [`merge`] combines. Every
//! dataset-level fact is a function of the sorted per-sample records, which the partials carry
//! in full (a few hundred bytes per sample), so N merged partials equal one run exactly.

pub mod findings;
pub mod histogram;
pub mod image;
pub mod marks;
pub mod masks;
pub mod sample;
pub mod walk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use findings::{Context, Finding};
use glassbox_tensor::Moments;
use histogram::DatasetHistogram;
use masks::MaskSet;
use rayon::prelude::*;
use sample::SampleRecord;
use serde::{Deserialize, Serialize};
use walk::{Entry, EntryKind};

/// Which part of a sharded audit this is: files at sorted positions `index` modulo `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based shard index, below `count`.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

/// A file the audit could not read, or a path the walk could not follow.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Unreadable {
    /// Path relative to the audited folder.
    pub path: String,
    /// What is wrong, naming the file (as the folder was given, joined with `path`).
    pub problem: String,
}

/// The audit of a folder (or, with `shard`, of one shard of it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    /// The audited folder, as given.
    pub root: String,
    /// Set on a partial summary written by a sharded audit; absent on whole and merged audits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Every array read, sorted by path (and array name inside `.npz`).
    pub samples: Vec<SampleRecord>,
    /// Dataset-level findings, most severe first.
    pub findings: Vec<Finding>,
    /// Files and paths that could not be read, sorted by path.
    pub unreadable: Vec<Unreadable>,
    /// Files skipped for their extension, counted by lower-case extension.
    pub skipped: BTreeMap<String, u64>,
    /// Counts and value ranges over the whole set.
    pub dataset: DatasetSummary,
    /// The masks given with `--masks`, paired with the samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masks: Option<MaskSet>,
}

/// What to audit besides the folder itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditOptions {
    /// Audit only this shard of the files (and of the masks).
    pub shard: Option<Shard>,
    /// A folder of segmentation masks to pair with the samples (see [`masks`]).
    pub masks: Option<PathBuf>,
}

/// Counts per format, shape, dtype and value convention, and the values of all samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    /// Arrays read.
    pub samples: usize,
    /// Files and paths that could not be read.
    pub unreadable: usize,
    /// Samples per format.
    pub formats: BTreeMap<String, usize>,
    /// Samples per shape, written `256x256x1`.
    pub shapes: BTreeMap<String, usize>,
    /// Samples per dtype.
    pub dtypes: BTreeMap<String, usize>,
    /// Samples per value convention.
    pub conventions: BTreeMap<String, usize>,
    /// Statistics over every value of every sample.
    pub values: ValueSummary,
    /// Histogram over every finite value of every sample (see [`histogram`]).
    pub histogram: DatasetHistogram,
}

/// Statistics over all values of the dataset, merged from the samples' moments in path order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValueSummary {
    /// Number of values.
    pub count: u64,
    /// Smallest finite value.
    pub min: Option<f64>,
    /// Largest finite value.
    pub max: Option<f64>,
    /// Mean of the finite values.
    pub mean: Option<f64>,
    /// Population standard deviation of the finite values.
    pub std: Option<f64>,
    /// NaN values.
    pub nan: u64,
    /// ±Inf values.
    pub inf: u64,
}

/// Why a folder could not be audited or partials could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The folder does not exist or is not a folder.
    #[error("{path}: not a folder")]
    NotAFolder {
        /// The path as given.
        path: String,
    },
    /// The shard index is out of range.
    #[error("shard {index}/{count}: the index must be below the count, and the count above 0")]
    BadShard {
        /// Index as given.
        index: usize,
        /// Count as given.
        count: usize,
    },
    /// The partial summaries do not form one complete sharded audit.
    #[error("cannot merge: {problem}")]
    Merge {
        /// What is wrong with the partials.
        problem: String,
    },
}

/// Audits every supported file below `root` (or one shard of them). `progress` is called once
/// per file read, from worker threads, with the number of files in this audit.
pub fn audit(
    root: &Path,
    shard: Option<Shard>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<AuditReport, AuditError> {
    let options = AuditOptions { shard, masks: None };
    audit_with(root, &options, progress)
}

/// [`audit`] with options: a shard, a masks folder. A masks folder inside `root` is left out
/// of the samples.
pub fn audit_with(
    root: &Path,
    options: &AuditOptions,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<AuditReport, AuditError> {
    let shard = options.shard;
    let root_text = root.to_string_lossy().into_owned();
    if !root.is_dir() {
        return Err(AuditError::NotAFolder { path: root_text });
    }
    if let Some(masks) = &options.masks {
        if !masks.is_dir() {
            return Err(AuditError::NotAFolder {
                path: masks.to_string_lossy().into_owned(),
            });
        }
    }
    let mut entries = walk::list(root);
    if let Some(inside) = options
        .masks
        .as_deref()
        .and_then(|m| nested_prefix(root, m))
    {
        entries
            .retain(|e| !(e.relative == inside || e.relative.starts_with(&format!("{inside}/"))));
    }
    if let Some(Shard { index, count }) = shard {
        if count == 0 || index >= count {
            return Err(AuditError::BadShard { index, count });
        }
        entries = walk::shard(entries, index, count);
    }
    let supported = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Supported)
        .count();
    let outcomes: Vec<Outcome> = entries
        .into_par_iter()
        .map(|entry| {
            let outcome = read_entry(root, entry);
            if matches!(outcome, Outcome::Samples(_) | Outcome::Unreadable(_)) {
                progress(supported);
            }
            outcome
        })
        .collect();
    let mut samples = Vec::new();
    let mut unreadable = Vec::new();
    let mut skipped = BTreeMap::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Samples(records) => samples.extend(records),
            Outcome::Unreadable(problem) => unreadable.push(problem),
            Outcome::Skipped(extension) => *skipped.entry(extension).or_insert(0) += 1,
        }
    }
    let masks = options.masks.as_deref().map(|folder| {
        let (records, problems) = masks::read_all(folder, shard);
        (folder.to_string_lossy().into_owned(), records, problems)
    });
    Ok(AuditReport::build_with_masks(
        root_text, shard, samples, unreadable, skipped, masks,
    ))
}

/// The masks folder's path relative to `root` when it lies inside it.
fn nested_prefix(root: &Path, masks: &Path) -> Option<String> {
    let root = root.canonicalize().ok()?;
    let masks = masks.canonicalize().ok()?;
    let inside = masks.strip_prefix(&root).ok()?;
    let text = inside
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    (!text.is_empty()).then_some(text)
}

/// Masks as read: the folder as given, the records and the unreadable files.
pub type MaskInput = (String, Vec<masks::MaskRecord>, Vec<Unreadable>);

enum Outcome {
    Samples(Vec<SampleRecord>),
    Unreadable(Unreadable),
    Skipped(String),
}

fn read_entry(root: &Path, entry: Entry) -> Outcome {
    let problem = |problem: String| {
        Outcome::Unreadable(Unreadable {
            path: entry.relative.clone(),
            problem,
        })
    };
    match &entry.kind {
        EntryKind::Skipped(extension) => Outcome::Skipped(extension.clone()),
        EntryKind::Problem(text) => {
            problem(format!("{}: {text}", root.join(&entry.relative).display()))
        }
        EntryKind::Supported => {
            let path = root.join(&entry.relative);
            let is_npz = entry.relative.to_lowercase().ends_with(".npz");
            let loaded = if is_npz {
                glassbox_run::inputs::read_npz_all(&path)
                    .map(|all| all.into_iter().map(|(_, loaded)| loaded).collect())
            } else {
                glassbox_run::inputs::read(&path).map(|loaded| vec![loaded])
            };
            match loaded {
                Ok(all) if all.is_empty() => problem(format!(
                    "{}: the .npz archive holds no arrays",
                    path.display()
                )),
                Ok(all) => Outcome::Samples(
                    all.iter()
                        .map(|loaded| sample::record(entry.relative.clone(), loaded))
                        .collect(),
                ),
                Err(error) => problem(error.to_string()),
            }
        }
    }
}

impl AuditReport {
    /// The report of these records: sorts them, runs every rule and summarises the set. A pure
    /// function of its arguments' contents, so a merge of partials equals one run.
    pub fn build(
        root: String,
        shard: Option<Shard>,
        samples: Vec<SampleRecord>,
        unreadable: Vec<Unreadable>,
        skipped: BTreeMap<String, u64>,
    ) -> AuditReport {
        AuditReport::build_with_masks(root, shard, samples, unreadable, skipped, None)
    }

    /// [`AuditReport::build`] with the masks given with `--masks`, paired here.
    pub fn build_with_masks(
        root: String,
        shard: Option<Shard>,
        mut samples: Vec<SampleRecord>,
        mut unreadable: Vec<Unreadable>,
        skipped: BTreeMap<String, u64>,
        masks: Option<MaskInput>,
    ) -> AuditReport {
        samples.sort_by(|a, b| (&a.path, &a.array).cmp(&(&b.path, &b.array)));
        unreadable.sort();
        let masks = masks
            .map(|(folder, records, problems)| MaskSet::build(folder, records, problems, &samples));
        let findings = findings::run(&Context {
            samples: &samples,
            unreadable: &unreadable,
            masks: masks.as_ref(),
        });
        let dataset = DatasetSummary::of(&samples, unreadable.len());
        AuditReport {
            root,
            shard,
            samples,
            findings,
            unreadable,
            skipped,
            dataset,
            masks,
        }
    }
}

impl DatasetSummary {
    fn of(samples: &[SampleRecord], unreadable: usize) -> DatasetSummary {
        let count = |key: &dyn Fn(&SampleRecord) -> String| {
            let mut counts = BTreeMap::new();
            for sample in samples {
                *counts.entry(key(sample)).or_insert(0) += 1;
            }
            counts
        };
        let mut moments = Moments::empty();
        for sample in samples {
            moments.merge(&sample.stats.moments());
        }
        DatasetSummary {
            samples: samples.len(),
            unreadable,
            formats: count(&|s| s.format.clone()),
            shapes: count(&|s| shape_text(&s.shape)),
            dtypes: count(&|s| s.dtype.clone()),
            conventions: count(&|s| s.convention.clone()),
            values: ValueSummary {
                count: moments.count(),
                min: moments.min(),
                max: moments.max(),
                mean: moments.mean(),
                std: moments.std(),
                nan: moments.nan,
                inf: moments.pos_inf + moments.neg_inf,
            },
            histogram: DatasetHistogram::of(samples.iter().map(|s| &s.histogram)),
        }
    }
}

/// A shape as `256x256x1` (`scalar` for no axes).
pub fn shape_text(shape: &[usize]) -> String {
    if shape.is_empty() {
        return "scalar".to_string();
    }
    shape
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("x")
}

/// Combines the partial summaries of a sharded audit into the report one unsharded run gives.
/// The partials must all be shards of the same count, each index exactly once.
pub fn merge(parts: Vec<AuditReport>) -> Result<AuditReport, AuditError> {
    let problem = |problem: String| AuditError::Merge { problem };
    let Some(first) = parts.first() else {
        return Err(problem("no partial summaries given".into()));
    };
    let root = first.root.clone();
    let count = match first.shard {
        Some(shard) => shard.count,
        None => {
            return Err(problem(
                "the first part is not a shard (no `shard` key)".into(),
            ))
        }
    };
    let mut seen = vec![false; count];
    for part in &parts {
        let Some(shard) = part.shard else {
            return Err(problem(format!("a part of {} is not a shard", part.root)));
        };
        if shard.count != count || shard.index >= count {
            return Err(problem(format!(
                "shard {}/{} does not belong with shards of {count}",
                shard.index, shard.count
            )));
        }
        if std::mem::replace(&mut seen[shard.index], true) {
            return Err(problem(format!(
                "shard {}/{count} is given twice",
                shard.index
            )));
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|&i| !seen[i])
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(problem(format!("missing shards {}", missing.join(", "))));
    }
    let mut samples = Vec::new();
    let mut unreadable = Vec::new();
    let mut skipped = BTreeMap::new();
    let mut masks: Option<MaskInput> = None;
    for part in parts {
        if let Some(set) = part.masks {
            let (_, records, problems) =
                masks.get_or_insert_with(|| (set.root.clone(), Vec::new(), Vec::new()));
            records.extend(set.masks);
            problems.extend(set.unreadable);
        }
        samples.extend(part.samples);
        unreadable.extend(part.unreadable);
        for (extension, n) in part.skipped {
            *skipped.entry(extension).or_insert(0) += n;
        }
    }
    Ok(AuditReport::build_with_masks(
        root, None, samples, unreadable, skipped, masks,
    ))
}
