//! `pump sinks`: the sinks' consumer groups in Redis.

use crate::source::forget_group;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// `pump sinks` subcommands.
#[derive(Debug, Subcommand)]
pub enum SinksCommand {
    /// Remove a sink that no pump runs any more: its consumer groups are destroyed so they
    /// stop holding records back (the backlog limit would otherwise stall claiming).
    Forget {
        #[arg(long, short)]
        config: PathBuf,
        /// The sink's name (it need not be in the config any more).
        name: String,
    },
}

pub fn run(cmd: SinksCommand) -> ExitCode {
    let SinksCommand::Forget { config, name } = cmd;
    let config = match super::load_for_command(&config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    super::block_on(async {
        let (mut conn, keys) = super::connect(&config).await?;
        let replay = keys.replay(&name);
        let mut removed = 0;
        for k in keys.sources().iter().chain(std::iter::once(&replay)) {
            if forget_group(&mut conn, k, &name).await? {
                removed += 1;
            }
        }
        println!("removed the consumer group `{name}` from {removed} stream(s)");
        Ok(())
    })
}
