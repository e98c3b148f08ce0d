//! Cost of turning one realistic gateway record (about 1.5 KB with detailed recording on)
//! into its two NDJSON lines of an Elasticsearch bulk request (action with `_index` and
//! `_id`, then the document): `cargo bench -p pump-sinks --bench es_encode`.

use base64::Engine;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pump_record::{AnalyticsRecord, City, Country, Geo, Latency, Location, Network, Timestamp};
use pump_sinks::elasticsearch::Encoder;
use std::collections::BTreeMap;
use std::hint::black_box;

/// A POST with detailed recording on: raw request and response are base64, as the gateway
/// stores them.
fn record(i: u32) -> AnalyticsRecord<'static> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let request = format!(
        "POST /orders/{i}?expand=items HTTP/1.1\r\nHost: api.example.com\r\n\
         User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\r\n\
         Accept: application/json\r\nContent-Type: application/json\r\n\
         Authorization: 5e9d9544a1dcd60001d0ed2000000000\r\n\r\n{{\"sku\":\"A-1\",\"qty\":2}}"
    );
    let response = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\
        Content-Length: 120\r\nX-Ratelimit-Remaining: 998\r\n\r\n\
        {\"id\":42,\"status\":\"created\",\"items\":[{\"sku\":\"A-1\",\"qty\":2,\"price\":12.5}],\
        \"total\":25.0,\"currency\":\"EUR\"}";
    AnalyticsRecord {
        method: "POST".into(),
        host: "api.example.com".into(),
        path: format!("/orders/{i}").into(),
        raw_path: format!("/orders/{i}?expand=items").into(),
        content_length: 24,
        user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36".into(),
        day: 1,
        month: 5,
        year: 2024,
        hour: 12,
        response_code: 201,
        api_key: "5e9d9544a1dcd60001d0ed2000000000".into(),
        timestamp: Timestamp::new(1_714_564_800 + i64::from(i / 1000), i64::from(i) * 997),
        api_version: "Default".into(),
        api_name: "Orders API".into(),
        api_id: "41433797848f41a558c1573d3e55a410".into(),
        org_id: "5e9d9544a1dcd60001d0ed20".into(),
        request_time: 23,
        raw_request: b64(&request).into(),
        raw_response: b64(response).into(),
        ip_address: "203.0.113.7".into(),
        geo: Geo {
            country: Country {
                iso_code: "DE".into(),
            },
            city: City {
                geoname_id: 2_950_159,
                names: Some(BTreeMap::from([
                    ("en".into(), "Berlin".into()),
                    ("ja".into(), "ベルリン".into()),
                ])),
            },
            location: Location {
                latitude: 52.5244,
                longitude: 13.4105,
                time_zone: "Europe/Berlin".into(),
            },
        },
        network: Network {
            open_connections: 3,
            closed_connections: 1,
            bytes_in: 412,
            bytes_out: 298,
        },
        latency: Latency {
            total: 23,
            upstream: 20,
            gateway: 3,
        },
        tags: Some(vec![
            "org-5e9d9544a1dcd60001d0ed20".into(),
            "key-auth".into(),
            "api-41433797848f41a558c1573d3e55a410".into(),
        ]),
        alias: "shop-frontend".into(),
        listen_path: "/orders/".into(),
        ..Default::default()
    }
}

fn bench(c: &mut Criterion) {
    let records: Vec<AnalyticsRecord<'static>> = (0..1000).map(record).collect();
    let mut group = c.benchmark_group("es_encode");
    for (name, extended, decode) in [
        ("tyk_fields", false, false),
        ("extended_stats", true, false),
        ("extended_stats_decode_base64", true, true),
    ] {
        let mut encoder = match Encoder::with_options("tyk_analytics", true, extended, decode) {
            Ok(e) => e,
            Err(e) => panic!("{e}"),
        };
        let mut out = Vec::with_capacity(4 << 20);
        group.throughput(Throughput::Elements(records.len() as u64));
        group.bench_function(format!("{name}/1000_records"), |b| {
            b.iter(|| {
                out.clear();
                for r in &records {
                    encoder.encode_analytics(black_box(r), &mut out);
                }
                black_box(out.len())
            })
        });
        out.clear();
        for r in &records {
            encoder.encode_analytics(r, &mut out);
        }
        println!(
            "{name}: {} bytes of NDJSON per record",
            out.len() / records.len()
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
