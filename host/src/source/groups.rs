//! Consumer groups (one per sink) on the streams, their state, and trimming.

use super::{RedisConn, SourceKey};
use redis::{AsyncCommands, RedisResult, Script, Value};

const TRIM: &str = include_str!("scripts/trim.lua");
const FORGET_CONSUMERS: &str = include_str!("scripts/forget_consumers.lua");
const LAG: &str = include_str!("scripts/lag.lua");

/// How far one sink's group is behind on one stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupLag {
    /// Records not acknowledged yet (pending, or not delivered yet).
    pub records: u64,
    /// Entries not acknowledged yet.
    pub entries: u64,
    /// Entries delivered to a consumer and not acknowledged yet.
    pub pending: u64,
    /// Consumers that read from the stream recently (live processes).
    pub live_consumers: u64,
    /// When the oldest entry not acknowledged was claimed (ms since the epoch).
    pub oldest_ms: Option<u64>,
}

impl GroupLag {
    /// Adds another stream's lag.
    pub fn add(&mut self, other: &GroupLag) {
        self.records += other.records;
        self.entries += other.entries;
        self.pending += other.pending;
        self.live_consumers = self.live_consumers.max(other.live_consumers);
        self.oldest_ms = match (self.oldest_ms, other.oldest_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// A group's lag on a stream; `None` when the group does not exist there. Consumers idle
/// for less than `live_within` count as live.
pub async fn group_lag(
    conn: &mut RedisConn,
    key: &SourceKey,
    group: &str,
    live_within: std::time::Duration,
) -> RedisResult<Option<GroupLag>> {
    let (found, records, entries, pending, live_consumers, oldest): (
        u8,
        u64,
        u64,
        u64,
        u64,
        String,
    ) = Script::new(LAG)
        .key(&key.stream)
        .arg(group)
        .arg(live_within.as_millis() as u64)
        .invoke_async(conn)
        .await?;
    Ok((found == 1).then(|| GroupLag {
        records,
        entries,
        pending,
        live_consumers,
        oldest_ms: oldest.split('-').next().and_then(|ms| ms.parse().ok()),
    }))
}

/// Creates the sink's consumer group on each stream (and the stream itself if needed).
/// A new group starts at the beginning of the stream: it receives every entry that has not
/// been trimmed yet.
pub async fn ensure_groups(
    conn: &mut RedisConn,
    streams: &[&SourceKey],
    group: &str,
) -> RedisResult<()> {
    for key in streams {
        let created: RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&key.stream)
            .arg(group)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(conn)
            .await;
        match created {
            Ok(()) => {}
            Err(e) if e.code() == Some("BUSYGROUP") => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Removes a sink's consumer group from a stream, so it no longer holds entries back.
/// Returns whether the group existed.
pub async fn forget_group(conn: &mut RedisConn, key: &SourceKey, group: &str) -> RedisResult<bool> {
    let exists: bool = conn.exists(&key.stream).await?;
    if !exists {
        return Ok(false);
    }
    let destroyed: i64 = redis::cmd("XGROUP")
        .arg("DESTROY")
        .arg(&key.stream)
        .arg(group)
        .query_async(conn)
        .await?;
    Ok(destroyed > 0)
}

/// Trims what every group has acknowledged; returns the number of entries removed.
pub async fn trim(conn: &mut RedisConn, key: &SourceKey) -> RedisResult<u64> {
    Script::new(TRIM)
        .key(&key.stream)
        .key(&key.backlog)
        .key(&key.sizes)
        .invoke_async(conn)
        .await
}

/// Removes the group's consumers that hold nothing and were idle longer than `idle`
/// (processes that are gone); returns how many.
pub async fn forget_idle_consumers(
    conn: &mut RedisConn,
    key: &SourceKey,
    group: &str,
    idle: std::time::Duration,
) -> RedisResult<u64> {
    Script::new(FORGET_CONSUMERS)
        .key(&key.stream)
        .arg(group)
        .arg(idle.as_millis() as u64)
        .invoke_async(conn)
        .await
}

/// One consumer group's position on a stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupState {
    /// The group's (the sink's) name.
    pub name: String,
    /// Consumers known to the group.
    pub consumers: u64,
    /// Entries delivered to a consumer and not acknowledged yet.
    pub pending: u64,
    /// The last entry delivered to the group.
    pub last_delivered: String,
    /// Entries added to the stream and not yet delivered to the group (Redis 7 `lag`),
    /// `None` when Redis cannot tell.
    pub lag: Option<u64>,
}

/// A stream's size and its groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamState {
    /// Entries in the stream (not trimmed yet).
    pub entries: u64,
    /// Records in entries not yet trimmed (the backlog counters).
    pub records: u64,
    /// Bytes of records in entries not yet trimmed.
    pub bytes: u64,
    /// The ID of the last entry ever added.
    pub last_generated: String,
    /// The stream's groups.
    pub groups: Vec<GroupState>,
}

impl StreamState {
    /// The named group, if it exists.
    pub fn group(&self, name: &str) -> Option<&GroupState> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// Whether the named group has received and acknowledged every entry.
    pub fn caught_up(&self, name: &str) -> bool {
        match self.group(name) {
            Some(g) => {
                g.pending == 0 && (self.entries == 0 || g.last_delivered == self.last_generated)
            }
            None => true,
        }
    }
}

/// Reads a stream's state; an absent stream reads as empty with no groups.
pub async fn stream_state(conn: &mut RedisConn, key: &SourceKey) -> RedisResult<StreamState> {
    let exists: bool = conn.exists(&key.stream).await?;
    if !exists {
        return Ok(StreamState::default());
    }
    let info: Value = redis::cmd("XINFO")
        .arg("STREAM")
        .arg(&key.stream)
        .query_async(conn)
        .await?;
    let info = pairs(&info);
    let groups: Value = redis::cmd("XINFO")
        .arg("GROUPS")
        .arg(&key.stream)
        .query_async(conn)
        .await?;
    let (records, bytes): (Option<u64>, Option<u64>) = redis::cmd("HMGET")
        .arg(&key.backlog)
        .arg("records")
        .arg("bytes")
        .query_async(conn)
        .await?;
    let mut state = StreamState {
        entries: int(find(&info, "length")).unwrap_or(0),
        records: records.unwrap_or(0),
        bytes: bytes.unwrap_or(0),
        last_generated: text(find(&info, "last-generated-id")).unwrap_or_default(),
        groups: Vec::new(),
    };
    if let Value::Array(gs) = groups {
        for g in &gs {
            let f = pairs(g);
            state.groups.push(GroupState {
                name: text(find(&f, "name")).unwrap_or_default(),
                consumers: int(find(&f, "consumers")).unwrap_or(0),
                pending: int(find(&f, "pending")).unwrap_or(0),
                last_delivered: text(find(&f, "last-delivered-id")).unwrap_or_default(),
                lag: int(find(&f, "lag")),
            });
        }
    }
    Ok(state)
}

/// Field/value pairs of an XINFO reply (an array in RESP2, a map in RESP3).
fn pairs(v: &Value) -> Vec<(String, &Value)> {
    match v {
        Value::Array(items) => items
            .chunks(2)
            .filter_map(|c| match c {
                [k, v] => text(Some(k)).map(|k| (k, v)),
                _ => None,
            })
            .collect(),
        Value::Map(items) => items
            .iter()
            .filter_map(|(k, v)| text(Some(k)).map(|k| (k, v)))
            .collect(),
        _ => Vec::new(),
    }
}

fn find<'a>(pairs: &[(String, &'a Value)], name: &str) -> Option<&'a Value> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

fn int(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Int(i) => u64::try_from(*i).ok(),
        Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        _ => None,
    }
}
