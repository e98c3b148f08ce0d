//! `pump plugin`: looking at Wasm plugins before configuring them.

use crate::plugin::{Loaded, Runtime, describe};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// `pump plugin` subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Say which world a component implements (sink or filter) and whether this pump can
    /// run it, or exactly why not. Exits 0 if it can, 2 if not.
    Check {
        /// The component file (`.wasm`).
        file: PathBuf,
    },
}

pub fn run(cmd: PluginCommand) -> ExitCode {
    let PluginCommand::Check { file } = cmd;
    // Checking compiles the component; the on-disk cache is not touched.
    let runtime = match Runtime::new(None) {
        Ok(r) => r,
        Err(e) => return super::failure(anyhow::anyhow!("cannot start the Wasm engine: {e:#}")),
    };
    match Loaded::load(&runtime, &file, None) {
        Ok(loaded) => {
            println!("{}", describe(&loaded));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
