//! A sink's reader: fetches entries for its consumer group and hands them to the worker
//! through a bounded channel (the prefetch bound is what bounds memory, whatever the
//! backlog).

use super::Entry;
use super::inflight::InFlight;
use crate::source::{RecordFormat, RedisConn};
use redis::AsyncCommands;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamReadOptions, StreamReadReply,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// One stream the sink reads.
#[derive(Debug, Clone)]
pub struct ReadStream {
    /// The stream key.
    pub stream: Arc<str>,
    /// The gateway list it holds records of.
    pub source: Arc<str>,
    /// Their format.
    pub format: RecordFormat,
    /// Entries of a replay stream carry their own source and format.
    pub replay: bool,
}

/// Reads entries for one consumer of one group.
pub struct Reader {
    pub conn: RedisConn,
    pub group: String,
    pub consumer: String,
    pub streams: Vec<ReadStream>,
    /// Redis Cluster cannot read streams of different slots in one command.
    pub per_stream_reads: bool,
    pub tx: mpsc::Sender<Entry>,
    pub inflight: Arc<InFlight>,
    /// Bumped by the local claimer after each claim, so reads follow claims at once.
    pub wake: watch::Receiver<u64>,
    pub poll_interval: Duration,
    pub pending_timeout: Duration,
    /// Entries asked for per read.
    pub count: usize,
    pub shutdown: CancellationToken,
}

impl Reader {
    /// Runs until shutdown or until the worker goes away.
    pub async fn run(mut self) {
        // Entries left pending on this consumer name by an earlier run come first.
        if let Err(e) = self.read_own_pending().await {
            tracing::warn!(sink = %self.group, error = %e, "cannot read own pending entries");
        }
        let mut last_takeover = Instant::now() - self.pending_timeout;
        let mut backoff = Duration::from_millis(100);
        while !self.shutdown.is_cancelled() {
            self.wake.borrow_and_update();
            let mut got = 0;
            if last_takeover.elapsed() >= self.pending_timeout / 2 {
                last_takeover = Instant::now();
                match self.take_over_stale().await {
                    Ok(n) => got += n,
                    Err(e) => {
                        tracing::warn!(sink = %self.group, error = %e, "cannot take over stale entries")
                    }
                }
            }
            match self.read_new().await {
                Ok(n) => {
                    got += n;
                    backoff = Duration::from_millis(100);
                }
                Err(e) if e.code() == Some("NOGROUP") => {
                    tracing::error!(sink = %self.group, error = %e, "consumer group missing (stream deleted or group destroyed?); recreating");
                    let mut conn = self.conn.clone();
                    let keys: Vec<_> = self.streams.iter().map(|s| s.stream.to_string()).collect();
                    for k in keys {
                        let _: redis::RedisResult<()> = redis::cmd("XGROUP")
                            .arg("CREATE")
                            .arg(&k)
                            .arg(&self.group)
                            .arg("0")
                            .arg("MKSTREAM")
                            .query_async(&mut conn)
                            .await;
                    }
                }
                Err(e) => {
                    tracing::warn!(sink = %self.group, error = %e, retry_in = ?backoff, "cannot read from Redis");
                    if crate::shutdown::sleep(&self.shutdown, backoff).await {
                        break;
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            }
            if got == 0 {
                tokio::select! {
                    _ = self.shutdown.cancelled() => break,
                    _ = self.wake.changed() => {}
                    _ = tokio::time::sleep(self.poll_interval) => {}
                }
            }
            if self.tx.is_closed() {
                break;
            }
        }
    }

    async fn read_own_pending(&mut self) -> redis::RedisResult<()> {
        let streams = self.streams.clone();
        for s in &streams {
            let mut after = "0".to_string();
            loop {
                let opts = StreamReadOptions::default()
                    .group(&self.group, &self.consumer)
                    .count(self.count);
                let reply: StreamReadReply = self
                    .conn
                    .xread_options(&[&*s.stream], &[&after], &opts)
                    .await?;
                let ids: Vec<StreamId> = reply.keys.into_iter().flat_map(|k| k.ids).collect();
                if ids.is_empty() {
                    break;
                }
                if let Some(last) = ids.last() {
                    after = last.id.clone();
                }
                if self.forward(s, ids).await == 0 && self.tx.is_closed() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    async fn take_over_stale(&mut self) -> redis::RedisResult<usize> {
        let streams = self.streams.clone();
        let idle = self.pending_timeout.as_millis() as usize;
        let mut total = 0;
        for s in &streams {
            let mut start = "0-0".to_string();
            loop {
                let opts = StreamAutoClaimOptions::default().count(self.count);
                let reply: StreamAutoClaimReply = self
                    .conn
                    .xautoclaim_options(&*s.stream, &self.group, &self.consumer, idle, &start, opts)
                    .await?;
                // XAUTOCLAIM also returns this consumer's own idle entries: those still in
                // flight here are being handled and must not be forwarded a second time.
                let stale: Vec<StreamId> = reply
                    .claimed
                    .into_iter()
                    .filter(|sid| !self.inflight.contains(&s.stream, &sid.id))
                    .collect();
                if !stale.is_empty() {
                    tracing::info!(sink = %self.group, stream = %s.stream, entries = stale.len(), "took over entries pending on an unresponsive consumer");
                }
                total += self.forward(s, stale).await;
                if reply.next_stream_id == "0-0" || self.tx.is_closed() {
                    break;
                }
                start = reply.next_stream_id;
            }
        }
        Ok(total)
    }

    async fn read_new(&mut self) -> redis::RedisResult<usize> {
        let opts = StreamReadOptions::default()
            .group(&self.group, &self.consumer)
            .count(self.count);
        let mut total = 0;
        if self.per_stream_reads {
            let streams = self.streams.clone();
            for s in &streams {
                let reply: StreamReadReply = self
                    .conn
                    .xread_options(&[&*s.stream], &[">"], &opts)
                    .await?;
                for k in reply.keys {
                    total += self.forward(s, k.ids).await;
                }
            }
        } else {
            let keys: Vec<&str> = self.streams.iter().map(|s| &*s.stream).collect();
            let ids = vec![">"; keys.len()];
            let reply: StreamReadReply = self.conn.xread_options(&keys, &ids, &opts).await?;
            for k in reply.keys {
                if let Some(s) = self.streams.iter().find(|s| *s.stream == k.key).cloned() {
                    total += self.forward(&s, k.ids).await;
                }
            }
        }
        Ok(total)
    }

    /// Reads the batches the entries name and sends them to the worker (waiting while its
    /// queue is full). An entry whose batch is gone holds nothing to deliver any more (it
    /// was trimmed after every group acknowledged it) and is acknowledged at once.
    /// Returns how many entries were sent.
    async fn forward(&mut self, s: &ReadStream, ids: Vec<StreamId>) -> usize {
        if ids.is_empty() {
            return 0;
        }
        // From now on the entries are pending on this consumer: the heartbeat must keep them
        // alive while they wait for their batches or for room in the worker's queue, or the
        // next take-over would hand them out (to this very consumer) a second time.
        for sid in &ids {
            self.inflight.add(&s.stream, &sid.id);
        }
        let mut pipe = redis::pipe();
        for sid in &ids {
            // The entry's slice of its batch list: records `o` to `o + n - 1`.
            let batch = field_text(&sid.map, "b").unwrap_or_default();
            let num = |f: &str| field_text(&sid.map, f).and_then(|v| v.parse::<i64>().ok());
            let offset = num("o").unwrap_or(0);
            let count = num("n").unwrap_or(0);
            pipe.cmd("LRANGE")
                .arg(batch)
                .arg(offset)
                .arg(offset + count - 1);
        }
        let batches: Vec<Vec<Vec<u8>>> = loop {
            match pipe.query_async(&mut self.conn).await {
                Ok(b) => break b,
                Err(e) => {
                    tracing::warn!(sink = %self.group, stream = %s.stream, error = %e, "cannot read claimed batches; retrying");
                    if crate::shutdown::sleep(&self.shutdown, Duration::from_millis(500)).await {
                        for sid in &ids {
                            self.inflight.remove(&s.stream, &sid.id);
                        }
                        return 0;
                    }
                }
            }
        };
        let mut sent = 0;
        let names: Vec<String> = ids.iter().map(|sid| sid.id.clone()).collect();
        for (i, (sid, records)) in ids.into_iter().zip(batches).enumerate() {
            let (source, format) = if s.replay {
                let src = field_text(&sid.map, "src").unwrap_or_default();
                let fmt = field_text(&sid.map, "fmt").and_then(|f| RecordFormat::parse(&f));
                (
                    Arc::from(src.as_str()),
                    fmt.unwrap_or(RecordFormat::AnalyticsMsgpack),
                )
            } else {
                (s.source.clone(), s.format)
            };
            if records.is_empty() {
                let _: redis::RedisResult<i64> =
                    self.conn.xack(&*s.stream, &self.group, &[&sid.id]).await;
                self.inflight.remove(&s.stream, &sid.id);
                continue;
            }
            let entry = Entry {
                stream: s.stream.clone(),
                id: sid.id.clone(),
                source,
                format,
                records,
            };
            if self.tx.send(entry).await.is_err() {
                // The worker is gone: these entries stay pending for whoever reads next.
                for id in &names[i..] {
                    self.inflight.remove(&s.stream, id);
                }
                return sent;
            }
            sent += 1;
        }
        sent
    }
}

fn field_text(map: &std::collections::HashMap<String, redis::Value>, name: &str) -> Option<String> {
    match map.get(name)? {
        redis::Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        redis::Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}
