//! Where glassbox meets its inference engine (tract): which ops it knows, and how its element
//! types map to glassbox's.

use glassbox_tensor::DType;
use std::collections::HashSet;
use std::sync::OnceLock;
pub mod ops;

use tract_onnx::prelude::*;

/// glassbox's element type for a tract datum type (`TDim` values are integers).
pub fn dtype_from_datum(datum: DatumType) -> Option<DType> {
    Some(match datum {
        DatumType::F16 => DType::F16,
        DatumType::F32 => DType::F32,
        DatumType::F64 => DType::F64,
        DatumType::I8 => DType::I8,
        DatumType::I16 => DType::I16,
        DatumType::I32 => DType::I32,
        DatumType::I64 | DatumType::TDim => DType::I64,
        DatumType::U8 => DType::U8,
        DatumType::U16 => DType::U16,
        DatumType::U32 => DType::U32,
        DatumType::U64 => DType::U64,
        DatumType::Bool => DType::Bool,
        _ => return None,
    })
}

/// Whether the inference engine has an implementation registered for this op type (default
/// ONNX domain and the domains tract maps onto it).
pub fn engine_supports(op: &str) -> bool {
    static KNOWN: OnceLock<HashSet<String>> = OnceLock::new();
    KNOWN
        .get_or_init(|| ops::onnx().op_register.0.keys().cloned().collect())
        .contains(op)
}
