//! `pump bench`: decode throughput, then an end-to-end at-least-once drain of a large
//! backlog (Redis → claim → decode → blackhole, acknowledged), with peak memory.

use crate::engine::{self, RunOptions};
use crate::source::Keys;
use crate::traffic::Traffic;
use anyhow::Context;
use clap::Args;
use pump_record::Timestamp;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Options of `pump bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The Redis to fill and drain (its keys are prefixed with `pump-bench-<pid>`, and
    /// deleted afterwards).
    #[arg(
        long,
        default_value = "redis://127.0.0.1:6379/0",
        env = "PUMP_BENCH_REDIS_URL"
    )]
    redis_url: String,
    /// Records in the backlog.
    #[arg(long, default_value_t = 500_000)]
    records: usize,
    /// Records per claim (`source.batch_size`).
    #[arg(long, default_value_t = 1000)]
    batch_size: usize,
    /// Most records per sink write (`batch_max_records` of the blackhole sink).
    #[arg(long, default_value_t = 1000)]
    sink_batch: usize,
    /// Only measure decoding (no Redis needed).
    #[arg(long)]
    decode_only: bool,
}

pub fn run(args: BenchArgs) -> ExitCode {
    super::init_logging("warn", false);
    super::block_on(bench(args))
}

/// Distinct realistic records, encoded as the gateway encodes them.
fn sample(n: usize) -> Vec<Vec<u8>> {
    let mut t = Traffic::new(42, Timestamp::new(1_714_564_800, 0));
    (0..n)
        .map(|_| {
            let mut out = Vec::with_capacity(1600);
            t.analytics_msgpack(&mut out);
            out
        })
        .collect()
}

fn mib(bytes: f64) -> f64 {
    bytes / (1024.0 * 1024.0)
}

async fn bench(args: BenchArgs) -> anyhow::Result<()> {
    let pool = sample(10_000);
    let avg = pool.iter().map(Vec::len).sum::<usize>() as f64 / pool.len() as f64;
    println!(
        "records: {} distinct, average {avg:.0} bytes (msgpack, as the gateway writes them)",
        pool.len()
    );

    // Decode alone, on one core.
    let start = Instant::now();
    let mut decoded = 0usize;
    let mut bytes = 0usize;
    while start.elapsed() < Duration::from_secs(2) {
        for raw in &pool {
            let r = crate::decode::decode(crate::source::RecordFormat::AnalyticsMsgpack, raw)?;
            std::hint::black_box(&r);
            bytes += raw.len();
        }
        decoded += pool.len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "decode (msgpack, 1 core): {:.0} records/s, {:.0} MiB/s",
        decoded as f64 / secs,
        mib(bytes as f64) / secs
    );
    if args.decode_only {
        return Ok(());
    }

    let prefix = format!("pump-bench-{}", std::process::id());
    let client = redis::Client::open(args.redis_url.as_str()).context("--redis-url")?;
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .context("connecting to Redis")?;
    let keys = Keys::new(&format!("{prefix}:"), &format!("{prefix}:uptime"), &prefix);
    let lists: Vec<String> = keys
        .sources()
        .iter()
        .filter(|k| k.format == crate::source::RecordFormat::AnalyticsMsgpack)
        .map(|k| k.list.clone())
        .collect();
    let fill_start = Instant::now();
    let mut pushed = 0usize;
    let mut total_bytes = 0usize;
    while pushed < args.records {
        let mut pipe = redis::pipe();
        for list in &lists {
            let n = 1000.min(args.records - pushed);
            if n == 0 {
                break;
            }
            let chunk: Vec<&[u8]> = (0..n)
                .map(|i| pool[(pushed + i) % pool.len()].as_slice())
                .collect();
            total_bytes += chunk.iter().map(|c| c.len()).sum::<usize>();
            pipe.cmd("RPUSH").arg(list).arg(chunk).ignore();
            pushed += n;
        }
        let _: () = pipe.query_async(&mut conn).await?;
    }
    println!(
        "backlog: {pushed} records ({:.0} MiB) over {} keys, filled in {:.1}s",
        mib(total_bytes as f64),
        lists.len(),
        fill_start.elapsed().as_secs_f64()
    );

    let toml = format!(
        "[source]\nredis_url = {url:?}\nkey_prefix = \"{prefix}:\"\nuptime_key = \"{prefix}:uptime\"\nstate_prefix = \"{prefix}\"\nbatch_size = {batch}\npoll_interval = \"100ms\"\n\n[sinks.blackhole]\ntype = \"blackhole\"\nbatch_max_records = {sink_batch}\n",
        url = args.redis_url,
        batch = args.batch_size,
        sink_batch = args.sink_batch
    );
    let config = crate::config::parse(&toml, "bench", &[]).map_err(|e| anyhow::anyhow!("{e}"))?;
    reset_peak_rss();
    let rss_before = rss_kib("VmRSS:");
    let redis_cpu_before = redis_cpu_seconds(&mut conn).await;
    let cpu_before = process_cpu_seconds();
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
    let delivered = summary.sinks.iter().map(|(_, s)| s.delivered).sum::<u64>();
    println!(
        "drain (Redis → claim → decode → blackhole → ack): {delivered} records in {secs:.2}s = {:.0} records/s, {:.0} MiB/s",
        delivered as f64 / secs,
        mib(total_bytes as f64) / secs
    );
    if let (Some(a), Some(b), Some(ra), Some(rb)) = (
        cpu_before,
        process_cpu_seconds(),
        redis_cpu_before,
        redis_cpu_seconds(&mut conn).await,
    ) {
        let per = |s: f64| s * 1e6 / delivered.max(1) as f64;
        println!(
            "cpu: pump {:.2}s ({:.2} µs/record, {:.0}% of one core), redis {:.2}s ({:.2} µs/record)",
            b - a,
            per(b - a),
            (b - a) / secs * 100.0,
            rb - ra,
            per(rb - ra)
        );
    }
    if let (Some(before), Some(peak)) = (rss_before, rss_kib("VmHWM:")) {
        println!(
            "memory: {:.0} MiB resident before the drain, peak {:.0} MiB during it",
            before as f64 / 1024.0,
            peak as f64 / 1024.0
        );
    }
    if delivered as usize != pushed {
        println!("warning: delivered {delivered} of {pushed} records");
    }
    super::delete_prefixed(&mut conn, &prefix).await?;
    Ok(())
}

/// User and system CPU time of this process so far.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// User and system CPU time of the Redis server so far (`INFO cpu`).
async fn redis_cpu_seconds(conn: &mut redis::aio::MultiplexedConnection) -> Option<f64> {
    let info: String = redis::cmd("INFO").arg("cpu").query_async(conn).await.ok()?;
    let field = |name: &str| -> Option<f64> {
        info.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':')?.trim().parse().ok())
    };
    Some(field("used_cpu_sys")? + field("used_cpu_user")?)
}

/// Resets the kernel's peak-RSS mark so VmHWM measures the drain alone.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn rss_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
