//! PNG, JPEG, TIFF and BMP through the `image` crate, kept as stored: `[H, W, C]`, U8/U16/F32.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use glassbox_tensor::DType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use super::{Detail, Format, ImageDetail, InputError, Loaded, MAX_DATA_BYTES};
use crate::Array;

pub(super) fn read(path: &Path, format: Format) -> Result<Loaded, InputError> {
    let file = File::open(path).map_err(|e| InputError::io(path, e))?;
    let image_format = match format {
        Format::Png => ImageFormat::Png,
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Tiff => ImageFormat::Tiff,
        _ => ImageFormat::Bmp,
    };
    let mut reader = ImageReader::with_format(BufReader::new(file), image_format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DATA_BYTES / 2);
    reader.limits(limits);
    let decoded = reader.decode();
    if format == Format::Tiff && matches!(decoded, Err(image::ImageError::Unsupported(_))) {
        // The image crate has no gray float (or signed) pixel types: read those TIFFs directly.
        return read_tiff_directly(path);
    }
    let image = decoded.map_err(|e| match e {
        image::ImageError::Unsupported(u) => InputError::unsupported(path, u.to_string()),
        image::ImageError::IoError(io) => {
            InputError::malformed(path, format!("truncated or unreadable image: {io}"))
        }
        other => InputError::malformed(path, format!("corrupt image: {other}")),
    })?;
    let (array, detail) = array_from_image(path, image)?;
    Ok(Loaded {
        path: path.to_path_buf(),
        format,
        array,
        detail: Detail::Image(detail),
    })
}

fn array_from_image(path: &Path, image: DynamicImage) -> Result<(Array, ImageDetail), InputError> {
    let (height, width) = (image.height() as usize, image.width() as usize);
    let channels = usize::from(image.color().channel_count());
    let color = match channels {
        1 => "gray",
        2 => "gray_alpha",
        3 => "rgb",
        _ => "rgba",
    };
    let (dtype, bit_depth, bytes): (DType, u8, Vec<u8>) = match image {
        DynamicImage::ImageLuma8(b) => (DType::U8, 8, b.into_raw()),
        DynamicImage::ImageLumaA8(b) => (DType::U8, 8, b.into_raw()),
        DynamicImage::ImageRgb8(b) => (DType::U8, 8, b.into_raw()),
        DynamicImage::ImageRgba8(b) => (DType::U8, 8, b.into_raw()),
        DynamicImage::ImageLuma16(b) => (DType::U16, 16, le_bytes(b.into_raw(), u16::to_le_bytes)),
        DynamicImage::ImageLumaA16(b) => (DType::U16, 16, le_bytes(b.into_raw(), u16::to_le_bytes)),
        DynamicImage::ImageRgb16(b) => (DType::U16, 16, le_bytes(b.into_raw(), u16::to_le_bytes)),
        DynamicImage::ImageRgba16(b) => (DType::U16, 16, le_bytes(b.into_raw(), u16::to_le_bytes)),
        DynamicImage::ImageRgb32F(b) => (DType::F32, 32, le_bytes(b.into_raw(), f32::to_le_bytes)),
        DynamicImage::ImageRgba32F(b) => (DType::F32, 32, le_bytes(b.into_raw(), f32::to_le_bytes)),
        other => {
            return Err(InputError::unsupported(
                path,
                format!("pixel type {:?}", other.color()),
            ))
        }
    };
    let array = Array {
        dtype,
        shape: vec![height, width, channels],
        bytes,
    };
    Ok((
        array,
        ImageDetail {
            bit_depth,
            color: color.into(),
            channels,
        },
    ))
}

fn le_bytes<T: Copy, const N: usize>(values: Vec<T>, to_le: fn(T) -> [u8; N]) -> Vec<u8> {
    values.into_iter().flat_map(to_le).collect()
}

/// TIFFs the `image` crate cannot represent (gray float32, signed integers, ...) through the
/// `tiff` crate, kept as stored.
fn read_tiff_directly(path: &Path) -> Result<Loaded, InputError> {
    use tiff::decoder::{Decoder, DecodingResult};
    let corrupt = |e: tiff::TiffError| InputError::malformed(path, format!("corrupt TIFF: {e}"));
    let file = File::open(path).map_err(|e| InputError::io(path, e))?;
    let mut decoder = Decoder::new(BufReader::new(file)).map_err(corrupt)?;
    let (width, height) = decoder.dimensions().map_err(corrupt)?;
    let (channels, bits) = match decoder.colortype().map_err(corrupt)? {
        tiff::ColorType::Gray(bits) => (1, bits),
        tiff::ColorType::GrayA(bits) => (2, bits),
        tiff::ColorType::RGB(bits) => (3, bits),
        tiff::ColorType::RGBA(bits) => (4, bits),
        other => {
            return Err(InputError::unsupported(
                path,
                format!("TIFF colour type {other:?}"),
            ))
        }
    };
    let (dtype, bytes) = match decoder.read_image().map_err(corrupt)? {
        DecodingResult::U8(v) => (DType::U8, v),
        DecodingResult::U16(v) => (DType::U16, le_bytes(v, u16::to_le_bytes)),
        DecodingResult::U32(v) => (DType::U32, le_bytes(v, u32::to_le_bytes)),
        DecodingResult::U64(v) => (DType::U64, le_bytes(v, u64::to_le_bytes)),
        DecodingResult::I8(v) => (DType::I8, le_bytes(v, i8::to_le_bytes)),
        DecodingResult::I16(v) => (DType::I16, le_bytes(v, i16::to_le_bytes)),
        DecodingResult::I32(v) => (DType::I32, le_bytes(v, i32::to_le_bytes)),
        DecodingResult::I64(v) => (DType::I64, le_bytes(v, i64::to_le_bytes)),
        DecodingResult::F16(v) => (DType::F16, le_bytes(v, half::f16::to_le_bytes)),
        DecodingResult::F32(v) => (DType::F32, le_bytes(v, f32::to_le_bytes)),
        DecodingResult::F64(v) => (DType::F64, le_bytes(v, f64::to_le_bytes)),
    };
    let shape = vec![height as usize, width as usize, channels];
    let array = Array {
        dtype,
        shape,
        bytes,
    };
    if array.bytes.len() != array.numel() * dtype.size_bytes() {
        return Err(InputError::malformed(
            path,
            "TIFF pixel data does not match its dimensions",
        ));
    }
    let color = ["gray", "gray_alpha", "rgb", "rgba"][channels - 1];
    let detail = ImageDetail {
        bit_depth: bits,
        color: color.into(),
        channels,
    };
    Ok(Loaded {
        path: path.to_path_buf(),
        format: Format::Tiff,
        array,
        detail: Detail::Image(detail),
    })
}
