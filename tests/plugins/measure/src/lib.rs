//! The benchmark's component: counts server errors in a batch handed over as typed WIT
//! records and as a bytes batch, so the two can be timed against each other.

mod bindings {
    wit_bindgen::generate!({
        world: "measure-plugin",
        path: "../../../wit",
    });
}

use bindings::exports::tyk::pump::measure::Guest;
use bindings::tyk::pump::types::{AnalyticsRecord, Batch, RecordKind};

struct Measure;

impl Guest for Measure {
    fn typed(records: Vec<AnalyticsRecord>) -> u32 {
        records.iter().filter(|r| r.response_code >= 500).count() as u32
    }

    fn bytes(batch: Batch) -> u32 {
        let batch = pump_sdk::Batch::from_parts(
            matches!(batch.kind, RecordKind::Uptime),
            batch.data,
            batch.ends,
        );
        batch
            .iter()
            .filter(|r| r.response_code().is_ok_and(|c| c >= 500))
            .count() as u32
    }
}

// Only in the component: native linkers refuse the export symbol names.
#[cfg(target_arch = "wasm32")]
bindings::export!(Measure with_types_in bindings);
