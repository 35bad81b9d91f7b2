//! Writing tensors as `.npy` (format 1.0, little-endian, C order) so numpy loads them as they
//! are, and reading back the files glassbox itself wrote (spilled captures).

use glassbox_tensor::DType;
use std::io::{Read, Write};
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

/// Reads an `.npy` file written by [`write`]: dtype, shape, bytes.
pub fn read(path: &Path) -> std::io::Result<(DType, Vec<usize>, Vec<u8>)> {
    let invalid = |what: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {what}", path.display()),
        )
    };
    let mut file = std::fs::File::open(path)?;
    let mut preamble = [0u8; 10];
    file.read_exact(&mut preamble)?;
    if &preamble[..8] != b"\x93NUMPY\x01\x00" {
        return Err(invalid("not an .npy 1.0 file"));
    }
    let mut header = vec![0u8; u16::from_le_bytes([preamble[8], preamble[9]]) as usize];
    file.read_exact(&mut header)?;
    let header = String::from_utf8_lossy(&header);
    let all = [
        DType::F16,
        DType::F32,
        DType::F64,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::Bool,
    ];
    let dtype = all
        .into_iter()
        .find(|&d| header.contains(&format!("'descr': '{}'", descr(d))))
        .ok_or_else(|| invalid("unknown dtype"))?;
    let inside = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| invalid("no shape"))?;
    let shape: Vec<usize> = inside
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| invalid("bad shape")))
        .collect::<Result<_, _>>()?;
    let expected = shape.iter().product::<usize>() * dtype.size_bytes();
    let mut bytes = Vec::with_capacity(expected.min(file.metadata()?.len() as usize));
    file.read_to_end(&mut bytes)?;
    if bytes.len() != expected {
        return Err(invalid("data size disagrees with the header"));
    }
    Ok((dtype, shape, bytes))
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
            assert_eq!(read(&path).unwrap(), (DType::F32, shape, bytes));
        }
    }
}
