//! `pump run`: starts the claimer and one delivery pipeline per sink, and stops them in
//! order: claiming and reading first, then the batches in flight are finished.

use crate::admin::{Health, Metrics, monitor, serve};
use crate::config::Config;
use crate::deliver::Shared;
use crate::deliver::{SinkPlan, StatsSnapshot, Supervisor};
use crate::source::{
    Claimer, Connector, Keys, RedisConn, ensure_groups, forget_group, stream_state, trim,
};
use anyhow::Context;
use redis::AsyncCommands;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// How `pump run` behaves.
#[derive(Clone)]
pub struct RunOptions {
    /// Exit once every source list is empty and every sink has acknowledged everything.
    pub drain: bool,
    /// How long in-flight batches may take to finish after shutdown is requested.
    pub shutdown_timeout: Duration,
    /// Called a few times a second with the counts so far (progress displays).
    pub on_progress: Option<ProgressHook>,
}

/// See [`RunOptions::on_progress`].
pub type ProgressHook = Arc<dyn Fn(&Progress) + Send + Sync>;

/// The counts of a run so far.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Records this process claimed.
    pub claimed: u64,
    /// Each sink's counters, by sink name.
    pub sinks: Vec<(String, StatsSnapshot)>,
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("drain", &self.drain)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            drain: false,
            shutdown_timeout: Duration::from_secs(30),
            on_progress: None,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    /// Records this process claimed from the gateway's lists.
    pub claimed: u64,
    /// Each sink's counters, by sink name.
    pub sinks: Vec<(String, StatsSnapshot)>,
    /// Whether the run ended because everything was drained.
    pub drained: bool,
}

/// The version this pump writes to `version-check-pump`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Runs the pump until `shutdown` is cancelled (or, with `drain`, until drained).
pub async fn run(
    config: &Config,
    opts: RunOptions,
    shutdown: CancellationToken,
) -> anyhow::Result<RunSummary> {
    let src = &config.source;
    let connector = Connector::new(src).context("source.redis_url")?;
    let metrics = Arc::new(Metrics::new());
    let health = Arc::new(Health::new(
        config
            .admin
            .as_ref()
            .map_or(Duration::from_secs(60), |a| a.unhealthy_after),
    ));
    // The endpoint comes up first, so that it can say what the pump is waiting for.
    let admin = match &config.admin {
        Some(a) => Some(
            serve(a.listen, health.clone(), metrics.clone(), shutdown.clone())
                .await
                .with_context(|| format!("admin.listen: cannot listen on {}", a.listen))?,
        ),
        None => None,
    };
    let Some(mut conn) = connector.connect_with_retry(&shutdown).await else {
        return Ok(RunSummary::default());
    };
    health.set_redis(Ok(()));
    tracing::info!(redis = connector.display(), "connected to Redis");
    let keys = Keys::new(&src.key_prefix, &src.uptime_key, &src.state_prefix);
    let _: redis::RedisResult<()> = conn.set(Keys::VERSION_KEY, format!("pump {VERSION}")).await;
    let consumer = src
        .consumer_name
        .clone()
        .unwrap_or_else(default_consumer_name);

    // Every sink's groups exist before anything is claimed, so no claimed record can be
    // trimmed before a sink of this process has read it.
    let plugins = crate::plugin::prepare(config, &metrics).await?;
    let mut plans = Vec::new();
    let mut sinks = Vec::new();
    for (sink_config, builder) in config.sinks.iter().zip(&plugins.builders) {
        let plan = SinkPlan::new(&keys, sink_config);
        let sink = builder
            .build()
            .await
            .with_context(|| format!("sinks.{}: cannot start the sink", sink_config.name))?;
        ensure_groups(&mut conn, &plan.all_streams(), &plan.name)
            .await
            .with_context(|| {
                format!(
                    "sinks.{}: cannot create its consumer groups",
                    sink_config.name
                )
            })?;
        if !sink_config.options.uptime {
            for k in keys.sources().iter().filter(|k| k.format.is_uptime()) {
                if forget_group(&mut conn, k, &plan.name)
                    .await
                    .unwrap_or(false)
                {
                    tracing::info!(sink = %plan.name, stream = %k.stream, "sink no longer takes uptime records: its group there was removed");
                }
            }
        }
        plans.push(plan);
        sinks.push(sink);
    }

    let (wake_tx, wake_rx) = watch::channel(0u64);
    let hard = CancellationToken::new();
    let shared = Shared {
        source: src.clone(),
        consumer: consumer.clone(),
        cluster: src.cluster,
        wake: wake_rx,
        filters: plugins.filters.clone(),
    };
    let mut pipelines = Vec::new();
    for (((plan, sink), sink_config), builder) in plans
        .iter()
        .zip(sinks)
        .zip(&config.sinks)
        .zip(&plugins.builders)
    {
        let read_conn = connector
            .connect()
            .await
            .context("opening a reader connection")?;
        let stats = metrics.sink(&plan.name);
        let supervisor = Supervisor {
            plan: plan.clone(),
            config: sink_config.clone(),
            builder: builder.clone(),
            read_conn,
            write_conn: conn.clone(),
            shared: shared.clone(),
            stats: stats.clone(),
            read_shutdown: shutdown.clone(),
            hard_shutdown: hard.clone(),
        };
        pipelines.push((plan.name.clone(), stats, tokio::spawn(supervisor.run(sink))));
    }
    tracing::info!(consumer = %consumer, sinks = pipelines.len(), drain = opts.drain, "pump running");

    health.set_sinks(
        pipelines
            .iter()
            .map(|(name, stats, _)| (name.clone(), stats.clone()))
            .collect(),
    );
    let monitor = config.admin.as_ref().map(|_| {
        tokio::spawn(monitor(
            conn.clone(),
            plans.clone(),
            health.clone(),
            metrics.clone(),
            shutdown.clone(),
        ))
    });
    let reporter = opts.on_progress.clone().map(|hook| {
        let metrics = metrics.clone();
        let sinks: Vec<_> = pipelines
            .iter()
            .map(|(name, stats, _)| (name.clone(), stats.clone()))
            .collect();
        tokio::spawn(async move {
            loop {
                hook(&Progress {
                    claimed: metrics.claimed.get(),
                    sinks: sinks
                        .iter()
                        .map(|(n, s)| (n.clone(), s.snapshot()))
                        .collect(),
                });
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    });
    let reloader = plugins.runtime.clone().map(|runtime| {
        tokio::spawn(crate::plugin::watch_plugins(
            runtime,
            plugins.watched,
            conn.clone(),
            metrics.clone(),
            shutdown.clone(),
        ))
    });
    let claim_keys: Vec<_> = {
        let mut ks: Vec<_> = plans
            .iter()
            .flat_map(|p| p.sources.iter().cloned())
            .collect();
        ks.sort_by(|a, b| a.list.cmp(&b.list));
        ks.dedup_by(|a, b| a.list == b.list);
        ks
    };
    let claimer = tokio::spawn(claim_loop(
        Claimer::new(
            conn.clone(),
            claim_keys.clone(),
            src.batch_size,
            src.max_backlog_records,
            src.max_backlog_bytes,
        ),
        wake_tx,
        src.poll_interval,
        metrics.clone(),
        shutdown.clone(),
    ));
    let maintenance = tokio::spawn(maintenance_loop(
        conn.clone(),
        plans.clone(),
        src.poll_interval * 5,
        shutdown.clone(),
    ));
    let drained = if opts.drain {
        let drain_conn = conn.clone();
        let plans = plans.clone();
        let token = shutdown.clone();
        let poll = src.poll_interval;
        let keys = claim_keys.clone();
        Some(tokio::spawn(async move {
            let done = drain_watch(drain_conn, &keys, &plans, poll, &token).await;
            if done {
                token.cancel();
            }
            done
        }))
    } else {
        None
    };

    shutdown.cancelled().await;
    health.set_not_ready();
    if let Some(m) = monitor {
        m.abort();
    }
    let _ = claimer.await;
    maintenance.abort();
    if let Some(r) = reloader {
        r.abort();
    }
    if let Some(r) = reporter {
        r.abort();
    }
    let drained = match drained {
        Some(h) => h.await.unwrap_or(false),
        None => false,
    };
    let deadline = Instant::now() + opts.shutdown_timeout;
    let mut summary = RunSummary {
        claimed: metrics.claimed.get(),
        sinks: Vec::new(),
        drained,
    };
    for (name, stats, mut task) in pipelines {
        let left = deadline.saturating_duration_since(Instant::now());
        if tokio::time::timeout(left, &mut task).await.is_err() {
            tracing::warn!(sink = %name, "in-flight batch did not finish within the shutdown timeout; it stays pending in Redis for the next run");
            hard.cancel();
            let _ = task.await;
        }
        summary.sinks.push((name, stats.snapshot()));
    }
    // Our acknowledgements may have been the last ones: trim once more.
    for plan in &plans {
        for k in plan.all_streams() {
            let _ = trim(&mut conn, k).await;
        }
    }
    if let Some(admin) = admin {
        let _ = admin.await;
    }
    Ok(summary)
}

async fn claim_loop(
    mut claimer: Claimer,
    wake: watch::Sender<u64>,
    poll: Duration,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) {
    let mut backoff = Duration::from_millis(100);
    while !shutdown.is_cancelled() {
        let wait = match claimer.round().await {
            Ok(round) => {
                backoff = Duration::from_millis(100);
                metrics.backlog_stalls.inc_by(round.newly_stalled as u64);
                if round.claimed > 0 {
                    metrics.claimed.inc_by(round.claimed);
                    wake.send_modify(|n| *n = n.wrapping_add(1));
                }
                if round.more { Duration::ZERO } else { poll }
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "claim failed");
                backoff = (backoff * 2).min(Duration::from_secs(5));
                backoff
            }
        };
        if !wait.is_zero() && crate::shutdown::sleep(&shutdown, wait).await {
            break;
        }
    }
}

/// Trims what other processes' sinks acknowledged, and forgets consumers that are gone.
async fn maintenance_loop(
    mut conn: RedisConn,
    plans: Vec<SinkPlan>,
    every: Duration,
    shutdown: CancellationToken,
) {
    while !crate::shutdown::sleep(&shutdown, every).await {
        for plan in &plans {
            for k in plan.all_streams() {
                if let Err(e) = trim(&mut conn, k).await {
                    tracing::debug!(stream = %k.stream, error = %e, "trim failed");
                }
            }
        }
    }
}

/// Resolves to `true` once the lists are empty and every sink's group has acknowledged
/// every entry of every stream it reads (checked twice in a row, a poll apart, so that a
/// claim in between is seen).
async fn drain_watch(
    mut conn: RedisConn,
    lists: &[crate::source::SourceKey],
    plans: &[SinkPlan],
    poll: Duration,
    shutdown: &CancellationToken,
) -> bool {
    let every = poll.min(Duration::from_millis(250));
    let mut quiet = 0;
    loop {
        if crate::shutdown::sleep(shutdown, every).await {
            return false;
        }
        match drained_now(&mut conn, lists, plans).await {
            Ok(true) => quiet += 1,
            Ok(false) => quiet = 0,
            Err(e) => {
                tracing::warn!(error = %e, "cannot check the drain state");
                quiet = 0;
            }
        }
        if quiet >= 2 {
            tracing::info!(
                "drained: every source list is empty and every sink has acknowledged everything"
            );
            return true;
        }
    }
}

async fn drained_now(
    conn: &mut RedisConn,
    lists: &[crate::source::SourceKey],
    plans: &[SinkPlan],
) -> redis::RedisResult<bool> {
    for k in lists {
        let len: u64 = conn.llen(&k.list).await?;
        if len > 0 {
            return Ok(false);
        }
    }
    for plan in plans {
        for k in plan.all_streams() {
            if !stream_state(conn, k).await?.caught_up(&plan.name) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// `<hostname>-<pid>`: unique per process, readable in `XINFO CONSUMERS`.
fn default_consumer_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "pump".to_string());
    format!("{host}-{}", std::process::id())
}
