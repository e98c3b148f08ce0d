//! How one value is read into a field of a given type: the `Read` trait and its
//! implementations for numbers, booleans, strings, times and the lists and maps of strings.
//!
//! Each follows what serde's visitor for that type accepted from rmp-serde (see `reader` for
//! the scalars): where serde asked for a sequence, bin counted as a list of bytes.

use super::error::{Error, Result};
use super::reader::Reader;
use crate::Timestamp;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A type a field can have, read from the value at the reader.
pub(super) trait Read<'a>: Sized {
    /// What the value should have been, for error messages.
    const EXPECTING: &'static str;

    fn read(r: &mut Reader<'a>) -> Result<Self>;

    /// Reads into a field that still holds its default (structs fill themselves in place,
    /// sparing a copy of their bytes).
    #[inline(always)]
    fn read_into(&mut self, r: &mut Reader<'a>) -> Result<()> {
        *self = Self::read(r)?;
        Ok(())
    }

    /// The value from one byte of a bin read where a list or struct was expected.
    #[cold]
    fn from_byte(b: u8) -> Result<Self> {
        Err(Error::invalid_type(
            &format!("integer `{b}` (a byte of binary data)"),
            Self::EXPECTING,
        ))
    }
}

/// A list where serde asked for a sequence: nil, an array, or bin as a list of bytes.
/// nil, or a map read entry by entry into a `BTreeMap` (a repeated key keeps its last
/// value); a value's error names its key.
pub(super) fn opt_map<'a, K: Ord + AsRef<str>, V>(
    r: &mut Reader<'a>,
    expecting: &'static str,
    key: impl Fn(&mut Reader<'a>) -> Result<K>,
    value: impl Fn(&mut Reader<'a>) -> Result<V>,
) -> Result<Option<BTreeMap<K, V>>> {
    let start = r.pos();
    let m = r.byte()?;
    if m == 0xc0 {
        return Ok(None);
    }
    let Some(n) = r.map_len_after(m)? else {
        return Err(r.invalid_type(start, expecting));
    };
    r.enter()?;
    let mut map = BTreeMap::new();
    for _ in 0..n {
        let k = key(r)?;
        let v = value(r).map_err(|e| e.in_unknown_key(k.as_ref().as_bytes()))?;
        map.insert(k, v);
    }
    r.leave();
    Ok(Some(map))
}

pub(super) fn opt_seq<'a, T: Read<'a>>(
    r: &mut Reader<'a>,
    expecting: &str,
) -> Result<Option<Vec<T>>> {
    let start = r.pos();
    let m = r.byte()?;
    if m == 0xc0 {
        return Ok(None);
    }
    if let Some(n) = r.array_len_after(m)? {
        r.enter()?;
        let mut items = Vec::with_capacity(n.min(r.remaining()));
        for i in 0..n {
            items.push(T::read(r).map_err(|e| e.in_element(i))?);
        }
        r.leave();
        return Ok(Some(items));
    }
    if matches!(m, 0xc4..=0xc6)
        && let Some(bytes) = r.raw_str_after(m)?
    {
        let items = bytes
            .iter()
            .enumerate()
            .map(|(i, &b)| T::from_byte(b).map_err(|e| e.in_element(i)));
        return items.collect::<Result<Vec<T>>>().map(Some);
    }
    Err(r.invalid_type(start, expecting))
}

impl<'a> Read<'a> for i64 {
    const EXPECTING: &'static str = "i64";
    #[inline]
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        r.i64()
    }
    fn from_byte(b: u8) -> Result<Self> {
        Ok(b.into())
    }
}

impl<'a> Read<'a> for u64 {
    const EXPECTING: &'static str = "u64";
    #[inline]
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        r.u64()
    }
    fn from_byte(b: u8) -> Result<Self> {
        Ok(b.into())
    }
}

impl<'a> Read<'a> for f64 {
    const EXPECTING: &'static str = "f64";
    #[inline]
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        r.f64()
    }
    fn from_byte(b: u8) -> Result<Self> {
        Ok(b.into())
    }
}

impl<'a> Read<'a> for bool {
    const EXPECTING: &'static str = "a boolean";
    #[inline]
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        r.bool()
    }
}

impl<'a> Read<'a> for Cow<'a, str> {
    const EXPECTING: &'static str = "a string";
    #[inline]
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        r.str()
    }
}

impl<'a> Read<'a> for String {
    const EXPECTING: &'static str = "a string";
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        r.string()
    }
}

impl<'a> Read<'a> for Timestamp {
    const EXPECTING: &'static str = "a time";
    #[inline]
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        r.time()
    }
}

/// `Tags` and `RootFields`: nil or an array of strings (serde's visitor here took no bin).
impl<'a> Read<'a> for Option<Vec<Cow<'a, str>>> {
    const EXPECTING: &'static str = "an array of strings or nil";
    #[inline]
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        let start = r.pos();
        let m = r.byte()?;
        if m == 0xc0 {
            return Ok(None);
        }
        let Some(n) = r.array_len_after(m)? else {
            return Err(r.invalid_type(start, Self::EXPECTING));
        };
        r.enter()?;
        let mut items = Vec::with_capacity(n.min(r.remaining()));
        for i in 0..n {
            items.push(r.str().map_err(|e| e.in_element(i))?);
        }
        r.leave();
        Ok(Some(items))
    }
}

/// City `Names`: nil or a map of strings; a repeated key keeps its last value.
impl<'a> Read<'a> for Option<BTreeMap<Cow<'a, str>, Cow<'a, str>>> {
    const EXPECTING: &'static str = "a map of strings or nil";
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        opt_map(r, Self::EXPECTING, |r| r.str(), |r| r.str())
    }
}
