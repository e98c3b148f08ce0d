//! Decoding failures while they travel up through nested values: what went wrong, and the
//! path of fields and elements it happened in, turned into a `DecodeError` at the top.
//!
//! Everything here runs only after a failure, so it may allocate and re-read the input.

use super::DecodeError;
use super::reader::{Int, Reader};
use std::fmt::Write;

pub(super) type Result<T> = std::result::Result<T, Error>;

/// A failure inside a record. Boxed so that `Result`s on the happy path stay small.
#[derive(Debug)]
pub(super) struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    message: String,
    /// Whether the path below the top-level field helps: not for truncation, which is
    /// about the record as a whole.
    inner_path: bool,
    /// Innermost first: each struct or list the failure passes through appends its part.
    path: Vec<Segment>,
}

#[derive(Debug)]
enum Segment {
    Field(&'static [u8]),
    UnknownKey(String),
    Element(usize),
}

impl Error {
    #[cold]
    pub fn new(message: String) -> Self {
        Error(Box::new(Inner {
            message,
            inner_path: true,
            path: Vec::new(),
        }))
    }

    #[cold]
    pub fn eof() -> Self {
        let mut e = Error::new("truncated record (unexpected end of input)".to_string());
        e.0.inner_path = false;
        e
    }

    #[cold]
    pub fn too_deep() -> Self {
        Error::new(format!(
            "values nested deeper than {} levels",
            super::MAX_DEPTH
        ))
    }

    #[cold]
    pub fn invalid_type(found: &str, expected: &str) -> Self {
        Error::new(format!("invalid type: {found}, expected {expected}"))
    }

    #[cold]
    pub fn invalid_value(found: &str, expected: &str) -> Self {
        Error::new(format!("invalid value: {found}, expected {expected}"))
    }

    #[cold]
    pub fn invalid_length(len: usize, expected: &str) -> Self {
        Error::new(format!("invalid length {len}, expected {expected}"))
    }

    #[cold]
    pub fn duplicate(name: &[u8]) -> Self {
        Error::new(format!(
            "duplicate field `{}`",
            String::from_utf8_lossy(name)
        ))
    }

    #[cold]
    pub fn utf8(bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Err(e) => Error::new(format!("string is not valid UTF-8: {e}")),
            Ok(_) => Error::new("string is not valid UTF-8".to_string()),
        }
    }

    /// The failure happened in the value of the struct field `name`.
    #[cold]
    pub fn in_field(mut self, name: &'static [u8]) -> Self {
        self.0.path.push(Segment::Field(name));
        self
    }

    /// The failure happened while skipping the value of the unknown key `key`.
    #[cold]
    pub fn in_unknown_key(mut self, key: &[u8]) -> Self {
        let key = String::from_utf8_lossy(key).into_owned();
        self.0.path.push(Segment::UnknownKey(key));
        self
    }

    /// The failure happened in element `index` of a list (or of a time's array).
    #[cold]
    pub fn in_element(mut self, index: usize) -> Self {
        self.0.path.push(Segment::Element(index));
        self
    }

    /// The public error: the top-level key becomes `field`, and a deeper path is added to
    /// the message (`… in Geo.City.GeoNameID`).
    #[cold]
    pub fn into_decode_error(self) -> DecodeError {
        let Inner {
            mut message,
            inner_path,
            path,
        } = *self.0;
        let field = match path.last() {
            Some(Segment::Field(name)) => Some(String::from_utf8_lossy(name).into_owned()),
            Some(Segment::UnknownKey(key)) => Some(key.clone()),
            Some(Segment::Element(_)) | None => None,
        };
        if inner_path && path.len() > 1 {
            message.push_str(" in ");
            for (i, segment) in path.iter().rev().enumerate() {
                match segment {
                    Segment::Field(name) => {
                        if i > 0 {
                            message.push('.');
                        }
                        message.push_str(&String::from_utf8_lossy(name));
                    }
                    Segment::UnknownKey(key) => {
                        if i > 0 {
                            message.push('.');
                        }
                        message.push_str(key);
                    }
                    Segment::Element(index) => {
                        let _ = write!(message, "[{index}]");
                    }
                }
            }
        }
        DecodeError::Msgpack { message, field }
    }
}

/// Strings longer than this are cut in error messages (a raw request can be megabytes).
const SHOWN_CHARS: usize = 64;

/// The msgpack value at `pos` in serde's words: `string "x"`, ``integer `-1` ``, …
#[cold]
pub(super) fn describe(buf: &[u8], pos: usize) -> String {
    let mut r = Reader::at(buf, pos);
    let Ok(m) = r.byte() else {
        return "the end of the input".to_string();
    };
    match m {
        0xc0 => return "nil".to_string(),
        0xc1 => return "the reserved marker 0xc1".to_string(),
        0xc2 => return "boolean `false`".to_string(),
        0xc3 => return "boolean `true`".to_string(),
        0xca => {
            return match r.take(4).ok().and_then(|b| b.try_into().ok()) {
                Some(b) => format!("floating point `{}`", f32::from_be_bytes(b)),
                None => "a truncated float".to_string(),
            };
        }
        0xcb => {
            return match r.take(8).ok().and_then(|b| b.try_into().ok()) {
                Some(b) => format!("floating point `{}`", f64::from_be_bytes(b)),
                None => "a truncated float".to_string(),
            };
        }
        _ => {}
    }
    match r.int_after(m) {
        Ok(Some(Int::Unsigned(v))) => return format!("integer `{v}`"),
        Ok(Some(Int::Signed(v))) => return format!("integer `{v}`"),
        Err(_) => return "a truncated integer".to_string(),
        Ok(None) => {}
    }
    let binary = matches!(m, 0xc4..=0xc6);
    match r.raw_str_after(m) {
        Ok(Some(bytes)) if binary => return format!("binary data of {} bytes", bytes.len()),
        Ok(Some(bytes)) => {
            return match std::str::from_utf8(bytes) {
                Ok(s) if s.chars().count() > SHOWN_CHARS => {
                    let shown: String = s.chars().take(SHOWN_CHARS).collect();
                    format!("string {shown:?}… ({} bytes)", s.len())
                }
                Ok(s) => format!("string {s:?}"),
                Err(_) => "a string that is not valid UTF-8".to_string(),
            };
        }
        Err(_) if binary => return "truncated binary data".to_string(),
        Err(_) => return "a truncated string".to_string(),
        Ok(None) => {}
    }
    if let Ok(Some(n)) = r.array_len_after(m) {
        return format!("an array of {n} elements");
    }
    if let Ok(Some(n)) = r.map_len_after(m) {
        return format!("a map of {n} entries");
    }
    if r.ext_len_after(m).is_ok_and(|n| n.is_some()) {
        return match r.byte() {
            Ok(tag) => format!("a msgpack extension value of type {}", tag as i8),
            Err(_) => "a truncated msgpack extension value".to_string(),
        };
    }
    "a truncated value".to_string()
}
