//! Rendering arrays to images: colour maps, scaling, channel and kernel grids, slices, PNG.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support code outside #[test] functions

use glassbox_tensor::render::{
    render_channel_grid, render_kernel_grid, render_slice, ChannelGridOptions, Coloring, Colormap,
    KernelGridOptions, RenderError, RgbImage, Scale, SliceOptions, ValueRange, MAX_SIDE_PX,
    NAN_RGB, SEPARATOR_RGB,
};

/// CIE L* of an sRGB colour (D65), 0 for black to 100 for white.
fn lightness([r, g, b]: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let y = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    if y > 216.0 / 24389.0 {
        116.0 * y.cbrt() - 16.0
    } else {
        y * 24389.0 / 27.0
    }
}

fn pixel(image: &RgbImage, x: u32, y: u32) -> [u8; 3] {
    image.pixel(x, y).expect("pixel inside the image")
}

fn shared(colormap: Colormap) -> Coloring {
    Coloring::new(colormap, Scale::Shared)
}

// ---------------------------------------------------------------- colour maps

#[test]
fn colormap_endpoints_match_the_published_maps() {
    assert_eq!(Colormap::Gray.rgb(0.0), [0, 0, 0]);
    assert_eq!(Colormap::Gray.rgb(1.0), [255, 255, 255]);
    assert_eq!(Colormap::Gray.rgb(0.5), [128, 128, 128]);
    // matplotlib: viridis(0) = (0.267, 0.005, 0.329), viridis(1) = (0.993, 0.906, 0.144)
    assert_eq!(Colormap::Viridis.rgb(0.0), [68, 1, 84]);
    assert_eq!(Colormap::Viridis.rgb(1.0), [253, 231, 37]);
    // viridis(0.5) = (0.128, 0.567, 0.551) in matplotlib's 256-entry table
    let middle = Colormap::Viridis.rgb(0.5);
    for (got, want) in middle.iter().zip([33u8, 145, 140]) {
        assert!(got.abs_diff(want) <= 2, "viridis(0.5) = {middle:?}");
    }
    assert_eq!(Colormap::Magma.rgb(0.0), [0, 0, 4]);
    assert_eq!(Colormap::Magma.rgb(1.0), [252, 253, 191]);
}

#[test]
fn colormaps_clamp_and_mark_nan() {
    for map in Colormap::ALL {
        assert_eq!(map.rgb(-3.0), map.rgb(0.0), "{map:?}");
        assert_eq!(map.rgb(7.0), map.rgb(1.0), "{map:?}");
        assert_eq!(map.rgb(f32::NAN), NAN_RGB, "{map:?}");
        for i in 0..=100 {
            assert_ne!(
                map.rgb(i as f32 / 100.0),
                NAN_RGB,
                "{map:?} uses the NaN colour"
            );
        }
    }
}

#[test]
fn sequential_maps_grow_lighter_monotonically() {
    for map in [Colormap::Gray, Colormap::Viridis, Colormap::Magma] {
        let samples: Vec<f64> = (0..=64)
            .map(|i| lightness(map.rgb(i as f32 / 64.0)))
            .collect();
        for pair in samples.windows(2) {
            assert!(
                pair[1] > pair[0],
                "{map:?} lightness not increasing: {pair:?}"
            );
        }
        assert!(
            samples[0] < 20.0 && samples[64] > 85.0,
            "{map:?}: {samples:?}"
        );
    }
}

#[test]
fn diverging_map_is_white_at_zero_and_blue_to_red() {
    let map = Colormap::Diverging;
    let [r, g, b] = map.rgb(0.5);
    assert!(r > 235 && g > 235 && b > 235, "middle {:?}", [r, g, b]);
    let low = map.rgb(0.0);
    let high = map.rgb(1.0);
    assert!(low[2] > low[0] + 50, "low end is not blue: {low:?}");
    assert!(high[0] > high[2] + 50, "high end is not red: {high:?}");
    // Lightness falls away from the middle on both sides, symmetrically enough.
    for i in 1..=5 {
        let offset = i as f32 / 10.0;
        let (below, above) = (
            lightness(map.rgb(0.5 - offset)),
            lightness(map.rgb(0.5 + offset)),
        );
        assert!(below < lightness(map.rgb(0.5 - offset + 0.1)));
        assert!(above < lightness(map.rgb(0.5 + offset - 0.1)));
        assert!((below - above).abs() < 15.0, "{offset}: {below} vs {above}");
    }
}

#[test]
fn colormaps_are_found_by_name() {
    for map in Colormap::ALL {
        assert_eq!(Colormap::from_name(map.name()).unwrap(), map);
    }
    assert_eq!(Colormap::from_name("Viridis").unwrap(), Colormap::Viridis);
    assert_eq!(Colormap::from_name("grey").unwrap(), Colormap::Gray);
    assert_eq!("RdBu_r".parse::<Colormap>().unwrap(), Colormap::Diverging);
    assert!(matches!(
        Colormap::from_name("jet"),
        Err(RenderError::UnknownColormap { name }) if name == "jet"
    ));
}

// ---------------------------------------------------------------- channel grids

/// `[1, C, H, W]` with channel `k` filled by `value(k, y, x)`.
fn activation(
    channels: usize,
    side: usize,
    value: impl Fn(usize, usize, usize) -> f32,
) -> Vec<f32> {
    let mut values = Vec::new();
    for k in 0..channels {
        for y in 0..side {
            for x in 0..side {
                values.push(value(k, y, x));
            }
        }
    }
    values
}

#[test]
fn shared_scale_colours_constant_channels_by_their_value() {
    // 4 channels of 3x3, channel k constant k; zoom 2, 1 px separators; 2x2 grid.
    let values = activation(4, 3, |k, _, _| k as f32);
    let options = ChannelGridOptions {
        coloring: shared(Colormap::Viridis),
        zoom: Some(2),
        separator_px: 1,
        ..ChannelGridOptions::default()
    };
    let image = render_channel_grid(&values, &[1, 4, 3, 3], &options).unwrap();
    assert_eq!((image.width, image.height), (2 * 6 + 3, 2 * 6 + 3));
    for k in 0..4u32 {
        let expected = Colormap::Viridis.rgb(k as f32 / 3.0);
        let (x0, y0) = (1 + (k % 2) * 7, 1 + (k / 2) * 7);
        for y in y0..y0 + 6 {
            for x in x0..x0 + 6 {
                assert_eq!(pixel(&image, x, y), expected, "tile {k} at ({x}, {y})");
            }
        }
    }
    for i in 0..image.width {
        for line in [0, 7, 14] {
            assert_eq!(
                pixel(&image, i, line),
                SEPARATOR_RGB,
                "row separator at {i}"
            );
            assert_eq!(
                pixel(&image, line, i),
                SEPARATOR_RGB,
                "column separator at {i}"
            );
        }
    }
}

#[test]
fn per_channel_scale_stretches_each_channel_and_shared_does_not() {
    // Channel k holds k*100 + (0..4), a ramp along x on a 4x4 map.
    let values = activation(3, 4, |k, _, x| (k * 100 + x) as f32);
    let shape = [1, 3, 4, 4];
    let base = ChannelGridOptions {
        zoom: Some(1),
        separator_px: 1,
        ..ChannelGridOptions::default()
    };
    let gray = |scale| ChannelGridOptions {
        coloring: Coloring::new(Colormap::Gray, scale),
        ..base
    };
    let per_channel = render_channel_grid(&values, &shape, &gray(Scale::PerChannel)).unwrap();
    let all_shared = render_channel_grid(&values, &shape, &gray(Scale::Shared)).unwrap();
    // Tiles are 4 px with 1 px separators on a 2x2 grid: tile k starts at 1 + 5 * (k % 2).
    let tile_x = |k: u32| 1 + 5 * (k % 2);
    let tile_y = |k: u32| 1 + 5 * (k / 2);
    for k in 0..3 {
        let first = pixel(&per_channel, tile_x(k), tile_y(k));
        let last = pixel(&per_channel, tile_x(k) + 3, tile_y(k));
        assert_eq!((first, last), ([0; 3], [255; 3]), "per-channel tile {k}");
    }
    // Shared over 0..=203: each tile is nearly flat, and later channels are lighter.
    let level = |k: u32, dx: u32| pixel(&all_shared, tile_x(k) + dx, tile_y(k))[0];
    assert_eq!(level(0, 0), 0);
    assert_eq!(level(2, 3), 255);
    assert!(level(0, 3) < 5, "{}", level(0, 3));
    assert!(level(1, 0) > 120 && level(1, 3) < 135);
    assert!(level(0, 3) < level(1, 0) && level(1, 3) < level(2, 0));
}

#[test]
fn constant_channels_draw_the_low_end_without_dividing_by_zero() {
    let values = activation(2, 2, |k, _, _| if k == 0 { 0.0 } else { 5.0 });
    let options = ChannelGridOptions {
        zoom: Some(1),
        separator_px: 0,
        ..ChannelGridOptions::default()
    };
    let image = render_channel_grid(&values, &[1, 2, 2, 2], &options).unwrap();
    let low = Colormap::Viridis.rgb(0.0);
    assert!(
        image.pixels.chunks(3).all(|p| p == low),
        "{:?}",
        image.pixels
    );
    // Under the diverging map a constant 0 is white, a constant 5 the red end.
    let diverging = ChannelGridOptions {
        coloring: Coloring::new(Colormap::Diverging, Scale::PerChannel),
        ..options
    };
    let image = render_channel_grid(&values, &[1, 2, 2, 2], &diverging).unwrap();
    assert_eq!(pixel(&image, 0, 0), Colormap::Diverging.rgb(0.5));
    assert_eq!(pixel(&image, 2, 0), Colormap::Diverging.rgb(1.0));
}

#[test]
fn diverging_range_is_symmetric_about_zero() {
    let values = [-1.0, 0.0, 3.0, 1.5];
    let options = ChannelGridOptions {
        coloring: shared(Colormap::Diverging),
        zoom: Some(1),
        separator_px: 0,
        ..ChannelGridOptions::default()
    };
    let image = render_channel_grid(&values, &[1, 1, 2, 2], &options).unwrap();
    let map = Colormap::Diverging;
    assert_eq!(pixel(&image, 0, 0), map.rgb(2.0 / 6.0));
    assert_eq!(pixel(&image, 1, 0), map.rgb(0.5));
    assert_eq!(pixel(&image, 0, 1), map.rgb(1.0));
    assert_eq!(pixel(&image, 1, 1), map.rgb(0.75));
}

#[test]
fn explicit_range_and_percentile_clip_set_the_scale() {
    // 0..=99 then one huge outlier, on a 101-element single channel.
    let mut values: Vec<f32> = (0..100).map(|v| v as f32).collect();
    values.push(1e6);
    let shape = [1, 1, 1, 101];
    let gray = |coloring| ChannelGridOptions {
        coloring,
        zoom: Some(1),
        separator_px: 0,
        ..ChannelGridOptions::default()
    };
    let full = render_channel_grid(&values, &shape, &gray(shared(Colormap::Gray))).unwrap();
    assert_eq!(
        pixel(&full, 99, 0),
        [0, 0, 0],
        "the outlier squashes the rest"
    );
    assert_eq!(pixel(&full, 100, 0), [255; 3]);

    let clipped = Coloring {
        clip_percent: Some(1.0),
        ..shared(Colormap::Gray)
    };
    let image = render_channel_grid(&values, &shape, &gray(clipped)).unwrap();
    // numpy.percentile(values, [1, 99]) == [1.0, 99.0]
    assert_eq!(pixel(&image, 1, 0), [0; 3]);
    assert_eq!(
        pixel(&image, 50, 0)[0],
        (49.0f32 / 98.0 * 255.0).round() as u8
    );
    assert_eq!(pixel(&image, 99, 0), [255; 3]);
    assert_eq!(pixel(&image, 100, 0), [255; 3]);

    let explicit = Coloring {
        range: Some(ValueRange {
            low: 0.0,
            high: 255.0,
        }),
        ..shared(Colormap::Gray)
    };
    let image = render_channel_grid(&values, &shape, &gray(explicit)).unwrap();
    for x in 0..100 {
        assert_eq!(pixel(&image, x, 0), [x as u8; 3]);
    }
}

#[test]
fn nan_is_magenta_and_infinities_take_the_ends() {
    let values = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.5, 0.0, 1.0];
    let options = ChannelGridOptions {
        coloring: Coloring::new(Colormap::Gray, Scale::PerChannel),
        zoom: Some(1),
        separator_px: 0,
        ..ChannelGridOptions::default()
    };
    let image = render_channel_grid(&values, &[1, 1, 1, 6], &options).unwrap();
    let row: Vec<[u8; 3]> = (0..6).map(|x| pixel(&image, x, 0)).collect();
    assert_eq!(row, [NAN_RGB, [255; 3], [0; 3], [128; 3], [0; 3], [255; 3]]);
}

#[test]
fn five_d_activations_draw_the_middle_or_chosen_depth() {
    // [1, 2, 3, 2, 2]: every element holds its depth index.
    let mut values = Vec::new();
    for _channel in 0..2 {
        for depth in 0..3 {
            values.extend([depth as f32; 4]);
        }
    }
    let shape = [1, 2, 3, 2, 2];
    let fixed = Coloring {
        range: Some(ValueRange {
            low: 0.0,
            high: 2.0,
        }),
        ..shared(Colormap::Gray)
    };
    let options = ChannelGridOptions {
        coloring: fixed,
        zoom: Some(1),
        separator_px: 0,
        ..ChannelGridOptions::default()
    };
    let middle = render_channel_grid(&values, &shape, &options).unwrap();
    assert!(middle.pixels.iter().all(|&byte| byte == 128));
    let last = ChannelGridOptions {
        depth: Some(2),
        ..options
    };
    let image = render_channel_grid(&values, &shape, &last).unwrap();
    assert!(image.pixels.iter().all(|&byte| byte == 255));
    let past_end = ChannelGridOptions {
        depth: Some(3),
        ..options
    };
    assert!(matches!(
        render_channel_grid(&values, &shape, &past_end),
        Err(RenderError::IndexOutOfRange {
            axis: 2,
            index: 3,
            size: 3
        })
    ));
}

#[test]
fn sample_and_channel_cap_choose_what_is_drawn() {
    // [2, 10, 2, 2]: value = sample * 10 + channel.
    let values: Vec<f32> = (0..2)
        .flat_map(|n| (0..10).flat_map(move |c| [(n * 10 + c) as f32; 4]))
        .collect();
    let options = ChannelGridOptions {
        coloring: Coloring {
            range: Some(ValueRange {
                low: 0.0,
                high: 255.0,
            }),
            ..shared(Colormap::Gray)
        },
        sample: 1,
        max_channels: Some(4),
        zoom: Some(1),
        separator_px: 1,
        ..ChannelGridOptions::default()
    };
    let image = render_channel_grid(&values, &[2, 10, 2, 2], &options).unwrap();
    // Four channels: a 2x2 grid of 2 px tiles.
    assert_eq!((image.width, image.height), (7, 7));
    assert_eq!(pixel(&image, 1, 1), [10; 3]);
    assert_eq!(pixel(&image, 4, 1), [11; 3]);
    assert_eq!(pixel(&image, 1, 4), [12; 3]);
    assert_eq!(pixel(&image, 5, 5), [13; 3]);
    let all = ChannelGridOptions {
        max_channels: None,
        ..options
    };
    // Ten channels: 4 columns, 3 rows; the two unused cells stay separator colour.
    let image = render_channel_grid(&values, &[2, 10, 2, 2], &all).unwrap();
    assert_eq!((image.width, image.height), (4 * 2 + 5, 3 * 2 + 4));
    assert_eq!(pixel(&image, 1 + 3, 1 + 6), [19; 3]);
    assert_eq!(pixel(&image, 1 + 6, 1 + 6), SEPARATOR_RGB);
    let no_such_sample = ChannelGridOptions { sample: 2, ..all };
    assert!(matches!(
        render_channel_grid(&values, &[2, 10, 2, 2], &no_such_sample),
        Err(RenderError::IndexOutOfRange {
            axis: 0,
            index: 2,
            size: 2
        })
    ));
}

#[test]
fn automatic_zoom_makes_small_maps_visible() {
    let values = activation(16, 7, |k, y, x| (k + y + x) as f32);
    let image =
        render_channel_grid(&values, &[1, 16, 7, 7], &ChannelGridOptions::default()).unwrap();
    // 64 / 7 = 9: 63 px tiles, 4x4 grid, 2 px separators.
    assert_eq!(image.width, 4 * 63 + 5 * 2);
    assert_eq!(image.height, image.width);
    // Nearest neighbour: every 9x9 block is one colour.
    let first = pixel(&image, 2, 2);
    assert!((2..11).all(|i| pixel(&image, i, 2) == first && pixel(&image, 2, i) == first));
    assert_ne!(pixel(&image, 11, 2), first);
    // Large maps are not enlarged.
    let big = vec![0.0; 100 * 100];
    let image =
        render_channel_grid(&big, &[1, 1, 100, 100], &ChannelGridOptions::default()).unwrap();
    assert_eq!(image.width, 104);
}

// ---------------------------------------------------------------- kernel grids

#[test]
fn kernel_grid_geometry_follows_the_formula() {
    let values = vec![0.5; 5 * 3 * 3 * 3];
    let image = render_kernel_grid(&values, &[5, 3, 3, 3], &KernelGridOptions::default()).unwrap();
    // cols * kw * zoom + (cols + 1) * separator, rows likewise; default zoom 8, separator 1.
    assert_eq!((image.width, image.height), (3 * 24 + 4, 5 * 24 + 6));
    // Rows and columns are capped at 64.
    let many = vec![1.0; 100 * 80];
    let image = render_kernel_grid(&many, &[100, 80, 1, 1], &KernelGridOptions::default()).unwrap();
    assert_eq!((image.width, image.height), (64 * 8 + 65, 64 * 8 + 65));
    let capped = KernelGridOptions {
        max_rows: 2,
        max_cols: 5,
        zoom: Some(3),
        separator_px: 2,
        ..KernelGridOptions::default()
    };
    let image = render_kernel_grid(&values, &[5, 3, 3, 3], &capped).unwrap();
    assert_eq!((image.width, image.height), (3 * 9 + 4 * 2, 2 * 9 + 3 * 2));
}

#[test]
fn positive_weights_are_red_negative_blue_zero_white() {
    // Two output channels, one input channel, 3x3: kernel 0 has +1 top left and -1 next to it,
    // kernel 1 has -0.5 in the centre; everything else is 0.
    let mut values = vec![0.0f32; 2 * 9];
    values[0] = 1.0;
    values[1] = -1.0;
    values[9 + 4] = -0.5;
    let options = KernelGridOptions {
        zoom: Some(4),
        ..KernelGridOptions::default()
    };
    let image = render_kernel_grid(&values, &[2, 1, 3, 3], &options).unwrap();
    let at = |row: u32, y: u32, x: u32| pixel(&image, 1 + x * 4 + 1, 1 + row * 13 + y * 4 + 1);
    let positive = at(0, 0, 0);
    let negative = at(0, 0, 1);
    assert_eq!(positive, Colormap::Diverging.rgb(1.0));
    assert_eq!(negative, Colormap::Diverging.rgb(0.0));
    assert!(positive[0] > positive[2] + 50, "{positive:?}");
    assert!(negative[2] > negative[0] + 50, "{negative:?}");
    assert_eq!(at(0, 2, 2), Colormap::Diverging.rgb(0.5));
    // The shared range is [-1, 1], so -0.5 is halfway to blue.
    assert_eq!(at(1, 1, 1), Colormap::Diverging.rgb(0.25));
    // Per kernel, -0.5 is the strongest weight of its kernel.
    let per_kernel = KernelGridOptions {
        coloring: Coloring::new(Colormap::Diverging, Scale::PerChannel),
        ..options
    };
    let image = render_kernel_grid(&values, &[2, 1, 3, 3], &per_kernel).unwrap();
    assert_eq!(pixel(&image, 1 + 5, 14 + 5), Colormap::Diverging.rgb(0.0));
}

#[test]
fn kernel_grid_takes_1d_and_3d_convolutions() {
    let one_d =
        render_kernel_grid(&[1.0; 2 * 3 * 5], &[2, 3, 5], &KernelGridOptions::default()).unwrap();
    assert_eq!((one_d.width, one_d.height), (3 * 40 + 4, 2 * 8 + 3));
    // [1, 1, 3, 1, 1] with weight = depth - 1: the middle depth is 0 (white).
    let options = KernelGridOptions {
        coloring: Coloring {
            range: Some(ValueRange {
                low: -1.0,
                high: 1.0,
            }),
            ..shared(Colormap::Diverging)
        },
        ..KernelGridOptions::default()
    };
    let three_d = render_kernel_grid(&[-1.0, 0.0, 1.0], &[1, 1, 3, 1, 1], &options).unwrap();
    assert_eq!(pixel(&three_d, 4, 4), Colormap::Diverging.rgb(0.5));
    assert!(matches!(
        render_kernel_grid(&[0.0; 4], &[2, 2], &options),
        Err(RenderError::Rank { .. })
    ));
}

// ---------------------------------------------------------------- slices

/// `[2, 3, 4, 5]` whose elements hold their row-major linear index, drawn in gray over
/// [0, 255] so that each pixel's level is the index of the element it shows.
fn indexed_tensor() -> (Vec<f32>, [usize; 4], SliceOptions) {
    let values = (0..120).map(|v| v as f32).collect();
    let options = SliceOptions {
        coloring: Coloring {
            range: Some(ValueRange {
                low: 0.0,
                high: 255.0,
            }),
            ..shared(Colormap::Gray)
        },
        zoom: Some(1),
    };
    (values, [2, 3, 4, 5], options)
}

#[test]
fn slice_picks_the_elements_of_the_chosen_plane() {
    let (values, shape, options) = indexed_tensor();
    // Axes 1 (rows) and 3 (columns) at axis 0 = 1, axis 2 = 2.
    let image = render_slice(&values, &shape, (1, 3), &[1, 2], &options).unwrap();
    assert_eq!((image.width, image.height), (5, 3));
    for y in 0..3u32 {
        for x in 0..5u32 {
            let index = 60 + y * 20 + 2 * 5 + x;
            assert_eq!(pixel(&image, x, y), [index as u8; 3], "({x}, {y})");
        }
    }
    // Swapped axes draw the transpose.
    let transposed = render_slice(&values, &shape, (3, 1), &[1, 2], &options).unwrap();
    assert_eq!((transposed.width, transposed.height), (3, 5));
    for y in 0..5u32 {
        for x in 0..3u32 {
            assert_eq!(pixel(&transposed, x, y), pixel(&image, y, x));
        }
    }
    // A plain 2-D array needs no index.
    let image = render_slice(&values[..20], &[4, 5], (0, 1), &[], &options).unwrap();
    assert_eq!(pixel(&image, 4, 3), [19; 3]);
}

#[test]
fn slice_scale_is_whole_tensor_or_slice_alone() {
    let values: Vec<f32> = (0..8).map(|v| v as f32).collect();
    let shape = [2, 2, 2];
    let shared_options = SliceOptions {
        zoom: Some(1),
        ..SliceOptions::default()
    };
    // Second plane holds 4..=7: under the whole tensor's range [0, 7] it starts at 4/7.
    let image = render_slice(&values, &shape, (1, 2), &[1], &shared_options).unwrap();
    assert_eq!(pixel(&image, 0, 0), Colormap::Gray.rgb(4.0 / 7.0));
    let own = SliceOptions {
        coloring: Coloring::new(Colormap::Gray, Scale::PerChannel),
        ..shared_options
    };
    let image = render_slice(&values, &shape, (1, 2), &[1], &own).unwrap();
    assert_eq!(pixel(&image, 0, 0), [0; 3]);
    assert_eq!(pixel(&image, 1, 1), [255; 3]);
}

#[test]
fn bad_axes_and_indices_are_errors() {
    let (values, shape, options) = indexed_tensor();
    let slice = |axes, index: &[usize]| render_slice(&values, &shape, axes, index, &options);
    assert!(matches!(
        slice((1, 4), &[0, 0]),
        Err(RenderError::AxisOutOfRange { axis: 4, rank: 4 })
    ));
    assert!(matches!(
        slice((2, 2), &[0, 0]),
        Err(RenderError::SameAxis { axis: 2 })
    ));
    assert!(matches!(
        slice((0, 1), &[0]),
        Err(RenderError::IndexLength {
            expected: 2,
            got: 1
        })
    ));
    assert!(matches!(
        slice((0, 1), &[3, 5]),
        Err(RenderError::IndexOutOfRange {
            axis: 3,
            index: 5,
            size: 5
        })
    ));
    assert!(matches!(
        slice((0, 3), &[1, 4]),
        Err(RenderError::IndexOutOfRange {
            axis: 2,
            index: 4,
            size: 4
        })
    ));
    assert!(matches!(
        render_slice(&values, &[2, 3, 4, 6], (0, 1), &[0, 0], &options),
        Err(RenderError::ShapeMismatch {
            expected: 144,
            got: 120,
            ..
        })
    ));
    assert!(matches!(
        render_slice(&values[..5], &[5], (0, 1), &[], &options),
        Err(RenderError::AxisOutOfRange { axis: 1, rank: 1 })
    ));
    assert!(matches!(
        render_channel_grid(&values, &[2, 3, 20], &ChannelGridOptions::default()),
        Err(RenderError::Rank { .. })
    ));
    assert!(matches!(
        render_slice(&[], &[usize::MAX, 2], (0, 1), &[], &options),
        Err(RenderError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        render_slice(&[], &[0, 3], (0, 1), &[], &options),
        Err(RenderError::Empty { .. })
    ));
}

#[test]
fn bad_options_are_errors() {
    let values = vec![0.0; 4];
    let shape = [1, 1, 2, 2];
    let bad_range = ChannelGridOptions {
        coloring: Coloring {
            range: Some(ValueRange {
                low: 1.0,
                high: 0.0,
            }),
            ..Coloring::default()
        },
        ..ChannelGridOptions::default()
    };
    let bad_clip = ChannelGridOptions {
        coloring: Coloring {
            clip_percent: Some(50.0),
            ..Coloring::default()
        },
        ..ChannelGridOptions::default()
    };
    let zero_zoom = ChannelGridOptions {
        zoom: Some(0),
        ..ChannelGridOptions::default()
    };
    for (options, option) in [
        (bad_range, "range"),
        (bad_clip, "clip_percent"),
        (zero_zoom, "zoom"),
    ] {
        let result = render_channel_grid(&values, &shape, &options);
        assert!(
            matches!(&result, Err(RenderError::InvalidOption { option: o, .. }) if *o == option),
            "{result:?}"
        );
    }
}

#[test]
fn absurd_sizes_are_refused_before_allocating() {
    assert!(matches!(
        RgbImage::filled(u64::from(MAX_SIDE_PX) + 1, 1, [0; 3]),
        Err(RenderError::ImageSize { .. })
    ));
    assert!(matches!(
        RgbImage::filled(16_000, 16_000, [0; 3]),
        Err(RenderError::ImageSize { .. })
    ));
    assert!(RgbImage::filled(MAX_SIDE_PX.into(), 1, [0; 3]).is_ok());
    let values = vec![0.0; 4];
    let huge_zoom = ChannelGridOptions {
        zoom: Some(1 << 30),
        ..ChannelGridOptions::default()
    };
    assert!(matches!(
        render_channel_grid(&values, &[1, 1, 2, 2], &huge_zoom),
        Err(RenderError::ImageSize { .. })
    ));
    let wide = vec![0.0; 20_000];
    assert!(matches!(
        render_slice(&wide, &[1, 20_000], (0, 1), &[], &SliceOptions::default()),
        Err(RenderError::ImageSize {
            width_px: 20_000,
            height_px: 1
        })
    ));
    let huge_kernel = KernelGridOptions {
        zoom: Some(u32::MAX),
        ..KernelGridOptions::default()
    };
    assert!(matches!(
        render_kernel_grid(&values, &[1, 1, 2, 2], &huge_kernel),
        Err(RenderError::ImageSize { .. })
    ));
}

// ---------------------------------------------------------------- PNG

fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buffer).unwrap();
    assert_eq!(frame.color_type, png::ColorType::Rgb);
    assert_eq!(frame.bit_depth, png::BitDepth::Eight);
    buffer.truncate(frame.buffer_size());
    (frame.width, frame.height, buffer)
}

#[test]
fn png_round_trips_pixels() {
    let values = activation(5, 6, |k, y, x| (k as f32 - 2.0) * (y as f32 - x as f32));
    let options = ChannelGridOptions {
        coloring: shared(Colormap::Diverging),
        ..ChannelGridOptions::default()
    };
    let image = render_channel_grid(&values, &[1, 5, 6, 6], &options).unwrap();
    let bytes = image.to_png_bytes().unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(
        decode(&bytes),
        (image.width, image.height, image.pixels.clone())
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.png");
    image.write_png(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let missing = dir.path().join("no/such/dir/grid.png");
    assert!(matches!(
        image.write_png(&missing),
        Err(RenderError::Io { .. })
    ));
}

#[test]
fn inconsistent_images_are_not_encoded() {
    let broken = RgbImage {
        width: 4,
        height: 4,
        pixels: vec![0; 10],
    };
    assert!(matches!(
        broken.to_png_bytes(),
        Err(RenderError::PixelCount { bytes: 10, .. })
    ));
    let empty = RgbImage {
        width: 0,
        height: 3,
        pixels: Vec::new(),
    };
    assert!(matches!(
        empty.to_png_bytes(),
        Err(RenderError::ImageSize { .. })
    ));
}
