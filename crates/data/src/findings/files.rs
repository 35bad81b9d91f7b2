//! Files that could not be read: one finding each, severity error.

use super::{Context, Finding, Severity};

/// Every unreadable or corrupt file, every symlink loop and unreachable path: one finding each.
pub fn unreadable_file(context: &Context) -> Vec<Finding> {
    context
        .unreadable
        .iter()
        .map(|u| {
            Finding::new(
                "unreadable-file",
                Severity::Error,
                u.problem.clone(),
                vec![u.path.clone()],
            )
        })
        .collect()
}
