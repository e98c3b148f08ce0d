//! Finding the record a sink plugin traps on, so that one bad record is dead-lettered
//! instead of holding back its batch: the call's records are halved, each half written in
//! a fresh instance, and the half that traps is followed down to one record.

use super::{RecordKind, WasmSink, close, deadline, instantiate, trap_text};
use pump_record::Record;
use pump_sinks::Outcome;

impl WasmSink {
    /// After a call on the records of `range` trapped: halves the range, each half in a
    /// fresh instance, following the half that traps. A single record that traps alone is
    /// rejected; if both halves trap, the plugin fails on more than one record (or on
    /// everything) and what is left is retried. Outcomes for `range`, in order.
    pub(super) async fn isolate(
        &mut self,
        kind: RecordKind,
        range: std::ops::Range<usize>,
        records: &[Record<'_>],
        msgpack: Option<&[&[u8]]>,
        reason: String,
    ) -> Vec<Outcome> {
        let base = range.start;
        let mut out = vec![Outcome::Retry(reason.clone()); range.len()];
        let mut suspect = range;
        let mut reason = reason;
        while suspect.len() > 1 {
            let mid = suspect.start + suspect.len() / 2;
            let mut trapping = Vec::new();
            for half in [suspect.start..mid, mid..suspect.end] {
                match self.try_alone(kind, half.clone(), records, msgpack).await {
                    Ok(outcomes) => {
                        for (k, o) in half.zip(outcomes) {
                            out[k - base] = o;
                        }
                    }
                    Err(Some(trap)) => {
                        reason = trap;
                        trapping.push(half);
                    }
                    Err(None) => return out,
                }
            }
            match trapping.as_slice() {
                [one] => suspect = one.clone(),
                _ => return out,
            }
        }
        tracing::warn!(sink = %self.sandbox.name, reason = %reason, "the plugin traps on one record; it goes to the dead letters");
        out[suspect.start - base] =
            Outcome::Rejected(format!("the plugin traps on this record: {reason}"));
        out
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
            Err((_, error)) => {
                self.metrics.plugin_restart(&self.sandbox.name);
                return Err(match error {
                    Some(e) if !running.store.data().timed_out => Some(trap_text(&e)),
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
