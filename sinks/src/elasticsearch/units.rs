//! Sizes and durations in this sink's options, written as in the rest of the config: a
//! number is bytes (or seconds), a string carries units (`"5MiB"`, `"250ms"`, `"1m30s"`).
//! Tyk's `-1` ("no limit") is accepted where Tyk accepts it.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use std::time::Duration;

const SIZE_UNITS: &[(&str, u64)] = &[
    ("b", 1),
    ("kb", 1_000),
    ("mb", 1_000_000),
    ("gb", 1_000_000_000),
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
];

const DURATION_UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("us", 1e-6),
    ("µs", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("sec", 1.0),
    ("m", 60.0),
    ("min", 60.0),
    ("h", 3600.0),
];

const SIZE_HINT: &str = "write a number of bytes (`5242880`), a string with a unit \
                         (`\"5MiB\"`, `\"10MB\"`; B, KB, MB, GB, KiB, MiB, GiB) or -1 for no limit";
const DURATION_HINT: &str = "write seconds as a number (`10`) or a string with units \
                             (`\"500ms\"`, `\"10s\"`, `\"1m30s\"`)";

/// A size limit in bytes; `None` for Tyk's `-1` (no limit).
pub fn size_limit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a size: a number of bytes, a string such as \"5MiB\", or -1")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            match v {
                -1 => Ok(None),
                v if v > 0 => Ok(Some(v as u64)),
                _ => Err(E::custom(format!("{v} is not a size; {SIZE_HINT}"))),
            }
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            if v == 0 {
                return Err(E::custom(format!("0 is not a size; {SIZE_HINT}")));
            }
            Ok(Some(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            parse_size(v).map(Some).map_err(E::custom)
        }
    }
    d.deserialize_any(V)
}

/// A count limit; `None` for Tyk's `-1` (no limit).
pub fn count_limit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    let v = i64::deserialize(d)?;
    match v {
        -1 => Ok(None),
        v if v > 0 => Ok(Some(usize::try_from(v).unwrap_or(usize::MAX))),
        _ => Err(de::Error::custom(format!(
            "{v} is not a valid limit: write a number of at least 1, or -1 for no limit"
        ))),
    }
}

/// A duration: a number of seconds or a string with units.
pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Duration;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a duration: seconds as a number, or a string such as \"10s\"")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
            u64::try_from(v)
                .map(Duration::from_secs)
                .map_err(|_| E::custom(format!("a duration cannot be negative; {DURATION_HINT}")))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
            Ok(Duration::from_secs(v))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
            Duration::try_from_secs_f64(v)
                .map_err(|_| E::custom(format!("`{v}` is not a duration; {DURATION_HINT}")))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
            parse_duration(v).map_err(E::custom)
        }
    }
    d.deserialize_any(V)
}

/// An optional duration (an option that is accepted for Tyk's sake).
pub fn opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration(d).map(Some)
}

/// `"5MiB"`, `"10 MB"`, `"1024"`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let bad = |why: &str| format!("invalid size `{text}`: {why}; {SIZE_HINT}");
    let (number, unit) = split_number(text.trim());
    let number: f64 = number.parse().map_err(|_| bad("expected a number"))?;
    let factor = if unit.is_empty() {
        1
    } else {
        SIZE_UNITS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))
            .map(|&(_, f)| f)
            .ok_or_else(|| bad(&format!("unknown unit `{unit}`")))?
    };
    let bytes = number * factor as f64;
    if !(1.0..=u64::MAX as f64).contains(&bytes) {
        return Err(bad("out of range"));
    }
    Ok(bytes as u64)
}

/// `"10s"`, `"500ms"`, `"1m30s"`, `"1.5s"`, `"10"` (seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = |why: &str| format!("invalid duration `{text}`: {why}; {DURATION_HINT}");
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad("it is empty"));
    }
    if let Ok(secs) = rest.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let (number, after) = split_number(rest);
        let number: f64 = number.parse().map_err(|_| bad("expected a number"))?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let factor = DURATION_UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|&(_, f)| f)
            .ok_or_else(|| bad(&format!("unknown or missing unit `{unit}`")))?;
        total += number * factor;
        rest = after.trim_start();
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad("out of range"))
}

/// Splits leading digits (and dots) from what follows, trimming the space between.
fn split_number(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, rest) = s.split_at(end);
    (number, rest.trim_start())
}
