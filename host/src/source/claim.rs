//! Claiming: moving records from the gateway's lists into the streams, within the backlog
//! limit.

use super::{RedisConn, SourceKey};
use futures::future::join_all;
use redis::Script;

const CLAIM: &str = include_str!("scripts/claim.lua");

/// Most entries one claim creates. A list that fits is renamed whole (O(1), where a partial
/// claim copies records); the cost of a large claim is that its batch list is freed only
/// once all its entries are acknowledged, which keeps no more in Redis than the gateway's
/// list held already.
const ENTRIES_PER_CLAIM: usize = 1024;

/// What one claim round did over every source key.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ClaimRound {
    /// Records moved into streams.
    pub claimed: u64,
    /// Records still waiting in the lists after the round (over the keys that were read).
    pub remaining: u64,
    /// Whether some key had more records than one claim takes: claim again at once.
    pub more: bool,
    /// Keys not claimed because the backlog limit was reached.
    pub stalled: usize,
    /// Of those, the keys that reached it in this round.
    pub newly_stalled: usize,
}

/// Claims batches from the gateway's lists. Several claimers (in several processes) may
/// run at once: the claim is one atomic script, so no record is claimed twice.
pub struct Claimer {
    conn: RedisConn,
    keys: Vec<SourceKey>,
    script: Script,
    batch_size: usize,
    max_records: u64,
    max_bytes: u64,
    stalled: Vec<bool>,
}

impl Claimer {
    /// A claimer over `keys`; `max_records`/`max_bytes` bound each stream's backlog.
    pub fn new(
        conn: RedisConn,
        keys: Vec<SourceKey>,
        batch_size: usize,
        max_records: u64,
        max_bytes: u64,
    ) -> Self {
        let stalled = vec![false; keys.len()];
        Claimer {
            conn,
            keys,
            script: Script::new(CLAIM),
            batch_size,
            max_records,
            max_bytes,
            stalled,
        }
    }

    /// Claims at most one batch from every key, all keys at once (pipelined).
    pub async fn round(&mut self) -> Result<ClaimRound, redis::RedisError> {
        let results = join_all(self.keys.iter().map(|k| {
            let mut conn = self.conn.clone();
            let mut inv = self.script.prepare_invoke();
            inv.key(&k.list)
                .key(k.new_batch_key())
                .key(&k.stream)
                .key(&k.backlog)
                .key(&k.sizes)
                .arg(self.batch_size)
                .arg(self.max_records)
                .arg(self.max_bytes)
                .arg(self.batch_size.saturating_mul(ENTRIES_PER_CLAIM));
            async move { inv.invoke_async::<(i64, u64)>(&mut conn).await }
        }))
        .await;
        let mut round = ClaimRound::default();
        for (i, result) in results.into_iter().enumerate() {
            let (claimed, remaining) = result?;
            let key = &self.keys[i];
            match claimed {
                -2 => {
                    round.stalled += 1;
                    round.remaining += remaining;
                    if !self.stalled[i] && remaining > 0 {
                        self.stalled[i] = true;
                        round.newly_stalled += 1;
                        tracing::warn!(
                            list = %key.list,
                            waiting = remaining,
                            max_backlog_records = self.max_records,
                            max_backlog_bytes = self.max_bytes,
                            "backlog limit reached: claiming paused for this key until the slowest sink catches up; records wait in the gateway's list"
                        );
                    }
                }
                // No sink reads this stream: leave the list alone (like Tyk's
                // `dont_purge_uptime_data` when no sink takes uptime records).
                -1 => {}
                n => {
                    if self.stalled[i] {
                        self.stalled[i] = false;
                        tracing::info!(list = %key.list, "backlog below its limit again: claiming resumed");
                    }
                    let n = n.max(0) as u64;
                    round.claimed += n;
                    round.remaining += remaining;
                    if remaining > 0 {
                        round.more = true;
                    }
                }
            }
        }
        Ok(round)
    }
}
