//! A dense array read from a file: element type, shape, little-endian bytes in C order.

use glassbox_tensor::{DType, Summary};

/// A dense n-dimensional array in C (row-major) order.
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    /// Element type.
    pub dtype: DType,
    /// Dimensions, outermost first.
    pub shape: Vec<usize>,
    /// Little-endian element bytes, `numel × dtype.size_bytes()` long.
    pub bytes: Vec<u8>,
}

impl Array {
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// An f32 array from values in C order.
    pub fn from_f32(shape: Vec<usize>, values: &[f32]) -> Array {
        Array {
            dtype: DType::F32,
            shape,
            bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    /// The elements as f32 (integers and f64 convert as `as` does).
    pub fn to_f32(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.numel());
        glassbox_tensor::for_each_le_value(self.dtype, &self.bytes, |v| out.push(v as f32));
        out
    }

    /// Statistics and histogram of the elements.
    pub fn summary(&self, bins: usize) -> Summary {
        Summary::of_le_bytes(self.dtype, &self.bytes, bins)
    }
}
