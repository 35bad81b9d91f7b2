//! Arrays as pictures: colour maps, channel grids of activations, kernel grids of
//! convolution weights, 2-D slices of N-D tensors, and PNG encoding.
//!
//! Every renderer takes row-major `f32` values with their shape, checks that they agree,
//! and returns an [`RgbImage`] or a [`RenderError`]; none panics on a bad shape, axis or
//! index, and none allocates an image larger than [`MAX_SIDE_PX`] a side or [`MAX_PIXELS`]
//! in all. Small tiles are enlarged by an integer factor (nearest neighbour), so a pixel of
//! the image always shows exactly one element.

mod colormap;
mod grid;
mod image;
mod kernel;
mod scale;
mod slice;

pub use colormap::{Colormap, NAN_RGB};
pub use grid::{render_channel_grid, ChannelGridOptions, SEPARATOR_RGB};
pub use image::{RgbImage, MAX_PIXELS, MAX_SIDE_PX};
pub use kernel::{render_kernel_grid, KernelGridOptions};
pub use scale::{Coloring, Scale, ValueRange};
pub use slice::{render_slice, SliceOptions};

use scale::Scaler;
use std::path::PathBuf;

/// Why an array could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The values do not fill the shape.
    #[error("shape {shape:?} holds {expected} elements but {got} values were given")]
    ShapeMismatch {
        /// The shape given.
        shape: Vec<usize>,
        /// Its element count (`usize::MAX` when the product overflows).
        expected: usize,
        /// The number of values given.
        got: usize,
    },
    /// The renderer does not draw tensors of this rank.
    #[error("expected a tensor of rank {expected}, got shape {shape:?}")]
    Rank {
        /// The ranks the renderer draws.
        expected: &'static str,
        /// The shape given.
        shape: Vec<usize>,
    },
    /// Nothing to draw: a drawn axis has no elements.
    #[error("nothing to draw in a tensor of shape {shape:?}")]
    Empty {
        /// The shape given.
        shape: Vec<usize>,
    },
    /// An axis number past the tensor's rank.
    #[error("axis {axis} is out of range for a tensor of rank {rank}")]
    AxisOutOfRange {
        /// The axis asked for.
        axis: usize,
        /// The tensor's rank.
        rank: usize,
    },
    /// The two axes of a slice are the same.
    #[error("a slice needs two different axes, got axis {axis} twice")]
    SameAxis {
        /// The repeated axis.
        axis: usize,
    },
    /// The index does not give one position for each axis outside the slice.
    #[error("the index needs {expected} positions (one for each other axis), got {got}")]
    IndexLength {
        /// Rank minus 2.
        expected: usize,
        /// Positions given.
        got: usize,
    },
    /// A position past the end of an axis.
    #[error("index {index} is out of range for axis {axis} of size {size}")]
    IndexOutOfRange {
        /// The tensor axis.
        axis: usize,
        /// The position asked for.
        index: usize,
        /// The axis's size.
        size: usize,
    },
    /// An option with a value that cannot be used.
    #[error("option {option} {reason}")]
    InvalidOption {
        /// The option's field name.
        option: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The image would be empty or too large.
    #[error(
        "an image of {width_px} x {height_px} px is empty or too large \
         (at most {MAX_SIDE_PX} px a side and {MAX_PIXELS} px in all)"
    )]
    ImageSize {
        /// Requested width.
        width_px: u64,
        /// Requested height.
        height_px: u64,
    },
    /// An [`RgbImage`] whose pixel buffer does not match its size.
    #[error("an image of {width} x {height} px needs {} bytes, has {bytes}", *width as u64 * *height as u64 * 3)]
    PixelCount {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Bytes in the buffer.
        bytes: usize,
    },
    /// No colour map of this name.
    #[error("unknown colour map {name:?} (known: gray, viridis, magma, diverging)")]
    UnknownColormap {
        /// The name asked for.
        name: String,
    },
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {message}")]
    Png {
        /// The encoder's message.
        message: String,
    },
    /// The PNG file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Refuses values that do not fill `shape` exactly.
fn check_values(values: &[f32], shape: &[usize]) -> Result<(), RenderError> {
    let expected = shape
        .iter()
        .try_fold(1usize, |count, &dim| count.checked_mul(dim))
        .unwrap_or(usize::MAX);
    if expected != values.len() {
        return Err(RenderError::ShapeMismatch {
            shape: shape.to_vec(),
            expected,
            got: values.len(),
        });
    }
    Ok(())
}
