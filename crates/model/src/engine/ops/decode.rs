//! `ImageDecoder`: encoded image bytes (PNG, JPEG, BMP, TIFF, PNM, WebP) to an `H×W×C` uint8
//! tensor in RGB, BGR or grayscale. The size depends on the bytes, so `H` and `W` are symbols
//! bound when the node runs.

use super::kernel::{kernel, Kernel};
use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

/// `ImageDecoder(encoded)` with `pixel_format` (`RGB`, `BGR` or `Grayscale`).
pub fn image_decoder(
    ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let format: String = node
        .get_attr_opt("pixel_format")?
        .unwrap_or_else(|| "RGB".to_string());
    let format = match format.as_str() {
        "RGB" => PixelFormat::Rgb,
        "BGR" => PixelFormat::Bgr,
        "Grayscale" => PixelFormat::Gray,
        other => bail!("ImageDecoder: unknown pixel_format `{other}`"),
    };
    let symbols = &ctx.template.symbols;
    kernel(ImageDecoder {
        format,
        height: symbols.new_with_prefix("image_h"),
        width: symbols.new_with_prefix("image_w"),
    })
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum PixelFormat {
    Rgb,
    Bgr,
    Gray,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct ImageDecoder {
    format: PixelFormat,
    height: Symbol,
    width: Symbol,
}

impl ImageDecoder {
    fn channels(&self) -> usize {
        match self.format {
            PixelFormat::Gray => 1,
            _ => 3,
        }
    }
}

/// Luma of an RGB pixel as Pillow's `convert("L")` computes it (ITU-R 601-2, fixed point).
fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((r as u32 * 19595 + g as u32 * 38470 + b as u32 * 7471 + 0x8000) >> 16) as u8
}

impl Kernel for ImageDecoder {
    const NAME: &'static str = "ImageDecoder";

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        s.equals(&outputs[0].datum_type, u8::datum_type())?;
        s.equals(&outputs[0].rank, 3)?;
        s.equals(&outputs[0].shape[2], self.channels().to_dim())
    }

    fn output_facts(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(u8::fact([
            self.height.to_dim(),
            self.width.to_dim(),
            self.channels().to_dim()
        ])))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let encoded = inputs[0].cast_to::<u8>()?;
        let bytes: Vec<u8> = encoded
            .to_plain_array_view::<u8>()?
            .iter()
            .copied()
            .collect();
        let image = image::load_from_memory(&bytes)
            .map_err(|e| format_err!("ImageDecoder: cannot decode the image: {e}"))?;
        let rgb = image.to_rgb8();
        let (w, h) = (rgb.width() as usize, rgb.height() as usize);
        let pixels: Vec<u8> = match self.format {
            PixelFormat::Rgb => rgb.into_raw(),
            PixelFormat::Bgr => rgb.pixels().flat_map(|p| [p[2], p[1], p[0]]).collect(),
            PixelFormat::Gray => match image {
                image::DynamicImage::ImageLuma8(gray) => gray.into_raw(),
                _ => rgb.pixels().map(|p| luma(p[0], p[1], p[2])).collect(),
            },
        };
        let shape = [h, w, self.channels()];
        Ok(tvec!(Tensor::from_shape(&shape, &pixels)?.into_tvalue()))
    }

    fn mints_symbols(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::luma;

    #[test]
    fn luma_follows_pillow() {
        // Pillow: Image.new("RGB", (1, 1), c).convert("L").getpixel((0, 0))
        assert_eq!(luma(255, 255, 255), 255);
        assert_eq!(luma(255, 0, 0), 76);
        assert_eq!(luma(0, 255, 0), 150);
        assert_eq!(luma(0, 0, 255), 29);
        assert_eq!(luma(10, 200, 30), 124);
    }
}
