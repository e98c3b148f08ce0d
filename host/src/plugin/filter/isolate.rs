//! Finding the record a filter traps on, so that one bad record is dead-lettered instead
//! of holding back its batch: the call's records are halved, each half routed in a fresh
//! instance, and the half that traps is followed down to one record.

use super::{Failure, FilterHandle, call_route, instantiate, push};
use crate::deliver::Entry;
use crate::plugin::batch::BatchBuilder;
use crate::plugin::bindings::RecordKind;
use crate::plugin::component::Loaded;
use pump_record::Record;
use std::sync::Arc;

/// After a call on the records at `chunk` trapped: halves them, each half in a fresh
/// instance, following the half that traps down to one record, which gets an `Err`. If
/// both halves trap, the filter fails on more than one record (or on everything): the
/// whole batch is retried.
#[allow(clippy::too_many_arguments)]
pub(super) async fn isolate(
    handle: &FilterHandle,
    version: &Arc<Loaded>,
    builder: &mut BatchBuilder,
    kind: RecordKind,
    chunk: &[usize],
    raws: &[(&[u8], &Entry)],
    records: &[Record<'_>],
    reason: String,
) -> Result<Vec<Result<u64, String>>, String> {
    let mut out: Vec<Option<Result<u64, String>>> = vec![None; chunk.len()];
    let mut suspect = 0..chunk.len();
    let mut reason = reason;
    while suspect.len() > 1 {
        let mid = suspect.start + suspect.len() / 2;
        let mut trapping = Vec::new();
        for half in [suspect.start..mid, mid..suspect.end] {
            let mut running = instantiate(handle, version).await?;
            for &i in &chunk[half.clone()] {
                push(builder, i, raws, records);
            }
            match call_route(handle, &mut running, builder, kind, half.len()).await {
                Ok(r) => {
                    for (k, route) in half.zip(r) {
                        out[k] = Some(Ok(route));
                    }
                }
                Err(Failure::Trap(t)) => {
                    handle.metrics.plugin_restart(&handle.name);
                    reason = t;
                    trapping.push(half);
                }
                Err(other) => return Err(other.reason()),
            }
        }
        match trapping.as_slice() {
            [] => break,
            [one] => suspect = one.clone(),
            _ => return Err(reason),
        }
    }
    if suspect.len() == 1 && out[suspect.start].is_none() {
        tracing::warn!(filter = %handle.name, reason = %reason, "the filter traps on one record; it goes to the dead letters");
        out[suspect.start] = Some(Err(format!(
            "the filter {} traps on this record: {reason}",
            handle.name
        )));
    }
    out.into_iter().collect::<Option<Vec<_>>>().ok_or(reason)
}
