//! Loading every plugin a config names, at start-up: an unusable plugin stops the pump
//! with the sink or filter it belongs to and why.

use super::component::{Loaded, World};
use super::engine::Runtime;
use super::filter::FilterHandle;
use super::reload::{Rollout, Watched};
use super::sandbox::Sandbox;
use super::slot::PluginSlot;
use crate::admin::Metrics;
use crate::config::{Config, PluginConfig, SinkKind};
use crate::deliver::SinkBuilder;
use anyhow::Context;
use std::sync::Arc;

/// The plugins of a config, loaded.
pub struct Prepared {
    /// How to make each sink, in the config's order.
    pub builders: Vec<SinkBuilder>,
    /// The Wasm filters.
    pub filters: Arc<[Arc<FilterHandle>]>,
    /// The plugins to watch for new versions.
    pub watched: Vec<Watched>,
    /// The engine, when there is any plugin.
    pub runtime: Option<Runtime>,
}

/// Loads the plugins of `config`.
pub async fn prepare(config: &Config, metrics: &Arc<Metrics>) -> anyhow::Result<Prepared> {
    let any_wasm = !config.filters.is_empty()
        || config
            .sinks
            .iter()
            .any(|s| matches!(s.settings, SinkKind::Wasm(_)));
    let runtime = if any_wasm {
        Some(
            Runtime::new(config.plugins.cache_dir())
                .map_err(|e| anyhow::anyhow!("cannot start the Wasm engine: {e:#}"))?,
        )
    } else {
        None
    };
    let mut builders = Vec::new();
    let mut watched = Vec::new();
    for sink in &config.sinks {
        let builder = match &sink.settings {
            SinkKind::Native(s) => SinkBuilder::Native(Box::new(s.clone())),
            SinkKind::Wasm(plugin) => {
                let runtime = runtime.as_ref().context("the Wasm engine is not running")?;
                let key = format!("sinks.{}", sink.name);
                let (slot, w) = load(runtime, &sink.name, plugin, World::Sink, Vec::new(), None)
                    .await
                    .with_context(|| format!("{key}.module"))?;
                watched.push(w);
                SinkBuilder::Wasm {
                    runtime: runtime.clone(),
                    sandbox: Sandbox::new(&sink.name, plugin),
                    config_json: plugin.config.to_string(),
                    slot,
                    metrics: metrics.clone(),
                }
            }
        };
        builders.push(builder);
    }
    let mut filters = Vec::new();
    let src = &config.source;
    let keys = crate::source::Keys::new(&src.key_prefix, &src.uptime_key, &src.state_prefix);
    for f in &config.filters {
        let Some(runtime) = &runtime else { break };
        let key = format!("filters.{}", f.name);
        // No delay: each pump switches when it loads a version, with nothing to agree on.
        let rollout = (!config.plugins.rollout_delay.is_zero()).then(|| Rollout {
            key: keys.filter_rollout(&f.name),
            delay: config.plugins.rollout_delay,
        });
        let (slot, w) = load(
            runtime,
            &f.name,
            &f.plugin,
            World::Filter,
            f.sinks.clone(),
            rollout,
        )
        .await
        .with_context(|| format!("{key}.module"))?;
        let sandbox = Sandbox::for_filter(&f.name, &f.plugin);
        let config_json = f.plugin.config.to_string();
        super::probe::probe(runtime, &sandbox, &slot.newest(), &config_json, &f.sinks)
            .await
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("{key}: cannot start the filter"))?;
        watched.push(w);
        filters.push(Arc::new(FilterHandle::new(
            f.name.clone(),
            f.sinks.clone(),
            runtime.clone(),
            sandbox,
            config_json,
            slot,
            metrics.clone(),
        )));
    }
    Ok(Prepared {
        builders,
        filters: filters.into(),
        watched,
        runtime,
    })
}

async fn load(
    runtime: &Runtime,
    name: &str,
    plugin: &PluginConfig,
    world: World,
    sinks: Vec<String>,
    rollout: Option<Rollout>,
) -> anyhow::Result<(PluginSlot, Watched)> {
    let r = runtime.clone();
    let path = plugin.module.clone();
    let started = std::time::Instant::now();
    let loaded = tokio::task::spawn_blocking(move || Loaded::load(&r, &path, Some(world)))
        .await
        .context("loading the plugin")??;
    tracing::info!(plugin = %name, path = %plugin.module.display(), version = %loaded.version, world = %world, cached = loaded.cached, took = ?started.elapsed(), "plugin loaded");
    let slot = PluginSlot::new(Arc::new(loaded));
    let watched = Watched {
        name: name.to_string(),
        path: plugin.module.clone(),
        world,
        sandbox: match world {
            World::Sink => Sandbox::new(name, plugin),
            World::Filter => Sandbox::for_filter(name, plugin),
        },
        config_json: plugin.config.to_string(),
        sinks,
        slot: slot.clone(),
        watch: plugin.watch,
        rollout,
    };
    Ok((slot, watched))
}
