//! `cairn-bench`: load generators. Minimal entry point so the tracking
//! workload can be built and run on this branch; the full binary lives with
//! the benchmark owner.

mod tracking;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "Cairn load generators")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Tracking-server workloads (../shared/bench/tracking-baseline.md)
    /// against any MLflow-compatible server.
    Tracking(tracking::TrackingArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Tracking(args) => tracking::run(args),
    }
}
