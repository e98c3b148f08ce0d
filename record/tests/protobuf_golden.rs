//! The protobuf decoder and encoder against messages spelled out tag by tag
//! (TYK-FORMAT.md §3, Tyk's `analytics.proto`).

use pump_record::gateway::encode_analytics_protobuf;
use pump_record::{
    AnalyticsRecord, GraphError, GraphQLStats, Latency, McpStats, Network, Timestamp,
    decode_analytics_protobuf,
};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Writes protobuf one field at a time, so the tests show the wire format.
#[derive(Default, Clone)]
struct P(Vec<u8>);

const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;

impl P {
    fn new() -> Self {
        P::default()
    }
    fn raw(mut self, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(bytes);
        self
    }
    fn varint(mut self, mut v: u64) -> Self {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
        self
    }
    fn key(self, field: u32, wire: u8) -> Self {
        self.varint(u64::from(field << 3 | u32::from(wire)))
    }
    /// int32 and int64 alike: negative values are sign-extended to ten bytes.
    fn int(self, field: u32, v: i64) -> Self {
        self.key(field, VARINT).varint(v as u64)
    }
    fn bool(self, field: u32, v: bool) -> Self {
        self.key(field, VARINT).varint(v.into())
    }
    fn double(self, field: u32, v: f64) -> Self {
        self.key(field, FIXED64).raw(&v.to_le_bytes())
    }
    fn str(self, field: u32, s: &str) -> Self {
        self.key(field, LEN)
            .varint(s.len() as u64)
            .raw(s.as_bytes())
    }
    fn msg(self, field: u32, m: P) -> Self {
        self.key(field, LEN).varint(m.0.len() as u64).raw(&m.0)
    }
    /// google.protobuf.Timestamp.
    fn time(self, field: u32, secs: i64, nanos: i32) -> Self {
        self.msg(field, P::new().int(1, secs).int(2, nanos.into()))
    }
}

const SECS: i64 = 1_714_564_800;
const GO_ZERO_SECS: i64 = -62_135_596_800;

#[test]
fn the_builder_writes_the_documented_tags() {
    // Host = 1, string: key 0x0a. Tags = 25, string: key 202 = varint ca 01.
    assert_eq!(P::new().str(1, "h").0, [0x0a, 0x01, b'h']);
    assert_eq!(P::new().str(25, "t").0, [0xca, 0x01, 0x01, b't']);
    // ResponseCode = 11, int32 -1: key 0x58 then ten bytes.
    assert_eq!(
        P::new().int(11, -1).0,
        [
            0x58, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
        ]
    );
}

#[test]
fn hand_built_record_decodes_field_by_field() {
    let city = P::new()
        .msg(1, P::new().str(1, "de").str(2, "Zürich"))
        .msg(1, P::new().str(1, "en").str(2, "Zurich"))
        .int(2, 2_657_896);
    let geo = P::new().msg(1, P::new().str(1, "CH")).msg(2, city).msg(
        3,
        P::new()
            .double(1, 47.3769)
            .double(2, 8.5417)
            .str(3, "Europe/Zurich"),
    );
    let graphql = P::new()
        .bool(1, true)
        .msg(
            2,
            P::new()
                .str(1, "User")
                .msg(2, P::new().str(1, "id").str(1, "name")),
        )
        .int(3, 2)
        .str(4, "{\"id\":1}")
        .str(5, "updateUser")
        .bool(6, true)
        .str(7, "boom")
        .str(7, "bang");
    let bytes = P::new()
        .str(1, "example.com")
        .str(2, "POST")
        .str(3, "/users/1")
        .str(4, "/users/1?x=1")
        .int(5, 1234)
        .str(6, "curl/8")
        .int(7, 1)
        .int(8, 5)
        .int(9, 2024)
        .int(10, 12)
        .int(11, -1)
        .str(12, "key-1")
        .time(13, SECS, 500)
        .str(14, "v1")
        .str(15, "Users")
        .str(16, "api-1")
        .str(17, "org-1")
        .int(18, 70_000)
        .msg(19, P::new().int(1, 12).int(2, 10))
        .str(20, "UkVR")
        .str(21, "UkVTUA==")
        .str(22, "10.0.0.1")
        .msg(23, geo)
        .msg(24, P::new().int(1, 1).int(2, 2).int(3, 300).int(4, 70_000))
        .str(25, "key-1")
        .str(25, "東京")
        .str(26, "alias")
        .bool(27, true)
        .time(28, SECS + 86_400, 0)
        .str(29, "oauth-1")
        .str(30, "Europe/Zurich")
        .str(31, "c2NoZW1h")
        .msg(32, graphql)
        .msg(
            33,
            P::new()
                .bool(1, true)
                .str(2, "tools/call")
                .str(3, "tool")
                .str(4, "search"),
        )
        .str(34, "/users/{id}")
        .str(35, "/users/");
    let r = decode_analytics_protobuf(&bytes.0).unwrap();
    assert_eq!(r.host, "example.com");
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/users/1");
    assert_eq!(r.raw_path, "/users/1?x=1");
    assert_eq!(r.content_length, 1234);
    assert_eq!(r.user_agent, "curl/8");
    assert_eq!((r.day, r.month, r.year, r.hour), (1, 5, 2024, 12));
    assert_eq!(r.response_code, -1);
    assert_eq!(r.api_key, "key-1");
    assert_eq!(r.timestamp, Timestamp::new(SECS, 500));
    assert_eq!((&*r.api_version, &*r.api_name), ("v1", "Users"));
    assert_eq!((&*r.api_id, &*r.org_id), ("api-1", "org-1"));
    assert_eq!(r.request_time, 70_000);
    assert_eq!(
        r.latency,
        Latency {
            total: 12,
            upstream: 10,
            gateway: 0
        }
    );
    assert_eq!((&*r.raw_request, &*r.raw_response), ("UkVR", "UkVTUA=="));
    assert_eq!(r.ip_address, "10.0.0.1");
    assert_eq!(r.geo.country.iso_code, "CH");
    assert_eq!(r.geo.city.geoname_id, 2_657_896);
    let names = r.geo.city.names.as_ref().unwrap();
    assert_eq!(names.len(), 2);
    assert_eq!(names.get("de").map(|s| &**s), Some("Zürich"));
    assert_eq!(r.geo.location.latitude, 47.3769);
    assert_eq!(r.geo.location.longitude, 8.5417);
    assert_eq!(r.geo.location.time_zone, "Europe/Zurich");
    assert_eq!(
        r.network,
        Network {
            open_connections: 1,
            closed_connections: 2,
            bytes_in: 300,
            bytes_out: 70_000
        }
    );
    assert_eq!(r.tags, Some(vec![Cow::from("key-1"), Cow::from("東京")]));
    assert_eq!(r.alias, "alias");
    assert!(r.track_path);
    assert_eq!(r.expire_at, Timestamp::new(SECS + 86_400, 0));
    assert_eq!(r.oauth_id, "oauth-1");
    assert_eq!(r.api_schema, "c2NoZW1h");
    assert_eq!(
        r.graphql_stats,
        GraphQLStats {
            variables: "{\"id\":1}".into(),
            root_fields: Some(vec!["updateUser".into()]),
            types: Some(BTreeMap::from([(
                "User".to_string(),
                Some(vec!["id".to_string(), "name".to_string()])
            )])),
            errors: Some(vec![
                GraphError {
                    message: "boom".into(),
                    path: None
                },
                GraphError {
                    message: "bang".into(),
                    path: None
                },
            ]),
            operation_type: 2,
            has_errors: true,
            is_graphql: true,
        }
    );
    assert_eq!(
        r.mcp_stats,
        McpStats {
            is_mcp: true,
            jsonrpc_method: "tools/call".into(),
            primitive_type: "tool".into(),
            primitive_name: "search".into(),
        }
    );
    assert_eq!(r.original_path, "/users/{id}");
    assert_eq!(r.listen_path, "/users/");
    assert_eq!(r.collection_name, "");
}

#[test]
fn a_message_without_sub_messages_gets_defaults_instead_of_a_panic() {
    let bytes = P::new().str(1, "h").str(16, "api").int(11, 200);
    let r = decode_analytics_protobuf(&bytes.0).unwrap();
    assert_eq!(r.host, "h");
    assert_eq!(r.api_id, "api");
    assert_eq!(r.response_code, 200);
    assert_eq!(r.timestamp, Timestamp::GO_ZERO);
    assert_eq!(r.expire_at, Timestamp::GO_ZERO);
    assert_eq!(r.latency, Latency::default());
    assert_eq!(r.network, Network::default());
    assert_eq!(r.geo, Default::default());
    assert_eq!(r.graphql_stats, GraphQLStats::default());
    assert_eq!(r.mcp_stats, McpStats::default());
    assert_eq!(r.tags, None);

    // A Geo with none of its parts, a City with no names.
    let bytes = P::new().msg(23, P::new().msg(2, P::new().int(2, 7)));
    let r = decode_analytics_protobuf(&bytes.0).unwrap();
    assert_eq!(r.geo.city.geoname_id, 7);
    assert_eq!(r.geo.city.names, None);
    assert_eq!(r.geo.country.iso_code, "");

    // Nothing at all is a valid, empty proto3 message.
    assert_eq!(
        decode_analytics_protobuf(&[]).unwrap(),
        AnalyticsRecord::default()
    );
}

#[test]
fn empty_repeated_fields_read_as_nil_like_go() {
    let bytes = P::new().msg(32, P::new().bool(1, true));
    let r = decode_analytics_protobuf(&bytes.0).unwrap();
    assert_eq!(r.tags, None);
    let g = r.graphql_stats;
    assert_eq!(g.root_fields, None);
    // Tyk's converter makes these for any present GraphQLStats.
    assert_eq!(g.types, Some(BTreeMap::new()));
    assert_eq!(g.errors, Some(vec![]));

    let bytes = P::new().msg(32, P::new().msg(2, P::new().str(1, "Q")));
    let r = decode_analytics_protobuf(&bytes.0).unwrap();
    assert_eq!(r.graphql_stats.types.unwrap()["Q"], None);
}

#[test]
fn an_operation_type_outside_the_enum_reads_as_unknown() {
    for (wire, want) in [(0, 0), (1, 1), (3, 3), (7, 0), (-2, 0)] {
        let bytes = P::new().msg(32, P::new().int(3, wire));
        let r = decode_analytics_protobuf(&bytes.0).unwrap();
        assert_eq!(r.graphql_stats.operation_type, want, "wire {wire}");
    }
}

#[test]
fn unknown_fields_are_skipped() {
    let bytes = P::new()
        .int(99, 5)
        .str(1, "h")
        .str(100, "future")
        .double(101, 1.0)
        .msg(19, P::new().int(1, 3).int(3, 9))
        .key(102, 5)
        .raw(&[1, 2, 3, 4]);
    let r = decode_analytics_protobuf(&bytes.0).unwrap();
    assert_eq!(r.host, "h");
    assert_eq!(r.latency.total, 3);
}

#[test]
fn later_scalar_values_win_like_in_every_protobuf_decoder() {
    let bytes = P::new().str(1, "first").str(1, "second");
    assert_eq!(decode_analytics_protobuf(&bytes.0).unwrap().host, "second");
}

#[test]
fn garbage_and_truncation_are_errors_not_panics() {
    let e = decode_analytics_protobuf(&[0x0a, 0x05, b'a']).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("protobuf: failed to decode Protobuf message: "),
        "{e}"
    );
    // Wire type 7 does not exist; field 0 does not exist.
    assert!(decode_analytics_protobuf(&[0x0f]).is_err());
    assert!(decode_analytics_protobuf(&[0x00, 0x01]).is_err());
    // A string field holding bytes that are not UTF-8.
    assert!(decode_analytics_protobuf(&[0x0a, 0x02, 0xc3, 0x28]).is_err());
    // A string sent as a varint.
    assert!(decode_analytics_protobuf(&P::new().int(1, 5).0).is_err());
    // A length that runs past the end, and an unfinished varint.
    assert!(decode_analytics_protobuf(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
    assert!(decode_analytics_protobuf(&[0x28, 0xff]).is_err());
    // msgpack is not protobuf.
    assert!(decode_analytics_protobuf(&[0xde, 0x00, 0x23, 0xa6]).is_err());
}

#[test]
fn the_encoder_writes_what_the_gateway_writes_for_an_empty_record() {
    let mut out = Vec::new();
    encode_analytics_protobuf(&AnalyticsRecord::default(), &mut out);
    let zero = P::new().int(1, GO_ZERO_SECS);
    let want = P::new()
        .msg(13, zero.clone())
        .msg(19, P::new())
        .msg(
            23,
            P::new().msg(1, P::new()).msg(2, P::new()).msg(3, P::new()),
        )
        .msg(24, P::new())
        .msg(28, zero)
        .str(30, "Local");
    assert_eq!(out, want.0);
}

#[test]
fn the_encoder_leaves_out_graphql_and_mcp_stats_of_other_requests() {
    let mut r = AnalyticsRecord {
        host: "h".into(),
        ..Default::default()
    };
    r.graphql_stats.variables = "ignored unless IsGraphQL".into();
    r.mcp_stats.jsonrpc_method = "ignored unless IsMCP".into();
    let mut out = Vec::new();
    encode_analytics_protobuf(&r, &mut out);
    let back = decode_analytics_protobuf(&out).unwrap();
    assert_eq!(back.graphql_stats, GraphQLStats::default());
    assert_eq!(back.mcp_stats, McpStats::default());
}
