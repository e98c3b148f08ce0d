//! Trying a plugin before it is used: an instance is started and configured, then dropped.
//! A filter is checked this way at start-up, and every new version before it replaces the
//! running one.

use super::bindings::filter::FilterPlugin;
use super::bindings::sink::SinkPlugin;
use super::component::{Loaded, Pre};
use super::engine::Runtime;
use super::sandbox::Sandbox;
use super::sink::{deadline, trap_text};

/// Whether `loaded` starts with its config (`sinks` are a filter's sink names).
pub async fn probe(
    runtime: &Runtime,
    sandbox: &Sandbox,
    loaded: &Loaded,
    config_json: &str,
    sinks: &[String],
) -> Result<(), String> {
    let limit = deadline(sandbox.call_timeout);
    let tried = tokio::time::timeout(limit * 3, async {
        let mut store = sandbox
            .store(&runtime.engine)
            .map_err(|e| format!("{e:#}"))?;
        store.data_mut().begin_call();
        match &loaded.pre {
            Pre::Sink(pre) => {
                let plugin: SinkPlugin = pre
                    .instantiate_async(&mut store)
                    .await
                    .map_err(|e| trap_text(&e))?;
                store.data_mut().begin_call();
                let configured = plugin
                    .tyk_pump_sink()
                    .call_configure(&mut store, config_json)
                    .await
                    .map_err(|e| trap_text(&e))?;
                if configured.is_ok() {
                    store.data_mut().begin_call();
                    let _ = plugin.tyk_pump_sink().call_close(&mut store).await;
                }
                Ok(configured)
            }
            Pre::Filter(pre) => {
                let plugin: FilterPlugin = pre
                    .instantiate_async(&mut store)
                    .await
                    .map_err(|e| trap_text(&e))?;
                store.data_mut().begin_call();
                plugin
                    .tyk_pump_filter()
                    .call_configure(&mut store, config_json, sinks)
                    .await
                    .map_err(|e| trap_text(&e))
            }
        }
    })
    .await;
    match tried {
        Err(_) => Err(format!(
            "the plugin did not start within its call_timeout of {:?}",
            sandbox.call_timeout
        )),
        Ok(Err(e)) => Err(e),
        Ok(Ok(Err(reason))) => Err(format!("plugin refused its config: {reason}")),
        Ok(Ok(Ok(()))) => Ok(()),
    }
}
