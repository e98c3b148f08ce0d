//! Finding the records a sink plugin traps on (see `bisect`): each part of the call is
//! written in an instance of its own.

use super::{RecordKind, WasmSink, close, deadline, instantiate, trap_text};
use crate::plugin::bisect::Bisect;
use pump_record::Record;
use pump_sinks::Outcome;

impl WasmSink {
    /// After a call on the records of `range` trapped with `reason`: the outcomes for
    /// `range`, in order. Parts the plugin handles alone keep its outcomes; records it
    /// traps on alone are rejected, when the plugin is shown to work; the rest is retried.
    pub(super) async fn isolate(
        &mut self,
        kind: RecordKind,
        range: std::ops::Range<usize>,
        records: &[Record<'_>],
        msgpack: Option<&[&[u8]]>,
        reason: String,
    ) -> Vec<Outcome> {
        let base = range.start;
        let mut out: Vec<Option<Outcome>> = vec![None; range.len()];
        let proven = self.slot.newest().has_handled();
        let mut search = Bisect::new(range.len(), reason, proven);
        while let Some(part) = search.next() {
            let at = base + part.start..base + part.end;
            match self.try_alone(kind, at, records, msgpack).await {
                Ok(outcomes) => {
                    search.handled();
                    for (k, o) in part.zip(outcomes) {
                        out[k] = Some(o);
                    }
                }
                Err(Some(trap)) => search.trapped(part, trap),
                Err(None) => break,
            }
        }
        let found = search.finish();
        for (k, trap) in found.poison {
            tracing::warn!(sink = %self.sandbox.name, reason = %trap, "the plugin traps on one record; it goes to the dead letters");
            out[k] = Some(Outcome::Rejected(format!(
                "the plugin traps on this record: {trap}"
            )));
        }
        out.into_iter()
            .map(|o| o.unwrap_or_else(|| Outcome::Retry(found.reason.clone())))
            .collect()
    }

    /// Writes and flushes the records of `range` in an instance of their own, then closes
    /// it. `Err(Some(trap))` if the plugin trapped; `Err(None)` if it could not start or
    /// ran out of time.
    async fn try_alone(
        &mut self,
        kind: RecordKind,
        range: std::ops::Range<usize>,
        records: &[Record<'_>],
        msgpack: Option<&[&[u8]]>,
    ) -> Result<Vec<Outcome>, Option<String>> {
        let newest = self.slot.newest();
        let mut running = instantiate(&self.runtime, &self.sandbox, &newest, &self.config_json)
            .await
            .map_err(|_| None)?;
        let n = range.len();
        for i in range {
            self.push(i, records, msgpack);
        }
        let mut outcomes = match self.call_write(&mut running, kind, n).await {
            Ok(o) => o,
            Err((what, error)) => {
                self.metrics.plugin_restart(&self.sandbox.name);
                return Err(match error {
                    Some(e) if !running.store.data().timed_out => {
                        Some(format!("plugin {what} failed: {}", trap_text(&e)))
                    }
                    _ => None,
                });
            }
        };
        // What this instance wrote counts only once it is flushed, as in the pipeline.
        if outcomes.contains(&Outcome::Written) {
            running.store.data_mut().begin_call();
            let call = running
                .plugin
                .tyk_pump_sink()
                .call_flush(&mut running.store);
            let flushed =
                match tokio::time::timeout(deadline(self.sandbox.call_timeout), call).await {
                    Ok(Ok(Ok(()))) => Ok(()),
                    Ok(Ok(Err(e))) => Err(format!("flush failed: {e}")),
                    Ok(Err(e)) => Err(format!("flush failed: {}", trap_text(&e))),
                    Err(_) => Err("flush ran past its call_timeout".to_string()),
                };
            if let Err(why) = flushed {
                for o in outcomes.iter_mut().filter(|o| **o == Outcome::Written) {
                    *o = Outcome::Retry(why.clone());
                }
                return Ok(outcomes);
            }
        }
        close(&mut running, self.sandbox.call_timeout).await;
        Ok(outcomes)
    }
}
