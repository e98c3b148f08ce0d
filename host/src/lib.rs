//! The pump: drains the Tyk gateway's analytics from Redis and delivers them, at least
//! once, to the configured sinks.
//!
//! The data path reads from the module list: [`source`] (Redis in) → [`decode`] (Tyk
//! formats to records) → [`route`] (per-sink filters) → [`deliver`] (per-sink batches,
//! retries, dead letters, acknowledgement) → `pump_sinks` (the outputs).

pub mod admin;
pub mod cli;
pub mod config;
pub mod decode;
pub mod deliver;
pub mod engine;
pub mod plugin;
pub mod route;
pub mod shutdown;
pub mod source;
pub mod traffic;
pub mod tyk_import;
