//! An 8-bit RGB raster and its PNG encoding.

use super::RenderError;
use std::path::Path;

/// Largest width or height, in pixels, that glassbox renders.
pub const MAX_SIDE_PX: u32 = 16_384;

/// Largest number of pixels in one image (64 Mi, 192 MiB of RGB).
pub const MAX_PIXELS: u64 = 1 << 26;

/// An 8-bit sRGB image, rows top to bottom, 3 bytes a pixel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes, row-major.
    pub pixels: Vec<u8>,
}

impl RgbImage {
    /// An image filled with `rgb`; sizes of 0, or over [`MAX_SIDE_PX`] a side or
    /// [`MAX_PIXELS`] in all, are refused before anything is allocated.
    pub fn filled(width_px: u64, height_px: u64, rgb: [u8; 3]) -> Result<RgbImage, RenderError> {
        check_size(width_px, height_px)?;
        let count = (width_px * height_px) as usize;
        let mut pixels = Vec::with_capacity(count * 3);
        for _ in 0..count {
            pixels.extend_from_slice(&rgb);
        }
        Ok(RgbImage {
            width: width_px as u32,
            height: height_px as u32,
            pixels,
        })
    }

    /// The colour at column `x`, row `y`; `None` outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let at = (y as usize * self.width as usize + x as usize) * 3;
        let bytes = self.pixels.get(at..at + 3)?;
        Some([bytes[0], bytes[1], bytes[2]])
    }

    /// Fills the rectangle of `width_px` × `height_px` at (`x`, `y`), clipped to the image.
    pub fn fill_rect(&mut self, x: u32, y: u32, width_px: u32, height_px: u32, rgb: [u8; 3]) {
        let x_end = x.saturating_add(width_px).min(self.width);
        let y_end = y.saturating_add(height_px).min(self.height);
        for row in y..y_end {
            let start = (row as usize * self.width as usize + x as usize) * 3;
            let end = (row as usize * self.width as usize + x_end as usize) * 3;
            if let Some(span) = self.pixels.get_mut(start..end) {
                for pixel in span.chunks_exact_mut(3) {
                    pixel.copy_from_slice(&rgb);
                }
            }
        }
    }

    /// The image as PNG (8-bit RGB, no interlacing).
    pub fn to_png_bytes(&self) -> Result<Vec<u8>, RenderError> {
        check_size(u64::from(self.width), u64::from(self.height))?;
        let expected = self.width as usize * self.height as usize * 3;
        if self.pixels.len() != expected {
            return Err(RenderError::PixelCount {
                width: self.width,
                height: self.height,
                bytes: self.pixels.len(),
            });
        }
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let encoded = encoder
            .write_header()
            .and_then(|mut writer| {
                writer.write_image_data(&self.pixels)?;
                writer.finish()
            })
            .map_err(|error| RenderError::Png {
                message: error.to_string(),
            });
        encoded?;
        Ok(bytes)
    }

    /// Writes the image as a PNG file at `path`.
    pub fn write_png(&self, path: &Path) -> Result<(), RenderError> {
        let bytes = self.to_png_bytes()?;
        std::fs::write(path, bytes).map_err(|source| RenderError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Refuses empty and absurdly large images.
pub(crate) fn check_size(width_px: u64, height_px: u64) -> Result<(), RenderError> {
    let too_large = width_px > u64::from(MAX_SIDE_PX)
        || height_px > u64::from(MAX_SIDE_PX)
        || width_px.saturating_mul(height_px) > MAX_PIXELS;
    if width_px == 0 || height_px == 0 || too_large {
        return Err(RenderError::ImageSize {
            width_px,
            height_px,
        });
    }
    Ok(())
}
