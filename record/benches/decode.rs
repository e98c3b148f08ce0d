//! Decode cost of one realistic gateway record (about 1.5 KB with detailed recording on):
//! `cargo bench -p pump-record --bench decode`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pump_record::gateway::{encode_analytics, encode_analytics_protobuf};
use pump_record::sample::detailed_get;
use pump_record::{decode_analytics, decode_analytics_protobuf};
use std::hint::black_box;

fn decode(c: &mut Criterion) {
    let r = detailed_get();
    let mut msgpack = Vec::new();
    encode_analytics(&r, &mut msgpack);
    let mut protobuf = Vec::new();
    encode_analytics_protobuf(&r, &mut protobuf);

    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Bytes(msgpack.len() as u64));
    g.bench_function(format!("msgpack_{}B", msgpack.len()), |b| {
        b.iter(|| decode_analytics(black_box(&msgpack)))
    });
    g.throughput(Throughput::Bytes(protobuf.len() as u64));
    g.bench_function(format!("protobuf_{}B", protobuf.len()), |b| {
        b.iter(|| decode_analytics_protobuf(black_box(&protobuf)))
    });
    g.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
