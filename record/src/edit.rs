//! In-place edits the per-sink options make to a record (TYK-FORMAT.md §5).

use crate::{AnalyticsRecord, Str};
use base64::Engine;
use std::borrow::Cow;

/// A field name given to `ignore_fields` that is not one of Tyk's top-level JSON names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldNotFound(pub String);

impl AnalyticsRecord<'_> {
    /// Tyk's top-level JSON field names, in Tyk's order.
    pub const JSON_FIELDS: &'static [&'static str] = &[
        "method",
        "host",
        "path",
        "raw_path",
        "content_length",
        "user_agent",
        "day",
        "month",
        "year",
        "hour",
        "response_code",
        "api_key",
        "timestamp",
        "api_version",
        "api_name",
        "api_id",
        "org_id",
        "oauth_id",
        "request_time",
        "raw_request",
        "raw_response",
        "ip_address",
        "geo",
        "network",
        "latency",
        "tags",
        "alias",
        "track_path",
        "expireAt",
        "api_schema",
        "original_path",
        "listen_path",
        "graphql_stats",
        "mcp_stats",
    ];

    /// Resets the top-level field with this JSON name to its zero value (`ignore_fields`).
    pub fn clear_field(&mut self, json_name: &str) -> Result<(), FieldNotFound> {
        fn s(v: &mut Str<'_>) {
            *v = Cow::Borrowed("");
        }
        match json_name {
            "method" => s(&mut self.method),
            "host" => s(&mut self.host),
            "path" => s(&mut self.path),
            "raw_path" => s(&mut self.raw_path),
            "content_length" => self.content_length = 0,
            "user_agent" => s(&mut self.user_agent),
            "day" => self.day = 0,
            "month" => self.month = 0,
            "year" => self.year = 0,
            "hour" => self.hour = 0,
            "response_code" => self.response_code = 0,
            "api_key" => s(&mut self.api_key),
            "timestamp" => self.timestamp = Default::default(),
            "api_version" => s(&mut self.api_version),
            "api_name" => s(&mut self.api_name),
            "api_id" => s(&mut self.api_id),
            "org_id" => s(&mut self.org_id),
            "oauth_id" => s(&mut self.oauth_id),
            "request_time" => self.request_time = 0,
            "raw_request" => s(&mut self.raw_request),
            "raw_response" => s(&mut self.raw_response),
            "ip_address" => s(&mut self.ip_address),
            "geo" => self.geo = Default::default(),
            "network" => self.network = Default::default(),
            "latency" => self.latency = Default::default(),
            "tags" => self.tags = None,
            "alias" => s(&mut self.alias),
            "track_path" => self.track_path = false,
            "expireAt" => self.expire_at = Default::default(),
            "api_schema" => s(&mut self.api_schema),
            "original_path" => s(&mut self.original_path),
            "listen_path" => s(&mut self.listen_path),
            "graphql_stats" => self.graphql_stats = Default::default(),
            "mcp_stats" => self.mcp_stats = Default::default(),
            other => return Err(FieldNotFound(other.to_string())),
        }
        Ok(())
    }
}

/// Cuts a string to at most `max` bytes, backing off to a character boundary.
pub fn truncate_utf8(s: &mut Str<'_>, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    match s {
        Cow::Borrowed(b) => *b = &b[..end],
        Cow::Owned(o) => o.truncate(end),
    }
}

/// Replaces a base64 value by its decoded text; a value that is not base64 is kept as it is,
/// like Tyk. Decoded bytes that are not UTF-8 are kept with replacement characters.
pub fn decode_base64_in_place(s: &mut Str<'_>) {
    if s.is_empty() {
        return;
    }
    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(s.as_bytes()) {
        *s = Cow::Owned(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_json_field_can_be_cleared_and_nothing_else() {
        let mut r = AnalyticsRecord::default();
        for f in AnalyticsRecord::JSON_FIELDS {
            r.clear_field(f).unwrap();
        }
        assert_eq!(r.clear_field("APIID"), Err(FieldNotFound("APIID".into())));
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        let mut s: Str = Cow::Borrowed("héllo");
        truncate_utf8(&mut s, 2);
        assert_eq!(s, "h");
        let mut s: Str = Cow::Owned("abcdef".into());
        truncate_utf8(&mut s, 3);
        assert_eq!(s, "abc");
    }

    #[test]
    fn base64_decoding_keeps_non_base64_values() {
        let mut s: Str = Cow::Borrowed("R0VUIC8gSFRUUC8xLjE=");
        decode_base64_in_place(&mut s);
        assert_eq!(s, "GET / HTTP/1.1");
        let mut s: Str = Cow::Borrowed("not base64!");
        decode_base64_in_place(&mut s);
        assert_eq!(s, "not base64!");
    }
}
