//! The Redis keys the pump reads and the keys of its own state.

use std::fmt;

/// How the records of a source key are serialized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordFormat {
    /// An analytics record in msgpack (TYK-FORMAT.md §2).
    AnalyticsMsgpack,
    /// An analytics record in protobuf, keys ending `_protobuf` (§3).
    AnalyticsProtobuf,
    /// An uptime record in msgpack (§4).
    UptimeMsgpack,
}

impl RecordFormat {
    /// Whether records of this format are uptime records.
    pub fn is_uptime(self) -> bool {
        self == RecordFormat::UptimeMsgpack
    }
}

impl RecordFormat {
    /// The format named as [`fmt::Display`] writes it.
    pub fn parse(name: &str) -> Option<Self> {
        [
            RecordFormat::AnalyticsMsgpack,
            RecordFormat::AnalyticsProtobuf,
            RecordFormat::UptimeMsgpack,
        ]
        .into_iter()
        .find(|f| f.to_string() == name)
    }
}

impl fmt::Display for RecordFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordFormat::AnalyticsMsgpack => "analytics/msgpack",
            RecordFormat::AnalyticsProtobuf => "analytics/protobuf",
            RecordFormat::UptimeMsgpack => "uptime/msgpack",
        })
    }
}

/// One gateway list and the stream that holds its claimed records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceKey {
    /// The gateway's list, e.g. `analytics-tyk-system-analytics_3`.
    pub list: String,
    /// The stream of claimed entries; its hash tag is the list's name, so that both sit in
    /// the same Redis Cluster slot and one script can touch both.
    pub stream: String,
    /// Per-stream backlog counters (`records`, `bytes`) of entries not yet trimmed.
    pub backlog: String,
    /// `"<entry id> <records> <bytes> <batch list>"` per entry, oldest first, so trimming
    /// can free batches and subtract their sizes without reading the entries.
    pub sizes: String,
    /// The prefix of this key's batch lists (a claimed batch lives in its own list, named
    /// in the stream entry, until every sink has acknowledged it).
    pub batch_prefix: String,
    /// How its records are serialized.
    pub format: RecordFormat,
}

impl SourceKey {
    /// A new, unique batch list name in this key's slot.
    pub fn new_batch_key(&self) -> String {
        use std::sync::atomic::{AtomicU64, Ordering};
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        format!("{}{:016x}{seq:x}", self.batch_prefix, rand::random::<u64>())
    }
}

/// The names of every key the pump uses, derived from `[source]`.
#[derive(Debug, Clone)]
pub struct Keys {
    state_prefix: String,
    sources: Vec<SourceKey>,
}

impl Keys {
    /// The 22 analytics keys for `key_prefix`, then the uptime key.
    pub fn new(key_prefix: &str, uptime_key: &str, state_prefix: &str) -> Self {
        let base = format!("{key_prefix}tyk-system-analytics");
        let mut lists = vec![base.clone()];
        lists.extend((0..10).map(|i| format!("{base}_{i}")));
        let mut sources: Vec<SourceKey> = Vec::with_capacity(23);
        for list in lists {
            sources.push(Self::source(
                state_prefix,
                &list,
                RecordFormat::AnalyticsMsgpack,
            ));
            sources.push(Self::source(
                state_prefix,
                &format!("{list}_protobuf"),
                RecordFormat::AnalyticsProtobuf,
            ));
        }
        sources.push(Self::source(
            state_prefix,
            uptime_key,
            RecordFormat::UptimeMsgpack,
        ));
        Keys {
            state_prefix: state_prefix.to_string(),
            sources,
        }
    }

    fn source(prefix: &str, list: &str, format: RecordFormat) -> SourceKey {
        SourceKey {
            list: list.to_string(),
            stream: format!("{prefix}:{{{list}}}:stream"),
            backlog: format!("{prefix}:{{{list}}}:backlog"),
            sizes: format!("{prefix}:{{{list}}}:sizes"),
            batch_prefix: format!("{prefix}:{{{list}}}:batch:"),
            format,
        }
    }

    /// Every source key: 22 analytics lists and the uptime list.
    pub fn sources(&self) -> &[SourceKey] {
        &self.sources
    }

    /// The source whose list is `list`.
    pub fn by_list(&self, list: &str) -> Option<&SourceKey> {
        self.sources.iter().find(|s| s.list == list)
    }

    /// A filter's rollouts: a hash of plugin version → the Redis time (ms) from which the
    /// pumps of a fleet route with it.
    pub fn filter_rollout(&self, filter: &str) -> String {
        format!("{}:{{filter:{filter}}}:rollout", self.state_prefix)
    }

    /// A sink's dead letters: a stream of `{source, reason, time, record}` entries.
    pub fn dead_letters(&self, sink: &str) -> String {
        format!("{}:{{sink:{sink}}}:dead", self.state_prefix)
    }

    /// A sink's replay stream: dead letters re-queued for that sink alone, read by the
    /// sink's consumer group like a source stream. Same slot as its dead letters.
    pub fn replay(&self, sink: &str) -> SourceKey {
        let tag = format!("{}:{{sink:{sink}}}", self.state_prefix);
        SourceKey {
            list: format!("{tag}:replay"),
            stream: format!("{tag}:replay"),
            backlog: format!("{tag}:replay-backlog"),
            sizes: format!("{tag}:replay-sizes"),
            batch_prefix: format!("{tag}:replay-batch:"),
            // Replay entries name their original source; this default is never used to
            // decode them.
            format: RecordFormat::AnalyticsMsgpack,
        }
    }

    /// Where Tyk Pump writes its version for the Dashboard.
    pub const VERSION_KEY: &'static str = "version-check-pump";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_the_22_analytics_keys_and_the_uptime_key() {
        let k = Keys::new("analytics-", "host-checker:tyk-uptime-analytics", "pump");
        let lists: Vec<&str> = k.sources().iter().map(|s| s.list.as_str()).collect();
        assert_eq!(lists.len(), 23);
        assert!(lists.contains(&"analytics-tyk-system-analytics"));
        assert!(lists.contains(&"analytics-tyk-system-analytics_protobuf"));
        assert!(lists.contains(&"analytics-tyk-system-analytics_0"));
        assert!(lists.contains(&"analytics-tyk-system-analytics_9_protobuf"));
        assert!(lists.contains(&"host-checker:tyk-uptime-analytics"));
        let protobuf = k
            .sources()
            .iter()
            .filter(|s| s.format == RecordFormat::AnalyticsProtobuf)
            .count();
        assert_eq!(protobuf, 11);
        let s = k.by_list("analytics-tyk-system-analytics_3").unwrap();
        assert_eq!(s.stream, "pump:{analytics-tyk-system-analytics_3}:stream");
    }
}
