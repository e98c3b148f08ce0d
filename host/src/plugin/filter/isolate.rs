//! Finding the records a filter traps on or runs past its deadline on (see `bisect`): each
//! part of the call is routed in an instance of its own. (Routing has no deadline of its
//! own beyond each call's, so a record that makes the filter loop can be singled out too;
//! a sink's write is bounded by the sink's `timeout`, and its timeouts are not split.)

use super::{Failure, FilterHandle, call_route, instantiate, push};
use crate::deliver::Entry;
use crate::plugin::batch::BatchBuilder;
use crate::plugin::bindings::RecordKind;
use crate::plugin::bisect::Bisect;
use crate::plugin::component::Loaded;
use pump_record::Record;
use std::sync::Arc;

/// The time one search may take, in calls that run to their `call_timeout`: enough to
/// single out a couple of records that make the filter loop in a batch of thousands.
const SEARCH_CALLS: u32 = 24;

/// After a call on the records at `chunk` trapped or timed out with `reason`: their routes,
/// with an `Err` for each record the filter fails on alone (when the filter is shown to
/// work).
/// `Err` as a whole if some records could be neither routed nor singled out: the batch is
/// retried.
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
    let mut search = Bisect::new(chunk.len(), reason, version.has_handled());
    // Tries that time out cost a `call_timeout` each: routing a batch waits this long at
    // most before it is retried as a whole.
    let started = std::time::Instant::now();
    let budget = handle.sandbox.call_timeout * SEARCH_CALLS;
    while let Some(part) = search.next() {
        if started.elapsed() > budget {
            break;
        }
        let mut running = instantiate(handle, version).await?;
        for &i in &chunk[part.clone()] {
            push(builder, i, raws, records);
        }
        match call_route(handle, &mut running, builder, kind, part.len()).await {
            Ok(r) => {
                search.handled();
                for (k, route) in part.zip(r) {
                    out[k] = Some(Ok(route));
                }
            }
            Err(Failure::Trap(t) | Failure::Late(t)) => {
                handle.metrics.plugin_restart(&handle.name);
                search.trapped(part, t);
            }
            Err(other) => return Err(other.reason()),
        }
    }
    let found = search.finish();
    for (k, trap) in found.poison {
        tracing::warn!(filter = %handle.name, reason = %trap, "the filter fails on one record; it goes to the dead letters");
        out[k] = Some(Err(format!(
            "the filter {} fails on this record: {trap}",
            handle.name
        )));
    }
    out.into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or(found.reason)
}
