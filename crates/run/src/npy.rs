//! Writing tensors as `.npy` (format 1.0, little-endian, C order) so numpy loads them as they
//! are. Reading goes through [`crate::inputs`], which reads any `.npy`.

use glassbox_tensor::DType;
use std::io::Write;
use std::path::Path;

/// numpy's type string for a dtype.
fn descr(dtype: DType) -> &'static str {
    match dtype {
        DType::F16 => "<f2",
        // numpy has no bfloat16; glassbox never hands one here (the engine widens it).
        DType::BF16 => "<u2",
        DType::F32 => "<f4",
        DType::F64 => "<f8",
        DType::I8 => "|i1",
        DType::I16 => "<i2",
        DType::I32 => "<i4",
        DType::I64 => "<i8",
        DType::U8 => "|u1",
        DType::U16 => "<u2",
        DType::U32 => "<u4",
        DType::U64 => "<u8",
        DType::Bool => "|b1",
    }
}

/// Writes `bytes` (little-endian elements of `dtype`, C order) as an `.npy` file.
pub fn write(path: &Path, dtype: DType, shape: &[usize], bytes: &[u8]) -> std::io::Result<()> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape_text}, }}",
        descr(dtype)
    );
    // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    file.write_all(b"\x93NUMPY\x01\x00")?;
    file.write_all(&(header.len() as u16).to_le_bytes())?;
    file.write_all(header.as_bytes())?;
    file.write_all(bytes)?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_shapes_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        for shape in [vec![], vec![3], vec![2, 3, 4]] {
            let n: usize = shape.iter().product();
            let bytes: Vec<u8> = (0..n).flat_map(|i| (i as f32).to_le_bytes()).collect();
            let path = dir.path().join("t.npy");
            write(&path, DType::F32, &shape, &bytes).unwrap();
            let raw = std::fs::read(&path).unwrap();
            assert_eq!((raw.len() - bytes.len()) % 64, 0, "header not padded to 64");
            let array = crate::inputs::read(&path).unwrap().array;
            assert_eq!(
                (array.dtype, array.shape, array.bytes),
                (DType::F32, shape, bytes)
            );
        }
    }
}
