//! The gateway encoder: its exact layout, round trips through the decoders, and the
//! decoders' robustness against damaged copies of what it writes.

use pump_record::gateway::{encode_analytics, encode_analytics_protobuf, encode_uptime};
use pump_record::{
    AnalyticsRecord, City, Country, Geo, GraphError, GraphQLStats, Latency, Location, McpStats,
    Network, Timestamp, UptimeRecord, decode_analytics, decode_analytics_protobuf, decode_uptime,
};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Declaration order of tyk-pump's `analytics.AnalyticsRecord`, which the gateway encodes.
const GO_KEYS: [&str; 35] = [
    "Method",
    "Host",
    "Path",
    "RawPath",
    "ContentLength",
    "UserAgent",
    "Day",
    "Month",
    "Year",
    "Hour",
    "ResponseCode",
    "APIKey",
    "TimeStamp",
    "APIVersion",
    "APIName",
    "APIID",
    "OrgID",
    "OauthID",
    "RequestTime",
    "RawRequest",
    "RawResponse",
    "IPAddress",
    "Geo",
    "Network",
    "Latency",
    "Tags",
    "Alias",
    "TrackPath",
    "ExpireAt",
    "ApiSchema",
    "OriginalPath",
    "ListenPath",
    "GraphQLStats",
    "MCPStats",
    "CollectionName",
];

fn sample() -> AnalyticsRecord<'static> {
    AnalyticsRecord {
        method: "POST".into(),
        host: "api.example.com".into(),
        path: "/graphql".into(),
        raw_path: "/graphql?debug=1".into(),
        content_length: 70_000,
        user_agent: "Mozilla/5.0 (X11; Linux x86_64) — ünïcødé 🦀".into(),
        day: 1,
        month: 5,
        year: 2024,
        hour: 12,
        response_code: 500,
        api_key: "00000000000000000000000000000000".into(),
        timestamp: Timestamp::new(1_714_564_800, 123_456_789),
        api_version: "v2".into(),
        api_name: "Users".into(),
        api_id: "41433797848f41a558c1573d3e55a410".into(),
        org_id: "5e9d9544a1dcd60001d0ed20".into(),
        oauth_id: "client-1".into(),
        request_time: 42,
        raw_request: "UE9TVCAvZ3JhcGhxbCBIVFRQLzEuMQ0KSG9zdDogYXBpLmV4YW1wbGUuY29tDQoNCg==".into(),
        raw_response: "x".repeat(300).into(),
        ip_address: "2001:db8::1".into(),
        geo: Geo {
            country: Country {
                iso_code: "JP".into(),
            },
            city: City {
                geoname_id: 1_850_147,
                names: Some(BTreeMap::from([
                    ("en".into(), "Tokyo".into()),
                    ("ja".into(), "東京".into()),
                ])),
            },
            location: Location {
                latitude: 35.6895,
                longitude: 139.6917,
                time_zone: "Asia/Tokyo".into(),
            },
        },
        network: Network {
            open_connections: 3,
            closed_connections: 1,
            bytes_in: 70_000,
            bytes_out: 5_000_000_000,
        },
        latency: Latency {
            total: 42,
            upstream: 40,
            gateway: 2,
        },
        tags: Some(vec!["key-1".into(), "org-x".into()]),
        alias: "alice".into(),
        track_path: true,
        expire_at: Timestamp::new(1_715_169_600, 0),
        api_schema: "c2NoZW1h".into(),
        original_path: "/graphql".into(),
        listen_path: "/graphql/".into(),
        graphql_stats: GraphQLStats {
            variables: "{\"id\":-1}".into(),
            root_fields: Some(vec!["user".into()]),
            types: Some(BTreeMap::from([
                ("User".to_string(), Some(vec!["id".to_string()])),
                ("Empty".to_string(), None),
            ])),
            errors: Some(vec![GraphError {
                message: "boom".into(),
                path: Some(vec![serde_json::json!("user"), serde_json::json!(-3)]),
            }]),
            operation_type: 2,
            has_errors: true,
            is_graphql: true,
        },
        mcp_stats: McpStats {
            is_mcp: true,
            jsonrpc_method: "tools/call".into(),
            primitive_type: "tool".into(),
            primitive_name: "search".into(),
        },
        collection_name: "z_tyk_analyticz_x".into(),
    }
}

fn uptime_sample() -> UptimeRecord<'static> {
    UptimeRecord {
        id: "check-1".into(),
        url: "https://upstream.example/health".into(),
        request_time: 1500,
        response_code: -1,
        tcp_error: true,
        server_error: false,
        day: 31,
        month: 12,
        year: 2023,
        hour: 23,
        minute: 59,
        timestamp: Timestamp::new(1_704_067_199, 5),
        expire_at: Timestamp::GO_ZERO,
        api_id: "api-1".into(),
        org_id: "org-1".into(),
    }
}

/// The top-level keys of a msgpack map whose keys are fixstr, in order, skipping values
/// with the decoder's help: each value is decoded alone from a one-entry map.
fn top_level_keys(bytes: &[u8]) -> Vec<String> {
    let mut keys = Vec::new();
    let (count, mut p) = match bytes[0] {
        m @ 0x80..=0x8f => (usize::from(m & 0x0f), 1),
        0xde => (usize::from(u16::from_be_bytes([bytes[1], bytes[2]])), 3),
        m => panic!("not a map: {m:#x}"),
    };
    for _ in 0..count {
        let len = usize::from(bytes[p] & 0x1f);
        assert_eq!(bytes[p] & 0xe0, 0xa0, "key is a fixstr");
        keys.push(String::from_utf8(bytes[p + 1..p + 1 + len].to_vec()).unwrap());
        p += 1 + len;
        p += value_len(&bytes[p..]);
    }
    assert_eq!(p, bytes.len());
    keys
}

/// Length of the msgpack value at the start of `b` (only the forms the encoder writes).
fn value_len(b: &[u8]) -> usize {
    let be = |n: usize| {
        b[1..1 + n]
            .iter()
            .fold(0usize, |a, &x| a << 8 | usize::from(x))
    };
    let seq = |header: usize, items: usize| {
        let mut p = header;
        for _ in 0..items {
            p += value_len(&b[p..]);
        }
        p
    };
    match b[0] {
        0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => 1,
        m @ 0x80..=0x8f => seq(1, 2 * usize::from(m & 0x0f)),
        m @ 0x90..=0x9f => seq(1, usize::from(m & 0x0f)),
        m @ 0xa0..=0xbf => 1 + usize::from(m & 0x1f),
        0xd9 => 2 + be(1),
        0xda => 3 + be(2),
        0xcc | 0xd0 => 2,
        0xcd | 0xd1 => 3,
        0xce | 0xd2 => 5,
        0xcb | 0xcf | 0xd3 => 9,
        0xdc => seq(3, be(2)),
        0xde => seq(3, 2 * be(2)),
        m => panic!("unexpected marker {m:#x}"),
    }
}

#[test]
fn analytics_starts_with_map16_of_35_keys_in_go_declaration_order() {
    let mut out = Vec::new();
    encode_analytics(&sample(), &mut out);
    assert_eq!(out[..3], [0xde, 0x00, 0x23]);
    assert_eq!(top_level_keys(&out), GO_KEYS);
    let mut out = Vec::new();
    encode_analytics(&AnalyticsRecord::default(), &mut out);
    assert_eq!(top_level_keys(&out), GO_KEYS);
}

#[test]
fn analytics_bytes_match_vmihailenco_v2_for_a_small_record() {
    let r = AnalyticsRecord {
        method: "GET".into(),
        response_code: 200,
        content_length: -1,
        request_time: 70_000,
        timestamp: Timestamp::new(1_714_564_800, 5),
        geo: Geo {
            city: City {
                geoname_id: 300,
                names: None,
            },
            location: Location {
                latitude: 1.5,
                ..Default::default()
            },
            ..Default::default()
        },
        tags: Some(vec![]),
        graphql_stats: GraphQLStats {
            errors: Some(vec![GraphError {
                message: "m".into(),
                path: None,
            }]),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut out = Vec::new();
    encode_analytics(&r, &mut out);

    let mut want: Vec<u8> = vec![0xde, 0x00, 0x23];
    let key = |want: &mut Vec<u8>, k: &str| {
        want.push(0xa0 | k.len() as u8);
        want.extend_from_slice(k.as_bytes());
    };
    let zero_time = [
        &[0x92, 0xd3][..],
        &(-62_135_596_800i64).to_be_bytes(),
        &[0x00],
    ]
    .concat();
    for k in GO_KEYS {
        key(&mut want, k);
        match k {
            "Method" => want.extend_from_slice(&[0xa3, b'G', b'E', b'T']),
            "ResponseCode" => want.extend_from_slice(&[0xcc, 200]),
            "ContentLength" => want.push(0xff),
            "RequestTime" => want.extend_from_slice(&[0xce, 0x00, 0x01, 0x11, 0x70]),
            "TimeStamp" => {
                want.extend_from_slice(&[0x92, 0xce]);
                want.extend_from_slice(&1_714_564_800u32.to_be_bytes());
                want.push(0x05);
            }
            "ExpireAt" => want.extend_from_slice(&zero_time),
            "Day" | "Month" | "Year" | "Hour" => want.push(0x00),
            "Geo" => {
                want.push(0x83);
                key(&mut want, "Country");
                want.push(0x81);
                key(&mut want, "ISOCode");
                want.push(0xa0);
                key(&mut want, "City");
                want.push(0x82);
                key(&mut want, "GeoNameID");
                want.extend_from_slice(&[0xcd, 0x01, 0x2c]);
                key(&mut want, "Names");
                want.push(0xc0);
                key(&mut want, "Location");
                want.push(0x83);
                key(&mut want, "Latitude");
                want.push(0xcb);
                want.extend_from_slice(&1.5f64.to_be_bytes());
                key(&mut want, "Longitude");
                want.push(0xcb);
                want.extend_from_slice(&0f64.to_be_bytes());
                key(&mut want, "TimeZone");
                want.push(0xa0);
            }
            "Network" => {
                want.push(0x84);
                for k in ["OpenConnections", "ClosedConnection", "BytesIn", "BytesOut"] {
                    key(&mut want, k);
                    want.push(0x00);
                }
            }
            "Latency" => {
                want.push(0x83);
                for k in ["Total", "Upstream", "Gateway"] {
                    key(&mut want, k);
                    want.push(0x00);
                }
            }
            "Tags" => want.push(0x90),
            "TrackPath" => want.push(0xc2),
            "GraphQLStats" => {
                want.push(0x87);
                key(&mut want, "Variables");
                want.push(0xa0);
                key(&mut want, "RootFields");
                want.push(0xc0);
                key(&mut want, "Types");
                want.push(0xc0);
                key(&mut want, "Errors");
                want.extend_from_slice(&[0x91, 0x82]);
                key(&mut want, "Message");
                want.extend_from_slice(&[0xa1, b'm']);
                key(&mut want, "Path");
                want.push(0xc0);
                key(&mut want, "OperationType");
                want.push(0x00);
                key(&mut want, "HasErrors");
                want.push(0xc2);
                key(&mut want, "IsGraphQL");
                want.push(0xc2);
            }
            "MCPStats" => {
                want.push(0x84);
                key(&mut want, "IsMCP");
                want.push(0xc2);
                for k in ["JSONRPCMethod", "PrimitiveType", "PrimitiveName"] {
                    key(&mut want, k);
                    want.push(0xa0);
                }
            }
            // Every other field is an empty string.
            _ => want.push(0xa0),
        }
    }
    assert_eq!(out, want);
}

#[test]
fn long_strings_take_str8_and_str16_like_the_gateway() {
    let r = AnalyticsRecord {
        method: "m".repeat(31).into(),
        host: "h".repeat(32).into(),
        path: "p".repeat(256).into(),
        ..Default::default()
    };
    let mut out = Vec::new();
    encode_analytics(&r, &mut out);
    let find = |prefix: &[u8]| out.windows(prefix.len()).any(|w| w == prefix);
    assert!(find(&[
        0xa6, b'M', b'e', b't', b'h', b'o', b'd', 0xbf, b'm'
    ]));
    assert!(find(&[0xa4, b'H', b'o', b's', b't', 0xd9, 32, b'h']));
    assert!(find(&[
        0xa4, b'P', b'a', b't', b'h', 0xda, 0x01, 0x00, b'p'
    ]));
}

#[test]
fn uptime_bytes_match_vmihailenco_v2() {
    let mut out = Vec::new();
    encode_uptime(&uptime_sample(), &mut out);
    let mut want = vec![0x8f];
    let mut put = |k: &str, v: &[u8]| {
        want.push(0xa0 | k.len() as u8);
        want.extend_from_slice(k.as_bytes());
        want.extend_from_slice(v);
    };
    put("ID", b"\xa7check-1");
    put("URL", b"\xbfhttps://upstream.example/health");
    put("RequestTime", &[0xcd, 0x05, 0xdc]);
    put("ResponseCode", &[0xff]);
    put("TCPError", &[0xc3]);
    put("ServerError", &[0xc2]);
    put("Day", &[31]);
    put("Month", &[12]);
    put("Year", &[0xcd, 0x07, 0xe7]);
    put("Hour", &[23]);
    put("Minute", &[59]);
    put(
        "TimeStamp",
        &[&[0x92, 0xce][..], &1_704_067_199u32.to_be_bytes(), &[5]].concat(),
    );
    put(
        "ExpireAt",
        &[&[0x92, 0xd3][..], &(-62_135_596_800i64).to_be_bytes(), &[0]].concat(),
    );
    put("APIID", b"\xa5api-1");
    put("OrgID", b"\xa5org-1");
    assert_eq!(out, want);
}

#[test]
fn analytics_round_trips_through_msgpack() {
    let r = sample();
    let mut out = Vec::new();
    encode_analytics(&r, &mut out);
    let back = decode_analytics(&out).unwrap();
    assert_eq!(back, r);
    assert!(matches!(back.raw_response, Cow::Borrowed(_)));

    let mut out = Vec::new();
    encode_analytics(&AnalyticsRecord::default(), &mut out);
    assert_eq!(decode_analytics(&out).unwrap(), AnalyticsRecord::default());
}

#[test]
fn uptime_round_trips_through_msgpack() {
    let r = uptime_sample();
    let mut out = Vec::new();
    encode_uptime(&r, &mut out);
    assert_eq!(decode_uptime(&out).unwrap(), r);
}

#[test]
fn analytics_round_trips_through_protobuf_minus_what_protobuf_cannot_carry() {
    let r = sample();
    let mut out = Vec::new();
    encode_analytics_protobuf(&r, &mut out);
    let back = decode_analytics_protobuf(&out).unwrap();

    let mut want = r;
    want.latency.gateway = 0;
    want.collection_name = "".into();
    want.graphql_stats.errors = Some(vec![GraphError {
        message: "boom".into(),
        path: None,
    }]);
    assert_eq!(back, want);
}

/// A tiny xorshift generator: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn every_prefix_of_a_record_is_an_error_not_a_panic() {
    let mut out = Vec::new();
    encode_analytics(&sample(), &mut out);
    for cut in 0..out.len() {
        let e = decode_analytics(&out[..cut]).unwrap_err().to_string();
        assert!(e.starts_with("msgpack: "), "cut {cut}: {e}");
    }
    let mut out = Vec::new();
    encode_uptime(&uptime_sample(), &mut out);
    for cut in 0..out.len() {
        assert!(decode_uptime(&out[..cut]).is_err(), "cut {cut}");
    }
    // Protobuf has no framing, so some prefixes are valid messages; none may panic.
    let mut out = Vec::new();
    encode_analytics_protobuf(&sample(), &mut out);
    for cut in 0..out.len() {
        let _ = decode_analytics_protobuf(&out[..cut]);
    }
}

#[test]
fn random_damage_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut msgpack = Vec::new();
    encode_analytics(&sample(), &mut msgpack);
    let mut uptime = Vec::new();
    encode_uptime(&uptime_sample(), &mut uptime);
    let mut proto = Vec::new();
    encode_analytics_protobuf(&sample(), &mut proto);

    let mut decoded = 0;
    for _ in 0..3000 {
        for (i, original) in [&msgpack, &uptime, &proto].into_iter().enumerate() {
            let mut bytes = original.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len());
                match rng.below(3) {
                    0 => bytes[at] ^= 1 << rng.below(8),
                    1 => bytes[at] = rng.next() as u8,
                    _ => bytes.insert(at, rng.next() as u8),
                }
            }
            let ok = match i {
                0 => decode_analytics(&bytes).is_ok(),
                1 => decode_uptime(&bytes).is_ok(),
                _ => decode_analytics_protobuf(&bytes).is_ok(),
            };
            decoded += usize::from(ok);
        }
        // Pure noise, too.
        let noise: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
        let _ = decode_analytics(&noise);
        let _ = decode_uptime(&noise);
        let _ = decode_analytics_protobuf(&noise);
    }
    // Some damage (inside a string body, say) still decodes: the test did reach the decoders.
    assert!(decoded > 0);
}
