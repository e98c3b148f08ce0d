//! Hot reload: each plugin file is watched (and all are looked at again on SIGHUP); a
//! changed file is compiled, linked and tried in a fresh instance before it replaces the
//! running version, so a version that fails to load leaves the old one running.
//!
//! Sinks switch to the new version between batches. Filters are shared by several sinks
//! that each route the same batch; so that all of them route a record with the same
//! version, a filter version applies to the batches claimed after it was loaded — by
//! Redis's clock, the one stream IDs are made with — and batches claimed before keep the
//! version they were claimed under (see `slot`).
//!
//! Across a fleet, the first pump that loads a filter's new version records in Redis when
//! it takes effect: `[plugins] rollout_delay` later. Every pump that loads the same
//! version switches at that moment too, so that the pumps reading a batch for different
//! sinks route it alike; a pump that loads it later switches when it does.

use super::component::{Loaded, World};
use super::engine::Runtime;
use super::sandbox::Sandbox;
use super::slot::PluginSlot;
use crate::admin::Metrics;
use crate::source::RedisConn;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

/// How often plugin files are looked at.
const WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// One plugin to watch.
pub struct Watched {
    /// The sink or filter name.
    pub name: String,
    pub path: PathBuf,
    pub world: World,
    pub sandbox: Sandbox,
    /// The plugin's config, to try new versions with.
    pub config_json: String,
    /// The sinks a filter routes for.
    pub sinks: Vec<String>,
    pub slot: PluginSlot,
    /// Watch the file (otherwise only SIGHUP reloads it).
    pub watch: bool,
    /// For a filter with a `rollout_delay`: where the fleet agrees when a version takes
    /// effect.
    pub rollout: Option<Rollout>,
}

/// A filter's rollouts across a fleet.
#[derive(Debug, Clone)]
pub struct Rollout {
    /// The Redis hash of version → switch time (ms, by Redis's clock).
    pub key: String,
    /// How long after the first pump loads a version it takes effect.
    pub delay: Duration,
}

/// Agrees on the switch time of a version. KEYS[1]: the filter's rollout hash; ARGV: the
/// version, the proposed time, how long to keep the hash, the version this pump runs.
/// Returns the time recorded when this version is the fleet's newest, or when this pump
/// lags behind the fleet (it runs an older version than the newest: loading a version the
/// fleet has moved past is no new rollout); otherwise (a new version, or an up-to-date
/// pump going back to an earlier one) records and returns the proposed time.
const AGREE: &str = r"
local mine = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
local newest, newest_version = 0, false
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local t = tonumber(all[i + 1])
  if all[i] ~= ARGV[1] and t > newest then
    newest, newest_version = t, all[i]
  end
end
if mine and (mine > newest or newest_version ~= ARGV[4]) then
  return mine
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return tonumber(ARGV[2])
";

/// How long a filter's rollout record is kept after its last new version.
const ROLLOUT_KEPT: Duration = Duration::from_secs(30 * 24 * 3600);

/// Reloads plugins whose file changed, until `shutdown`; `conn` tells Redis's time.
pub async fn watch_plugins(
    runtime: Runtime,
    plugins: Vec<Watched>,
    mut conn: RedisConn,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) {
    if plugins.is_empty() {
        return;
    }
    let mut stamps: Vec<Option<Stamp>> = plugins.iter().map(|p| stamp(&p.path)).collect();
    let mut hangup = hangup_signal();
    let mut behind = Behind {
        started_ms: redis_now_ms(&mut conn).await.unwrap_or(0),
        ..Behind::default()
    };
    loop {
        let forced = tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(WATCH_INTERVAL) => false,
            _ = recv(&mut hangup) => true,
        };
        if forced {
            tracing::info!("SIGHUP: looking at every plugin file");
        }
        for (p, last) in plugins.iter().zip(stamps.iter_mut()) {
            let now = stamp(&p.path);
            let changed = now.is_some() && now != *last;
            if !(forced || (p.watch && changed)) {
                continue;
            }
            if reload(&runtime, p, &mut conn, &metrics).await {
                *last = now;
            }
        }
        behind.check(&plugins, &mut conn).await;
    }
}

/// How often a pump compares its filter versions with the fleet's.
const BEHIND_INTERVAL: Duration = Duration::from_secs(10);

/// Notices when the fleet has switched a filter to a version this pump has not loaded
/// (its file was not deployed here), and says so once per version.
#[derive(Default)]
struct Behind {
    last: Option<std::time::Instant>,
    told: std::collections::HashSet<(String, String)>,
    /// When this pump started, by Redis's clock.
    started_ms: u64,
}

impl Behind {
    async fn check(&mut self, plugins: &[Watched], conn: &mut RedisConn) {
        if self.last.is_some_and(|at| at.elapsed() < BEHIND_INTERVAL) {
            return;
        }
        self.last = Some(std::time::Instant::now());
        if plugins.iter().all(|p| p.rollout.is_none()) {
            return;
        }
        let Ok(now_ms) = redis_now_ms(conn).await else {
            return;
        };
        for p in plugins {
            let Some(rollout) = &p.rollout else {
                continue;
            };
            let fleet: redis::RedisResult<std::collections::HashMap<String, u64>> =
                redis::cmd("HGETALL")
                    .arg(&rollout.key)
                    .query_async(conn)
                    .await;
            let Some((version, since)) = fleet
                .ok()
                .and_then(|f| f.into_iter().max_by_key(|(_, since)| *since))
            else {
                continue;
            };
            let mine = p.slot.newest().version.clone();
            // A version the fleet switched to before this pump took its own (at start-up
            // or by a reload) is not one it lags behind.
            let mine_since = p.slot.newest_since().max(self.started_ms);
            if since > now_ms
                || since <= mine_since
                || version == mine
                || !self.told.insert((p.name.clone(), version.clone()))
            {
                continue;
            }
            tracing::warn!(plugin = %p.name, fleet_version = %version, this_pump = %mine, switch_at_ms = since, path = %p.path.display(), "the fleet switched this filter to a version this pump has not loaded; deploy the same file here (or see above why it was refused)");
        }
    }
}

/// Tries the file's version; false if it should be tried again (Redis did not answer).
async fn reload(runtime: &Runtime, p: &Watched, conn: &mut RedisConn, metrics: &Metrics) -> bool {
    let current = p.slot.newest();
    let bytes = match tokio::fs::read(&p.path).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(plugin = %p.name, path = %p.path.display(), error = %e, "cannot read the new version; the running one stays");
            metrics.plugin_reload(&p.name, false);
            return true;
        }
    };
    let runtime2 = runtime.clone();
    let path = p.path.clone();
    let world = p.world;
    // Compiling takes a while: off the runtime's threads.
    let loaded = tokio::task::spawn_blocking(move || {
        Loaded::from_bytes(&runtime2, &path, &bytes, Some(world))
    })
    .await;
    let loaded = match loaded {
        Ok(Ok(l)) => l,
        Ok(Err(e)) => {
            tracing::error!(plugin = %p.name, error = %e, "the new version cannot be loaded; the running one stays");
            metrics.plugin_reload(&p.name, false);
            return true;
        }
        Err(e) => {
            tracing::error!(plugin = %p.name, error = %e, "loading the new version failed; the running one stays");
            metrics.plugin_reload(&p.name, false);
            return true;
        }
    };
    if loaded.version == current.version {
        return true;
    }
    let loaded = Arc::new(loaded);
    if let Err(e) =
        super::probe::probe(runtime, &p.sandbox, &loaded, &p.config_json, &p.sinks).await
    {
        tracing::error!(plugin = %p.name, version = %loaded.version, error = %e, "the new version does not start; the running one stays");
        metrics.plugin_reload(&p.name, false);
        return true;
    }
    // Batches claimed from this moment on (by Redis's clock) use the new version; a
    // filter's, from the moment the fleet agreed on.
    let switch = async {
        let now_ms = redis_now_ms(conn).await?;
        let since_ms = match &p.rollout {
            Some(r) => {
                let proposed = now_ms + r.delay.as_millis() as u64;
                agree(conn, r, &loaded.version, &current.version, proposed).await?
            }
            _ => now_ms,
        };
        Ok::<_, redis::RedisError>((now_ms, since_ms))
    };
    let (now_ms, since_ms) = match switch.await {
        Ok(times) => times,
        Err(e) => {
            tracing::warn!(plugin = %p.name, error = %e, "cannot agree on a switch time with Redis; trying again");
            return false;
        }
    };
    if since_ms > now_ms {
        let wait = Duration::from_millis(since_ms - now_ms);
        tracing::info!(plugin = %p.name, from = %current.version, to = %loaded.version, switch_at_ms = since_ms, takes_effect_in = ?wait, "plugin reloaded; batches claimed from the fleet's switch time on use it");
    } else if since_ms < now_ms {
        let late = Duration::from_millis(now_ms - since_ms);
        tracing::warn!(plugin = %p.name, from = %current.version, to = %loaded.version, switch_at_ms = since_ms, late_by = ?late, "plugin reloaded after the fleet switched to it; batches this pump routed in between used the old version");
    } else {
        tracing::info!(plugin = %p.name, from = %current.version, to = %loaded.version, switch_at_ms = since_ms, "plugin reloaded");
    }
    metrics.plugin_reload(&p.name, true);
    // Never for batches already claimed: some sinks may have routed them already.
    p.slot.publish(loaded, since_ms.max(now_ms));
    true
}

/// The switch time the fleet agrees on for `version` (see `AGREE`).
async fn agree(
    conn: &mut RedisConn,
    rollout: &Rollout,
    version: &str,
    running: &str,
    proposed_ms: u64,
) -> redis::RedisResult<u64> {
    redis::Script::new(AGREE)
        .key(&rollout.key)
        .arg(version)
        .arg(proposed_ms)
        .arg(ROLLOUT_KEPT.as_millis() as u64)
        .arg(running)
        .invoke_async(conn)
        .await
}

/// Redis's clock in milliseconds, rounded up: every entry claimed before this call has a
/// smaller stream ID time.
async fn redis_now_ms(conn: &mut RedisConn) -> redis::RedisResult<u64> {
    let (secs, micros): (u64, u64) = redis::cmd("TIME").query_async(conn).await?;
    Ok(secs * 1000 + micros / 1000 + 1)
}

/// What tells a file changed: its modification time and size.
type Stamp = (SystemTime, u64);

fn stamp(path: &std::path::Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

#[cfg(unix)]
fn hangup_signal() -> Option<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
}

#[cfg(not(unix))]
fn hangup_signal() -> Option<()> {
    None
}

#[cfg(unix)]
async fn recv(signal: &mut Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn recv(_signal: &mut Option<()>) {
    std::future::pending().await
}
