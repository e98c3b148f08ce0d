//! Decoding the msgpack records the gateway leaves in Redis (TYK-FORMAT.md §2 and §4).
//!
//! Decoding borrows every string it can from the input bytes, so a record costs no string
//! copies. The happy path is plain rmp-serde; all the work of explaining a failure (which
//! field, how many trailing bytes) happens only after a failure, so it costs nothing on
//! records that decode.

use crate::{AnalyticsRecord, UptimeRecord};
use rmp_serde::decode::Error as RmpError;
use serde::Deserialize;
use std::io::ErrorKind;

/// Why stored bytes could not be decoded into a record; the text is meant for a dead-letter
/// queue entry, so it names the field where it can.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The msgpack bytes are not a record: `field` is the top-level key whose value is wrong.
    #[error("msgpack: {message}{}", at(.field))]
    Msgpack {
        /// What is wrong, in serde's or our words.
        message: String,
        /// The Go name of the top-level field whose value could not be decoded.
        field: Option<String>,
    },
    /// The protobuf bytes are not a record.
    #[error("protobuf: {0}")]
    Protobuf(String),
}

fn at(field: &Option<String>) -> String {
    field
        .as_ref()
        .map(|f| format!(" at {f}"))
        .unwrap_or_default()
}

impl DecodeError {
    fn msgpack(message: impl Into<String>) -> Self {
        DecodeError::Msgpack {
            message: message.into(),
            field: None,
        }
    }
}

/// Deeper than any real record (about six levels) and shallow enough that hostile input
/// cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

/// Decodes one gateway analytics record, borrowing its strings from `bytes`.
pub fn decode_analytics(bytes: &[u8]) -> Result<AnalyticsRecord<'_>, DecodeError> {
    decode(bytes, |entry| probe::<AnalyticsRecord<'_>>(entry))
}

/// Decodes one host-checker uptime record, borrowing its strings from `bytes`.
pub fn decode_uptime(bytes: &[u8]) -> Result<UptimeRecord<'_>, DecodeError> {
    decode(bytes, |entry| probe::<UptimeRecord<'_>>(entry))
}

/// `probe` decodes a one-entry map of the same record type and explains its failure, if
/// any; it is how an error is pinned to a field without tracking paths while decoding.
fn decode<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    probe: fn(&[u8]) -> Option<String>,
) -> Result<T, DecodeError> {
    // rmp-serde would accept an array as a struct written positionally; a gateway record is
    // always a map, so anything else is corrupt.
    match bytes.first() {
        None => return Err(DecodeError::msgpack("empty input, expected a map")),
        Some(0x80..=0x8f | 0xde | 0xdf) => {}
        Some(&b) => {
            return Err(DecodeError::msgpack(format!(
                "the record is {} (first byte 0x{b:02x}), expected a map",
                kind(b)
            )));
        }
    }
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    de.set_max_depth(MAX_DEPTH);
    let value = match T::deserialize(&mut de) {
        Ok(value) => value,
        Err(e) => {
            let (field, message) = match culprit(bytes, probe) {
                Some((field, message)) => (Some(field), message),
                None => (None, None),
            };
            return Err(DecodeError::Msgpack {
                message: message.unwrap_or_else(|| describe(&e)),
                field,
            });
        }
    };
    // The deserializer does not expose its position, so probe for one more value: only a
    // clean end of input means the record was the whole buffer.
    match serde::de::IgnoredAny::deserialize(&mut de) {
        Err(RmpError::InvalidMarkerRead(e)) if e.kind() == ErrorKind::UnexpectedEof => Ok(value),
        _ => Err(DecodeError::msgpack(match value_end(bytes, 0, MAX_DEPTH) {
            Some(end) => format!("{} trailing bytes after the record", bytes.len() - end),
            None => "trailing bytes after the record".to_string(),
        })),
    }
}

/// Why `entry` (a one-entry map) does not decode as a `T`, or `None` if it does.
fn probe<'de, T: Deserialize<'de>>(entry: &'de [u8]) -> Option<String> {
    let e = rmp_serde::from_slice::<T>(entry).err()?;
    if let RmpError::TypeMismatch(_) = e {
        // rmp-serde names only the marker it found. Replaying the value through serde_json's
        // Value lets serde say what was expected: `invalid type: string "x", expected i64`.
        if let Ok(value) = rmp_serde::from_slice::<serde_json::Value>(entry)
            && let Err(je) = T::deserialize(value)
        {
            return Some(je.to_string());
        }
    }
    Some(describe(&e))
}

/// rmp-serde's own texts speak of I/O and markers; say what it means for a stored record.
fn describe(e: &RmpError) -> String {
    match e {
        RmpError::InvalidMarkerRead(io) | RmpError::InvalidDataRead(io)
            if io.kind() == ErrorKind::UnexpectedEof =>
        {
            "truncated record (unexpected end of input)".to_string()
        }
        RmpError::TypeMismatch(rmp::Marker::Reserved) => {
            "invalid msgpack marker 0xc1 (reserved)".to_string()
        }
        RmpError::TypeMismatch(marker) => format!("unexpected msgpack marker {marker:?}"),
        RmpError::DepthLimitExceeded => format!("values nested deeper than {MAX_DEPTH} levels"),
        RmpError::Utf8Error(u) => format!("string is not valid UTF-8: {u}"),
        RmpError::Syntax(msg) | RmpError::Uncategorized(msg) => msg.clone(),
        other => other.to_string(),
    }
}

/// Finds the top-level key whose value makes the record fail: the first entry that does
/// not parse as msgpack (no better message then), or that `probe` rejects (with its reason).
fn culprit(bytes: &[u8], probe: fn(&[u8]) -> Option<String>) -> Option<(String, Option<String>)> {
    let (len, mut p) = map_len(bytes)?;
    let mut entry = Vec::new();
    for _ in 0..len {
        let key_start = p;
        let key_end = value_end(bytes, key_start, MAX_DEPTH)?;
        let name = key_name(&bytes[key_start..key_end]);
        let Some(value_end) = value_end(bytes, key_end, MAX_DEPTH) else {
            return Some((name, None));
        };
        entry.clear();
        entry.push(0x81);
        entry.extend_from_slice(&bytes[key_start..value_end]);
        if let Some(message) = probe(&entry) {
            return Some((name, Some(message)));
        }
        p = value_end;
    }
    None
}

/// A key as it should read in an error message.
fn key_name(key: &[u8]) -> String {
    let body = match key.first() {
        Some(0xa0..=0xbf) => key.get(1..),
        Some(0xd9 | 0xc4) => key.get(2..),
        Some(0xda | 0xc5) => key.get(3..),
        Some(0xdb | 0xc6) => key.get(5..),
        _ => None,
    };
    match body {
        Some(b) => String::from_utf8_lossy(b).into_owned(),
        None => format!(
            "a non-string key ({})",
            kind(key.first().copied().unwrap_or(0xc1))
        ),
    }
}

/// Reads the map header at the start of `b`: (number of entries, where the first key starts).
fn map_len(b: &[u8]) -> Option<(usize, usize)> {
    match *b.first()? {
        m @ 0x80..=0x8f => Some((usize::from(m & 0x0f), 1)),
        0xde => Some((be(b, 1, 2)?, 3)),
        0xdf => Some((be(b, 1, 4)?, 5)),
        _ => None,
    }
}

/// Where the msgpack value starting at `p` ends, or `None` if it is truncated or invalid.
fn value_end(b: &[u8], p: usize, depth: usize) -> Option<usize> {
    if depth == 0 {
        return None;
    }
    let m = *b.get(p)?;
    // (bytes after the marker before the payload, payload length, nested values)
    let (header, payload, items) = match m {
        0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, 0, 0),
        0x80..=0x8f => (0, 0, usize::from(m & 0x0f) * 2),
        0x90..=0x9f => (0, 0, usize::from(m & 0x0f)),
        0xa0..=0xbf => (0, usize::from(m & 0x1f), 0),
        0xc4 | 0xd9 => (1, be(b, p + 1, 1)?, 0),
        0xc5 | 0xda => (2, be(b, p + 1, 2)?, 0),
        0xc6 | 0xdb => (4, be(b, p + 1, 4)?, 0),
        // Extensions: length, then a type byte, then the payload.
        0xc7 => (1, be(b, p + 1, 1)? + 1, 0),
        0xc8 => (2, be(b, p + 1, 2)? + 1, 0),
        0xc9 => (4, be(b, p + 1, 4)? + 1, 0),
        0xcc | 0xd0 => (0, 1, 0),
        0xcd | 0xd1 => (0, 2, 0),
        0xca | 0xce | 0xd2 => (0, 4, 0),
        0xcb | 0xcf | 0xd3 => (0, 8, 0),
        0xd4 => (0, 2, 0),
        0xd5 => (0, 3, 0),
        0xd6 => (0, 5, 0),
        0xd7 => (0, 9, 0),
        0xd8 => (0, 17, 0),
        0xdc => (2, 0, be(b, p + 1, 2)?),
        0xdd => (4, 0, be(b, p + 1, 4)?),
        0xde => (2, 0, be(b, p + 1, 2)? * 2),
        0xdf => (4, 0, be(b, p + 1, 4)?.checked_mul(2)?),
        0xc1 => return None,
    };
    let mut end = p.checked_add(1 + header)?.checked_add(payload)?;
    if end > b.len() {
        return None;
    }
    for _ in 0..items {
        end = value_end(b, end, depth - 1)?;
    }
    Some(end)
}

/// A big-endian unsigned length of `n` bytes at `p`.
fn be(b: &[u8], p: usize, n: usize) -> Option<usize> {
    let bytes = b.get(p..p.checked_add(n)?)?;
    Some(
        bytes
            .iter()
            .fold(0usize, |acc, &x| (acc << 8) | usize::from(x)),
    )
}

/// What kind of msgpack value starts with this marker byte.
fn kind(m: u8) -> &'static str {
    match m {
        0x00..=0x7f | 0xe0..=0xff | 0xcc..=0xd3 => "an integer",
        0x80..=0x8f | 0xde | 0xdf => "a map",
        0x90..=0x9f | 0xdc | 0xdd => "an array",
        0xa0..=0xbf | 0xd9..=0xdb => "a string",
        0xc0 => "nil",
        0xc2 | 0xc3 => "a boolean",
        0xc4..=0xc6 => "binary data",
        0xca | 0xcb => "a float",
        0xc7..=0xc9 | 0xd4..=0xd8 => "an extension value",
        0xc1 => "the reserved marker 0xc1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_end_walks_nested_values_and_rejects_truncation() {
        // {"a": [1, "xy"], "b": nil}
        let v = [
            0x82, 0xa1, b'a', 0x92, 0x01, 0xa2, b'x', b'y', 0xa1, b'b', 0xc0,
        ];
        assert_eq!(value_end(&v, 0, MAX_DEPTH), Some(v.len()));
        for cut in 0..v.len() {
            assert_eq!(value_end(&v[..cut], 0, MAX_DEPTH), None, "cut at {cut}");
        }
        assert_eq!(value_end(&[0xc1], 0, MAX_DEPTH), None);
        assert_eq!(value_end(&[0x91; 100], 0, MAX_DEPTH), None);
    }

    #[test]
    fn error_text_names_the_field() {
        let e = DecodeError::Msgpack {
            message: "invalid type".into(),
            field: Some("ResponseCode".into()),
        };
        assert_eq!(e.to_string(), "msgpack: invalid type at ResponseCode");
    }
}
