//! Records as the BSON documents Tyk's Dashboard reads (TYK-FORMAT.md §6): the Go field
//! names lower-cased, times as BSON dates, and a deterministic `_id` per record.

use base64::Engine as _;
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{Bson, DateTime, Document, doc};
use pump_record::{AnalyticsRecord, Timestamp, UptimeRecord, gateway};
use sha2::{Digest, Sha256};

/// What Tyk Pump writes (base64) in place of the raw request and response of a document
/// over `max_document_size_bytes`.
pub const TOO_LARGE: &str = "Document too large, not writing raw request and raw response!";

/// A record's identity: the first 8 bytes of the SHA-256 of its msgpack encoding, so a
/// record delivered again (after a crash) has the same id. Two records identical to the
/// nanosecond in every field share an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub [u8; 8]);

impl RecordId {
    /// The id of an analytics record (`scratch` is reused between calls).
    pub fn of_analytics(r: &AnalyticsRecord<'_>, scratch: &mut Vec<u8>) -> RecordId {
        scratch.clear();
        gateway::encode_analytics(r, scratch);
        RecordId::of_bytes(scratch)
    }

    /// The id of an uptime record.
    pub fn of_uptime(r: &UptimeRecord<'_>, scratch: &mut Vec<u8>) -> RecordId {
        scratch.clear();
        gateway::encode_uptime(r, scratch);
        RecordId::of_bytes(scratch)
    }

    fn of_bytes(bytes: &[u8]) -> RecordId {
        let digest = Sha256::digest(bytes);
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        RecordId(id)
    }

    /// An ObjectId whose time part is the record's second (so `_id` order follows time, as
    /// with driver-made ids) and whose other 8 bytes are the record id.
    pub fn object_id(&self, at: Timestamp) -> ObjectId {
        let secs = u32::try_from(at.secs.max(0)).unwrap_or(u32::MAX);
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&secs.to_be_bytes());
        b[4..].copy_from_slice(&self.0);
        ObjectId::from_bytes(b)
    }
}

/// A BSON date (milliseconds) from a record time.
pub fn date(t: Timestamp) -> DateTime {
    DateTime::from_millis(t.unix_millis())
}

/// The raw-record document of an analytics record (with `_id`).
pub fn analytics_document(r: &AnalyticsRecord<'_>, id: ObjectId) -> Document {
    let names = match &r.geo.city.names {
        Some(m) => Bson::Document(
            m.iter()
                .map(|(k, v)| (k.to_string(), Bson::String(v.to_string())))
                .collect(),
        ),
        None => Bson::Null,
    };
    let tags: Vec<Bson> = r
        .tags
        .iter()
        .flatten()
        .map(|t| Bson::String(t.to_string()))
        .collect();
    doc! {
        "_id": id,
        "method": r.method.as_ref(),
        "host": r.host.as_ref(),
        "path": r.path.as_ref(),
        "rawpath": r.raw_path.as_ref(),
        "contentlength": r.content_length,
        "useragent": r.user_agent.as_ref(),
        "day": r.day,
        "month": r.month,
        "year": r.year,
        "hour": r.hour,
        "responsecode": r.response_code,
        "apikey": r.api_key.as_ref(),
        "timestamp": date(r.timestamp),
        "apiversion": r.api_version.as_ref(),
        "apiname": r.api_name.as_ref(),
        "apiid": r.api_id.as_ref(),
        "orgid": r.org_id.as_ref(),
        "oauthid": r.oauth_id.as_ref(),
        "requesttime": r.request_time,
        "rawrequest": r.raw_request.as_ref(),
        "rawresponse": r.raw_response.as_ref(),
        "ipaddress": r.ip_address.as_ref(),
        "geo": {
            "country": { "isocode": r.geo.country.iso_code.as_ref() },
            "city": {
                "geonameid": i64::try_from(r.geo.city.geoname_id).unwrap_or(i64::MAX),
                "names": names,
            },
            "location": {
                "latitude": r.geo.location.latitude,
                "longitude": r.geo.location.longitude,
                "timezone": r.geo.location.time_zone.as_ref(),
            },
        },
        "network": {
            "openconnections": r.network.open_connections,
            "closedconnection": r.network.closed_connections,
            "bytesin": r.network.bytes_in,
            "bytesout": r.network.bytes_out,
        },
        "latency": {
            "total": r.latency.total,
            "upstream": r.latency.upstream,
            "gateway": r.latency.gateway,
        },
        "tags": tags,
        "alias": r.alias.as_ref(),
        "trackpath": r.track_path,
        "expireAt": date(r.expire_at),
        "originalpath": r.original_path.as_ref(),
        "listenpath": r.listen_path.as_ref(),
    }
}

/// Replaces the raw request and response as Tyk does for a document that is too large.
pub fn strip_raw(d: &mut Document) {
    let marker = base64::engine::general_purpose::STANDARD.encode(TOO_LARGE);
    d.insert("rawrequest", marker.clone());
    d.insert("rawresponse", marker);
}

/// The document of an uptime record (Tyk's `UptimeReportData`, lower-cased Go names).
pub fn uptime_document(r: &UptimeRecord<'_>, id: ObjectId) -> Document {
    doc! {
        "_id": id,
        "url": r.url.as_ref(),
        "requesttime": r.request_time,
        "responsecode": r.response_code,
        "tcperror": r.tcp_error,
        "servererror": r.server_error,
        "day": r.day,
        "month": r.month,
        "year": r.year,
        "hour": r.hour,
        "minute": r.minute,
        "timestamp": date(r.timestamp),
        "expireAt": date(r.expire_at),
        "apiid": r.api_id.as_ref(),
        "orgid": r.org_id.as_ref(),
    }
}

/// The encoded size of a document in bytes, or why it cannot be encoded (a key from the
/// gateway with a NUL byte, for example).
pub fn encoded_len(d: &Document, scratch: &mut Vec<u8>) -> Result<u64, String> {
    scratch.clear();
    d.to_writer(&mut *scratch)
        .map(|()| scratch.len() as u64)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_record_same_id_and_different_records_differ() {
        let mut s = Vec::new();
        let a = AnalyticsRecord {
            path: "/a".into(),
            ..Default::default()
        };
        let b = AnalyticsRecord {
            path: "/b".into(),
            ..Default::default()
        };
        assert_eq!(
            RecordId::of_analytics(&a, &mut s),
            RecordId::of_analytics(&a.clone(), &mut s)
        );
        assert_ne!(
            RecordId::of_analytics(&a, &mut s),
            RecordId::of_analytics(&b, &mut s)
        );
        let t = Timestamp::new(1_714_564_800, 0);
        let oid = RecordId::of_analytics(&a, &mut s).object_id(t);
        assert_eq!(oid.timestamp().timestamp_millis(), 1_714_564_800_000);
    }

    #[test]
    fn document_fields_are_lower_cased_go_names() {
        let r = AnalyticsRecord {
            method: "GET".into(),
            response_code: 200,
            timestamp: Timestamp::new(1_714_564_800, 5_000_000),
            tags: None,
            ..Default::default()
        };
        let d = analytics_document(&r, ObjectId::from_bytes([0; 12]));
        assert_eq!(d.get_str("method").unwrap(), "GET");
        assert_eq!(
            d.get_datetime("timestamp").unwrap().timestamp_millis(),
            1_714_564_800_005
        );
        assert!(d.get_array("tags").unwrap().is_empty());
        assert!(
            d.get_document("network")
                .unwrap()
                .contains_key("closedconnection")
        );
        assert!(!d.contains_key("apischema"));
        let mut d2 = d.clone();
        strip_raw(&mut d2);
        assert_ne!(d2.get_str("rawrequest").unwrap(), "");
    }
}
