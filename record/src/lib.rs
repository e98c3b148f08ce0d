//! The records the Tyk gateway writes, as the pump sees them.
//!
//! One type per record kind, borrowing its strings from the bytes it was decoded from
//! where it can. The serde attributes carry both names of every field: the Go field name
//! the gateway uses in msgpack (deserialize) and Tyk's JSON name (serialize). The msgpack
//! decoder on the pump's hot path is hand-written (`msgpack/`) with its own table of Go
//! names; a differential test holds it to the serde derive, name for name.

mod analytics;
mod edit;
pub mod gateway;
pub mod msgpack;
pub mod protobuf;
#[doc(hidden)]
pub mod sample;
mod time;
mod uptime;

pub use analytics::{
    AnalyticsRecord, City, Country, Geo, GraphError, GraphQLStats, Latency, Location, McpStats,
    Network,
};
pub use edit::{FieldNotFound, decode_base64_in_place, truncate_utf8};
pub use msgpack::{DecodeError, decode_analytics, decode_uptime, lookup_i64, lookup_str};
pub use protobuf::decode_analytics_protobuf;
pub use time::Timestamp;
pub use uptime::UptimeRecord;

use std::borrow::Cow;

/// A string field: borrowed from the raw record where possible.
pub type Str<'a> = Cow<'a, str>;

/// One decoded record of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Record<'a> {
    /// A request analytics record (the 22 analytics keys).
    Analytics(Box<AnalyticsRecord<'a>>),
    /// An uptime check record (`host-checker:tyk-uptime-analytics`).
    Uptime(Box<UptimeRecord<'a>>),
}

impl Record<'_> {
    /// Appends the record as one line of Tyk-compatible JSON (with the trailing newline).
    pub fn write_json_line(&self, out: &mut Vec<u8>) {
        // Serializing these types into a Vec cannot fail: every map key is a string and
        // no Serialize impl here returns an error.
        let _ = match self {
            Record::Analytics(r) => serde_json::to_writer(&mut *out, r),
            Record::Uptime(r) => serde_json::to_writer(&mut *out, r),
        };
        out.push(b'\n');
    }

    /// The analytics record, if this is one.
    pub fn as_analytics(&self) -> Option<&AnalyticsRecord<'_>> {
        match self {
            Record::Analytics(r) => Some(r),
            Record::Uptime(_) => None,
        }
    }
}
