//! Measures what the metrics and `/health` report but nobody counts on the way: whether
//! Redis answers (and how fast), and how far behind each sink is.

use super::metrics::SinkLabel;
use super::{Health, Metrics};
use crate::deliver::SinkPlan;
use crate::source::{GroupLag, RedisConn, group_lag};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// How often Redis is pinged.
const PING_EVERY: Duration = Duration::from_secs(1);
/// How often the sinks' lag is measured (a few small scripts per sink and stream).
const LAG_EVERY: Duration = Duration::from_secs(5);

/// Runs until shutdown.
pub async fn monitor(
    mut conn: RedisConn,
    plans: Vec<SinkPlan>,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) {
    let mut last_lag = Instant::now() - LAG_EVERY;
    loop {
        let started = Instant::now();
        let ping: redis::RedisResult<String> =
            tokio::time::timeout(PING_EVERY * 3, redis::cmd("PING").query_async(&mut conn))
                .await
                .unwrap_or_else(|_| {
                    Err(redis::RedisError::from((
                        redis::ErrorKind::Io,
                        "PING timed out",
                    )))
                });
        match ping {
            Ok(_) => {
                metrics
                    .redis_rtt_seconds
                    .set(started.elapsed().as_secs_f64());
                metrics.redis_up.set(1);
                health.set_redis(Ok(()));
            }
            Err(e) => {
                metrics.redis_up.set(0);
                health.set_redis(Err(format!("Redis does not answer: {e}")));
            }
        }
        if last_lag.elapsed() >= LAG_EVERY {
            last_lag = Instant::now();
            for plan in &plans {
                if let Some(lag) = sink_lag(&mut conn, plan).await {
                    let label = SinkLabel {
                        sink: plan.name.clone(),
                    };
                    metrics
                        .lag_records
                        .get_or_create(&label)
                        .set(lag.records as i64);
                    let now_ms = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map(|d| d.as_millis() as u64)
                        .unwrap_or(0);
                    let age = lag
                        .oldest_ms
                        .map_or(0.0, |ms| now_ms.saturating_sub(ms) as f64 / 1000.0);
                    metrics.lag_seconds.get_or_create(&label).set(age);
                }
            }
        }
        if crate::shutdown::sleep(&shutdown, PING_EVERY).await {
            return;
        }
    }
}

/// A sink's lag over every stream it reads; `None` if Redis could not tell.
async fn sink_lag(conn: &mut RedisConn, plan: &SinkPlan) -> Option<GroupLag> {
    let mut total = GroupLag::default();
    for key in plan.all_streams() {
        match group_lag(conn, key, &plan.name, Duration::from_secs(60)).await {
            Ok(Some(lag)) => total.add(&lag),
            Ok(None) => {}
            Err(e) => {
                tracing::debug!(sink = %plan.name, stream = %key.stream, error = %e, "cannot measure lag");
                return None;
            }
        }
    }
    Some(total)
}
