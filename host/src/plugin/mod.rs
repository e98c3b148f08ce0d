//! Wasm plugins: user-written sinks and filters as WebAssembly components (the contract is
//! `wit/`), each in its own sandbox.
//!
//! - `engine`: the one wasmtime engine and the clock that bounds each call;
//! - `cache`: compiled components kept on disk across restarts;
//! - `component`: loading a file and checking which world it implements;
//! - `sandbox`: the store a plugin runs in (memory cap, deadline, WASI grants);
//! - `outbound`: the HTTP allow-list;
//! - `batch`: records laid out as the WIT `batch`;
//! - `sink`, `filter`: the two kinds of plugin, driven by the delivery pipeline;
//! - `bisect`: finding the records a plugin traps on, so that they alone are dead-lettered;
//! - `probe`: trying a plugin before it is used;
//! - `reload`: new versions loaded when a file changes or on SIGHUP;
//! - `setup`: loading the plugins a config names at start-up;
//! - `slot`: the versions of a plugin, and which one a batch uses.

mod batch;
#[doc(hidden)]
pub mod bench;
mod bindings;
mod bisect;
mod cache;
mod component;
mod engine;
mod filter;
mod outbound;
mod probe;
mod reload;
mod sandbox;
mod setup;
mod sink;
mod slot;

pub use batch::BatchBuilder;
pub use component::{Loaded, PluginError, World, describe};
pub use engine::Runtime;
pub use filter::{FilterHandle, FilterRoutes, Routed};
pub use reload::{Watched, watch_plugins};
pub use sandbox::Sandbox;
pub use setup::{Prepared, prepare};
pub use sink::WasmSink;
pub use slot::PluginSlot;
