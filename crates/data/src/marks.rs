//! Burned-in marks: which blocks of a 2-D image hold bright (or dark), sharp-edged pixels, the
//! per-sample half of the `burned-in-mark` rule (the dataset half is `findings/marks.rs`).
//!
//! A pixel is a *mark pixel* when it is
//! - **extreme**: at or above `max(p99, max - 0.25 (max - p1))` of the sample's own values;
//! - **part of a stroke**: one of its 4 neighbours is extreme too (an isolated noise spike is not);
//! - **sharp-edged**: one of its 8 neighbours is at least `0.3 (max - p1)` darker;
//! - **clearly above its surroundings**: at least `0.3 (max - p1)` above the mean of the 3×3
//!   blocks around it, so text on a white page, or the inside of a large bright area, does not
//!   count, while white letters on an X-ray's dark corner do.
//!
//! Uniform background (an X-ray's black border, a white page) has no edges inside and never
//! counts. Dark marks (ink rulers, pen marks on skin, black text on a light photograph) are found
//! by the same rules on the negated image, so "darker" reads "brighter" and `p1`/`p99`, `min` and
//! `max` trade places; the two grids are kept apart.
//!
//! The image is cut into square blocks of [`MarkGrid::block_px`] pixels (8, doubled until the
//! grid is at most [`MAX_GRID_SIDE`] blocks a side); a block is marked when it holds at least
//! [`MIN_MARK_PIXELS`] mark pixels. The record keeps the marked blocks as runs, and for each the
//! box of its mark pixels (so a region can be drawn tighter than the blocks): a few dozen bytes
//! for a typical image, so it rides along in the partial summaries of sharded audits. Two passes
//! over the pixels: one to gray values and block sums, one to classify.

use crate::sample::SampleStats;
use glassbox_run::Array;
use serde::{Deserialize, Serialize};

/// Smallest block side, in pixels.
pub const MIN_BLOCK_PX: usize = 8;
/// Most blocks along either side of the grid; larger images get larger blocks.
pub const MAX_GRID_SIDE: usize = 64;
/// Mark pixels a block needs to be marked.
pub const MIN_MARK_PIXELS: usize = 3;
/// Extreme pixels are within this fraction of the range (`max - p1`) below the maximum.
const EXTREME_FRACTION: f64 = 0.25;
/// A sharp edge and the lift over the surroundings are at least this fraction of the range.
const EDGE_FRACTION: f64 = 0.3;

/// Which blocks of one 2-D image hold bright, sharp-edged pixels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkGrid {
    /// Image height (rows).
    pub height_px: usize,
    /// Image width (columns).
    pub width_px: usize,
    /// Side of a block; the last row and column of blocks may be cut short by the image edge.
    pub block_px: usize,
    /// Marked blocks as `[first, length]` runs of row-major block indices, ascending.
    pub runs: Vec<[u32; 2]>,
    /// For each marked block, in [`MarkGrid::blocks`] order, the box of its mark pixels relative
    /// to the block's corner: `[x0, y0, x1, y1]`, `x1`/`y1` exclusive.
    #[serde(default)]
    pub extents: Vec<[u16; 4]>,
}

impl MarkGrid {
    /// Rows of blocks.
    pub fn rows(&self) -> usize {
        self.height_px.div_ceil(self.block_px)
    }

    /// Columns of blocks.
    pub fn cols(&self) -> usize {
        self.width_px.div_ceil(self.block_px)
    }

    /// Row-major indices of the marked blocks, ascending.
    pub fn blocks(&self) -> impl Iterator<Item = usize> + '_ {
        self.runs
            .iter()
            .flat_map(|&[first, length]| first as usize..(first + length) as usize)
    }

    /// Whether the block at row-major `index` is marked.
    pub fn is_marked(&self, index: usize) -> bool {
        self.runs
            .iter()
            .any(|&[first, length]| (first as usize..(first + length) as usize).contains(&index))
    }

    /// The marked blocks with the pixel box of their mark pixels in image coordinates,
    /// `[x0, y0, x1, y1]` (exclusive ends); the whole block when no extent was recorded.
    pub fn marked_boxes(&self) -> impl Iterator<Item = (usize, [usize; 4])> + '_ {
        let cols = self.cols();
        self.blocks().enumerate().map(move |(i, block)| {
            let (x, y) = (
                (block % cols) * self.block_px,
                (block / cols) * self.block_px,
            );
            let whole = [0, 0, self.block_px as u16, self.block_px as u16];
            let [x0, y0, x1, y1] = self
                .extents
                .get(i)
                .copied()
                .unwrap_or(whole)
                .map(usize::from);
            let clip = |v: usize, limit: usize| v.min(limit);
            (
                block,
                [
                    clip(x + x0, self.width_px),
                    clip(y + y0, self.height_px),
                    clip(x + x1, self.width_px),
                    clip(y + y1, self.height_px),
                ],
            )
        })
    }

    fn from_blocks(
        height_px: usize,
        width_px: usize,
        block_px: usize,
        blocks: &[Option<[u16; 4]>],
    ) -> MarkGrid {
        let mut runs: Vec<[u32; 2]> = Vec::new();
        let mut extents = Vec::new();
        for (index, extent) in blocks.iter().enumerate() {
            let Some(extent) = extent else { continue };
            extents.push(*extent);
            let index = index as u32;
            match runs.last_mut() {
                Some([first, length]) if *first + *length == index => *length += 1,
                _ => runs.push([index, 1]),
            }
        }
        MarkGrid {
            height_px,
            width_px,
            block_px,
            runs,
            extents,
        }
    }
}

/// The block side for an image: [`MIN_BLOCK_PX`], doubled until the grid fits
/// [`MAX_GRID_SIDE`].
pub fn block_px_for(height_px: usize, width_px: usize) -> usize {
    let mut block_px = MIN_BLOCK_PX;
    while height_px.max(width_px).div_ceil(block_px) > MAX_GRID_SIDE {
        block_px *= 2;
    }
    block_px
}

/// The marks of a sample, for 2-D images: `[H, W]` or `[H, W, C]` with `C <= 4` (colour is
/// averaged, alpha ignored), at least two blocks a side: `[bright, dark]`, the dark grid by the
/// same rules on the negated image (dark ink on a bright picture). None for anything else
/// (volumes, vectors). `stats` are the sample's own statistics (p1, p99, min and max set the
/// thresholds).
pub fn marks_of(array: &Array, stats: &SampleStats) -> Option<[MarkGrid; 2]> {
    let (height_px, width_px, channels) = match array.shape[..] {
        [h, w] => (h, w, 1),
        [h, w, c] if (1..=4).contains(&c) => (h, w, c),
        _ => return None,
    };
    if height_px < 2 * MIN_BLOCK_PX
        || width_px < 2 * MIN_BLOCK_PX
        || !crate::image::within_picture_limit(height_px, width_px)
    {
        return None;
    }
    let block_px = block_px_for(height_px, width_px);
    let empty = MarkGrid::from_blocks(height_px, width_px, block_px, &[]);
    let (Some(p1), Some(p99), Some(min), Some(max)) = (stats.p1, stats.p99, stats.min, stats.max)
    else {
        return Some([empty.clone(), empty]);
    };
    let mut image = Gray::of(array, height_px, width_px, channels, p1);
    let bright = image.grid(block_px, p1, p99, max);
    // Negated, p99 becomes the low percentile and min the maximum; non-finite values must then
    // sit at the low end too.
    if stats.nan + stats.inf > 0 {
        image = Gray::of(array, height_px, width_px, channels, p99);
    }
    image.values.iter_mut().for_each(|v| *v = -*v);
    let dark = image.grid(block_px, -p99, -p1, -min);
    Some([bright, dark])
}

struct Thresholds {
    /// Values at or above are extreme.
    extreme: f64,
    /// The drop to a neighbour and the lift over the surroundings.
    edge: f64,
}

/// One gray value per pixel, row-major.
struct Gray {
    height_px: usize,
    width_px: usize,
    values: Vec<f64>,
}

impl Gray {
    /// Averages the colour channels (alpha, the 2nd of 2 or 4th of 4, is left out); non-finite
    /// values become `floor`, so they are never extreme.
    fn of(array: &Array, height_px: usize, width_px: usize, channels: usize, floor: f64) -> Gray {
        let colours = match channels {
            2 => 1,
            4 => 3,
            c => c,
        };
        let mut values = vec![0.0; height_px * width_px];
        let mut index = 0usize;
        glassbox_tensor::for_each_le_value(array.dtype, &array.bytes, |v| {
            let channel = index % channels;
            if channel < colours {
                values[index / channels] += if v.is_finite() { v } else { floor };
            }
            index += 1;
        });
        if colours > 1 {
            for v in &mut values {
                *v /= colours as f64;
            }
        }
        Gray {
            height_px,
            width_px,
            values,
        }
    }

    /// The grid of bright marks, with the image's `p1`, `p99` and `max` setting the thresholds.
    fn grid(&self, block_px: usize, p1: f64, p99: f64, max: f64) -> MarkGrid {
        let range = max - p1;
        let blocks = if range > 0.0 {
            let thresholds = Thresholds {
                extreme: p99.max(max - EXTREME_FRACTION * range),
                edge: EDGE_FRACTION * range,
            };
            self.marked_blocks(block_px, &thresholds)
        } else {
            Vec::new()
        };
        MarkGrid::from_blocks(self.height_px, self.width_px, block_px, &blocks)
    }

    fn at(&self, row: usize, col: usize) -> f64 {
        self.values[row * self.width_px + col]
    }

    /// Per block, when it holds at least [`MIN_MARK_PIXELS`] mark pixels, their box relative
    /// to the block's corner.
    fn marked_blocks(&self, block_px: usize, thresholds: &Thresholds) -> Vec<Option<[u16; 4]>> {
        let rows = self.height_px.div_ceil(block_px);
        let cols = self.width_px.div_ceil(block_px);
        let surroundings = self.surrounding_means(block_px, rows, cols);
        let borders = Borders::of(self, thresholds.extreme);
        let mut counts = vec![0usize; rows * cols];
        let mut boxes = vec![[u16::MAX, u16::MAX, 0, 0]; rows * cols];
        for row in 0..self.height_px {
            for col in 0..self.width_px {
                let v = self.at(row, col);
                if v < thresholds.extreme {
                    continue;
                }
                let block = (row / block_px) * cols + col / block_px;
                if v - surroundings[block] >= thresholds.edge
                    && !borders.hold(row, col)
                    && self.is_stroke_with_edge(row, col, thresholds)
                {
                    counts[block] += 1;
                    let (x, y) = ((col % block_px) as u16, (row % block_px) as u16);
                    let b = &mut boxes[block];
                    *b = [b[0].min(x), b[1].min(y), b[2].max(x + 1), b[3].max(y + 1)];
                }
            }
        }
        counts
            .iter()
            .zip(boxes)
            .map(|(&n, b)| (n >= MIN_MARK_PIXELS).then_some(b))
            .collect()
    }

    /// Whether an extreme pixel has an extreme 4-neighbour and an 8-neighbour at least
    /// `thresholds.edge` darker.
    fn is_stroke_with_edge(&self, row: usize, col: usize, thresholds: &Thresholds) -> bool {
        let v = self.at(row, col);
        let (mut stroke, mut edge) = (false, false);
        for dr in -1isize..=1 {
            for dc in -1isize..=1 {
                if dr == 0 && dc == 0 {
                    continue;
                }
                let (Some(r), Some(c)) = (row.checked_add_signed(dr), col.checked_add_signed(dc))
                else {
                    continue;
                };
                if r >= self.height_px || c >= self.width_px {
                    continue;
                }
                let n = self.at(r, c);
                stroke |= (dr == 0 || dc == 0) && n >= thresholds.extreme;
                edge |= v - n >= thresholds.edge;
            }
        }
        stroke && edge
    }

    /// Per block, the mean value of the (up to) 3×3 blocks centred on it.
    fn surrounding_means(&self, block_px: usize, rows: usize, cols: usize) -> Vec<f64> {
        let mut sums = vec![0.0; rows * cols];
        let mut counts = vec![0usize; rows * cols];
        for row in 0..self.height_px {
            let base = (row / block_px) * cols;
            for col in 0..self.width_px {
                sums[base + col / block_px] += self.at(row, col);
                counts[base + col / block_px] += 1;
            }
        }
        let mut means = vec![0.0; rows * cols];
        for r in 0..rows {
            for c in 0..cols {
                let (mut sum, mut count) = (0.0, 0usize);
                for nr in r.saturating_sub(1)..(r + 2).min(rows) {
                    for nc in c.saturating_sub(1)..(c + 2).min(cols) {
                        sum += sums[nr * cols + nc];
                        count += counts[nr * cols + nc];
                    }
                }
                means[r * cols + c] = sum / count.max(1) as f64;
            }
        }
        means
    }
}

/// The bands of extreme pixels that reach the image's edge straight along a row or a column: a
/// black border or a collimator's frame, which is not a mark however sharp its inner edge.
struct Borders {
    /// Per row, how many pixels from the left edge are extreme, and from the right edge.
    left: Vec<usize>,
    right: Vec<usize>,
    /// Per column, how many pixels from the top edge are extreme, and from the bottom edge.
    top: Vec<usize>,
    bottom: Vec<usize>,
}

impl Borders {
    fn of(image: &Gray, extreme: f64) -> Borders {
        let (h, w) = (image.height_px, image.width_px);
        let run =
            |values: &mut dyn Iterator<Item = f64>| values.take_while(|&v| v >= extreme).count();
        Borders {
            left: (0..h)
                .map(|r| run(&mut (0..w).map(|c| image.at(r, c))))
                .collect(),
            right: (0..h)
                .map(|r| run(&mut (0..w).rev().map(|c| image.at(r, c))))
                .collect(),
            top: (0..w)
                .map(|c| run(&mut (0..h).map(|r| image.at(r, c))))
                .collect(),
            bottom: (0..w)
                .map(|c| run(&mut (0..h).rev().map(|r| image.at(r, c))))
                .collect(),
        }
    }

    /// Whether the pixel lies in such a band.
    fn hold(&self, row: usize, col: usize) -> bool {
        let (h, w) = (self.left.len(), self.top.len());
        col < self.left[row]
            || w - col <= self.right[row]
            || row < self.top[col]
            || h - row <= self.bottom[col]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glassbox_tensor::DType;

    fn stats_of(values: &[f64]) -> SampleStats {
        let mut sorted = values.to_vec();
        let [p1, p50, p99] = crate::sample::percentiles(&mut sorted, [1.0, 50.0, 99.0]);
        SampleStats {
            count: values.len() as u64,
            min: values.iter().copied().reduce(f64::min),
            max: values.iter().copied().reduce(f64::max),
            mean: None,
            std: None,
            zeros: 0,
            zero_fraction: 0.0,
            nan: 0,
            inf: 0,
            p1,
            p50,
            p99,
        }
    }

    /// The `[bright, dark]` grids of a gray `u8` image drawn by `pixel(row, col)`.
    fn grids_of(height: usize, width: usize, pixel: impl Fn(usize, usize) -> u8) -> [MarkGrid; 2] {
        let bytes: Vec<u8> = (0..height * width)
            .map(|i| pixel(i / width, i % width))
            .collect();
        let values: Vec<f64> = bytes.iter().map(|&b| b as f64).collect();
        let array = Array {
            dtype: DType::U8,
            shape: vec![height, width, 1],
            bytes,
        };
        marks_of(&array, &stats_of(&values)).unwrap()
    }

    fn grid_of(height: usize, width: usize, pixel: impl Fn(usize, usize) -> u8) -> MarkGrid {
        let [bright, _] = grids_of(height, width, pixel);
        bright
    }

    #[test]
    fn white_letters_on_a_dark_corner_mark_their_blocks_only() {
        // A 2-px-wide white "L" at rows 10..30, cols 12..30 on a smooth gray gradient.
        let grid = grid_of(64, 64, |r, c| {
            let letter = (10..30).contains(&r) && (12..14).contains(&c)
                || (28..30).contains(&r) && (12..30).contains(&c);
            if letter {
                255
            } else {
                (40 + r + c) as u8
            }
        });
        assert_eq!((grid.rows(), grid.cols(), grid.block_px), (8, 8, 8));
        let marked: Vec<usize> = grid.blocks().collect();
        // Blocks (row, col): the stem in col 1, rows 1..=3; the foot in row 3, cols 1..=3.
        assert_eq!(marked, vec![9, 17, 25, 26, 27], "{grid:?}");
        assert!(grid.is_marked(26) && !grid.is_marked(0));
        // The letter's pixels, not the whole blocks: the stem's top, the foot's right end.
        let boxes: Vec<_> = grid.marked_boxes().collect();
        assert_eq!(boxes[0], (9, [12, 10, 14, 16]));
        assert_eq!(boxes[4], (27, [24, 28, 30, 30]));
    }

    #[test]
    fn uniform_background_and_smooth_shapes_are_not_marks() {
        // Black border, white page interior: extreme, but edges only where they meet, and the
        // white side is not above its (mostly white) surroundings there.
        let page = grid_of(64, 64, |r, c| {
            if (4..60).contains(&r) && (4..60).contains(&c) {
                255
            } else {
                0
            }
        });
        let interior_marked = page
            .blocks()
            .filter(|&b| (1..7).contains(&(b / 8)) && (1..7).contains(&(b % 8)))
            .count();
        assert_eq!(interior_marked, 0, "{page:?}");
        // A smooth bright blob has no sharp edge.
        let blob = grid_of(64, 64, |r, c| {
            let d2 = (r as f64 - 32.0).powi(2) + (c as f64 - 32.0).powi(2);
            (255.0 * (-d2 / 200.0).exp()) as u8
        });
        assert_eq!(blob.runs, Vec::<[u32; 2]>::new());
    }

    #[test]
    fn dark_letters_on_a_bright_picture_are_dark_marks_only() {
        // The "L" of the bright test, black on a bright gradient.
        let [bright, dark] = grids_of(64, 64, |r, c| {
            let letter = (10..30).contains(&r) && (12..14).contains(&c)
                || (28..30).contains(&r) && (12..30).contains(&c);
            if letter {
                0
            } else {
                (215 - r / 2 - c / 2) as u8
            }
        });
        assert_eq!(bright.runs, Vec::<[u32; 2]>::new(), "{bright:?}");
        assert_eq!(dark.blocks().collect::<Vec<_>>(), vec![9, 17, 25, 26, 27]);
        let boxes: Vec<_> = dark.marked_boxes().collect();
        assert_eq!(boxes[0], (9, [12, 10, 14, 16]));
    }

    #[test]
    fn a_border_band_reaching_the_edge_is_a_frame_not_a_mark() {
        // A black border (5 px at the top and left, 3 at the right and bottom) around a bright
        // gradient, and a black 2-px bar inside that does not touch the border.
        let [_, dark] = grids_of(64, 64, |r, c| {
            let border = r < 5 || c < 5 || r >= 61 || c >= 61;
            let bar = (40..42).contains(&r) && (20..44).contains(&c);
            if border || bar {
                0
            } else {
                (200 - r / 2 - c / 2) as u8
            }
        });
        // Only the bar's blocks: row 5, columns 2..=5.
        assert_eq!(
            dark.blocks().collect::<Vec<_>>(),
            vec![42, 43, 44, 45],
            "{dark:?}"
        );
    }

    #[test]
    fn isolated_bright_pixels_are_noise_not_marks() {
        let grid = grid_of(
            64,
            64,
            |r, c| if (r * 7 + c * 3) % 41 == 0 { 255 } else { 60 },
        );
        assert_eq!(grid.runs, Vec::<[u32; 2]>::new());
    }

    #[test]
    fn runs_round_trip_and_block_size_grows_with_the_image() {
        let e = Some([1, 2, 7, 8]);
        let blocks = [None, e, e, None, e, None, None, e];
        let grid = MarkGrid::from_blocks(16, 30, 8, &blocks);
        assert_eq!(grid.runs, vec![[1, 2], [4, 1], [7, 1]]);
        assert_eq!(grid.blocks().collect::<Vec<_>>(), vec![1, 2, 4, 7]);
        // Block 7 is row 1, col 3: x 24 + 1.. 24 + 7 (clipped to the width 30), y 8 + 2..16.
        let boxes: Vec<_> = grid.marked_boxes().collect();
        assert_eq!(boxes[0], (1, [9, 2, 15, 8]));
        assert_eq!(boxes[3], (7, [25, 10, 30, 16]));
        assert_eq!(block_px_for(256, 256), 8);
        assert_eq!(block_px_for(512, 300), 8);
        assert_eq!(block_px_for(513, 300), 16);
        assert_eq!(block_px_for(100, 2048), 32);
    }

    #[test]
    fn volumes_and_tiny_images_have_no_marks() {
        let array = Array {
            dtype: DType::U8,
            shape: vec![16, 16, 16],
            bytes: vec![0; 4096],
        };
        assert_eq!(marks_of(&array, &stats_of(&[0.0])), None);
        let tiny = Array {
            dtype: DType::U8,
            shape: vec![8, 64],
            bytes: vec![0; 512],
        };
        assert_eq!(marks_of(&tiny, &stats_of(&[0.0])), None);
    }
}
