//! The pump's Prometheus metrics. Per-sink counters live in [`SinkStats`], registered here
//! under the label `sink`; process-wide ones (claims, Redis round trips, lag) are here.

use crate::deliver::{SinkStats, write_seconds_histogram};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// The label of per-sink metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SinkLabel {
    /// The sink's name.
    pub sink: String,
}

/// The label of per-plugin metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginLabel {
    /// The sink or filter name of the plugin.
    pub plugin: String,
}

/// The labels of plugin reloads.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabel {
    /// The sink or filter name of the plugin.
    pub plugin: String,
    /// `ok` or `failed`.
    pub result: String,
}

fn count(family: &Family<PluginLabel, Counter>, plugin: &str) {
    family
        .get_or_create(&PluginLabel {
            plugin: plugin.to_string(),
        })
        .inc();
}

type HistogramFamily = Family<SinkLabel, Histogram, fn() -> Histogram>;

/// Every metric of one pump process.
pub struct Metrics {
    registry: Registry,
    /// Records moved from the gateway's lists into streams by this process.
    pub claimed: Counter,
    /// Times a gateway key's claiming paused at the backlog limit.
    pub backlog_stalls: Counter,
    /// Round-trip time of a Redis PING, in seconds.
    pub redis_rtt_seconds: Gauge<f64, AtomicU64>,
    /// 1 while Redis answers, else 0.
    pub redis_up: Gauge,
    /// Records each sink has not acknowledged yet.
    pub lag_records: Family<SinkLabel, Gauge>,
    /// Age of the oldest record each sink has not acknowledged yet, in seconds.
    pub lag_seconds: Family<SinkLabel, Gauge<f64, AtomicU64>>,
    received: Family<SinkLabel, Counter>,
    delivered: Family<SinkLabel, Counter>,
    filtered: Family<SinkLabel, Counter>,
    retried: Family<SinkLabel, Counter>,
    dead_lettered: Family<SinkLabel, Counter>,
    acked_entries: Family<SinkLabel, Counter>,
    batches: Family<SinkLabel, Counter>,
    timeouts: Family<SinkLabel, Counter>,
    restarts: Family<SinkLabel, Counter>,
    write_seconds: HistogramFamily,
    plugin_restarts: Family<PluginLabel, Counter>,
    plugin_timeouts: Family<PluginLabel, Counter>,
    plugin_reloads: Family<ReloadLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric, all at zero.
    pub fn new() -> Self {
        let mut m = Metrics {
            registry: Registry::with_prefix("pump"),
            claimed: Counter::default(),
            backlog_stalls: Counter::default(),
            redis_rtt_seconds: Gauge::default(),
            redis_up: Gauge::default(),
            lag_records: Family::default(),
            lag_seconds: Family::default(),
            received: Family::default(),
            delivered: Family::default(),
            filtered: Family::default(),
            retried: Family::default(),
            dead_lettered: Family::default(),
            acked_entries: Family::default(),
            batches: Family::default(),
            timeouts: Family::default(),
            restarts: Family::default(),
            write_seconds: Family::new_with_constructor(
                write_seconds_histogram as fn() -> Histogram,
            ),
            plugin_restarts: Family::default(),
            plugin_timeouts: Family::default(),
            plugin_reloads: Family::default(),
        };
        let r = &mut m.registry;
        r.register(
            "records_claimed",
            "Records moved from the gateway's lists into the pump's streams by this process",
            m.claimed.clone(),
        );
        r.register(
            "backlog_stalls",
            "Times claiming from a gateway key paused at the backlog limit",
            m.backlog_stalls.clone(),
        );
        r.register(
            "redis_rtt_seconds",
            "Round-trip time of a Redis PING",
            m.redis_rtt_seconds.clone(),
        );
        r.register("redis_up", "1 while Redis answers", m.redis_up.clone());
        r.register(
            "sink_lag_records",
            "Records a sink has not acknowledged yet",
            m.lag_records.clone(),
        );
        r.register(
            "sink_lag_seconds",
            "Age of the oldest record a sink has not acknowledged yet",
            m.lag_seconds.clone(),
        );
        r.register(
            "records_received",
            "Records read by a sink (re-deliveries included)",
            m.received.clone(),
        );
        r.register(
            "records_delivered",
            "Records a sink wrote",
            m.delivered.clone(),
        );
        r.register(
            "records_filtered",
            "Records left out by a sink's filters",
            m.filtered.clone(),
        );
        r.register(
            "records_retried",
            "Records whose write a sink asked to retry",
            m.retried.clone(),
        );
        r.register(
            "records_dead_lettered",
            "Records put in a sink's dead letters",
            m.dead_lettered.clone(),
        );
        r.register(
            "entries_acknowledged",
            "Stream entries a sink acknowledged",
            m.acked_entries.clone(),
        );
        r.register("sink_writes", "Write attempts of a sink", m.batches.clone());
        r.register(
            "sink_write_timeouts",
            "Writes that did not finish within the sink's timeout",
            m.timeouts.clone(),
        );
        r.register(
            "sink_restarts",
            "Times a sink was rebuilt after it failed",
            m.restarts.clone(),
        );
        r.register(
            "sink_write_duration_seconds",
            "Duration of a sink's write attempts (write and flush)",
            m.write_seconds.clone(),
        );
        r.register(
            "plugin_restarts",
            "Plugin instances dropped after a trap, a timeout or the memory limit",
            m.plugin_restarts.clone(),
        );
        r.register(
            "plugin_timeouts",
            "Plugin calls stopped at their call_timeout",
            m.plugin_timeouts.clone(),
        );
        r.register(
            "plugin_reloads",
            "New plugin versions loaded (result=ok) or refused (result=failed)",
            m.plugin_reloads.clone(),
        );
        m
    }

    /// Counts a plugin instance dropped after a failure.
    pub fn plugin_restart(&self, plugin: &str) {
        count(&self.plugin_restarts, plugin);
    }

    /// Counts a plugin call stopped at its deadline.
    pub fn plugin_timeout(&self, plugin: &str) {
        count(&self.plugin_timeouts, plugin);
    }

    /// Counts a reload of a plugin, done or refused.
    pub fn plugin_reload(&self, plugin: &str, ok: bool) {
        self.plugin_reloads
            .get_or_create(&ReloadLabel {
                plugin: plugin.to_string(),
                result: if ok { "ok" } else { "failed" }.to_string(),
            })
            .inc();
    }

    /// The counters of one sink, registered under its name.
    pub fn sink(&self, name: &str) -> Arc<SinkStats> {
        let l = SinkLabel {
            sink: name.to_string(),
        };
        let stats = SinkStats {
            received: self.received.get_or_create_owned(&l),
            delivered: self.delivered.get_or_create_owned(&l),
            filtered: self.filtered.get_or_create_owned(&l),
            retried: self.retried.get_or_create_owned(&l),
            dead_lettered: self.dead_lettered.get_or_create_owned(&l),
            acked_entries: self.acked_entries.get_or_create_owned(&l),
            batches: self.batches.get_or_create_owned(&l),
            timeouts: self.timeouts.get_or_create_owned(&l),
            restarts: self.restarts.get_or_create_owned(&l),
            write_seconds: self.write_seconds.get_or_create_owned(&l),
            ..SinkStats::default()
        };
        let _ = self.lag_records.get_or_create(&l);
        let _ = self.lag_seconds.get_or_create(&l);
        Arc::new(stats)
    }

    /// The metrics in Prometheus's text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_counters_are_rendered_with_their_sink_label() {
        let m = Metrics::new();
        let a = m.sink("archive");
        a.delivered.inc_by(42);
        a.write_seconds.observe(0.004);
        m.claimed.inc_by(50);
        let text = m.render();
        assert!(
            text.contains("pump_records_delivered_total{sink=\"archive\"} 42"),
            "{text}"
        );
        assert!(text.contains("pump_records_claimed_total 50"), "{text}");
        assert!(
            text.contains("pump_sink_write_duration_seconds_count{sink=\"archive\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("pump_sink_lag_records{sink=\"archive\"} 0"),
            "{text}"
        );
    }
}
