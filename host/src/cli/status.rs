//! `pump status`: what is waiting where, read from Redis, so it describes a whole fleet of
//! pumps, not just one process.

use crate::source::{GroupLag, group_lag, stream_state};
use clap::Args;
use redis::AsyncCommands;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

/// Options of `pump status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The TOML config file (its `[source]` says where to look).
    #[arg(long, short)]
    config: PathBuf,
}

pub fn run(args: StatusArgs) -> ExitCode {
    let config = match super::load_for_command(&args.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    super::block_on(async move {
        let (mut conn, keys) = super::connect(&config).await?;
        let live_within = config.source.pending_timeout;
        println!(
            "{:<52} {:>10} {:>12} {:>12}",
            "GATEWAY KEY", "WAITING", "CLAIMED", "CLAIMED MiB"
        );
        // Sinks of other processes show up as groups on the streams.
        let mut groups: BTreeSet<String> = config.sinks.iter().map(|s| s.name.clone()).collect();
        for k in keys.sources() {
            let waiting: u64 = conn.llen(&k.list).await?;
            let state = stream_state(&mut conn, k).await?;
            groups.extend(state.groups.iter().map(|g| g.name.clone()));
            println!(
                "{:<52} {:>10} {:>12} {:>12.1}",
                k.list,
                waiting,
                state.records,
                state.bytes as f64 / (1024.0 * 1024.0)
            );
        }
        println!();
        println!(
            "{:<24} {:>12} {:>10} {:>10} {:>13} {:>10}",
            "SINK", "LAG", "LAG AGE", "PENDING", "DEAD LETTERS", "CONSUMERS"
        );
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        for name in &groups {
            let mut lag = GroupLag::default();
            for k in keys
                .sources()
                .iter()
                .chain(std::iter::once(&keys.replay(name)))
            {
                if let Some(l) = group_lag(&mut conn, k, name, live_within).await? {
                    lag.add(&l);
                }
            }
            let dead: u64 = conn.xlen(keys.dead_letters(name)).await?;
            let age = lag.oldest_ms.map_or("-".to_string(), |ms| {
                format!("{:.1}s", now_ms.saturating_sub(ms) as f64 / 1000.0)
            });
            let note = if config.sinks.iter().any(|s| &s.name == name) {
                ""
            } else {
                "(not in this config)"
            };
            println!(
                "{:<24} {:>12} {:>10} {:>10} {:>13} {:>10}  {note}",
                name, lag.records, age, lag.pending, dead, lag.live_consumers
            );
        }
        Ok(())
    })
}
