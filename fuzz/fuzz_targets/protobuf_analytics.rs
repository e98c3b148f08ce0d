//! Any bytes as a gateway protobuf analytics record: decoding never panics, and a record
//! that decodes encodes as Tyk JSON and as msgpack, which decodes again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pump_record::gateway::encode_analytics;
use pump_record::{decode_analytics, decode_analytics_protobuf};

fuzz_target!(|data: &[u8]| {
    let Ok(record) = decode_analytics_protobuf(data) else {
        return;
    };
    serde_json::to_vec(&record).expect("a decoded record encodes as JSON");
    let mut msgpack = Vec::new();
    encode_analytics(&record, &mut msgpack);
    decode_analytics(&msgpack).expect("a record encoded as msgpack decodes");
});
