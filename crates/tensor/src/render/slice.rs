//! A 2-D slice of an N-D tensor as an image.

use super::grid::{check_index, check_zoom, GridLayout};
use super::{check_values, Coloring, Colormap, RenderError, RgbImage, Scale};

/// How [`render_slice`] draws.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SliceOptions {
    /// Colour map and range. [`Scale::Shared`] (the default, with the gray map) takes the
    /// range of the whole tensor, so slices at different positions compare;
    /// [`Scale::PerChannel`] takes the range of the slice alone.
    pub coloring: Coloring,
    /// Integer upscaling (nearest neighbour); `None` aims at about 256 px on the longer side.
    pub zoom: Option<u32>,
}

impl Default for SliceOptions {
    fn default() -> SliceOptions {
        SliceOptions {
            coloring: Coloring::new(Colormap::Gray, Scale::Shared),
            zoom: None,
        }
    }
}

/// Longer side that automatic zoom aims for in slices.
const SLICE_TARGET_PX: usize = 256;

/// Draws the plane of a row-major tensor spanned by `axes = (row_axis, column_axis)`:
/// image row `y`, column `x` shows the element whose `row_axis` coordinate is `y`, whose
/// `column_axis` coordinate is `x`, and whose other coordinates are `index`, given in
/// increasing axis order (`index.len() == shape.len() - 2`). `(1, 0)` draws the transpose
/// of `(0, 1)`.
pub fn render_slice(
    values: &[f32],
    shape: &[usize],
    axes: (usize, usize),
    index: &[usize],
    options: &SliceOptions,
) -> Result<RgbImage, RenderError> {
    check_values(values, shape)?;
    options.coloring.validate()?;
    check_zoom(options.zoom)?;
    let base = slice_base(shape, axes, index)?;
    let strides = row_major_strides(shape);
    let (row_axis, column_axis) = axes;
    let (height, width) = (shape[row_axis], shape[column_axis]);
    if height == 0 || width == 0 {
        return Err(RenderError::Empty {
            shape: shape.to_vec(),
        });
    }
    let (row_stride, column_stride) = (strides[row_axis], strides[column_axis]);
    let value_at = |y: usize, x: usize| values[base + y * row_stride + x * column_stride];

    let layout = GridLayout {
        rows: 1,
        cols: 1,
        tile_width: width,
        tile_height: height,
        zoom: 1,
        separator_px: 0,
    }
    .with_zoom(options.zoom, SLICE_TARGET_PX);
    let mut image = layout.blank_image([0, 0, 0])?;
    let scaler = match options.coloring.scale {
        Scale::Shared => options.coloring.fit(values.iter().copied()),
        Scale::PerChannel => {
            let plane = (0..height).flat_map(|y| (0..width).map(move |x| value_at(y, x)));
            options.coloring.fit(plane)
        }
    };
    layout.draw_tile(&mut image, (0, 0), &scaler, value_at);
    Ok(image)
}

/// Checks the axes and the index of the other axes; returns the offset of the slice's
/// first element.
fn slice_base(
    shape: &[usize],
    axes: (usize, usize),
    index: &[usize],
) -> Result<usize, RenderError> {
    let rank = shape.len();
    for axis in [axes.0, axes.1] {
        if axis >= rank {
            return Err(RenderError::AxisOutOfRange { axis, rank });
        }
    }
    if axes.0 == axes.1 {
        return Err(RenderError::SameAxis { axis: axes.0 });
    }
    let other_axes: Vec<usize> = (0..rank).filter(|&a| a != axes.0 && a != axes.1).collect();
    if index.len() != other_axes.len() {
        return Err(RenderError::IndexLength {
            expected: other_axes.len(),
            got: index.len(),
        });
    }
    let strides = row_major_strides(shape);
    let mut base = 0;
    for (&axis, &position) in other_axes.iter().zip(index) {
        check_index(axis, position, shape[axis])?;
        base += position * strides[axis];
    }
    Ok(base)
}

/// Elements skipped by one step along each axis of a row-major tensor.
fn row_major_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for axis in (0..shape.len().saturating_sub(1)).rev() {
        strides[axis] = strides[axis + 1] * shape[axis + 1];
    }
    strides
}
