//! Wires one sink's reader, worker and heartbeat together.

use super::ack::Acker;
use super::inflight::{InFlight, heartbeat};
use super::reader::{ReadStream, Reader};
use super::worker::Worker;
use super::{Shaper, SinkStats};
use crate::config::{SinkConfig, SourceConfig};
use crate::plugin::{FilterHandle, FilterRoutes};
use crate::route::RecordFilter;
use crate::source::{Keys, RedisConn, SourceKey};
use pump_sinks::Sink;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What one sink reads: its streams (and its replay stream).
#[derive(Debug, Clone)]
pub struct SinkPlan {
    /// The sink's name, which is also its consumer group's name.
    pub name: String,
    /// The source keys whose streams it reads.
    pub sources: Vec<SourceKey>,
    /// Its replay stream (re-queued dead letters).
    pub replay: SourceKey,
    /// Its dead-letter stream.
    pub dead_letters: String,
}

impl SinkPlan {
    /// The streams a sink reads: the analytics ones, and the uptime one if it takes uptime.
    pub fn new(keys: &Keys, sink: &SinkConfig) -> Self {
        let sources = keys
            .sources()
            .iter()
            .filter(|k| {
                if k.format.is_uptime() {
                    sink.options.uptime
                } else {
                    true
                }
            })
            .cloned()
            .collect();
        SinkPlan {
            name: sink.name.clone(),
            sources,
            replay: keys.replay(&sink.name),
            dead_letters: keys.dead_letters(&sink.name),
        }
    }

    /// Every stream the sink's group reads, replay included.
    pub fn all_streams(&self) -> Vec<&SourceKey> {
        self.sources
            .iter()
            .chain(std::iter::once(&self.replay))
            .collect()
    }
}

/// The running tasks of one sink.
pub struct SinkPipeline {
    worker: JoinHandle<()>,
    reader: JoinHandle<()>,
    acker: JoinHandle<()>,
    heartbeat: JoinHandle<()>,
}

/// Connections and signals shared by the pipelines of one process.
#[derive(Clone)]
pub struct Shared {
    pub source: SourceConfig,
    pub consumer: String,
    pub cluster: bool,
    pub wake: watch::Receiver<u64>,
    /// The Wasm filters, for the sinks they route.
    pub filters: Arc<[Arc<FilterHandle>]>,
}

impl SinkPipeline {
    /// Starts reading and delivering for one sink. `read_shutdown` stops reading;
    /// `hard_shutdown` also stops retries of the batch in hand.
    #[allow(clippy::too_many_arguments)]
    pub fn spawn(
        plan: &SinkPlan,
        config: &SinkConfig,
        sink: Box<dyn Sink>,
        stats: Arc<SinkStats>,
        read_conn: RedisConn,
        write_conn: RedisConn,
        shared: &Shared,
        read_shutdown: CancellationToken,
        hard_shutdown: CancellationToken,
    ) -> SinkPipeline {
        let o = &config.options;
        let inflight = Arc::new(InFlight::default());
        let batch_size = shared.source.batch_size.max(1);
        // Enough entries for two batches: one being written while the next is read.
        let per_batch = o.batch_max_records.div_ceil(batch_size).max(1);
        let (tx, rx) = mpsc::channel(per_batch * 2);
        let streams = plan
            .all_streams()
            .into_iter()
            .map(|k| ReadStream {
                stream: Arc::from(k.stream.as_str()),
                source: Arc::from(k.list.as_str()),
                format: k.format,
                replay: k.stream == plan.replay.stream,
            })
            .collect();
        let reader = Reader {
            conn: read_conn,
            group: plan.name.clone(),
            consumer: shared.consumer.clone(),
            streams,
            per_stream_reads: shared.cluster,
            tx,
            inflight: inflight.clone(),
            wake: shared.wake.clone(),
            poll_interval: shared.source.poll_interval,
            pending_timeout: shared.source.pending_timeout,
            count: per_batch.clamp(1, 16),
            shutdown: read_shutdown,
        };
        let (ack_tx, ack_rx) = mpsc::channel(4);
        let acker = Acker {
            group: plan.name.clone(),
            conn: write_conn.clone(),
            rx: ack_rx,
            inflight: inflight.clone(),
            stats: stats.clone(),
            trim_keys: plan.all_streams().into_iter().cloned().collect(),
            shutdown: hard_shutdown.clone(),
        };
        let worker = Worker {
            name: plan.name.clone(),
            sink,
            conn: write_conn.clone(),
            rx,
            stats: stats.clone(),
            filter: RecordFilter::new(&o.filters),
            routes: FilterRoutes::for_sink(&shared.filters, &plan.name),
            shaper: Shaper::new(o),
            dead_letters: plan.dead_letters.clone(),
            acks: ack_tx,
            batch_max_records: o.batch_max_records,
            batch_max_wait: o.batch_max_wait,
            timeout: o.timeout,
            max_retries: o.max_retries,
            retry_initial_backoff: o.retry_initial_backoff,
            retry_max_backoff: o.retry_max_backoff,
            shutdown: hard_shutdown.clone(),
        };
        let heartbeat = tokio::spawn(heartbeat(
            write_conn,
            inflight,
            plan.name.clone(),
            shared.consumer.clone(),
            (shared.source.pending_timeout / 3).max(std::time::Duration::from_millis(100)),
            hard_shutdown,
        ));
        SinkPipeline {
            reader: tokio::spawn(reader.run()),
            worker: tokio::spawn(worker.run()),
            acker: tokio::spawn(acker.run()),
            heartbeat,
        }
    }

    /// Waits for the reader, worker and acker to finish, then stops the heartbeat. Returns
    /// `false` if the worker died (a panic in the sink): its entries stay pending.
    pub async fn join(self) -> bool {
        let worker = self.worker.await;
        let _ = self.reader.await;
        let _ = self.acker.await;
        self.heartbeat.abort();
        match worker {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, "a sink's worker failed; its batches in flight stay pending");
                false
            }
        }
    }
}
