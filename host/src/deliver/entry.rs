//! One claimed stream entry as a sink's reader receives it: the batch it names, read.

use crate::source::RecordFormat;
use std::sync::Arc;

/// A stream entry and the raw records of its batch.
#[derive(Debug)]
pub struct Entry {
    /// The stream it was read from.
    pub stream: Arc<str>,
    /// Its stream ID, used to acknowledge it.
    pub id: String,
    /// The gateway list its records came from.
    pub source: Arc<str>,
    /// How its records are serialized.
    pub format: RecordFormat,
    /// The raw records, as the gateway wrote them.
    pub records: Vec<Vec<u8>>,
}
