//! A Wasm sink: a `type = "wasm"` sink whose writes go to a plugin instance.
//!
//! A trap, a call past `call_timeout` or a memory limit hit drops the instance; its records
//! are retried (nothing it was handed is lost) and the next write gets a fresh instance,
//! after a backoff that grows while the plugin keeps failing. A new version of the plugin
//! replaces the instance between two batches.

use super::batch::{BatchBuilder, kind_of, runs};
use super::bindings::filter::FilterPlugin;
use super::bindings::sink::SinkPlugin;
use super::bindings::{Outcome as WitOutcome, Outcomes as WitOutcomes};
use super::component::{Loaded, Pre};
use super::engine::Runtime;
use super::reload::PluginSlot;
use super::sandbox::{PluginState, Sandbox};
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
        };
        let loaded = sink.slot.newest();
        let running = instantiate(&sink.runtime, &sink.sandbox, &loaded, &sink.config_json)
            .await
            .map_err(BuildError)?;
        sink.running = Some(running);
        Ok(sink)
    }

    /// The instance to call: the running one, or a new one of the newest version.
    async fn instance(&mut self) -> Result<Running, String> {
        let newest = self.slot.newest();
        if let Some(mut running) = self.running.take() {
            if Arc::ptr_eq(&running.loaded, &newest) {
                return Ok(running);
            }
            tracing::info!(sink = %self.sandbox.name, from = %running.loaded.version, to = %newest.version, "switching to the new version of the plugin");
            running.store.data_mut().begin_call();
            let _ = running
                .plugin
                .tyk_pump_sink()
                .call_close(&mut running.store)
                .await;
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

    /// Drops a failed instance and says why it failed.
    fn failed(&mut self, running: Running, what: &str, error: &wasmtime::Error) -> String {
        let state = running.store.data();
        let reason = if state.timed_out {
            self.metrics.plugin_timeout(&self.sandbox.name);
            format!(
                "plugin {what} ran past its call_timeout of {:?} and was stopped",
                self.sandbox.call_timeout
            )
        } else {
            format!("plugin {what} failed: {}", trap_text(error))
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
}

#[async_trait]
impl Sink for WasmSink {
    async fn write(&mut self, records: &[Record<'_>]) -> Vec<Outcome> {
        let mut running = match self.instance().await {
            Ok(r) => r,
            Err(reason) => return Outcome::all(records.len(), Outcome::Retry(reason)),
        };
        let mut out = Vec::with_capacity(records.len());
        for (kind, range) in runs(records, kind_of) {
            let run = &records[range];
            for r in run {
                self.builder.push_record(r);
            }
            let batch = self.builder.take(kind);
            running.store.data_mut().begin_call();
            let result = running
                .plugin
                .tyk_pump_sink()
                .call_write(&mut running.store, &batch)
                .await;
            self.builder.recycle(batch);
            match result {
                Ok(outcomes) => out.extend(outcomes_for(outcomes, run.len())),
                Err(e) => {
                    let reason = self.failed(running, "write", &e);
                    out.resize(records.len(), Outcome::Retry(reason));
                    return out;
                }
            }
        }
        self.running = Some(running);
        self.succeeded();
        out
    }

    async fn flush(&mut self) -> Result<(), String> {
        let Some(mut running) = self.running.take() else {
            return Err("the plugin instance was lost before its flush".into());
        };
        running.store.data_mut().begin_call();
        let result = running
            .plugin
            .tyk_pump_sink()
            .call_flush(&mut running.store)
            .await;
        match result {
            Ok(r) => {
                self.running = Some(running);
                r
            }
            Err(e) => Err(self.failed(running, "flush", &e)),
        }
    }

    async fn close(&mut self) {
        if let Some(mut running) = self.running.take() {
            running.store.data_mut().begin_call();
            let _ = running
                .plugin
                .tyk_pump_sink()
                .call_close(&mut running.store)
                .await;
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
    store.data_mut().begin_call();
    let plugin = pre
        .instantiate_async(&mut store)
        .await
        .map_err(|e| format!("plugin failed to start: {}", trap_text(&e)))?;
    store.data_mut().begin_call();
    match plugin
        .tyk_pump_sink()
        .call_configure(&mut store, config_json)
        .await
    {
        Ok(Ok(())) => Ok(Running {
            store,
            plugin,
            loaded: loaded.clone(),
        }),
        Ok(Err(reason)) => Err(format!("plugin refused its config: {reason}")),
        Err(e) => Err(format!("plugin failed in configure: {}", trap_text(&e))),
    }
}

/// Starts an instance of `loaded` with its config and drops it: whether a new version
/// would run.
pub async fn probe(
    runtime: &Runtime,
    sandbox: &Sandbox,
    loaded: &Loaded,
    config_json: &str,
    sinks: &[String],
) -> Result<(), String> {
    let mut store = sandbox
        .store(&runtime.engine)
        .map_err(|e| format!("{e:#}"))?;
    store.data_mut().begin_call();
    let configured = match &loaded.pre {
        Pre::Sink(pre) => {
            let plugin: SinkPlugin = pre
                .instantiate_async(&mut store)
                .await
                .map_err(|e| trap_text(&e))?;
            store.data_mut().begin_call();
            let r = plugin
                .tyk_pump_sink()
                .call_configure(&mut store, config_json)
                .await
                .map_err(|e| trap_text(&e))?;
            store.data_mut().begin_call();
            let _ = plugin.tyk_pump_sink().call_close(&mut store).await;
            r
        }
        Pre::Filter(pre) => {
            let plugin: FilterPlugin = pre
                .instantiate_async(&mut store)
                .await
                .map_err(|e| trap_text(&e))?;
            store.data_mut().begin_call();
            plugin
                .tyk_pump_filter()
                .call_configure(&mut store, config_json, sinks)
                .await
                .map_err(|e| trap_text(&e))?
        }
    };
    configured.map_err(|reason| format!("plugin refused its config: {reason}"))
}
