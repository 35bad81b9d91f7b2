//! The `glassbox` command line. Each subcommand is one module; `main` maps errors to exit
//! codes: 0 ok, 1 findings at or above `--fail-on`, 2 bad usage or unreadable input.

mod audit;
mod html;
mod images;
mod inspect;
mod report;
mod run;
mod text;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Make a trained network and its data inspectable.
#[derive(Parser)]
#[command(name = "glassbox", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Architecture, shapes, parameters, lint findings and weight statistics of an ONNX model.
    Inspect(inspect::Args),
    /// Run the model on inputs and summarise every intermediate tensor.
    Run(run::Args),
    /// Audit a dataset folder: per-sample facts and dataset findings (images, arrays, NIfTI).
    Audit(audit::Args),
    /// Combine the partial summaries of `audit --shard I/N` into the report of one run.
    Merge(audit::MergeArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Inspect(args) => inspect::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Merge(args) => audit::run_merge(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("glassbox: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
