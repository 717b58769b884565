//! The `cairn` binary: the tracking server and script-friendly commands.
//!
//! Glue only: argument parsing (clap), logging set-up, and calls into the
//! library crates. See ARCHITECTURE.md for the map.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
