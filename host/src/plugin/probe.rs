//! Trying a plugin before it is used: an instance is started and configured, then dropped.
//! A filter is checked this way at start-up, and every new version before it replaces the
//! running one.

use super::component::{Loaded, World};
use super::engine::Runtime;
use super::sandbox::Sandbox;
use std::sync::Arc;

/// Whether `loaded` starts with its config (`sinks` are a filter's sink names).
pub async fn probe(
    runtime: &Runtime,
    sandbox: &Sandbox,
    loaded: &Arc<Loaded>,
    config_json: &str,
    sinks: &[String],
) -> Result<(), String> {
    match loaded.world {
        World::Sink => super::sink::probe(runtime, sandbox, loaded, config_json).await,
        World::Filter => {
            super::filter::start(runtime, sandbox, &sandbox.name, config_json, sinks, loaded)
                .await
                .map(drop)
        }
    }
}
