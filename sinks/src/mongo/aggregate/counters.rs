//! One aggregate counter (Tyk's `analytics.Counter`): the hits, successes, errors, request
//! times, latencies and connection figures of one dimension value in one time bucket.

use mongodb::bson::DateTime;
use pump_record::AnalyticsRecord;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A BSON date that defaults to the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Time(pub DateTime);

impl Default for Time {
    fn default() -> Self {
        Time(DateTime::from_millis(0))
    }
}

/// Tyk's counter, field for field (lower-cased Go names as stored by Tyk Pump).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counter {
    pub hits: i64,
    /// Responses 200–299.
    pub success: i64,
    /// Responses 400 and above.
    pub errortotal: i64,
    /// Error responses by status code.
    pub errormap: BTreeMap<String, i64>,
    pub totalrequesttime: f64,
    /// `totalrequesttime / hits`.
    pub requesttime: f64,
    pub identifier: String,
    pub humanidentifier: String,
    /// The newest record time counted.
    pub lasttime: Time,
    pub openconnections: i64,
    pub closedconnections: i64,
    pub bytesin: i64,
    pub bytesout: i64,
    pub maxlatency: i64,
    pub minlatency: i64,
    pub totallatency: i64,
    /// `totallatency / hits`.
    pub latency: f64,
    pub maxupstreamlatency: i64,
    pub minupstreamlatency: i64,
    pub totalupstreamlatency: i64,
    /// `totalupstreamlatency / hits`.
    pub upstreamlatency: f64,
}

impl Counter {
    /// Counts one record.
    pub fn add(&mut self, r: &AnalyticsRecord<'_>, identifier: &str, human: &str) {
        let first = self.hits == 0;
        self.hits += 1;
        if (200..300).contains(&r.response_code) {
            self.success += 1;
        }
        if r.response_code >= 400 {
            self.errortotal += 1;
            *self
                .errormap
                .entry(r.response_code.to_string())
                .or_insert(0) += 1;
        }
        self.totalrequesttime += r.request_time as f64;
        if self.identifier.is_empty() {
            self.identifier = identifier.to_string();
        }
        if !human.is_empty() {
            self.humanidentifier = human.to_string();
        }
        let t = DateTime::from_millis(r.timestamp.unix_millis());
        if first || t > self.lasttime.0 {
            self.lasttime = Time(t);
        }
        self.openconnections = self
            .openconnections
            .saturating_add(r.network.open_connections);
        self.closedconnections = self
            .closedconnections
            .saturating_add(r.network.closed_connections);
        self.bytesin = self.bytesin.saturating_add(r.network.bytes_in);
        self.bytesout = self.bytesout.saturating_add(r.network.bytes_out);
        let (total, up) = (r.latency.total, r.latency.upstream);
        self.totallatency = self.totallatency.saturating_add(total);
        self.totalupstreamlatency = self.totalupstreamlatency.saturating_add(up);
        if first {
            self.maxlatency = total;
            self.minlatency = total;
            self.maxupstreamlatency = up;
            self.minupstreamlatency = up;
        } else {
            self.maxlatency = self.maxlatency.max(total);
            self.minlatency = self.minlatency.min(total);
            self.maxupstreamlatency = self.maxupstreamlatency.max(up);
            self.minupstreamlatency = self.minupstreamlatency.min(up);
        }
        self.finish();
    }

    /// Recomputes the averages from the totals.
    pub fn finish(&mut self) {
        if self.hits > 0 {
            let hits = self.hits as f64;
            self.requesttime = self.totalrequesttime / hits;
            self.latency = self.totallatency as f64 / hits;
            self.upstreamlatency = self.totalupstreamlatency as f64 / hits;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pump_record::{Latency, Timestamp};

    #[test]
    fn counts_successes_errors_and_latency_bounds() {
        let mut c = Counter::default();
        let mut r = AnalyticsRecord {
            response_code: 200,
            request_time: 10,
            latency: Latency {
                total: 10,
                upstream: 7,
                gateway: 3,
            },
            timestamp: Timestamp::new(100, 0),
            ..Default::default()
        };
        c.add(&r, "a", "A");
        r.response_code = 503;
        r.request_time = 30;
        r.latency.total = 30;
        r.latency.upstream = 1;
        c.add(&r, "a", "A");
        assert_eq!((c.hits, c.success, c.errortotal), (2, 1, 1));
        assert_eq!(c.errormap.get("503"), Some(&1));
        assert_eq!((c.minlatency, c.maxlatency, c.totallatency), (10, 30, 40));
        assert_eq!((c.minupstreamlatency, c.maxupstreamlatency), (1, 7));
        assert_eq!(c.requesttime, 20.0);
        assert_eq!(c.latency, 20.0);
        assert_eq!(c.upstreamlatency, 4.0);
    }
}
