//! The claim and trim scripts against a real Redis: what moves where, atomically.

use pump::config::SourceConfig;
use pump::source::{
    Claimer, Connector, Keys, RedisConn, SourceKey, ensure_groups, stream_state, trim,
};
use redis::AsyncCommands;

fn redis_url() -> String {
    std::env::var("PUMP_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string())
}

async fn setup(test: &str) -> (RedisConn, SourceKey) {
    let prefix = format!("t-src-{test}-{}-", std::process::id());
    let conn = Connector::new(&SourceConfig::new(redis_url()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let keys = Keys::new(
        &prefix,
        &format!("{prefix}uptime"),
        &format!("{prefix}pump"),
    );
    let key = keys.sources()[0].clone();
    let mut c = conn.clone();
    let _: () = redis::cmd("DEL")
        .arg(&key.list)
        .arg(&key.stream)
        .arg(&key.backlog)
        .arg(&key.sizes)
        .query_async(&mut c)
        .await
        .unwrap();
    (conn, key)
}

async fn push(conn: &mut RedisConn, list: &str, n: usize) {
    let values: Vec<String> = (0..n).map(|i| format!("record-{i}")).collect();
    let _: () = conn.rpush(list, values).await.unwrap();
}

async fn batch_of(conn: &mut RedisConn, key: &SourceKey, nth: usize) -> Vec<String> {
    let entries: redis::streams::StreamRangeReply = conn.xrange_all(&key.stream).await.unwrap();
    let id = &entries.ids[nth];
    let batch: String = id.get("b").unwrap();
    conn.lrange(batch, 0, -1).await.unwrap()
}

#[tokio::test]
async fn nothing_is_claimed_before_a_sink_can_read_it() {
    let (mut conn, key) = setup("nogroup").await;
    push(&mut conn, &key.list, 10).await;
    let mut claimer = Claimer::new(conn.clone(), vec![key.clone()], 100, 1_000_000, 1 << 30);
    let round = claimer.round().await.unwrap();
    assert_eq!(round.claimed, 0);
    let left: u64 = conn.llen(&key.list).await.unwrap();
    assert_eq!(
        left, 10,
        "records stay in the gateway's list while no group exists"
    );
}

#[tokio::test]
async fn a_short_list_is_claimed_whole_and_loses_the_gateway_ttl() {
    let (mut conn, key) = setup("short").await;
    ensure_groups(&mut conn, &[&key], "sink").await.unwrap();
    push(&mut conn, &key.list, 10).await;
    let _: () = conn.expire(&key.list, 60).await.unwrap();
    let mut claimer = Claimer::new(conn.clone(), vec![key.clone()], 100, 1_000_000, 1 << 30);
    let round = claimer.round().await.unwrap();
    assert_eq!((round.claimed, round.remaining, round.more), (10, 0, false));
    let exists: bool = conn.exists(&key.list).await.unwrap();
    assert!(!exists);
    let batch = batch_of(&mut conn, &key, 0).await;
    assert_eq!(
        batch,
        (0..10).map(|i| format!("record-{i}")).collect::<Vec<_>>()
    );
    let entries: redis::streams::StreamRangeReply = conn.xrange_all(&key.stream).await.unwrap();
    let name: String = entries.ids[0].get("b").unwrap();
    let ttl: i64 = conn.ttl(&name).await.unwrap();
    assert_eq!(ttl, -1, "a claimed batch must not expire");
}

#[tokio::test]
async fn a_list_is_claimed_as_slices_of_one_batch_in_order() {
    let (mut conn, key) = setup("slices").await;
    ensure_groups(&mut conn, &[&key], "sink").await.unwrap();
    push(&mut conn, &key.list, 250).await;
    let mut claimer = Claimer::new(conn.clone(), vec![key.clone()], 100, 1_000_000, 1 << 30);
    let round = claimer.round().await.unwrap();
    assert_eq!(
        (round.claimed, round.remaining, round.more),
        (250, 0, false)
    );
    let entries: redis::streams::StreamRangeReply = conn.xrange_all(&key.stream).await.unwrap();
    let slices: Vec<(String, u64, u64)> = entries
        .ids
        .iter()
        .map(|e| {
            (
                e.get("b").unwrap(),
                e.get("o").unwrap(),
                e.get("n").unwrap(),
            )
        })
        .collect();
    assert_eq!(slices.len(), 3);
    assert!(slices.iter().all(|s| s.0 == slices[0].0), "one batch list");
    let shape: Vec<(u64, u64)> = slices.iter().map(|s| (s.1, s.2)).collect();
    assert_eq!(shape, vec![(0, 100), (100, 100), (200, 50)]);
    let state = stream_state(&mut conn, &key).await.unwrap();
    assert_eq!((state.entries, state.records), (3, 250));
    assert!(state.bytes > 0);
}

#[tokio::test]
async fn a_long_list_is_claimed_at_most_1024_entries_at_a_time_in_order() {
    let (mut conn, key) = setup("long").await;
    ensure_groups(&mut conn, &[&key], "sink").await.unwrap();
    push(&mut conn, &key.list, 1500).await;
    let mut claimer = Claimer::new(conn.clone(), vec![key.clone()], 1, 1_000_000, 1 << 30);
    let r1 = claimer.round().await.unwrap();
    assert_eq!((r1.claimed, r1.remaining, r1.more), (1024, 476, true));
    let r2 = claimer.round().await.unwrap();
    assert_eq!((r2.claimed, r2.remaining, r2.more), (476, 0, false));
    let entries: redis::streams::StreamRangeReply = conn.xrange_all(&key.stream).await.unwrap();
    assert_eq!(entries.ids.len(), 1500);
    let mut all: Vec<String> = Vec::new();
    for e in &entries.ids {
        let (b, o, n): (String, i64, i64) = (
            e.get("b").unwrap(),
            e.get("o").unwrap(),
            e.get("n").unwrap(),
        );
        let part: Vec<String> = conn
            .lrange(b, o as isize, (o + n - 1) as isize)
            .await
            .unwrap();
        all.extend(part);
    }
    let want: Vec<String> = (0..1500).map(|i| format!("record-{i}")).collect();
    assert!(all == want, "records out of order, missing or duplicated");
}

#[tokio::test]
async fn the_backlog_limit_stops_claiming() {
    let (mut conn, key) = setup("backlog").await;
    ensure_groups(&mut conn, &[&key], "sink").await.unwrap();
    push(&mut conn, &key.list, 300).await;
    let mut claimer = Claimer::new(conn.clone(), vec![key.clone()], 100, 150, 1 << 30);
    let first = claimer.round().await.unwrap();
    assert_eq!(
        (first.claimed, first.remaining),
        (150, 150),
        "a claim stays within the limit"
    );
    let stalled = claimer.round().await.unwrap();
    assert_eq!(
        (stalled.claimed, stalled.stalled, stalled.remaining),
        (0, 1, 150)
    );
}

#[tokio::test]
async fn trim_keeps_what_any_group_still_needs_and_frees_the_rest() {
    let (mut conn, key) = setup("trim").await;
    ensure_groups(&mut conn, &[&key], "a").await.unwrap();
    ensure_groups(&mut conn, &[&key], "b").await.unwrap();
    push(&mut conn, &key.list, 30).await;
    let mut claimer = Claimer::new(conn.clone(), vec![key.clone()], 10, 1_000_000, 1 << 30);
    claimer.round().await.unwrap();
    push(&mut conn, &key.list, 10).await;
    claimer.round().await.unwrap();
    let entries: redis::streams::StreamRangeReply = conn.xrange_all(&key.stream).await.unwrap();
    let ids: Vec<String> = entries.ids.iter().map(|e| e.id.clone()).collect();
    let batches: Vec<String> = entries.ids.iter().map(|e| e.get("b").unwrap()).collect();
    assert_eq!(ids.len(), 4);
    assert!(
        batches[0] == batches[2] && batches[2] != batches[3],
        "three slices of one batch, then another"
    );
    for group in ["a", "b"] {
        let opts = redis::streams::StreamReadOptions::default()
            .group(group, "c1")
            .count(10);
        let _: redis::streams::StreamReadReply = conn
            .xread_options(&[&key.stream], &[">"], &opts)
            .await
            .unwrap();
    }
    let exists = |conn: &mut RedisConn, k: String| {
        let mut c = conn.clone();
        async move { c.exists::<_, bool>(k).await.unwrap() }
    };
    // Group a acknowledges everything, group b only the first entry.
    let _: i64 = conn.xack(&key.stream, "a", &ids).await.unwrap();
    assert_eq!(
        trim(&mut conn, &key).await.unwrap(),
        0,
        "b still needs every entry"
    );
    let _: i64 = conn.xack(&key.stream, "b", &ids[..1]).await.unwrap();
    assert_eq!(trim(&mut conn, &key).await.unwrap(), 1);
    assert!(
        exists(&mut conn, batches[0].clone()).await,
        "the batch still has slices b needs"
    );
    let state = stream_state(&mut conn, &key).await.unwrap();
    assert_eq!((state.entries, state.records), (3, 30));
    let _: i64 = conn.xack(&key.stream, "b", &ids[1..3]).await.unwrap();
    assert_eq!(trim(&mut conn, &key).await.unwrap(), 2);
    assert!(
        !exists(&mut conn, batches[0].clone()).await,
        "freed with its last slice"
    );
    assert!(exists(&mut conn, batches[3].clone()).await);
    let _: i64 = conn.xack(&key.stream, "b", &ids[3..]).await.unwrap();
    assert_eq!(trim(&mut conn, &key).await.unwrap(), 1);
    assert!(!exists(&mut conn, batches[3].clone()).await);
    let state = stream_state(&mut conn, &key).await.unwrap();
    assert_eq!((state.entries, state.records, state.bytes), (0, 0, 0));
    assert!(state.caught_up("a") && state.caught_up("b"));
}
