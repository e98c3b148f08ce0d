//! Reading one top-level field of an encoded record without decoding the rest: what a
//! filter that routes on `OrgID` or `ResponseCode` needs, at the cost of skipping the other
//! values rather than building them.

use super::reader::{Key, Reader};
use super::{DecodeError, skip};
use std::borrow::Cow;

/// The value of the top-level key `name` of the record `bytes`, read as a string;
/// `Ok(None)` when the record has no such key.
pub fn lookup_str<'a>(bytes: &'a [u8], name: &[u8]) -> Result<Option<Cow<'a, str>>, DecodeError> {
    lookup(bytes, name, |r| r.str())
}

/// The value of the top-level key `name` of the record `bytes`, read as an integer;
/// `Ok(None)` when the record has no such key.
pub fn lookup_i64(bytes: &[u8], name: &[u8]) -> Result<Option<i64>, DecodeError> {
    lookup(bytes, name, |r| r.i64())
}

fn lookup<'a, T>(
    bytes: &'a [u8],
    name: &[u8],
    read: impl FnOnce(&mut Reader<'a>) -> super::error::Result<T>,
) -> Result<Option<T>, DecodeError> {
    let field = || String::from_utf8_lossy(name).into_owned();
    let mut r = Reader::new(bytes);
    let fail = |e: super::error::Error| e.into_decode_error();
    let m = r.byte().map_err(fail)?;
    let Some(n) = r.map_len_after(m).map_err(fail)? else {
        return Err(DecodeError::msgpack("expected a map"));
    };
    r.enter().map_err(fail)?;
    for _ in 0..n {
        match r.key().map_err(fail)? {
            Key::Name(k) if k == name => {
                return read(&mut r)
                    .map(Some)
                    .map_err(|e| match e.into_decode_error() {
                        DecodeError::Msgpack { message, .. } => DecodeError::Msgpack {
                            message,
                            field: Some(field()),
                        },
                        other => other,
                    });
            }
            _ => skip::value(&mut r).map_err(fail)?,
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AnalyticsRecord;
    use crate::gateway::encode_analytics;

    #[test]
    fn reads_one_field_of_a_gateway_record() {
        let record = AnalyticsRecord {
            org_id: "org-1".into(),
            response_code: 503,
            ..Default::default()
        };
        let mut bytes = Vec::new();
        encode_analytics(&record, &mut bytes);
        assert_eq!(
            lookup_str(&bytes, b"OrgID").unwrap().as_deref(),
            Some("org-1")
        );
        assert_eq!(lookup_i64(&bytes, b"ResponseCode").unwrap(), Some(503));
        assert_eq!(lookup_str(&bytes, b"NoSuchKey").unwrap(), None);
    }

    #[test]
    fn names_the_field_whose_value_is_wrong() {
        let mut bytes = Vec::new();
        encode_analytics(&AnalyticsRecord::default(), &mut bytes);
        let err = lookup_i64(&bytes, b"OrgID").unwrap_err();
        assert!(err.to_string().contains("OrgID"), "{err}");
        assert!(lookup_str(b"\x92\x01\x02", b"OrgID").is_err());
        assert!(lookup_str(b"", b"OrgID").is_err());
    }
}
