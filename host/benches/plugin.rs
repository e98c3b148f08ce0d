//! The cost of the Wasm path against the native one, per record, on the same batches of
//! 1000 realistic gateway records (about 1.6 KB each):
//!
//! - `filter`: routing by org — decoding natively and looking the org up, against the
//!   `shard_by_org` example reading `OrgID` in place inside the sandbox;
//! - `sink`: a blackhole — the native one, against a Wasm sink that takes the batch and
//!   answers "all written": with the records encoded again (`wasm`, what the pipeline does
//!   after shaping changed them) or handed over as read from Redis (`wasm-as-read`);
//! - `decode+sink`: the same from the raw batch, decoding included, as the pipeline runs;
//! - `crossing`: the same records handed over as typed `list<analytics-record>` or as the
//!   bytes `batch` the contract uses;
//! - `call`: the fixed cost of one call with an empty batch.
//!
//! Needs the plugins built: `scripts/build-plugins`, then `cargo bench -p pump --bench plugin`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pump::admin::Metrics;
use pump::config::PluginConfig;
use pump::plugin::bench::{BenchFilter, BenchMeasure};
use pump::plugin::{Loaded, PluginSlot, Runtime, Sandbox, WasmSink};
use pump_record::{Record, Timestamp, decode_analytics};
use pump_sinks::Sink;
use pump_sinks::blackhole::{BlackholeConfig, BlackholeSink};
use std::collections::HashMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

const BATCH: usize = 1000;

fn plugin(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/wasm32-wasip2/release")
        .join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: run scripts/build-plugins",
        path.display()
    );
    path
}

fn raws() -> Vec<Vec<u8>> {
    let mut t = pump::traffic::Traffic::new(1, Timestamp::new(1_714_564_800, 0));
    (0..BATCH)
        .map(|_| {
            let mut out = Vec::new();
            t.analytics_msgpack(&mut out);
            out
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let runtime = Runtime::new(None).unwrap();
    let raws = raws();
    let bytes: usize = raws.iter().map(Vec::len).sum();
    let sinks: Vec<String> = ["eu", "us", "rest"].map(String::from).to_vec();
    let orgs: HashMap<String, u64> = [("5e9d9544a1dcd60001d0ed20".to_string(), 1u64)].into();

    let mut g = c.benchmark_group("filter");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("native", |b| {
        b.iter(|| {
            let routes: Vec<u64> = raws
                .iter()
                .map(|r| {
                    let record = decode_analytics(r).unwrap();
                    orgs.get(record.org_id.as_ref()).copied().unwrap_or(4)
                })
                .collect();
            black_box(routes)
        })
    });
    let config = r#"{"default":"rest","orgs":{"5e9d9544a1dcd60001d0ed20":"eu"}}"#;
    let mut filter = rt.block_on(BenchFilter::new(
        &runtime,
        &plugin("shard_by_org"),
        config,
        &sinks,
    ));
    g.bench_function("wasm", |b| {
        b.iter(|| black_box(rt.block_on(filter.route(&raws))))
    });
    g.finish();

    let records: Vec<Record<'_>> = raws
        .iter()
        .map(|r| Record::Analytics(Box::new(decode_analytics(r).unwrap())))
        .collect();
    let mut g = c.benchmark_group("sink");
    g.throughput(Throughput::Elements(BATCH as u64));
    let mut native = BlackholeSink::new(&BlackholeConfig {});
    g.bench_function("native", |b| {
        b.iter(|| black_box(rt.block_on(native.write(&records))))
    });
    let path = plugin("hostile");
    let plugin_config = PluginConfig {
        module: path.clone(),
        memory_limit: 256 << 20,
        call_timeout: std::time::Duration::from_secs(60),
        allow_hosts: Vec::new(),
        dir: None,
        watch: false,
        config: serde_json::json!({ "mode": "ok" }),
    };
    let loaded = Loaded::load(&runtime, &path, None).unwrap();
    let mut wasm = rt
        .block_on(WasmSink::start(
            runtime.clone(),
            Sandbox::new("bench", &plugin_config),
            plugin_config.config.to_string(),
            PluginSlot::new(Arc::new(loaded)),
            Arc::new(Metrics::new()),
        ))
        .unwrap();
    g.bench_function("wasm", |b| {
        b.iter(|| black_box(rt.block_on(wasm.write(&records))))
    });
    let msgpack: Vec<&[u8]> = raws.iter().map(Vec::as_slice).collect();
    g.bench_function("wasm-as-read", |b| {
        b.iter(|| black_box(rt.block_on(wasm.write_encoded(&records, &msgpack))))
    });
    g.finish();

    // The same work from the raw batch: what the pipeline pays per record either way.
    let mut g = c.benchmark_group("decode+sink");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("native", |b| {
        b.iter(|| {
            let records: Vec<Record<'_>> = raws
                .iter()
                .map(|r| Record::Analytics(Box::new(decode_analytics(r).unwrap())))
                .collect();
            black_box(rt.block_on(native.write(&records)))
        })
    });
    g.bench_function("wasm", |b| {
        b.iter(|| {
            let records: Vec<Record<'_>> = raws
                .iter()
                .map(|r| Record::Analytics(Box::new(decode_analytics(r).unwrap())))
                .collect();
            black_box(rt.block_on(wasm.write_encoded(&records, &msgpack)))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("crossing");
    g.throughput(Throughput::Elements(BATCH as u64));
    let mut measure = rt.block_on(BenchMeasure::new(&runtime, &plugin("measure")));
    let decoded: Vec<_> = raws.iter().map(|r| decode_analytics(r).unwrap()).collect();
    g.bench_function("typed", |b| {
        b.iter(|| black_box(rt.block_on(measure.typed(&decoded))))
    });
    g.bench_function("bytes", |b| {
        b.iter(|| black_box(rt.block_on(measure.bytes(&raws))))
    });
    g.finish();

    let mut g = c.benchmark_group("call");
    for n in [0usize, 1] {
        g.bench_with_input(BenchmarkId::new("filter", n), &n, |b, &n| {
            b.iter(|| black_box(rt.block_on(filter.route(&raws[..n]))))
        });
    }
    g.finish();
    eprintln!(
        "batches of {BATCH} records, {:.0} bytes per record",
        bytes as f64 / BATCH as f64
    );
}

criterion_group!(name = plugin_benches; config = Criterion::default().sample_size(30); targets = benches);
criterion_main!(plugin_benches);
