//! A Wasm sink: a `type = "wasm"` sink whose writes go to a plugin instance.
//!
//! A trap, a call past `call_timeout` or a memory limit hit drops the instance; its records
//! are retried (nothing it was handed is lost) and the next write gets a fresh instance,
//! after a backoff that grows while the plugin keeps failing. A new version of the plugin
//! replaces the instance between two batches.

mod isolate;

use super::batch::{BatchBuilder, kind_of, runs};
use super::bindings::sink::SinkPlugin;
use super::bindings::{Outcome as WitOutcome, Outcomes as WitOutcomes, RecordKind};
use super::component::{Loaded, Pre};
use super::engine::Runtime;
use super::sandbox::{PluginState, Sandbox};
use super::slot::PluginSlot;
use crate::admin::Metrics;
use crate::deliver::Backoff;
use async_trait::async_trait;
use pump_record::Record;
use pump_sinks::{BuildError, Outcome, Sink};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::Store;

/// The wait before the first new instance after a failure, doubled while failures go on
/// up to the last (kept below the default write timeout, which the wait counts against).
const FIRST_RESTART: Duration = Duration::from_millis(100);
const LAST_RESTART: Duration = Duration::from_secs(10);

/// A running instance of a sink plugin.
struct Running {
    store: Store<PluginState>,
    plugin: SinkPlugin,
    loaded: Arc<Loaded>,
}

/// A sink whose records go to a Wasm plugin.
pub struct WasmSink {
    runtime: Runtime,
    sandbox: Sandbox,
    config_json: String,
    slot: PluginSlot,
    metrics: Arc<Metrics>,
    running: Option<Running>,
    builder: BatchBuilder,
    backoff: Backoff,
    /// No new instance before this, after a failure.
    not_before: Option<Instant>,
    /// Whether the running instance holds records it said it wrote but has not flushed.
    unflushed: bool,
}

impl WasmSink {
    /// Starts the sink: an instance of the slot's plugin, configured. A plugin whose
    /// `configure` fails stops the sink from starting, with the plugin's reason.
    pub async fn start(
        runtime: Runtime,
        sandbox: Sandbox,
        config_json: String,
        slot: PluginSlot,
        metrics: Arc<Metrics>,
    ) -> Result<Self, BuildError> {
        let mut sink = WasmSink {
            runtime,
            sandbox,
            config_json,
            slot,
            metrics,
            running: None,
            builder: BatchBuilder::default(),
            backoff: Backoff::new(FIRST_RESTART, LAST_RESTART),
            not_before: None,
            unflushed: false,
        };
        let loaded = sink.slot.newest();
        let running = instantiate(&sink.runtime, &sink.sandbox, &loaded, &sink.config_json)
            .await
            .map_err(BuildError)?;
        sink.running = Some(running);
        Ok(sink)
    }

    /// The instance to call: the running one, or a new one of the newest version. A new
    /// version is started before the old instance is closed; if it does not start, the
    /// old one keeps running and the swap is tried again at the next batch.
    async fn instance(&mut self) -> Result<Running, String> {
        let newest = self.slot.newest();
        if let Some(mut running) = self.running.take() {
            if Arc::ptr_eq(&running.loaded, &newest) {
                return Ok(running);
            }
            match instantiate(&self.runtime, &self.sandbox, &newest, &self.config_json).await {
                Ok(fresh) => {
                    tracing::info!(sink = %self.sandbox.name, from = %running.loaded.version, to = %newest.version, "switched to the new version of the plugin");
                    close(&mut running, self.sandbox.call_timeout).await;
                    return Ok(fresh);
                }
                Err(e) => {
                    tracing::warn!(sink = %self.sandbox.name, version = %newest.version, error = %e, "the new version did not start; the running one stays");
                    return Ok(running);
                }
            }
        }
        // After a failure, the new instance waits out its backoff here, so that the
        // retry it serves meets a fresh instance rather than the wait.
        if let Some(at) = self.not_before.take() {
            tokio::time::sleep_until(at.into()).await;
        }
        match instantiate(&self.runtime, &self.sandbox, &newest, &self.config_json).await {
            Ok(r) => Ok(r),
            Err(e) => {
                self.not_before = Some(Instant::now() + self.backoff.next_delay());
                Err(e)
            }
        }
    }

    /// Drops a failed instance and says why it failed (`error` is `None` when the call was
    /// stopped by the host for running past its deadline while waiting on the host).
    fn failed(&mut self, running: Running, what: &str, error: Option<&wasmtime::Error>) -> String {
        let reason = match error {
            Some(e) if !running.store.data().timed_out => {
                format!("plugin {what} failed: {}", trap_text(e))
            }
            _ => {
                self.metrics.plugin_timeout(&self.sandbox.name);
                format!(
                    "plugin {what} ran past its call_timeout of {:?} and was stopped",
                    self.sandbox.call_timeout
                )
            }
        };
        self.metrics.plugin_restart(&self.sandbox.name);
        tracing::warn!(sink = %self.sandbox.name, version = %running.loaded.version, reason = %reason, "plugin instance dropped; a fresh one takes the retry");
        self.not_before = Some(Instant::now() + self.backoff.next_delay());
        reason
    }

    fn succeeded(&mut self) {
        self.backoff = Backoff::new(FIRST_RESTART, LAST_RESTART);
        self.not_before = None;
    }

    /// Hands the builder's records to the plugin in one call; the outcomes, or why the
    /// instance failed (it is then dropped).
    async fn call_write(
        &mut self,
        running: &mut Running,
        kind: RecordKind,
        n: usize,
    ) -> Result<Vec<Outcome>, (&'static str, Option<wasmtime::Error>)> {
        let batch = self.builder.take(kind);
        running.store.data_mut().begin_call();
        let call = running
            .plugin
            .tyk_pump_sink()
            .call_write(&mut running.store, &batch);
        let result = tokio::time::timeout(deadline(self.sandbox.call_timeout), call).await;
        self.builder.recycle(batch);
        match result {
            Ok(Ok(outcomes)) => {
                running.loaded.mark_handled();
                Ok(outcomes_for(outcomes, n))
            }
            Ok(Err(e)) => Err(("write", Some(e))),
            Err(_) => Err(("write", None)),
        }
    }
}

/// How long the host waits for a call: the plugin's `call_timeout`, plus the epoch clock's
/// granularity, so that a plugin running its own code is stopped by the epoch (with a
/// trap) and one waiting on the host (HTTP, clocks) by this.
pub(super) fn deadline(call_timeout: Duration) -> Duration {
    call_timeout + 5 * super::engine::TICK
}

/// Calls `close` on an instance that is being replaced or stopped, within its deadline.
async fn close(running: &mut Running, call_timeout: Duration) {
    running.store.data_mut().begin_call();
    let call = running
        .plugin
        .tyk_pump_sink()
        .call_close(&mut running.store);
    let _ = tokio::time::timeout(deadline(call_timeout), call).await;
}

impl WasmSink {
    /// Adds record `i` to the next call: `msgpack[i]` when given, else the record encoded
    /// as the gateway would.
    fn push(&mut self, i: usize, records: &[Record<'_>], msgpack: Option<&[&[u8]]>) {
        match msgpack.and_then(|m| m.get(i)) {
            Some(bytes) => self.builder.push_raw(bytes),
            None => self.builder.push_record(&records[i]),
        }
    }

    /// Writes `records`, handing the plugin `msgpack[i]` for record `i` when given, or the
    /// record encoded as the gateway would otherwise.
    async fn write_records(
        &mut self,
        records: &[Record<'_>],
        msgpack: Option<&[&[u8]]>,
    ) -> Vec<Outcome> {
        let mut running = match self.instance().await {
            Ok(r) => r,
            Err(reason) => return Outcome::all(records.len(), Outcome::Retry(reason)),
        };
        // A call's records must fit the plugin's memory with room to work: calls are cut
        // at a quarter of its limit.
        let budget = self.sandbox.memory_limit / 4;
        let mut out = Vec::with_capacity(records.len());
        self.unflushed = false;
        for (kind, range) in runs(records, kind_of) {
            let mut pending = 0;
            for i in range.clone() {
                self.push(i, records, msgpack);
                pending += 1;
                if i + 1 < range.end && self.builder.len() < budget {
                    continue;
                }
                match self.call_write(&mut running, kind, pending).await {
                    Ok(outcomes) => {
                        self.unflushed |= outcomes.contains(&Outcome::Written);
                        out.extend(outcomes);
                    }
                    Err((what, error)) => {
                        let trapped = error.is_some() && !running.store.data().timed_out;
                        let reason = self.failed(running, what, error.as_ref());
                        self.builder.clear();
                        // What the lost instance wrote was never flushed: retried. What
                        // `isolate` writes, it flushes in instances of its own.
                        for o in out.iter_mut().filter(|o| **o == Outcome::Written) {
                            *o = Outcome::Retry(reason.clone());
                        }
                        self.unflushed = false;
                        if trapped {
                            let chunk = (i + 1 - pending)..(i + 1);
                            let found = self
                                .isolate(kind, chunk, records, msgpack, reason.clone())
                                .await;
                            out.extend(found);
                        }
                        out.resize(records.len(), Outcome::Retry(reason));
                        return out;
                    }
                }
                pending = 0;
            }
        }
        self.running = Some(running);
        self.succeeded();
        out
    }
}

#[async_trait]
impl Sink for WasmSink {
    async fn write(&mut self, records: &[Record<'_>]) -> Vec<Outcome> {
        self.write_records(records, None).await
    }

    async fn write_encoded(&mut self, records: &[Record<'_>], msgpack: &[&[u8]]) -> Vec<Outcome> {
        self.write_records(records, Some(msgpack)).await
    }

    async fn flush(&mut self) -> Result<(), String> {
        let Some(mut running) = self.running.take() else {
            // After a failed call, the records said written were flushed where they were
            // written (see `isolate`); any others were already turned into retries.
            return if self.unflushed {
                Err("the plugin instance was lost before its flush".into())
            } else {
                Ok(())
            };
        };
        running.store.data_mut().begin_call();
        let call = running
            .plugin
            .tyk_pump_sink()
            .call_flush(&mut running.store);
        match tokio::time::timeout(deadline(self.sandbox.call_timeout), call).await {
            Ok(Ok(r)) => {
                self.running = Some(running);
                if r.is_ok() {
                    self.unflushed = false;
                }
                r
            }
            Ok(Err(e)) => Err(self.failed(running, "flush", Some(&e))),
            Err(_) => Err(self.failed(running, "flush", None)),
        }
    }

    async fn close(&mut self) {
        if let Some(mut running) = self.running.take() {
            close(&mut running, self.sandbox.call_timeout).await;
        }
    }
}

/// One outcome per record of a run of `n`, whatever the plugin answered.
fn outcomes_for(outcomes: WitOutcomes, n: usize) -> Vec<Outcome> {
    match outcomes {
        WitOutcomes::AllWritten => Outcome::all(n, Outcome::Written),
        WitOutcomes::AllRetry(reason) => Outcome::all(n, Outcome::Retry(reason)),
        WitOutcomes::Each(each) if each.len() == n => each
            .into_iter()
            .map(|o| match o {
                WitOutcome::Written => Outcome::Written,
                WitOutcome::Retry(r) => Outcome::Retry(r),
                WitOutcome::Rejected(r) => Outcome::Rejected(r),
            })
            .collect(),
        WitOutcomes::Each(each) => Outcome::all(
            n,
            Outcome::Retry(format!(
                "the plugin answered {} outcomes for {n} records",
                each.len()
            )),
        ),
    }
}

/// Why a call failed, in one line: the trap or error, without wasmtime's wasm backtrace.
pub(super) fn trap_text(e: &wasmtime::Error) -> String {
    let causes: Vec<String> = e
        .chain()
        .map(|c| c.to_string())
        .filter(|c| !c.starts_with("error while executing at wasm backtrace"))
        .collect();
    let text = if causes.is_empty() {
        e.root_cause().to_string()
    } else {
        causes.join(": ")
    };
    text.lines().next().unwrap_or_default().to_owned()
}

/// Whether `loaded` starts with `config_json`: an instance is started, configured and
/// closed.
pub(super) async fn probe(
    runtime: &Runtime,
    sandbox: &Sandbox,
    loaded: &Arc<Loaded>,
    config_json: &str,
) -> Result<(), String> {
    let mut running = instantiate(runtime, sandbox, loaded, config_json).await?;
    close(&mut running, sandbox.call_timeout).await;
    Ok(())
}

/// A configured instance of a sink plugin.
async fn instantiate(
    runtime: &Runtime,
    sandbox: &Sandbox,
    loaded: &Arc<Loaded>,
    config_json: &str,
) -> Result<Running, String> {
    let Pre::Sink(pre) = &loaded.pre else {
        return Err(format!("{} is not a sink plugin", loaded.path.display()));
    };
    let mut store = sandbox
        .store(&runtime.engine)
        .map_err(|e| format!("{e:#}"))?;
    let limit = deadline(sandbox.call_timeout);
    let late = |_| {
        format!(
            "plugin ran past its call_timeout of {:?} while starting",
            sandbox.call_timeout
        )
    };
    store.data_mut().begin_call();
    let plugin = tokio::time::timeout(limit, pre.instantiate_async(&mut store))
        .await
        .map_err(late)?
        .map_err(|e| format!("plugin failed to start: {}", trap_text(&e)))?;
    store.data_mut().begin_call();
    let configure = plugin
        .tyk_pump_sink()
        .call_configure(&mut store, config_json);
    match tokio::time::timeout(limit, configure).await.map_err(late)? {
        Ok(Ok(())) => Ok(Running {
            store,
            plugin,
            loaded: loaded.clone(),
        }),
        Ok(Err(reason)) => Err(format!("plugin refused its config: {reason}")),
        Err(e) => Err(format!("plugin failed in configure: {}", trap_text(&e))),
    }
}
