//! A free-form msgpack value as JSON: the elements of a GraphQL error's `Path` (field names
//! and list indexes, but the gateway types them `[]any`).
//!
//! Follows what serde_json's `Value` made of rmp-serde's events: bin and extension values
//! are refused, non-finite floats become null, the first key of a map must be a str (later
//! ones may be bin), and a repeated key keeps its last value. Recursion is bounded by the
//! reader's depth limit.

use super::error::{Error, Result};
use super::reader::{Int, Reader, utf8};
use serde_json::{Map, Number, Value};

pub(super) fn read(r: &mut Reader<'_>) -> Result<Value> {
    let start = r.pos();
    let m = r.byte()?;
    match m {
        0xc0 => return Ok(Value::Null),
        0xc2 => return Ok(Value::Bool(false)),
        0xc3 => return Ok(Value::Bool(true)),
        0xca => {
            let v = f32::from_be_bytes(array(r)?);
            return Ok(float(f64::from(v)));
        }
        0xcb => return Ok(float(f64::from_be_bytes(array(r)?))),
        0xc4..=0xc6 => return Err(r.invalid_type(start, "any valid JSON value")),
        _ => {}
    }
    if let Some(int) = r.int_after(m)? {
        return Ok(Value::Number(match int {
            Int::Unsigned(v) => Number::from(v),
            Int::Signed(v) => Number::from(v),
        }));
    }
    if let Some(bytes) = r.raw_str_after(m)? {
        return Ok(Value::String(utf8(bytes)?.to_owned()));
    }
    if let Some(n) = r.array_len_after(m)? {
        r.enter()?;
        let mut items = Vec::with_capacity(n.min(r.remaining()));
        for i in 0..n {
            items.push(read(r).map_err(|e| e.in_element(i))?);
        }
        r.leave();
        return Ok(Value::Array(items));
    }
    if let Some(n) = r.map_len_after(m)? {
        r.enter()?;
        let mut map = Map::new();
        for i in 0..n {
            let key_start = r.pos();
            let km = r.byte()?;
            // serde_json asks for the first key as a str and for the others as a String,
            // which rmp-serde also makes of valid UTF-8 bin.
            let key = match r.raw_str_after(km)? {
                Some(bytes) if i > 0 || !matches!(km, 0xc4..=0xc6) => utf8(bytes)?,
                _ => return Err(r.invalid_type(key_start, "a string key")),
            };
            let value = read(r).map_err(|e| e.in_unknown_key(key.as_bytes()))?;
            map.insert(key.to_owned(), value);
        }
        r.leave();
        return Ok(Value::Object(map));
    }
    Err(r.invalid_type(start, "any valid JSON value"))
}

fn array<const N: usize>(r: &mut Reader<'_>) -> Result<[u8; N]> {
    r.take(N)?.try_into().map_err(|_| Error::eof())
}

fn float(v: f64) -> Value {
    Number::from_f64(v).map_or(Value::Null, Value::Number)
}
