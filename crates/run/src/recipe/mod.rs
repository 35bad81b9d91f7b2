//! The pre-processing recipe: how a loaded file becomes a model input tensor, and a record of
//! exactly what was applied.
//!
//! Steps, in order: resize (images), channel conversion, scaling by the dtype's maximum,
//! per-channel mean/std, layout (`[H, W, C]` → NCHW or NHWC, or the array as it is), leading
//! size-1 axes, output dtype. [`Recipe::for_model_input`] infers the defaults DESIGN.md
//! promises (images as torchvision's `ToTensor`, `.npy` as is, NIfTI in raw array order);
//! a `MODEL.glassbox.toml` next to the model ([`Recipe::beside_model`]) overrides any field:
//!
//! ```toml
//! resize = { height = 224, width = 224 }   # or "none", or "model" (the model's declared H, W)
//! filter = "bilinear"                      # nearest | bilinear (triangle) | catmull-rom | lanczos3
//! layout = "nchw"                          # nchw | nhwc | keep
//! add_batch = true
//! channels = "rgb"                         # gray | rgb | bgr | keep
//! scale = "unit"                           # unit ([0,1] by dtype max) | symmetric ([-1,1]) | raw
//! mean = [0.485, 0.456, 0.406]
//! std = [0.229, 0.224, 0.225]
//! dtype = "float32"                        # float32 | float16 | float64 | uint8 | int64 | keep
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use glassbox_tensor::DType;
use serde::{Deserialize, Serialize};

use crate::inputs::{f64_values, Loaded};
use crate::Array;

mod pixels;
use pixels::{cast, cast_f32, convert_channels, dtype_max, hwc_to_chw, normalise, resize, Pixels};

/// How to turn a loaded file into a model input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// Whether and to what size to resize an image.
    pub resize: Resize,
    /// The resampling filter used when resizing.
    pub filter: Filter,
    /// Axis order of the output.
    pub layout: Layout,
    /// Prepend a size-1 batch axis.
    pub add_batch: bool,
    /// Prepend a size-1 channel axis (after the batch axis), for volumes.
    pub add_channel: bool,
    /// Channel conversion.
    pub channels: Channels,
    /// Value scaling before mean/std.
    pub scale: Scale,
    /// Per-channel mean subtracted after scaling (empty = none; one value = all channels).
    pub mean: Vec<f64>,
    /// Per-channel standard deviation divided by after the mean (empty = none).
    pub std: Vec<f64>,
    /// Element type of the output.
    pub dtype: OutputDType,
}

/// Resize of an image before anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ResizeRepr", into = "ResizeRepr")]
pub enum Resize {
    /// Keep the size.
    None,
    /// To the model input's declared height and width (no-op where they are symbolic).
    Model,
    /// To a fixed size.
    To {
        /// Output height in pixels.
        height: usize,
        /// Output width in pixels.
        width: usize,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ResizeRepr {
    Named(String),
    Size { height: usize, width: usize },
}

impl TryFrom<ResizeRepr> for Resize {
    type Error = String;
    fn try_from(repr: ResizeRepr) -> Result<Resize, String> {
        match repr {
            ResizeRepr::Named(name) if name == "none" => Ok(Resize::None),
            ResizeRepr::Named(name) if name == "model" => Ok(Resize::Model),
            ResizeRepr::Named(other) => Err(format!(
                "resize {other:?}: expected \"none\", \"model\" or {{height, width}}"
            )),
            ResizeRepr::Size { height, width } => Ok(Resize::To { height, width }),
        }
    }
}

impl From<Resize> for ResizeRepr {
    fn from(resize: Resize) -> ResizeRepr {
        match resize {
            Resize::None => ResizeRepr::Named("none".into()),
            Resize::Model => ResizeRepr::Named("model".into()),
            Resize::To { height, width } => ResizeRepr::Size { height, width },
        }
    }
}

/// Resampling filter (`image::imageops`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Filter {
    /// Nearest neighbour.
    Nearest,
    /// Linear interpolation (`triangle`).
    #[serde(alias = "triangle")]
    Bilinear,
    /// Catmull-Rom cubic.
    CatmullRom,
    /// Lanczos with window 3.
    Lanczos3,
}

/// Axis order of the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Channels first: `[H, W, C]` becomes `[C, H, W]`.
    Nchw,
    /// Channels last: `[H, W, C]` as read.
    Nhwc,
    /// The array's own axis order (arrays, volumes).
    Keep,
}

/// Channel conversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channels {
    /// One channel: RGB by ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B); alpha dropped.
    Gray,
    /// Three channels R, G, B: gray repeated; alpha dropped.
    Rgb,
    /// Three channels B, G, R.
    Bgr,
    /// As stored.
    Keep,
}

/// Value scaling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Divide by the stored dtype's maximum (255 for 8-bit, 65535 for 16-bit; floats as is).
    Unit,
    /// As `unit`, then mapped to [-1, 1].
    Symmetric,
    /// Values as stored.
    Raw,
}

/// Element type of the output tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputDType {
    /// IEEE single.
    Float32,
    /// IEEE half.
    Float16,
    /// IEEE double.
    Float64,
    /// Rounded and saturated to 0..=255.
    Uint8,
    /// Rounded.
    Int64,
    /// The stored dtype when no step changed values, else float32.
    Keep,
}

/// A recipe file's fields; the ones present override a base recipe.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipeOverrides {
    resize: Option<Resize>,
    filter: Option<Filter>,
    layout: Option<Layout>,
    add_batch: Option<bool>,
    add_channel: Option<bool>,
    channels: Option<Channels>,
    scale: Option<Scale>,
    mean: Option<Vec<f64>>,
    std: Option<Vec<f64>>,
    dtype: Option<OutputDType>,
}

/// Why a recipe could not be read or applied. Messages name the file.
#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    /// The recipe file could not be read.
    #[error("cannot read recipe {}: {source}", path.display())]
    Io {
        /// The recipe file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The recipe file is not valid TOML or names an unknown field or value.
    #[error("bad recipe {}: {message}", path.display())]
    Parse {
        /// The recipe file.
        path: PathBuf,
        /// The parser's message (line, field, expected values).
        message: String,
    },
    /// The recipe cannot be applied to this input.
    #[error("{}: {problem}", path.display())]
    Apply {
        /// The input file.
        path: PathBuf,
        /// What does not fit.
        problem: String,
    },
}

fn apply_error(loaded: &Loaded, problem: impl Into<String>) -> RecipeError {
    RecipeError::Apply {
        path: loaded.path.clone(),
        problem: problem.into(),
    }
}

/// What [`Recipe::apply_with_record`] did, for printing and JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppliedRecipe {
    /// The recipe as given.
    pub recipe: Recipe,
    /// Shape of the loaded array.
    pub input_shape: Vec<usize>,
    /// Stored dtype of the loaded array.
    pub input_dtype: DType,
    /// `[height, width]` before and after, when an image was resized.
    pub resized: Option<([usize; 2], [usize; 2])>,
    /// Channel count before and after conversion.
    pub channels: (usize, usize),
    /// What values were divided by (`scale`), if anything.
    pub scale_divisor: Option<f64>,
    /// Shape of the output tensor.
    pub output_shape: Vec<usize>,
    /// Element type of the output tensor.
    pub output_dtype: DType,
    /// The one-line description ([`fmt::Display`]).
    pub summary: String,
}

impl fmt::Display for AppliedRecipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)
    }
}

impl Default for Recipe {
    /// torchvision `ToTensor` semantics: no resize, channels kept, /255 or /65535, NCHW + batch.
    fn default() -> Recipe {
        Recipe {
            resize: Resize::None,
            filter: Filter::Bilinear,
            layout: Layout::Nchw,
            add_batch: true,
            add_channel: false,
            channels: Channels::Keep,
            scale: Scale::Unit,
            mean: Vec::new(),
            std: Vec::new(),
            dtype: OutputDType::Float32,
        }
    }
}

impl Recipe {
    /// Sensible defaults for feeding `loaded` to a model input of `shape` (None = symbolic).
    ///
    /// Images: `ToTensor` (8-bit /255, 16-bit /65535), NCHW or NHWC as the model's channel axis
    /// suggests (a declared 1 or 3), channels adapted to that count, resize to the declared H, W
    /// when fixed and different, batch axis when the model has one. `.npy`/`.npz`: as they are,
    /// with a batch axis only when their rank is one less than the model's. NIfTI: raw array
    /// order, float32, batch and channel axes added to reach the model's rank.
    pub fn for_model_input(shape: &[Option<usize>], loaded: &Loaded) -> Recipe {
        let rank = loaded.array.shape.len();
        if loaded.format.is_image() {
            return image_defaults(shape, &loaded.array.shape);
        }
        let missing = shape.len().saturating_sub(rank);
        let as_is = Recipe {
            layout: Layout::Keep,
            add_batch: missing >= 1,
            channels: Channels::Keep,
            scale: Scale::Raw,
            ..Recipe::default()
        };
        if loaded.format.is_nifti() {
            Recipe {
                add_channel: missing >= 2,
                dtype: OutputDType::Float32,
                ..as_is
            }
        } else {
            Recipe {
                add_batch: missing == 1,
                dtype: OutputDType::Keep,
                ..as_is
            }
        }
    }

    /// The recipe file looked for next to a model: `DIR/model.glassbox.toml` for
    /// `DIR/model.onnx` (the model's file stem, not its full name); Some only when it exists.
    pub fn beside_model(model_path: &Path) -> Option<PathBuf> {
        let stem = model_path.file_stem()?.to_string_lossy().into_owned();
        let candidate = model_path.with_file_name(format!("{stem}.glassbox.toml"));
        candidate.is_file().then_some(candidate)
    }

    /// `base` with the fields present in the TOML file at `path` replaced.
    pub fn from_toml_file(path: &Path, base: Recipe) -> Result<Recipe, RecipeError> {
        let text = std::fs::read_to_string(path).map_err(|source| RecipeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Recipe::from_toml_str(&text, base).map_err(|message| RecipeError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// `base` with the fields present in `text` (TOML) replaced; Err is the parser's message.
    pub fn from_toml_str(text: &str, base: Recipe) -> Result<Recipe, String> {
        let o: RecipeOverrides = toml::from_str(text).map_err(|e| e.to_string())?;
        Ok(Recipe {
            resize: o.resize.unwrap_or(base.resize),
            filter: o.filter.unwrap_or(base.filter),
            layout: o.layout.unwrap_or(base.layout),
            add_batch: o.add_batch.unwrap_or(base.add_batch),
            add_channel: o.add_channel.unwrap_or(base.add_channel),
            channels: o.channels.unwrap_or(base.channels),
            scale: o.scale.unwrap_or(base.scale),
            mean: o.mean.unwrap_or(base.mean),
            std: o.std.unwrap_or(base.std),
            dtype: o.dtype.unwrap_or(base.dtype),
        })
    }

    /// The tensor for a model input of `model_shape` (None = symbolic; empty = unknown rank).
    pub fn apply(
        &self,
        loaded: &Loaded,
        model_shape: &[Option<usize>],
    ) -> Result<Array, RecipeError> {
        self.apply_with_record(loaded, model_shape)
            .map(|(array, _)| array)
    }

    /// As [`Recipe::apply`], with the record of what was done.
    pub fn apply_with_record(
        &self,
        loaded: &Loaded,
        model_shape: &[Option<usize>],
    ) -> Result<(Array, AppliedRecipe), RecipeError> {
        run(self, loaded, model_shape)
    }
}

fn image_defaults(model: &[Option<usize>], image_shape: &[usize]) -> Recipe {
    let is_channel_count = |d: Option<usize>| matches!(d, Some(1) | Some(3));
    // Where the model keeps its channels: [N,C,H,W] / [N,H,W,C] / [C,H,W] / [H,W,C].
    let (layout, add_batch, channel_axis, spatial) = match model.len() {
        4 if !is_channel_count(model[1]) && is_channel_count(model[3]) => {
            (Layout::Nhwc, true, 3, 1)
        }
        4 => (Layout::Nchw, true, 1, 2),
        3 if !is_channel_count(model[0]) && is_channel_count(model[2]) => {
            (Layout::Nhwc, false, 2, 0)
        }
        3 => (Layout::Nchw, false, 0, 1),
        _ => (Layout::Nchw, true, usize::MAX, usize::MAX),
    };
    let channels = match model.get(channel_axis).copied().flatten() {
        Some(1) => Channels::Gray,
        Some(3) => Channels::Rgb,
        _ => Channels::Keep,
    };
    let resize = match (
        model.get(spatial).copied().flatten(),
        model.get(spatial + 1).copied().flatten(),
    ) {
        (Some(h), Some(w)) if image_shape.len() >= 2 && [h, w] != image_shape[..2] => Resize::Model,
        _ => Resize::None,
    };
    Recipe {
        resize,
        layout,
        add_batch,
        channels,
        ..Recipe::default()
    }
}

fn run(
    recipe: &Recipe,
    loaded: &Loaded,
    model: &[Option<usize>],
) -> Result<(Array, AppliedRecipe), RecipeError> {
    let input = &loaded.array;
    let untouched = recipe.layout == Layout::Keep
        && recipe.channels == Channels::Keep
        && recipe.resize == Resize::None
        && recipe.scale == Scale::Raw
        && recipe.mean.is_empty()
        && recipe.std.is_empty();
    let mut record = AppliedRecipe {
        recipe: recipe.clone(),
        input_shape: input.shape.clone(),
        input_dtype: input.dtype,
        resized: None,
        channels: (0, 0),
        scale_divisor: None,
        output_shape: Vec::new(),
        output_dtype: input.dtype,
        summary: String::new(),
    };
    let (shape, values) = if untouched {
        (input.shape.clone(), None)
    } else {
        let pixels = image_steps(recipe, loaded, model, &mut record)?;
        let reshaped = record.resized.is_some() || record.channels.0 != record.channels.1;
        let shape = match recipe.layout {
            Layout::Nchw => vec![pixels.channels, pixels.height, pixels.width],
            Layout::Nhwc => vec![pixels.height, pixels.width, pixels.channels],
            Layout::Keep if !reshaped => input.shape.clone(),
            Layout::Keep if input.shape.len() == 2 && pixels.channels == 1 => {
                vec![pixels.height, pixels.width]
            }
            Layout::Keep => vec![pixels.height, pixels.width, pixels.channels],
        };
        let values = match recipe.layout {
            Layout::Nchw => hwc_to_chw(&pixels),
            _ => pixels.values,
        };
        (shape, Some(values))
    };
    let mut out_shape = Vec::with_capacity(shape.len() + 2);
    if recipe.add_batch {
        out_shape.push(1);
    }
    if recipe.add_channel {
        out_shape.push(1);
    }
    out_shape.extend_from_slice(&shape);
    check_model_shape(loaded, &out_shape, model)?;
    let array = match values {
        None if recipe.dtype == OutputDType::Keep => Array {
            dtype: input.dtype,
            shape: out_shape.clone(),
            bytes: input.bytes.clone(),
        },
        None => cast(&f64_values(input), out_shape.clone(), recipe.dtype),
        Some(values) => cast_f32(&values, out_shape.clone(), recipe.dtype),
    };
    record.output_shape = out_shape;
    record.output_dtype = array.dtype;
    record.summary = summary(&record);
    Ok((array, record))
}

/// Resize, channels, scale, mean/std on an `[H, W, C]` (or `[H, W]`) array, or scale and
/// mean/std on any array (then `height` × `width` × `channels` is just its element count).
fn image_steps(
    recipe: &Recipe,
    loaded: &Loaded,
    model: &[Option<usize>],
    record: &mut AppliedRecipe,
) -> Result<Pixels, RecipeError> {
    let input = &loaded.array;
    // A volume is never a picture, whatever its rank: its axes are x, y, z.
    let image_like = matches!(input.shape.len(), 2 | 3) && !loaded.format.is_nifti();
    let needs_image = recipe.layout != Layout::Keep
        || recipe.channels != Channels::Keep
        || recipe.resize != Resize::None;
    if needs_image && !image_like {
        return Err(apply_error(
            loaded,
            format!(
                "the recipe's resize/channels/layout steps need an [H, W, C] image, but this is a {:?} array of shape {:?} (use layout = \"keep\", channels = \"keep\", resize = \"none\")",
                loaded.format, input.shape
            ),
        ));
    }
    let values = input.to_f32();
    let mut pixels = match input.shape.as_slice() {
        [h, w, c] if image_like => Pixels {
            height: *h,
            width: *w,
            channels: *c,
            values,
        },
        [h, w] => Pixels {
            height: *h,
            width: *w,
            channels: 1,
            values,
        },
        _ => Pixels {
            height: 1,
            width: 1,
            channels: input.numel(),
            values,
        },
    };
    record.channels = (pixels.channels, pixels.channels);
    if let Some([height, width]) =
        resize_target(recipe.resize, model, recipe.layout, recipe.add_batch)
    {
        if [height, width] != [pixels.height, pixels.width] {
            if height == 0 || width == 0 {
                return Err(apply_error(loaded, "cannot resize to an empty image"));
            }
            record.resized = Some(([pixels.height, pixels.width], [height, width]));
            pixels = resize(&pixels, height, width, recipe.filter)
                .ok_or_else(|| apply_error(loaded, "image too large to resize"))?;
        }
    }
    pixels = convert_channels(loaded, pixels, recipe.channels)?;
    record.channels.1 = pixels.channels;
    let divisor = match recipe.scale {
        Scale::Raw => None,
        Scale::Unit | Scale::Symmetric => dtype_max(input.dtype),
    };
    if let Some(divisor) = divisor {
        pixels
            .values
            .iter_mut()
            .for_each(|v| *v = (f64::from(*v) / divisor) as f32);
    }
    if recipe.scale == Scale::Symmetric {
        pixels.values.iter_mut().for_each(|v| *v = *v * 2.0 - 1.0);
    }
    record.scale_divisor = divisor;
    normalise(loaded, &mut pixels, &recipe.mean, &recipe.std)?;
    Ok(pixels)
}

/// The resize target: a fixed size, or the model's declared H, W where both are fixed.
fn resize_target(
    resize: Resize,
    model: &[Option<usize>],
    layout: Layout,
    batch: bool,
) -> Option<[usize; 2]> {
    match resize {
        Resize::None => None,
        Resize::To { height, width } => Some([height, width]),
        Resize::Model => {
            let offset = usize::from(batch) + usize::from(layout == Layout::Nchw);
            match (
                model.get(offset).copied().flatten(),
                model.get(offset + 1).copied().flatten(),
            ) {
                (Some(h), Some(w)) => Some([h, w]),
                _ => None,
            }
        }
    }
}

fn check_model_shape(
    loaded: &Loaded,
    shape: &[usize],
    model: &[Option<usize>],
) -> Result<(), RecipeError> {
    let fits = model.is_empty()
        || (model.len() == shape.len()
            && model
                .iter()
                .zip(shape)
                .all(|(m, s)| m.is_none_or(|m| m == *s)));
    if fits {
        return Ok(());
    }
    let model: Vec<String> = model
        .iter()
        .map(|d| d.map_or("?".into(), |d| d.to_string()))
        .collect();
    Err(apply_error(
        loaded,
        format!(
            "after the recipe the tensor has shape {shape:?} but the model input is [{}] \
             (set resize, layout or add_batch in a .glassbox.toml recipe)",
            model.join(", ")
        ),
    ))
}

fn summary(record: &AppliedRecipe) -> String {
    let recipe = &record.recipe;
    let mut parts = Vec::new();
    if let Some(([h0, w0], [h1, w1])) = record.resized {
        parts.push(format!(
            "resize {h0}x{w0}→{h1}x{w1} {}",
            filter_name(recipe.filter)
        ));
    }
    let (from, to) = record.channels;
    match recipe.channels {
        Channels::Keep => {}
        Channels::Gray if from > 1 => parts.push(format!("{from}ch→gray (ITU-R 601 luma)")),
        Channels::Gray => parts.push("gray".into()),
        Channels::Rgb | Channels::Bgr if from != to || from == 1 => {
            parts.push(format!("{from}ch→{}", channels_name(recipe.channels)))
        }
        other => parts.push(channels_name(other).into()),
    }
    if let Some(divisor) = record.scale_divisor {
        parts.push(format!("scale /{divisor}"));
    }
    if recipe.scale == Scale::Symmetric {
        parts.push("to [-1,1]".into());
    }
    if !recipe.mean.is_empty() || !recipe.std.is_empty() {
        parts.push(format!("mean {:?} std {:?}", recipe.mean, recipe.std));
    }
    let mut layout = match recipe.layout {
        Layout::Nchw => "NCHW".to_string(),
        Layout::Nhwc => "NHWC".to_string(),
        Layout::Keep => "array order".to_string(),
    };
    if recipe.add_batch {
        layout.push_str(" +batch");
    }
    if recipe.add_channel {
        layout.push_str(" +channel");
    }
    parts.push(layout);
    parts.push(format!(
        "{} {:?}",
        record.output_dtype.name(),
        record.output_shape
    ));
    parts.join(", ")
}

fn filter_name(filter: Filter) -> &'static str {
    match filter {
        Filter::Nearest => "nearest",
        Filter::Bilinear => "bilinear",
        Filter::CatmullRom => "catmull-rom",
        Filter::Lanczos3 => "lanczos3",
    }
}

fn channels_name(channels: Channels) -> &'static str {
    match channels {
        Channels::Gray => "gray",
        Channels::Rgb => "RGB",
        Channels::Bgr => "BGR",
        Channels::Keep => "channels as stored",
    }
}

impl fmt::Display for Recipe {
    /// The recipe in one line (the same words as the applied record, without sizes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        match self.resize {
            Resize::None => {}
            Resize::Model => parts.push(format!("resize to model {}", filter_name(self.filter))),
            Resize::To { height, width } => parts.push(format!(
                "resize to {height}x{width} {}",
                filter_name(self.filter)
            )),
        }
        if self.channels != Channels::Keep {
            parts.push(channels_name(self.channels).to_string());
        }
        match self.scale {
            Scale::Unit => parts.push("scale to [0,1] by dtype max".into()),
            Scale::Symmetric => parts.push("scale to [-1,1] by dtype max".into()),
            Scale::Raw => {}
        }
        if !self.mean.is_empty() || !self.std.is_empty() {
            parts.push(format!("mean {:?} std {:?}", self.mean, self.std));
        }
        parts.push(
            format!(
                "{:?}{}{}",
                self.layout,
                if self.add_batch { " +batch" } else { "" },
                if self.add_channel { " +channel" } else { "" }
            )
            .to_uppercase(),
        );
        parts.push(format!("{:?}", self.dtype).to_lowercase());
        f.write_str(&parts.join(", "))
    }
}
