//! A sink that POSTs each batch to a URL as NDJSON, one record per line in Tyk's JSON.
//!
//! Status 2xx stores the batch; 429 and 5xx (and no response at all) retry it later; any
//! other status rejects it, which dead-letters the records with the status and body.

use pump_sdk::{Batch, Outcome, Outcomes, Sink, http};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The sink's `config` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where to POST (`http://` or `https://`; its host must be on the sink's `allow_hosts`).
    pub url: String,
    /// Extra request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// POSTs batches as NDJSON.
pub struct Webhook {
    url: String,
    headers: Vec<(String, String)>,
}

impl Sink for Webhook {
    type Config = Config;

    fn new(config: Config) -> Result<Self, String> {
        let mut headers: Vec<_> = config.headers.into_iter().collect();
        headers.push(("content-type".into(), "application/x-ndjson".into()));
        Ok(Webhook {
            url: config.url,
            headers,
        })
    }

    fn write(&mut self, batch: &Batch) -> Outcomes {
        let (body, mut outcomes) = ndjson(batch);
        if body.is_empty() {
            return outcomes.into();
        }
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let sent = match http::post(&self.url, &headers, &body) {
            Ok(r) => classify(r.status, &r.body),
            Err(e) => Outcome::Retry(format!("POST {}: {e}", self.url)),
        };
        for o in outcomes.iter_mut().filter(|o| **o == Outcome::Written) {
            *o = sent.clone();
        }
        outcomes.into()
    }
}

/// The batch as NDJSON, and per record `Written` (it is in the body) or why it is not.
fn ndjson(batch: &Batch) -> (Vec<u8>, Vec<Outcome>) {
    let mut body = Vec::with_capacity(batch.len() * 1024);
    let outcomes = batch
        .iter()
        .map(|r| match r.write_json_line(&mut body) {
            Ok(()) => Outcome::Written,
            Err(e) => Outcome::Rejected(format!("undecodable record: {e}")),
        })
        .collect();
    (body, outcomes)
}

/// What a response status means for the records it answered.
fn classify(status: u16, body: &[u8]) -> Outcome {
    let why = || {
        let body = String::from_utf8_lossy(&body[..body.len().min(200)]);
        format!("HTTP {status}: {body}")
    };
    match status {
        200..=299 => Outcome::Written,
        429 | 500..=599 => Outcome::Retry(why()),
        _ => Outcome::Rejected(why()),
    }
}

pump_sdk::export_sink!(Webhook);

#[cfg(test)]
mod tests {
    use super::*;
    use pump_sdk::AnalyticsRecord;

    #[test]
    fn statuses_map_to_outcomes() {
        assert_eq!(classify(204, b""), Outcome::Written);
        assert!(matches!(classify(503, b"busy"), Outcome::Retry(r) if r == "HTTP 503: busy"));
        assert!(matches!(classify(429, b""), Outcome::Retry(_)));
        assert!(matches!(classify(400, b"bad"), Outcome::Rejected(_)));
    }

    #[test]
    fn a_batch_becomes_one_json_line_per_record() {
        let records = [
            AnalyticsRecord {
                org_id: "a".into(),
                ..Default::default()
            },
            AnalyticsRecord::default(),
        ];
        let (body, outcomes) = ndjson(&Batch::from_analytics(&records));
        assert_eq!(outcomes, [Outcome::Written, Outcome::Written]);
        let lines: Vec<serde_json::Value> = body
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["org_id"], "a");
    }
}
