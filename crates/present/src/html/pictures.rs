//! The pictures of the audit page: samples re-read from the audited folder, turned into planes
//! (a 2D picture, or a volume's mid axial slice), shrunk into thumbnails, outlined, and inlined
//! as base64 `data:` PNGs.

use glassbox_data::sample::SampleRecord;
use glassbox_data::AuditReport;
use glassbox_run::inputs::{self, Loaded};
use glassbox_tensor::render::{
    render_slice, Coloring, Colormap, RgbImage, Scale, SliceOptions, ValueRange,
};
use glassbox_tensor::DType;
use std::path::Path;

use super::esc;

/// Reads a sample's file again (the named array of an `.npz`).
pub(super) fn load(report: &AuditReport, sample: &SampleRecord) -> Option<Loaded> {
    let path = Path::new(&report.root).join(&sample.path);
    match &sample.array {
        Some(name) => inputs::read_npz_all(&path)
            .ok()?
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, loaded)| loaded),
        None => inputs::read(&path).ok(),
    }
}

/// A picture to draw: `height` × `width` × `channels` (1 or 3) values, and the value range
/// drawn black to white.
pub(super) struct Plane {
    pub(super) height: usize,
    pub(super) width: usize,
    pub(super) channels: usize,
    pub(super) values: Vec<f32>,
    pub(super) range: (f32, f32),
}

fn values_of(loaded: &Loaded) -> Vec<f32> {
    let mut values = Vec::with_capacity(loaded.array.numel());
    glassbox_tensor::for_each_le_value(loaded.array.dtype, &loaded.array.bytes, |v| {
        values.push(v as f32)
    });
    values
}

/// Black-to-white range: the dtype's for 8/16-bit unsigned, else the values' own.
fn range_of(dtype: DType, values: &[f32]) -> (f32, f32) {
    match dtype {
        DType::U8 => (0.0, 255.0),
        DType::U16 => (0.0, 65535.0),
        DType::Bool => (0.0, 1.0),
        _ => {
            let finite = values.iter().copied().filter(|v| v.is_finite());
            let (lo, hi) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
            if lo <= hi {
                (lo, hi)
            } else {
                (0.0, 1.0)
            }
        }
    }
}

/// The 2-D picture of a sample: images as stored; volumes their mid axial slice; arrays their
/// last two axes (channels last when the last axis has at most 4 entries), first index or
/// middle of the others.
pub(super) fn plane_of(loaded: &Loaded) -> Option<Plane> {
    if loaded.format.is_nifti() {
        return volume_plane(loaded);
    }
    let shape = &loaded.array.shape;
    let values = values_of(loaded);
    let (height, width, channels_stored) = match shape.len() {
        2 => (shape[0], shape[1], 1),
        n if n >= 3 && shape[n - 1] <= 4 => (shape[n - 3], shape[n - 2], shape[n - 1]),
        n if n >= 3 => (shape[n - 2], shape[n - 1], 1),
        _ => return None,
    };
    let plane_len = height * width * channels_stored;
    if plane_len == 0 || values.len() < plane_len {
        return None;
    }
    // The middle plane of the leading axes.
    let planes = values.len() / plane_len;
    let start = (planes / 2) * plane_len;
    let plane = &values[start..start + plane_len];
    let channels = if channels_stored >= 3 { 3 } else { 1 };
    let mut picked = Vec::with_capacity(height * width * channels);
    for pixel in plane.chunks_exact(channels_stored) {
        picked.extend_from_slice(&pixel[..channels]);
    }
    let range = range_of(loaded.array.dtype, &picked);
    Some(Plane {
        height,
        width,
        channels,
        values: picked,
        range,
    })
}

/// The mid axial slice of a volume `[X, Y, Z, ...]` (first index of later axes), drawn with
/// x to the right and y up; the range is the whole volume's.
pub(super) fn volume_plane(loaded: &Loaded) -> Option<Plane> {
    let shape = &loaded.array.shape;
    if shape.len() < 3 {
        return None;
    }
    let (nx, ny, nz) = (shape[0], shape[1], shape[2]);
    let rest: usize = shape[3..].iter().product();
    let values = values_of(loaded);
    if nx * ny * nz * rest != values.len() || nx * ny * nz == 0 {
        return None;
    }
    let k = nz / 2;
    let mut plane = Vec::with_capacity(nx * ny);
    for row in 0..ny {
        let y = ny - 1 - row;
        for x in 0..nx {
            plane.push(values[((x * ny + y) * nz + k) * rest]);
        }
    }
    Some(Plane {
        height: ny,
        width: nx,
        channels: 1,
        range: range_of(loaded.array.dtype, &values),
        values: plane,
    })
}

/// The plane shrunk by block averaging to at most `max_px` a side, or enlarged by an integer
/// The mid axial slice of a volume's canonical (RAS) reorientation.
pub(super) fn canonical_plane(loaded: &Loaded) -> Option<Plane> {
    volume_plane(&inputs::nifti::to_canonical(loaded).ok()?)
}

/// factor towards it; with the image pixels per plane pixel.
pub(super) fn thumbnail(plane: &Plane, max_px: usize) -> Option<(RgbImage, f64)> {
    let longer = plane.height.max(plane.width);
    if longer == 0 {
        return None;
    }
    let shrink = longer.div_ceil(max_px);
    let (h, w) = (plane.height.div_ceil(shrink), plane.width.div_ceil(shrink));
    let zoom = if shrink == 1 {
        (max_px / longer).max(1)
    } else {
        1
    };
    let c = plane.channels;
    let mut small = vec![0f32; h * w * c];
    for y in 0..h {
        for x in 0..w {
            for ch in 0..c {
                let (mut sum, mut n) = (0f64, 0u32);
                for yy in y * shrink..((y + 1) * shrink).min(plane.height) {
                    for xx in x * shrink..((x + 1) * shrink).min(plane.width) {
                        let v = plane.values[(yy * plane.width + xx) * c + ch];
                        if v.is_finite() {
                            sum += f64::from(v);
                            n += 1;
                        }
                    }
                }
                small[(y * w + x) * c + ch] = if n == 0 {
                    f32::NAN
                } else {
                    (sum / f64::from(n)) as f32
                };
            }
        }
    }
    let (low, high) = plane.range;
    let image = if c == 1 {
        let options = SliceOptions {
            coloring: Coloring {
                colormap: Colormap::Gray,
                scale: Scale::Shared,
                range: Some(ValueRange { low, high }),
                clip_percent: None,
            },
            zoom: Some(zoom as u32),
        };
        render_slice(&small, &[h, w], (0, 1), &[], &options).ok()?
    } else {
        let mut image = RgbImage::filled((w * zoom) as u64, (h * zoom) as u64, [0, 0, 0]).ok()?;
        let level = |v: f32| {
            if high > low {
                (((v - low) / (high - low)).clamp(0.0, 1.0) * 255.0).round() as u8
            } else {
                0
            }
        };
        for y in 0..h {
            for x in 0..w {
                let at = (y * w + x) * 3;
                let rgb = [level(small[at]), level(small[at + 1]), level(small[at + 2])];
                image.fill_rect(
                    (x * zoom) as u32,
                    (y * zoom) as u32,
                    zoom as u32,
                    zoom as u32,
                    rgb,
                );
            }
        }
        image
    };
    Some((image, zoom as f64 / shrink as f64))
}

/// Draws the outline of the rectangle `[x0, y0, x1, y1)` (plane pixels) scaled by `scale`.
pub(super) fn outline(
    image: &mut RgbImage,
    [x0, y0, x1, y1]: [usize; 4],
    scale: f64,
    rgb: [u8; 3],
) {
    let px = |v: usize| (v as f64 * scale).round() as u32;
    let (left, top) = (px(x0), px(y0));
    let (right, bottom) = (px(x1).max(left + 1), px(y1).max(top + 1));
    let (w, h) = (right - left, bottom - top);
    let t = 2;
    image.fill_rect(
        left.saturating_sub(t),
        top.saturating_sub(t),
        w + 2 * t,
        t,
        rgb,
    );
    image.fill_rect(left.saturating_sub(t), bottom, w + 2 * t, t, rgb);
    image.fill_rect(left.saturating_sub(t), top, t, h, rgb);
    image.fill_rect(right, top, t, h, rgb);
}

pub(super) fn img_tag(image: &RgbImage, alt: &str) -> String {
    match image.to_png_bytes() {
        Ok(png) => format!(
            "<img width=\"{}\" height=\"{}\" alt=\"{}\" src=\"data:image/png;base64,{}\">",
            image.width,
            image.height,
            esc(alt),
            base64(&png)
        ),
        Err(_) => String::new(),
    }
}

/// Standard base64 with padding (RFC 4648).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn outlines_land_on_the_scaled_rectangle() {
        let plane = Plane {
            height: 32,
            width: 32,
            channels: 1,
            values: vec![0.0; 32 * 32],
            range: (0.0, 1.0),
        };
        let (mut image, scale) = thumbnail(&plane, 128).unwrap();
        assert_eq!((image.width, scale), (128, 4.0));
        outline(&mut image, [2, 3, 10, 12], scale, [255, 0, 0]);
        // The left edge sits just left of x = 8 px, the top edge just above y = 12 px.
        assert_eq!(image.pixel(7, 20), Some([255, 0, 0]));
        assert_eq!(image.pixel(20, 11), Some([255, 0, 0]));
        assert_eq!(
            image.pixel(20, 20),
            Some([0, 0, 0]),
            "inside stays as drawn"
        );
        assert_eq!(
            image.pixel(40, 20),
            Some([255, 0, 0]),
            "right edge at x = 40 px"
        );
    }

    #[test]
    fn large_planes_shrink_to_the_limit() {
        let plane = Plane {
            height: 300,
            width: 200,
            channels: 3,
            values: vec![0.5; 300 * 200 * 3],
            range: (0.0, 1.0),
        };
        let (image, scale) = thumbnail(&plane, 128).unwrap();
        assert!(image.width <= 128 && image.height <= 128);
        assert_eq!(scale, 1.0 / 3.0);
        assert_eq!(image.pixel(5, 5), Some([128, 128, 128]));
    }
}
