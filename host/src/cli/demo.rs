//! `pump demo`: feeds realistic Tyk traffic into Redis, exactly as a gateway would, and
//! drains it through the pump — through a Wasm filter that shards records by organisation
//! when one is built — to JSON-lines files, then prints a summary.

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
    /// Records per second to feed while the pump runs (default: all at once, then drain).
    #[arg(long)]
    rate: Option<u64>,
    /// The Wasm filter that shards records by organisation (the `shard_by_org` example,
    /// built by scripts/build-plugins); without it the demo runs without a filter.
    #[arg(long, default_value = DEFAULT_FILTER)]
    filter: PathBuf,
}

const DEFAULT_FILTER: &str = "target/wasm32-wasip2/release/shard_by_org.wasm";

/// The organisations the demo's filter gives sinks of their own (the traffic has three).
const SHARDED_ORGS: [(&str, &str); 2] = [
    ("5e9d9544a1dcd60001d0ed20", "org-a"),
    ("5e9d9544a1dcd60001d0ed21", "org-b"),
];

pub fn run(args: DemoArgs) -> ExitCode {
    super::init_logging("warn", false);
    super::block_on(demo(args))
}

async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let config_path = args.dir.join("pump.toml");
    let filter = if args.filter.exists() {
        Some(args.filter.clone())
    } else if args.filter == std::path::Path::new(DEFAULT_FILTER) {
        println!(
            "no Wasm filter at {DEFAULT_FILTER} (scripts/build-plugins builds it): running without one"
        );
        None
    } else {
        anyhow::bail!("--filter: {} does not exist", args.filter.display());
    };
    let toml = demo_config(&args.redis_url, &args.dir, filter.as_deref());
    std::fs::write(&config_path, &toml)
        .with_context(|| format!("writing {}", config_path.display()))?;
    let config = crate::config::load(&config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let keys = Keys::new("pump-demo:", "pump-demo:uptime", "pump-demo");

    let client = redis::Client::open(args.redis_url.as_str()).context("--redis-url")?;
    let conn = client
        .get_multiplexed_async_connection()
        .await
        .with_context(|| format!("connecting to Redis at {} (is it running?)", args.redis_url))?;
    // A fresh start: what an interrupted earlier demo left would be drained twice.
    super::delete_prefixed(&mut conn.clone(), "pump-demo").await?;
    for sink in &config.sinks {
        let _ = std::fs::remove_file(args.dir.join(format!("{}.jsonl", sink.name)));
    }

    let start = Instant::now();
    let mut delivered: Vec<(String, u64, u64)> = Vec::new();
    let mut add = |summary: engine::RunSummary| {
        for (name, s) in summary.sinks {
            match delivered.iter_mut().find(|(n, ..)| *n == name) {
                Some(d) => {
                    d.1 += s.delivered;
                    d.2 += s.dead_lettered;
                }
                None => delivered.push((name, s.delivered, s.dead_lettered)),
            }
        }
    };
    let fed = match args.rate {
        // All at once, then one drain.
        None => feed(conn, &keys, args.records, None).await?,
        // Fed at the rate while the pump runs, then drained.
        Some(rate) => {
            let stop = CancellationToken::new();
            let live = {
                let config = config.clone();
                let stop = stop.clone();
                tokio::spawn(async move { engine::run(&config, RunOptions::default(), stop).await })
            };
            let fed = feed(conn, &keys, args.records, Some(rate.max(1))).await;
            stop.cancel();
            add(live.await.context("the pump stopped")??);
            fed?
        }
    };
    println!("{fed}");
    let summary = engine::run(
        &config,
        RunOptions {
            drain: true,
            on_progress: Some(super::progress::run_hook("draining")),
            ..Default::default()
        },
        CancellationToken::new(),
    )
    .await?;
    add(summary);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "drained in {secs:.2}s, start-up and the final drain check included (`pump bench` measures throughput):"
    );
    for (name, written, dead) in &delivered {
        let file = args.dir.join(format!("{name}.jsonl"));
        println!(
            "  sink `{name}`: {written} records written to {}, {dead} dead-lettered",
            file.display()
        );
    }
    if filter.is_some() {
        println!(
            "  the Wasm filter `shard` sent {} to `org-a`, {} to `org-b` and the rest to `others`; `archive` got everything",
            SHARDED_ORGS[0].0, SHARDED_ORGS[1].0
        );
    }
    if let Some(line) = std::fs::read_to_string(args.dir.join("archive.jsonl"))
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

/// The demo's config: everything to `archive`; with a filter, also each of two orgs to a
/// file of its own and the rest to `others`.
fn demo_config(redis_url: &str, dir: &std::path::Path, filter: Option<&std::path::Path>) -> String {
    let file = |name: &str, extra: &str| {
        format!(
            "\n[sinks.{name}]\ntype = \"file\"\npath = {:?}\n{extra}",
            dir.join(format!("{name}.jsonl")).display().to_string()
        )
    };
    let mut toml = format!(
        "# Written by `pump demo`: the config it ran with.\n[source]\nredis_url = {redis_url:?}\nkey_prefix = \"pump-demo:\"\nuptime_key = \"pump-demo:uptime\"\nstate_prefix = \"pump-demo\"\npoll_interval = \"200ms\"\n{}",
        file("archive", "uptime = true\n")
    );
    if let Some(filter) = filter {
        for (_, sink) in SHARDED_ORGS {
            toml.push_str(&file(sink, ""));
        }
        toml.push_str(&file("others", ""));
        let orgs: Vec<String> = SHARDED_ORGS
            .iter()
            .map(|(org, sink)| format!("{org:?} = {sink:?}"))
            .collect();
        toml.push_str(&format!(
            "\n# Shards by organisation: a Wasm filter (examples/shard-by-org).\n[filters.shard]\ntype = \"wasm\"\nmodule = {:?}\nsinks = [\"org-a\", \"org-b\", \"others\"]\n[filters.shard.config]\ndefault = \"others\"\norgs = {{ {} }}\n\n[plugins]\ncache_dir = {:?}\n",
            filter.display().to_string(),
            orgs.join(", "),
            dir.join("plugin-cache").display().to_string()
        ));
    }
    toml
}

/// Feeds `records` analytics records like a gateway — pipelined RPUSHes spread over the 22
/// keys, msgpack and protobuf — with uptime records and a few malformed entries; at `rate`
/// records per second when given. Returns what it fed, in words.
async fn feed(
    mut conn: redis::aio::MultiplexedConnection,
    keys: &Keys,
    records: usize,
    rate: Option<u64>,
) -> anyhow::Result<String> {
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
    // A pipeline per 1000 records, or per tenth of a second's worth at a rate.
    let per_pipe = rate.map_or(1000, |r| (r / 10).clamp(1, 1000)) as usize;
    let bar = super::progress::bar(records as u64, "feeding");
    let started = Instant::now();
    let mut pipe = redis::pipe();
    let mut malformed = 0;
    for i in 0..records {
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
        if (i + 1) % per_pipe == 0 || i + 1 == records {
            let _: () = pipe.query_async(&mut conn).await?;
            pipe = redis::pipe();
            bar.set_position(i as u64 + 1);
            if let Some(rate) = rate {
                let due = std::time::Duration::from_secs_f64((i + 1) as f64 / rate as f64);
                tokio::time::sleep_until((started + due).into()).await;
            }
        }
    }
    bar.finish_and_clear();
    Ok(format!(
        "fed {records} analytics records (msgpack and protobuf over {} keys), {} uptime records and {malformed} malformed {} into Redis{}",
        lists.len(),
        records.div_ceil(100),
        if malformed == 1 { "entry" } else { "entries" },
        rate.map(|r| format!(" at {r} records/s"))
            .unwrap_or_default()
    ))
}
