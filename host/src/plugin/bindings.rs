//! Host-side bindings of the `wit/` worlds, and the `tyk:pump/host` imports plugins get.

/// The `sink-plugin` world.
pub mod sink {
    wasmtime::component::bindgen!({
        world: "sink-plugin",
        path: "../wit",
        exports: { default: async },
    });
}

/// The `filter-plugin` world; it shares the types and host imports of the sink world.
pub mod filter {
    wasmtime::component::bindgen!({
        world: "filter-plugin",
        path: "../wit",
        exports: { default: async },
        with: {
            "tyk:pump/types": super::sink::tyk::pump::types,
            "tyk:pump/host": super::sink::tyk::pump::host,
        },
    });
}

/// The `measure-plugin` world, for the benchmark.
pub mod measure {
    wasmtime::component::bindgen!({
        world: "measure-plugin",
        path: "../wit",
        exports: { default: async },
        with: {
            "tyk:pump/types": super::sink::tyk::pump::types,
        },
    });
}

pub use sink::tyk::pump::types::{Batch, Outcome, Outcomes, RecordKind};

use super::sandbox::PluginState;
use sink::tyk::pump::host::{Host, Level};

impl Host for PluginState {
    fn log(&mut self, level: Level, message: String) {
        // A plugin cannot flood the log with one giant line.
        let mut message = std::borrow::Cow::Owned(message);
        pump_record::truncate_utf8(&mut message, 4096);
        let plugin = &*self.name;
        match level {
            Level::Error => tracing::error!(plugin, "{message}"),
            Level::Warn => tracing::warn!(plugin, "{message}"),
            Level::Info => tracing::info!(plugin, "{message}"),
            Level::Debug => tracing::debug!(plugin, "{message}"),
            Level::Trace => tracing::trace!(plugin, "{message}"),
        }
    }
}
