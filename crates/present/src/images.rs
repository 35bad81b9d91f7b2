//! `--images DIR`: PNG pictures of captured activations (channel grids) and of convolution
//! kernels (kernel grids), with `index.json` mapping tensor names to files.

use anyhow::Context as _;
use glassbox_model::graph::{ElemType, Model};
use glassbox_run::capture::values_f32;
use glassbox_run::Capture;
use glassbox_tensor::render::{
    render_channel_grid, render_kernel_grid, ChannelGridOptions, Coloring, Colormap,
    KernelGridOptions, Scale,
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
        if !matches!(captured.shape.len(), 4 | 5) || captured.shape.iter().product::<usize>() == 0 {
            continue;
        }
        let Some(values) = values_f32(captured) else {
            continue;
        };
        let signed = captured
            .summary
            .as_ref()
            .is_some_and(|s| s.moments.min < 0.0 && s.moments.max > 0.0);
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
    let index_path = dir.join("index.json");
    std::fs::write(&index_path, serde_json::to_string_pretty(&index)?)
        .with_context(|| format!("cannot write {}", index_path.display()))?;
    Ok(index.len())
}
