//! Any bytes as a gateway msgpack analytics record: decoding never panics, and a record
//! that decodes goes through everything the pump does with one (Tyk JSON, re-encoding as
//! msgpack and protobuf, field lookups, shaping) without panicking. Re-encoding is stable:
//! the record encoded, decoded and encoded again gives the same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pump_record::gateway::{encode_analytics, encode_analytics_protobuf};
use pump_record::{
    decode_analytics, decode_analytics_protobuf, decode_base64_in_place, lookup_i64, lookup_str,
    truncate_utf8,
};

fuzz_target!(|data: &[u8]| {
    let _ = lookup_str(data, b"OrgID");
    let _ = lookup_i64(data, b"ResponseCode");
    let Ok(record) = decode_analytics(data) else {
        return;
    };
    serde_json::to_vec(&record).expect("a decoded record encodes as JSON");

    let mut once = Vec::new();
    encode_analytics(&record, &mut once);
    let again = decode_analytics(&once).expect("a re-encoded record decodes");
    let mut twice = Vec::new();
    encode_analytics(&again, &mut twice);
    assert_eq!(once, twice, "re-encoding is stable");

    let mut proto = Vec::new();
    encode_analytics_protobuf(&record, &mut proto);
    decode_analytics_protobuf(&proto).expect("a record encoded as protobuf decodes");

    let mut shaped = record.clone();
    decode_base64_in_place(&mut shaped.raw_request);
    decode_base64_in_place(&mut shaped.raw_response);
    let cut = data.first().copied().unwrap_or(0) as usize;
    truncate_utf8(&mut shaped.raw_request, cut);
    truncate_utf8(&mut shaped.raw_response, cut);
    serde_json::to_vec(&shaped).expect("a shaped record encodes as JSON");
});
