//! `cairn-bench`: Cairn's benchmark program. A thin dispatcher: each
//! subcommand lives in its own module (`tune` here; `tracking` comes later).

use clap::{Parser, Subcommand};

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
    /// Web UI page-data targets over HTTP (results go to BENCH-UI.md).
    Ui(ui::UiArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Tune(args) => tune::run(args),
        Command::Ui(args) => ui::run(args),
    }
}
