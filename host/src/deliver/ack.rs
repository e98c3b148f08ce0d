//! Acknowledgement, off the worker's path: the worker hands over each finished batch and
//! goes on with the next one while this task acknowledges it and trims the streams.

use super::inflight::InFlight;
use super::{Backoff, SinkStats};
use crate::source::{RedisConn, SourceKey};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Entries whose records are all written or dead-lettered: (stream, entry ID).
pub type AckJob = Vec<(Arc<str>, String)>;

/// Acknowledges finished batches for one sink's consumer group.
pub struct Acker {
    pub group: String,
    pub conn: RedisConn,
    pub rx: mpsc::Receiver<AckJob>,
    pub inflight: Arc<InFlight>,
    pub stats: Arc<SinkStats>,
    /// The sink's streams, to trim after acknowledging.
    pub trim_keys: Vec<SourceKey>,
    /// Stops retries of a failing acknowledgement (the entries stay pending: they will be
    /// delivered again, never lost).
    pub shutdown: CancellationToken,
}

/// Trimming every acknowledgement would cost a script per batch; a few per second keep
/// the backlog counters current enough for the backlog limit.
const TRIM_EVERY: Duration = Duration::from_millis(100);

impl Acker {
    /// Runs until the worker is gone and every job is done.
    pub async fn run(mut self) {
        let mut last_trim: HashMap<Arc<str>, Instant> = HashMap::new();
        let mut untrimmed: Vec<Arc<str>> = Vec::new();
        while let Some(job) = self.rx.recv().await {
            let mut by_stream: BTreeMap<Arc<str>, Vec<String>> = BTreeMap::new();
            for (stream, id) in job {
                by_stream.entry(stream).or_default().push(id);
            }
            for (stream, ids) in by_stream {
                if !self.ack(&stream, &ids).await {
                    return;
                }
                for id in &ids {
                    self.inflight.remove(&stream, id);
                }
                SinkStats::add(&self.stats.acked_entries, ids.len() as u64);
                let due = last_trim
                    .get(&stream)
                    .is_none_or(|t| t.elapsed() >= TRIM_EVERY);
                if due {
                    self.trim(&stream).await;
                    last_trim.insert(stream.clone(), Instant::now());
                    untrimmed.retain(|s| *s != stream);
                } else if !untrimmed.contains(&stream) {
                    untrimmed.push(stream);
                }
            }
        }
        for stream in untrimmed {
            self.trim(&stream).await;
        }
    }

    async fn ack(&mut self, stream: &str, ids: &[String]) -> bool {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        loop {
            let r: redis::RedisResult<i64> = redis::cmd("XACK")
                .arg(stream)
                .arg(&self.group)
                .arg(ids)
                .query_async(&mut self.conn)
                .await;
            match r {
                Ok(_) => return true,
                Err(e) => {
                    tracing::warn!(sink = %self.group, %stream, error = %e, "cannot acknowledge; retrying");
                    if crate::shutdown::sleep(&self.shutdown, backoff.next_delay()).await {
                        return false;
                    }
                }
            }
        }
    }

    async fn trim(&mut self, stream: &str) {
        let Some(key) = self.trim_keys.iter().find(|k| k.stream == stream) else {
            return;
        };
        if let Err(e) = crate::source::trim(&mut self.conn, key).await {
            tracing::debug!(sink = %self.group, %stream, error = %e, "trim failed; a later one catches up");
        }
    }
}
