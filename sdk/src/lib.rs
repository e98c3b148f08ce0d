//! Write sinks and filters for the pump as WebAssembly components, in a few lines.
//!
//! A **sink** stores batches of Tyk analytics records somewhere; a **filter** decides which
//! of its sinks get each record. Either is one trait impl and one export macro; this crate
//! hides the WIT bindings (`wit/` in the pump's repository, package `tyk:pump@0.1.0`) and
//! the batch layout.
//!
//! ```no_run
//! use pump_sdk::{Batch, Outcome, Outcomes, Sink};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Config {
//!     url: String,
//! }
//!
//! struct Webhook {
//!     url: String,
//! }
//!
//! impl Sink for Webhook {
//!     type Config = Config;
//!
//!     fn new(config: Config) -> Result<Self, String> {
//!         Ok(Webhook { url: config.url })
//!     }
//!
//!     fn write(&mut self, batch: &Batch) -> Outcomes {
//!         let mut body = Vec::new();
//!         for record in batch.iter() {
//!             if let Err(e) = record.write_json_line(&mut body) {
//!                 return Outcomes::all(Outcome::Rejected(e.to_string()), batch.len());
//!             }
//!         }
//!         match pump_sdk::http::post(&self.url, &[("content-type", "application/x-ndjson")], &body) {
//!             Ok(r) if r.status < 300 => Outcomes::AllWritten,
//!             Ok(r) => Outcomes::AllRetry(format!("HTTP {}", r.status)),
//!             Err(e) => Outcomes::AllRetry(e.to_string()),
//!         }
//!     }
//! }
//!
//! pump_sdk::export_sink!(Webhook);
//! ```
//!
//! Build it with `cargo build --release --target wasm32-wasip2`, then point a sink of
//! `type = "wasm"` at the `.wasm` file (see `docs/plugins.md`).

mod batch;
mod config;
pub mod filter;
pub mod http;
pub mod log;
pub mod sink;

pub use batch::{Batch, RecordRef};
pub use filter::{Filter, Route, Sinks};
pub use pump_record::{
    AnalyticsRecord, DecodeError, GraphQLStats, McpStats, Record, Timestamp, UptimeRecord,
};
pub use sink::{Outcome, Outcomes, Sink};

/// The WIT bindings the export macros use; not meant to be used directly.
#[doc(hidden)]
pub mod bindings {
    /// The `sink-plugin` world.
    pub mod sink {
        wit_bindgen::generate!({
            world: "sink-plugin",
            path: "../wit",
            pub_export_macro: true,
            export_macro_name: "__export_sink_world",
            default_bindings_module: "::pump_sdk::bindings::sink",
        });
    }

    /// The `filter-plugin` world.
    pub mod filter {
        wit_bindgen::generate!({
            world: "filter-plugin",
            path: "../wit",
            pub_export_macro: true,
            export_macro_name: "__export_filter_world",
            default_bindings_module: "::pump_sdk::bindings::filter",
        });
    }
}

/// What the export macros expand to call; not meant to be used directly.
#[doc(hidden)]
pub mod __private {
    pub use crate::filter::glue as filter;
    pub use crate::sink::glue as sink;
}
