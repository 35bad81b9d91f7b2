//! Readers of input files: images, `.npy`/`.npz` arrays and NIfTI volumes, into [`Array`]s.
//!
//! [`read`] picks the reader by the file's extension (case-insensitive) and checks the file's
//! leading bytes agree with it. Every reader checks what a header declares against what the file
//! holds *before* allocating, so a lying header gives an [`InputError`], never a huge allocation
//! or a panic.
//!
//! What each format becomes:
//! - images (`.png`, `.jpg`/`.jpeg`, `.tif`/`.tiff`, `.bmp`): shape `[H, W, C]` with C = 1 (gray),
//!   2 (gray+alpha), 3 (RGB) or 4 (RGBA), dtype `U8`, `U16` or `F32`, exactly as stored;
//! - `.npy`: the array as numpy loads it (Fortran-order files are transposed to C order);
//!   `.npz`: [`read`] gives the first array, [`read_npz_all`] all of them;
//! - NIfTI (`.nii`, `.nii.gz`, NIfTI-1 and NIfTI-2): shape `[X, Y, Z, ...]` = `dim[1..=dim[0]]`
//!   indexed `[x][y][z]` as nibabel's `dataobj[x, y, z]` (raw array order; the file stores x
//!   fastest, we transpose to C order). Scaled to `F32` when `scl_slope` is set and not (1, 0).
//!   [`nifti::to_canonical`] reorders to RAS like nibabel's `as_closest_canonical`.

mod image;
pub mod nifti;
mod nifti2;
mod npy;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::Array;
pub use nifti::NiftiHeaderFacts;

/// The most bytes any reader will allocate for one array's data (8 GiB).
pub const MAX_DATA_BYTES: u64 = 8 << 30;

/// A file read into an array, with what its format said about it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Loaded {
    /// The file the array came from.
    pub path: PathBuf,
    /// The file format.
    pub format: Format,
    /// The array, C order, little-endian (serialised as its dtype and shape only).
    #[serde(serialize_with = "array_meta")]
    pub array: Array,
    /// Format-specific facts (bit depth and colour type, numpy dtype, NIfTI header).
    pub detail: Detail,
}

fn array_meta<S: serde::Serializer>(array: &Array, serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut meta = serializer.serialize_struct("Array", 2)?;
    meta.serialize_field("dtype", &array.dtype)?;
    meta.serialize_field("shape", &array.shape)?;
    meta.end()
}

/// File formats glassbox reads as model inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// TIFF image.
    Tiff,
    /// BMP image.
    Bmp,
    /// numpy `.npy` array.
    Npy,
    /// numpy `.npz` archive of arrays.
    Npz,
    /// NIfTI-1 volume (`.nii` or `.nii.gz`).
    Nifti1,
    /// NIfTI-2 volume (`.nii` or `.nii.gz`).
    Nifti2,
}

impl Format {
    /// Whether the format is a 2-D picture read as `[H, W, C]`.
    pub fn is_image(self) -> bool {
        matches!(
            self,
            Format::Png | Format::Jpeg | Format::Tiff | Format::Bmp
        )
    }

    /// Whether the format is NIfTI (1 or 2).
    pub fn is_nifti(self) -> bool {
        matches!(self, Format::Nifti1 | Format::Nifti2)
    }
}

/// Format-specific facts about a loaded file.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Detail {
    /// An image's storage.
    Image(ImageDetail),
    /// A numpy array's storage.
    Array(ArrayDetail),
    /// A NIfTI header.
    Nifti(Box<NiftiHeaderFacts>),
}

/// How an image file stores its pixels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageDetail {
    /// Bits per channel (8, 16 or 32 for float).
    pub bit_depth: u8,
    /// `gray`, `gray_alpha`, `rgb` or `rgba`.
    pub color: String,
    /// Channels per pixel (1..=4).
    pub channels: usize,
}

/// How a numpy array was stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArrayDetail {
    /// The array's name inside an `.npz` archive (None for `.npy`).
    pub name: Option<String>,
    /// numpy's dtype descriptor as written (`<f4`, `>i2`, `|b1`, ...).
    pub descr: String,
    /// Whether the file stored the array in Fortran order (it is C order in [`Loaded::array`]).
    pub fortran_order: bool,
}

/// Why an input file could not be read. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The extension is not one glassbox reads.
    #[error("{}: unsupported input extension {extension:?} (expected .png .jpg .jpeg .tif .tiff .bmp .npy .npz .nii .nii.gz)", path.display())]
    UnsupportedExtension {
        /// The file.
        path: PathBuf,
        /// The extension as written.
        extension: String,
    },
    /// The file's content is a different format than its extension says.
    #[error("{}: extension says {expected} but the content is {found}", path.display())]
    WrongExtension {
        /// The file.
        path: PathBuf,
        /// The format the extension promises.
        expected: String,
        /// What the leading bytes look like.
        found: String,
    },
    /// The file is truncated, corrupt, or declares more than it holds.
    #[error("{}: {problem}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong, in words.
        problem: String,
    },
    /// The file is valid but uses a feature glassbox does not read.
    #[error("{}: not supported: {what}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is not supported.
        what: String,
    },
}

impl InputError {
    pub(crate) fn malformed(path: &Path, problem: impl Into<String>) -> InputError {
        InputError::Malformed {
            path: path.to_path_buf(),
            problem: problem.into(),
        }
    }

    pub(crate) fn unsupported(path: &Path, what: impl Into<String>) -> InputError {
        InputError::Unsupported {
            path: path.to_path_buf(),
            what: what.into(),
        }
    }

    pub(crate) fn io(path: &Path, source: io::Error) -> InputError {
        InputError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            InputError::Io { path, .. }
            | InputError::UnsupportedExtension { path, .. }
            | InputError::WrongExtension { path, .. }
            | InputError::Malformed { path, .. }
            | InputError::Unsupported { path, .. } => path,
        }
    }
}

/// Which reader an extension selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Image(Format),
    Npy,
    Npz,
    Nifti { gzip: bool },
}

fn kind_from_path(path: &Path) -> Result<Kind, InputError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nii.gz") {
        return Ok(Kind::Nifti { gzip: true });
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_string())
        .unwrap_or_default();
    Ok(match extension.as_str() {
        "png" => Kind::Image(Format::Png),
        "jpg" | "jpeg" => Kind::Image(Format::Jpeg),
        "tif" | "tiff" => Kind::Image(Format::Tiff),
        "bmp" => Kind::Image(Format::Bmp),
        "npy" => Kind::Npy,
        "npz" => Kind::Npz,
        "nii" => Kind::Nifti { gzip: false },
        _ => {
            return Err(InputError::UnsupportedExtension {
                path: path.to_path_buf(),
                extension,
            })
        }
    })
}

/// Reads one input file into an array, choosing the reader by extension.
pub fn read(path: &Path) -> Result<Loaded, InputError> {
    let kind = kind_from_path(path)?;
    check_magic(path, kind)?;
    match kind {
        Kind::Image(format) => image::read(path, format),
        Kind::Npy => npy::read_npy(path),
        Kind::Npz => {
            let mut all = npy::read_npz(path, true)?;
            if all.is_empty() {
                return Err(InputError::malformed(
                    path,
                    "the .npz archive holds no arrays",
                ));
            }
            Ok(all.swap_remove(0).1)
        }
        Kind::Nifti { gzip } => nifti::read(path, gzip),
    }
}

/// Reads every array of an `.npz` archive, in archive order, with its name.
pub fn read_npz_all(path: &Path) -> Result<Vec<(String, Loaded)>, InputError> {
    check_magic(path, Kind::Npz)?;
    npy::read_npz(path, false)
}

/// Checks the file's leading bytes against what its extension promises, so a PNG named `.jpg`
/// gets a message saying so rather than a decoder error.
fn check_magic(path: &Path, kind: Kind) -> Result<(), InputError> {
    let mut head = Vec::with_capacity(16);
    File::open(path)
        .and_then(|f| f.take(16).read_to_end(&mut head))
        .map_err(|e| InputError::io(path, e))?;
    let found = sniff(&head);
    let expected = match kind {
        Kind::Image(Format::Png) => "PNG",
        Kind::Image(Format::Jpeg) => "JPEG",
        Kind::Image(Format::Tiff) => "TIFF",
        Kind::Image(_) => "BMP",
        Kind::Npy => "NPY",
        Kind::Npz => "ZIP",
        Kind::Nifti { gzip: true } => "GZIP",
        Kind::Nifti { gzip: false } => return Ok(()), // no magic at offset 0; the header checks
    };
    match found {
        Some(found) if found == expected => Ok(()),
        Some(found) => Err(InputError::WrongExtension {
            path: path.to_path_buf(),
            expected: expected.into(),
            found: found.into(),
        }),
        None if head.is_empty() => Err(InputError::malformed(path, "the file is empty")),
        None => Err(InputError::malformed(
            path,
            format!("the content does not start like a {expected} file"),
        )),
    }
}

fn sniff(head: &[u8]) -> Option<&'static str> {
    const MAGIC: [(&[u8], &str); 8] = [
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"\xff\xd8\xff", "JPEG"),
        (b"II*\0", "TIFF"),
        (b"MM\0*", "TIFF"),
        (b"BM", "BMP"),
        (b"\x93NUMPY", "NPY"),
        (b"PK", "ZIP"),
        (b"\x1f\x8b", "GZIP"),
    ];
    MAGIC
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|(_, name)| *name)
}

/// Reads at most `declared` bytes; errors when the stream holds fewer. Memory grows with what
/// actually arrives (no up-front allocation of `declared`), so a lying size costs nothing.
pub(crate) fn read_exact_bounded(
    path: &Path,
    reader: impl Read,
    declared: u64,
    what: &str,
) -> Result<Vec<u8>, InputError> {
    if declared > MAX_DATA_BYTES {
        return Err(InputError::malformed(
            path,
            format!("{what} declares {declared} bytes, more than the {MAX_DATA_BYTES}-byte limit"),
        ));
    }
    // Reserved up front (no regrowth copies), at most 256 MiB before the data proves real.
    let mut bytes = Vec::with_capacity(declared.min(256 << 20) as usize);
    reader
        .take(declared)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::malformed(path, format!("{what}: {e} (truncated or corrupt?)")))?;
    if (bytes.len() as u64) < declared {
        return Err(InputError::malformed(
            path,
            format!(
                "{what} declares {declared} bytes but the file holds only {}",
                bytes.len()
            ),
        ));
    }
    Ok(bytes)
}

/// Product of dimensions and element size in bytes, or None on overflow.
pub(crate) fn checked_bytes(shape: &[u64], element_bytes: u64) -> Option<u64> {
    shape
        .iter()
        .try_fold(element_bytes, |acc, &d| acc.checked_mul(d))
}

/// Reorders Fortran-order element bytes (first axis fastest) of `shape` into C order.
pub(crate) fn fortran_to_c(bytes: &[u8], shape: &[usize], element_bytes: usize) -> Vec<u8> {
    let numel: usize = shape.iter().product();
    if shape.len() < 2 || numel == 0 {
        return bytes.to_vec();
    }
    // Constant element sizes let the inlined copy be one move instead of a memmove call.
    match element_bytes {
        1 => reorder_fortran(bytes, shape, 1),
        2 => reorder_fortran(bytes, shape, 2),
        4 => reorder_fortran(bytes, shape, 4),
        8 => reorder_fortran(bytes, shape, 8),
        size => reorder_fortran(bytes, shape, size),
    }
}

/// [`fortran_to_c`]: C order reverses the axes, so for every index of the middle axes the
/// (last axis × first axis) plane is transposed, in tiles that stay in the L1 cache.
#[inline(always)]
fn reorder_fortran(bytes: &[u8], shape: &[usize], size: usize) -> Vec<u8> {
    const TILE: usize = 32;
    let (first, last) = (shape[0], shape[shape.len() - 1]);
    let middle = &shape[1..shape.len() - 1];
    let middle_numel: usize = middle.iter().product();
    // Source strides (in elements) of the middle axes, visited in C order with an odometer.
    let mut strides = vec![first; middle.len()];
    for axis in 1..middle.len() {
        strides[axis] = strides[axis - 1] * middle[axis - 1];
    }
    let (source_row, target_row) = (first * middle_numel, middle_numel * last);
    let mut out = vec![0u8; bytes.len()];
    let mut index = vec![0usize; middle.len()];
    let mut source_base = 0usize;
    for target_base in (0..middle_numel).map(|m| m * last) {
        for x0 in (0..first).step_by(TILE) {
            for t0 in (0..last).step_by(TILE) {
                for x in x0..first.min(x0 + TILE) {
                    for t in t0..last.min(t0 + TILE) {
                        let from = (source_base + t * source_row + x) * size;
                        let to = (target_base + x * target_row + t) * size;
                        out[to..to + size].copy_from_slice(&bytes[from..from + size]);
                    }
                }
            }
        }
        for axis in (0..middle.len()).rev() {
            index[axis] += 1;
            source_base += strides[axis];
            if index[axis] < middle[axis] {
                break;
            }
            source_base -= strides[axis] * middle[axis];
            index[axis] = 0;
        }
    }
    out
}

/// Swaps every element's bytes in place (big-endian data to little-endian).
pub(crate) fn swap_bytes(bytes: &mut [u8], element_bytes: usize) {
    if element_bytes > 1 {
        bytes
            .chunks_exact_mut(element_bytes)
            .for_each(<[u8]>::reverse);
    }
}

/// The elements as f64 (exact for every dtype but 64-bit integers beyond 2^53).
pub(crate) fn f64_values(array: &Array) -> Vec<f64> {
    let mut out = Vec::with_capacity(array.numel());
    glassbox_tensor::for_each_le_value(array.dtype, &array.bytes, |v| out.push(v));
    out
}

#[cfg(test)]
mod tests {
    use super::fortran_to_c;

    #[test]
    fn fortran_order_becomes_c_order_for_every_element_size() {
        for shape in [vec![37usize, 34], vec![37, 3, 5, 34], vec![2, 33, 1, 3, 65]] {
            let numel: usize = shape.iter().product();
            for size in [1usize, 2, 3, 4, 8] {
                // Element at Fortran position f holds the bytes of f.
                let bytes: Vec<u8> = (0..numel)
                    .flat_map(|f| (0..size).map(move |b| (f * 7 + b) as u8))
                    .collect();
                let out = fortran_to_c(&bytes, &shape, size);
                for target in 0..numel {
                    // C index of `target`, then its Fortran position.
                    let (mut rest, mut f, mut stride) = (target, 0, 1);
                    let mut index = vec![0; shape.len()];
                    for axis in (0..shape.len()).rev() {
                        index[axis] = rest % shape[axis];
                        rest /= shape[axis];
                    }
                    for axis in 0..shape.len() {
                        f += index[axis] * stride;
                        stride *= shape[axis];
                    }
                    let at = target * size;
                    assert_eq!(out[at..at + size], bytes[f * size..(f + 1) * size]);
                }
            }
        }
    }
}
