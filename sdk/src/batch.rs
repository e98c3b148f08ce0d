//! A batch as the pump hands it over: gateway msgpack records back to back, read in place.

use pump_record::{
    AnalyticsRecord, DecodeError, Record, UptimeRecord, decode_analytics, decode_uptime,
    lookup_i64, lookup_str,
};
use std::borrow::Cow;

/// The records of one call, in order.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    uptime: bool,
    data: Vec<u8>,
    ends: Vec<u32>,
}

impl Batch {
    /// A batch of records already encoded as the gateway writes them (for tests of plugins).
    pub fn from_encoded<'r>(uptime: bool, records: impl IntoIterator<Item = &'r [u8]>) -> Self {
        let mut batch = Batch {
            uptime,
            ..Batch::default()
        };
        for r in records {
            batch.data.extend_from_slice(r);
            batch.ends.push(batch.data.len() as u32);
        }
        batch
    }

    /// A batch of analytics records, encoded as the gateway would (for testing plugins).
    pub fn from_analytics(records: &[AnalyticsRecord<'_>]) -> Self {
        let mut batch = Batch::default();
        for r in records {
            pump_record::gateway::encode_analytics(r, &mut batch.data);
            batch.ends.push(batch.data.len() as u32);
        }
        batch
    }

    /// A batch from its parts as they cross the WIT boundary: records back to back in `data`,
    /// record `i` ending at `ends[i]`.
    pub fn from_parts(uptime: bool, data: Vec<u8>, ends: Vec<u32>) -> Self {
        Batch { uptime, data, ends }
    }

    /// How many records the batch holds.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Whether the records are uptime checks rather than request analytics.
    pub fn is_uptime(&self) -> bool {
        self.uptime
    }

    /// The `i`-th record.
    pub fn get(&self, i: usize) -> Option<RecordRef<'_>> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let bytes = self.data.get(start..end).unwrap_or_default();
        Some(RecordRef {
            bytes,
            uptime: self.uptime,
        })
    }

    /// Every record, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = RecordRef<'_>> {
        (0..self.len()).map(|i| {
            self.get(i).unwrap_or(RecordRef {
                bytes: &[],
                uptime: self.uptime,
            })
        })
    }
}

/// One record of a batch, still encoded: fields are read on demand.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    bytes: &'a [u8],
    uptime: bool,
}

impl<'a> RecordRef<'a> {
    /// The record's msgpack bytes, exactly as the gateway wrote them.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Whether this is an uptime check record.
    pub fn is_uptime(&self) -> bool {
        self.uptime
    }

    /// The whole record, decoded (strings borrowed from the batch).
    pub fn decode(&self) -> Result<Record<'a>, DecodeError> {
        Ok(if self.uptime {
            Record::Uptime(Box::new(decode_uptime(self.bytes)?))
        } else {
            Record::Analytics(Box::new(decode_analytics(self.bytes)?))
        })
    }

    /// The whole analytics record; an error for an uptime record.
    pub fn analytics(&self) -> Result<AnalyticsRecord<'a>, DecodeError> {
        if self.uptime {
            return Err(not_kind("an analytics record", "an uptime record"));
        }
        decode_analytics(self.bytes)
    }

    /// The whole uptime record; an error for an analytics record.
    pub fn uptime(&self) -> Result<UptimeRecord<'a>, DecodeError> {
        if !self.uptime {
            return Err(not_kind("an uptime record", "an analytics record"));
        }
        decode_uptime(self.bytes)
    }

    /// One string field by its Go name (`"OrgID"`, `"APIID"`, `"Path"`, …), without
    /// decoding the rest; `Ok(None)` when the record does not have it.
    pub fn str_field(&self, go_name: &str) -> Result<Option<Cow<'a, str>>, DecodeError> {
        lookup_str(self.bytes, go_name.as_bytes())
    }

    /// One integer field by its Go name (`"ResponseCode"`, `"RequestTime"`, …), without
    /// decoding the rest; `Ok(None)` when the record does not have it.
    pub fn int_field(&self, go_name: &str) -> Result<Option<i64>, DecodeError> {
        lookup_i64(self.bytes, go_name.as_bytes())
    }

    /// `OrgID` (empty when absent), read without decoding the rest.
    pub fn org_id(&self) -> Result<Cow<'a, str>, DecodeError> {
        Ok(self.str_field("OrgID")?.unwrap_or_default())
    }

    /// `APIID` (empty when absent), read without decoding the rest.
    pub fn api_id(&self) -> Result<Cow<'a, str>, DecodeError> {
        Ok(self.str_field("APIID")?.unwrap_or_default())
    }

    /// `ResponseCode` (0 when absent), read without decoding the rest.
    pub fn response_code(&self) -> Result<i64, DecodeError> {
        Ok(self.int_field("ResponseCode")?.unwrap_or_default())
    }

    /// Appends the record as one line of Tyk's JSON (the field names Tyk's own JSON
    /// outputs use) and a newline.
    pub fn write_json_line(&self, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        let json = match self.decode()? {
            Record::Analytics(r) => serde_json::to_writer(&mut *out, &r),
            Record::Uptime(r) => serde_json::to_writer(&mut *out, &r),
        };
        // Serializing a decoded record into memory cannot fail; keep the error anyway.
        json.map_err(|e| DecodeError::Msgpack {
            message: e.to_string(),
            field: None,
        })?;
        out.push(b'\n');
        Ok(())
    }
}

fn not_kind(wanted: &str, found: &str) -> DecodeError {
    DecodeError::Msgpack {
        message: format!("asked for {wanted} but the batch holds {found}s"),
        field: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pump_record::gateway::encode_analytics;

    fn encoded(org: &str, code: i64) -> Vec<u8> {
        let mut out = Vec::new();
        let record = AnalyticsRecord {
            org_id: org.into(),
            response_code: code,
            path: "/a".into(),
            ..Default::default()
        };
        encode_analytics(&record, &mut out);
        out
    }

    #[test]
    fn reads_every_record_of_a_batch_in_place() {
        let a = encoded("org-a", 200);
        let b = encoded("org-b", 503);
        let batch = Batch::from_encoded(false, [a.as_slice(), b.as_slice()]);
        assert_eq!(batch.len(), 2);
        let orgs: Vec<_> = batch.iter().map(|r| r.org_id().unwrap()).collect();
        assert_eq!(orgs, ["org-a", "org-b"]);
        assert_eq!(batch.get(1).unwrap().response_code().unwrap(), 503);
        assert_eq!(batch.get(0).unwrap().analytics().unwrap().path, "/a");
        assert!(batch.get(0).unwrap().uptime().is_err());
        assert!(batch.get(2).is_none());
    }

    #[test]
    fn writes_tyk_json_lines() {
        let a = encoded("org-a", 200);
        let batch = Batch::from_encoded(false, [a.as_slice()]);
        let mut out = Vec::new();
        batch.get(0).unwrap().write_json_line(&mut out).unwrap();
        let line: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(line["org_id"], "org-a");
        assert_eq!(line["response_code"], 200);
        assert!(out.ends_with(b"\n"));
    }

    #[test]
    fn a_broken_record_is_an_error_not_a_panic() {
        let batch = Batch::from_parts(false, vec![0xc1, 0x01], vec![1, 9]);
        assert!(batch.get(0).unwrap().org_id().is_err());
        // An end past the data reads as an empty record.
        assert!(batch.get(1).unwrap().decode().is_err());
    }
}
