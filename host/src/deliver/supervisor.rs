//! Keeps one sink running: if its worker dies (a panic in the sink), the sink is rebuilt
//! and its pipeline restarted with backoff. The batches it had in flight are pending on
//! this process's consumer name, so the new reader picks them up first: nothing is lost.

use super::{Backoff, Shared, SinkBuilder, SinkPipeline, SinkPlan, SinkStats};
use crate::config::SinkConfig;
use crate::source::RedisConn;
use pump_sinks::Sink;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Everything needed to (re)start one sink's pipeline.
pub struct Supervisor {
    pub plan: SinkPlan,
    pub config: SinkConfig,
    /// Makes a new instance of the sink after it died.
    pub builder: SinkBuilder,
    pub read_conn: RedisConn,
    pub write_conn: RedisConn,
    pub shared: Shared,
    pub stats: Arc<SinkStats>,
    pub read_shutdown: CancellationToken,
    pub hard_shutdown: CancellationToken,
}

impl Supervisor {
    /// Runs the sink until shutdown, restarting it whenever it dies.
    pub async fn run(self, first: Box<dyn Sink>) {
        let mut sink = first;
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        loop {
            let pipeline = SinkPipeline::spawn(
                &self.plan,
                &self.config,
                sink,
                self.stats.clone(),
                self.read_conn.clone(),
                self.write_conn.clone(),
                &self.shared,
                self.read_shutdown.clone(),
                self.hard_shutdown.clone(),
            );
            if pipeline.join().await || self.read_shutdown.is_cancelled() {
                return;
            }
            SinkStats::add(&self.stats.restarts, 1);
            sink = loop {
                let delay = backoff.next_delay();
                tracing::error!(sink = %self.plan.name, restart_in = ?delay, "sink stopped unexpectedly; restarting it");
                if crate::shutdown::sleep(&self.read_shutdown, delay).await {
                    return;
                }
                match self.builder.build().await {
                    Ok(s) => break s,
                    Err(e) => {
                        tracing::error!(sink = %self.plan.name, error = %e, "cannot restart the sink")
                    }
                }
            };
        }
    }
}
