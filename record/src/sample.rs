//! A realistic gateway record, shared by the workspace's benchmarks so that their figures
//! are about the same input.

use crate::{AnalyticsRecord, City, Country, Geo, Latency, Location, Network, Timestamp};
use base64::Engine;
use std::collections::BTreeMap;

/// A GET with detailed recording: the raw request and response are base64 of a few hundred
/// bytes each, as the gateway stores them.
pub fn detailed_get() -> AnalyticsRecord<'static> {
    let request = "GET /users/42?expand=orders HTTP/1.1\r\nHost: api.example.com\r\n\
        User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\r\n\
        Accept: application/json\r\nAuthorization: 5e9d9544a1dcd60001d0ed2000000000\r\n\r\n";
    let response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 96\r\n\r\n\
        {\"id\":42,\"name\":\"Ada Lovelace\",\"email\":\"ada@example.com\",\
        \"orders\":[{\"id\":1,\"total\":12.5}]}";
    AnalyticsRecord {
        method: "GET".into(),
        host: "api.example.com".into(),
        path: "/users/42".into(),
        raw_path: "/users/42?expand=orders".into(),
        content_length: 0,
        user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36".into(),
        day: 1,
        month: 5,
        year: 2024,
        hour: 12,
        response_code: 200,
        api_key: "5e9d9544a1dcd60001d0ed2000000000".into(),
        timestamp: Timestamp::new(1_714_564_800, 123_456_789),
        api_version: "Default".into(),
        api_name: "Users API".into(),
        api_id: "41433797848f41a558c1573d3e55a410".into(),
        org_id: "5e9d9544a1dcd60001d0ed20".into(),
        request_time: 23,
        raw_request: base64(request.as_bytes()).into(),
        raw_response: base64(response.as_bytes()).into(),
        ip_address: "203.0.113.7".into(),
        geo: Geo {
            country: Country {
                iso_code: "GB".into(),
            },
            city: City {
                geoname_id: 2_643_743,
                names: Some(BTreeMap::from([
                    ("en".into(), "London".into()),
                    ("de".into(), "London".into()),
                    ("ja".into(), "ロンドン".into()),
                ])),
            },
            location: Location {
                latitude: 51.5085,
                longitude: -0.1257,
                time_zone: "Europe/London".into(),
            },
        },
        network: Network::default(),
        latency: Latency {
            total: 23,
            upstream: 20,
            gateway: 3,
        },
        tags: Some(vec![
            "key-5e9d9544a1dcd60001d0ed2000000000".into(),
            "org-5e9d9544a1dcd60001d0ed20".into(),
            "api-41433797848f41a558c1573d3e55a410".into(),
        ]),
        alias: "ada".into(),
        track_path: true,
        expire_at: Timestamp::new(1_715_169_600, 123_456_789),
        original_path: "/users/42".into(),
        listen_path: "/users/".into(),
        ..Default::default()
    }
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
