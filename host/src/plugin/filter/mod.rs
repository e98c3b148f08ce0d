//! Wasm filters: routing records between the sinks a filter names.
//!
//! Each sink a filter routes for runs the filter on its own batches (in its own instance)
//! and keeps the records whose route includes it; filters are pure functions of the record,
//! so every sink reaches the same decision without talking to the others. Within a process
//! a record is routed by the same version for every sink (see `reload`); pumps of a fleet
//! switch versions when each of them loads the new one. A filter that fails makes the sink
//! retry the batch later; nothing is acknowledged before it is routed or dead-lettered.

mod isolate;

use super::batch::{BatchBuilder, runs};
use super::bindings::RecordKind;
use super::bindings::filter::FilterPlugin;
use super::component::{Loaded, Pre};
use super::engine::Runtime;
use super::sandbox::{PluginState, Sandbox};
use super::sink::{deadline, trap_text};
use super::slot::PluginSlot;
use crate::admin::Metrics;
use crate::deliver::Entry;
use crate::source::RecordFormat;
use pump_record::Record;
use std::sync::Arc;
use wasmtime::Store;

/// A configured filter, shared by the sinks it routes for.
pub struct FilterHandle {
    /// The filter's name.
    pub name: String,
    /// The sinks it routes for, in route-bit order.
    pub sinks: Vec<String>,
    pub(super) runtime: Runtime,
    pub(super) sandbox: Sandbox,
    pub(super) config_json: String,
    pub(super) slot: PluginSlot,
    pub(super) metrics: Arc<Metrics>,
}

impl FilterHandle {
    /// A filter over `slot`'s plugin.
    pub fn new(
        name: String,
        sinks: Vec<String>,
        runtime: Runtime,
        sandbox: Sandbox,
        config_json: String,
        slot: PluginSlot,
        metrics: Arc<Metrics>,
    ) -> Self {
        FilterHandle {
            name,
            sinks,
            runtime,
            sandbox,
            config_json,
            slot,
            metrics,
        }
    }
}

/// The filters one sink is routed by, with the sink's own instances of them.
#[derive(Default)]
pub struct FilterRoutes {
    filters: Vec<RoutedBy>,
    builder: BatchBuilder,
}

struct RoutedBy {
    handle: Arc<FilterHandle>,
    /// This sink's bit in the filter's routes.
    bit: u64,
    /// Instances by version (at most the two versions a slot keeps).
    instances: Vec<Running>,
}

pub(super) struct Running {
    store: Store<PluginState>,
    plugin: FilterPlugin,
    loaded: Arc<Loaded>,
}

impl FilterRoutes {
    /// The routing of sink `sink` by every filter that names it.
    pub fn for_sink(filters: &[Arc<FilterHandle>], sink: &str) -> Self {
        let filters = filters
            .iter()
            .filter_map(|f| {
                let i = f.sinks.iter().position(|s| s == sink)?;
                Some(RoutedBy {
                    handle: f.clone(),
                    bit: 1 << i,
                    instances: Vec::new(),
                })
            })
            .collect();
        FilterRoutes {
            filters,
            builder: BatchBuilder::default(),
        }
    }

    /// Whether no filter routes this sink.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// For each record, whether every filter naming this sink routes it here, and the
    /// records a filter traps on (to be dead-lettered). `raws` are the records' bytes and
    /// entries, `records` the same records decoded. An error means the batch is to be
    /// retried.
    pub async fn keep(
        &mut self,
        raws: &[(&[u8], &Entry)],
        records: &[Record<'_>],
    ) -> Result<Routed, String> {
        let mut routed = Routed {
            keep: vec![true; records.len()],
            dead: Vec::new(),
        };
        for f in &mut self.filters {
            // Which version routes each record: the one its batch was claimed under.
            let (versions, which) = versions_of(&f.handle.slot, raws);
            for (v, version) in versions.iter().enumerate() {
                let mine: Vec<usize> = (0..records.len()).filter(|&i| which[i] == v).collect();
                let routes =
                    route_with(f, &mut self.builder, version, &mine, raws, records).await?;
                for (&i, route) in mine.iter().zip(routes) {
                    match route {
                        Ok(route) => routed.keep[i] &= route & f.bit != 0,
                        Err(reason) => {
                            if !routed.dead.iter().any(|(d, _)| *d == i) {
                                routed.dead.push((i, reason));
                            }
                            routed.keep[i] = false;
                        }
                    }
                }
            }
            // Instances of versions no longer in the slot are dropped.
            let newest = f.handle.slot.newest();
            f.instances.retain(|r| {
                Arc::ptr_eq(&r.loaded, &newest)
                    || versions.iter().any(|v| Arc::ptr_eq(v, &r.loaded))
            });
        }
        Ok(routed)
    }
}

/// The versions a batch's records are routed with, and for each record the index of its
/// version: looked up once per stream entry (its records share a claim time).
fn versions_of(slot: &PluginSlot, raws: &[(&[u8], &Entry)]) -> (Vec<Arc<Loaded>>, Vec<usize>) {
    let mut versions: Vec<Arc<Loaded>> = Vec::new();
    let mut which = Vec::with_capacity(raws.len());
    let mut last: Option<(&Entry, usize)> = None;
    for &(_, entry) in raws {
        let v = match last {
            Some((e, v)) if std::ptr::eq(e, entry) => v,
            _ => {
                let version = slot.for_claim(claimed_ms(&entry.id));
                let v = match versions.iter().position(|k| Arc::ptr_eq(k, &version)) {
                    Some(v) => v,
                    None => {
                        versions.push(version);
                        versions.len() - 1
                    }
                };
                last = Some((entry, v));
                v
            }
        };
        which.push(v);
    }
    (versions, which)
}

/// What the filters decided for a batch.
#[derive(Debug, Default)]
pub struct Routed {
    /// For each record, whether it goes to this sink.
    pub keep: Vec<bool>,
    /// Records a filter traps on, by position, with the reason for their dead letter.
    pub dead: Vec<(usize, String)>,
}

/// Why a `route` call failed.
enum Failure {
    /// The plugin trapped: perhaps on some records, which `isolate` looks for.
    Trap(String),
    /// The call ran past its deadline: perhaps on some records too.
    Late(String),
    /// Anything else (an error it returned, a wrong answer).
    Other(String),
}

impl Failure {
    fn reason(self) -> String {
        match self {
            Failure::Trap(r) | Failure::Late(r) | Failure::Other(r) => r,
        }
    }
}

/// The route of each record at `indices`, from `version` of the filter; `Err` for a record
/// the filter traps on.
async fn route_with(
    f: &mut RoutedBy,
    builder: &mut BatchBuilder,
    version: &Arc<Loaded>,
    indices: &[usize],
    raws: &[(&[u8], &Entry)],
    records: &[Record<'_>],
) -> Result<Vec<Result<u64, String>>, String> {
    let mut routes = Vec::with_capacity(indices.len());
    let kinds = |i: &usize| match records[*i] {
        Record::Analytics(_) => RecordKind::Analytics,
        Record::Uptime(_) => RecordKind::Uptime,
    };
    // A call's records must fit the plugin's memory with room to work.
    let budget = f.handle.sandbox.memory_limit / 4;
    for (kind, range) in runs(indices, kinds) {
        let mut start = range.start;
        for n in range.clone() {
            push(builder, indices[n], raws, records);
            if n + 1 < range.end && builder.len() < budget {
                continue;
            }
            let chunk = &indices[start..n + 1];
            start = n + 1;
            let pos = instance_for(f, version).await?;
            match call_route(&f.handle, &mut f.instances[pos], builder, kind, chunk.len()).await {
                Ok(r) => routes.extend(r.into_iter().map(Ok)),
                Err(failure) => {
                    // A trap or a timeout leaves the instance unusable.
                    if !matches!(failure, Failure::Other(_)) {
                        f.instances.remove(pos);
                        f.handle.metrics.plugin_restart(&f.handle.name);
                    }
                    match failure {
                        Failure::Trap(reason) | Failure::Late(reason) => routes.extend(
                            isolate::isolate(
                                &f.handle, version, builder, kind, chunk, raws, records, reason,
                            )
                            .await?,
                        ),
                        other => return Err(other.reason()),
                    }
                }
            }
        }
    }
    Ok(routes)
}

/// Adds record `i` to the builder: gateway msgpack as it is; protobuf records encoded as
/// msgpack.
fn push(builder: &mut BatchBuilder, i: usize, raws: &[(&[u8], &Entry)], records: &[Record<'_>]) {
    let (raw, entry) = raws[i];
    if entry.format == RecordFormat::AnalyticsProtobuf {
        builder.push_record(&records[i]);
    } else {
        builder.push_raw(raw);
    }
}

/// The position of this sink's instance of `version`, started if there is none.
async fn instance_for(f: &mut RoutedBy, version: &Arc<Loaded>) -> Result<usize, String> {
    if let Some(p) = f
        .instances
        .iter()
        .position(|r| Arc::ptr_eq(&r.loaded, version))
    {
        return Ok(p);
    }
    let running = instantiate(&f.handle, version).await?;
    f.instances.push(running);
    Ok(f.instances.len() - 1)
}

/// One `route` call with the builder's records.
async fn call_route(
    handle: &FilterHandle,
    running: &mut Running,
    builder: &mut BatchBuilder,
    kind: RecordKind,
    n: usize,
) -> Result<Vec<u64>, Failure> {
    let batch = builder.take(kind);
    running.store.data_mut().begin_call();
    let call = running
        .plugin
        .tyk_pump_filter()
        .call_route(&mut running.store, &batch);
    let result = tokio::time::timeout(deadline(handle.sandbox.call_timeout), call).await;
    builder.recycle(batch);
    let name = &handle.name;
    match result {
        Ok(Ok(Ok(r))) if r.len() == n => {
            running.loaded.mark_handled();
            Ok(r)
        }
        Ok(Ok(Ok(r))) => Err(Failure::Other(format!(
            "filter {name} answered {} routes for {n} records",
            r.len()
        ))),
        Ok(Ok(Err(reason))) => Err(Failure::Other(format!("filter {name} failed: {reason}"))),
        Ok(Err(e)) if !running.store.data().timed_out => Err(Failure::Trap(format!(
            "filter {name} trapped: {}",
            trap_text(&e)
        ))),
        Ok(Err(_)) | Err(_) => {
            handle.metrics.plugin_timeout(name);
            Err(Failure::Late(late(name, handle.sandbox.call_timeout)))
        }
    }
}

fn late(name: &str, call_timeout: std::time::Duration) -> String {
    format!("filter {name} ran past its call_timeout of {call_timeout:?} and was stopped")
}

async fn instantiate(handle: &FilterHandle, loaded: &Arc<Loaded>) -> Result<Running, String> {
    start(
        &handle.runtime,
        &handle.sandbox,
        &handle.name,
        &handle.config_json,
        &handle.sinks,
        loaded,
    )
    .await
}

/// Starts and configures an instance of `loaded`, a filter called `name` routing for
/// `sinks`; whether a new version starts, when the instance is dropped at once.
pub(super) async fn start(
    runtime: &Runtime,
    sandbox: &Sandbox,
    name: &str,
    config_json: &str,
    sinks: &[String],
    loaded: &Arc<Loaded>,
) -> Result<Running, String> {
    let Pre::Filter(pre) = &loaded.pre else {
        return Err(format!("{} is not a filter plugin", loaded.path.display()));
    };
    let mut store = sandbox
        .store(&runtime.engine)
        .map_err(|e| format!("{e:#}"))?;
    let limit = deadline(sandbox.call_timeout);
    let timed_out = |_| late(name, sandbox.call_timeout);
    store.data_mut().begin_call();
    let plugin = tokio::time::timeout(limit, pre.instantiate_async(&mut store))
        .await
        .map_err(timed_out)?
        .map_err(|e| format!("filter {name} failed to start: {}", trap_text(&e)))?;
    store.data_mut().begin_call();
    let configure = plugin
        .tyk_pump_filter()
        .call_configure(&mut store, config_json, sinks);
    match tokio::time::timeout(limit, configure)
        .await
        .map_err(timed_out)?
    {
        Ok(Ok(())) => Ok(Running {
            store,
            plugin,
            loaded: loaded.clone(),
        }),
        Ok(Err(reason)) => Err(format!("filter {name} refused its config: {reason}")),
        Err(e) => Err(format!(
            "filter {name} failed in configure: {}",
            trap_text(&e)
        )),
    }
}

/// The claim time in a stream ID (`<ms>-<seq>`); 0 when it cannot be read.
fn claimed_ms(id: &str) -> u64 {
    id.split_once('-')
        .map_or(id, |(ms, _)| ms)
        .parse()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::claimed_ms;

    #[test]
    fn the_claim_time_is_read_from_the_stream_id() {
        assert_eq!(claimed_ms("1700000000123-4"), 1_700_000_000_123);
        assert_eq!(claimed_ms("garbage"), 0);
    }
}
