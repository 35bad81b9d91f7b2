//! `glassbox run MODEL --input [NAME=]FILE ...`: run the model and summarise every tensor.

use crate::text;
use anyhow::{bail, Context as _};
use glassbox_model::graph::Model;
use glassbox_run::capture::Policy;
use glassbox_run::recipe::Recipe;
use glassbox_run::{inputs, Array, Capture, Engine, Stored};
use glassbox_tensor::{Histogram, Moments};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Options of `glassbox run`.
#[derive(clap::Args)]
pub struct Args {
    /// The ONNX model file.
    model: PathBuf,
    /// An input: `FILE` (model inputs in order) or `NAME=FILE`. Images, .npy/.npz, NIfTI.
    #[arg(long = "input", short = 'i', required = true)]
    inputs: Vec<String>,
    /// Pre-processing recipe (TOML); default: MODEL.glassbox.toml beside the model if present,
    /// else defaults inferred from the model's input shape (printed, and in the JSON).
    #[arg(long)]
    recipe: Option<PathBuf>,
    /// Write every captured tensor as .npy plus index.json (tensor name → file) here.
    #[arg(long)]
    save_tensors: Option<PathBuf>,
    /// Write PNG pictures here: a channel grid per 4D/5D activation, the plane of the last two
    /// axes (other axes at their middle) for other ranks, a kernel grid per convolution
    /// weight, and index.json (tensor name → file).
    #[arg(long)]
    images: Option<PathBuf>,
    /// With --images, also draw the 2D slice `NAME@ROW,COL[@I,J,...]`: axes ROW and COL of the
    /// captured tensor NAME, at index I, J, ... of the other axes (default: their middles).
    /// Repeatable; per-slice colour scale unless --shared-scale.
    #[arg(
        long = "slice",
        value_name = "NAME@ROW,COL[@I,J,...]",
        requires = "images"
    )]
    slices: Vec<crate::images::SliceRequest>,
    /// Colormap for the pictures: gray, viridis, magma or diverging. Signed tensors use the
    /// diverging map unless one is named here.
    #[arg(long)]
    colormap: Option<String>,
    /// One colour scale for all channels of a tensor instead of one per channel.
    #[arg(long)]
    shared_scale: bool,
    /// Print one JSON document instead of tables.
    #[arg(long)]
    json: bool,
    /// Bytes of full tensors kept in memory (suffixes K, M, G); beyond it they are spilled to
    /// a temporary folder.
    #[arg(long, default_value = "1G", value_parser = parse_bytes)]
    capture_budget: u64,
    /// Histogram bins per tensor.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=4096))]
    bins: u16,
    /// Run tract's optimised plan with every tensor declared an output: faster, holds every
    /// tensor in memory until the end; values are tested equal to the reference plan's.
    #[arg(long)]
    optimized: bool,
    /// Capture nothing: a plain inference, for measuring what capture costs.
    #[arg(long, hide = true)]
    no_capture: bool,
    /// Never page the text output.
    #[arg(long)]
    no_pager: bool,
}

fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, factor) = match text.char_indices().last() {
        Some((i, 'K' | 'k')) => (&text[..i], 1u64 << 10),
        Some((i, 'M' | 'm')) => (&text[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&text[..i], 1 << 30),
        _ => (text, 1),
    };
    let value: f64 = digits
        .parse()
        .map_err(|_| format!("not a byte count: {text:?}"))?;
    if value.is_nan() || value < 0.0 {
        return Err(format!("not a byte count: {text:?}"));
    }
    Ok((value * factor as f64) as u64)
}

/// One input as given and as fed.
#[derive(Serialize)]
struct InputReport {
    name: String,
    file: String,
    format: String,
    /// Shape and dtype of the file's array.
    file_shape: Vec<usize>,
    file_dtype: String,
    /// What was done to it, and the tensor fed.
    recipe: glassbox_run::recipe::AppliedRecipe,
}

/// One captured tensor.
#[derive(Serialize)]
struct TensorReport {
    name: String,
    producer: Option<String>,
    op: Option<String>,
    shape: Vec<usize>,
    dtype: Option<String>,
    stats: Option<Moments>,
    histogram: Option<Histogram>,
    /// `memory`, `spilled` or `dropped: why`.
    stored: String,
}

/// `glassbox run --json`.
#[derive(Serialize)]
struct RunJson {
    model: String,
    inputs: Vec<InputReport>,
    outputs: Vec<String>,
    tensors: Vec<TensorReport>,
    /// Tensors of the graph the engine computed without a node of its own (folded constants).
    not_captured: Vec<String>,
    time_ms: BTreeMap<&'static str, f64>,
    notes: Vec<String>,
}

/// Runs the subcommand.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let model = glassbox_model::load(&args.model).context("cannot run the model")?;
    let engine = Engine::load(&args.model)?;
    let specs = engine.inputs();
    let mut fed: Vec<(String, Array)> = Vec::new();
    let mut input_reports = Vec::new();
    for (position, given) in args.inputs.iter().enumerate() {
        let (name, file) = match given.split_once('=') {
            Some((name, file)) if !Path::new(given).exists() => {
                (name.to_string(), PathBuf::from(file))
            }
            _ => match specs.get(position) {
                Some(spec) => (spec.name.clone(), PathBuf::from(given)),
                None => bail!(
                    "{}: more inputs given ({}) than the model has ({})",
                    args.model.display(),
                    args.inputs.len(),
                    specs.len()
                ),
            },
        };
        let loaded = inputs::read(&file)?;
        let model_shape = specs
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.shape.clone())
            .unwrap_or_default();
        let recipe = recipe_for(args, &model_shape, &loaded)?;
        let (array, applied) = recipe.apply_with_record(&loaded, &model_shape)?;
        input_reports.push(InputReport {
            name: name.clone(),
            file: file.to_string_lossy().into(),
            format: format!("{:?}", loaded.format),
            file_shape: loaded.array.shape.clone(),
            file_dtype: loaded.array.dtype.name().into(),
            recipe: applied,
        });
        fed.push((name, array));
    }
    let spill = tempfile::Builder::new()
        .prefix("glassbox-spill-")
        .tempdir()
        .context("cannot create a spill folder")?;
    let policy = Policy {
        bins: usize::from(args.bins),
        budget_bytes: args.capture_budget,
        spill_dir: Some(spill.path().into()),
    };
    let mut capture = if args.no_capture {
        Capture::disabled()
    } else {
        Capture::new(policy)
    };
    glassbox_run::capture::record_stored_values(&model, &mut capture);
    let mode = if args.optimized {
        glassbox_run::Mode::Optimized
    } else {
        glassbox_run::Mode::Reference
    };
    let report = engine.run_with(&fed, &mut capture, mode)?;
    if let Some(dir) = &args.save_tensors {
        save_tensors(dir, &capture)?;
    }
    if let Some(dir) = &args.images {
        let colormap = match &args.colormap {
            Some(name) => glassbox_tensor::render::Colormap::from_name(name)?,
            None => glassbox_tensor::render::Colormap::Viridis,
        };
        let style = crate::images::Style {
            colormap,
            force: args.colormap.is_some(),
            shared: args.shared_scale,
            slices: args.slices.clone(),
        };
        crate::images::write(dir, &model, &capture, &style)?;
    }
    let mut time_ms = BTreeMap::new();
    time_ms.insert("prepare", report.prepare.as_secs_f64() * 1e3);
    time_ms.insert("run", report.run.as_secs_f64() * 1e3);
    time_ms.insert("total", started.elapsed().as_secs_f64() * 1e3);
    let json = RunJson {
        model: args.model.to_string_lossy().into(),
        inputs: input_reports,
        outputs: report.outputs,
        tensors: capture
            .tensors
            .iter()
            .map(|c| tensor_report(&model, c))
            .collect(),
        not_captured: not_captured(&model, &capture),
        time_ms,
        notes: capture.notes.clone(),
    };
    if args.json {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer(&mut out, &json)?;
        writeln!(out)?;
        out.flush()?;
    } else {
        text::page(&render(&json), !args.no_pager)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The recipe for one input: `--recipe`, else `MODEL.glassbox.toml`, over defaults inferred
/// from the model's input shape.
fn recipe_for(
    args: &Args,
    model_shape: &[Option<usize>],
    loaded: &inputs::Loaded,
) -> anyhow::Result<Recipe> {
    let defaults = Recipe::for_model_input(model_shape, loaded);
    let file = args
        .recipe
        .clone()
        .or_else(|| Recipe::beside_model(&args.model));
    Ok(match file {
        Some(path) => Recipe::from_toml_file(&path, defaults)?,
        None => defaults,
    })
}

fn tensor_report(model: &Model, captured: &glassbox_run::Captured) -> TensorReport {
    let graph = &model.graph;
    let producer = graph
        .tensor_by_name(&captured.name)
        .and_then(|t| t.producer)
        .map(|p| &graph.nodes[p]);
    TensorReport {
        name: captured.name.clone(),
        producer: producer.map(|n| n.name.clone()),
        op: producer.map(|n| n.op.clone()),
        shape: captured.shape.clone(),
        dtype: captured.dtype.map(|d| d.name().to_string()),
        stats: captured.summary.as_ref().map(|s| s.moments.clone()),
        histogram: captured.summary.as_ref().map(|s| s.histogram.clone()),
        stored: match &captured.stored {
            Stored::Memory(_) => "memory".into(),
            Stored::Spilled(_) => "spilled".into(),
            Stored::Dropped(why) => format!("dropped: {why}"),
        },
    }
}

/// Node outputs of the main graph the engine produced no labelled value for.
fn not_captured(model: &Model, capture: &Capture) -> Vec<String> {
    let graph = &model.graph;
    graph
        .nodes
        .iter()
        .flat_map(|n| n.output_ids())
        .map(|t| graph.tensors[t].name.clone())
        .filter(|name| capture.get(name).is_none())
        .collect()
}

/// Writes every tensor with values as `.npy` and `index.json` mapping names to files.
fn save_tensors(dir: &Path, capture: &Capture) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut index = BTreeMap::new();
    for (i, captured) in capture.tensors.iter().enumerate() {
        let file = format!("t{i:05}.npy");
        let path = dir.join(&file);
        match (&captured.stored, captured.dtype) {
            (Stored::Memory(tensor), Some(dtype)) => {
                glassbox_run::capture::write_npy(&path, dtype, &captured.shape, tensor.as_bytes())
            }
            (Stored::Spilled(spilled), _) => std::fs::copy(spilled, &path).map(|_| ()),
            _ => continue,
        }
        .with_context(|| format!("cannot write {}", path.display()))?;
        index.insert(captured.name.clone(), file);
    }
    let index_path = dir.join("index.json");
    std::fs::write(&index_path, serde_json::to_string_pretty(&index)?)
        .with_context(|| format!("cannot write {}", index_path.display()))?;
    Ok(())
}

fn render(json: &RunJson) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", text::fit_left(&json.model, 80));
    for input in &json.inputs {
        let line = format!(
            "input {} ← {} ({}, {:?} {}): {}",
            input.name, input.file, input.format, input.file_shape, input.file_dtype, input.recipe
        );
        let _ = writeln!(out, "{}", text::wrap(&line, 80, 6));
    }
    let _ = writeln!(
        out,
        "{} tensors captured in {:.0} ms (prepare {:.0} ms)\n",
        json.tensors.len(),
        json.time_ms.get("run").copied().unwrap_or(0.0),
        json.time_ms.get("prepare").copied().unwrap_or(0.0)
    );
    let _ = writeln!(out, "{}", text::stats_header("TENSOR"));
    for tensor in &json.tensors {
        let shape: Vec<String> = tensor.shape.iter().map(|d| d.to_string()).collect();
        let Some(stats) = &tensor.stats else {
            let _ = writeln!(
                out,
                "{:<19} {:<13} ({})",
                text::fit_left(&tensor.name, 19),
                text::fit_right(&shape.join("×"), 13),
                tensor.stored
            );
            continue;
        };
        let row = text::stats_row(
            &tensor.name,
            &shape.join("×"),
            stats,
            tensor.histogram.as_ref(),
        );
        let _ = writeln!(out, "{row}");
    }
    let _ = writeln!(out, "\noutputs: {}", json.outputs.join(", "));
    for note in &json.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}
