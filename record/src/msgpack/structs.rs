//! How a struct is read: the `Fields` table every struct declares with `fields!`, and the
//! shapes a struct may take.
//!
//! The shapes are those rmp-serde and serde's derive accepted, so that no record that used
//! to decode fails now (or the other way round):
//! - a map keyed by Go field names (str or bin), or by field indexes (unsigned integers);
//!   unknown keys are skipped, a repeated field is an error, missing fields keep defaults;
//! - an array of field values in declaration order (at most one per field);
//! - bin, which rmp-serde hands over as a sequence of small integers: only number fields
//!   take them, and bytes beyond the last field are ignored.

use super::error::{Error, Result};
use super::fields::Read;
use super::reader::{Key, Reader};
use super::skip;

/// A struct: its Go field names in declaration order, and how to fill one field.
pub(super) trait Fields<'a>: Read<'a> + Default {
    /// At most 64, so that a bit mask can track which fields were seen.
    const NAMES: &'static [&'static [u8]];

    fn index(name: &[u8]) -> Option<usize>;

    /// Whether `key` is the name of field `index` (false past the last field).
    fn is_key(index: usize, key: &[u8]) -> bool;

    fn read_field(&mut self, index: usize, r: &mut Reader<'a>) -> Result<()>;

    fn field_from_byte(&mut self, index: usize, b: u8) -> Result<()>;
}

/// Declares a struct's Go key for each of its fields, in declaration order, and implements
/// `Fields` and `Read` for it. Each field is read by its type's `Read` implementation.
macro_rules! fields {
    ($ty:ty, $expecting:literal { $($key:literal => $field:ident,)* }) => {
        impl<'a> $crate::msgpack::fields::Read<'a> for $ty {
            const EXPECTING: &'static str = $expecting;

            #[inline]
            fn read(
                r: &mut $crate::msgpack::reader::Reader<'a>,
            ) -> $crate::msgpack::error::Result<Self> {
                let mut out = Self::default();
                $crate::msgpack::structs::read_struct_into(r, &mut out)?;
                Ok(out)
            }

            #[inline]
            fn read_into(
                &mut self,
                r: &mut $crate::msgpack::reader::Reader<'a>,
            ) -> $crate::msgpack::error::Result<()> {
                $crate::msgpack::structs::read_struct_into(r, self)
            }
        }

        impl<'a> $crate::msgpack::structs::Fields<'a> for $ty {
            const NAMES: &'static [&'static [u8]] = &[$($key),*];

            #[inline]
            fn index(name: &[u8]) -> Option<usize> {
                #[allow(non_camel_case_types)]
                enum I { $($field),* }
                match name {
                    $($key => Some(I::$field as usize),)*
                    _ => None,
                }
            }

            #[inline(always)]
            fn is_key(index: usize, key: &[u8]) -> bool {
                #[allow(non_camel_case_types)]
                enum I { $($field),* }
                // Comparing with each literal keeps the length constant, so no memcmp call.
                $(if index == I::$field as usize {
                    return key == $key;
                })*
                false
            }

            #[inline]
            fn read_field(
                &mut self,
                index: usize,
                r: &mut $crate::msgpack::reader::Reader<'a>,
            ) -> $crate::msgpack::error::Result<()> {
                #[allow(non_camel_case_types)]
                enum I { $($field),* }
                $(if index == I::$field as usize {
                    return $crate::msgpack::fields::Read::read_into(&mut self.$field, r);
                })*
                Ok(())
            }

            #[cold]
            fn field_from_byte(
                &mut self,
                index: usize,
                b: u8,
            ) -> $crate::msgpack::error::Result<()> {
                #[allow(non_camel_case_types)]
                enum I { $($field),* }
                $(if index == I::$field as usize {
                    self.$field = $crate::msgpack::fields::Read::from_byte(b)?;
                    return Ok(());
                })*
                Ok(())
            }
        }
    };
}
pub(super) use fields;

/// Fills `out`, which holds its default, from a struct in any of its shapes (see the
/// module comment).
pub(super) fn read_struct_into<'a, T: Fields<'a>>(r: &mut Reader<'a>, out: &mut T) -> Result<()> {
    let start = r.pos();
    let m = r.byte()?;
    if let Some(n) = r.map_len_after(m)? {
        return read_map(r, n, out);
    }
    if let Some(n) = r.array_len_after(m)? {
        return read_positional(r, n, out);
    }
    if matches!(m, 0xc4..=0xc6)
        && let Some(bytes) = r.raw_str_after(m)?
    {
        for (index, &b) in bytes.iter().take(T::NAMES.len()).enumerate() {
            out.field_from_byte(index, b)
                .map_err(|e| e.in_field(name::<T>(index)))?;
        }
        return Ok(());
    }
    Err(r.invalid_type(start, T::EXPECTING))
}

fn read_map<'a, T: Fields<'a>>(r: &mut Reader<'a>, entries: usize, out: &mut T) -> Result<()> {
    r.enter()?;
    let mut seen = 0u64;
    // Writers put the keys in declaration order, so the field after the last one is the
    // first guess; one comparison is cheaper than the full match on the key.
    let mut next = 0;
    for _ in 0..entries {
        let index = match r.key()? {
            Key::Name(key) if T::is_key(next, key) => next,
            Key::Name(key) => match T::index(key) {
                Some(index) => index,
                None => {
                    skip::value(r).map_err(|e| e.in_unknown_key(key))?;
                    continue;
                }
            },
            Key::Index(i) => match usize::try_from(i) {
                Ok(index) if index < T::NAMES.len() => index,
                _ => {
                    skip::value(r).map_err(|e| e.in_unknown_key(i.to_string().as_bytes()))?;
                    continue;
                }
            },
        };
        let bit = 1u64 << (index % 64);
        if seen & bit != 0 {
            let name = name::<T>(index);
            return Err(Error::duplicate(name).in_field(name));
        }
        seen |= bit;
        out.read_field(index, r)
            .map_err(|e| e.in_field(name::<T>(index)))?;
        next = index + 1;
    }
    r.leave();
    Ok(())
}

fn read_positional<'a, T: Fields<'a>>(r: &mut Reader<'a>, len: usize, out: &mut T) -> Result<()> {
    r.enter()?;
    if len > T::NAMES.len() {
        return Err(Error::invalid_length(
            len,
            &format!("{} with at most {} elements", T::EXPECTING, T::NAMES.len()),
        ));
    }
    for index in 0..len {
        out.read_field(index, r)
            .map_err(|e| e.in_field(name::<T>(index)))?;
    }
    r.leave();
    Ok(())
}

fn name<'a, T: Fields<'a>>(index: usize) -> &'static [u8] {
    T::NAMES.get(index).copied().unwrap_or(b"?")
}
