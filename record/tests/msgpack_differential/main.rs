//! The hand-written msgpack decoder against rmp-serde with the types' serde derives, on
//! thousands of generated records: both must accept the same inputs and decode them to the
//! same values. This keeps the decoder faithful to what the pump accepted before it, and the
//! derives (which other code may use) honest too.
//!
//! The generator writes what gateways and other encoders write (every integer width, both
//! time encodings, nil and empty lists, any key order, unknown keys), and, in "odd" and
//! "bad" records, what serde happened to accept or refuse: field indexes as keys, structs
//! as arrays or bin, repeated keys, wrong types, invalid UTF-8, nesting around the depth
//! limit, damage.
//!
//! `schema` lists the fields of each record, `generator` writes scalars and `shapes` the
//! structs, lists and free-form values around them.

mod generator;
mod schema;
mod shapes;

use generator::{Gen, Mode};
use pump_record::{AnalyticsRecord, UptimeRecord, decode_analytics, decode_uptime};
use schema::{ANALYTICS, UPTIME};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::borrow::Cow;

/// What decoding did before the hand-written decoder: rmp-serde through the derives, with
/// the same depth limit and map-only top level.
///
/// One difference on purpose: the old trailing-bytes check took running out of input
/// anywhere in a value after the record for a clean end, so a record followed by a stray
/// `0x81` or `0x91` passed. Any byte after the record is an error now, and here.
fn reference<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    if !matches!(bytes.first(), Some(0x80..=0x8f | 0xde | 0xdf)) {
        return Err("not a map".into());
    }
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    de.set_max_depth(64);
    let value = T::deserialize(&mut de).map_err(|e| e.to_string())?;
    // The borrowing deserializer does not tell its position; a reading one walks the same
    // value and does.
    let mut walk = rmp_serde::Deserializer::new(std::io::Cursor::new(bytes));
    walk.set_max_depth(64);
    IgnoredAny::deserialize(&mut walk).map_err(|e| e.to_string())?;
    match walk.position() == bytes.len() as u64 {
        true => Ok(value),
        false => Err("trailing bytes".into()),
    }
}

fn check<'a, T>(bytes: &'a [u8], new: Result<T, pump_record::DecodeError>, what: &str)
where
    T: Deserialize<'a> + PartialEq + std::fmt::Debug,
{
    if let Err(e) = &new {
        assert!(e.to_string().starts_with("msgpack: "), "{what}: {e}");
    }
    let old = reference::<T>(bytes);
    match (&new, &old) {
        (Ok(n), Ok(o)) => assert_eq!(n, o, "{what}: values differ for {bytes:02x?}"),
        (Err(_), Err(_)) => {}
        _ => panic!("{what}: new {new:?}, serde {old:?}, for {bytes:02x?}"),
    }
}

/// Decoded and refused records per mode (plain, odd, bad).
type Tally = [[usize; 2]; 3];

fn mode_of(i: usize) -> Mode {
    match i % 4 {
        0 | 1 => Mode::Plain,
        2 => Mode::Odd,
        _ => Mode::Bad,
    }
}

#[test]
fn analytics_records_decode_as_serde_decoded_them() {
    let mut g = Gen::new(0x2545_f491_4f6c_dd1d);
    let mut tally = Tally::default();
    for i in 0..8000 {
        g.mode = mode_of(i);
        let bytes = g.record(ANALYTICS);
        let new = decode_analytics(&bytes);
        if let Ok(r) = &new {
            // A missing field keeps `Cow`'s default, an empty owned string (no allocation).
            let borrowed = matches!(r.method, Cow::Borrowed(_)) || r.method.is_empty();
            assert!(borrowed, "strings are borrowed");
        }
        tally[g.mode as usize][usize::from(new.is_err())] += 1;
        check::<AnalyticsRecord>(&bytes, new, &format!("analytics record {i}"));
    }
    assert_exercised(tally);
}

#[test]
fn uptime_records_decode_as_serde_decoded_them() {
    let mut g = Gen::new(0x9e37_79b9_7f4a_7c15);
    let mut tally = Tally::default();
    for i in 0..4000 {
        g.mode = mode_of(i);
        let bytes = g.record(UPTIME);
        let new = decode_uptime(&bytes);
        tally[g.mode as usize][usize::from(new.is_err())] += 1;
        check::<UptimeRecord>(&bytes, new, &format!("uptime record {i}"));
    }
    assert_exercised(tally);
}

/// Plain records nearly all decode, odd ones mostly do, bad ones go both ways: the
/// comparison covered values as well as refusals in every mode.
fn assert_exercised(tally: Tally) {
    let [
        [plain_ok, plain_failed],
        [odd_ok, odd_failed],
        [bad_ok, bad_failed],
    ] = tally;
    let why = format!("{tally:?}");
    assert!(plain_failed * 50 < plain_ok, "{why}");
    assert!(odd_failed * 3 < odd_ok && odd_failed > 0, "{why}");
    assert!(bad_ok * 5 > bad_failed && bad_failed * 5 > bad_ok, "{why}");
}
