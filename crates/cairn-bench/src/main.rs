//! `cairn-bench`: Cairn's benchmark program. A thin dispatcher: each
//! subcommand lives in its own module: `tune` (the tuning problem suite) and
//! `tracking` (tracking-server workloads against any MLflow-compatible server).

use clap::{Parser, Subcommand};

mod tracking;
mod tune;
mod ui;

#[derive(Parser)]
#[command(
    name = "cairn-bench",
    about = "Cairn benchmarks (JSON lines on stdout or --out)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Tuning benchmarks (schema tuning-bench/1, see shared/bench/tuning/PROBLEMS.md).
    Tune(tune::TuneArgs),
    /// Tracking-server workloads (../shared/bench/tracking-baseline.md)
    /// against any MLflow-compatible server.
    Tracking(tracking::TrackingArgs),
    /// Web UI page-data targets over HTTP (results go to docs/benchmarks/ui.md).
    Ui(ui::UiArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Tune(args) => tune::run(args),
        Command::Tracking(args) => tracking::run(args),
        Command::Ui(args) => ui::run(args),
    }
}
