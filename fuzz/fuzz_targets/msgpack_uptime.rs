//! Any bytes as a gateway msgpack uptime record: decoding never panics, and a record that
//! decodes encodes as Tyk JSON and re-encodes as msgpack stably.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pump_record::decode_uptime;
use pump_record::gateway::encode_uptime;

fuzz_target!(|data: &[u8]| {
    let Ok(record) = decode_uptime(data) else {
        return;
    };
    serde_json::to_vec(&record).expect("a decoded record encodes as JSON");
    let mut once = Vec::new();
    encode_uptime(&record, &mut once);
    let again = decode_uptime(&once).expect("a re-encoded record decodes");
    let mut twice = Vec::new();
    encode_uptime(&again, &mut twice);
    assert_eq!(once, twice, "re-encoding is stable");
});
