//! Making a configured sink: a built-in one from its settings, or a Wasm one from the slot
//! holding its plugin's current version.

use crate::admin::Metrics;
use crate::plugin::{PluginSlot, Runtime, Sandbox, WasmSink};
use pump_sinks::{BuildError, Sink, SinkSettings};
use std::sync::Arc;

/// How to make (and remake, after it died) one sink.
#[derive(Clone)]
pub enum SinkBuilder {
    /// A built-in sink.
    Native(Box<SinkSettings>),
    /// A Wasm sink.
    Wasm {
        runtime: Runtime,
        sandbox: Sandbox,
        config_json: String,
        slot: PluginSlot,
        metrics: Arc<Metrics>,
    },
}

impl SinkBuilder {
    /// Opens the sink.
    pub async fn build(&self) -> Result<Box<dyn Sink>, BuildError> {
        match self {
            SinkBuilder::Native(settings) => settings.build().await,
            SinkBuilder::Wasm {
                runtime,
                sandbox,
                config_json,
                slot,
                metrics,
            } => Ok(Box::new(
                WasmSink::start(
                    runtime.clone(),
                    sandbox.clone(),
                    config_json.clone(),
                    slot.clone(),
                    metrics.clone(),
                )
                .await?,
            )),
        }
    }
}
