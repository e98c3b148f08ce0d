//! What the plugin benchmark (`cargo bench -p pump --bench plugin`) drives: a filter's and
//! the measuring component's calls, outside the delivery pipeline. Not a public API.

use super::batch::BatchBuilder;
use super::bindings::RecordKind;
use super::bindings::filter::FilterPlugin;
use super::bindings::measure::{MeasurePlugin, MeasurePluginPre};
use super::bindings::sink::tyk::pump::types as wit;
use super::component::{Loaded, Pre, World};
use super::engine::Runtime;
use super::sandbox::{PluginState, Sandbox};
use crate::config::PluginConfig;
use pump_record::AnalyticsRecord;
use std::path::Path;
use wasmtime::Store;
use wasmtime::component::{HasSelf, Linker};

fn sandbox(name: &str, module: &Path) -> Sandbox {
    let config = PluginConfig {
        module: module.to_owned(),
        memory_limit: 256 << 20,
        call_timeout: std::time::Duration::from_secs(60),
        allow_hosts: Vec::new(),
        dir: None,
        watch: false,
        config: serde_json::Value::Object(Default::default()),
    };
    Sandbox::new(name, &config)
}

/// A configured filter instance.
pub struct BenchFilter {
    store: Store<PluginState>,
    plugin: FilterPlugin,
    builder: BatchBuilder,
}

impl BenchFilter {
    /// Loads the filter at `path` and configures it.
    pub async fn new(runtime: &Runtime, path: &Path, config: &str, sinks: &[String]) -> Self {
        let loaded = Loaded::load(runtime, path, Some(World::Filter)).expect("load filter");
        let Pre::Filter(pre) = &loaded.pre else {
            unreachable!("loaded as a filter")
        };
        let mut store = sandbox("bench", path)
            .store(&runtime.engine)
            .expect("store");
        store.data_mut().begin_call();
        let plugin = pre
            .instantiate_async(&mut store)
            .await
            .expect("instantiate");
        plugin
            .tyk_pump_filter()
            .call_configure(&mut store, config, sinks)
            .await
            .expect("configure call")
            .expect("configure");
        BenchFilter {
            store,
            plugin,
            builder: BatchBuilder::default(),
        }
    }

    /// Routes a batch of gateway msgpack records.
    pub async fn route(&mut self, raws: &[Vec<u8>]) -> Vec<u64> {
        let batch = analytics_batch(&mut self.builder, raws);
        self.store.data_mut().begin_call();
        let routes = self
            .plugin
            .tyk_pump_filter()
            .call_route(&mut self.store, &batch)
            .await
            .expect("route call")
            .expect("route");
        self.builder.recycle(batch);
        routes
    }
}

/// The measuring component: the same records as typed WIT values or as a bytes batch.
pub struct BenchMeasure {
    store: Store<PluginState>,
    plugin: MeasurePlugin,
    builder: BatchBuilder,
}

impl BenchMeasure {
    /// Loads the measuring component at `path`.
    pub async fn new(runtime: &Runtime, path: &Path) -> Self {
        let component = wasmtime::component::Component::from_file(&runtime.engine, path)
            .expect("compile the measuring component");
        let mut linker = Linker::new(&runtime.engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).expect("wasi");
        super::bindings::sink::tyk::pump::host::add_to_linker::<_, HasSelf<PluginState>>(
            &mut linker,
            |s| s,
        )
        .expect("host");
        let pre = MeasurePluginPre::new(linker.instantiate_pre(&component).expect("link"))
            .expect("measure world");
        let mut store = sandbox("measure", path)
            .store(&runtime.engine)
            .expect("store");
        store.data_mut().begin_call();
        let plugin = pre
            .instantiate_async(&mut store)
            .await
            .expect("instantiate");
        BenchMeasure {
            store,
            plugin,
            builder: BatchBuilder::default(),
        }
    }

    /// Hands the records over as `list<analytics-record>`; the conversion to WIT values
    /// is part of the cost, as it would be in the pipeline.
    pub async fn typed(&mut self, records: &[AnalyticsRecord<'_>]) -> u32 {
        let typed: Vec<wit::AnalyticsRecord> = records.iter().map(to_wit).collect();
        self.store.data_mut().begin_call();
        self.plugin
            .tyk_pump_measure()
            .call_typed(&mut self.store, &typed)
            .await
            .expect("typed call")
    }

    /// Hands the records over as a bytes batch.
    pub async fn bytes(&mut self, raws: &[Vec<u8>]) -> u32 {
        let batch = analytics_batch(&mut self.builder, raws);
        self.store.data_mut().begin_call();
        let n = self
            .plugin
            .tyk_pump_measure()
            .call_bytes(&mut self.store, &batch)
            .await
            .expect("bytes call");
        self.builder.recycle(batch);
        n
    }
}

/// The records as one analytics batch, in the builder's buffers.
fn analytics_batch(builder: &mut BatchBuilder, raws: &[Vec<u8>]) -> super::bindings::Batch {
    for r in raws {
        builder.push_raw(r);
    }
    builder.take(RecordKind::Analytics)
}

fn time(t: &pump_record::Timestamp) -> wit::Timestamp {
    wit::Timestamp {
        seconds: t.secs,
        nanos: t.nanos,
    }
}

fn strs(v: &Option<Vec<std::borrow::Cow<'_, str>>>) -> Option<Vec<String>> {
    v.as_ref()
        .map(|v| v.iter().map(|s| s.to_string()).collect())
}

/// A record as the typed WIT value.
fn to_wit(r: &AnalyticsRecord<'_>) -> wit::AnalyticsRecord {
    let g = &r.graphql_stats;
    wit::AnalyticsRecord {
        method: r.method.to_string(),
        host: r.host.to_string(),
        path: r.path.to_string(),
        raw_path: r.raw_path.to_string(),
        content_length: r.content_length,
        user_agent: r.user_agent.to_string(),
        day: r.day,
        month: r.month,
        year: r.year,
        hour: r.hour,
        response_code: r.response_code,
        api_key: r.api_key.to_string(),
        timestamp: time(&r.timestamp),
        api_version: r.api_version.to_string(),
        api_name: r.api_name.to_string(),
        api_id: r.api_id.to_string(),
        org_id: r.org_id.to_string(),
        oauth_id: r.oauth_id.to_string(),
        request_time: r.request_time,
        raw_request: r.raw_request.to_string(),
        raw_response: r.raw_response.to_string(),
        ip_address: r.ip_address.to_string(),
        geo: wit::Geo {
            country_iso_code: r.geo.country.iso_code.to_string(),
            city_geoname_id: r.geo.city.geoname_id,
            city_names: r.geo.city.names.as_ref().map(|m| {
                m.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            }),
            latitude: r.geo.location.latitude,
            longitude: r.geo.location.longitude,
            time_zone: r.geo.location.time_zone.to_string(),
        },
        network: wit::Network {
            open_connections: r.network.open_connections,
            closed_connections: r.network.closed_connections,
            bytes_in: r.network.bytes_in,
            bytes_out: r.network.bytes_out,
        },
        latency: wit::Latency {
            total: r.latency.total,
            upstream: r.latency.upstream,
            gateway: r.latency.gateway,
        },
        tags: strs(&r.tags),
        alias: r.alias.to_string(),
        track_path: r.track_path,
        expire_at: time(&r.expire_at),
        api_schema: r.api_schema.to_string(),
        original_path: r.original_path.to_string(),
        listen_path: r.listen_path.to_string(),
        graphql_stats: wit::GraphqlStats {
            variables: g.variables.to_string(),
            root_fields: strs(&g.root_fields),
            types: g.types.as_ref().map(|t| {
                t.iter()
                    .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
                    .collect()
            }),
            errors: g.errors.as_ref().map(|e| {
                e.iter()
                    .map(|e| wit::GraphError {
                        message: e.message.clone(),
                        path_json: serde_json::to_string(&e.path).unwrap_or_default(),
                    })
                    .collect()
            }),
            operation_type: g.operation_type,
            has_errors: g.has_errors,
            is_graphql: g.is_graphql,
        },
        mcp_stats: wit::McpStats {
            is_mcp: r.mcp_stats.is_mcp,
            jsonrpc_method: r.mcp_stats.jsonrpc_method.to_string(),
            primitive_type: r.mcp_stats.primitive_type.to_string(),
            primitive_name: r.mcp_stats.primitive_name.to_string(),
        },
        collection_name: r.collection_name.to_string(),
    }
}
