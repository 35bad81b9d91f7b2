//! Tiles on a grid with separators, and the channel grid of an activation.

use super::image::check_size;
use super::{check_values, Coloring, RenderError, RgbImage, Scale, Scaler};

/// Default colour of separators and of empty grid cells: a dark grey none of the maps use.
pub const SEPARATOR_RGB: [u8; 3] = [40, 40, 40];

/// Where the tiles of a grid go. The image is
/// `cols * tile_width * zoom + (cols + 1) * separator_px` wide and
/// `rows * tile_height * zoom + (rows + 1) * separator_px` high: separators run between
/// tiles and around the edge.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GridLayout {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) tile_width: usize,
    pub(crate) tile_height: usize,
    pub(crate) zoom: u32,
    pub(crate) separator_px: u32,
}

impl GridLayout {
    /// Width and height of the whole image, saturating instead of overflowing.
    pub(crate) fn size_px(&self) -> (u64, u64) {
        let side = |count: usize, tile: usize| {
            let tiles = (count as u64)
                .saturating_mul(tile as u64)
                .saturating_mul(u64::from(self.zoom));
            let separators = (count as u64 + 1).saturating_mul(u64::from(self.separator_px));
            tiles.saturating_add(separators)
        };
        (
            side(self.cols, self.tile_width),
            side(self.rows, self.tile_height),
        )
    }

    /// Whether the image would be refused as too large.
    fn fits(&self) -> bool {
        let (width, height) = self.size_px();
        check_size(width, height).is_ok()
    }

    /// Sets `zoom` to `fixed`, or when `None` to the largest factor up to what brings
    /// the longer tile side to about `target_tile_px` for which the image still fits.
    pub(crate) fn with_zoom(mut self, fixed: Option<u32>, target_tile_px: usize) -> GridLayout {
        if let Some(zoom) = fixed {
            self.zoom = zoom;
            return self;
        }
        let longer_side = self.tile_width.max(self.tile_height).max(1);
        self.zoom = (target_tile_px / longer_side).clamp(1, 64) as u32;
        while self.zoom > 1 && !self.fits() {
            self.zoom -= 1;
        }
        self
    }

    /// A background image of the grid's size, or the size error.
    pub(crate) fn blank_image(&self, background: [u8; 3]) -> Result<RgbImage, RenderError> {
        let (width, height) = self.size_px();
        RgbImage::filled(width, height, background)
    }

    /// Draws the tile at grid cell (`row`, `col`): `value_at(y, x)` for each tile element,
    /// each drawn as a `zoom` × `zoom` block.
    pub(crate) fn draw_tile(
        &self,
        image: &mut RgbImage,
        (row, col): (usize, usize),
        scaler: &Scaler,
        value_at: impl Fn(usize, usize) -> f32,
    ) {
        let step_x = self.tile_width as u32 * self.zoom + self.separator_px;
        let step_y = self.tile_height as u32 * self.zoom + self.separator_px;
        let origin_x = self.separator_px + col as u32 * step_x;
        let origin_y = self.separator_px + row as u32 * step_y;
        for y in 0..self.tile_height {
            for x in 0..self.tile_width {
                image.fill_rect(
                    origin_x + x as u32 * self.zoom,
                    origin_y + y as u32 * self.zoom,
                    self.zoom,
                    self.zoom,
                    scaler.rgb(value_at(y, x)),
                );
            }
        }
    }
}

/// The smallest column count whose square holds `count` tiles (`ceil(sqrt(count))`).
pub(crate) fn square_columns(count: usize) -> usize {
    let mut cols = 0usize;
    while cols.saturating_mul(cols) < count {
        cols += 1;
    }
    cols
}

/// Refuses a zoom of 0.
pub(crate) fn check_zoom(zoom: Option<u32>) -> Result<(), RenderError> {
    if zoom == Some(0) {
        return Err(RenderError::InvalidOption {
            option: "zoom",
            reason: "must be at least 1",
        });
    }
    Ok(())
}

/// How [`render_channel_grid`] draws.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChannelGridOptions {
    /// Colour map and range; per-channel viridis by default.
    pub coloring: Coloring,
    /// Which sample of the batch axis to draw.
    pub sample: usize,
    /// For 5-D activations, the depth slice to draw; `None` is the middle one. Ignored for 4-D.
    pub depth: Option<usize>,
    /// Draw only the first this many channels; `None` draws all.
    pub max_channels: Option<usize>,
    /// Integer upscaling (nearest neighbour); `None` picks one that makes tiles about
    /// 64 px on their longer side (never below 1, smaller if the image would be too large).
    pub zoom: Option<u32>,
    /// Width of the separators between tiles and around the edge.
    pub separator_px: u32,
    /// Colour of separators and of unused grid cells.
    pub separator_rgb: [u8; 3],
}

impl Default for ChannelGridOptions {
    fn default() -> ChannelGridOptions {
        ChannelGridOptions {
            coloring: Coloring::default(),
            sample: 0,
            depth: None,
            max_channels: Some(64),
            zoom: None,
            separator_px: 2,
            separator_rgb: SEPARATOR_RGB,
        }
    }
}

/// Tile side that automatic zoom aims for in channel grids.
const CHANNEL_TILE_TARGET_PX: usize = 64;

/// Draws the channels of one sample of an `[N, C, H, W]` activation, or of one depth slice
/// of an `[N, C, D, H, W]` one, as a near-square grid of `H × W` tiles, channel 0 top left,
/// row by row; `cols = ceil(sqrt(C))`. [`Scale::Shared`] shares one range over the channels
/// drawn.
pub fn render_channel_grid(
    values: &[f32],
    shape: &[usize],
    options: &ChannelGridOptions,
) -> Result<RgbImage, RenderError> {
    check_values(values, shape)?;
    options.coloring.validate()?;
    check_zoom(options.zoom)?;
    if options.max_channels == Some(0) {
        return Err(RenderError::InvalidOption {
            option: "max_channels",
            reason: "must be at least 1",
        });
    }
    let (batch, channels, depth_size, height, width) = match *shape {
        [n, c, h, w] => (n, c, 1, h, w),
        [n, c, d, h, w] => (n, c, d, h, w),
        _ => {
            return Err(RenderError::Rank {
                expected: "4 ([N, C, H, W]) or 5 ([N, C, D, H, W])",
                shape: shape.to_vec(),
            })
        }
    };
    check_index(0, options.sample, batch)?;
    let depth = match shape.len() {
        5 => options.depth.unwrap_or(depth_size / 2),
        _ => 0,
    };
    check_index(2, depth, depth_size)?;
    let shown = channels.min(options.max_channels.unwrap_or(usize::MAX));
    if shown == 0 || height == 0 || width == 0 {
        return Err(RenderError::Empty {
            shape: shape.to_vec(),
        });
    }

    let plane = height * width;
    let tile = |channel: usize| {
        let start = ((options.sample * channels + channel) * depth_size + depth) * plane;
        &values[start..start + plane]
    };
    let cols = square_columns(shown);
    let layout = GridLayout {
        rows: shown.div_ceil(cols),
        cols,
        tile_width: width,
        tile_height: height,
        zoom: 1,
        separator_px: options.separator_px,
    }
    .with_zoom(options.zoom, CHANNEL_TILE_TARGET_PX);
    let mut image = layout.blank_image(options.separator_rgb)?;
    let shared = (options.coloring.scale == Scale::Shared).then(|| {
        let all_shown = (0..shown).flat_map(|channel| tile(channel).iter().copied());
        options.coloring.fit(all_shown)
    });
    for channel in 0..shown {
        let values = tile(channel);
        let scaler = shared.unwrap_or_else(|| options.coloring.fit(values.iter().copied()));
        let cell = (channel / cols, channel % cols);
        layout.draw_tile(&mut image, cell, &scaler, |y, x| values[y * width + x]);
    }
    Ok(image)
}

/// Refuses `index` past the end of an axis of `size` elements.
pub(crate) fn check_index(axis: usize, index: usize, size: usize) -> Result<(), RenderError> {
    if index >= size {
        return Err(RenderError::IndexOutOfRange { axis, index, size });
    }
    Ok(())
}
