//! A sink's worker: gathers entries into batches, decodes, filters (declarative filters,
//! then Wasm filters) and shapes the records, writes them with retries, dead-letters what
//! cannot be written, and acknowledges.

use super::ack::AckJob;
use super::dlq::{self, DeadLetter};
use super::{Backoff, Entry, Shaper, SinkStats};
use crate::decode::decode;
use crate::plugin::FilterRoutes;
use crate::route::RecordFilter;
use crate::source::RedisConn;
use pump_record::Record;
use pump_sinks::{Outcome, Sink};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Everything a worker needs.
pub struct Worker {
    pub name: String,
    pub sink: Box<dyn Sink>,
    pub conn: RedisConn,
    pub rx: mpsc::Receiver<Entry>,
    pub stats: Arc<SinkStats>,
    pub filter: RecordFilter,
    /// The Wasm filters that route records to this sink (if any).
    pub routes: FilterRoutes,
    pub shaper: Shaper,
    pub dead_letters: String,
    /// Where finished batches go to be acknowledged.
    pub acks: mpsc::Sender<AckJob>,
    pub batch_max_records: usize,
    pub batch_max_wait: Duration,
    pub timeout: Duration,
    pub max_retries: Option<u32>,
    pub retry_initial_backoff: Duration,
    pub retry_max_backoff: Duration,
    /// Stops reading new batches; the batch in hand is finished (retries stop at once,
    /// leaving its entries pending for a later run).
    pub shutdown: CancellationToken,
}

/// What the Wasm filters made of a batch.
enum Routing {
    /// For each record, whether it goes to this sink; and those to dead-letter.
    Routed(crate::plugin::Routed),
    /// The filters kept failing: the reason, for the records' dead letters.
    GaveUp(String),
    /// Shutdown came while retrying: the batch stays pending.
    Abandoned,
}

/// Whether a batch's entries may be acknowledged.
enum Done {
    Ack,
    /// Shutdown came while retrying: leave the entries pending (nothing is lost).
    Abandoned,
}

impl Worker {
    /// Runs until the reader stops and every received entry is handled.
    pub async fn run(mut self) {
        let mut batch: Vec<Entry> = Vec::new();
        loop {
            let Some(first) = self.rx.recv().await else {
                break;
            };
            let deadline = Instant::now() + self.batch_max_wait;
            let mut records = first.records.len();
            batch.push(first);
            while records < self.batch_max_records {
                match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                    Ok(Some(e)) => {
                        records += e.records.len();
                        batch.push(e);
                    }
                    Ok(None) | Err(_) => break,
                }
            }
            self.process(&batch).await;
            batch.clear();
        }
        self.sink.close().await;
    }

    async fn process(&mut self, entries: &[Entry]) {
        // With Wasm filters, shaping waits until they have seen the records as they came.
        let shape_early = self.routes.is_empty().then_some(&self.shaper);
        let Decoded {
            mut dead,
            mut records,
            mut raws,
            received,
            filtered,
        } = decode_all(entries, &self.filter, shape_early);
        SinkStats::add(&self.stats.received, received);
        SinkStats::add(&self.stats.filtered, filtered);
        if !self.routes.is_empty() && !records.is_empty() {
            let mut trapped = 0;
            let keep = match self.route(&raws, &records).await {
                Routing::Routed(routed) => {
                    trapped = routed.dead.len();
                    for (i, reason) in routed.dead {
                        if let Some(&(raw, entry)) = raws.get(i) {
                            dead.push(DeadLetter {
                                source: &entry.source,
                                format: entry.format,
                                reason,
                                record: raw,
                            });
                        }
                    }
                    routed.keep
                }
                Routing::Abandoned => return,
                // The filter keeps failing on this batch: its records are dead-lettered
                // with the reason rather than holding the sink back for ever.
                Routing::GaveUp(reason) => {
                    for (raw, entry) in raws.drain(..) {
                        dead.push(DeadLetter {
                            source: &entry.source,
                            format: entry.format,
                            reason: reason.clone(),
                            record: raw,
                        });
                    }
                    records.clear();
                    vec![]
                }
            };
            let before = records.len();
            let mut flags = keep.iter();
            records.retain(|_| *flags.next().unwrap_or(&true));
            let mut flags = keep.iter();
            raws.retain(|_| *flags.next().unwrap_or(&true));
            // Records a filter trapped on are dead letters, not filtered out.
            let left_out = before - records.len() - trapped;
            SinkStats::add(&self.stats.filtered, left_out as u64);
            for r in &mut records {
                self.shaper.apply(r);
            }
        }

        let done = if records.is_empty() {
            Done::Ack
        } else {
            self.write_with_retries(records, raws, &mut dead).await
        };
        if let Done::Abandoned = done {
            return;
        }
        if !dead.is_empty() {
            let n = dead.len() as u64;
            let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
            while let Err(e) = dlq::push(&mut self.conn, &self.dead_letters, &dead).await {
                tracing::warn!(sink = %self.name, error = %e, "cannot store dead letters; retrying before acknowledging");
                if crate::shutdown::sleep(&self.shutdown, backoff.next_delay()).await {
                    return;
                }
            }
            for d in &dead {
                tracing::warn!(sink = %self.name, source = d.source, reason = %d.reason, "record dead-lettered");
            }
            SinkStats::add(&self.stats.dead_lettered, n);
        }
        self.ack(entries).await;
    }

    /// Which records the Wasm filters route to this sink; a failing filter is retried
    /// with backoff, up to the sink's `max_retries`.
    async fn route(&mut self, raws: &[(&[u8], &Entry)], records: &[Record<'_>]) -> Routing {
        let mut backoff = Backoff::new(self.retry_initial_backoff, self.retry_max_backoff);
        loop {
            match self.routes.keep(raws, records).await {
                Ok(keep) => return Routing::Routed(keep),
                Err(reason) => {
                    self.stats.write_failed(&reason);
                    if self
                        .max_retries
                        .is_some_and(|max| backoff.attempts() >= max)
                    {
                        return Routing::GaveUp(format!(
                            "gave up routing after {} retries: {reason}",
                            backoff.attempts()
                        ));
                    }
                    let delay = backoff.next_delay();
                    tracing::warn!(sink = %self.name, reason = %reason, retry_in = ?delay, "cannot route the batch; retrying");
                    if crate::shutdown::sleep(&self.shutdown, delay).await {
                        return Routing::Abandoned;
                    }
                }
            }
        }
    }

    async fn write_with_retries<'r>(
        &mut self,
        mut records: Vec<Record<'r>>,
        mut raws: Vec<(&'r [u8], &'r Entry)>,
        dead: &mut Vec<DeadLetter<'r>>,
    ) -> Done {
        let mut backoff = Backoff::new(self.retry_initial_backoff, self.retry_max_backoff);
        loop {
            let n = records.len();
            let outcomes = self.write_and_flush(&records, &raws).await;
            if outcomes.len() != n {
                tracing::error!(sink = %self.name, expected = n, got = outcomes.len(), "sink returned a wrong number of outcomes; retrying the records without one");
            }
            SinkStats::add(&self.stats.batches, 1);
            let mut again = Vec::new();
            let mut again_raw = Vec::new();
            let mut last_reason = String::new();
            let mut outcomes = outcomes.into_iter();
            for (record, raw) in records.into_iter().zip(raws) {
                match outcomes
                    .next()
                    .unwrap_or_else(|| Outcome::Retry("no outcome reported".into()))
                {
                    Outcome::Written => SinkStats::add(&self.stats.delivered, 1),
                    Outcome::Retry(reason) => {
                        last_reason = reason;
                        again.push(record);
                        again_raw.push(raw);
                    }
                    Outcome::Rejected(reason) => dead.push(DeadLetter {
                        source: &raw.1.source,
                        format: raw.1.format,
                        reason,
                        record: raw.0,
                    }),
                }
            }
            if again.is_empty() {
                self.stats.write_succeeded();
                return Done::Ack;
            }
            self.stats.write_failed(&last_reason);
            SinkStats::add(&self.stats.retried, again.len() as u64);
            if self
                .max_retries
                .is_some_and(|max| backoff.attempts() >= max)
            {
                let reason = format!(
                    "gave up after {} retries: {last_reason}",
                    backoff.attempts()
                );
                for raw in again_raw {
                    dead.push(DeadLetter {
                        source: &raw.1.source,
                        format: raw.1.format,
                        reason: reason.clone(),
                        record: raw.0,
                    });
                }
                return Done::Ack;
            }
            let delay = backoff.next_delay();
            tracing::warn!(sink = %self.name, records = again.len(), reason = %last_reason, retry_in = ?delay, "write failed; retrying");
            if crate::shutdown::sleep(&self.shutdown, delay).await {
                tracing::info!(sink = %self.name, records = again.len(), "shutting down while retrying: the batch stays pending in Redis for the next run");
                return Done::Abandoned;
            }
            records = again;
            raws = again_raw;
        }
    }

    /// One write within the sink's `timeout`, made durable: records the sink wrote count as
    /// written only once its flush succeeded (otherwise they are retried with the rest).
    async fn write_and_flush(
        &mut self,
        records: &[Record<'_>],
        raws: &[(&[u8], &Entry)],
    ) -> Vec<Outcome> {
        let n = records.len();
        // Records read as gateway msgpack and left as they were can go to the sink as
        // those bytes (a Wasm sink then need not encode them again).
        let unchanged = self.shaper.is_noop()
            && raws
                .iter()
                .all(|(_, e)| e.format != crate::source::RecordFormat::AnalyticsProtobuf);
        let write = async {
            let mut outcomes = if unchanged {
                let msgpack: Vec<&[u8]> = raws.iter().map(|(r, _)| *r).collect();
                self.sink.write_encoded(records, &msgpack).await
            } else {
                self.sink.write(records).await
            };
            if outcomes.contains(&Outcome::Written)
                && let Err(e) = self.sink.flush().await
            {
                for o in outcomes.iter_mut().filter(|o| **o == Outcome::Written) {
                    *o = Outcome::Retry(format!("flush failed: {e}"));
                }
            }
            outcomes
        };
        let started = std::time::Instant::now();
        let result = tokio::time::timeout(self.timeout, write).await;
        self.stats
            .write_seconds
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(o) => o,
            Err(_) => {
                SinkStats::add(&self.stats.timeouts, 1);
                Outcome::all(
                    n,
                    Outcome::Retry(format!("write timed out after {:?}", self.timeout)),
                )
            }
        }
    }

    async fn ack(&mut self, entries: &[Entry]) {
        let job = entries
            .iter()
            .map(|e| (e.stream.clone(), e.id.clone()))
            .collect();
        // The acker only goes away at shutdown; the entries then stay pending and are
        // delivered again by the next run.
        let _ = self.acks.send(job).await;
    }
}

/// The records of a batch, decoded, filtered and shaped; and what could not be decoded.
struct Decoded<'a> {
    dead: Vec<DeadLetter<'a>>,
    records: Vec<Record<'a>>,
    raws: Vec<(&'a [u8], &'a Entry)>,
    received: u64,
    filtered: u64,
}

/// Batches at least this large are decoded on every core.
const PARALLEL_DECODE_MIN: usize = 1024;

/// Decodes a batch, on several threads when it is large and the runtime allows blocking.
fn decode_all<'a>(
    entries: &'a [Entry],
    filter: &RecordFilter,
    shaper: Option<&Shaper>,
) -> Decoded<'a> {
    // Every raw record with its entry, so the work splits evenly whatever the entry sizes.
    let raws: Vec<(&'a [u8], &'a Entry)> = entries
        .iter()
        .flat_map(|e| e.records.iter().map(move |r| (r.as_slice(), e)))
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if raws.len() < PARALLEL_DECODE_MIN || threads < 2 || !multi_thread {
        return decode_records(&raws, filter, shaper);
    }
    let per = raws.len().div_ceil(threads);
    tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let mut chunks = raws.chunks(per);
            let first = chunks.next().unwrap_or(&[]);
            let handles: Vec<_> = chunks
                .map(|c| scope.spawn(move || decode_records(c, filter, shaper)))
                .collect();
            let mut all = decode_records(first, filter, shaper);
            for h in handles {
                match h.join() {
                    Ok(d) => {
                        all.dead.extend(d.dead);
                        all.records.extend(d.records);
                        all.raws.extend(d.raws);
                        all.received += d.received;
                        all.filtered += d.filtered;
                    }
                    // Acknowledging without these records would lose them: fail the worker
                    // instead; it is restarted and reads its pending batches again.
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            all
        })
    })
}

fn decode_records<'a>(
    raws: &[(&'a [u8], &'a Entry)],
    filter: &RecordFilter,
    shaper: Option<&Shaper>,
) -> Decoded<'a> {
    let mut out = Decoded {
        dead: Vec::new(),
        records: Vec::with_capacity(raws.len()),
        raws: Vec::with_capacity(raws.len()),
        received: raws.len() as u64,
        filtered: 0,
    };
    for &(raw, entry) in raws {
        match decode(entry.format, raw) {
            Ok(mut record) => {
                if !filter.passes(&record) {
                    out.filtered += 1;
                    continue;
                }
                if let Some(shaper) = shaper {
                    shaper.apply(&mut record);
                }
                out.records.push(record);
                out.raws.push((raw, entry));
            }
            Err(e) => out.dead.push(DeadLetter {
                source: &entry.source,
                format: entry.format,
                reason: e.to_string(),
                record: raw,
            }),
        }
    }
    out
}
