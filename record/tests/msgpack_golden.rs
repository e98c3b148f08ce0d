//! The msgpack decoders against records spelled out byte by byte, in every form a gateway or
//! another msgpack library may write them (TYK-FORMAT.md §2 and §4).

use pump_record::{AnalyticsRecord, DecodeError, Timestamp, decode_analytics, decode_uptime};
use std::borrow::Cow;

/// Writes msgpack one marker at a time, so the tests show the exact bytes.
#[derive(Default, Clone)]
struct B(Vec<u8>);

impl B {
    fn new() -> Self {
        B::default()
    }
    fn raw(mut self, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(bytes);
        self
    }
    fn then(self, other: B) -> Self {
        self.raw(&other.0)
    }
    fn fixmap(self, n: u8) -> Self {
        self.raw(&[0x80 | n])
    }
    fn map16(self, n: u16) -> Self {
        self.raw(&[0xde]).raw(&n.to_be_bytes())
    }
    fn map32(self, n: u32) -> Self {
        self.raw(&[0xdf]).raw(&n.to_be_bytes())
    }
    fn fixarray(self, n: u8) -> Self {
        self.raw(&[0x90 | n])
    }
    fn array16(self, n: u16) -> Self {
        self.raw(&[0xdc]).raw(&n.to_be_bytes())
    }
    /// fixstr: the gateway's form for keys and short strings.
    fn s(self, s: &str) -> Self {
        assert!(s.len() < 32);
        self.raw(&[0xa0 | s.len() as u8]).raw(s.as_bytes())
    }
    fn str8(self, s: &str) -> Self {
        self.raw(&[0xd9, s.len() as u8]).raw(s.as_bytes())
    }
    fn str16(self, s: &str) -> Self {
        self.raw(&[0xda])
            .raw(&(s.len() as u16).to_be_bytes())
            .raw(s.as_bytes())
    }
    fn str32(self, s: &str) -> Self {
        self.raw(&[0xdb])
            .raw(&(s.len() as u32).to_be_bytes())
            .raw(s.as_bytes())
    }
    fn bin8(self, s: &str) -> Self {
        self.raw(&[0xc4, s.len() as u8]).raw(s.as_bytes())
    }
    fn bin16(self, s: &str) -> Self {
        self.raw(&[0xc5])
            .raw(&(s.len() as u16).to_be_bytes())
            .raw(s.as_bytes())
    }
    fn fixint(self, v: u8) -> Self {
        assert!(v < 128);
        self.raw(&[v])
    }
    fn u8(self, v: u8) -> Self {
        self.raw(&[0xcc, v])
    }
    fn u16(self, v: u16) -> Self {
        self.raw(&[0xcd]).raw(&v.to_be_bytes())
    }
    fn u32(self, v: u32) -> Self {
        self.raw(&[0xce]).raw(&v.to_be_bytes())
    }
    fn u64(self, v: u64) -> Self {
        self.raw(&[0xcf]).raw(&v.to_be_bytes())
    }
    fn i8(self, v: i8) -> Self {
        self.raw(&[0xd0]).raw(&v.to_be_bytes())
    }
    fn i16(self, v: i16) -> Self {
        self.raw(&[0xd1]).raw(&v.to_be_bytes())
    }
    fn i32(self, v: i32) -> Self {
        self.raw(&[0xd2]).raw(&v.to_be_bytes())
    }
    fn i64(self, v: i64) -> Self {
        self.raw(&[0xd3]).raw(&v.to_be_bytes())
    }
    fn f32(self, v: f32) -> Self {
        self.raw(&[0xca]).raw(&v.to_be_bytes())
    }
    fn f64(self, v: f64) -> Self {
        self.raw(&[0xcb]).raw(&v.to_be_bytes())
    }
    fn nil(self) -> Self {
        self.raw(&[0xc0])
    }
    fn t(self) -> Self {
        self.raw(&[0xc3])
    }
    fn f(self) -> Self {
        self.raw(&[0xc2])
    }
    /// vmihailenco/msgpack v2's time.Time: `[seconds, nanoseconds]`, smallest ints.
    fn go_time(self, secs: u32, nanos: u32) -> Self {
        self.fixarray(2).u32(secs).u32(nanos)
    }
    /// The msgpack timestamp extension, 32-bit form (fixext4, type -1).
    fn ext_time4(self, secs: u32) -> Self {
        self.raw(&[0xd6, 0xff]).raw(&secs.to_be_bytes())
    }
    /// 64-bit form (fixext8): 30 bits of nanoseconds over 34 bits of seconds.
    fn ext_time8(self, secs: u64, nanos: u32) -> Self {
        let v = (u64::from(nanos) << 34) | secs;
        self.raw(&[0xd7, 0xff]).raw(&v.to_be_bytes())
    }
    /// 96-bit form (ext8 of 12 bytes): u32 nanoseconds, then i64 seconds.
    fn ext_time12(self, secs: i64, nanos: u32) -> Self {
        self.raw(&[0xc7, 12, 0xff])
            .raw(&nanos.to_be_bytes())
            .raw(&secs.to_be_bytes())
    }
    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A one-key record.
fn one(key: &str, value: B) -> B {
    B::new().fixmap(1).s(key).then(value)
}

/// Decodes a record that must be valid, detached from the builder's bytes.
fn ok(b: B) -> AnalyticsRecord<'static> {
    decode_analytics(b.bytes()).unwrap().into_owned()
}

fn msg(r: Result<impl std::fmt::Debug, DecodeError>) -> String {
    match r {
        Ok(v) => panic!("expected an error, decoded {v:?}"),
        Err(e) => e.to_string(),
    }
}

const SECS: u32 = 1_714_564_800; // 2024-05-01T12:00:00Z

#[test]
fn gateway_record_decodes_field_by_field() {
    let geo = B::new()
        .fixmap(3)
        .s("Country")
        .fixmap(1)
        .s("ISOCode")
        .s("CH")
        .s("City")
        .fixmap(2)
        .s("GeoNameID")
        .u32(2_657_896)
        .s("Names")
        .fixmap(2)
        .s("de")
        .s("Zürich")
        .s("ja")
        .s("チューリッヒ")
        .s("Location")
        .fixmap(3)
        .s("Latitude")
        .f64(47.3769)
        .s("Longitude")
        .f64(8.5417)
        .s("TimeZone")
        .s("Europe/Zurich");
    let graphql = B::new()
        .fixmap(7)
        .s("Variables")
        .s("{\"id\":1}")
        .s("RootFields")
        .fixarray(1)
        .s("user")
        .s("Types")
        .fixmap(1)
        .s("User")
        .fixarray(2)
        .s("id")
        .s("name")
        .s("Errors")
        .fixarray(1)
        .fixmap(2)
        .s("Message")
        .s("boom")
        .s("Path")
        .fixarray(2)
        .s("user")
        .fixint(0)
        .s("OperationType")
        .fixint(1)
        .s("HasErrors")
        .t()
        .s("IsGraphQL")
        .t();
    let raw_request = "R0VUIC8gSFRUUC8xLjENCkhvc3Q6IGV4YW1wbGUuY29tDQoNCg==";
    let rec = B::new()
        .map16(25)
        .s("Method")
        .s("GET")
        .s("Host")
        .s("example.com")
        .s("Path")
        .s("/users/1")
        .s("ContentLength")
        .u16(1234)
        .s("Day")
        .fixint(1)
        .s("Month")
        .fixint(5)
        .s("Year")
        .u16(2024)
        .s("Hour")
        .fixint(12)
        .s("ResponseCode")
        .u8(200)
        .s("APIKey")
        .s("key-1")
        .s("TimeStamp")
        .go_time(SECS, 500)
        .s("APIID")
        .s("api-1")
        .s("OrgID")
        .s("org-1")
        .s("RequestTime")
        .u32(70_000)
        .s("RawRequest")
        .str8(raw_request)
        .s("IPAddress")
        .s("10.0.0.1")
        .s("Geo")
        .then(geo)
        .s("Network")
        .fixmap(4)
        .s("OpenConnections")
        .fixint(1)
        .s("ClosedConnection")
        .fixint(2)
        .s("BytesIn")
        .u16(300)
        .s("BytesOut")
        .u32(70_000)
        .s("Latency")
        .fixmap(3)
        .s("Total")
        .fixint(12)
        .s("Upstream")
        .fixint(10)
        .s("Gateway")
        .fixint(2)
        .s("Tags")
        .fixarray(2)
        .s("key-1")
        .s("org-org-1")
        .s("TrackPath")
        .t()
        .s("ExpireAt")
        .go_time(SECS + 86_400, 0)
        .s("GraphQLStats")
        .then(graphql)
        .s("MCPStats")
        .fixmap(4)
        .s("IsMCP")
        .t()
        .s("JSONRPCMethod")
        .s("tools/call")
        .s("PrimitiveType")
        .s("tool")
        .s("PrimitiveName")
        .s("search")
        .s("CollectionName")
        .s("per-api");
    let r = decode_analytics(rec.bytes()).unwrap();
    assert_eq!(r.method, "GET");
    assert_eq!(r.host, "example.com");
    assert_eq!(r.path, "/users/1");
    assert_eq!(r.content_length, 1234);
    assert_eq!((r.day, r.month, r.year, r.hour), (1, 5, 2024, 12));
    assert_eq!(r.response_code, 200);
    assert_eq!(r.api_key, "key-1");
    assert_eq!(r.timestamp, Timestamp::new(SECS.into(), 500));
    assert_eq!((&*r.api_id, &*r.org_id), ("api-1", "org-1"));
    assert_eq!(r.request_time, 70_000);
    assert_eq!(r.raw_request, raw_request);
    assert_eq!(r.ip_address, "10.0.0.1");
    assert_eq!(r.geo.country.iso_code, "CH");
    assert_eq!(r.geo.city.geoname_id, 2_657_896);
    let names = r.geo.city.names.as_ref().unwrap();
    assert_eq!(names.get("de").map(|s| &**s), Some("Zürich"));
    assert_eq!(names.get("ja").map(|s| &**s), Some("チューリッヒ"));
    assert_eq!(r.geo.location.latitude, 47.3769);
    assert_eq!(r.geo.location.longitude, 8.5417);
    assert_eq!(r.geo.location.time_zone, "Europe/Zurich");
    assert_eq!(r.network.open_connections, 1);
    assert_eq!(r.network.closed_connections, 2);
    assert_eq!(r.network.bytes_in, 300);
    assert_eq!(r.network.bytes_out, 70_000);
    assert_eq!(
        (r.latency.total, r.latency.upstream, r.latency.gateway),
        (12, 10, 2)
    );
    assert_eq!(
        r.tags,
        Some(vec![Cow::from("key-1"), Cow::from("org-org-1")])
    );
    assert!(r.track_path);
    assert_eq!(r.expire_at, Timestamp::new(i64::from(SECS) + 86_400, 0));
    let g = &r.graphql_stats;
    assert_eq!(g.variables, "{\"id\":1}");
    assert_eq!(g.root_fields, Some(vec![Cow::from("user")]));
    let types = g.types.as_ref().unwrap();
    assert_eq!(
        types["User"],
        Some(vec!["id".to_string(), "name".to_string()])
    );
    let errors = g.errors.as_ref().unwrap();
    assert_eq!(errors[0].message, "boom");
    assert_eq!(
        errors[0].path,
        Some(vec![serde_json::json!("user"), serde_json::json!(0)])
    );
    assert_eq!(g.operation_type, 1);
    assert!(g.has_errors && g.is_graphql);
    assert!(r.mcp_stats.is_mcp);
    assert_eq!(r.mcp_stats.jsonrpc_method, "tools/call");
    assert_eq!(r.mcp_stats.primitive_type, "tool");
    assert_eq!(r.mcp_stats.primitive_name, "search");
    assert_eq!(r.collection_name, "per-api");
    // Fields the record did not carry keep their zero value.
    assert_eq!(r.user_agent, "");
    assert_eq!(r.oauth_id, "");
}

#[test]
fn strings_borrow_from_the_input() {
    let rec = B::new()
        .fixmap(5)
        .s("Method")
        .s("GET")
        .s("Host")
        .bin8("bin.example")
        .s("RawResponse")
        .str16("x")
        .s("Tags")
        .fixarray(1)
        .s("t")
        .s("Geo")
        .fixmap(1)
        .s("City")
        .fixmap(1)
        .s("Names")
        .fixmap(1)
        .s("en")
        .s("Zurich");
    let r = decode_analytics(rec.bytes()).unwrap();
    assert!(matches!(r.method, Cow::Borrowed("GET")));
    assert!(matches!(r.host, Cow::Borrowed("bin.example")));
    assert!(matches!(r.raw_response, Cow::Borrowed("x")));
    assert!(matches!(r.tags.as_deref(), Some([Cow::Borrowed("t")])));
    let (k, v) = r.geo.city.names.as_ref().unwrap().iter().next().unwrap();
    assert!(matches!(
        (k, v),
        (Cow::Borrowed("en"), Cow::Borrowed("Zurich"))
    ));
}

/// Every integer field, every msgpack integer form: the gateway's smallest form and the
/// fixed widths other encoders write all read as the same number.
#[test]
fn every_integer_width_reads_the_same_in_every_integer_field() {
    type Get = fn(&AnalyticsRecord) -> i64;
    let fields: &[(&[&str], Get)] = &[
        (&["ContentLength"], |r| r.content_length),
        (&["Day"], |r| r.day),
        (&["Month"], |r| r.month),
        (&["Year"], |r| r.year),
        (&["Hour"], |r| r.hour),
        (&["ResponseCode"], |r| r.response_code),
        (&["RequestTime"], |r| r.request_time),
        (&["Network", "OpenConnections"], |r| {
            r.network.open_connections
        }),
        (&["Network", "ClosedConnection"], |r| {
            r.network.closed_connections
        }),
        (&["Network", "BytesIn"], |r| r.network.bytes_in),
        (&["Network", "BytesOut"], |r| r.network.bytes_out),
        (&["Latency", "Total"], |r| r.latency.total),
        (&["Latency", "Upstream"], |r| r.latency.upstream),
        (&["Latency", "Gateway"], |r| r.latency.gateway),
        (&["GraphQLStats", "OperationType"], |r| {
            r.graphql_stats.operation_type
        }),
        (&["Geo", "City", "GeoNameID"], |r| {
            r.geo.city.geoname_id as i64
        }),
    ];
    let positive: &[(i64, B)] = &[
        (100, B::new().fixint(100)),
        (100, B::new().u8(100)),
        (100, B::new().u16(100)),
        (100, B::new().u32(100)),
        (100, B::new().u64(100)),
        (100, B::new().i8(100)),
        (100, B::new().i16(100)),
        (100, B::new().i32(100)),
        (100, B::new().i64(100)),
        (200, B::new().u8(200)),
        (60_000, B::new().u16(60_000)),
        (4_000_000_000, B::new().u32(4_000_000_000)),
        (i64::MAX, B::new().u64(i64::MAX as u64)),
        (i64::MAX, B::new().i64(i64::MAX)),
    ];
    let negative: &[(i64, B)] = &[
        (-1, B::new().raw(&[0xff])),
        (-1, B::new().i8(-1)),
        (-1, B::new().i16(-1)),
        (-1, B::new().i32(-1)),
        (-1, B::new().i64(-1)),
        (-100, B::new().i8(-100)),
        (-30_000, B::new().i16(-30_000)),
        (-2_000_000_000, B::new().i32(-2_000_000_000)),
        (i64::MIN, B::new().i64(i64::MIN)),
    ];
    for (path, get) in fields {
        let unsigned = path.last() == Some(&"GeoNameID");
        let cases = positive.iter().chain(negative.iter().filter(|_| !unsigned));
        for (want, value) in cases {
            let mut rec = value.clone();
            for key in path.iter().rev() {
                rec = one(key, rec);
            }
            let r = decode_analytics(rec.bytes())
                .unwrap_or_else(|e| panic!("{path:?} = {:02x?}: {e}", value.bytes()));
            assert_eq!(get(&r), *want, "{path:?} = {:02x?}", value.bytes());
        }
    }
}

#[test]
fn integers_out_of_range_are_rejected_with_the_field() {
    let rec = one("ContentLength", B::new().u64(u64::MAX));
    assert_eq!(
        msg(decode_analytics(rec.bytes())),
        "msgpack: invalid value: integer `18446744073709551615`, expected i64 at ContentLength"
    );
    let rec = one("Geo", one("City", one("GeoNameID", B::new().i8(-1))));
    assert!(msg(decode_analytics(rec.bytes())).ends_with(" at Geo"));
}

#[test]
fn floats_may_be_float32_or_float64_and_integers() {
    let loc = |lat: B, lon: B| {
        one(
            "Geo",
            one(
                "Location",
                B::new()
                    .fixmap(2)
                    .s("Latitude")
                    .then(lat)
                    .s("Longitude")
                    .then(lon),
            ),
        )
    };
    let r = ok(loc(B::new().f32(47.5), B::new().f64(-8.25)));
    assert_eq!(r.geo.location.latitude, 47.5);
    assert_eq!(r.geo.location.longitude, -8.25);
    let r = ok(loc(B::new().f32(0.1), B::new().fixint(8)));
    assert_eq!(r.geo.location.latitude, f64::from(0.1f32));
    assert_eq!(r.geo.location.longitude, 8.0);
}

#[test]
fn both_time_encodings_and_nil_are_read() {
    let at = |t: B| decode_analytics(one("TimeStamp", t).bytes()).map(|r| r.timestamp);
    let want = Timestamp::new(SECS.into(), 0);
    assert_eq!(at(B::new().fixarray(2).u32(SECS).fixint(0)), Ok(want));
    assert_eq!(at(B::new().fixarray(2).i64(SECS.into()).i64(0)), Ok(want));
    assert_eq!(at(B::new().fixarray(2).u64(SECS.into()).u64(0)), Ok(want));
    assert_eq!(
        at(B::new().fixarray(2).i64(-62_135_596_800).fixint(0)),
        Ok(Timestamp::GO_ZERO)
    );
    assert_eq!(at(B::new().ext_time4(SECS)), Ok(want));
    assert_eq!(
        at(B::new().ext_time8(SECS.into(), 999_999_999)),
        Ok(Timestamp::new(SECS.into(), 999_999_999))
    );
    assert_eq!(
        at(B::new().ext_time12(-62_135_596_800, 0)),
        Ok(Timestamp::GO_ZERO)
    );
    assert_eq!(
        at(B::new().ext_time12(SECS.into(), 7)),
        Ok(Timestamp::new(SECS.into(), 7))
    );
    assert_eq!(at(B::new().nil()), Ok(Timestamp::GO_ZERO));

    // Not times: another extension type, a bad payload size, an array of the wrong length.
    for bad in [
        B::new().raw(&[0xd6, 0x05, 0, 0, 0, 1]),
        B::new().raw(&[0xd5, 0xff, 0, 1]),
        B::new().fixarray(1).fixint(1),
        B::new().fixarray(3).fixint(1).fixint(2).fixint(3),
        B::new().s("2024-05-01"),
    ] {
        let e = msg(at(bad.clone()));
        assert!(
            e.starts_with("msgpack: ") && e.ends_with(" at TimeStamp"),
            "{e}"
        );
    }
    let uptime = one("ExpireAt", B::new().ext_time4(SECS));
    assert_eq!(decode_uptime(uptime.bytes()).unwrap().expire_at, want);
}

#[test]
fn unknown_keys_are_skipped_however_deep() {
    let rec = B::new()
        .fixmap(6)
        .s("FutureScalar")
        .u64(u64::MAX)
        .s("Method")
        .s("GET")
        .s("FutureMap")
        .fixmap(2)
        .s("a")
        .fixarray(3)
        .nil()
        .f32(1.0)
        .fixmap(1)
        .s("deep")
        .array16(2)
        .bin8("x")
        .ext_time4(1)
        .s("b")
        .raw(&[0xc7, 3, 0x42, 1, 2, 3])
        .s("FutureArray")
        .fixarray(2)
        .fixarray(0)
        .fixmap(0)
        .s("Geo")
        .fixmap(2)
        .s("Country")
        .fixmap(2)
        .s("ISOCode")
        .s("FR")
        .s("Subdivision")
        .s("IDF")
        .s("Continent")
        .fixmap(1)
        .s("Code")
        .s("EU")
        .s("ResponseCode")
        .u8(201);
    let r = decode_analytics(rec.bytes()).unwrap();
    assert_eq!(r.method, "GET");
    assert_eq!(r.geo.country.iso_code, "FR");
    assert_eq!(r.response_code, 201);
}

#[test]
fn missing_keys_take_zero_values() {
    let r = decode_analytics(&[0x80]).unwrap();
    assert_eq!(r, AnalyticsRecord::default());
    assert_eq!(r.timestamp, Timestamp::GO_ZERO);
    assert_eq!(r.tags, None);
    // An older gateway's record: a handful of keys, nested structs missing fields too.
    let rec = B::new()
        .fixmap(2)
        .s("APIID")
        .s("a")
        .s("Latency")
        .fixmap(1)
        .s("Total")
        .fixint(5);
    let r = decode_analytics(rec.bytes()).unwrap();
    assert_eq!(r.api_id, "a");
    assert_eq!(
        (r.latency.total, r.latency.upstream, r.latency.gateway),
        (5, 0, 0)
    );
    assert_eq!(r.expire_at, Timestamp::GO_ZERO);
}

#[test]
fn key_order_does_not_matter() {
    let entries: Vec<(&str, B)> = vec![
        ("Method", B::new().s("POST")),
        ("ResponseCode", B::new().u16(404)),
        ("TimeStamp", B::new().go_time(SECS, 1)),
        ("Tags", B::new().fixarray(1).s("x")),
        (
            "Latency",
            B::new()
                .fixmap(2)
                .s("Upstream")
                .fixint(3)
                .s("Total")
                .fixint(4),
        ),
        ("APIID", B::new().s("api")),
    ];
    let build = |order: &mut dyn Iterator<Item = &(&str, B)>| {
        let mut b = B::new().fixmap(entries.len() as u8);
        for (k, v) in order {
            b = b.s(k).then(v.clone());
        }
        b
    };
    let forward = build(&mut entries.iter());
    let backward = build(&mut entries.iter().rev());
    let a = decode_analytics(forward.bytes()).unwrap();
    let b = decode_analytics(backward.bytes()).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.response_code, 404);
    assert_eq!((a.latency.total, a.latency.upstream), (4, 3));
}

#[test]
fn map16_and_map32_headers_are_maps_too() {
    let r = ok(B::new().map16(1).s("Method").s("GET"));
    assert_eq!(r.method, "GET");
    let r = ok(B::new().map32(1).s("Method").s("GET"));
    assert_eq!(r.method, "GET");
}

#[test]
fn nil_and_empty_lists_and_maps_stay_distinct() {
    let tags = |v: B| ok(one("Tags", v)).tags;
    assert_eq!(tags(B::new().nil()), None);
    assert_eq!(tags(B::new().fixarray(0)), Some(vec![]));
    assert_eq!(tags(B::new().array16(0)), Some(vec![]));

    let names = |v: B| ok(one("Geo", one("City", one("Names", v)))).geo.city.names;
    assert_eq!(names(B::new().nil()), None);
    assert_eq!(names(B::new().fixmap(0)), Some(Default::default()));

    let gql = |k: &str, v: B| ok(one("GraphQLStats", one(k, v))).graphql_stats;
    assert_eq!(gql("RootFields", B::new().nil()).root_fields, None);
    assert_eq!(
        gql("RootFields", B::new().fixarray(0)).root_fields,
        Some(vec![])
    );
    assert_eq!(gql("Types", B::new().nil()).types, None);
    assert_eq!(
        gql("Types", B::new().fixmap(0)).types,
        Some(Default::default())
    );
    let types = gql("Types", B::new().fixmap(1).s("Q").nil()).types.unwrap();
    assert_eq!(types["Q"], None);
    assert_eq!(gql("Errors", B::new().nil()).errors, None);
    assert_eq!(gql("Errors", B::new().fixarray(0)).errors, Some(vec![]));
}

#[test]
fn every_string_form_is_read() {
    let long = "a".repeat(300);
    let huge = "b".repeat(70_000);
    let method = |v: B| ok(one("Method", v)).method;
    assert_eq!(method(B::new().s("GET")), "GET");
    assert_eq!(method(B::new().str8("GET")), "GET");
    assert_eq!(method(B::new().str16("GET")), "GET");
    assert_eq!(method(B::new().str32("GET")), "GET");
    assert_eq!(method(B::new().bin8("GET")), "GET");
    assert_eq!(method(B::new().bin16("GET")), "GET");
    assert_eq!(method(B::new().str16(&long)), long);
    assert_eq!(method(B::new().str32(&huge)), huge);
    // Keys may come as bin too.
    let r = ok(B::new().fixmap(1).bin8("Path").s("/p"));
    assert_eq!(r.path, "/p");
}

#[test]
fn non_ascii_strings_survive() {
    let rec = B::new()
        .fixmap(3)
        .s("Path")
        .s("/café/東京")
        .s("UserAgent")
        .str8("Mozilla/5.0 (🦀; Linux) — ünïcødé")
        .s("Tags")
        .fixarray(1)
        .s("ключ");
    let r = decode_analytics(rec.bytes()).unwrap();
    assert_eq!(r.path, "/café/東京");
    assert_eq!(r.user_agent, "Mozilla/5.0 (🦀; Linux) — ünïcødé");
    assert_eq!(r.tags, Some(vec![Cow::from("ключ")]));
}

#[test]
fn wrong_types_name_the_field() {
    assert_eq!(
        msg(decode_analytics(
            one("ResponseCode", B::new().s("x")).bytes()
        )),
        "msgpack: invalid type: string \"x\", expected i64 at ResponseCode"
    );
    let cases: &[(&str, B)] = &[
        ("Method", B::new().fixint(1)),
        ("Method", B::new().nil()),
        ("TrackPath", B::new().fixint(1)),
        ("Tags", B::new().s("a,b")),
        ("Tags", B::new().fixarray(1).fixint(1)),
        ("Geo", B::new().s("CH")),
        ("Latency", B::new().fixint(3)),
        ("ContentLength", B::new().f64(1.5)),
        ("ContentLength", B::new().t()),
        ("GraphQLStats", B::new().s("x")),
    ];
    for (key, value) in cases {
        let e = msg(decode_analytics(one(key, value.clone()).bytes()));
        assert!(e.starts_with("msgpack: invalid "), "{key}: {e}");
        assert!(e.ends_with(&format!(" at {key}")), "{key}: {e}");
    }
    // The culprit is found after good fields, too.
    let rec = B::new()
        .fixmap(3)
        .s("Method")
        .s("GET")
        .s("Unknown")
        .fixmap(0)
        .s("Year")
        .s("2024");
    assert!(msg(decode_analytics(rec.bytes())).ends_with(" at Year"));
}

#[test]
fn invalid_utf8_is_rejected() {
    let rec = one("Host", B::new().raw(&[0xa2, 0xc3, 0x28]));
    let e = msg(decode_analytics(rec.bytes()));
    assert!(e.starts_with("msgpack: ") && e.ends_with(" at Host"), "{e}");
}

#[test]
fn a_top_level_value_that_is_not_a_map_is_rejected() {
    assert_eq!(
        msg(decode_analytics(&[])),
        "msgpack: empty input, expected a map"
    );
    assert_eq!(
        msg(decode_analytics(&[0x92, 0xa3, b'G', b'E', b'T', 0x01])),
        "msgpack: the record is an array (first byte 0x92), expected a map"
    );
    assert_eq!(
        msg(decode_analytics(&[0xc0])),
        "msgpack: the record is nil (first byte 0xc0), expected a map"
    );
    assert_eq!(
        msg(decode_uptime(b"{\"ID\":\"x\"}")),
        "msgpack: the record is an integer (first byte 0x7b), expected a map"
    );
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut bytes = one("Method", B::new().s("GET")).0;
    bytes.extend_from_slice(&[0xc0, 0x01]);
    assert_eq!(
        msg(decode_analytics(&bytes)),
        "msgpack: 2 trailing bytes after the record"
    );
    // Two records glued together are not one record.
    let rec = one("Method", B::new().s("GET"));
    let twice = rec.clone().then(rec);
    assert_eq!(
        msg(decode_analytics(twice.bytes())),
        "msgpack: 12 trailing bytes after the record"
    );
    bytes.truncate(bytes.len() - 2);
    bytes.push(0xc1);
    assert!(msg(decode_analytics(&bytes)).contains("trailing"));
}

#[test]
fn truncated_records_are_rejected_at_every_length() {
    let rec = B::new()
        .fixmap(4)
        .s("Method")
        .s("GET")
        .s("TimeStamp")
        .go_time(SECS, 0)
        .s("RawRequest")
        .str8(&"x".repeat(40))
        .s("Tags")
        .fixarray(2)
        .s("a")
        .s("b");
    for cut in 0..rec.0.len() {
        let e = msg(decode_analytics(&rec.0[..cut]));
        assert!(e.starts_with("msgpack: "), "cut {cut}: {e}");
    }
    let e = msg(decode_analytics(&rec.0[..30]));
    assert_eq!(
        e,
        "msgpack: truncated record (unexpected end of input) at TimeStamp"
    );
    assert!(decode_analytics(rec.bytes()).is_ok());
}

#[test]
fn absurd_lengths_and_nesting_fail_without_allocating_or_overflowing() {
    // A map claiming 4 billion entries, a string claiming 4 GiB.
    assert!(decode_analytics(&[0xdf, 0xff, 0xff, 0xff, 0xff]).is_err());
    let rec = one(
        "RawRequest",
        B::new().raw(&[0xdb, 0xff, 0xff, 0xff, 0xff, b'x']),
    );
    assert!(decode_analytics(rec.bytes()).is_err());
    let rec = one("Tags", B::new().raw(&[0xdd, 0xff, 0xff, 0xff, 0xff]));
    assert!(decode_analytics(rec.bytes()).is_err());
    // Unknown values nested far deeper than any record.
    let mut deep = B::new().fixmap(1).s("Future");
    for _ in 0..100_000 {
        deep = deep.fixarray(1);
    }
    let e = msg(decode_analytics(deep.bytes()));
    assert!(e.contains("nested deeper"), "{e}");
}

#[test]
fn uptime_record_decodes_field_by_field() {
    let rec = B::new()
        .fixmap(15)
        .s("ID")
        .s("check-1")
        .s("URL")
        .str8("https://upstream.example/health")
        .s("RequestTime")
        .u16(1500)
        .s("ResponseCode")
        .u16(503)
        .s("TCPError")
        .f()
        .s("ServerError")
        .t()
        .s("Day")
        .fixint(1)
        .s("Month")
        .fixint(5)
        .s("Year")
        .u16(2024)
        .s("Hour")
        .fixint(12)
        .s("Minute")
        .fixint(30)
        .s("TimeStamp")
        .go_time(SECS, 0)
        .s("ExpireAt")
        .ext_time12(i64::from(SECS) + 3600, 0)
        .s("APIID")
        .s("api-1")
        .s("OrgID")
        .s("org-1");
    let r = decode_uptime(rec.bytes()).unwrap();
    assert!(matches!(r.id, Cow::Borrowed("check-1")));
    assert_eq!(r.url, "https://upstream.example/health");
    assert_eq!((r.request_time, r.response_code), (1500, 503));
    assert!(!r.tcp_error && r.server_error);
    assert_eq!(
        (r.day, r.month, r.year, r.hour, r.minute),
        (1, 5, 2024, 12, 30)
    );
    assert_eq!(r.timestamp, Timestamp::new(SECS.into(), 0));
    assert_eq!(r.expire_at, Timestamp::new(i64::from(SECS) + 3600, 0));
    assert_eq!((&*r.api_id, &*r.org_id), ("api-1", "org-1"));

    assert_eq!(
        msg(decode_uptime(one("Minute", B::new().s("30")).bytes())),
        "msgpack: invalid type: string \"30\", expected i64 at Minute"
    );
    assert_eq!(decode_uptime(&[0x80]).unwrap(), Default::default());
}
