//! Records laid out as the WIT `batch`: each record's gateway msgpack back to back, with the
//! end offset of each. Records read from msgpack lists are copied as they are; others are
//! encoded the way the gateway encodes them.

use super::bindings::{Batch, RecordKind};
use pump_record::Record;
use pump_record::gateway::{encode_analytics, encode_uptime};
use std::ops::Range;

/// Builds batches, reusing its buffers from one call to the next.
#[derive(Debug, Default)]
pub struct BatchBuilder {
    data: Vec<u8>,
    ends: Vec<u32>,
}

impl BatchBuilder {
    /// Adds a record already in gateway msgpack.
    pub fn push_raw(&mut self, bytes: &[u8]) {
        self.data.extend_from_slice(bytes);
        self.end();
    }

    /// Adds a decoded record, encoded as the gateway would.
    pub fn push_record(&mut self, record: &Record<'_>) {
        match record {
            Record::Analytics(r) => encode_analytics(r, &mut self.data),
            Record::Uptime(r) => encode_uptime(r, &mut self.data),
        }
        self.end();
    }

    fn end(&mut self) {
        // Batches are bounded far below 4 GiB by `batch_max_records`; saturate rather than wrap.
        self.ends
            .push(u32::try_from(self.data.len()).unwrap_or(u32::MAX));
    }

    /// Bytes of the records added so far.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether no record was added.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Forgets the records added so far.
    pub fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }

    /// The batch so far, leaving the builder empty. Hand the batch back with
    /// [`BatchBuilder::recycle`] to reuse its buffers.
    pub fn take(&mut self, kind: RecordKind) -> Batch {
        Batch {
            kind,
            data: std::mem::take(&mut self.data),
            ends: std::mem::take(&mut self.ends),
        }
    }

    /// Takes back a batch's buffers, emptied.
    pub fn recycle(&mut self, mut batch: Batch) {
        batch.data.clear();
        batch.ends.clear();
        self.data = batch.data;
        self.ends = batch.ends;
    }
}

/// The kind of a record.
pub fn kind_of(record: &Record<'_>) -> RecordKind {
    match record {
        Record::Analytics(_) => RecordKind::Analytics,
        Record::Uptime(_) => RecordKind::Uptime,
    }
}

/// Maximal runs of records of one kind, in order (a WIT batch never mixes kinds).
pub fn runs<T>(items: &[T], kind: impl Fn(&T) -> RecordKind) -> Vec<(RecordKind, Range<usize>)> {
    let mut out: Vec<(RecordKind, Range<usize>)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let k = kind(item);
        match out.last_mut() {
            Some((last, range)) if *last == k => range.end = i + 1,
            _ => out.push((k, i..i + 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pump_record::{AnalyticsRecord, UptimeRecord};

    #[test]
    fn records_lie_back_to_back_with_their_ends() {
        let mut b = BatchBuilder::default();
        b.push_raw(b"\x80");
        b.push_record(&Record::Analytics(Box::new(AnalyticsRecord::default())));
        let batch = b.take(RecordKind::Analytics);
        assert_eq!(batch.ends.len(), 2);
        assert_eq!(batch.ends[0], 1);
        assert_eq!(batch.ends[1] as usize, batch.data.len());
        let decoded = pump_record::decode_analytics(&batch.data[1..]).unwrap();
        assert_eq!(decoded, AnalyticsRecord::default());
        b.recycle(batch);
        assert!(b.take(RecordKind::Analytics).ends.is_empty());
    }

    #[test]
    fn a_mixed_batch_splits_into_runs_of_one_kind() {
        let a = || Record::Analytics(Box::new(AnalyticsRecord::default()));
        let u = || Record::Uptime(Box::new(UptimeRecord::default()));
        let records = [a(), a(), u(), a()];
        let r = runs(&records, kind_of);
        assert_eq!(
            r,
            [
                (RecordKind::Analytics, 0..2),
                (RecordKind::Uptime, 2..3),
                (RecordKind::Analytics, 3..4)
            ]
        );
    }
}
