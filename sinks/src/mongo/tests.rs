//! The MongoDB sinks against a real MongoDB-wire server (`PUMP_TEST_MONGODB_URI`, default
//! `mongodb://127.0.0.1:27017/`), each test in a database of its own.

use super::*;
use crate::{Outcome, Record, Sink};
use mongodb::bson::{Document, doc};
use pump_record::{AnalyticsRecord, Latency, Timestamp, UptimeRecord};
use std::sync::atomic::{AtomicU32, Ordering};

fn uri(db: &str) -> String {
    let base = std::env::var("PUMP_TEST_MONGODB_URI")
        .unwrap_or_else(|_| "mongodb://127.0.0.1:27017/".to_string());
    let (head, query) = base.split_once('?').unwrap_or((&base, ""));
    let head = head.trim_end_matches('/');
    let head = match head.rfind('/') {
        Some(i) if !head[..i].ends_with('/') => &head[..i],
        _ => head,
    };
    if query.is_empty() {
        format!("{head}/{db}")
    } else {
        format!("{head}/{db}?{query}")
    }
}

fn unique_db(test: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "u_{test}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

async fn client(db: &str) -> mongodb::Database {
    mongodb::Client::with_uri_str(uri(db))
        .await
        .unwrap()
        .database(db)
}

fn config<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn record(i: u32, secs: i64, code: i64) -> AnalyticsRecord<'static> {
    AnalyticsRecord {
        method: "GET".into(),
        path: format!("/r/{i}").into(),
        api_id: "api-1".into(),
        api_name: "One".into(),
        org_id: "org-1".into(),
        api_key: format!("key-{}", i % 3).into(),
        response_code: code,
        request_time: i64::from(i % 7),
        timestamp: Timestamp::new(secs, i64::from(i)),
        expire_at: Timestamp::new(4_102_444_800, 0), // 2100: the TTL index must not delete it
        latency: Latency {
            total: i64::from(i % 11),
            upstream: i64::from(i % 5),
            gateway: 1,
        },
        tags: Some(vec!["t1".into()]),
        ..Default::default()
    }
}

fn batch(records: &[AnalyticsRecord<'static>]) -> Vec<Record<'static>> {
    records
        .iter()
        .map(|r| Record::Analytics(Box::new(r.clone())))
        .collect()
}

async fn count(db: &mongodb::Database, coll: &str) -> u64 {
    db.collection::<Document>(coll)
        .count_documents(doc! {})
        .await
        .unwrap()
}

#[tokio::test]
async fn raw_writes_are_idempotent_and_skip_network_only_records() {
    let name = unique_db("raw_idem");
    let mut sink = MongoSink::open(&config(
        serde_json::json!({"mongo_url": uri(&name), "collection_name": "c"}),
    ))
    .await
    .unwrap();
    let mut rs: Vec<_> = (0..20).map(|i| record(i, 1_714_564_800, 200)).collect();
    rs.push(record(99, 1_714_564_800, -1));
    let b = batch(&rs);
    assert_eq!(sink.write(&b).await, Outcome::all(21, Outcome::Written));
    // The same records again, split differently: duplicates count as written.
    assert_eq!(
        sink.write(&b[5..]).await,
        Outcome::all(16, Outcome::Written)
    );
    let db = client(&name).await;
    assert_eq!(count(&db, "c").await, 20);
    let _ = db.drop().await;
}

#[tokio::test]
async fn oversize_documents_keep_their_metadata() {
    let name = unique_db("raw_big");
    let mut sink = MongoSink::open(&config(serde_json::json!({
        "mongo_url": uri(&name),
        "collection_name": "c",
        "max_document_size_bytes": 2000,
        "max_insert_batch_size_bytes": 3000,
    })))
    .await
    .unwrap();
    let mut rs: Vec<_> = (0..5).map(|i| record(i, 1_714_564_800, 200)).collect();
    rs[2].raw_request = "A".repeat(5000).into();
    assert_eq!(
        sink.write(&batch(&rs)).await,
        Outcome::all(5, Outcome::Written)
    );
    let db = client(&name).await;
    let d = db
        .collection::<Document>("c")
        .find_one(doc! {"path": "/r/2"})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.get_str("rawrequest").unwrap(),
        "RG9jdW1lbnQgdG9vIGxhcmdlLCBub3Qgd3JpdGluZyByYXcgcmVxdWVzdCBhbmQgcmF3IHJlc3BvbnNlIQ=="
    );
    assert_eq!(d.get_str("apiid").unwrap(), "api-1");
    assert_eq!(count(&db, "c").await, 5);
    let _ = db.drop().await;
}

#[tokio::test]
async fn uptime_records_go_to_their_collection() {
    let name = unique_db("uptime");
    let mut sink = MongoSink::open(&config(serde_json::json!({"mongo_url": uri(&name)})))
        .await
        .unwrap();
    let u = UptimeRecord {
        url: "http://up".into(),
        response_code: 200,
        timestamp: Timestamp::new(1_714_564_800, 0),
        api_id: "a".into(),
        org_id: "o".into(),
        ..Default::default()
    };
    let b = vec![
        Record::Uptime(Box::new(u.clone())),
        Record::Analytics(Box::new(record(1, 1_714_564_800, 200))),
    ];
    assert_eq!(sink.write(&b).await, Outcome::all(2, Outcome::Written));
    assert_eq!(sink.write(&b).await, Outcome::all(2, Outcome::Written));
    let db = client(&name).await;
    assert_eq!(count(&db, "tyk_uptime_analytics").await, 1);
    assert_eq!(count(&db, "tyk_analytics").await, 1);
    let d = db
        .collection::<Document>("tyk_uptime_analytics")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.get_str("url").unwrap(), "http://up");
    assert_eq!(d.get_i64("responsecode").unwrap(), 200);
    assert!(d.get_datetime("timestamp").is_ok());
    let _ = db.drop().await;
}

#[tokio::test]
async fn an_unreachable_server_means_retry() {
    let mut sink = MongoSink::open(&config(serde_json::json!({
        "mongo_url": "mongodb://127.0.0.1:1/db",
        "server_selection_timeout": "300ms",
    })))
    .await
    .unwrap();
    let out = sink.write(&batch(&[record(1, 1, 200)])).await;
    assert!(
        matches!(&out[0], Outcome::Retry(r) if r.contains("mongo_url")),
        "{out:?}"
    );
}

#[tokio::test]
async fn a_url_without_database_is_a_clear_start_up_error() {
    let err = MongoSink::open(&config(
        serde_json::json!({"mongo_url": "mongodb://127.0.0.1:27017/"}),
    ))
    .await
    .err()
    .unwrap();
    assert!(err.0.contains("`mongo_url` names no database"), "{err}");
}

#[tokio::test]
async fn aggregates_count_each_record_once_whatever_the_batch_split() {
    let name = unique_db("agg_split");
    let mut sink = MongoAggregateSink::open(&config(serde_json::json!({
        "mongo_url": uri(&name),
        "use_mixed_collection": true,
    })))
    .await
    .unwrap();
    let rs: Vec<_> = (0..30)
        .map(|i| record(i, 1_714_564_800 + i64::from(i) * 300, 200))
        .collect();
    let b = batch(&rs);
    assert_eq!(
        sink.write(&b[..20]).await,
        Outcome::all(20, Outcome::Written)
    );
    // Re-delivery in another split, overlapping what was counted.
    assert_eq!(
        sink.write(&b[10..]).await,
        Outcome::all(20, Outcome::Written)
    );
    let db = client(&name).await;
    for coll in [
        "z_tyk_analyticz_aggregate_org-1",
        aggregate::MIXED_COLLECTION,
    ] {
        let docs: Vec<Document> = {
            use futures_util_like::collect;
            collect(db.collection::<Document>(coll).find(doc! {}).await.unwrap()).await
        };
        // 30 records 5 minutes apart: 150 minutes over 3 hours (12 + 12 + 6).
        let hits: Vec<i64> = docs
            .iter()
            .map(|d| d.get_document("total").unwrap().get_i64("hits").unwrap())
            .collect();
        assert_eq!(hits, vec![12, 12, 6], "{coll}");
    }
    let _ = db.drop().await;
}

#[tokio::test]
async fn concurrent_writers_of_one_bucket_lose_no_count() {
    let name = unique_db("agg_race");
    let open = || async {
        MongoAggregateSink::open(&config(serde_json::json!({"mongo_url": uri(&name)})))
            .await
            .unwrap()
    };
    let (a, b) = (open().await, open().await);
    let rs: Vec<_> = (0..40).map(|i| record(i, 1_714_564_800, 200)).collect();
    let bs = batch(&rs);
    let (left, right) = bs.split_at(20);
    let run = |sink: &'static mut MongoAggregateSink, part: &'static [Record<'static>]| async move {
        let mut outs = Vec::new();
        for chunk in part.chunks(2) {
            outs.extend(sink.write(chunk).await);
        }
        outs
    };
    let (a, b): (&'static mut _, &'static mut _) = (Box::leak(Box::new(a)), Box::leak(Box::new(b)));
    let (left, right): (&'static [_], &'static [_]) = (
        Box::leak(left.to_vec().into_boxed_slice()),
        Box::leak(right.to_vec().into_boxed_slice()),
    );
    let (x, y) = tokio::join!(run(a, left), run(b, right));
    assert_eq!(x, Outcome::all(20, Outcome::Written));
    assert_eq!(y, Outcome::all(20, Outcome::Written));
    let db = client(&name).await;
    let d = db
        .collection::<Document>("z_tyk_analyticz_aggregate_org-1")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.get_document("total").unwrap().get_i64("hits").unwrap(),
        40
    );
    let _ = db.drop().await;
}

/// Drains a cursor without another dependency.
mod futures_util_like {
    use mongodb::Cursor;
    use mongodb::bson::Document;

    pub async fn collect(mut cursor: Cursor<Document>) -> Vec<Document> {
        let mut out = Vec::new();
        while cursor.advance().await.unwrap() {
            out.push(cursor.deserialize_current().unwrap());
        }
        out
    }
}

#[tokio::test]
async fn many_batches_into_one_bucket_count_every_record() {
    let name = unique_db("agg_many");
    let mut sink = MongoAggregateSink::open(&config(
        serde_json::json!({"mongo_url": uri(&name), "store_analytics_per_minute": true}),
    ))
    .await
    .unwrap();
    let rs: Vec<_> = (0..600)
        .map(|i| {
            let mut r = record(i, 1_714_564_800, 200);
            r.api_key = format!("key-{}", i % 40).into();
            r
        })
        .collect();
    let b = batch(&rs);
    let db = client(&name).await;
    let mut want = 0;
    for chunk in b.chunks(45) {
        assert_eq!(
            sink.write(chunk).await,
            Outcome::all(chunk.len(), Outcome::Written)
        );
        want += chunk.len() as i64;
        let d = db
            .collection::<Document>("z_tyk_analyticz_aggregate_org-1")
            .find_one(doc! {})
            .await
            .unwrap()
            .unwrap();
        let hits = d.get_document("total").unwrap().get_i64("hits").unwrap();
        let applied = d
            .get_binary_generic("applied")
            .map(|b| b.len())
            .unwrap_or(0);
        assert_eq!(hits, want, "applied bytes {applied}, doc size {}", d.len());
    }
    let d = db
        .collection::<Document>("z_tyk_analyticz_aggregate_org-1")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.get_document("total").unwrap().get_i64("hits").unwrap(),
        600
    );
    let _ = db.drop().await;
}
