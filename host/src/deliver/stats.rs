//! Per-sink counters, shared between the delivery tasks and whoever reports on them.

use std::sync::atomic::{AtomicU64, Ordering};

/// Running totals of one sink.
#[derive(Debug, Default)]
pub struct SinkStats {
    /// Records read from the streams (including re-deliveries).
    pub received: AtomicU64,
    /// Records the sink reported written.
    pub delivered: AtomicU64,
    /// Records left out by the sink's filters.
    pub filtered: AtomicU64,
    /// Write attempts that asked for a retry, counted per record.
    pub retried: AtomicU64,
    /// Records put in the dead letters (undecodable, rejected, or out of retries).
    pub dead_lettered: AtomicU64,
    /// Entries acknowledged.
    pub acked_entries: AtomicU64,
    /// Batches written.
    pub batches: AtomicU64,
}

/// A copy of [`SinkStats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// See [`SinkStats::received`].
    pub received: u64,
    /// See [`SinkStats::delivered`].
    pub delivered: u64,
    /// See [`SinkStats::filtered`].
    pub filtered: u64,
    /// See [`SinkStats::retried`].
    pub retried: u64,
    /// See [`SinkStats::dead_lettered`].
    pub dead_lettered: u64,
    /// See [`SinkStats::acked_entries`].
    pub acked_entries: u64,
    /// See [`SinkStats::batches`].
    pub batches: u64,
}

impl SinkStats {
    /// Reads every counter.
    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            received: g(&self.received),
            delivered: g(&self.delivered),
            filtered: g(&self.filtered),
            retried: g(&self.retried),
            dead_lettered: g(&self.dead_lettered),
            acked_entries: g(&self.acked_entries),
            batches: g(&self.batches),
        }
    }

    pub(crate) fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
}
