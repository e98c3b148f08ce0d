//! The wasmtime engine all plugins share, and the epoch clock that stops a plugin that runs
//! past its call deadline.

use super::cache::Cache;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::{Config, Engine};

/// How often the epoch advances: the granularity of call deadlines, and how often a long
/// call yields to the runtime so other sinks keep running on its thread.
pub const TICK: Duration = Duration::from_millis(10);

/// The engine, its on-disk cache, and the ticking clock.
#[derive(Clone)]
pub struct Runtime {
    pub(super) engine: Engine,
    pub(super) cache: Option<Arc<Cache>>,
}

impl Runtime {
    /// An engine for plugins; compiled components are cached in `cache_dir` when given.
    pub fn new(cache_dir: Option<PathBuf>) -> wasmtime::Result<Self> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        // A plugin that recurses without end traps instead of taking the pump's stack.
        config.max_wasm_stack(1 << 20);
        let engine = Engine::new(&config)?;
        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("pump-wasm-epoch".into())
            .spawn(move || {
                while let Some(engine) = ticker.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(TICK);
                }
            })
            .map_err(|e| wasmtime::Error::msg(format!("cannot start the epoch clock: {e}")))?;
        let cache = cache_dir.map(|dir| Arc::new(Cache::new(dir, &engine)));
        Ok(Runtime { engine, cache })
    }
}
