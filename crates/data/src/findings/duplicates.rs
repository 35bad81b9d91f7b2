//! Samples whose decoded values are identical.

use super::{group_by, paths, Context, Finding, Severity};

/// Groups of samples with the same dtype, shape and values (BLAKE3 of the decoded values):
/// one finding per group.
pub fn exact_duplicates(context: &Context) -> Vec<Finding> {
    group_by(context.samples, |s| s.hash.clone())
        .into_values()
        .filter(|group| group.len() > 1)
        .map(|group| {
            let samples = paths(group.iter().copied());
            let message = format!(
                "{} samples have identical values: {}",
                group.len(),
                samples.join(", ")
            );
            Finding::new("exact-duplicates", Severity::Warning, message, samples)
        })
        .collect()
}
