//! Byte sizes in the config: an integer is bytes, a string is a number with a unit such as
//! `"512MiB"`, `"1GiB"`, `"10MB"` (binary units are powers of 1024, decimal ones of 1000).

use super::duration::scale;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// Units a size string may use, compared without regard to case.
const UNITS: &[(&str, u128)] = &[
    ("b", 1),
    ("kb", 1_000),
    ("mb", 1_000_000),
    ("gb", 1_000_000_000),
    ("tb", 1_000_000_000_000),
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("tib", 1 << 40),
];

const HINT: &str = "write a number of bytes (`1048576`) or a string with a unit \
                    (`\"512MiB\"`, `\"1GiB\"`, `\"10MB\"`; units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)";

/// Deserializes a size option (used through `#[serde(with = "size")]`).
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    deserializer.deserialize_any(SizeVisitor)
}

struct SizeVisitor;

impl<'de> Visitor<'de> for SizeVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a size: a number of bytes, or a string such as \"512MiB\"")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format!("a size cannot be negative ({v}); {HINT}")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        parse(v).map_err(E::custom)
    }
}

/// Parses `"512MiB"`, `"1.5GB"`, `"100 KiB"` or a bare number of bytes such as `"1024"`.
pub fn parse(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let bad = |why: &str| format!("invalid size `{text}`: {why}; {HINT}");
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    if number.is_empty() {
        return Err(bad("expected a number"));
    }
    let unit = unit.trim_start();
    let factor = if unit.is_empty() {
        1
    } else {
        match UNITS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))
        {
            Some(&(_, factor)) => factor,
            None => return Err(bad(&format!("unknown unit `{unit}`"))),
        }
    };
    let bytes = scale(number, factor).ok_or_else(|| bad(&format!("`{number}` is not a number")))?;
    u64::try_from(bytes).map_err(|_| bad("too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_with_units() {
        assert_eq!(parse("512MiB"), Ok(512 << 20));
        assert_eq!(parse("1GiB"), Ok(1 << 30));
        assert_eq!(parse("10MB"), Ok(10_000_000));
        assert_eq!(parse("100 kib"), Ok(102_400));
        assert_eq!(parse("1.5KiB"), Ok(1536));
        assert_eq!(parse("1024"), Ok(1024));
        assert_eq!(parse("7B"), Ok(7));
    }

    #[test]
    fn bad_strings_say_why() {
        assert!(parse("12M").unwrap_err().contains("unknown unit `M`"));
        assert!(parse("GiB").unwrap_err().contains("expected a number"));
        assert!(parse("99999999999TiB").unwrap_err().contains("too large"));
    }
}
