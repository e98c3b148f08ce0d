//! `pump run`.

use crate::engine::{self, RunOptions};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

/// Options of `pump run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The TOML config file.
    #[arg(long, short)]
    config: PathBuf,
    /// Exit 0 once every source list is empty and every sink has acknowledged everything.
    #[arg(long)]
    drain: bool,
    /// How long in-flight batches may take to finish at shutdown (e.g. "30s").
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    shutdown_timeout: std::time::Duration,
}

pub fn run(args: RunArgs) -> ExitCode {
    let config = match super::load_for_command(&args.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(e) => return super::failure(e),
    };
    let result = rt.block_on(async {
        let shutdown = CancellationToken::new();
        crate::shutdown::on_signals(shutdown.clone());
        engine::run(
            &config,
            RunOptions {
                drain: args.drain,
                shutdown_timeout: args.shutdown_timeout,
                on_progress: args.drain.then(|| super::progress::run_hook("draining")),
            },
            shutdown,
        )
        .await
    });
    match result {
        Ok(summary) => {
            for (name, s) in &summary.sinks {
                tracing::info!(sink = %name, delivered = s.delivered, dead_lettered = s.dead_lettered, filtered = s.filtered, retried = s.retried, "sink totals");
            }
            tracing::info!(
                claimed = summary.claimed,
                drained = summary.drained,
                "pump stopped"
            );
            ExitCode::SUCCESS
        }
        Err(e) => super::failure(e),
    }
}
