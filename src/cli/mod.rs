//! Command-line interface: flags (parsed into `Cli`) and dispatch.

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
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Server(args) => server::run(args),
    }
}
