//! `pump plugin`: looking at Wasm plugins before configuring them.

use crate::config::{Config, SinkKind};
use crate::plugin::{Loaded, Runtime, World, describe};
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
    /// Run a Wasm filter or sink of a config on generated gateway records, without Redis:
    /// how many records the filter routes to each of its sinks, or the sink's outcomes
    /// (written, retry, rejected) with their reasons. A sink writes for real, wherever
    /// its config points. Exits 0 if every record went through, 1 if not.
    Try(super::plugin_try::TryArgs),
}

pub fn run(cmd: PluginCommand) -> ExitCode {
    let file = match cmd {
        PluginCommand::Check { file } => file,
        PluginCommand::Try(args) => return super::plugin_try::run(args),
    };
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

/// Loads every plugin `config` names; one line per plugin that cannot be used, with its key.
pub fn check_config(config: &Config) -> Vec<String> {
    let mut plugins: Vec<(String, &std::path::Path, World)> = config
        .sinks
        .iter()
        .filter_map(|s| match &s.settings {
            SinkKind::Wasm(p) => {
                Some((format!("sinks.{}", s.name), p.module.as_path(), World::Sink))
            }
            SinkKind::Native(_) => None,
        })
        .collect();
    plugins.extend(config.filters.iter().map(|f| {
        (
            format!("filters.{}", f.name),
            f.plugin.module.as_path(),
            World::Filter,
        )
    }));
    if plugins.is_empty() {
        return Vec::new();
    }
    let runtime = match Runtime::new(config.plugins.cache_dir()) {
        Ok(r) => r,
        Err(e) => return vec![format!("cannot start the Wasm engine: {e:#}")],
    };
    plugins
        .into_iter()
        .filter_map(|(key, path, world)| {
            Loaded::load(&runtime, path, Some(world))
                .err()
                .map(|e| format!("{key}.module: {e}"))
        })
        .collect()
}
