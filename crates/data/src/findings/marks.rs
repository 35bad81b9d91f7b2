//! Burned-in marks: the same bright (or dark), sharp-edged patch at the same place in many
//! images (text tags, rulers, corner labels, ink), a shortcut a model learns instead of the
//! anatomy.
//!
//! Works on the per-sample [`MarkGrid`]s of [`crate::marks`], the bright and the dark ones
//! apart (bright findings first). A tag keeps its pixel offset from one corner when images
//! differ in size, so the images are looked at from each of the four corners: in a corner's
//! *frame*, a cell is the square at the same distances from that corner in every image (as
//! large as the commonest block size), and an image marks the cells its mark-pixel boxes
//! overlap. In each frame of at least [`MIN_CARRIERS`] images, a cell is *frequent* when it is
//! marked in at least
//! `max(3, 5% of the images)` images and more often than chance allows: the rate `p` at which
//! images mark the least-marked 3/4 of the cells (so the tags themselves, up to a quarter of
//! the image, do not raise it) gives the binomial bound `M p + 4 sqrt(M p (1 - p))`. Frequent
//! cells joined by their 8 neighbours are a region; an image carries the region when at least
//! half of the region's cells are marked in it, or have a marked 4-neighbour (a tag jittered
//! across a cell border), and a region carried by at least
//! [`MIN_CARRIERS`] images is a candidate. The region is drawn in pixels from the carriers'
//! mark-pixel boxes (see [`region_px`]), not rounded to cells.
//!
//! The same tag shows up in several frames (in all four when the images have one size): the
//! candidate with the most carriers is kept, then the one with the smallest region (seen from
//! the wrong corner, a tag on images of several sizes smears), top-left first among equals,
//! and a candidate that overlaps a kept one on a shared image is the same tag. A region of one image size, or seen
//! from the top-left, holds in every carrier as it is; otherwise it gets an
//! [`Anchor`](super::Anchor): coordinates for the commonest size, distances from the corner for
//! the rest. A mark in every image is reported too (it may differ between this set and the
//! next, or between classes); the message says so.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::{examples, paths, Anchor, Context, Corner, Finding, Region, Severity};
use crate::marks::MarkGrid;
use crate::sample::SampleRecord;

/// Fewest images that must carry a region for it to be reported.
pub const MIN_CARRIERS: usize = 3;
/// Fewest images, as a fraction of all, in which a cell must be marked.
const MIN_FRACTION: f64 = 0.05;
/// Standard deviations above the chance count a frequent block needs.
const CHANCE_SIGMAS: f64 = 4.0;

/// The images with a mark grid, each with it.
type Group<'a> = [(&'a SampleRecord, &'a MarkGrid)];

/// One finding per region where many images carry a bright, or a dark, sharp-edged patch.
pub fn burned_in_mark(context: &Context) -> Vec<Finding> {
    let bright = findings_of(context, "bright", |sample| sample.marks.as_ref());
    let dark = findings_of(context, "dark", |sample| sample.dark_marks.as_ref());
    bright.into_iter().chain(dark).collect()
}

/// The findings over the grids `grid_of` picks, in a message calling the marks `kind`.
fn findings_of(
    context: &Context,
    kind: &str,
    grid_of: impl Fn(&SampleRecord) -> Option<&MarkGrid>,
) -> Vec<Finding> {
    let members: Vec<(&SampleRecord, &MarkGrid)> = context
        .samples
        .iter()
        .filter_map(|sample| Some((sample, grid_of(sample)?)))
        .collect();
    if members.len() < MIN_CARRIERS {
        return Vec::new();
    }
    findings_in(&members, kind)
}

/// The block size most images have, the smallest among equals.
fn commonest_block_px(members: &Group) -> usize {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for (_, grid) in members {
        *counts.entry(grid.block_px).or_default() += 1;
    }
    let most = counts.values().copied().max().unwrap_or(0);
    counts
        .into_iter()
        .find(|&(_, n)| n == most)
        .map_or(crate::marks::MIN_BLOCK_PX, |(block_px, _)| block_px)
}

/// A region found in one corner's frame.
struct Candidate {
    corner: Corner,
    /// Indices of the carrying images, ascending.
    carriers: Vec<usize>,
    /// The region in the frame: distances from the corner, as a box.
    frame_box: [usize; 4],
}

fn findings_in(members: &Group, kind: &str) -> Vec<Finding> {
    let mut candidates: Vec<Candidate> = Corner::ALL
        .iter()
        .flat_map(|&corner| Frame::new(members, corner).candidates(members))
        .collect();
    // Most carriers first, then the tightest region: seen from the wrong corner, a tag on
    // images of several sizes smears over several places. Stable: among equals the top-left
    // frame, then the first region in it, stays first.
    candidates.sort_by_key(|c| {
        let [x0, y0, x1, y1] = c.frame_box;
        (Reverse(c.carriers.len()), (x1 - x0) * (y1 - y0))
    });
    let mut kept: Vec<Candidate> = Vec::new();
    for candidate in candidates {
        if !kept.iter().any(|k| same_mark(members, k, &candidate)) {
            kept.push(candidate);
        }
    }
    kept.iter().map(|c| finding(members, c, kind)).collect()
}

/// Whether two candidates overlap in an image both say carries them.
fn same_mark(members: &Group, a: &Candidate, b: &Candidate) -> bool {
    b.carriers
        .iter()
        .filter(|i| a.carriers.binary_search(i).is_ok())
        .any(|&i| {
            let grid = members[i].1;
            let (w, h) = (grid.width_px, grid.height_px);
            let [ax0, ay0, ax1, ay1] = a.corner.flip(a.frame_box, w, h);
            let [bx0, by0, bx1, by1] = b.corner.flip(b.frame_box, w, h);
            ax0 < bx1 && bx0 < ax1 && ay0 < by1 && by0 < ay1
        })
}

/// One corner's view of the images: per image, the cells its mark boxes overlap.
struct Frame {
    corner: Corner,
    block_px: usize,
    rows: usize,
    cols: usize,
    /// Per image, its marked cells (row-major), ascending.
    marked: Vec<Vec<usize>>,
}

impl Frame {
    fn new(members: &Group, corner: Corner) -> Frame {
        let block_px = commonest_block_px(members);
        let rows = members
            .iter()
            .map(|(_, g)| g.height_px.div_ceil(block_px))
            .max();
        let cols = members
            .iter()
            .map(|(_, g)| g.width_px.div_ceil(block_px))
            .max();
        let (rows, cols) = (rows.unwrap_or(0), cols.unwrap_or(0));
        let mut frame = Frame {
            corner,
            block_px,
            rows,
            cols,
            marked: Vec::with_capacity(members.len()),
        };
        for (_, grid) in members {
            let mut cells: Vec<usize> = grid
                .marked_boxes()
                .flat_map(|(_, bx)| frame.cells(frame.boxed(grid, bx)))
                .collect();
            cells.sort_unstable();
            cells.dedup();
            frame.marked.push(cells);
        }
        frame
    }

    /// A box of `grid`'s image in this frame.
    fn boxed(&self, grid: &MarkGrid, bx: [usize; 4]) -> [usize; 4] {
        self.corner.flip(bx, grid.width_px, grid.height_px)
    }

    /// The cells a frame box overlaps.
    fn cells(&self, [x0, y0, x1, y1]: [usize; 4]) -> impl Iterator<Item = usize> {
        let (bp, rows, cols) = (self.block_px, self.rows, self.cols);
        let span =
            |lo: usize, hi: usize, n: usize| (lo / bp).min(n)..(hi.max(lo + 1).div_ceil(bp)).min(n);
        let xs = span(x0, x1, cols);
        span(y0, y1, rows).flat_map(move |r| xs.clone().map(move |c| r * cols + c))
    }

    fn candidates(&self, members: &Group) -> Vec<Candidate> {
        let mut counts = vec![0usize; self.rows * self.cols];
        for cells in &self.marked {
            for &cell in cells {
                counts[cell] += 1;
            }
        }
        let needed = frequent_count(members.len(), &counts);
        let frequent: Vec<bool> = counts.iter().map(|&n| n >= needed).collect();
        regions(&frequent, self.rows, self.cols)
            .into_iter()
            .filter_map(|cells| {
                let carriers: Vec<usize> = (0..members.len())
                    .filter(|&i| {
                        let hits = cells.iter().filter(|&&c| self.marks_at(i, c));
                        2 * hits.count() >= cells.len()
                    })
                    .collect();
                (carriers.len() >= MIN_CARRIERS).then(|| Candidate {
                    corner: self.corner,
                    frame_box: self.region_px(members, &cells, &carriers),
                    carriers,
                })
            })
            .collect()
    }

    /// Whether image `i` marks `cell` or one of its 4 neighbours: a tag jittered across a cell
    /// border (a thin ruler 2 px higher) marks the next row of cells instead.
    fn marks_at(&self, i: usize, cell: usize) -> bool {
        let (rows, cols) = (self.rows, self.cols);
        let (r, c) = (cell / cols, cell % cols);
        let near = [
            Some(cell),
            (r > 0).then(|| cell - cols),
            (r + 1 < rows).then(|| cell + cols),
            (c > 0).then(|| cell - 1),
            (c + 1 < cols).then(|| cell + 1),
        ];
        let marked = &self.marked[i];
        near.into_iter()
            .flatten()
            .any(|n| marked.binary_search(&n).is_ok())
    }

    /// The region in frame pixels: per carrier, the box around its mark boxes that overlap the
    /// region's cells and their 8 neighbours (a jittered tag pokes into cells too few images
    /// mark); over the carriers, the 10th percentile of the left and top sides and the 90th of
    /// the right and bottom, so one carrier's stray mark next to the tag does not widen it.
    fn region_px(&self, members: &Group, cells: &[usize], carriers: &[usize]) -> [usize; 4] {
        let (rows, cols) = (self.rows, self.cols);
        let mut near = vec![false; rows * cols];
        for &cell in cells {
            let (r, c) = (cell / cols, cell % cols);
            for nr in r.saturating_sub(1)..(r + 2).min(rows) {
                for nc in c.saturating_sub(1)..(c + 2).min(cols) {
                    near[nr * cols + nc] = true;
                }
            }
        }
        let mut sides: [Vec<usize>; 4] = Default::default();
        for &i in carriers {
            let grid = members[i].1;
            let boxes = grid
                .marked_boxes()
                .map(|(_, bx)| self.boxed(grid, bx))
                .filter(|&bx| self.cells(bx).any(|cell| near[cell]));
            let union = boxes.fold(None, |acc: Option<[usize; 4]>, [x0, y0, x1, y1]| {
                Some(match acc {
                    None => [x0, y0, x1, y1],
                    Some(a) => [a[0].min(x0), a[1].min(y0), a[2].max(x1), a[3].max(y1)],
                })
            });
            for (side, value) in sides.iter_mut().zip(union.into_iter().flatten()) {
                side.push(value);
            }
        }
        for side in &mut sides {
            side.sort_unstable();
        }
        let low = |side: &[usize]| {
            let last = side.len().saturating_sub(1);
            side.get(last / 10).copied().unwrap_or(0)
        };
        let high = |side: &[usize]| {
            let last = side.len().saturating_sub(1);
            side.get(last - last / 10).copied().unwrap_or(0)
        };
        [
            low(&sides[0]),
            low(&sides[1]),
            high(&sides[2]),
            high(&sides[3]),
        ]
    }
}

/// How many images must mark a block for it to be frequent (see the module doc).
fn frequent_count(images: usize, counts: &[usize]) -> usize {
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    let usual = &sorted[..(3 * sorted.len()).div_ceil(4)];
    let m = images as f64;
    let p = usual.iter().sum::<usize>() as f64 / (m * usual.len() as f64).max(1.0);
    let chance = m * p + CHANCE_SIGMAS * (m * p * (1.0 - p)).sqrt();
    MIN_CARRIERS
        .max((MIN_FRACTION * m).ceil() as usize)
        .max(chance.floor() as usize + 1)
}

/// The 8-connected components of the `frequent` blocks, each as row-major indices, ascending,
/// in the order of their first block.
fn regions(frequent: &[bool], rows: usize, cols: usize) -> Vec<Vec<usize>> {
    let mut seen = vec![false; frequent.len()];
    let mut out = Vec::new();
    for start in 0..frequent.len() {
        if !frequent[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        let mut stack = vec![start];
        let mut blocks = Vec::new();
        while let Some(block) = stack.pop() {
            blocks.push(block);
            let (r, c) = (block / cols, block % cols);
            for nr in r.saturating_sub(1)..(r + 2).min(rows) {
                for nc in c.saturating_sub(1)..(c + 2).min(cols) {
                    let next = nr * cols + nc;
                    if frequent[next] && !seen[next] {
                        seen[next] = true;
                        stack.push(next);
                    }
                }
            }
        }
        blocks.sort_unstable();
        out.push(blocks);
    }
    out
}

/// The finding for a kept candidate.
fn finding(members: &Group, candidate: &Candidate, kind: &str) -> Finding {
    let carriers: Vec<&(&SampleRecord, &MarkGrid)> =
        candidate.carriers.iter().map(|&i| &members[i]).collect();
    // The commonest size among the carriers, the first one seen among equals.
    let mut sizes: Vec<((usize, usize), usize)> = Vec::new();
    for (_, grid) in &carriers {
        let size = (grid.width_px, grid.height_px);
        match sizes.iter_mut().find(|(s, _)| *s == size) {
            Some((_, n)) => *n += 1,
            None => sizes.push((size, 1)),
        }
    }
    let ((width, height), _) =
        sizes
            .iter()
            .copied()
            .fold(((0, 0), 0), |best, s| if s.1 > best.1 { s } else { best });
    let [x0, y0, x1, y1] = candidate.corner.flip(candidate.frame_box, width, height);
    let anchor = (sizes.len() > 1 && candidate.corner != Corner::TopLeft).then_some(Anchor {
        corner: candidate.corner,
        width_px: width,
        height_px: height,
    });
    let region = Region {
        x0,
        y0,
        x1,
        y1,
        anchor,
    };
    let samples = paths(carriers.iter().map(|(sample, _)| *sample));
    let everyone = if carriers.len() == members.len() {
        "every image; "
    } else {
        ""
    };
    let sized = match sizes.len() {
        1 => format!("{width}x{height} px images"),
        n => format!("images of {n} sizes"),
    };
    let message = format!(
        "{} of {} images carry a {kind}, sharp-edged patch at {region} ({everyone}{sized}: {}): \
         a burned-in tag or label a model can learn as a shortcut",
        carriers.len(),
        members.len(),
        examples(&samples, 3)
    );
    let mut finding = Finding::new("burned-in-mark", Severity::Warning, message, samples);
    finding.region = Some(region);
    finding
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequent_blocks_need_three_five_percent_and_more_than_chance() {
        // 40 images, 1024 blocks, a tag on 20 blocks of 12 images: three images suffice.
        let mut counts = vec![0; 1024];
        counts[..20].fill(12);
        assert_eq!(frequent_count(40, &counts), 3);
        // 1000 images: 5% is 50.
        assert_eq!(frequent_count(1000, &counts), 50);
        // Marks everywhere (a page of text, each block in 40% of the images): chance alone
        // needs many more.
        assert!(frequent_count(40, &[16; 1024]) > 20);
        // Scattered noise marks (each block in 1 of 40 images): above what three would allow.
        assert!(frequent_count(40, &[1; 1024]) > 3);
    }

    #[test]
    fn regions_join_diagonal_neighbours_and_split_apart_ones() {
        // 4x4 grid: blocks 0, 5 (diagonal) and 3 (apart).
        let mut frequent = vec![false; 16];
        for b in [0, 5, 3] {
            frequent[b] = true;
        }
        assert_eq!(regions(&frequent, 4, 4), vec![vec![0, 5], vec![3]]);
    }
}
