//! Uptime records in MongoDB: the `mongo` sink with `uptime = true` stores each uptime check
//! as a raw document in `uptime_collection_name` (Tyk's `tyk_uptime_analytics`), with an
//! `_id` derived from the record so re-delivery stores nothing twice. Tyk's Dashboard
//! reads this raw collection; Tyk Pump keeps no uptime aggregates in MongoDB, nor does this.

use super::encoder::{self, RecordId};
use super::service::CollectionSpec;
use mongodb::bson::Document;
use pump_record::UptimeRecord;

/// The document of one uptime record.
pub fn document(r: &UptimeRecord<'_>, scratch: &mut Vec<u8>) -> Document {
    let id = RecordId::of_uptime(r, scratch).object_id(r.timestamp);
    encoder::uptime_document(r, id)
}

/// The uptime collection is created without indexes, as Tyk Pump does.
pub fn spec() -> CollectionSpec {
    CollectionSpec::default()
}
