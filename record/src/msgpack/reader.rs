//! The low-level msgpack cursor: markers, lengths and the scalar values records are made of,
//! read straight from the input. Strings are borrowed from it, never copied.
//!
//! Every reader accepts exactly what rmp-serde with serde's primitive visitors accepted, so
//! that switching decoders changed no record: any integer form for integers (range-checked),
//! integers or floats for floats, str or bin for strings.

use super::MAX_DEPTH;
use super::error::{Error, Result};
use crate::Timestamp;
use std::borrow::Cow;

/// A position in the input plus the number of containers open around it.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    depth: usize,
}

/// A map key as a struct sees it: a name, or a field index (serde's derive accepts both).
pub(super) enum Key<'a> {
    Name(&'a [u8]),
    Index(u64),
}

/// An integer as written: unsigned markers (positive fixint, uint8..64) and signed ones
/// (negative fixint, int8..64) reach serde through different visitor methods.
#[derive(Clone, Copy)]
pub(super) enum Int {
    Unsigned(u64),
    Signed(i64),
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            depth: 0,
        }
    }

    /// A reader over the same input at `pos`, for describing a value after a failure.
    pub fn at(buf: &'a [u8], pos: usize) -> Self {
        Reader { buf, pos, depth: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet: an upper bound for the number of values still to come.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    #[inline]
    pub fn byte(&mut self) -> Result<u8> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(Error::eof()),
        }
    }

    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or_else(Error::eof)?;
        match self.buf.get(self.pos..end) {
            Some(bytes) => {
                self.pos = end;
                Ok(bytes)
            }
            None => Err(Error::eof()),
        }
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        match self
            .buf
            .get(self.pos..)
            .and_then(|rest| rest.first_chunk::<N>())
        {
            Some(bytes) => {
                self.pos += N;
                Ok(*bytes)
            }
            None => Err(Error::eof()),
        }
    }

    #[inline]
    pub fn len8(&mut self) -> Result<usize> {
        self.byte().map(usize::from)
    }

    #[inline]
    pub fn len16(&mut self) -> Result<usize> {
        self.array().map(|b| usize::from(u16::from_be_bytes(b)))
    }

    #[inline]
    pub fn len32(&mut self) -> Result<usize> {
        let n = u32::from_be_bytes(self.array()?);
        usize::try_from(n).map_err(|_| Error::eof())
    }

    /// Steps into an array, map or extension value; rmp-serde counted extensions as a level
    /// too, and refused a 64th level.
    #[inline]
    pub fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth >= MAX_DEPTH {
            return Err(Error::too_deep());
        }
        Ok(())
    }

    #[inline]
    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Why the value starting at `start` is not `expected`.
    #[cold]
    pub fn invalid_type(&self, start: usize, expected: &str) -> Error {
        Error::invalid_type(&super::error::describe(self.buf, start), expected)
    }

    /// The body of an integer whose marker `m` was just read; `None` if `m` is no integer.
    #[inline(always)]
    pub fn int_after(&mut self, m: u8) -> Result<Option<Int>> {
        Ok(Some(match m {
            0x00..=0x7f => Int::Unsigned(u64::from(m)),
            0xe0..=0xff => Int::Signed(i64::from(m as i8)),
            0xcc => Int::Unsigned(u64::from(self.byte()?)),
            0xcd => Int::Unsigned(u64::from(u16::from_be_bytes(self.array()?))),
            0xce => Int::Unsigned(u64::from(u32::from_be_bytes(self.array()?))),
            0xcf => Int::Unsigned(u64::from_be_bytes(self.array()?)),
            0xd0 => Int::Signed(i64::from(i8::from_be_bytes(self.array()?))),
            0xd1 => Int::Signed(i64::from(i16::from_be_bytes(self.array()?))),
            0xd2 => Int::Signed(i64::from(i32::from_be_bytes(self.array()?))),
            0xd3 => Int::Signed(i64::from_be_bytes(self.array()?)),
            _ => return Ok(None),
        }))
    }

    #[inline]
    pub fn i64(&mut self) -> Result<i64> {
        let start = self.pos;
        let m = self.byte()?;
        match self.int_after(m)? {
            Some(Int::Signed(v)) => Ok(v),
            Some(Int::Unsigned(v)) => {
                i64::try_from(v).map_err(|_| Error::invalid_value(&format!("integer `{v}`"), "i64"))
            }
            None => Err(self.invalid_type(start, "i64")),
        }
    }

    #[inline]
    pub fn u64(&mut self) -> Result<u64> {
        let start = self.pos;
        let m = self.byte()?;
        match self.int_after(m)? {
            Some(Int::Unsigned(v)) => Ok(v),
            Some(Int::Signed(v)) => {
                u64::try_from(v).map_err(|_| Error::invalid_value(&format!("integer `{v}`"), "u64"))
            }
            None => Err(self.invalid_type(start, "u64")),
        }
    }

    /// A float64, a float32 (widened as serde does, keeping a NaN's sign) or any integer.
    #[inline]
    pub fn f64(&mut self) -> Result<f64> {
        let start = self.pos;
        match self.byte()? {
            0xcb => Ok(f64::from_be_bytes(self.array()?)),
            0xca => {
                let v = f32::from_be_bytes(self.array()?);
                let sign = if v.is_sign_positive() { 1.0 } else { -1.0 };
                Ok(f64::from(v).copysign(sign))
            }
            m => match self.int_after(m)? {
                Some(Int::Unsigned(v)) => Ok(v as f64),
                Some(Int::Signed(v)) => Ok(v as f64),
                None => Err(self.invalid_type(start, "f64")),
            },
        }
    }

    #[inline]
    pub fn bool(&mut self) -> Result<bool> {
        let start = self.pos;
        match self.byte()? {
            0xc2 => Ok(false),
            0xc3 => Ok(true),
            _ => Err(self.invalid_type(start, "a boolean")),
        }
    }

    /// The bytes of a str or bin value; `None` (nothing consumed but the marker) otherwise.
    #[inline(always)]
    pub fn raw_str_after(&mut self, m: u8) -> Result<Option<&'a [u8]>> {
        let n = match m {
            0xa0..=0xbf => usize::from(m & 0x1f),
            0xd9 | 0xc4 => self.len8()?,
            0xda | 0xc5 => self.len16()?,
            0xdb | 0xc6 => self.len32()?,
            _ => return Ok(None),
        };
        self.take(n).map(Some)
    }

    /// A string (str or bin) borrowed from the input.
    #[inline(always)]
    pub fn str(&mut self) -> Result<Cow<'a, str>> {
        let start = self.pos;
        let m = self.byte()?;
        match self.raw_str_after(m)? {
            Some(bytes) => utf8(bytes).map(Cow::Borrowed),
            None => Err(self.invalid_type(start, "a string")),
        }
    }

    /// A string (str or bin) copied out of the input.
    pub fn string(&mut self) -> Result<String> {
        self.str().map(Cow::into_owned)
    }

    /// A map key: str or bin bytes (not checked for UTF-8: they are only compared), or an
    /// unsigned integer, which serde's derive takes as a field index.
    #[inline(always)]
    pub fn key(&mut self) -> Result<Key<'a>> {
        let start = self.pos;
        let m = self.byte()?;
        if let 0xa0..=0xbf = m {
            return self.take(usize::from(m & 0x1f)).map(Key::Name);
        }
        if let Some(bytes) = self.raw_str_after(m)? {
            return Ok(Key::Name(bytes));
        }
        match self.int_after(m)? {
            Some(Int::Unsigned(i)) => Ok(Key::Index(i)),
            _ => Err(self.invalid_type(start, "a field name")),
        }
    }

    /// The number of elements of the array whose marker `m` was just read, if it is one.
    #[inline(always)]
    pub fn array_len_after(&mut self, m: u8) -> Result<Option<usize>> {
        Ok(Some(match m {
            0x90..=0x9f => usize::from(m & 0x0f),
            0xdc => self.len16()?,
            0xdd => self.len32()?,
            _ => return Ok(None),
        }))
    }

    /// The number of entries of the map whose marker `m` was just read, if it is one.
    #[inline(always)]
    pub fn map_len_after(&mut self, m: u8) -> Result<Option<usize>> {
        Ok(Some(match m {
            0x80..=0x8f => usize::from(m & 0x0f),
            0xde => self.len16()?,
            0xdf => self.len32()?,
            _ => return Ok(None),
        }))
    }

    /// The payload length of the extension whose marker `m` was just read, if it is one
    /// (the type byte follows).
    #[inline(always)]
    pub fn ext_len_after(&mut self, m: u8) -> Result<Option<usize>> {
        Ok(Some(match m {
            0xd4 => 1,
            0xd5 => 2,
            0xd6 => 4,
            0xd7 => 8,
            0xd8 => 16,
            0xc7 => self.len8()?,
            0xc8 => self.len16()?,
            0xc9 => self.len32()?,
            _ => return Ok(None),
        }))
    }

    /// A Go `time.Time`: `[seconds, nanoseconds]` (any integer forms), the timestamp
    /// extension (type -1, 4, 8 or 12 bytes, in any extension form), or nil for the zero time.
    #[inline]
    pub fn time(&mut self) -> Result<Timestamp> {
        let start = self.pos;
        let m = self.byte()?;
        if m == 0xc0 {
            return Ok(Timestamp::GO_ZERO);
        }
        if let Some(n) = self.array_len_after(m)? {
            self.enter()?;
            if n != 2 {
                return Err(Error::new(format!(
                    "invalid length {n}, expected a time: [seconds, nanoseconds]"
                )));
            }
            let secs = self.i64().map_err(|e| e.in_element(0))?;
            let nanos = self.i64().map_err(|e| e.in_element(1))?;
            self.leave();
            return Ok(Timestamp::new(secs, nanos));
        }
        if let Some(n) = self.ext_len_after(m)? {
            self.enter()?;
            let tag = self.byte()? as i8;
            let data = self.take(n)?;
            self.leave();
            if tag != -1 {
                return Err(Error::new(format!(
                    "msgpack extension type {tag} is not a timestamp (type -1)"
                )));
            }
            return Timestamp::from_msgpack_ext(data).ok_or_else(|| {
                Error::new(format!(
                    "a msgpack timestamp extension of {n} bytes is invalid \
                     (4, 8 or 12 expected, nanoseconds below 1e9)"
                ))
            });
        }
        Err(self.invalid_type(
            start,
            "a time: [seconds, nanoseconds] or the msgpack timestamp extension",
        ))
    }
}

/// Checks UTF-8 with SIMD; std's validator runs again only to explain a failure.
///
/// Most strings in a record are short ASCII (methods, IDs, paths), below the 64 bytes where
/// simdutf8 hands over to std's `from_utf8`, whose set-up cost dominated the profile (about
/// 15% of a record). An inline ASCII check settles them instead.
#[inline(always)]
pub(super) fn utf8(bytes: &[u8]) -> Result<&str> {
    if bytes.len() < 64 && bytes.is_ascii() {
        // SAFETY: every ASCII byte sequence is valid UTF-8, which is all that
        // `from_utf8_unchecked` requires; `is_ascii` has just checked every byte.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(_) => Err(Error::utf8(bytes)),
    }
}
