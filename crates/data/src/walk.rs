//! Listing a dataset folder: every file below it, symlinks followed, in sorted order. Walk
//! problems (symlink loops, unreadable folders, dangling links) are entries too, so they become
//! findings and never stop the audit.

use std::path::{Path, PathBuf};

/// One thing found below the dataset folder.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// Path relative to the folder, `/`-separated.
    pub relative: String,
    /// What it is.
    pub kind: EntryKind,
}

/// What a walk entry is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    /// A file glassbox reads (by extension).
    Supported,
    /// A file with another extension, skipped (lower-case extension, `""` when none).
    Skipped(String),
    /// A path the walk could not follow, with the reason.
    Problem(String),
}

/// Extensions the audit reads (lower case; `.nii.gz` is matched on the whole name).
const SUPPORTED: [&str; 10] = [
    "png", "jpg", "jpeg", "tif", "tiff", "bmp", "npy", "npz", "nii", "nii.gz",
];

/// Lists every file below `root`, sorted by relative path. Hidden files and folders (names
/// starting with `.`) are left out. Symlinks are followed; a loop is a [`EntryKind::Problem`].
pub fn list(root: &Path) -> Vec<Entry> {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    let mut entries = Vec::new();
    for item in walker {
        match item {
            Ok(entry) if entry.file_type().is_dir() => {}
            Ok(entry) => entries.push(Entry {
                relative: relative(root, entry.path()),
                kind: kind_of(entry.path()),
            }),
            Err(error) => {
                let path = error
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf());
                entries.push(Entry {
                    relative: relative(root, &path),
                    kind: EntryKind::Problem(problem_text(&error)),
                });
            }
        }
    }
    entries.sort();
    entries
}

fn problem_text(error: &walkdir::Error) -> String {
    if let Some(ancestor) = error.loop_ancestor() {
        return format!(
            "symlink loop: it leads back to {}, which contains it",
            ancestor.display()
        );
    }
    match error.io_error() {
        Some(io) if io.raw_os_error() == Some(40) => "symlink loop (ELOOP)".to_string(),
        Some(io) => format!("cannot read: {io}"),
        None => error.to_string(),
    }
}

fn relative(root: &Path, path: &Path) -> String {
    let relative: PathBuf = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    let text = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    if text.is_empty() {
        ".".to_string()
    } else {
        text
    }
}

fn kind_of(path: &Path) -> EntryKind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nii.gz") {
        return EntryKind::Supported;
    }
    let extension = match name.rsplit_once('.') {
        Some((_, extension)) => extension.to_string(),
        None => String::new(),
    };
    if SUPPORTED.contains(&extension.as_str()) {
        EntryKind::Supported
    } else {
        EntryKind::Skipped(extension)
    }
}

/// The entries of shard `index` of `count`: those whose sorted position is `index` modulo
/// `count`.
pub fn shard(entries: Vec<Entry>, index: usize, count: usize) -> Vec<Entry> {
    entries
        .into_iter()
        .enumerate()
        .filter(|(position, _)| position % count == index)
        .map(|(_, entry)| entry)
        .collect()
}
