//! Element types glassbox can summarise, and reading them from little-endian bytes.

use half::{bf16, f16};
use serde::Serialize;

/// Numeric element types of tensors and arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    /// IEEE half precision.
    F16,
    /// bfloat16 (the top half of an f32).
    BF16,
    /// IEEE single precision.
    F32,
    /// IEEE double precision.
    F64,
    /// Signed 8-bit integer.
    I8,
    /// Signed 16-bit integer.
    I16,
    /// Signed 32-bit integer.
    I32,
    /// Signed 64-bit integer.
    I64,
    /// Unsigned 8-bit integer.
    U8,
    /// Unsigned 16-bit integer.
    U16,
    /// Unsigned 32-bit integer.
    U32,
    /// Unsigned 64-bit integer.
    U64,
    /// Boolean stored as one byte.
    Bool,
}

impl DType {
    /// Size of one element in bytes.
    pub fn size_bytes(self) -> usize {
        match self {
            DType::I8 | DType::U8 | DType::Bool => 1,
            DType::F16 | DType::BF16 | DType::I16 | DType::U16 => 2,
            DType::F32 | DType::I32 | DType::U32 => 4,
            DType::F64 | DType::I64 | DType::U64 => 8,
        }
    }

    /// Whether the type is a floating-point type (can hold NaN and Inf).
    pub fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }

    /// Lower-case name as numpy and the JSON output spell it (`float32`, `int64`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::Bool => "bool",
        }
    }
}

/// A value that can be summarised: anything with a lossless-enough view as `f64`.
pub trait Element: Copy {
    /// The value as `f64` (64-bit integers beyond 2^53 round, as numpy's float64 does).
    fn to_f64(self) -> f64;
}

macro_rules! element_as {
    ($($t:ty),*) => {$(
        impl Element for $t {
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
element_as!(f32, f64, i8, i16, i32, i64, u8, u16, u32, u64);

impl Element for f16 {
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Element for bf16 {
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Element for bool {
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(u8::from(self))
    }
}

#[inline]
pub(crate) fn array<const N: usize>(chunk: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(chunk);
    out
}

/// Calls `$body` with `$values` bound to an iterator of the elements of `$bytes` as `f64`.
/// A macro rather than a boxed iterator so each dtype gets its own monomorphised loop.
macro_rules! with_le_values {
    ($dtype:expr, $bytes:expr, |$values:ident| $body:expr) => {{
        use half::{bf16, f16};
        use $crate::dtype::{array, DType};
        let bytes: &[u8] = $bytes;
        match $dtype {
            DType::F32 => {
                let $values = bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes(array(c)) as f64);
                $body
            }
            DType::F64 => {
                let $values = bytes.chunks_exact(8).map(|c| f64::from_le_bytes(array(c)));
                $body
            }
            DType::F16 => {
                let $values = bytes
                    .chunks_exact(2)
                    .map(|c| f64::from(f16::from_le_bytes(array(c))));
                $body
            }
            DType::BF16 => {
                let $values = bytes
                    .chunks_exact(2)
                    .map(|c| f64::from(bf16::from_le_bytes(array(c))));
                $body
            }
            DType::I8 => {
                let $values = bytes.iter().map(|&b| b as i8 as f64);
                $body
            }
            DType::U8 => {
                let $values = bytes.iter().map(|&b| b as f64);
                $body
            }
            DType::Bool => {
                let $values = bytes.iter().map(|&b| f64::from(u8::from(b != 0)));
                $body
            }
            DType::I16 => {
                let $values = bytes
                    .chunks_exact(2)
                    .map(|c| i16::from_le_bytes(array(c)) as f64);
                $body
            }
            DType::U16 => {
                let $values = bytes
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes(array(c)) as f64);
                $body
            }
            DType::I32 => {
                let $values = bytes
                    .chunks_exact(4)
                    .map(|c| i32::from_le_bytes(array(c)) as f64);
                $body
            }
            DType::U32 => {
                let $values = bytes
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes(array(c)) as f64);
                $body
            }
            DType::I64 => {
                let $values = bytes
                    .chunks_exact(8)
                    .map(|c| i64::from_le_bytes(array(c)) as f64);
                $body
            }
            DType::U64 => {
                let $values = bytes
                    .chunks_exact(8)
                    .map(|c| u64::from_le_bytes(array(c)) as f64);
                $body
            }
        }
    }};
}

pub(crate) use with_le_values;
