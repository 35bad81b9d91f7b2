//! The NIfTI-2 header (540 bytes, 64-bit dims and doubles), which the `nifti` crate does not
//! read. Offsets from the NIfTI-2 standard (`nifti2.h`).

use std::path::Path;

use super::nifti::RawHeader;
use super::InputError;

/// Parses the 536 header bytes after `sizeof_hdr`.
pub(super) fn parse(path: &Path, rest: &[u8], big_endian: bool) -> Result<RawHeader, InputError> {
    // `at(offset)` takes offsets of the whole header; `rest` starts at byte 4.
    let field = |offset: usize, size: usize| &rest[offset - 4..offset - 4 + size];
    let i16_at = |o: usize| {
        let b = [field(o, 2)[0], field(o, 2)[1]];
        if big_endian {
            i16::from_be_bytes(b)
        } else {
            i16::from_le_bytes(b)
        }
    };
    let i32_at = |o: usize| {
        let mut b = [0u8; 4];
        b.copy_from_slice(field(o, 4));
        if big_endian {
            i32::from_be_bytes(b)
        } else {
            i32::from_le_bytes(b)
        }
    };
    let i64_at = |o: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(field(o, 8));
        if big_endian {
            i64::from_be_bytes(b)
        } else {
            i64::from_le_bytes(b)
        }
    };
    let f64_at = |o: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(field(o, 8));
        if big_endian {
            f64::from_be_bytes(b)
        } else {
            f64::from_le_bytes(b)
        }
    };
    let magic = field(4, 8);
    if magic != b"n+2\0\r\n\x1a\n" {
        return Err(if magic.starts_with(b"ni2") {
            InputError::unsupported(path, "NIfTI-2 .hdr/.img pairs (magic ni2)")
        } else {
            InputError::malformed(path, "sizeof_hdr says NIfTI-2 but the magic is not n+2")
        });
    }
    let ndim = i64_at(16);
    if !(1..=7).contains(&ndim) {
        return Err(InputError::malformed(
            path,
            format!("dim[0] = {ndim} is not in 1..=7"),
        ));
    }
    let mut dim = Vec::with_capacity(ndim as usize);
    for axis in 1..=ndim as usize {
        let size = i64_at(16 + 8 * axis);
        if size < 0 {
            return Err(InputError::malformed(
                path,
                format!("dim[{axis}] = {size} is negative"),
            ));
        }
        dim.push(size as u64);
    }
    let mut pixdim = [0.0; 8];
    for (axis, slot) in pixdim.iter_mut().enumerate() {
        *slot = f64_at(104 + 8 * axis);
    }
    let row = |o: usize| [f64_at(o), f64_at(o + 8), f64_at(o + 16), f64_at(o + 24)];
    Ok(RawHeader {
        version: 2,
        dim,
        datatype: i32::from(i16_at(12)),
        pixdim,
        vox_offset: i64_at(168) as f64,
        scl_slope: f64_at(176),
        scl_inter: f64_at(184),
        xyzt_units: i32_at(500),
        qform_code: i32_at(344),
        sform_code: i32_at(348),
        quatern: [
            f64_at(352),
            f64_at(360),
            f64_at(368),
            f64_at(376),
            f64_at(384),
            f64_at(392),
        ],
        srow: [row(400), row(432), row(464)],
        big_endian,
        header_bytes: 540,
    })
}
