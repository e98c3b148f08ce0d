//! `pump plugin try`: a configured Wasm filter or sink run on generated gateway records,
//! without Redis, to see what it does before it runs in the pipeline.

use crate::admin::Metrics;
use crate::config::{Config, SinkKind};
use crate::deliver::{Entry, Shaper};
use crate::plugin::{FilterHandle, FilterRoutes, prepare};
use crate::route::RecordFilter;
use crate::source::RecordFormat;
use crate::traffic::Traffic;
use anyhow::{Context, bail};
use clap::Args;
use pump_record::{Record, Timestamp, decode_analytics};
use pump_sinks::Outcome;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Options of `pump plugin try`.
#[derive(Debug, Args)]
pub struct TryArgs {
    /// The TOML config file that defines the plugin.
    #[arg(long, short)]
    config: PathBuf,
    /// The Wasm filter (`[filters.<name>]`) or Wasm sink (`[sinks.<name>]`) to run.
    name: String,
    /// How many records to generate.
    #[arg(long, default_value_t = 1000)]
    records: usize,
    /// Seed of the generated traffic (the same seed gives the same records).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// What a try found, for the exit code: whether every record went through.
enum Verdict {
    Clean,
    Troubled,
}

pub fn run(args: TryArgs) -> ExitCode {
    let config = match super::load_for_command(&args.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut verdict = Verdict::Clean;
    let code = super::block_on(async {
        verdict = try_plugin(&config, &args).await?;
        Ok(())
    });
    match (code == ExitCode::SUCCESS, verdict) {
        (true, Verdict::Troubled) => ExitCode::from(1),
        _ => code,
    }
}

async fn try_plugin(config: &Config, args: &TryArgs) -> anyhow::Result<Verdict> {
    let is_filter = config.filters.iter().any(|f| f.name == args.name);
    let sink = config.sinks.iter().position(|s| s.name == args.name);
    match sink.map(|i| &config.sinks[i].settings) {
        _ if is_filter => {}
        Some(SinkKind::Wasm(_)) => {}
        Some(SinkKind::Native(_)) => {
            bail!("`{}` is a built-in sink, not a Wasm plugin", args.name)
        }
        None => bail!(
            "{} has no filter or sink called `{}`",
            args.config.display(),
            args.name
        ),
    }
    // Only the plugin being tried is loaded: another broken plugin of the config is no
    // concern of this command.
    let mut only = config.clone();
    only.filters.retain(|f| is_filter && f.name == args.name);
    only.sinks
        .retain(|s| s.name == args.name || matches!(s.settings, SinkKind::Native(_)));
    let prepared = prepare(&only, &Arc::new(Metrics::new())).await?;

    let now = SystemTime::now().duration_since(UNIX_EPOCH)?;
    let mut traffic = Traffic::new(args.seed, Timestamp::new(now.as_secs() as i64, 0));
    let raws: Vec<Vec<u8>> = (0..args.records)
        .map(|_| {
            let mut raw = Vec::new();
            traffic.analytics_msgpack(&mut raw);
            raw
        })
        .collect();
    let records: Vec<Record<'_>> = raws
        .iter()
        .map(|raw| decode_analytics(raw).map(|r| Record::Analytics(Box::new(r))))
        .collect::<Result<_, _>>()
        .context("decoding the generated records")?;

    if let Some(filter) = prepared.filters.iter().find(|f| f.name == args.name) {
        // Each sink's own filters, which the pipeline applies before the Wasm filter.
        let declared: Vec<RecordFilter> = filter
            .sinks
            .iter()
            .map(|name| {
                let sink = config.sinks.iter().find(|s| &s.name == name);
                RecordFilter::new(&sink.map(|s| s.options.filters.clone()).unwrap_or_default())
            })
            .collect();
        return try_filter(filter, &declared, &raws, &records).await;
    }
    // The builders follow the sinks that were loaded.
    let i = only
        .sinks
        .iter()
        .position(|s| s.name == args.name)
        .context("the sink's position")?;
    let (name, options) = (&only.sinks[i].name, &only.sinks[i].options);
    // As the pipeline would: the sink's declarative filters, then its shaping.
    let declared = RecordFilter::new(&options.filters);
    let shaper = Shaper::new(options);
    let mut kept: Vec<Record<'_>> = records.into_iter().filter(|r| declared.passes(r)).collect();
    for r in &mut kept {
        shaper.apply(r);
    }
    if kept.len() < args.records {
        println!(
            "the sink's filters keep {} of the {} records",
            kept.len(),
            args.records
        );
    }
    let mut sink = prepared.builders[i]
        .build()
        .await
        .map_err(|e| anyhow::anyhow!("sinks.{name}: {e}"))?;
    // As the pipeline does: each batch written, then flushed.
    let started = Instant::now();
    let mut tally = Tally::default();
    let mut calls = 0;
    for batch in kept.chunks(options.batch_max_records.max(1)) {
        let outcomes = sink.write(batch).await;
        calls += 1;
        let flushed = if outcomes.contains(&Outcome::Written) {
            sink.flush().await
        } else {
            Ok(())
        };
        for o in &outcomes {
            match (o, &flushed) {
                (Outcome::Written, Ok(())) => tally.written += 1,
                (Outcome::Written, Err(why)) => tally.retry.add(&format!("flush failed: {why}")),
                (Outcome::Retry(why), _) => tally.retry.add(why),
                (Outcome::Rejected(why), _) => tally.rejected.add(why),
            }
        }
    }
    let took = started.elapsed();
    sink.close().await;
    let total = kept.len();

    println!(
        "sink `{name}` took {total} records in {calls} write{} (each flushed), in {took:.2?} ({:.1} µs/record; the sink writes for real)",
        if calls == 1 { "" } else { "s" },
        per_record_us(took, total),
    );
    println!("  written   {:>8}", tally.written);
    tally.retry.print("retry");
    tally.rejected.print("rejected");
    Ok(if tally.written == total {
        Verdict::Clean
    } else {
        Verdict::Troubled
    })
}

/// Routes the records as the pipeline does for each of the filter's sinks (`declared`:
/// their own filters, in the same order, applied first).
async fn try_filter(
    filter: &Arc<FilterHandle>,
    declared: &[RecordFilter],
    raws: &[Vec<u8>],
    records: &[Record<'_>],
) -> anyhow::Result<Verdict> {
    let entry = Entry {
        stream: "try".into(),
        id: "0-1".into(),
        source: "try".into(),
        format: RecordFormat::AnalyticsMsgpack,
        records: Vec::new(),
    };
    let raws: Vec<(&[u8], &Entry)> = raws.iter().map(|r| (r.as_slice(), &entry)).collect();
    let started = Instant::now();
    let mut nowhere = vec![true; records.len()];
    let mut dead: BTreeMap<usize, String> = BTreeMap::new();
    let mut per_sink = Vec::new();
    for (n, sink) in filter.sinks.iter().enumerate() {
        // As the pipeline does: the sink's own filters first, then the Wasm filter.
        let picked: Vec<usize> = (0..records.len())
            .filter(|&i| declared[n].passes(&records[i]))
            .collect();
        let sub_raws: Vec<(&[u8], &Entry)> = picked.iter().map(|&i| raws[i]).collect();
        let sub_records: Vec<Record<'_>> = picked.iter().map(|&i| records[i].clone()).collect();
        let mut routes = FilterRoutes::for_sink(std::slice::from_ref(filter), sink);
        let routed = routes
            .keep(&sub_raws, &sub_records)
            .await
            .map_err(|e| anyhow::anyhow!("the filter failed on the batch: {e}"))?;
        let mut count = 0;
        for (k, keep) in routed.keep.iter().enumerate() {
            if *keep {
                nowhere[picked[k]] = false;
                count += 1;
            }
        }
        for (k, why) in routed.dead {
            nowhere[picked[k]] = false;
            dead.entry(picked[k]).or_insert(why);
        }
        per_sink.push((sink, count));
    }
    let took = started.elapsed();
    let calls = records.len() * filter.sinks.len();
    println!(
        "filter `{}` routed {} records for {} sink{} in {took:.2?} ({:.1} µs/record per sink, instance start-up included)",
        filter.name,
        records.len(),
        filter.sinks.len(),
        if filter.sinks.len() == 1 { "" } else { "s" },
        per_record_us(took, calls),
    );
    let width = filter
        .sinks
        .iter()
        .map(|s| s.len())
        .max()
        .unwrap_or(0)
        .max(9);
    for (sink, count) in per_sink {
        println!("  {sink:<width$} {count:>8}");
    }
    let unrouted = nowhere.iter().filter(|n| **n).count();
    println!("  {:<width$} {unrouted:>8}", "(no sink)");
    let mut reasons = Reasons::default();
    for why in dead.values() {
        reasons.add(why);
    }
    reasons.print("dead-lettered");
    Ok(if dead.is_empty() {
        Verdict::Clean
    } else {
        Verdict::Troubled
    })
}

fn per_record_us(took: std::time::Duration, n: usize) -> f64 {
    took.as_secs_f64() * 1e6 / n.max(1) as f64
}

#[derive(Default)]
struct Tally {
    written: usize,
    retry: Reasons,
    rejected: Reasons,
}

/// Records counted by the reason they were given.
#[derive(Default)]
struct Reasons {
    total: usize,
    by_reason: BTreeMap<String, usize>,
}

impl Reasons {
    fn add(&mut self, why: &str) {
        self.total += 1;
        *self.by_reason.entry(why.to_owned()).or_default() += 1;
    }

    /// One line with the count, then the most frequent reasons.
    fn print(&self, what: &str) {
        if self.total == 0 {
            return;
        }
        println!("  {what:<9} {:>8}", self.total);
        let mut reasons: Vec<(&String, &usize)> = self.by_reason.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1));
        for (why, n) in reasons.iter().take(5) {
            println!("    {n:>6} × {why}");
        }
        if reasons.len() > 5 {
            println!("    … and {} other reasons", reasons.len() - 5);
        }
    }
}
