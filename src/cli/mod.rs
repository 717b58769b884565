//! Command-line interface: flags (parsed into `Cli`) and dispatch.

mod output;
mod scripts;
mod server;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Cairn: ML experiment tracking (MLflow-compatible) and hyperparameter tuning.
#[derive(Debug, Parser)]
#[command(name = "cairn", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the tracking server (MLflow REST API, artifact proxy).
    Server(server::ServerArgs),
    /// List or create experiments.
    #[command(subcommand)]
    Experiments(scripts::ExperimentsCmd),
    /// List or describe runs.
    #[command(subcommand)]
    Runs(scripts::RunsCmd),
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Server(args) => server::run(args),
        Command::Experiments(cmd) => scripts::experiments(cmd),
        Command::Runs(cmd) => scripts::runs(cmd),
    }
}
