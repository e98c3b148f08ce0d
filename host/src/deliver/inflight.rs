//! Entries read by this consumer and not yet acknowledged, kept alive while in flight.
//!
//! An entry pending on a consumer that looks idle for `pending_timeout` is taken over by
//! another consumer (it may belong to a process that died). A live consumer that takes
//! long over a batch (a sink retrying for minutes) re-claims its own entries periodically,
//! which resets their idle time, so nobody takes them over and no record is delivered twice
//! in normal operation.

use crate::source::RedisConn;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The IDs in flight per stream.
#[derive(Debug, Default)]
pub struct InFlight {
    ids: Mutex<HashMap<Arc<str>, BTreeSet<String>>>,
}

impl InFlight {
    pub fn add(&self, stream: &Arc<str>, id: &str) {
        if let Ok(mut m) = self.ids.lock() {
            m.entry(stream.clone()).or_default().insert(id.to_string());
        }
    }

    pub fn remove(&self, stream: &Arc<str>, id: &str) {
        if let Ok(mut m) = self.ids.lock()
            && let Some(set) = m.get_mut(stream)
        {
            set.remove(id);
        }
    }

    pub fn contains(&self, stream: &Arc<str>, id: &str) -> bool {
        self.ids
            .lock()
            .is_ok_and(|m| m.get(stream).is_some_and(|set| set.contains(id)))
    }

    fn snapshot(&self) -> Vec<(Arc<str>, Vec<String>)> {
        match self.ids.lock() {
            Ok(m) => m
                .iter()
                .filter(|(_, s)| !s.is_empty())
                .map(|(k, s)| (k.clone(), s.iter().cloned().collect()))
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// Re-claims this consumer's in-flight entries every `every` until shutdown.
pub async fn heartbeat(
    mut conn: RedisConn,
    inflight: Arc<InFlight>,
    group: String,
    consumer: String,
    every: Duration,
    shutdown: CancellationToken,
) {
    while !crate::shutdown::sleep(&shutdown, every).await {
        for (stream, ids) in inflight.snapshot() {
            for chunk in ids.chunks(500) {
                let r: redis::RedisResult<redis::Value> = redis::cmd("XCLAIM")
                    .arg(&*stream)
                    .arg(&group)
                    .arg(&consumer)
                    .arg(0)
                    .arg(chunk)
                    .arg("JUSTID")
                    .query_async(&mut conn)
                    .await;
                if let Err(e) = r {
                    tracing::warn!(sink = %group, %stream, error = %e, "cannot refresh in-flight entries");
                }
            }
        }
    }
}
