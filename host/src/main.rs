//! The `pump` command line.

use clap::Parser;

fn main() -> std::process::ExitCode {
    pump::cli::main(pump::cli::Cli::parse())
}
