//! The `elasticsearch` sink's write loop: encode the batch once, cut it into bulk requests
//! by document count and bytes, keep up to `workers` of them in flight, and gather one
//! outcome per record from their answers.
//!
//! A sink whose nodes cannot be reached at start-up still starts (the pump and its other
//! sinks must not wait for Elasticsearch): its writes are retried until the server is
//! there, and the setup (version, template) runs before the first one. A server that
//! answers but is unsupported, or refuses the credentials, stops the start-up with the
//! reason. After a request found no node, the setup runs again before the next write, so a
//! server that came back empty gets its template back before documents arrive.

use super::config::ElasticsearchConfig;
use super::encoder::Encoder;
use super::retry::{BulkAnswer, read_bulk_reply};
use super::service::{Body, Service};
use super::setup::{self, SetupError};
use super::version::ServerVersion;
use crate::{BuildError, Outcome, Record, Sink};
use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use reqwest::Method;
use std::collections::VecDeque;
use std::io::Write;
use std::ops::Range;
use std::sync::Arc;

/// Writes records to Elasticsearch or OpenSearch through `_bulk`.
pub struct ElasticsearchSink {
    config: Arc<ElasticsearchConfig>,
    service: Arc<Service>,
    encoder: Encoder,
    /// The server's version once the setup has run; `None` until then, and again after a
    /// request found no node.
    ready: Option<ServerVersion>,
    max_actions: usize,
    max_bytes: usize,
    workers: usize,
    gzip: bool,
    /// The encoded batch (kept to reuse its allocation when no request holds it).
    buf: Vec<u8>,
}

impl ElasticsearchSink {
    /// Checks the options, builds the client, and runs the setup if a node answers.
    pub async fn connect(config: &ElasticsearchConfig) -> Result<Self, BuildError> {
        config.check()?;
        if config.bulk_config.flush_interval.is_some() {
            tracing::warn!(
                "`bulk_config.flush_interval` is not used by this pump: the sink's `batch_max_wait` sets how long records wait for their batch"
            );
        }
        let service = Service::new(config)?;
        let ready = match setup::run(&service, config).await {
            Ok(version) => {
                tracing::info!(nodes = %service.describe_nodes(), server = %version, index = %config.index_name, "elasticsearch sink ready");
                Some(version)
            }
            Err(SetupError::Unavailable(why)) => {
                tracing::warn!(nodes = %service.describe_nodes(), reason = %why, "elasticsearch is not reachable yet: the sink starts and retries its writes until it is");
                None
            }
            Err(SetupError::Refused(why)) => return Err(BuildError(why)),
        };
        let limit =
            |v: Option<u64>| v.map_or(usize::MAX, |v| usize::try_from(v).unwrap_or(usize::MAX));
        Ok(ElasticsearchSink {
            config: Arc::new(config.clone()),
            service: Arc::new(service),
            encoder: Encoder::new(config),
            ready,
            max_actions: config.bulk_config.bulk_actions.unwrap_or(usize::MAX),
            max_bytes: limit(config.bulk_config.bulk_size),
            workers: config.bulk_config.workers.max(1),
            gzip: config.gzip(),
            buf: Vec::new(),
        })
    }
}

#[async_trait]
impl Sink for ElasticsearchSink {
    async fn write(&mut self, batch: &[Record<'_>]) -> Vec<Outcome> {
        if let Err(why) = self.ensure_ready().await {
            return Outcome::all(batch.len(), Outcome::Retry(why));
        }
        let mut outcomes: Vec<Option<Outcome>> = vec![None; batch.len()];
        let encoded = self.encode(batch, &mut outcomes);
        if self.send_all(&encoded, &mut outcomes).await {
            // No node answered: the server may come back empty, without the template.
            self.ready = None;
        }
        // Every request has ended, so the buffer is ours again (unless a slice lingers).
        if let Ok(buf) = encoded.body.try_into_mut() {
            self.buf = buf.into();
        }
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Outcome::Retry("the document was not sent".to_string())))
            .collect()
    }
}

/// A batch encoded as one NDJSON buffer.
struct Encoded {
    body: Bytes,
    /// The batch position of each encoded document.
    docs: Vec<usize>,
    /// Where each document's lines end in `body`, so any run of consecutive documents is
    /// one slice of it.
    ends: Vec<usize>,
}

impl Encoded {
    fn slice(&self, run: &Range<usize>) -> Bytes {
        let start = if run.start == 0 {
            0
        } else {
            self.ends[run.start - 1]
        };
        self.body.slice(start..self.ends[run.end - 1])
    }
}

impl ElasticsearchSink {
    /// Runs the setup if it has not run since the sink started or last lost its nodes.
    async fn ensure_ready(&mut self) -> Result<(), String> {
        if self.ready.is_some() {
            return Ok(());
        }
        let version = setup::run(&self.service, &self.config)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(nodes = %self.service.describe_nodes(), server = %version, "elasticsearch sink ready");
        self.ready = Some(version);
        Ok(())
    }

    /// Encodes every record it can; the others are rejected in `outcomes`.
    fn encode(&mut self, batch: &[Record<'_>], outcomes: &mut [Option<Outcome>]) -> Encoded {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let mut docs = Vec::with_capacity(batch.len());
        let mut ends = Vec::with_capacity(batch.len());
        for (i, record) in batch.iter().enumerate() {
            match self.encoder.encode(record, &mut buf) {
                Ok(()) => {
                    docs.push(i);
                    ends.push(buf.len());
                }
                Err(why) => outcomes[i] = Some(Outcome::Rejected(why)),
            }
        }
        Encoded {
            body: Bytes::from(buf),
            docs,
            ends,
        }
    }

    /// Sends the documents in bulk requests, `workers` at a time, and records each one's
    /// outcome; whether some request found no node.
    async fn send_all(&self, encoded: &Encoded, outcomes: &mut [Option<Outcome>]) -> bool {
        let mut set = |run: Range<usize>, outcome: Outcome| {
            for k in run {
                outcomes[encoded.docs[k]] = Some(outcome.clone());
            }
        };
        let mut queue: VecDeque<Range<usize>> =
            cut(&encoded.ends, self.max_actions, self.max_bytes).into();
        let mut in_flight = FuturesUnordered::new();
        let mut lost_contact = false;
        loop {
            while in_flight.len() < self.workers
                && let Some(run) = queue.pop_front()
            {
                let bytes = encoded.slice(&run);
                let service = self.service.clone();
                let gzip = self.gzip;
                in_flight.push(async move {
                    let answer = send_bulk(&service, bytes, run.len(), gzip).await;
                    (run, answer)
                });
            }
            let Some((run, answer)) = in_flight.next().await else {
                return lost_contact;
            };
            match answer {
                Sent::Answer(BulkAnswer::Items(items)) => {
                    for (k, outcome) in run.zip(items) {
                        set(k..k + 1, outcome);
                    }
                }
                Sent::Answer(BulkAnswer::TooLarge(why)) if run.len() > 1 => {
                    tracing::warn!(documents = run.len(), reason = %why, "bulk request too large for the server: sending it in halves (lower `bulk_config.bulk_size`)");
                    let mid = run.start + run.len() / 2;
                    queue.push_front(mid..run.end);
                    queue.push_front(run.start..mid);
                }
                Sent::Answer(BulkAnswer::TooLarge(why)) => set(
                    run,
                    Outcome::Rejected(format!(
                        "the document alone is larger than the server accepts: {why}"
                    )),
                ),
                Sent::Answer(BulkAnswer::Failed(why)) => set(run, Outcome::Retry(why)),
                Sent::Unreachable(why) => {
                    // No node answers: the requests still queued would each wait out every
                    // node's timeout. They are retried later, with the delivery's backoff.
                    lost_contact = true;
                    set(run, Outcome::Retry(why));
                    queue.clear();
                }
            }
        }
    }
}

/// What came of sending one bulk request.
enum Sent {
    Answer(BulkAnswer),
    Unreachable(String),
}

async fn send_bulk(service: &Service, ndjson: Bytes, documents: usize, gzip: bool) -> Sent {
    let bytes = if gzip {
        match compress(&ndjson) {
            Ok(b) => b,
            Err(e) => return Sent::Answer(BulkAnswer::Failed(format!("gzip: {e}"))),
        }
    } else {
        ndjson
    };
    let body = Body {
        bytes,
        content_type: "application/x-ndjson",
        gzip,
    };
    match service.send(Method::POST, "_bulk", Some(&body)).await {
        Ok(reply) => Sent::Answer(read_bulk_reply(&reply, documents)),
        Err(e) => Sent::Unreachable(format!(
            "no Elasticsearch node answered the bulk request: {}",
            e.0
        )),
    }
}

fn compress(data: &[u8]) -> std::io::Result<Bytes> {
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 4),
        flate2::Compression::fast(),
    );
    gz.write_all(data)?;
    Ok(gz.finish()?.into())
}

/// Cuts documents (given by where each one's lines end) into runs of at most `max_actions`
/// documents and `max_bytes` bytes; a document larger than `max_bytes` is a run of its own.
pub fn cut(ends: &[usize], max_actions: usize, max_bytes: usize) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut start_byte = 0;
    for (k, &end) in ends.iter().enumerate() {
        let count = k - start;
        if count > 0 && (count >= max_actions || end - start_byte > max_bytes) {
            runs.push(start..k);
            start = k;
            start_byte = ends[k - 1];
        }
    }
    if start < ends.len() {
        runs.push(start..ends.len());
    }
    runs
}
