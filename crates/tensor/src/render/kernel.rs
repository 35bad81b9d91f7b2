//! Convolution weights as a grid of kernels: output channels down, input channels across.

use super::grid::{check_index, check_zoom, GridLayout, SEPARATOR_RGB};
use super::{check_values, Coloring, Colormap, RenderError, RgbImage, Scale};

/// How [`render_kernel_grid`] draws.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KernelGridOptions {
    /// Colour map and range; the diverging map with one shared symmetric range by default,
    /// so positive weights are red, negative blue and zero white everywhere.
    pub coloring: Coloring,
    /// Draw at most this many output channels (rows).
    pub max_rows: usize,
    /// Draw at most this many input channels (columns).
    pub max_cols: usize,
    /// For 3-D convolutions (`[O, I, kD, kH, kW]`), the depth slice; `None` is the middle one.
    pub depth: Option<usize>,
    /// Integer upscaling (nearest neighbour); `None` aims at tiles of about 24 px.
    pub zoom: Option<u32>,
    /// Width of the separators between kernels and around the edge.
    pub separator_px: u32,
    /// Colour of the separators.
    pub separator_rgb: [u8; 3],
}

impl Default for KernelGridOptions {
    fn default() -> KernelGridOptions {
        KernelGridOptions {
            coloring: Coloring::new(Colormap::Diverging, Scale::Shared),
            max_rows: 64,
            max_cols: 64,
            depth: None,
            zoom: Some(8),
            separator_px: 1,
            separator_rgb: SEPARATOR_RGB,
        }
    }
}

/// Tile side that automatic zoom aims for in kernel grids.
const KERNEL_TILE_TARGET_PX: usize = 24;

/// Draws convolution weights `[O, I, kH, kW]` (also `[O, I, k]` as one-row kernels and
/// `[O, I, kD, kH, kW]` at one depth) as a grid with one row per output channel and one
/// column per input channel. [`Scale::PerChannel`] gives every kernel its own range;
/// [`Scale::Shared`] one range over the kernels drawn.
pub fn render_kernel_grid(
    values: &[f32],
    shape: &[usize],
    options: &KernelGridOptions,
) -> Result<RgbImage, RenderError> {
    check_values(values, shape)?;
    options.coloring.validate()?;
    check_zoom(options.zoom)?;
    let (outputs, inputs, depth_size, height, width) = match *shape {
        [o, i, k] => (o, i, 1, 1, k),
        [o, i, kh, kw] => (o, i, 1, kh, kw),
        [o, i, kd, kh, kw] => (o, i, kd, kh, kw),
        _ => {
            return Err(RenderError::Rank {
                expected: "3, 4 ([O, I, kH, kW]) or 5",
                shape: shape.to_vec(),
            })
        }
    };
    let depth = match shape.len() {
        5 => options.depth.unwrap_or(depth_size / 2),
        _ => 0,
    };
    check_index(2, depth, depth_size)?;
    let rows = outputs.min(options.max_rows);
    let cols = inputs.min(options.max_cols);
    if rows == 0 || cols == 0 || height == 0 || width == 0 {
        return Err(RenderError::Empty {
            shape: shape.to_vec(),
        });
    }

    let plane = height * width;
    let kernel = |output: usize, input: usize| {
        let start = ((output * inputs + input) * depth_size + depth) * plane;
        &values[start..start + plane]
    };
    let layout = GridLayout {
        rows,
        cols,
        tile_width: width,
        tile_height: height,
        zoom: 1,
        separator_px: options.separator_px,
    }
    .with_zoom(options.zoom, KERNEL_TILE_TARGET_PX);
    let mut image = layout.blank_image(options.separator_rgb)?;
    let shared = (options.coloring.scale == Scale::Shared).then(|| {
        let cells = (0..rows).flat_map(|output| (0..cols).map(move |input| (output, input)));
        let all_shown = cells.flat_map(|(output, input)| kernel(output, input).iter().copied());
        options.coloring.fit(all_shown)
    });
    for output in 0..rows {
        for input in 0..cols {
            let weights = kernel(output, input);
            let scaler = shared.unwrap_or_else(|| options.coloring.fit(weights.iter().copied()));
            layout.draw_tile(&mut image, (output, input), &scaler, |y, x| {
                weights[y * width + x]
            });
        }
    }
    Ok(image)
}
