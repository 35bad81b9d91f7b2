//! `--images DIR`: PNG pictures of captured activations (channel grids for 4D/5D, a 2D slice
//! for other ranks), of convolution kernels (kernel grids) and of the slices asked for with
//! `--slice`, with `index.json` mapping tensor names (and slice requests) to files.

use anyhow::Context as _;
use glassbox_model::graph::{ElemType, Model};
use glassbox_run::capture::values_f32;
use glassbox_run::Capture;
use glassbox_tensor::render::{
    render_channel_grid, render_kernel_grid, render_slice, ChannelGridOptions, Coloring, Colormap,
    KernelGridOptions, Scale, SliceOptions,
};
use std::collections::BTreeMap;
use std::path::Path;

/// How pictures are coloured.
pub struct Style {
    /// Colormap for unsigned data; signed data (min < 0 < max) uses the diverging map unless
    /// `force` is set.
    pub colormap: Colormap,
    /// Use `colormap` for signed data too.
    pub force: bool,
    /// One colour scale across all channels instead of one per channel.
    pub shared: bool,
    /// Slices asked for with `--slice`.
    pub slices: Vec<SliceRequest>,
}

/// A 2D slice of a captured tensor, written `NAME@ROW,COL` or `NAME@ROW,COL@I,J,...`: the
/// plane spanned by axes ROW (image rows) and COL (image columns), at index I, J, ... of the
/// other axes in increasing axis order (default: the middle of each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SliceRequest {
    /// Captured tensor name.
    pub tensor: String,
    /// (row axis, column axis).
    pub axes: (usize, usize),
    /// Index along every other axis, or `None` for their middles.
    pub index: Option<Vec<usize>>,
}

impl std::str::FromStr for SliceRequest {
    type Err = String;

    fn from_str(text: &str) -> Result<SliceRequest, String> {
        let usage = || format!("`{text}`: expected NAME@ROW,COL or NAME@ROW,COL@I,J,...");
        let numbers = |part: &str| -> Result<Vec<usize>, String> {
            part.split(',')
                .map(|n| n.trim().parse::<usize>().map_err(|_| usage()))
                .collect()
        };
        let parts: Vec<&str> = text.rsplitn(3, '@').collect();
        let axes_and_index = |axes: &str, index: Option<&str>, tensor: &str| {
            let axes = numbers(axes)?;
            let [row, col] = axes[..] else {
                return Err(usage());
            };
            if tensor.is_empty() || row == col {
                return Err(usage());
            }
            Ok(SliceRequest {
                tensor: tensor.to_string(),
                axes: (row, col),
                index: index.map(numbers).transpose()?,
            })
        };
        match parts[..] {
            // The last part is an index when there are three parts and both tails are numbers.
            [index, axes, tensor] if numbers(index).is_ok() && numbers(axes).is_ok() => {
                axes_and_index(axes, Some(index), tensor)
            }
            [axes, ..] if parts.len() >= 2 => {
                let tensor = &text[..text.len() - axes.len() - 1];
                axes_and_index(axes, None, tensor)
            }
            _ => Err(usage()),
        }
    }
}

impl SliceRequest {
    /// The key in `index.json`: the request as written, with the index filled in.
    fn key(&self, index: &[usize]) -> String {
        let list = |v: &[usize]| {
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        let key = format!("{}@{},{}", self.tensor, self.axes.0, self.axes.1);
        if index.is_empty() {
            key
        } else {
            format!("{key}@{}", list(index))
        }
    }
}

/// The middle of every axis other than `axes`, in increasing axis order.
fn middles(shape: &[usize], axes: (usize, usize)) -> Vec<usize> {
    (0..shape.len())
        .filter(|&a| a != axes.0 && a != axes.1)
        .map(|a| shape[a] / 2)
        .collect()
}

fn file_name(index: usize, tensor: &str) -> String {
    let clean: String = tensor
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = clean.trim_matches('_');
    let short: String = trimmed
        .chars()
        .rev()
        .take(80)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{index:04}_{short}.png")
}

/// Writes the pictures; returns how many were written.
pub fn write(dir: &Path, model: &Model, capture: &Capture, style: &Style) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut index = BTreeMap::new();
    let coloring = |signed: bool| {
        let colormap = if signed && !style.force {
            Colormap::Diverging
        } else {
            style.colormap
        };
        Coloring::new(
            colormap,
            if style.shared {
                Scale::Shared
            } else {
                Scale::PerChannel
            },
        )
    };
    for captured in &capture.tensors {
        let rank = captured.shape.len();
        if rank < 2 || captured.shape.iter().product::<usize>() == 0 {
            continue;
        }
        let Some(values) = values_f32(captured) else {
            continue;
        };
        let signed = captured
            .summary
            .as_ref()
            .is_some_and(|s| s.moments.min < 0.0 && s.moments.max > 0.0);
        if !matches!(rank, 4 | 5) {
            // Matrices, sequences and higher ranks: the plane of the last two axes.
            let axes = (rank - 2, rank - 1);
            let options = SliceOptions {
                coloring: coloring(signed),
                zoom: None,
            };
            let at = middles(&captured.shape, axes);
            let image = render_slice(&values, &captured.shape, axes, &at, &options)
                .with_context(|| format!("cannot draw `{}`", captured.name))?;
            let file = file_name(index.len(), &captured.name);
            image.write_png(&dir.join(&file))?;
            index.insert(captured.name.clone(), file);
            continue;
        }
        let options = ChannelGridOptions {
            coloring: coloring(signed),
            ..ChannelGridOptions::default()
        };
        let image = render_channel_grid(&values, &captured.shape, &options)
            .with_context(|| format!("cannot draw `{}`", captured.name))?;
        let file = file_name(index.len(), &captured.name);
        image.write_png(&dir.join(&file))?;
        index.insert(captured.name.clone(), file);
    }
    let graph = &model.graph;
    for node in graph
        .nodes
        .iter()
        .filter(|n| n.op == "Conv" || n.op == "ConvTranspose")
    {
        let Some(weight) = node
            .inputs
            .get(1)
            .copied()
            .flatten()
            .map(|w| &graph.tensors[w])
        else {
            continue;
        };
        let (Some(data), ElemType::Numeric(dtype), Some(dims)) =
            (&weight.data, weight.elem_type, weight.shape.fixed_dims())
        else {
            continue;
        };
        if index.contains_key(&weight.name) || !matches!(dims.len(), 3..=5) {
            continue;
        }
        let mut values = Vec::with_capacity(data.bytes.len() / dtype.size_bytes());
        glassbox_tensor::for_each_le_value(dtype, &data.bytes, |v| values.push(v as f32));
        let shape: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
        let options = KernelGridOptions {
            coloring: Coloring::new(Colormap::Diverging, Scale::Shared),
            ..KernelGridOptions::default()
        };
        let image = render_kernel_grid(&values, &shape, &options)
            .with_context(|| format!("cannot draw kernel `{}`", weight.name))?;
        let file = file_name(index.len(), &weight.name);
        image.write_png(&dir.join(&file))?;
        index.insert(weight.name.clone(), file);
    }
    for request in &style.slices {
        let captured = capture.get(&request.tensor).with_context(|| {
            format!("--slice: no captured tensor is named `{}`", request.tensor)
        })?;
        let shape = &captured.shape;
        let (row, col) = request.axes;
        anyhow::ensure!(
            row < shape.len() && col < shape.len(),
            "--slice {}: axes {row},{col} do not exist in a tensor of shape {shape:?}",
            request.tensor
        );
        let at = request
            .index
            .clone()
            .unwrap_or_else(|| middles(shape, request.axes));
        let values = values_f32(captured).with_context(|| {
            format!(
                "--slice: `{}` was not kept (capture budget)",
                request.tensor
            )
        })?;
        let signed = captured
            .summary
            .as_ref()
            .is_some_and(|s| s.moments.min < 0.0 && s.moments.max > 0.0);
        let mut coloring = coloring(signed);
        coloring.scale = if style.shared {
            Scale::Shared
        } else {
            Scale::PerChannel
        };
        let options = SliceOptions {
            coloring,
            zoom: None,
        };
        let image = render_slice(&values, shape, request.axes, &at, &options)
            .with_context(|| format!("--slice {}", request.key(&at)))?;
        let key = request.key(&at);
        let file = file_name(index.len(), &key);
        image.write_png(&dir.join(&file))?;
        index.insert(key, file);
    }
    let index_path = dir.join("index.json");
    std::fs::write(&index_path, serde_json::to_string_pretty(&index)?)
        .with_context(|| format!("cannot write {}", index_path.display()))?;
    Ok(index.len())
}
