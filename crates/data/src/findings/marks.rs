//! Burned-in marks: the same bright, sharp-edged patch at the same place in many images (text
//! tags, rulers, corner labels), a shortcut a model learns instead of the anatomy.
//!
//! Works on the per-sample [`MarkGrid`]s of [`crate::marks`]. Images are grouped by size (height,
//! width; the block size follows from it); images of different sizes are not compared, because a
//! tag keeps its pixel offset from a corner when an image is larger, which relative coordinates
//! would smear. In each group of at least [`MIN_CARRIERS`] images, a block is *frequent* when
//! it is marked in at least `max(3, 5% of the group)` images and more often than chance
//! allows: the rate `p` at which images mark the least-marked 3/4 of the blocks (so the tags
//! themselves, up to a quarter of the image, do not raise it) gives the binomial bound
//! `M p + 4 sqrt(M p (1 - p))`. Frequent blocks joined by their 8 neighbours are a region; an
//! image carries the region when at least half of the region's blocks are marked in it, and a
//! region carried by at least [`MIN_CARRIERS`] images is a finding. The region is drawn in
//! pixels from the carriers' mark-pixel boxes (see [`region_px`]), not rounded to blocks.
//! A mark in every image is
//! reported too (it may differ between this set and the next, or between classes); the
//! message says so.

use std::collections::BTreeMap;

use super::{examples, paths, Context, Finding, Region, Severity};
use crate::marks::MarkGrid;
use crate::sample::SampleRecord;

/// Fewest images that must carry a region for it to be reported.
pub const MIN_CARRIERS: usize = 3;
/// Fewest images, as a fraction of the size group, in which a block must be marked.
const MIN_FRACTION: f64 = 0.05;
/// Standard deviations above the chance count a frequent block needs.
const CHANCE_SIGMAS: f64 = 4.0;

/// The images of one size, each with its grid.
type Group<'a> = Vec<(&'a SampleRecord, &'a MarkGrid)>;

/// One finding per region where many images of one size carry a bright, sharp-edged patch.
pub fn burned_in_mark(context: &Context) -> Vec<Finding> {
    let mut groups: BTreeMap<(usize, usize, usize), Group> = BTreeMap::new();
    for sample in context.samples {
        if let Some(grid) = &sample.marks {
            let key = (grid.height_px, grid.width_px, grid.block_px);
            groups.entry(key).or_default().push((sample, grid));
        }
    }
    groups
        .values()
        .filter(|members| members.len() >= MIN_CARRIERS)
        .flat_map(|members| group_findings(members))
        .collect()
}

fn group_findings(members: &[(&SampleRecord, &MarkGrid)]) -> Vec<Finding> {
    let grid = members[0].1;
    let (rows, cols) = (grid.rows(), grid.cols());
    let mut counts = vec![0usize; rows * cols];
    for (_, grid) in members {
        for block in grid.blocks() {
            if let Some(count) = counts.get_mut(block) {
                *count += 1;
            }
        }
    }
    let needed = frequent_count(members.len(), &counts);
    let frequent: Vec<bool> = counts.iter().map(|&n| n >= needed).collect();
    regions(&frequent, rows, cols)
        .into_iter()
        .filter_map(|blocks| finding(members, &blocks))
        .collect()
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

/// The finding for one region, if at least [`MIN_CARRIERS`] images carry it.
fn finding(members: &[(&SampleRecord, &MarkGrid)], blocks: &[usize]) -> Option<Finding> {
    let carriers: Vec<(&SampleRecord, &MarkGrid)> = members
        .iter()
        .filter(|(_, grid)| {
            let marked = blocks.iter().filter(|&&b| grid.is_marked(b)).count();
            2 * marked >= blocks.len()
        })
        .copied()
        .collect();
    if carriers.len() < MIN_CARRIERS {
        return None;
    }
    let grid = members[0].1;
    let grids: Vec<&MarkGrid> = carriers.iter().map(|(_, grid)| *grid).collect();
    let region = region_px(grid, blocks, &grids);
    let samples = paths(carriers.iter().map(|(sample, _)| *sample));
    let everyone = if carriers.len() == members.len() {
        "every image of this size; "
    } else {
        ""
    };
    let message = format!(
        "{} of {} images carry a bright, sharp-edged patch at x {}..{}, y {}..{} ({}{}x{} px \
         images: {}): a burned-in tag or label a model can learn as a shortcut",
        carriers.len(),
        members.len(),
        region.x0,
        region.x1,
        region.y0,
        region.y1,
        everyone,
        grid.width_px,
        grid.height_px,
        examples(&samples, 3)
    );
    let mut finding = Finding::new("burned-in-mark", Severity::Warning, message, samples);
    finding.region = Some(region);
    Some(finding)
}

/// The region in pixels: per carrier, the box of its mark pixels in the region's blocks and
/// their 8 neighbours (a jittered tag pokes into blocks too few images mark); over the
/// carriers, the 10th percentile of the left and top sides and the 90th of the right and
/// bottom, so one carrier's stray mark next to the tag does not widen it.
fn region_px(grid: &MarkGrid, blocks: &[usize], carriers: &[&MarkGrid]) -> Region {
    let (rows, cols) = (grid.rows(), grid.cols());
    let mut near = vec![false; rows * cols];
    for &b in blocks {
        let (r, c) = (b / cols, b % cols);
        for nr in r.saturating_sub(1)..(r + 2).min(rows) {
            for nc in c.saturating_sub(1)..(c + 2).min(cols) {
                near[nr * cols + nc] = true;
            }
        }
    }
    let mut sides: [Vec<usize>; 4] = Default::default();
    for carrier in carriers {
        let boxes = carrier
            .marked_boxes()
            .filter(|(b, _)| near.get(*b).copied().unwrap_or(false));
        let union = boxes.fold(None, |acc: Option<[usize; 4]>, (_, [x0, y0, x1, y1])| {
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
    Region {
        x0: low(&sides[0]),
        y0: low(&sides[1]),
        x1: high(&sides[2]),
        y1: high(&sides[3]),
    }
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
