//! A sink for Splunk's HTTP Event Collector: each record becomes one HEC event whose
//! `event` is the record in Tyk's JSON and whose `time` is the record's timestamp. A batch
//! is one request, authenticated with `Authorization: Splunk <token>`.
//!
//! Status 2xx stores the batch; 429, 503 and other 5xx retry it; other statuses (a bad
//! token, a malformed event) reject it with Splunk's answer.

use pump_sdk::{Batch, Outcome, Outcomes, Record, Sink, http};
use serde::{Deserialize, Serialize};

/// The sink's `config` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The collector's event endpoint, e.g. `https://splunk:8088/services/collector/event`.
    pub url: String,
    /// The HEC token.
    pub token: String,
    /// The index events go to (the token's default when unset).
    #[serde(default)]
    pub index: Option<String>,
    /// The events' `sourcetype`.
    #[serde(default = "default_sourcetype")]
    pub sourcetype: String,
    /// The events' `source`.
    #[serde(default = "default_source")]
    pub source: String,
}

fn default_sourcetype() -> String {
    "tyk:analytics".into()
}

fn default_source() -> String {
    "tyk-pump".into()
}

/// Sends batches to Splunk HEC.
pub struct SplunkHec {
    config: Config,
    authorization: String,
}

/// One HEC event.
#[derive(Serialize)]
struct Event<'a, T: Serialize> {
    time: f64,
    source: &'a str,
    sourcetype: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<&'a str>,
    event: T,
}

impl SplunkHec {
    /// The batch as concatenated HEC events, and per record whether it is in the body.
    fn events(&self, batch: &Batch) -> (Vec<u8>, Vec<Outcome>) {
        let mut body = Vec::with_capacity(batch.len() * 1024);
        let outcomes = batch
            .iter()
            .map(|r| match r.decode() {
                Ok(record) => {
                    let written = match record {
                        Record::Analytics(a) => {
                            self.event(&mut body, a.timestamp.unix_millis(), &a)
                        }
                        Record::Uptime(u) => self.event(&mut body, u.timestamp.unix_millis(), &u),
                    };
                    match written {
                        Ok(()) => Outcome::Written,
                        Err(e) => Outcome::Rejected(format!("cannot encode the event: {e}")),
                    }
                }
                Err(e) => Outcome::Rejected(format!("undecodable record: {e}")),
            })
            .collect();
        (body, outcomes)
    }

    fn event<T: Serialize>(
        &self,
        body: &mut Vec<u8>,
        millis: i64,
        record: &T,
    ) -> Result<(), serde_json::Error> {
        let event = Event {
            time: millis as f64 / 1000.0,
            source: &self.config.source,
            sourcetype: &self.config.sourcetype,
            index: self.config.index.as_deref(),
            event: record,
        };
        serde_json::to_writer(&mut *body, &event)?;
        body.push(b'\n');
        Ok(())
    }
}

impl Sink for SplunkHec {
    type Config = Config;

    fn new(config: Config) -> Result<Self, String> {
        if config.token.is_empty() {
            return Err("token: the HEC token must not be empty".into());
        }
        let authorization = format!("Splunk {}", config.token);
        Ok(SplunkHec {
            config,
            authorization,
        })
    }

    fn write(&mut self, batch: &Batch) -> Outcomes {
        let (body, mut outcomes) = self.events(batch);
        if body.is_empty() {
            return outcomes.into();
        }
        let headers = [
            ("authorization", self.authorization.as_str()),
            ("content-type", "application/json"),
        ];
        let sent = match http::post(&self.config.url, &headers, &body) {
            Ok(r) => classify(r.status, &r.body),
            Err(e) => Outcome::Retry(format!("POST {}: {e}", self.config.url)),
        };
        for o in outcomes.iter_mut().filter(|o| **o == Outcome::Written) {
            *o = sent.clone();
        }
        outcomes.into()
    }
}

/// What a HEC response status means for the events it answered.
fn classify(status: u16, body: &[u8]) -> Outcome {
    let why = || {
        let body = String::from_utf8_lossy(&body[..body.len().min(200)]);
        format!("Splunk HEC answered {status}: {body}")
    };
    match status {
        200..=299 => Outcome::Written,
        429 | 500..=599 => Outcome::Retry(why()),
        _ => Outcome::Rejected(why()),
    }
}

pump_sdk::export_sink!(SplunkHec);

#[cfg(test)]
mod tests {
    use super::*;
    use pump_sdk::{AnalyticsRecord, Timestamp};

    #[test]
    fn each_record_becomes_a_hec_event_with_its_time() {
        let sink = SplunkHec::new(
            serde_json::from_str(r#"{"url":"http://127.0.0.1:8088/services/collector/event","token":"t","index":"tyk"}"#)
                .unwrap(),
        )
        .unwrap();
        let record = AnalyticsRecord {
            org_id: "o".into(),
            timestamp: Timestamp::new(1_700_000_000, 250_000_000),
            ..Default::default()
        };
        let (body, outcomes) = sink.events(&Batch::from_analytics(&[record]));
        assert_eq!(outcomes, [Outcome::Written]);
        let event: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(event["time"], 1_700_000_000.25);
        assert_eq!(event["index"], "tyk");
        assert_eq!(event["sourcetype"], "tyk:analytics");
        assert_eq!(event["event"]["org_id"], "o");
        assert_eq!(sink.authorization, "Splunk t");
    }

    #[test]
    fn an_empty_token_is_refused() {
        let config = serde_json::from_str(r#"{"url":"http://x/","token":""}"#).unwrap();
        assert!(SplunkHec::new(config).is_err());
    }
}
