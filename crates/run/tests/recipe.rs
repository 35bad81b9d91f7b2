//! The pre-processing recipe: inferred defaults, TOML overrides, each step's values against a
//! reference computed here, and the errors.

#![allow(clippy::unwrap_used)] // test support code outside #[test] functions

use std::path::{Path, PathBuf};

use glassbox_run::inputs::{self, Loaded};
use glassbox_run::recipe::{
    Channels, Filter, Layout, OutputDType, Recipe, RecipeError, Resize, Scale,
};
use glassbox_tensor::DType;

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/inputs")
        .join(relative)
}

fn load(relative: &str) -> Loaded {
    inputs::read(&fixture(relative)).unwrap()
}

/// Pixel `[y][x][c]` of a loaded `[H, W, C]` image as f32.
fn pixel(loaded: &Loaded, y: usize, x: usize, c: usize) -> f32 {
    let [_, w, channels] = loaded.array.shape[..] else {
        panic!()
    };
    loaded.array.to_f32()[(y * w + x) * channels + c]
}

fn model(dims: &[Option<usize>]) -> Vec<Option<usize>> {
    dims.to_vec()
}

#[test]
fn gray_image_into_rgb_model_is_replicated_over_255() {
    let gray = load("images/camera_gray8.png");
    let shape = model(&[Some(1), Some(3), None, None]);
    let recipe = Recipe::for_model_input(&shape, &gray);
    assert_eq!(
        (recipe.layout, recipe.channels, recipe.scale, recipe.resize),
        (Layout::Nchw, Channels::Rgb, Scale::Unit, Resize::None)
    );
    let (out, applied) = recipe.apply_with_record(&gray, &shape).unwrap();
    assert_eq!(out.shape, [1, 3, 48, 64]);
    assert_eq!(out.dtype, DType::F32);
    let values = out.to_f32();
    for c in 0..3 {
        for y in 0..48 {
            for x in 0..64 {
                assert_eq!(values[(c * 48 + y) * 64 + x], pixel(&gray, y, x, 0) / 255.0);
            }
        }
    }
    assert_eq!(
        applied.to_string(),
        "1ch→RGB, scale /255, NCHW +batch, float32 [1, 3, 48, 64]"
    );
}

#[test]
fn fixed_224_model_resizes_and_says_so() {
    let gray = load("images/camera_gray8.png");
    let shape = model(&[Some(1), Some(3), Some(224), Some(224)]);
    let recipe = Recipe::for_model_input(&shape, &gray);
    assert_eq!(recipe.resize, Resize::Model);
    let (out, applied) = recipe.apply_with_record(&gray, &shape).unwrap();
    assert_eq!(out.shape, [1, 3, 224, 224]);
    let values = out.to_f32();
    let plane = 224 * 224;
    assert_eq!(
        values[..plane],
        values[plane..2 * plane],
        "gray replicated to every channel"
    );
    assert!(values.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(applied.resized, Some(([48, 64], [224, 224])));
    assert!(
        applied
            .to_string()
            .starts_with("resize 48x64→224x224 bilinear, 1ch→RGB, scale /255"),
        "{applied}"
    );
    let json = serde_json::to_value(&applied).unwrap();
    assert_eq!(json["output_shape"], serde_json::json!([1, 3, 224, 224]));
    assert_eq!(json["recipe"]["resize"], "model");
}

#[test]
fn rgb_nchw_and_nhwc_place_channels_as_declared() {
    let rgb = load("images/astronaut_rgb8.png");
    let nchw = model(&[Some(1), Some(3), Some(40), Some(56)]);
    let out = Recipe::for_model_input(&nchw, &rgb)
        .apply(&rgb, &nchw)
        .unwrap()
        .to_f32();
    let nhwc = model(&[None, Some(40), Some(56), Some(3)]);
    let recipe = Recipe::for_model_input(&nhwc, &rgb);
    assert_eq!(recipe.layout, Layout::Nhwc);
    let out_nhwc = recipe.apply(&rgb, &nhwc).unwrap();
    assert_eq!(out_nhwc.shape, [1, 40, 56, 3]);
    let out_nhwc = out_nhwc.to_f32();
    for (y, x, c) in [(0, 0, 0), (5, 7, 1), (39, 55, 2), (20, 3, 2)] {
        let expected = pixel(&rgb, y, x, c) / 255.0;
        assert_eq!(out[(c * 40 + y) * 56 + x], expected);
        assert_eq!(out_nhwc[(y * 56 + x) * 3 + c], expected);
    }
}

#[test]
fn sixteen_bit_scales_by_65535() {
    let image = load("images/camera_gray16.png");
    let shape = model(&[Some(1), Some(1), None, None]);
    let out = Recipe::for_model_input(&shape, &image)
        .apply(&image, &shape)
        .unwrap();
    assert_eq!(out.shape, [1, 1, 48, 64]);
    let expected: Vec<f32> = image.array.to_f32().iter().map(|v| v / 65535.0).collect();
    assert_eq!(out.to_f32(), expected);
}

#[test]
fn rgb_into_gray_model_uses_itu_601_luma() {
    let rgb = load("images/astronaut_rgba8.png");
    let shape = model(&[Some(1), Some(1), None, None]);
    let out = Recipe::for_model_input(&shape, &rgb)
        .apply(&rgb, &shape)
        .unwrap();
    assert_eq!(out.shape, [1, 1, 40, 56]);
    let values = out.to_f32();
    for (y, x) in [(0, 0), (10, 20), (39, 55)] {
        let luma = 0.299 * pixel(&rgb, y, x, 0)
            + 0.587 * pixel(&rgb, y, x, 1)
            + 0.114 * pixel(&rgb, y, x, 2);
        assert!((values[y * 56 + x] - luma / 255.0).abs() < 1e-6);
    }
}

#[test]
fn toml_mean_std_bgr_and_dtype_override_the_defaults() {
    let rgb = load("images/astronaut_rgb8.png");
    let shape = model(&[Some(1), Some(3), None, None]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("net.glassbox.toml");
    std::fs::write(&file, "channels = \"bgr\"\nmean = [0.485, 0.456, 0.406]\nstd = [0.229, 0.224, 0.225]\ndtype = \"float16\"\n").unwrap();
    let recipe = Recipe::from_toml_file(&file, Recipe::for_model_input(&shape, &rgb)).unwrap();
    assert_eq!(
        recipe.scale,
        Scale::Unit,
        "fields not in the file keep the inferred default"
    );
    let out = recipe.apply(&rgb, &shape).unwrap();
    assert_eq!(out.dtype, DType::F16);
    let values = out.to_f32();
    let (mean, std) = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    for (y, x) in [(0, 0), (17, 33)] {
        for c in 0..3 {
            let source = pixel(&rgb, y, x, 2 - c); // BGR: channel 0 is blue
            let expected = (source / 255.0 - mean[c]) / std[c];
            let got = values[(c * 40 + y) * 56 + x];
            assert!((got - expected).abs() < 2e-3, "c{c}: {got} vs {expected}");
        }
    }
}

#[test]
fn nearest_resize_matches_a_reference_sampler() {
    let image = load("images/coins_gray8.png"); // 36 x 50
    let recipe = Recipe {
        resize: Resize::To {
            height: 17,
            width: 80,
        },
        filter: Filter::Nearest,
        channels: Channels::Keep,
        ..Recipe::default()
    };
    let out = recipe.apply(&image, &[]).unwrap();
    assert_eq!(out.shape, [1, 1, 17, 80]);
    let values = out.to_f32();
    let source = |out_i: usize, out_n: usize, in_n: usize| {
        (((out_i as f64 + 0.5) * in_n as f64 / out_n as f64) as usize).min(in_n - 1)
    };
    for y in 0..17 {
        for x in 0..80 {
            let expected = pixel(&image, source(y, 17, 36), source(x, 80, 50), 0) / 255.0;
            assert!((values[y * 80 + x] - expected).abs() < 1e-6, "({y},{x})");
        }
    }
}

#[test]
fn bilinear_halving_of_a_ramp_keeps_the_ramp() {
    // A horizontal ramp 0..=255 on 8 x 256; halving with a triangle filter samples the ramp at
    // source x = 2i + 0.5 away from the borders.
    let values: Vec<f32> = (0..8).flat_map(|_| (0..256).map(|x| x as f32)).collect();
    let loaded = Loaded {
        array: glassbox_run::Array::from_f32(vec![8, 256, 1], &values),
        ..load("images/coins_gray8.png")
    };
    let recipe = Recipe {
        resize: Resize::To {
            height: 8,
            width: 128,
        },
        scale: Scale::Raw,
        ..Recipe::default()
    };
    let out = recipe
        .apply(&loaded, &[Some(1), Some(1), Some(8), Some(128)])
        .unwrap()
        .to_f32();
    for x in 4..124 {
        assert!(
            (out[3 * 128 + x] - (2.0 * x as f32 + 0.5)).abs() < 1e-3,
            "x={x}: {}",
            out[3 * 128 + x]
        );
    }
}

#[test]
fn npy_is_used_as_is_with_a_batch_axis_only_when_one_short() {
    let array = load("arrays/c_i8.npy"); // [3, 4, 5] int64
    let one_short = model(&[None, Some(3), Some(4), Some(5)]);
    let recipe = Recipe::for_model_input(&one_short, &array);
    assert_eq!(
        (recipe.layout, recipe.scale, recipe.dtype),
        (Layout::Keep, Scale::Raw, OutputDType::Keep)
    );
    let out = recipe.apply(&array, &one_short).unwrap();
    assert_eq!(
        (out.dtype, out.shape.clone()),
        (DType::I64, vec![1, 3, 4, 5])
    );
    assert_eq!(out.bytes, array.array.bytes);
    let same_rank = model(&[Some(3), Some(4), Some(5)]);
    let out = Recipe::for_model_input(&same_rank, &array)
        .apply(&array, &same_rank)
        .unwrap();
    assert_eq!(out.shape, [3, 4, 5]);
}

#[test]
fn nifti_gets_batch_and_channel_axes_in_raw_order() {
    let volume = load("nifti/las_int16_scaled.nii.gz"); // [5, 6, 7], scaled to float32
    let shape = model(&[Some(1), Some(1), None, None, None]);
    let recipe = Recipe::for_model_input(&shape, &volume);
    assert!(recipe.add_batch && recipe.add_channel);
    let (out, applied) = recipe.apply_with_record(&volume, &shape).unwrap();
    assert_eq!(
        (out.dtype, out.shape.clone()),
        (DType::F32, vec![1, 1, 5, 6, 7])
    );
    assert_eq!(out.to_f32(), volume.array.to_f32());
    assert_eq!(
        applied.to_string(),
        "array order +batch +channel, float32 [1, 1, 5, 6, 7]"
    );
}

fn apply_error(recipe: &Recipe, loaded: &Loaded, shape: &[Option<usize>], phrase: &str) {
    let error = recipe.apply(loaded, shape).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(&loaded.path.display().to_string()),
        "{message}"
    );
    assert!(
        message.contains(phrase),
        "expected {phrase:?} in {message:?}"
    );
}

#[test]
fn errors_name_the_file_and_the_problem() {
    let gray_alpha = load("images/camera_gray_alpha8.png");
    let rgb_model = model(&[Some(1), Some(3), None, None]);
    let recipe = Recipe::for_model_input(&rgb_model, &gray_alpha);
    apply_error(
        &recipe,
        &gray_alpha,
        &rgb_model,
        "cannot convert a 2-channel image to Rgb",
    );

    let rgb = load("images/astronaut_rgb8.png");
    let fixed = model(&[Some(1), Some(3), Some(224), Some(224)]);
    let no_resize = Recipe {
        resize: Resize::None,
        ..Recipe::for_model_input(&fixed, &rgb)
    };
    apply_error(
        &no_resize,
        &rgb,
        &fixed,
        "the tensor has shape [1, 3, 40, 56] but the model input is [1, 3, 224, 224]",
    );

    let wrong_mean = Recipe {
        mean: vec![0.5, 0.5],
        ..Recipe::for_model_input(&rgb_model, &rgb)
    };
    apply_error(
        &wrong_mean,
        &rgb,
        &rgb_model,
        "mean has 2 values but the image has 3 channels",
    );

    let volume = load("nifti/ras_uint8.nii");
    let image_recipe = Recipe::default();
    apply_error(&image_recipe, &volume, &[], "need an [H, W, C] image");

    let dir = tempfile::tempdir().unwrap();
    for (text, phrase) in [
        ("dtype = \"float8\"\n", "unknown variant `float8`"),
        ("colour = \"rgb\"\n", "unknown field `colour`"),
        ("resize = \"huge\"\n", "resize \"huge\""),
    ] {
        let file = dir.path().join("model.glassbox.toml");
        std::fs::write(&file, text).unwrap();
        let error = Recipe::from_toml_file(&file, Recipe::default()).unwrap_err();
        assert!(matches!(error, RecipeError::Parse { .. }));
        let message = error.to_string();
        assert!(
            message.contains(&file.display().to_string()) && message.contains(phrase),
            "{message}"
        );
    }
}

#[test]
fn recipe_file_beside_model_uses_the_model_stem() {
    let dir = tempfile::tempdir().unwrap();
    let model_path = dir.path().join("unet.onnx");
    assert_eq!(Recipe::beside_model(&model_path), None);
    std::fs::write(
        dir.path().join("unet.glassbox.toml"),
        "scale = \"symmetric\"\n",
    )
    .unwrap();
    let found = Recipe::beside_model(&model_path).unwrap();
    assert_eq!(found, dir.path().join("unet.glassbox.toml"));
    let recipe = Recipe::from_toml_file(&found, Recipe::default()).unwrap();
    let gray = load("images/camera_gray8.png");
    let out = recipe.apply(&gray, &[]).unwrap().to_f32();
    assert_eq!(out[0], pixel(&gray, 0, 0, 0) / 255.0 * 2.0 - 1.0);
    assert!(out.iter().all(|v| (-1.0..=1.0).contains(v)));
}

#[test]
fn recipe_round_trips_through_toml_and_prints_one_line() {
    let recipe = Recipe {
        resize: Resize::To {
            height: 224,
            width: 224,
        },
        filter: Filter::Lanczos3,
        mean: vec![0.5],
        std: vec![0.25],
        dtype: OutputDType::Float64,
        ..Recipe::default()
    };
    let text = toml::to_string(&recipe).unwrap();
    assert_eq!(
        Recipe::from_toml_str(&text, Recipe::default()).unwrap(),
        recipe
    );
    assert_eq!(recipe.to_string(), "resize to 224x224 lanczos3, scale to [0,1] by dtype max, mean [0.5] std [0.25], NCHW +BATCH, float64");
}
