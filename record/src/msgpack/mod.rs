//! Decoding the msgpack records the gateway leaves in Redis (TYK-FORMAT.md §2 and §4).
//!
//! A hand-written decoder: each key is matched on its bytes and its value read straight into
//! the field, with every string borrowed from the input. It accepts exactly what rmp-serde
//! with the types' serde derives accepted before it (the derives stay, and a differential
//! test keeps the two in step), at a fraction of the cost.
//!
//! - `reader`: the cursor and the scalar values (integers, floats, strings, times);
//! - `fields`: how a value is read into a field of each type;
//! - `structs`: the `fields!` tables and the shapes a struct may take;
//! - `analytics`, `uptime`: the tables of the two record kinds;
//! - `lookup`: one top-level field without decoding the record;
//! - `skip`: unknown keys' values; `value`: free-form values (GraphQL error paths);
//! - `error`: failures on their way up, with the path they happened at.

mod analytics;
mod error;
mod fields;
mod lookup;
mod reader;
mod skip;
mod structs;
mod uptime;
mod value;

pub use lookup::{lookup_i64, lookup_str};

use crate::{AnalyticsRecord, UptimeRecord};
use reader::Reader;
use structs::{Fields, read_struct_into};

/// Why stored bytes could not be decoded into a record; the text is meant for a dead-letter
/// queue entry, so it names the field where it can.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The msgpack bytes are not a record: `field` is the top-level key whose value is wrong.
    #[error("msgpack: {message}{}", at(.field))]
    Msgpack {
        /// What is wrong, in serde's words where it has them, with the path below `field`.
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
/// cannot exhaust the stack. As with rmp-serde before, the record's own map is the first
/// level and the 64th is refused.
const MAX_DEPTH: usize = 64;

/// Decodes one gateway analytics record, borrowing its strings from `bytes`.
pub fn decode_analytics(bytes: &[u8]) -> Result<AnalyticsRecord<'_>, DecodeError> {
    decode(bytes)
}

/// Decodes one host-checker uptime record, borrowing its strings from `bytes`.
pub fn decode_uptime(bytes: &[u8]) -> Result<UptimeRecord<'_>, DecodeError> {
    decode(bytes)
}

fn decode<'a, T: Fields<'a>>(bytes: &'a [u8]) -> Result<T, DecodeError> {
    // A record is always a map; serde would have taken an array as a struct written
    // positionally, but from the gateway that means corruption.
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
    let mut r = Reader::new(bytes);
    let mut record = T::default();
    read_struct_into(&mut r, &mut record).map_err(error::Error::into_decode_error)?;
    match r.remaining() {
        0 => Ok(record),
        n => Err(DecodeError::msgpack(format!(
            "{n} trailing bytes after the record"
        ))),
    }
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
    fn error_text_names_the_field() {
        let e = DecodeError::Msgpack {
            message: "invalid type".into(),
            field: Some("ResponseCode".into()),
        };
        assert_eq!(e.to_string(), "msgpack: invalid type at ResponseCode");
    }

    #[test]
    fn nested_failures_name_their_path_below_the_field() {
        // {"Geo": {"City": {"GeoNameID": -1}}}
        let mut rec = vec![0x81, 0xa3];
        rec.extend_from_slice(b"Geo");
        rec.extend_from_slice(&[0x81, 0xa4]);
        rec.extend_from_slice(b"City");
        rec.extend_from_slice(&[0x81, 0xa9]);
        rec.extend_from_slice(b"GeoNameID");
        rec.push(0xff);
        assert_eq!(
            decode_analytics(&rec).unwrap_err().to_string(),
            "msgpack: invalid value: integer `-1`, expected u64 in Geo.City.GeoNameID at Geo"
        );
    }

    #[test]
    fn a_truncated_value_after_the_record_is_trailing_bytes_too() {
        // rmp-serde's end-of-input probe took these for a clean end; they are not.
        for tail in [&[0x81][..], &[0x91], &[0x92, 0x01], &[0xdc, 0x00]] {
            let rec = [&[0x81, 0xa3, b'D', b'a', b'y', 0x01][..], tail].concat();
            assert_eq!(
                decode_analytics(&rec).unwrap_err().to_string(),
                format!("msgpack: {} trailing bytes after the record", tail.len())
            );
        }
    }

    #[test]
    fn repeated_fields_are_refused_by_name() {
        // {"Method": "A", "Method": "B"}
        let mut rec = vec![0x82];
        for v in [b'A', b'B'] {
            rec.push(0xa6);
            rec.extend_from_slice(b"Method");
            rec.extend_from_slice(&[0xa1, v]);
        }
        assert_eq!(
            decode_analytics(&rec).unwrap_err().to_string(),
            "msgpack: duplicate field `Method` at Method"
        );
    }
}
