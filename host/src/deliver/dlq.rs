//! Dead letters: per sink, in Redis, the raw record with the reason and the time, so that
//! nothing that could not be written is lost; `pump dlq` lists, counts and re-queues them.

use crate::source::{Keys, RecordFormat, RedisConn};
use pump_record::Timestamp;
use redis::{AsyncCommands, RedisResult, Script, Value};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

const REQUEUE: &str = include_str!("requeue.lua");

/// A record to dead-letter.
#[derive(Debug, Clone)]
pub struct DeadLetter<'a> {
    /// The gateway list it came from.
    pub source: &'a str,
    /// Its format.
    pub format: RecordFormat,
    /// Why it could not be written.
    pub reason: String,
    /// The raw record, as the gateway wrote it.
    pub record: &'a [u8],
}

/// A dead letter as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDeadLetter {
    /// Its ID in the dead-letter stream.
    pub id: String,
    /// When it was dead-lettered (RFC 3339).
    pub time: String,
    /// The gateway list it came from.
    pub source: String,
    /// Its format, as `RecordFormat` displays it.
    pub format: String,
    /// Why it could not be written.
    pub reason: String,
    /// The raw record.
    pub record: Vec<u8>,
}

fn now() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::new(d.as_secs() as i64, i64::from(d.subsec_nanos())).to_string()
}

/// Appends dead letters to a sink's dead-letter stream (one round trip).
pub async fn push(conn: &mut RedisConn, key: &str, letters: &[DeadLetter<'_>]) -> RedisResult<()> {
    if letters.is_empty() {
        return Ok(());
    }
    let time = now();
    let mut pipe = redis::pipe();
    for l in letters {
        pipe.cmd("XADD")
            .arg(key)
            .arg("*")
            .arg("time")
            .arg(&time)
            .arg("src")
            .arg(l.source)
            .arg("fmt")
            .arg(l.format.to_string())
            .arg("reason")
            .arg(&l.reason)
            .arg("record")
            .arg(l.record)
            .ignore();
    }
    pipe.query_async(conn).await
}

/// How many dead letters a sink has.
pub async fn count(conn: &mut RedisConn, keys: &Keys, sink: &str) -> RedisResult<u64> {
    conn.xlen(keys.dead_letters(sink)).await
}

/// Up to `limit` dead letters of a sink, oldest first.
pub async fn list(
    conn: &mut RedisConn,
    keys: &Keys,
    sink: &str,
    limit: usize,
) -> RedisResult<Vec<StoredDeadLetter>> {
    let reply: redis::streams::StreamRangeReply = conn
        .xrange_count(keys.dead_letters(sink), "-", "+", limit)
        .await?;
    Ok(reply
        .ids
        .into_iter()
        .map(|sid| {
            let mut m = sid.map;
            StoredDeadLetter {
                id: sid.id,
                time: text(&mut m, "time"),
                source: text(&mut m, "src"),
                format: text(&mut m, "fmt"),
                reason: text(&mut m, "reason"),
                record: bytes(&mut m, "record"),
            }
        })
        .collect())
}

/// Moves up to `limit` of a sink's oldest dead letters to its replay stream, which only
/// that sink reads: the other sinks do not get them again. Returns how many moved.
pub async fn requeue(
    conn: &mut RedisConn,
    keys: &Keys,
    sink: &str,
    limit: usize,
) -> RedisResult<u64> {
    let replay = keys.replay(sink);
    let dead = keys.dead_letters(sink);
    let script = Script::new(REQUEUE);
    let mut moved = 0;
    while (moved as usize) < limit {
        let n: u64 = script
            .key(&dead)
            .key(&replay.stream)
            .key(replay.new_batch_key())
            .key(&replay.backlog)
            .key(&replay.sizes)
            .invoke_async(conn)
            .await?;
        if n == 0 {
            break;
        }
        moved += n;
    }
    Ok(moved)
}

/// Deletes a sink's dead letters; returns how many there were.
pub async fn purge(conn: &mut RedisConn, keys: &Keys, sink: &str) -> RedisResult<u64> {
    let key = keys.dead_letters(sink);
    let n: u64 = conn.xlen(&key).await?;
    let _: () = conn.del(&key).await?;
    Ok(n)
}

fn text(m: &mut HashMap<String, Value>, k: &str) -> String {
    String::from_utf8_lossy(&bytes(m, k)).into_owned()
}

fn bytes(m: &mut HashMap<String, Value>, k: &str) -> Vec<u8> {
    match m.remove(k) {
        Some(Value::BulkString(b)) => b,
        Some(Value::SimpleString(s)) => s.into_bytes(),
        _ => Vec::new(),
    }
}
