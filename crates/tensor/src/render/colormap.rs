//! Colour maps from `t` in `[0, 1]` to sRGB, as piecewise-linear tables of control points.
//!
//! Viridis and magma are 33 evenly spaced samples (t = 0, 1/32, …, 1) of the published
//! perceptually uniform maps (van der Walt & Smith, as shipped by matplotlib), rounded to
//! 8 bits; linear interpolation between them stays within 2/255 of the full 256-entry tables.
//! The diverging map is ColorBrewer's 11-class RdBu, reversed (blue for low, red for high,
//! near-white in the middle), which is matplotlib's `RdBu_r`.

use super::RenderError;

/// Colour of NaN values under every map: magenta, which none of the maps contain.
pub const NAN_RGB: [u8; 3] = [255, 0, 255];

/// A colour map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Colormap {
    /// Black to white.
    Gray,
    /// Dark purple through teal to yellow; perceptually uniform.
    Viridis,
    /// Black through purple and orange to pale yellow; perceptually uniform.
    Magma,
    /// Blue, white at the middle, red (`RdBu_r`); meant for signed data centred on 0.
    Diverging,
}

impl Colormap {
    /// Every map, in the order the UI lists them.
    pub const ALL: [Colormap; 4] = [
        Colormap::Gray,
        Colormap::Viridis,
        Colormap::Magma,
        Colormap::Diverging,
    ];

    /// Looks a map up by name, ignoring case: `gray`/`grey`, `viridis`, `magma`,
    /// `diverging`/`rdbu_r`/`coolwarm`.
    pub fn from_name(name: &str) -> Result<Colormap, RenderError> {
        match name.to_ascii_lowercase().as_str() {
            "gray" | "grey" => Ok(Colormap::Gray),
            "viridis" => Ok(Colormap::Viridis),
            "magma" => Ok(Colormap::Magma),
            "diverging" | "rdbu_r" | "coolwarm" => Ok(Colormap::Diverging),
            _ => Err(RenderError::UnknownColormap {
                name: name.to_string(),
            }),
        }
    }

    /// The canonical name, as [`Colormap::from_name`] accepts it.
    pub fn name(self) -> &'static str {
        match self {
            Colormap::Gray => "gray",
            Colormap::Viridis => "viridis",
            Colormap::Magma => "magma",
            Colormap::Diverging => "diverging",
        }
    }

    /// Whether the map is meant for signed data centred on 0 (its middle is the zero).
    pub fn is_diverging(self) -> bool {
        self == Colormap::Diverging
    }

    /// The colour at `t`; `t` is clamped to `[0, 1]` and NaN gives [`NAN_RGB`].
    pub fn rgb(self, t: f32) -> [u8; 3] {
        if t.is_nan() {
            return NAN_RGB;
        }
        let t = t.clamp(0.0, 1.0);
        match self {
            Colormap::Gray => {
                let level = (t * 255.0).round() as u8;
                [level, level, level]
            }
            Colormap::Viridis => interpolate(&VIRIDIS, t),
            Colormap::Magma => interpolate(&MAGMA, t),
            Colormap::Diverging => interpolate(&RDBU_R, t),
        }
    }
}

impl std::str::FromStr for Colormap {
    type Err = RenderError;

    fn from_str(name: &str) -> Result<Colormap, RenderError> {
        Colormap::from_name(name)
    }
}

/// Linear interpolation between evenly spaced control points; `t` is in `[0, 1]`.
fn interpolate(points: &[[u8; 3]], t: f32) -> [u8; 3] {
    let last = points.len() - 1;
    let position = t * last as f32;
    let below = (position.floor() as usize).min(last - 1);
    let fraction = position - below as f32;
    let (low, high) = (points[below], points[below + 1]);
    let mut rgb = [0u8; 3];
    for channel in 0..3 {
        let (a, b) = (f32::from(low[channel]), f32::from(high[channel]));
        rgb[channel] = (a + (b - a) * fraction).round().clamp(0.0, 255.0) as u8;
    }
    rgb
}

/// Viridis at t = i/32.
const VIRIDIS: [[u8; 3]; 33] = [
    [68, 1, 84],
    [71, 13, 96],
    [72, 24, 106],
    [72, 35, 116],
    [71, 45, 123],
    [69, 54, 129],
    [66, 64, 134],
    [63, 73, 137],
    [59, 82, 139],
    [55, 90, 141],
    [51, 99, 141],
    [47, 106, 142],
    [44, 114, 142],
    [41, 122, 142],
    [38, 129, 142],
    [35, 137, 142],
    [33, 144, 140],
    [31, 152, 139],
    [31, 159, 136],
    [33, 166, 133],
    [40, 174, 128],
    [49, 181, 123],
    [62, 188, 116],
    [76, 194, 108],
    [93, 201, 99],
    [110, 206, 88],
    [130, 211, 76],
    [150, 216, 63],
    [171, 220, 50],
    [192, 223, 36],
    [213, 226, 26],
    [234, 229, 26],
    [253, 231, 37],
];

/// Magma at t = i/32.
const MAGMA: [[u8; 3]; 33] = [
    [0, 0, 4],
    [3, 3, 17],
    [10, 8, 34],
    [19, 13, 51],
    [29, 17, 70],
    [40, 17, 90],
    [54, 16, 106],
    [67, 15, 118],
    [80, 18, 124],
    [93, 23, 127],
    [105, 28, 129],
    [118, 33, 129],
    [130, 38, 129],
    [143, 42, 129],
    [156, 46, 127],
    [169, 50, 125],
    [182, 55, 121],
    [195, 59, 117],
    [207, 65, 112],
    [219, 72, 106],
    [230, 81, 99],
    [238, 92, 94],
    [245, 105, 92],
    [249, 120, 93],
    [251, 135, 97],
    [253, 150, 104],
    [254, 165, 113],
    [254, 180, 123],
    [254, 195, 135],
    [254, 209, 148],
    [253, 224, 162],
    [252, 238, 176],
    [252, 253, 191],
];

/// ColorBrewer RdBu (11 classes) reversed, at t = i/10; t = 0.5 is (247, 247, 247).
const RDBU_R: [[u8; 3]; 11] = [
    [5, 48, 97],
    [33, 102, 172],
    [67, 147, 195],
    [146, 197, 222],
    [209, 229, 240],
    [247, 247, 247],
    [253, 219, 199],
    [244, 165, 130],
    [214, 96, 77],
    [178, 24, 43],
    [103, 0, 31],
];
