//! Go's `time.Time` as the gateway serializes it, and its RFC 3339 rendering.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Seconds since the Unix epoch (UTC) with nanoseconds. No time zone travels with Tyk records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z; negative before it.
    pub secs: i64,
    /// Nanoseconds within the second, 0..1_000_000_000.
    pub nanos: u32,
}

impl Default for Timestamp {
    /// Go's zero `time.Time`: 0001-01-01T00:00:00Z.
    fn default() -> Self {
        Timestamp::GO_ZERO
    }
}

impl Timestamp {
    /// Go's zero time, which the gateway writes for unset times.
    pub const GO_ZERO: Timestamp = Timestamp {
        secs: -62_135_596_800,
        nanos: 0,
    };

    /// Builds a timestamp, carrying whole seconds out of `nanos`.
    pub fn new(secs: i64, nanos: i64) -> Self {
        let secs = secs.saturating_add(nanos.div_euclid(1_000_000_000));
        let nanos = nanos.rem_euclid(1_000_000_000) as u32;
        Timestamp { secs, nanos }
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(&self) -> i64 {
        self.secs
            .saturating_mul(1000)
            .saturating_add(i64::from(self.nanos / 1_000_000))
    }

    /// The civil date and time in UTC: (year, month 1..=12, day, hour, minute, second).
    pub fn civil(&self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, rem / 3600, rem / 60 % 60, rem % 60)
    }

    /// Decodes the msgpack timestamp extension (type -1) payload: 4, 8 or 12 bytes.
    pub fn from_msgpack_ext(data: &[u8]) -> Option<Self> {
        match data.len() {
            4 => Some(Timestamp {
                secs: i64::from(u32::from_be_bytes(data.try_into().ok()?)),
                nanos: 0,
            }),
            8 => {
                let v = u64::from_be_bytes(data.try_into().ok()?);
                let nanos = (v >> 34) as u32;
                (nanos < 1_000_000_000).then_some(Timestamp {
                    secs: (v & 0x3_ffff_ffff) as i64,
                    nanos,
                })
            }
            12 => {
                let nanos = u32::from_be_bytes(data[..4].try_into().ok()?);
                let secs = i64::from_be_bytes(data[4..].try_into().ok()?);
                (nanos < 1_000_000_000).then_some(Timestamp { secs, nanos })
            }
            _ => None,
        }
    }
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// RFC 3339 in UTC with nine fractional digits: `2024-05-01T12:00:00.123456789Z`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.civil();
        write!(
            f,
            "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:09}Z",
            self.nanos
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Accepts both encodings the gateway's libraries produce: the `[seconds, nanoseconds]`
/// array of vmihailenco/msgpack v2, and the msgpack timestamp extension of newer libraries.
/// `nil` reads as Go's zero time.
impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TimeVisitor)
    }
}

struct TimeVisitor;

impl<'de> Visitor<'de> for TimeVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a time: [seconds, nanoseconds] or the msgpack timestamp extension")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Timestamp, E> {
        Ok(Timestamp::GO_ZERO)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Timestamp, A::Error> {
        let secs: i64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let nanos: i64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(3, &self));
        }
        Ok(Timestamp::new(secs, nanos))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Timestamp, D::Error> {
        d.deserialize_any(ExtVisitor)
    }
}

/// The extension as rmp-serde hands it over: a sequence of (type tag, payload bytes).
struct ExtVisitor;

impl<'de> Visitor<'de> for ExtVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the msgpack timestamp extension (type -1)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Timestamp, A::Error> {
        let tag: i8 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        if tag != -1 {
            return Err(de::Error::custom(format!(
                "msgpack extension type {tag} is not a timestamp (type -1)"
            )));
        }
        let data: ExtBytes = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        Timestamp::from_msgpack_ext(&data.0).ok_or_else(|| {
            de::Error::custom(format!(
                "a msgpack timestamp extension of {} bytes is invalid (4, 8 or 12 expected, nanoseconds below 1e9)",
                data.0.len()
            ))
        })
    }
}

/// Up to 12 payload bytes, copied so that borrowed and copied input both work.
struct ExtBytes(Vec<u8>);

impl<'de> Deserialize<'de> for ExtBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ExtBytes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("extension bytes")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<ExtBytes, E> {
                Ok(ExtBytes(v.to_vec()))
            }
        }
        d.deserialize_bytes(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rfc3339_with_nanoseconds() {
        let t = Timestamp::new(1_714_564_800, 123_456_789);
        assert_eq!(t.to_string(), "2024-05-01T12:00:00.123456789Z");
        assert_eq!(
            Timestamp::GO_ZERO.to_string(),
            "0001-01-01T00:00:00.000000000Z"
        );
        assert_eq!(
            Timestamp::new(0, 0).to_string(),
            "1970-01-01T00:00:00.000000000Z"
        );
        assert_eq!(
            Timestamp::new(951_782_400, 0).to_string(),
            "2000-02-29T00:00:00.000000000Z"
        );
        assert_eq!(
            Timestamp::new(-1, 0).to_string(),
            "1969-12-31T23:59:59.000000000Z"
        );
    }

    #[test]
    fn normalizes_nanoseconds() {
        assert_eq!(
            Timestamp::new(10, 1_500_000_000),
            Timestamp {
                secs: 11,
                nanos: 500_000_000
            }
        );
        assert_eq!(
            Timestamp::new(10, -1),
            Timestamp {
                secs: 9,
                nanos: 999_999_999
            }
        );
    }

    #[test]
    fn decodes_all_three_extension_sizes() {
        assert_eq!(
            Timestamp::from_msgpack_ext(&1_700_000_000u32.to_be_bytes()),
            Some(Timestamp {
                secs: 1_700_000_000,
                nanos: 0
            })
        );
        let v: u64 = (5u64 << 34) | 1_700_000_000;
        assert_eq!(
            Timestamp::from_msgpack_ext(&v.to_be_bytes()),
            Some(Timestamp {
                secs: 1_700_000_000,
                nanos: 5
            })
        );
        let mut b = 7u32.to_be_bytes().to_vec();
        b.extend_from_slice(&(-5i64).to_be_bytes());
        assert_eq!(
            Timestamp::from_msgpack_ext(&b),
            Some(Timestamp { secs: -5, nanos: 7 })
        );
        assert_eq!(Timestamp::from_msgpack_ext(&[1, 2, 3]), None);
    }
}
