//! Whether the samples agree with each other: shapes, dtypes, value conventions.

use super::{group_by, mixed_finding, Context, Finding, Severity};

/// Samples of more than one shape (`[H, W, C]` for images).
pub fn mixed_shapes(context: &Context) -> Vec<Finding> {
    let groups = group_by(context.samples, |s| crate::shape_text(&s.shape));
    mixed_finding("mixed-shapes", Severity::Warning, "shapes", groups)
}

/// Samples of more than one element type.
pub fn mixed_dtypes(context: &Context) -> Vec<Finding> {
    let groups = group_by(context.samples, |s| s.dtype.clone());
    mixed_finding("mixed-dtypes", Severity::Warning, "dtypes", groups)
}

/// Samples following different value conventions, like some in `[0,1]` and others in
/// `[0,255]`: a loader that scales by one rule gets the others wrong. Integer dtypes count by
/// their type (`uint8` is `[0,255]`), floats by their range (see `sample::convention`).
pub fn mixed_value_conventions(context: &Context) -> Vec<Finding> {
    let groups = group_by(
        context.samples.iter().filter(|s| s.convention != "empty"),
        |s| s.convention.clone(),
    );
    mixed_finding(
        "mixed-value-conventions",
        Severity::Warning,
        "value conventions",
        groups,
    )
}
