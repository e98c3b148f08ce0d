//! Durations in the config: an integer or float is seconds (as in Tyk's `timeout`), a string
//! is one or more number-and-unit parts such as `"250ms"`, `"2s"`, `"1m30s"`, `"1.5h"`.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use std::time::Duration;

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Units a duration string may use, longest spelling first, with their length in nanoseconds.
const UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("seconds", NANOS_PER_SEC),
    ("second", NANOS_PER_SEC),
    ("secs", NANOS_PER_SEC),
    ("sec", NANOS_PER_SEC),
    ("s", NANOS_PER_SEC),
    ("minutes", 60 * NANOS_PER_SEC),
    ("minute", 60 * NANOS_PER_SEC),
    ("mins", 60 * NANOS_PER_SEC),
    ("min", 60 * NANOS_PER_SEC),
    ("m", 60 * NANOS_PER_SEC),
    ("hours", 3600 * NANOS_PER_SEC),
    ("hour", 3600 * NANOS_PER_SEC),
    ("h", 3600 * NANOS_PER_SEC),
    ("days", 86400 * NANOS_PER_SEC),
    ("day", 86400 * NANOS_PER_SEC),
    ("d", 86400 * NANOS_PER_SEC),
];

const HINT: &str = "write seconds as a number (`5`) or a string with units \
                    (`\"250ms\"`, `\"2s\"`, `\"1m30s\"`; units ms, s, m, h, d)";

/// Deserializes a duration option (used through `#[serde(with = "duration")]`).
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    deserializer.deserialize_any(DurationVisitor)
}

struct DurationVisitor;

impl<'de> Visitor<'de> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration: seconds as a number, or a string such as \"250ms\" or \"2s\"")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        u64::try_from(v)
            .map(Duration::from_secs)
            .map_err(|_| E::custom(format!("a duration cannot be negative ({v}); {HINT}")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        Ok(Duration::from_secs(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
        Duration::try_from_secs_f64(v)
            .map_err(|_| E::custom(format!("`{v}` is not a duration; {HINT}")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse(v).map_err(E::custom)
    }
}

/// Parses `"250ms"`, `"2s"`, `"1m30s"`, `"1.5h"` or a bare number of seconds such as `"5"`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    let bad = |why: &str| format!("invalid duration `{text}`: {why}; {HINT}");
    if s.is_empty() {
        return Err(bad("it is empty"));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| bad("too large"));
    }
    let mut rest = s;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits);
        if number.is_empty() {
            return Err(bad("expected a number"));
        }
        let after = after.trim_start();
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let Some(&(_, nanos)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(if unit.is_empty() {
                bad(&format!("`{number}` has no unit"))
            } else {
                bad(&format!("unknown unit `{unit}`"))
            });
        };
        let part =
            scale(number, nanos).ok_or_else(|| bad(&format!("`{number}` is not a number")))?;
        total = total.checked_add(part).ok_or_else(|| bad("too large"))?;
        rest = after.trim_start();
    }
    let secs = u64::try_from(total / NANOS_PER_SEC).map_err(|_| bad("too large"))?;
    // The remainder is below one second, so it fits in u32.
    let nanos = (total % NANOS_PER_SEC) as u32;
    Ok(Duration::new(secs, nanos))
}

/// `number` (digits with at most one `.`) times `unit`, in the unit's base, rounded down.
pub fn scale(number: &str, unit: u128) -> Option<u128> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits_ok(whole) || !digits_ok(fraction) {
        return None;
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut value = whole.checked_mul(unit)?;
    // Digits past the 18th cannot change the result of any unit used here.
    let fraction = &fraction[..fraction.len().min(18)];
    if !fraction.is_empty() {
        let numerator: u128 = fraction.parse().ok()?;
        let denominator = 10u128.pow(fraction.len() as u32);
        value = value.checked_add(numerator.checked_mul(unit)? / denominator)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_with_units() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1h 30min"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse("10us"), Ok(Duration::from_micros(10)));
    }

    #[test]
    fn a_bare_number_is_seconds() {
        assert_eq!(parse("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse(" 7 "), Ok(Duration::from_secs(7)));
    }

    #[test]
    fn bad_strings_say_why() {
        assert!(parse("").unwrap_err().contains("empty"));
        assert!(parse("5x").unwrap_err().contains("unknown unit `x`"));
        assert!(parse("1.2.3s").unwrap_err().contains("not a number"));
        assert!(parse("ms").unwrap_err().contains("expected a number"));
        assert!(parse("5 s 3").unwrap_err().contains("no unit"));
        assert!(
            parse("99999999999999999999999d")
                .unwrap_err()
                .contains("too large")
        );
    }
}
