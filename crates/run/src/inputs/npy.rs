//! numpy `.npy` files and `.npz` archives of them.
//!
//! The header is parsed here (not by `npyz`, whose shape product can overflow on a lying
//! header) so the declared byte count is checked against the file before anything is
//! allocated; `npyz` parses the dtype descriptor and opens the zip archive.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use glassbox_tensor::DType;
use npyz::{Endianness, TypeChar, TypeStr};

use super::{
    checked_bytes, fortran_to_c, read_exact_bounded, swap_bytes, ArrayDetail, Detail, Format,
    InputError, Loaded,
};
use crate::Array;

/// The largest header numpy writes is far below this; a bigger one is a corrupt file.
const MAX_HEADER_BYTES: u64 = 1 << 20;

/// What an `.npy` header declares.
struct Header {
    descr: String,
    dtype: DType,
    big_endian: bool,
    fortran_order: bool,
    shape: Vec<u64>,
    /// Bytes of magic, version, length and header text, i.e. where the data starts.
    header_bytes: u64,
}

pub(super) fn read_npy(path: &Path) -> Result<Loaded, InputError> {
    let file = File::open(path).map_err(|e| InputError::io(path, e))?;
    let file_bytes = file.metadata().map_err(|e| InputError::io(path, e))?.len();
    let mut reader = BufReader::new(file);
    let header = read_header(path, &mut reader)?;
    let array = read_data(
        path,
        reader,
        &header,
        file_bytes.saturating_sub(header.header_bytes),
    )?;
    Ok(loaded(path, Format::Npy, None, header, array))
}

/// All arrays of an archive (or only the first when `first_only`), in archive order.
pub(super) fn read_npz(path: &Path, first_only: bool) -> Result<Vec<(String, Loaded)>, InputError> {
    let mut archive = npyz::npz::NpzArchive::open(path)
        .map_err(|e| InputError::malformed(path, format!("not a readable .npz archive: {e}")))?;
    let zip = archive.zip_archive();
    let mut out = Vec::new();
    for index in 0..zip.len() {
        let entry = zip
            .by_index(index)
            .map_err(|e| InputError::malformed(path, format!("zip entry {index}: {e}")))?;
        let Some(name) = npyz::npz::array_name_from_file_name(entry.name()).map(str::to_string)
        else {
            continue;
        };
        let entry_bytes = entry.size();
        let mut reader = BufReader::new(entry);
        let header = read_header(path, &mut reader).map_err(|e| in_entry(e, &name))?;
        let data_bytes = entry_bytes.saturating_sub(header.header_bytes);
        let array = read_data(path, reader, &header, data_bytes).map_err(|e| in_entry(e, &name))?;
        out.push((
            name.clone(),
            loaded(path, Format::Npz, Some(name), header, array),
        ));
        if first_only {
            break;
        }
    }
    Ok(out)
}

fn in_entry(error: InputError, name: &str) -> InputError {
    match error {
        InputError::Malformed { path, problem } => InputError::Malformed {
            path,
            problem: format!("array {name:?}: {problem}"),
        },
        InputError::Unsupported { path, what } => InputError::Unsupported {
            path,
            what: format!("array {name:?}: {what}"),
        },
        other => other,
    }
}

fn loaded(
    path: &Path,
    format: Format,
    name: Option<String>,
    header: Header,
    array: Array,
) -> Loaded {
    let detail = ArrayDetail {
        name,
        descr: header.descr,
        fortran_order: header.fortran_order,
    };
    Loaded {
        path: path.to_path_buf(),
        format,
        array,
        detail: Detail::Array(detail),
    }
}

/// Reads the data after the header; `available_bytes` is what the file (or zip entry) holds
/// after the header, checked before reading.
fn read_data(
    path: &Path,
    reader: impl Read,
    header: &Header,
    available_bytes: u64,
) -> Result<Array, InputError> {
    let element_bytes = header.dtype.size_bytes();
    let declared = checked_bytes(&header.shape, element_bytes as u64).ok_or_else(|| {
        InputError::malformed(
            path,
            format!("shape {:?} overflows a 64-bit byte count", header.shape),
        )
    })?;
    if declared > available_bytes {
        return Err(InputError::malformed(
            path,
            format!(
                "header declares shape {:?} of {} = {declared} bytes but the file holds only \
                 {available_bytes} after the header",
                header.shape, header.descr
            ),
        ));
    }
    let mut bytes = read_exact_bounded(path, reader, declared, "the array data")?;
    if header.big_endian {
        swap_bytes(&mut bytes, element_bytes);
    }
    let shape: Vec<usize> = header.shape.iter().map(|&d| d as usize).collect();
    if header.fortran_order {
        bytes = fortran_to_c(&bytes, &shape, element_bytes);
    }
    Ok(Array {
        dtype: header.dtype,
        shape,
        bytes,
    })
}

fn read_header(path: &Path, reader: &mut impl Read) -> Result<Header, InputError> {
    let bad = |problem: String| InputError::malformed(path, problem);
    let mut preamble = [0u8; 10];
    reader
        .read_exact(&mut preamble)
        .map_err(|e| bad(format!("too short for an .npy header: {e}")))?;
    if &preamble[..6] != b"\x93NUMPY" {
        return Err(bad("missing the \\x93NUMPY magic".into()));
    }
    let (text_len, prefix_bytes) = match preamble[6] {
        1 => (
            u64::from(u16::from_le_bytes([preamble[8], preamble[9]])),
            10u64,
        ),
        2 | 3 => {
            let mut rest = [0u8; 2];
            reader
                .read_exact(&mut rest)
                .map_err(|e| bad(format!("truncated .npy header: {e}")))?;
            let len = u32::from_le_bytes([preamble[8], preamble[9], rest[0], rest[1]]);
            (u64::from(len), 12u64)
        }
        version => return Err(bad(format!("unknown .npy format version {version}"))),
    };
    if text_len > MAX_HEADER_BYTES {
        return Err(bad(format!(
            "header length {text_len} is implausibly large"
        )));
    }
    let mut text = Vec::new();
    reader
        .take(text_len)
        .read_to_end(&mut text)
        .map_err(|e| bad(format!("truncated .npy header: {e}")))?;
    if (text.len() as u64) < text_len {
        return Err(bad(format!(
            "header declares {text_len} bytes, file ends after {}",
            text.len()
        )));
    }
    let text = String::from_utf8_lossy(&text);
    let mut header = parse_dict(path, &text)?;
    header.header_bytes = prefix_bytes + text_len;
    Ok(header)
}

/// Parses numpy's header dict `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
fn parse_dict(path: &Path, text: &str) -> Result<Header, InputError> {
    let bad = |problem: String| InputError::malformed(path, format!("bad .npy header: {problem}"));
    let descr_value = dict_value(text, "descr").ok_or_else(|| bad("no 'descr'".into()))?;
    let descr = match descr_value.chars().next() {
        Some(quote @ ('\'' | '"')) => descr_value[1..]
            .split(quote)
            .next()
            .ok_or_else(|| bad("unterminated 'descr'".into()))?
            .to_string(),
        _ => {
            return Err(InputError::unsupported(
                path,
                "structured (record) numpy dtypes",
            ));
        }
    };
    let fortran_value =
        dict_value(text, "fortran_order").ok_or_else(|| bad("no 'fortran_order'".into()))?;
    let fortran_order = if fortran_value.starts_with("True") {
        true
    } else if fortran_value.starts_with("False") {
        false
    } else {
        return Err(bad("'fortran_order' is not True or False".into()));
    };
    let shape_value = dict_value(text, "shape").ok_or_else(|| bad("no 'shape'".into()))?;
    let shape =
        parse_shape(shape_value).ok_or_else(|| bad("'shape' is not a tuple of integers".into()))?;
    let (dtype, big_endian) = dtype_from_descr(path, &descr)?;
    Ok(Header {
        descr,
        dtype,
        big_endian,
        fortran_order,
        shape,
        header_bytes: 0,
    })
}

/// The text after `'key':` in a Python dict literal.
fn dict_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let start = text
        .find(&format!("'{key}'"))
        .or_else(|| text.find(&format!("\"{key}\"")))?;
    let rest = text[start + key.len() + 2..].trim_start();
    Some(rest.strip_prefix(':')?.trim_start())
}

fn parse_shape(value: &str) -> Option<Vec<u64>> {
    let inner = value.strip_prefix('(')?.split(')').next()?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| part.trim_end_matches('L').parse::<u64>().ok())
        .collect()
}

fn dtype_from_descr(path: &Path, descr: &str) -> Result<(DType, bool), InputError> {
    let unsupported = || InputError::unsupported(path, format!("numpy dtype {descr:?}"));
    let type_str: TypeStr = descr.parse().map_err(|_| unsupported())?;
    let size = type_str.size_field();
    let dtype = match (type_str.type_char(), size) {
        (TypeChar::Bool, 1) => DType::Bool,
        (TypeChar::Int, 1) => DType::I8,
        (TypeChar::Int, 2) => DType::I16,
        (TypeChar::Int, 4) => DType::I32,
        (TypeChar::Int, 8) => DType::I64,
        (TypeChar::Uint, 1) => DType::U8,
        (TypeChar::Uint, 2) => DType::U16,
        (TypeChar::Uint, 4) => DType::U32,
        (TypeChar::Uint, 8) => DType::U64,
        (TypeChar::Float, 2) => DType::F16,
        (TypeChar::Float, 4) => DType::F32,
        (TypeChar::Float, 8) => DType::F64,
        _ => return Err(unsupported()),
    };
    Ok((dtype, type_str.endianness() == Endianness::Big))
}
