//! Turning a `TensorProto` into checked little-endian bytes, wherever its values are stored:
//! `raw_data`, the typed repeated fields, or an external file beside the model.

use super::proto::{TensorProto, DATA_LOCATION_EXTERNAL};
use crate::graph::{ElemType, Shape, TensorData};
use bytes::Bytes;
use glassbox_tensor::DType;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

/// More elements than this in one declared shape is not a real model (2^48, ~281 trillion).
pub const MAX_ELEMENTS: u64 = 1 << 48;

/// A problem with one tensor, turned into a [`crate::LoadError::BadTensor`] by the caller.
pub type Problem = String;

/// Element count of `dims`, refusing negative dimensions and absurd totals.
pub fn element_count(dims: &[i64]) -> Result<u64, Problem> {
    let mut count = 1u64;
    for &d in dims {
        let d =
            u64::try_from(d).map_err(|_| format!("negative dimension {d} in shape {dims:?}"))?;
        count = count
            .checked_mul(d)
            .filter(|&c| c <= MAX_ELEMENTS)
            .ok_or_else(|| format!("shape {dims:?} declares more than 2^48 elements"))?;
    }
    Ok(count)
}

/// Reads and checks the values of an initializer or constant. Returns `None` for types whose
/// values glassbox does not keep (strings); never allocates more than the bytes present.
pub fn tensor_data(
    proto: &TensorProto,
    model_dir: &Path,
) -> Result<(ElemType, Shape, Option<TensorData>), Problem> {
    let elem_type = ElemType::from_onnx(proto.data_type);
    let numel = element_count(&proto.dims)?;
    let shape = Shape::fixed(&proto.dims.iter().map(|&d| d as u64).collect::<Vec<_>>());
    let expected_bytes = match elem_type.bits() {
        Some(bits) => numel
            .checked_mul(bits)
            .map(|b| b.div_ceil(8))
            .ok_or_else(|| format!("shape {:?} is too large", proto.dims))?,
        None if elem_type == ElemType::String => {
            if proto.string_data.len() as u64 != numel {
                return Err(format!(
                    "shape {:?} holds {numel} strings but the file has {}",
                    proto.dims,
                    proto.string_data.len()
                ));
            }
            return Ok((elem_type, shape, None));
        }
        None => return Err(format!("unknown data type code {}", proto.data_type)),
    };
    let bytes = if proto.data_location == DATA_LOCATION_EXTERNAL {
        read_external(proto, model_dir, expected_bytes)?
    } else if !proto.raw_data.is_empty() || numel == 0 {
        proto.raw_data.clone()
    } else {
        typed_field_bytes(proto, elem_type)?
    };
    if bytes.len() as u64 != expected_bytes {
        return Err(format!(
            "shape {:?} of {} needs {expected_bytes} bytes but the file holds {}",
            proto.dims,
            elem_type.name(),
            bytes.len()
        ));
    }
    Ok((elem_type, shape, Some(TensorData { bytes })))
}

/// Values stored in the typed repeated fields, re-encoded as little-endian bytes of the
/// element type (ONNX keeps 8- and 16-bit types widened in `int32_data`).
fn typed_field_bytes(proto: &TensorProto, elem_type: ElemType) -> Result<Bytes, Problem> {
    let dtype = match elem_type {
        ElemType::Numeric(d) => d,
        // float8 values sit one per int32; keep their low byte.
        ElemType::Other(_) => return Ok(proto.int32_data.iter().map(|&v| v as u8).collect()),
        _ => return Ok(Bytes::new()),
    };
    let out: Vec<u8> = match dtype {
        DType::F32 => proto
            .float_data
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
        DType::F64 => proto
            .double_data
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
        DType::I64 => proto
            .int64_data
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
        DType::U64 => proto
            .uint64_data
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
        DType::U32 => proto
            .uint64_data
            .iter()
            .flat_map(|&v| (v as u32).to_le_bytes())
            .collect(),
        DType::I32 => proto
            .int32_data
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
        DType::I16 | DType::U16 | DType::F16 | DType::BF16 => proto
            .int32_data
            .iter()
            .flat_map(|&v| (v as u16).to_le_bytes())
            .collect(),
        DType::I8 | DType::U8 | DType::Bool => proto.int32_data.iter().map(|&v| v as u8).collect(),
    };
    Ok(Bytes::from(out))
}

/// Reads an external-data tensor: the location must stay inside the model's folder (no
/// absolute paths, no `..`, no symlink out), and offset and length must fit in the file.
fn read_external(
    proto: &TensorProto,
    model_dir: &Path,
    expected_bytes: u64,
) -> Result<Bytes, Problem> {
    let entry = |key: &str| {
        proto
            .external_data
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
    };
    let location = entry("location").ok_or("external data without a `location`")?;
    let number = |key: &str| -> Result<Option<u64>, Problem> {
        entry(key)
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| format!("external data `{key}` is not a number: {v:?}"))
            })
            .transpose()
    };
    let offset = number("offset")?.unwrap_or(0);
    let length = number("length")?;
    let path = external_path(model_dir, location)?;
    let mut file =
        File::open(&path).map_err(|e| format!("external data file {}: {e}", path.display()))?;
    let file_len = file
        .metadata()
        .map_err(|e| format!("external data file {}: {e}", path.display()))?
        .len();
    let length = length.unwrap_or(expected_bytes);
    if length != expected_bytes {
        return Err(format!(
            "external data declares {length} bytes but shape {:?} needs {expected_bytes}",
            proto.dims
        ));
    }
    if offset.checked_add(length).is_none_or(|end| end > file_len) {
        return Err(format!(
            "external data wants bytes {offset}..{} of {}, which has only {file_len}",
            offset.saturating_add(length),
            path.display()
        ));
    }
    let mut buffer = vec![0u8; length as usize];
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(&mut buffer))
        .map_err(|e| format!("external data file {}: {e}", path.display()))?;
    Ok(Bytes::from(buffer))
}

/// Resolves an external-data location against the model's folder, refusing anything that
/// would leave it.
pub fn external_path(model_dir: &Path, location: &str) -> Result<PathBuf, Problem> {
    let relative = Path::new(location);
    let escapes = relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
    if escapes {
        return Err(format!(
            "external data location {location:?} leaves the model's folder; only plain relative paths are allowed"
        ));
    }
    let joined = model_dir.join(relative);
    let resolved = joined
        .canonicalize()
        .map_err(|e| format!("external data file {}: {e}", joined.display()))?;
    let root = model_dir
        .canonicalize()
        .map_err(|e| format!("model folder {}: {e}", model_dir.display()))?;
    if !resolved.starts_with(&root) {
        return Err(format!(
            "external data location {location:?} resolves to {}, outside the model's folder",
            resolved.display()
        ));
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_count_refuses_negative_and_absurd_shapes() {
        assert_eq!(element_count(&[2, 3, 4]), Ok(24));
        assert_eq!(element_count(&[]), Ok(1));
        assert!(element_count(&[2, -1])
            .unwrap_err()
            .contains("negative dimension -1"));
        assert!(element_count(&[1 << 30, 1 << 30])
            .unwrap_err()
            .contains("2^48"));
        assert!(element_count(&[i64::MAX, i64::MAX]).is_err());
    }

    #[test]
    fn external_paths_cannot_leave_the_model_folder() {
        let dir = std::env::temp_dir();
        for bad in ["../../etc/passwd", "/etc/passwd", "a/../../b"] {
            let err = external_path(&dir, bad).unwrap_err();
            assert!(err.contains("leaves the model's folder"), "{bad}: {err}");
        }
    }
}
