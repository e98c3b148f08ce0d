//! `pump demo`: feeds realistic Tyk traffic into Redis, exactly as a gateway would, and
//! drains it through the pump to a JSON-lines file, then prints a summary.

use crate::engine::{self, RunOptions};
use crate::source::{Keys, RecordFormat};
use crate::traffic::Traffic;
use anyhow::Context;
use clap::Args;
use pump_record::{Timestamp, gateway};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// Options of `pump demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The Redis to use (keys are prefixed `pump-demo`; a real gateway's keys are untouched).
    #[arg(
        long,
        default_value = "redis://127.0.0.1:6379/0",
        env = "PUMP_DEMO_REDIS_URL"
    )]
    redis_url: String,
    /// Analytics records to generate.
    #[arg(long, default_value_t = 20_000)]
    records: usize,
    /// Where the demo writes its config and output.
    #[arg(long, default_value = "pump-demo")]
    dir: PathBuf,
}

pub fn run(args: DemoArgs) -> ExitCode {
    super::init_logging("warn", false);
    super::block_on(demo(args))
}

async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let output = args.dir.join("analytics.jsonl");
    let _ = std::fs::remove_file(&output);
    let config_path = args.dir.join("pump.toml");
    let toml = format!(
        "# Written by `pump demo`: the config it ran with.\n[source]\nredis_url = {url:?}\nkey_prefix = \"pump-demo:\"\nuptime_key = \"pump-demo:uptime\"\nstate_prefix = \"pump-demo\"\npoll_interval = \"200ms\"\n\n[sinks.archive]\ntype = \"file\"\npath = {out:?}\nuptime = true\n",
        url = args.redis_url,
        out = output.display().to_string()
    );
    std::fs::write(&config_path, &toml)
        .with_context(|| format!("writing {}", config_path.display()))?;
    let config = crate::config::load(&config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let keys = Keys::new("pump-demo:", "pump-demo:uptime", "pump-demo");

    let client = redis::Client::open(args.redis_url.as_str()).context("--redis-url")?;
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .with_context(|| format!("connecting to Redis at {} (is it running?)", args.redis_url))?;
    // A fresh start: what an interrupted earlier demo left would be drained twice.
    super::delete_prefixed(&mut conn, "pump-demo").await?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut traffic = Traffic::new(now.as_secs(), Timestamp::new(now.as_secs() as i64, 0));
    let lists: Vec<_> = keys
        .sources()
        .iter()
        .filter(|k| !k.format.is_uptime())
        .collect();
    let uptime = keys
        .sources()
        .iter()
        .find(|k| k.format.is_uptime())
        .context("no uptime key")?;

    // Like a gateway: pipelined RPUSHes spread over the 22 keys (msgpack and protobuf).
    let mut pipe = redis::pipe();
    let mut malformed = 0;
    for i in 0..args.records {
        let key = lists[i % lists.len()];
        let record = traffic.analytics();
        let mut out = Vec::with_capacity(1600);
        match key.format {
            RecordFormat::AnalyticsProtobuf => {
                gateway::encode_analytics_protobuf(&record, &mut out)
            }
            _ => gateway::encode_analytics(&record, &mut out),
        }
        pipe.cmd("RPUSH").arg(&key.list).arg(out).ignore();
        if i % 5000 == 2500 {
            // What a broken writer might leave: it goes to the dead letters, the rest flows.
            pipe.cmd("RPUSH")
                .arg(&lists[0].list)
                .arg(b"\xc1 not a record".as_slice())
                .ignore();
            malformed += 1;
        }
        if i % 100 == 0 {
            let mut out = Vec::new();
            gateway::encode_uptime(&traffic.uptime(), &mut out);
            pipe.cmd("RPUSH").arg(&uptime.list).arg(out).ignore();
        }
        if i % 1000 == 999 {
            let _: () = pipe.query_async(&mut conn).await?;
            pipe = redis::pipe();
        }
    }
    if !pipe.is_empty() {
        let _: () = pipe.query_async(&mut conn).await?;
    }
    let uptime_records = args.records.div_ceil(100);
    println!(
        "fed {} analytics records (msgpack and protobuf over {} keys), {uptime_records} uptime records and {malformed} malformed entries into Redis",
        args.records,
        lists.len()
    );

    let start = Instant::now();
    let summary = engine::run(
        &config,
        RunOptions {
            drain: true,
            ..Default::default()
        },
        CancellationToken::new(),
    )
    .await?;
    let secs = start.elapsed().as_secs_f64();
    for (name, s) in &summary.sinks {
        println!(
            "sink `{name}`: {} records written to {}, {} dead-lettered, in {secs:.2}s including start-up and the final drain check (`pump bench` measures throughput)",
            s.delivered,
            output.display(),
            s.dead_lettered
        );
    }
    if let Some(line) = std::fs::read_to_string(&output)
        .ok()
        .and_then(|t| t.lines().next().map(str::to_string))
    {
        let shown: String = line.chars().take(300).collect();
        println!("first record: {shown}…");
    }
    println!(
        "config used: {}; dead letters: pump dlq list --config {} --sink archive",
        config_path.display(),
        config_path.display()
    );
    Ok(())
}
