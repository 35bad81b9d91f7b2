//! NIfTI volumes (`.nii`, `.nii.gz`): NIfTI-1 headers through the `nifti` crate, NIfTI-2 through
//! `nifti2.rs`; the voxel data, affines and orientation are ours.
//!
//! Raw array order: shape `dim[1..=dim[0]]` = `[X, Y, Z, (T, ...)]`, element `[x][y][z]` equal to
//! nibabel's `img.dataobj[x, y, z]`. The file stores x fastest; we transpose to C order.
//! The affines follow nibabel: qform from the quaternion (qfac = `pixdim[0]`, taken as 1 when it
//! is not ±1, as nibabel's header fix does), the best affine is sform if `sform_code > 0`, else
//! qform if `qform_code > 0`, else the pixdim diagonal with x flipped, centred. The crate's
//! `qform_affine` is never called (it panics on a bad `pixdim[0]`).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use glassbox_tensor::DType;
use nalgebra::Matrix3;
use serde::Serialize;

use super::{
    checked_bytes, f64_values, fortran_to_c, nifti2, read_exact_bounded, swap_bytes, Detail,
    Format, InputError, Loaded,
};
use crate::Array;

/// Extensions between the header and the data larger than this mark a corrupt file.
const MAX_EXTENSION_BYTES: u64 = 256 << 20;

/// A 4×4 affine from voxel indices to world millimetres, rows outermost.
pub type Affine = [[f64; 4]; 4];

/// What a NIfTI header says, as the audit reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NiftiHeaderFacts {
    /// 1 or 2.
    pub nifti_version: u8,
    /// `dim[1..=dim[0]]`.
    pub dim: Vec<usize>,
    /// `pixdim[1..=dim[0]]`: voxel size per axis (spatial axes first).
    pub voxel_size: Vec<f64>,
    /// Spatial and temporal units (`mm`, `m`, `um`, `unknown`; `s`, `ms`, `us`, `hz`, ...).
    pub units: Units,
    /// Axis codes of the best affine, nibabel's `aff2axcodes` (`RAS`, `LAS`, `LPS`, ...).
    pub orientation: String,
    /// `qform_code` (0 = no qform).
    pub qform_code: i32,
    /// `sform_code` (0 = no sform).
    pub sform_code: i32,
    /// The best affine: sform if `sform_code > 0`, else qform if `qform_code > 0`, else base.
    pub affine: Affine,
    /// The affine from the quaternion fields.
    pub qform: Affine,
    /// The affine from `srow_x/y/z`.
    pub sform: Affine,
    /// The stored element type (`int16`, `float32`, ...), before scaling.
    pub datatype: String,
    /// `scl_slope` as stored (0 or NaN mean "no scaling").
    pub scl_slope: f64,
    /// `scl_inter` as stored.
    pub scl_inter: f64,
    /// Whether slope/intercept were applied (the array is then float32).
    pub scaled: bool,
}

/// The units of `pixdim` (`xyzt_units`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Units {
    /// Unit of the spatial axes.
    pub space: String,
    /// Unit of the time axis.
    pub time: String,
}

/// A parsed header of either version, before the data.
pub(super) struct RawHeader {
    pub version: u8,
    pub dim: Vec<u64>,
    pub datatype: i32,
    pub pixdim: [f64; 8],
    pub vox_offset: f64,
    pub scl_slope: f64,
    pub scl_inter: f64,
    pub xyzt_units: i32,
    pub qform_code: i32,
    pub sform_code: i32,
    /// quatern_b, c, d, qoffset_x, y, z.
    pub quatern: [f64; 6],
    pub srow: [[f64; 4]; 3],
    pub big_endian: bool,
    /// 348 or 540.
    pub header_bytes: u64,
}

pub(super) fn read(path: &Path, gzip: bool) -> Result<Loaded, InputError> {
    let file = File::open(path).map_err(|e| InputError::io(path, e))?;
    let file_bytes = file.metadata().map_err(|e| InputError::io(path, e))?.len();
    let buffered = BufReader::new(file);
    let mut reader: Box<dyn Read> = if gzip {
        Box::new(MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    let header = read_header(path, &mut reader)?;
    let (dtype, stored_bytes) = element_type(path, header.datatype)?;
    let too_big = || InputError::malformed(path, format!("dim {:?} overflows", header.dim));
    let declared = checked_bytes(&header.dim, stored_bytes as u64).ok_or_else(too_big)?;

    let data_start = header.vox_offset.max(header.header_bytes as f64);
    if !data_start.is_finite()
        || data_start - header.header_bytes as f64 > MAX_EXTENSION_BYTES as f64
    {
        return Err(InputError::malformed(
            path,
            format!("vox_offset {} is implausible", header.vox_offset),
        ));
    }
    let data_start = data_start as u64;
    if !gzip && declared.saturating_add(data_start) > file_bytes {
        return Err(InputError::malformed(
            path,
            format!(
                "header declares dim {:?} of {} = {declared} bytes from offset {data_start}, \
                 but the file is only {file_bytes} bytes",
                header.dim,
                datatype_name(header.datatype),
            ),
        ));
    }
    let skip = data_start - header.header_bytes;
    let skipped = io::copy(&mut (&mut reader).take(skip), &mut io::sink())
        .map_err(|e| InputError::malformed(path, format!("truncated before the data: {e}")))?;
    if skipped < skip {
        return Err(InputError::malformed(
            path,
            "the file ends before vox_offset",
        ));
    }
    let what = format!(
        "the voxel data (dim {:?}, {})",
        header.dim,
        datatype_name(header.datatype)
    );
    let mut bytes = read_exact_bounded(path, reader, declared, &what)?;
    if header.big_endian {
        swap_bytes(&mut bytes, stored_bytes);
    }
    let shape: Vec<usize> = header.dim.iter().map(|&d| d as usize).collect();
    let bytes = fortran_to_c(&bytes, &shape, stored_bytes);
    let mut array = Array {
        dtype,
        shape,
        bytes,
    };
    let (slope, inter) = effective_scaling(header.scl_slope, header.scl_inter);
    let scaled = (slope, inter) != (1.0, 0.0);
    if scaled {
        let values: Vec<f32> = f64_values(&array)
            .iter()
            .map(|v| (v * slope + inter) as f32)
            .collect();
        array = Array::from_f32(array.shape.clone(), &values);
    }
    let facts = facts_from_header(&header, scaled);
    let format = if header.version == 2 {
        Format::Nifti2
    } else {
        Format::Nifti1
    };
    Ok(Loaded {
        path: path.to_path_buf(),
        format,
        array,
        detail: Detail::Nifti(Box::new(facts)),
    })
}

/// nibabel's rule: slope 0 or non-finite means no scaling; a non-finite intercept counts as 0.
fn effective_scaling(slope: f64, inter: f64) -> (f64, f64) {
    if slope == 0.0 || !slope.is_finite() {
        return (1.0, 0.0);
    }
    (slope, if inter.is_finite() { inter } else { 0.0 })
}

fn read_header(path: &Path, reader: &mut impl Read) -> Result<RawHeader, InputError> {
    let mut first = [0u8; 4];
    reader
        .read_exact(&mut first)
        .map_err(|e| InputError::malformed(path, format!("too short for a NIfTI header: {e}")))?;
    let (le, be) = (i32::from_le_bytes(first), i32::from_be_bytes(first));
    if le == 540 || be == 540 {
        let mut rest = vec![0u8; 536];
        reader
            .read_exact(&mut rest)
            .map_err(|e| InputError::malformed(path, format!("truncated NIfTI-2 header: {e}")))?;
        return nifti2::parse(path, &rest, be == 540);
    }
    if le != 348 && be != 348 {
        return Err(InputError::malformed(
            path,
            format!(
                "not a NIfTI file: sizeof_hdr is {le}, expected 348 (NIfTI-1) or 540 (NIfTI-2)"
            ),
        ));
    }
    let mut bytes = vec![0u8; 348];
    bytes[..4].copy_from_slice(&first);
    reader
        .read_exact(&mut bytes[4..])
        .map_err(|e| InputError::malformed(path, format!("truncated NIfTI-1 header: {e}")))?;
    if &bytes[344..348] == b"ni1\0" {
        return Err(InputError::unsupported(
            path,
            "NIfTI .hdr/.img pairs (magic ni1)",
        ));
    }
    let h = ::nifti::NiftiHeader::from_reader(&bytes[..])
        .map_err(|e| InputError::malformed(path, format!("bad NIfTI-1 header: {e}")))?;
    let ndim = usize::from(h.dim[0]);
    if !(1..=7).contains(&ndim) {
        return Err(InputError::malformed(
            path,
            format!("dim[0] = {} is not in 1..=7", h.dim[0]),
        ));
    }
    let f = |v: f32| f64::from(v);
    Ok(RawHeader {
        version: 1,
        dim: h.dim[1..=ndim].iter().map(|&d| u64::from(d)).collect(),
        datatype: i32::from(h.datatype),
        pixdim: h.pixdim.map(f),
        vox_offset: f(h.vox_offset),
        scl_slope: f(h.scl_slope),
        scl_inter: f(h.scl_inter),
        xyzt_units: i32::from(h.xyzt_units),
        qform_code: i32::from(h.qform_code),
        sform_code: i32::from(h.sform_code),
        quatern: [
            h.quatern_b,
            h.quatern_c,
            h.quatern_d,
            h.quatern_x,
            h.quatern_y,
            h.quatern_z,
        ]
        .map(f),
        srow: [h.srow_x.map(f), h.srow_y.map(f), h.srow_z.map(f)],
        big_endian: be == 348 && le != 348,
        header_bytes: 348,
    })
}

/// The array element type and the bytes per stored element of a NIfTI datatype code.
fn element_type(path: &Path, datatype: i32) -> Result<(DType, usize), InputError> {
    let dtype = match datatype {
        2 => DType::U8,
        4 => DType::I16,
        8 => DType::I32,
        16 => DType::F32,
        64 => DType::F64,
        256 => DType::I8,
        512 => DType::U16,
        768 => DType::U32,
        1024 => DType::I64,
        1280 => DType::U64,
        other => {
            return Err(InputError::unsupported(
                path,
                format!("NIfTI datatype {other} ({})", datatype_name(other)),
            ))
        }
    };
    Ok((dtype, dtype.size_bytes()))
}

fn datatype_name(code: i32) -> &'static str {
    match code {
        2 => "uint8",
        4 => "int16",
        8 => "int32",
        16 => "float32",
        32 => "complex64",
        64 => "float64",
        128 => "RGB24",
        256 => "int8",
        512 => "uint16",
        768 => "uint32",
        1024 => "int64",
        1280 => "uint64",
        1536 => "float128",
        1792 => "complex128",
        2048 => "complex256",
        2304 => "RGBA32",
        _ => "unknown",
    }
}

fn facts_from_header(h: &RawHeader, scaled: bool) -> NiftiHeaderFacts {
    let ndim = h.dim.len();
    let qform = qform_affine(h);
    let sform = sform_affine(h);
    let affine = if h.sform_code > 0 {
        sform
    } else if h.qform_code > 0 {
        qform
    } else {
        base_affine(h)
    };
    NiftiHeaderFacts {
        nifti_version: h.version,
        dim: h.dim.iter().map(|&d| d as usize).collect(),
        voxel_size: h.pixdim[1..=ndim].to_vec(),
        units: units(h.xyzt_units),
        orientation: axcodes(&orientation_of(&affine)),
        qform_code: h.qform_code,
        sform_code: h.sform_code,
        affine,
        qform,
        sform,
        datatype: datatype_name(h.datatype).into(),
        scl_slope: h.scl_slope,
        scl_inter: h.scl_inter,
        scaled,
    }
}

fn units(xyzt: i32) -> Units {
    let space = match xyzt & 0x07 {
        1 => "m",
        2 => "mm",
        3 => "um",
        _ => "unknown",
    };
    let time = match xyzt & 0x38 {
        8 => "s",
        16 => "ms",
        24 => "us",
        32 => "hz",
        40 => "ppm",
        48 => "rad/s",
        _ => "unknown",
    };
    Units {
        space: space.into(),
        time: time.into(),
    }
}

/// nibabel's `get_qform`: rotation from the quaternion (w filled positive), voxel sizes, qfac.
fn qform_affine(h: &RawHeader) -> Affine {
    let [b, c, d, qx, qy, qz] = h.quatern;
    // nibabel fills w in the header's precision: float32 for NIfTI-1, where 1 - |bcd|² often
    // rounds to exactly 0 and float64 would leave a spurious w of ~1e-4.
    let w2 = if h.version == 1 {
        let (b, c, d) = (b as f32, c as f32, d as f32);
        f64::from(1.0f32 - (b * b + c * c + d * d))
    } else {
        1.0 - (b * b + c * c + d * d)
    };
    let w = w2.max(0.0).sqrt();
    let rotation = quaternion_to_matrix(w, b, c, d);
    let qfac = if h.pixdim[0] == -1.0 { -1.0 } else { 1.0 };
    let zooms = [h.pixdim[1], h.pixdim[2], h.pixdim[3] * qfac];
    let mut out = identity();
    for row in 0..3 {
        for col in 0..3 {
            out[row][col] = rotation[row][col] * zooms[col];
        }
    }
    out[0][3] = qx;
    out[1][3] = qy;
    out[2][3] = qz;
    out
}

/// nibabel's `quat2mat`.
fn quaternion_to_matrix(w: f64, x: f64, y: f64, z: f64) -> [[f64; 3]; 3] {
    let norm = w * w + x * x + y * y + z * z;
    if norm < f64::EPSILON {
        return [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    }
    let s = 2.0 / norm;
    let (big_x, big_y, big_z) = (x * s, y * s, z * s);
    let (wx, wy, wz) = (w * big_x, w * big_y, w * big_z);
    let (xx, xy, xz) = (x * big_x, x * big_y, x * big_z);
    let (yy, yz, zz) = (y * big_y, y * big_z, z * big_z);
    [
        [1.0 - (yy + zz), xy - wz, xz + wy],
        [xy + wz, 1.0 - (xx + zz), yz - wx],
        [xz - wy, yz + wx, 1.0 - (xx + yy)],
    ]
}

fn sform_affine(h: &RawHeader) -> Affine {
    [h.srow[0], h.srow[1], h.srow[2], [0.0, 0.0, 0.0, 1.0]]
}

/// nibabel's `get_base_affine`: pixdim diagonal, x flipped, origin at the volume centre.
fn base_affine(h: &RawHeader) -> Affine {
    let mut out = identity();
    for (axis, row) in out.iter_mut().take(3).enumerate() {
        let (size, zoom) = match h.dim.get(axis) {
            Some(&size) => (size as f64, h.pixdim[axis + 1]),
            None => (1.0, 1.0),
        };
        let zoom = if axis == 0 { -zoom } else { zoom };
        row[axis] = zoom;
        row[3] = -(size - 1.0) / 2.0 * zoom;
    }
    out
}

fn identity() -> Affine {
    let mut out = [[0.0; 4]; 4];
    (0..4).for_each(|i| out[i][i] = 1.0);
    out
}

/// For each voxel axis, the world axis (0 = x/R, 1 = y/A, 2 = z/S) it runs closest to and the
/// direction (+1 or −1); None for an axis with a zero column. nibabel's `io_orientation`.
pub fn orientation_of(affine: &Affine) -> [Option<(usize, f64)>; 3] {
    let mut rzs = Matrix3::from_fn(|r, c| affine[r][c]);
    for col in 0..3 {
        let norm = rzs.column(col).norm();
        if norm != 0.0 {
            rzs.column_mut(col).scale_mut(1.0 / norm);
        }
    }
    // Closest orthogonal matrix (polar decomposition) keeping only the non-null singular values.
    let svd = rzs.svd(true, true);
    let mut rotation = Matrix3::zeros();
    if let (Some(u), Some(v_t)) = (svd.u, svd.v_t) {
        let tolerance = svd.singular_values.max() * 3.0 * f64::EPSILON;
        for k in 0..3 {
            if svd.singular_values[k] > tolerance {
                rotation += u.column(k) * v_t.row(k);
            }
        }
    }
    let mut out = [None; 3];
    for (in_axis, slot) in out.iter_mut().enumerate() {
        let column = rotation.column(in_axis).into_owned();
        if column.iter().all(|v| v.abs() <= 1e-8) {
            continue;
        }
        let out_axis = column.iamax();
        *slot = Some((out_axis, if column[out_axis] < 0.0 { -1.0 } else { 1.0 }));
        rotation.row_mut(out_axis).fill(0.0);
    }
    out
}

/// Axis codes (`RAS`, `LPS`, ...) of an orientation; `?` for a degenerate axis.
fn axcodes(orientation: &[Option<(usize, f64)>; 3]) -> String {
    const LABELS: [(char, char); 3] = [('L', 'R'), ('P', 'A'), ('I', 'S')];
    orientation
        .iter()
        .map(|o| match o {
            Some((axis, sign)) if *sign > 0.0 => LABELS[*axis].1,
            Some((axis, _)) => LABELS[*axis].0,
            None => '?',
        })
        .collect()
}

/// The volume flipped and transposed so its axes run R, A, S (nibabel's
/// `as_closest_canonical`): array, affine (best, qform and sform), dim, voxel sizes and
/// orientation are updated. A volume already RAS comes back unchanged.
///
/// Errors when `loaded` is not a NIfTI volume of at least 3 dimensions or its affine has a
/// zero column (no closest axis).
pub fn to_canonical(loaded: &Loaded) -> Result<Loaded, InputError> {
    let Detail::Nifti(facts) = &loaded.detail else {
        return Err(InputError::unsupported(
            &loaded.path,
            "canonical orientation of a non-NIfTI input",
        ));
    };
    let shape = &loaded.array.shape;
    if shape.len() < 3 {
        return Err(InputError::unsupported(
            &loaded.path,
            "canonical orientation of a volume with fewer than 3 axes",
        ));
    }
    let orientation = orientation_of(&facts.affine);
    let mut axes = [(0usize, 1.0f64); 3];
    for (in_axis, o) in orientation.iter().enumerate() {
        axes[in_axis] = o.ok_or_else(|| {
            InputError::malformed(
                &loaded.path,
                format!("affine column {in_axis} is zero: no orientation"),
            )
        })?;
    }
    if axes == [(0, 1.0), (1, 1.0), (2, 1.0)] {
        return Ok(loaded.clone());
    }
    let array = reorient(&loaded.array, &axes);
    let mut facts = facts.clone();
    let new_affine = reoriented_affine(&facts.affine, &axes, shape);
    facts.affine = new_affine;
    if facts.qform_code > 0 {
        facts.qform = new_affine;
    }
    if facts.sform_code > 0 {
        facts.sform = new_affine;
    }
    let old_voxel_size = facts.voxel_size.clone();
    for (in_axis, &(out_axis, _)) in axes.iter().enumerate() {
        facts.dim[out_axis] = shape[in_axis];
        if let (Some(&size), Some(slot)) = (
            old_voxel_size.get(in_axis),
            facts.voxel_size.get_mut(out_axis),
        ) {
            *slot = size;
        }
    }
    facts.orientation = axcodes(&orientation_of(&new_affine));
    Ok(Loaded {
        array,
        detail: Detail::Nifti(facts),
        ..loaded.clone()
    })
}

/// Input axis `i` becomes output axis `axes[i].0`, flipped when `axes[i].1` is negative.
fn reorient(array: &Array, axes: &[(usize, f64); 3]) -> Array {
    let shape = &array.shape;
    let element_bytes = array.dtype.size_bytes();
    let mut out_shape = shape.clone();
    for (in_axis, &(out_axis, _)) in axes.iter().enumerate() {
        out_shape[out_axis] = shape[in_axis];
    }
    // C-order strides of the input; each output axis reads from one input axis.
    let mut in_strides = vec![1usize; shape.len()];
    for axis in (0..shape.len().saturating_sub(1)).rev() {
        in_strides[axis] = in_strides[axis + 1] * shape[axis + 1];
    }
    let inner: usize = shape[3..].iter().product::<usize>() * element_bytes;
    let mut source_of = [(0usize, false); 3]; // for each output axis: (input axis, flipped)
    for (in_axis, &(out_axis, sign)) in axes.iter().enumerate() {
        source_of[out_axis] = (in_axis, sign < 0.0);
    }
    let mut bytes = Vec::with_capacity(array.bytes.len());
    let index_in = |out_axis: usize, i: usize| {
        let (in_axis, flipped) = source_of[out_axis];
        let i = if flipped { shape[in_axis] - 1 - i } else { i };
        i * in_strides[in_axis]
    };
    for i in 0..out_shape[0] {
        let a = index_in(0, i);
        for j in 0..out_shape[1] {
            let b = a + index_in(1, j);
            for k in 0..out_shape[2] {
                let start = (b + index_in(2, k)) * element_bytes;
                bytes.extend_from_slice(&array.bytes[start..start + inner]);
            }
        }
    }
    Array {
        dtype: array.dtype,
        shape: out_shape,
        bytes,
    }
}

/// The affine of the reoriented volume: new index along `axes[i].0` maps to old index `i`
/// (reversed when flipped), so the column moves, flips sign, and the origin shifts.
fn reoriented_affine(affine: &Affine, axes: &[(usize, f64); 3], shape: &[usize]) -> Affine {
    let mut out = *affine;
    for (in_axis, &(out_axis, sign)) in axes.iter().enumerate() {
        for row in 0..3 {
            out[row][out_axis] = affine[row][in_axis] * sign;
        }
    }
    for (in_axis, &(_, sign)) in axes.iter().enumerate() {
        if sign < 0.0 {
            for row in 0..3 {
                out[row][3] += affine[row][in_axis] * (shape[in_axis] as f64 - 1.0);
            }
        }
    }
    out
}
