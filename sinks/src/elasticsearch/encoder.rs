//! A record to its two NDJSON lines of a bulk request: the `create` action (index and
//! `_id`) and the document in Tyk's Elasticsearch layout (TYK-FORMAT.md §6).
//!
//! The `_id` is 128 bits of XXH3 over every field of the record in a fixed binary layout,
//! so the same record always gets the same id: delivering it again adds nothing. Two
//! records would share an id only if they were identical in every field, timestamp to the
//! nanosecond included. The layout is versioned (`ID_SCHEME`); changing it changes every
//! id, which would let records re-delivered across an upgrade be stored twice, so a golden
//! test pins it.

use super::config::{ElasticsearchConfig, check_index_name};
use pump_record::{AnalyticsRecord, Record, Timestamp, decode_base64_in_place};
use serde::Serialize;
use std::borrow::Cow;

/// Prefix of the bytes an id is hashed from; bump it only on purpose.
const ID_SCHEME: &[u8] = b"pump-es-id-v1\0";

/// Encodes records for one sink's options.
#[derive(Debug, Clone)]
pub struct Encoder {
    index_name: String,
    rolling: bool,
    extended_stats: bool,
    decode_base64: bool,
    /// The canonical bytes of the record being hashed (kept to reuse its allocation).
    scratch: Vec<u8>,
    /// The last daily index computed: (days since the epoch, name).
    day_index: Option<(i64, String)>,
}

impl Encoder {
    /// The encoder for a sink's options.
    pub fn new(config: &ElasticsearchConfig) -> Self {
        Encoder {
            index_name: config.index_name.clone(),
            rolling: config.rolling_index,
            extended_stats: config.extended_stats,
            decode_base64: config.decode_base64,
            scratch: Vec::with_capacity(2048),
            day_index: None,
        }
    }

    /// An encoder from the options that shape documents (benchmarks and tests).
    pub fn with_options(
        index_name: &str,
        rolling_index: bool,
        extended_stats: bool,
        decode_base64: bool,
    ) -> Result<Self, String> {
        check_index_name(index_name)?;
        Ok(Encoder {
            index_name: index_name.to_string(),
            rolling: rolling_index,
            extended_stats,
            decode_base64,
            scratch: Vec::with_capacity(2048),
            day_index: None,
        })
    }

    /// Appends the action line and the document line of a record to `out`; an error (and
    /// nothing appended) for a record this sink cannot store.
    pub fn encode(&mut self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), String> {
        match record {
            Record::Analytics(r) => {
                self.encode_analytics(r, out);
                Ok(())
            }
            Record::Uptime(_) => Err(
                "the elasticsearch sink stores request analytics only, not uptime records"
                    .to_string(),
            ),
        }
    }

    /// Appends the two lines of an analytics record.
    pub fn encode_analytics(&mut self, r: &AnalyticsRecord<'_>, out: &mut Vec<u8>) {
        let id = document_id(r, &mut self.scratch);
        out.extend_from_slice(b"{\"create\":{\"_index\":\"");
        let index = self.index_for(r.timestamp);
        out.extend_from_slice(index.as_bytes());
        out.extend_from_slice(b"\",\"_id\":\"");
        out.extend_from_slice(&id);
        out.extend_from_slice(b"\"}}\n");
        self.write_document(r, out);
        out.push(b'\n');
    }

    /// The index a record goes to: `index_name`, or with `rolling_index` the day of the
    /// record's timestamp in UTC, `index_name-YYYY.MM.DD`.
    pub fn index_for(&mut self, timestamp: Timestamp) -> &str {
        if !self.rolling {
            return &self.index_name;
        }
        let day = timestamp.secs.div_euclid(86_400);
        if self.day_index.as_ref().is_none_or(|(d, _)| *d != day) {
            let (y, m, d, ..) = timestamp.civil();
            self.day_index = Some((day, format!("{}-{y:04}.{m:02}.{d:02}", self.index_name)));
        }
        match &self.day_index {
            Some((_, name)) => name,
            None => &self.index_name,
        }
    }

    fn write_document(&self, r: &AnalyticsRecord<'_>, out: &mut Vec<u8>) {
        let mcp = r.mcp_stats.is_mcp.then_some(&r.mcp_stats);
        let mut stamp = [0u8; 30];
        let doc = Document {
            timestamp: rfc3339(r.timestamp, &mut stamp),
            http_method: &r.method,
            request_uri: &r.path,
            request_uri_full: &r.raw_path,
            response_code: r.response_code,
            ip_address: &r.ip_address,
            api_key: &r.api_key,
            api_version: &r.api_version,
            api_name: &r.api_name,
            api_id: &r.api_id,
            org_id: &r.org_id,
            oauth_id: &r.oauth_id,
            request_time_ms: r.request_time,
            alias: &r.alias,
            content_length: r.content_length,
            tags: &r.tags,
            raw_request: self.raw(&r.raw_request),
            raw_response: self.raw(&r.raw_response),
            user_agent: self.extended_stats.then_some(&*r.user_agent),
            mcp_method: mcp.map(|m| &*m.jsonrpc_method),
            mcp_primitive_type: mcp.map(|m| &*m.primitive_type),
            mcp_primitive_name: mcp.map(|m| &*m.primitive_name),
        };
        // Writing into a Vec cannot fail, and every key here is a string.
        let _ = serde_json::to_writer(&mut *out, &doc);
    }

    /// A raw request or response as the document carries it: only with `extended_stats`,
    /// base64-decoded with `decode_base64`.
    fn raw<'s>(&self, value: &'s str) -> Option<Cow<'s, str>> {
        if !self.extended_stats {
            return None;
        }
        let mut v = Cow::Borrowed(value);
        if self.decode_base64 {
            decode_base64_in_place(&mut v);
        }
        Some(v)
    }
}

/// One document, in Tyk's field names.
#[derive(Serialize)]
struct Document<'r> {
    #[serde(rename = "@timestamp")]
    timestamp: Stamp<'r>,
    http_method: &'r str,
    request_uri: &'r str,
    request_uri_full: &'r str,
    response_code: i64,
    ip_address: &'r str,
    api_key: &'r str,
    api_version: &'r str,
    api_name: &'r str,
    api_id: &'r str,
    org_id: &'r str,
    oauth_id: &'r str,
    request_time_ms: i64,
    alias: &'r str,
    content_length: i64,
    tags: &'r Option<Vec<Cow<'r, str>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_request: Option<Cow<'r, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_response: Option<Cow<'r, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<&'r str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mcp_method: Option<&'r str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mcp_primitive_type: Option<&'r str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mcp_primitive_name: Option<&'r str>,
}

/// `@timestamp`: RFC 3339 in UTC with nanoseconds, written without `fmt` for the usual
/// four-digit years (this is a third of a document's encoding time otherwise).
#[derive(Serialize)]
#[serde(untagged)]
enum Stamp<'a> {
    Fast(&'a str),
    Other(String),
}

fn rfc3339(t: Timestamp, buf: &mut [u8; 30]) -> Stamp<'_> {
    let (y, mo, d, h, mi, s) = t.civil();
    if !(0..=9999).contains(&y) {
        return Stamp::Other(t.to_string());
    }
    let mut put = |at: usize, width: usize, mut v: u64| {
        for i in (at..at + width).rev() {
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y as u64);
    put(5, 2, u64::from(mo));
    put(8, 2, u64::from(d));
    put(11, 2, u64::from(h));
    put(14, 2, u64::from(mi));
    put(17, 2, u64::from(s));
    put(20, 9, u64::from(t.nanos));
    for (at, c) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (29, b'Z'),
    ] {
        buf[at] = c;
    }
    // Only ASCII digits and separators were written.
    Stamp::Fast(std::str::from_utf8(buf).unwrap_or_default())
}

/// The record's `_id`: 32 lowercase hex digits of XXH3-128 over its canonical bytes.
pub fn document_id(r: &AnalyticsRecord<'_>, scratch: &mut Vec<u8>) -> [u8; 32] {
    scratch.clear();
    scratch.extend_from_slice(ID_SCHEME);
    Canonical(scratch).record(r);
    let hash = xxhash_rust::xxh3::xxh3_128(scratch);
    let mut hex = [0u8; 32];
    for (i, byte) in hash.to_be_bytes().iter().enumerate() {
        hex[2 * i] = HEX[usize::from(byte >> 4)];
        hex[2 * i + 1] = HEX[usize::from(byte & 0xf)];
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes a record's fields in a fixed, unambiguous binary layout: strings and lists are
/// length-prefixed, absent and empty are told apart.
struct Canonical<'a>(&'a mut Vec<u8>);

impl Canonical<'_> {
    fn str(&mut self, s: &str) {
        self.0.extend_from_slice(&(s.len() as u64).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn int(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn float(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    fn flag(&mut self, v: bool) {
        self.0.push(u8::from(v));
    }
    fn time(&mut self, t: Timestamp) {
        self.int(t.secs);
        self.int(i64::from(t.nanos));
    }
    fn strs<S: AsRef<str>>(&mut self, v: &Option<Vec<S>>) {
        self.flag(v.is_some());
        if let Some(v) = v {
            self.int(v.len() as i64);
            for s in v {
                self.str(s.as_ref());
            }
        }
    }

    /// Every field, named in full so that a field added to the record cannot be forgotten
    /// here (the build fails until it is hashed too).
    fn record(&mut self, r: &AnalyticsRecord<'_>) {
        let AnalyticsRecord {
            method,
            host,
            path,
            raw_path,
            content_length,
            user_agent,
            day,
            month,
            year,
            hour,
            response_code,
            api_key,
            timestamp,
            api_version,
            api_name,
            api_id,
            org_id,
            oauth_id,
            request_time,
            raw_request,
            raw_response,
            ip_address,
            geo,
            network,
            latency,
            tags,
            alias,
            track_path,
            expire_at,
            api_schema,
            original_path,
            listen_path,
            graphql_stats,
            mcp_stats,
            collection_name,
        } = r;
        for s in [method, host, path, raw_path, user_agent] {
            self.str(s);
        }
        for v in [*content_length, *day, *month, *year, *hour, *response_code] {
            self.int(v);
        }
        self.str(api_key);
        self.time(*timestamp);
        for s in [api_version, api_name, api_id, org_id, oauth_id] {
            self.str(s);
        }
        self.int(*request_time);
        for s in [raw_request, raw_response, ip_address] {
            self.str(s);
        }
        self.str(&geo.country.iso_code);
        self.int(geo.city.geoname_id as i64);
        self.flag(geo.city.names.is_some());
        if let Some(names) = &geo.city.names {
            self.int(names.len() as i64);
            for (k, v) in names {
                self.str(k);
                self.str(v);
            }
        }
        self.float(geo.location.latitude);
        self.float(geo.location.longitude);
        self.str(&geo.location.time_zone);
        for v in [
            network.open_connections,
            network.closed_connections,
            network.bytes_in,
            network.bytes_out,
            latency.total,
            latency.upstream,
            latency.gateway,
        ] {
            self.int(v);
        }
        self.strs(tags);
        self.str(alias);
        self.flag(*track_path);
        self.time(*expire_at);
        for s in [api_schema, original_path, listen_path] {
            self.str(s);
        }
        let g = graphql_stats;
        self.str(&g.variables);
        self.strs(&g.root_fields);
        self.flag(g.types.is_some());
        if let Some(types) = &g.types {
            self.int(types.len() as i64);
            for (name, fields) in types {
                self.str(name);
                self.strs(fields);
            }
        }
        self.flag(g.errors.is_some());
        if let Some(errors) = &g.errors {
            self.int(errors.len() as i64);
            for e in errors {
                self.str(&e.message);
                // JSON text never holds the byte 0xff: it ends the path unambiguously.
                let _ = serde_json::to_writer(&mut *self.0, &e.path);
                self.0.push(0xff);
            }
        }
        self.int(g.operation_type);
        self.flag(g.has_errors);
        self.flag(g.is_graphql);
        self.flag(mcp_stats.is_mcp);
        for s in [
            &mcp_stats.jsonrpc_method,
            &mcp_stats.primitive_type,
            &mcp_stats.primitive_name,
        ] {
            self.str(s);
        }
        self.str(collection_name);
    }
}
