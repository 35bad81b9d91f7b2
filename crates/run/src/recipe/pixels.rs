//! The pixel steps of a recipe: resize, channel conversion, per-channel mean/std, layout
//! and the output dtype cast, on values held as f32 in `[H, W, C]` order.

use glassbox_tensor::DType;
use image::imageops::{self, FilterType};
use image::{ImageBuffer, Luma, LumaA, Pixel, Rgb, Rgba};

use super::{apply_error, Channels, Filter, OutputDType, RecipeError};
use crate::inputs::Loaded;
use crate::Array;

/// Values in `[H, W, C]` order as f32, while the image steps run.
pub(super) struct Pixels {
    pub(super) height: usize,
    pub(super) width: usize,
    pub(super) channels: usize,
    pub(super) values: Vec<f32>,
}

fn filter_type(filter: Filter) -> FilterType {
    match filter {
        Filter::Nearest => FilterType::Nearest,
        Filter::Bilinear => FilterType::Triangle,
        Filter::CatmullRom => FilterType::CatmullRom,
        Filter::Lanczos3 => FilterType::Lanczos3,
    }
}

/// Resizes with `image::imageops` in f32. The crate clamps float results to [0, 1], so values
/// are mapped into that range by the image's min and max first and back after; overshoot of
/// cubic filters is thereby clipped to the input's range.
pub(super) fn resize(
    pixels: &Pixels,
    height: usize,
    width: usize,
    filter: Filter,
) -> Option<Pixels> {
    let (lo, hi) = pixels
        .values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let range = if hi > lo { hi - lo } else { 1.0 };
    let lo = if lo.is_finite() { lo } else { 0.0 };
    let unit: Vec<f32> = pixels.values.iter().map(|v| (v - lo) / range).collect();
    let (w, h) = (
        u32::try_from(pixels.width).ok()?,
        u32::try_from(pixels.height).ok()?,
    );
    let (nw, nh) = (u32::try_from(width).ok()?, u32::try_from(height).ok()?);
    let filter = filter_type(filter);
    let resized = match pixels.channels {
        1 => resize_buffer::<Luma<f32>>(unit, w, h, nw, nh, filter),
        2 => resize_buffer::<LumaA<f32>>(unit, w, h, nw, nh, filter),
        3 => resize_buffer::<Rgb<f32>>(unit, w, h, nw, nh, filter),
        4 => resize_buffer::<Rgba<f32>>(unit, w, h, nw, nh, filter),
        _ => {
            // Any channel count: one plane at a time.
            let planes: Option<Vec<Vec<f32>>> = (0..pixels.channels)
                .map(|c| {
                    let plane = unit
                        .iter()
                        .skip(c)
                        .step_by(pixels.channels)
                        .copied()
                        .collect();
                    resize_buffer::<Luma<f32>>(plane, w, h, nw, nh, filter)
                })
                .collect();
            let planes = planes?;
            Some(
                (0..width * height)
                    .flat_map(|i| planes.iter().map(move |p| p[i]))
                    .collect(),
            )
        }
    }?;
    let values = resized.into_iter().map(|v| v * range + lo).collect();
    Some(Pixels {
        height,
        width,
        channels: pixels.channels,
        values,
    })
}

fn resize_buffer<P: Pixel<Subpixel = f32> + 'static>(
    values: Vec<f32>,
    width: u32,
    height: u32,
    new_width: u32,
    new_height: u32,
    filter: FilterType,
) -> Option<Vec<f32>> {
    let buffer: ImageBuffer<P, Vec<f32>> = ImageBuffer::from_raw(width, height, values)?;
    Some(imageops::resize(&buffer, new_width, new_height, filter).into_raw())
}

pub(super) fn convert_channels(
    loaded: &Loaded,
    pixels: Pixels,
    target: Channels,
) -> Result<Pixels, RecipeError> {
    let c = pixels.channels;
    let pick = |pixels: &Pixels, f: &dyn Fn(&[f32]) -> Vec<f32>, channels: usize| Pixels {
        height: pixels.height,
        width: pixels.width,
        channels,
        values: pixels.values.chunks_exact(c).flat_map(f).collect(),
    };
    let luma = |p: &[f32]| vec![0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]];
    Ok(match (target, c) {
        (Channels::Keep, _) | (Channels::Gray, 1) | (Channels::Rgb, 3) => pixels,
        (Channels::Gray, 2) => pick(&pixels, &|p| vec![p[0]], 1),
        (Channels::Gray, 3 | 4) => pick(&pixels, &luma, 1),
        (Channels::Rgb | Channels::Bgr, 1) => pick(&pixels, &|p| vec![p[0]; 3], 3),
        (Channels::Rgb, 4) => pick(&pixels, &|p| p[..3].to_vec(), 3),
        (Channels::Bgr, 3 | 4) => pick(&pixels, &|p| vec![p[2], p[1], p[0]], 3),
        (target, c) => {
            return Err(apply_error(
                loaded,
                format!(
                "cannot convert a {c}-channel image to {target:?} (expected 1, 3 or 4 channels)"
            ),
            ))
        }
    })
}

/// Largest value of an integer dtype (the `unit` divisor); None for floats and bool.
pub(super) fn dtype_max(dtype: DType) -> Option<f64> {
    Some(match dtype {
        DType::U8 => 255.0,
        DType::U16 => 65535.0,
        DType::U32 => f64::from(u32::MAX),
        DType::U64 => u64::MAX as f64,
        DType::I8 => 127.0,
        DType::I16 => 32767.0,
        DType::I32 => f64::from(i32::MAX),
        DType::I64 => i64::MAX as f64,
        _ => return None,
    })
}

pub(super) fn normalise(
    loaded: &Loaded,
    pixels: &mut Pixels,
    mean: &[f64],
    std: &[f64],
) -> Result<(), RecipeError> {
    let c = pixels.channels;
    for (name, list) in [("mean", mean), ("std", std)] {
        if !list.is_empty() && list.len() != 1 && list.len() != c {
            return Err(apply_error(
                loaded,
                format!(
                    "{name} has {} values but the image has {c} channels",
                    list.len()
                ),
            ));
        }
    }
    if std.contains(&0.0) {
        return Err(apply_error(loaded, "std contains 0"));
    }
    let per_channel = |list: &[f64], channel: usize, default: f64| match list.len() {
        0 => default,
        1 => list[0],
        _ => list[channel],
    };
    for (i, v) in pixels.values.iter_mut().enumerate() {
        let channel = i % c;
        let (m, s) = (
            per_channel(mean, channel, 0.0),
            per_channel(std, channel, 1.0),
        );
        *v = ((f64::from(*v) - m) / s) as f32;
    }
    Ok(())
}

pub(super) fn hwc_to_chw(pixels: &Pixels) -> Vec<f32> {
    let plane = pixels.height * pixels.width;
    let mut out = vec![0.0; pixels.values.len()];
    for (i, value) in pixels.values.iter().enumerate() {
        out[(i % pixels.channels) * plane + i / pixels.channels] = *value;
    }
    out
}

pub(super) fn cast_f32(values: &[f32], shape: Vec<usize>, dtype: OutputDType) -> Array {
    match dtype {
        OutputDType::Float32 | OutputDType::Keep => Array::from_f32(shape, values),
        _ => cast(
            &values.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
            shape,
            dtype,
        ),
    }
}

pub(super) fn cast(values: &[f64], shape: Vec<usize>, dtype: OutputDType) -> Array {
    let (dtype, bytes): (DType, Vec<u8>) = match dtype {
        OutputDType::Float32 | OutputDType::Keep => (
            DType::F32,
            values
                .iter()
                .flat_map(|&v| (v as f32).to_le_bytes())
                .collect(),
        ),
        OutputDType::Float16 => (
            DType::F16,
            values
                .iter()
                .flat_map(|&v| half::f16::from_f64(v).to_le_bytes())
                .collect(),
        ),
        OutputDType::Float64 => (
            DType::F64,
            values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ),
        OutputDType::Uint8 => (DType::U8, values.iter().map(|v| v.round() as u8).collect()),
        OutputDType::Int64 => (
            DType::I64,
            values
                .iter()
                .flat_map(|v| (v.round() as i64).to_le_bytes())
                .collect(),
        ),
    };
    Array {
        dtype,
        shape,
        bytes,
    }
}
