//! Cost of turning one realistic gateway record (about 1.5 KB with detailed recording on)
//! into what the MongoDB sinks send: `cargo bench -p pump-sinks --bench mongo_encode`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pump_record::sample::detailed_get;
use pump_sinks::mongo::encoder::{RecordId, analytics_document, encoded_len};
use std::hint::black_box;

fn encode(c: &mut Criterion) {
    let r = detailed_get();
    let mut scratch = Vec::new();
    let mut bytes = Vec::new();
    let mut g = c.benchmark_group("mongo_encode");
    g.throughput(Throughput::Elements(1));
    g.bench_function("record_id", |b| {
        b.iter(|| black_box(RecordId::of_analytics(black_box(&r), &mut scratch)))
    });
    g.bench_function("document", |b| {
        b.iter(|| {
            let id = RecordId([7; 8]).object_id(r.timestamp);
            black_box(analytics_document(black_box(&r), id))
        })
    });
    g.bench_function("id_document_and_bson_bytes", |b| {
        b.iter(|| {
            let id = RecordId::of_analytics(black_box(&r), &mut scratch).object_id(r.timestamp);
            let d = analytics_document(&r, id);
            black_box(encoded_len(&d, &mut bytes))
        })
    });
    g.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
