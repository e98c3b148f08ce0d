//! `pump dlq`: the sinks' dead letters.

use crate::deliver::dlq;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// `pump dlq` subcommands.
#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// Count the dead letters of every sink (or of one).
    Count {
        #[arg(long, short)]
        config: PathBuf,
        /// Only this sink.
        #[arg(long)]
        sink: Option<String>,
    },
    /// Show a sink's oldest dead letters: time, source list, reason and size.
    List {
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long)]
        sink: String,
        /// How many to show.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// One JSON object per line, with the raw record in base64.
        #[arg(long)]
        json: bool,
    },
    /// Re-queue a sink's dead letters for that sink alone (other sinks do not get them again).
    Requeue {
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long)]
        sink: String,
        /// At most this many (oldest first); all by default.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Delete a sink's dead letters.
    Purge {
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long)]
        sink: String,
    },
}

pub fn run(cmd: DlqCommand) -> ExitCode {
    let path = match &cmd {
        DlqCommand::Count { config, .. }
        | DlqCommand::List { config, .. }
        | DlqCommand::Requeue { config, .. }
        | DlqCommand::Purge { config, .. } => config.clone(),
    };
    let config = match super::load_for_command(&path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    super::block_on(execute(&config, cmd))
}

fn check_sink(config: &crate::config::Config, sink: &str) -> anyhow::Result<()> {
    if config.sinks.iter().any(|s| s.name == sink) {
        Ok(())
    } else {
        let names: Vec<&str> = config.sinks.iter().map(|s| s.name.as_str()).collect();
        anyhow::bail!(
            "no sink named `{sink}` in the config; its sinks are: {}",
            names.join(", ")
        )
    }
}

async fn execute(config: &crate::config::Config, cmd: DlqCommand) -> anyhow::Result<()> {
    let (mut conn, keys) = super::connect(config).await?;
    match cmd {
        DlqCommand::Count { sink, .. } => {
            if let Some(s) = &sink {
                check_sink(config, s)?;
            }
            for s in config
                .sinks
                .iter()
                .filter(|s| sink.as_ref().is_none_or(|n| *n == s.name))
            {
                println!(
                    "{}\t{}",
                    s.name,
                    dlq::count(&mut conn, &keys, &s.name).await?
                );
            }
        }
        DlqCommand::List {
            sink, limit, json, ..
        } => {
            check_sink(config, &sink)?;
            for d in dlq::list(&mut conn, &keys, &sink, limit).await? {
                if json {
                    use base64::Engine;
                    let v = serde_json::json!({
                        "id": d.id, "time": d.time, "source": d.source, "format": d.format,
                        "reason": d.reason,
                        "record": base64::engine::general_purpose::STANDARD.encode(&d.record),
                    });
                    println!("{v}");
                } else {
                    println!(
                        "{}\t{}\t{}\t{} bytes\t{}",
                        d.id,
                        d.time,
                        d.source,
                        d.record.len(),
                        d.reason
                    );
                }
            }
        }
        DlqCommand::Requeue { sink, limit, .. } => {
            check_sink(config, &sink)?;
            let mut total = 0;
            let waiting = dlq::count(&mut conn, &keys, &sink).await? as usize;
            let limit = limit.unwrap_or(usize::MAX).min(waiting);
            let bar = super::progress::bar(limit as u64, "re-queuing");
            while total < limit {
                let n = dlq::requeue(&mut conn, &keys, &sink, (limit - total).min(1000)).await?
                    as usize;
                if n == 0 {
                    break;
                }
                total += n;
                bar.set_position(total as u64);
            }
            bar.finish_and_clear();
            println!(
                "re-queued {total} dead letter(s) for sink `{sink}`; a running pump delivers them to that sink"
            );
        }
        DlqCommand::Purge { sink, .. } => {
            check_sink(config, &sink)?;
            println!(
                "deleted {} dead letter(s) of sink `{sink}`",
                dlq::purge(&mut conn, &keys, &sink).await?
            );
        }
    }
    Ok(())
}
