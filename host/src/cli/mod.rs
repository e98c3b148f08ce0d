//! The `pump` command line: parsing, logging set-up, and one module per subcommand.

mod bench;
mod demo;
mod dlq;
mod import;
mod plugin;
mod plugin_try;
mod progress;
mod run;
mod sinks;
mod status;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The analytics pump for the Tyk API gateway: drains the gateway's analytics from Redis
/// and delivers them, at least once, to the configured sinks.
#[derive(Debug, Parser)]
#[command(name = "pump", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the pump until SIGINT/SIGTERM (or, with --drain, until everything is delivered).
    Run(run::RunArgs),
    /// Check a config file and exit: 0 if it is valid, 2 with the errors otherwise. Wasm
    /// plugins are loaded too (and cached), so a module that cannot run is reported.
    Validate {
        /// The TOML config file.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// List, count, re-queue or purge the dead letters of the sinks.
    #[command(subcommand)]
    Dlq(dlq::DlqCommand),
    /// Show every gateway key's backlog and every sink's lag, pending entries, dead letters
    /// and live consumers, as Redis has them (all pumps sharing it).
    Status(status::StatusArgs),
    /// Manage the sinks' state in Redis.
    #[command(subcommand)]
    Sinks(sinks::SinksCommand),
    /// Measure decoding and end-to-end draining (Redis → decode → blackhole).
    Bench(bench::BenchArgs),
    /// Feed realistic Tyk traffic into Redis and drain it to a file, with a summary.
    Demo(demo::DemoArgs),
    /// Inspect Wasm plugins.
    #[command(subcommand)]
    Plugin(plugin::PluginCommand),
    /// Convert a Tyk Pump JSON config (pump.conf, with its TYK_PMP_… variables) to a pump
    /// TOML config; notes on what differs go to standard error.
    ImportTykConfig(import::ImportArgs),
}

/// Runs a parsed command line; returns the process's exit code.
pub fn main(cli: Cli) -> ExitCode {
    // One TLS crypto provider for the process (`rediss://`), chosen here rather than by
    // whichever crate features happen to be enabled.
    let _ = rustls::crypto::ring::default_provider().install_default();
    if !matches!(
        cli.command,
        Command::Run(_) | Command::Demo(_) | Command::Bench(_)
    ) {
        quiet_broken_pipes();
    }
    match cli.command {
        Command::Validate { config } => match crate::config::load(&config) {
            Ok(c) => {
                let problems = plugin::check_config(&c);
                if !problems.is_empty() {
                    for p in &problems {
                        eprintln!("error: {}: {p}", config.display());
                    }
                    return ExitCode::from(2);
                }
                println!(
                    "{}: valid ({} sink{}{})",
                    config.display(),
                    c.sinks.len(),
                    if c.sinks.len() == 1 { "" } else { "s" },
                    match c.filters.len() {
                        0 => String::new(),
                        1 => ", 1 filter".to_string(),
                        n => format!(", {n} filters"),
                    }
                );
                ExitCode::SUCCESS
            }
            Err(e) => config_error(e),
        },
        Command::Run(args) => run::run(args),
        Command::Dlq(cmd) => dlq::run(cmd),
        Command::Sinks(cmd) => sinks::run(cmd),
        Command::Status(args) => status::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Demo(args) => demo::run(args),
        Command::ImportTykConfig(args) => import::run(args),
        Command::Plugin(cmd) => plugin::run(cmd),
    }
}

/// Lets a command whose output is piped into `head` (or anything that stops reading) end
/// quietly, as other command-line tools do, instead of failing on a closed pipe. Not for
/// the commands that run the pump: its sockets and its `stdout` sink handle their errors.
fn quiet_broken_pipes() {
    #[cfg(unix)]
    // SAFETY: restores the default action of one signal before any other thread exists
    // (the runtime is built later); no handler is installed.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Prints a config error and returns the exit code for it.
fn config_error(e: crate::config::ConfigError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(2)
}

/// Prints a runtime error with its causes and returns the exit code for it.
fn failure(e: anyhow::Error) -> ExitCode {
    eprintln!("error: {e:#}");
    ExitCode::from(1)
}

/// Sets up logging to stderr: `PUMP_LOG` (an EnvFilter directive) wins over the config.
fn init_logging(level: &str, json: bool) {
    let filter = std::env::var("PUMP_LOG").unwrap_or_else(|_| level.to_string());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal, not in files and pipes.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// A multi-threaded runtime for a command.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Runs a command's future to completion and turns its result into an exit code.
fn block_on(fut: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    match runtime().and_then(|rt| rt.block_on(fut)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => failure(e),
    }
}

/// Connects to the config's Redis for a one-off command, with the pump's key names.
async fn connect(
    config: &crate::config::Config,
) -> anyhow::Result<(crate::source::RedisConn, crate::source::Keys)> {
    use anyhow::Context;
    let src = &config.source;
    let connector = crate::source::Connector::new(src).context("source.redis_url")?;
    let conn = connector
        .connect()
        .await
        .with_context(|| format!("connecting to {}", connector.display()))?;
    Ok((
        conn,
        crate::source::Keys::new(&src.key_prefix, &src.uptime_key, &src.state_prefix),
    ))
}

/// Loads the config for a command that talks to Redis, with logging set up from it.
fn load_for_command(path: &std::path::Path) -> Result<crate::config::Config, ExitCode> {
    match crate::config::load(path) {
        Ok(c) => {
            init_logging(
                &c.log.level,
                matches!(c.log.format, crate::config::LogFormat::Json),
            );
            Ok(c)
        }
        Err(e) => Err(config_error(e)),
    }
}

/// Deletes every key that starts with `prefix` (the demo's and the benchmark's own keys).
async fn delete_prefixed(
    conn: &mut redis::aio::MultiplexedConnection,
    prefix: &str,
) -> anyhow::Result<()> {
    use redis::AsyncCommands;
    let mut found: Vec<String> = Vec::new();
    {
        let mut it = conn.scan_match::<_, String>(format!("{prefix}*")).await?;
        while let Some(k) = futures::StreamExt::next(&mut it).await {
            found.push(k?);
        }
    }
    for k in found {
        let _: () = conn.del(k).await?;
    }
    Ok(())
}
