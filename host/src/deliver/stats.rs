//! Per-sink counters, shared between the delivery tasks and whoever reports on them (the
//! run summary, `/metrics`, `/health`). The counters are Prometheus metrics, registered
//! under the sink's name by [`crate::admin::Metrics`].

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;
use std::sync::Mutex;
use std::time::Instant;

/// Running totals and the health of one sink.
#[derive(Debug)]
pub struct SinkStats {
    /// Records read from the streams (including re-deliveries).
    pub received: Counter,
    /// Records the sink reported written.
    pub delivered: Counter,
    /// Records left out by the sink's filters.
    pub filtered: Counter,
    /// Write attempts that asked for a retry, counted per record.
    pub retried: Counter,
    /// Records put in the dead letters (undecodable, rejected, or out of retries).
    pub dead_lettered: Counter,
    /// Entries acknowledged.
    pub acked_entries: Counter,
    /// Write attempts.
    pub batches: Counter,
    /// Writes that did not finish within the sink's `timeout`.
    pub timeouts: Counter,
    /// Times the sink was rebuilt after its worker died.
    pub restarts: Counter,
    /// Seconds per write attempt (write and flush).
    pub write_seconds: Histogram,
    /// Since when, and why, the sink's writes have been failing (`None` while they succeed).
    pub(crate) failing: Mutex<Option<(Instant, String)>>,
}

/// A copy of the counters at one moment.
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

/// Buckets of [`SinkStats::write_seconds`]: 1 ms to about 33 s.
pub fn write_seconds_histogram() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.001, 2.0, 16,
    ))
}

impl Default for SinkStats {
    /// Counters not registered anywhere (tests, and runs without `[admin]`).
    fn default() -> Self {
        SinkStats {
            received: Counter::default(),
            delivered: Counter::default(),
            filtered: Counter::default(),
            retried: Counter::default(),
            dead_lettered: Counter::default(),
            acked_entries: Counter::default(),
            batches: Counter::default(),
            timeouts: Counter::default(),
            restarts: Counter::default(),
            write_seconds: write_seconds_histogram(),
            failing: Mutex::new(None),
        }
    }
}

impl SinkStats {
    /// Reads every counter.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            received: self.received.get(),
            delivered: self.delivered.get(),
            filtered: self.filtered.get(),
            retried: self.retried.get(),
            dead_lettered: self.dead_lettered.get(),
            acked_entries: self.acked_entries.get(),
            batches: self.batches.get(),
        }
    }

    pub(crate) fn add(c: &Counter, n: u64) {
        c.inc_by(n);
    }

    /// Notes a write attempt that left records to retry.
    pub(crate) fn write_failed(&self, reason: &str) {
        if let Ok(mut f) = self.failing.lock() {
            match f.as_mut() {
                Some((_, last)) => *last = reason.to_string(),
                None => *f = Some((Instant::now(), reason.to_string())),
            }
        }
    }

    /// Notes a write attempt that left nothing to retry.
    pub(crate) fn write_succeeded(&self) {
        if let Ok(mut f) = self.failing.lock() {
            *f = None;
        }
    }

    /// Since when and why writes have been failing, if they are.
    pub fn failing(&self) -> Option<(Instant, String)> {
        self.failing.lock().ok().and_then(|f| f.clone())
    }
}
