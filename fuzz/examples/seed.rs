//! Writes a starting corpus for the fuzz targets: realistic records as the gateway encodes
//! them. `cargo run --manifest-path fuzz/Cargo.toml --example seed` (from the repository
//! root), then `cargo fuzz run <target> --sanitizer none`.

use pump_record::gateway::{encode_analytics, encode_analytics_protobuf, encode_uptime};
use pump_record::sample::detailed_get;
use pump_record::{AnalyticsRecord, Timestamp, UptimeRecord};
use std::path::Path;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("fuzz/corpus").join(target);
    std::fs::create_dir_all(&dir).expect("create the corpus directory");
    std::fs::write(dir.join(name), bytes).expect("write a seed");
}

fn main() {
    let full = detailed_get();
    let mut sparse = AnalyticsRecord {
        tags: None,
        ..full.clone()
    };
    sparse.geo.city.names = None;
    sparse.mcp_stats.is_mcp = true;
    sparse.mcp_stats.jsonrpc_method = "tools/call".into();
    for (name, r) in [("full", &full), ("sparse", &sparse)] {
        let mut bytes = Vec::new();
        encode_analytics(r, &mut bytes);
        write("msgpack_analytics", name, &bytes);
        bytes.clear();
        encode_analytics_protobuf(r, &mut bytes);
        write("protobuf_analytics", name, &bytes);
    }
    let uptime = UptimeRecord {
        id: "5e9d9544a1dcd60001d0ed20".into(),
        url: "http://upstream.example.com/health".into(),
        request_time: 12,
        response_code: 200,
        timestamp: Timestamp::new(1_714_564_800, 0),
        api_id: "41433797848f41a558c1573d3e55a410".into(),
        ..Default::default()
    };
    let mut bytes = Vec::new();
    encode_uptime(&uptime, &mut bytes);
    write("msgpack_uptime", "check", &bytes);
    println!("seeds written under fuzz/corpus/");
}
