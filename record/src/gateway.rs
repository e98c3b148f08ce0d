//! Records written byte for byte the way the Tyk gateway writes them, for the demo,
//! benchmarks and end-to-end tests.
//!
//! The gateway serializes tyk-pump's Go structs (`analytics.AnalyticsRecord`,
//! `UptimeReportData`) with gopkg.in/vmihailenco/msgpack.v2 v2.9.1, and its protobuf keys with
//! tyk-pump's `ProtobufSerializer`. What that means on the wire, and what we copy:
//! - a struct is a map of its exported fields, keyed by Go name, in declaration order;
//! - every integer takes its smallest form, non-negative values as fixint/uint8..uint64 and
//!   negative ones as negative fixint/int8..int64 (`rmp::encode::write_sint` does the same);
//! - strings are fixstr/str8/str16/str32 by length, floats always float64 (`0xcb`);
//! - `time.Time` is the array `[unix seconds, nanoseconds]`, not the timestamp extension;
//! - nil slices and maps are `nil` (`0xc0`), empty ones `0x90` / `0x80`.
//!
//! Go iterates maps in random order; we write map entries sorted by key, which is one of
//! the orders the gateway can produce.

use crate::{
    AnalyticsRecord, GraphError, GraphQLStats, Str, Timestamp, UptimeRecord,
    protobuf::proto::{self, GraphQlOperations},
};
use prost::Message;
use serde_json::Value;
use std::collections::BTreeMap;

/// Appends `r` as the current gateway's msgpack analytics record: a map16 of 35 keys.
pub fn encode_analytics(r: &AnalyticsRecord<'_>, out: &mut Vec<u8>) {
    let mut w = W(out);
    w.map(35);
    w.str_field("Method", &r.method);
    w.str_field("Host", &r.host);
    w.str_field("Path", &r.path);
    w.str_field("RawPath", &r.raw_path);
    w.int_field("ContentLength", r.content_length);
    w.str_field("UserAgent", &r.user_agent);
    w.int_field("Day", r.day);
    w.int_field("Month", r.month);
    w.int_field("Year", r.year);
    w.int_field("Hour", r.hour);
    w.int_field("ResponseCode", r.response_code);
    w.str_field("APIKey", &r.api_key);
    w.time_field("TimeStamp", r.timestamp);
    w.str_field("APIVersion", &r.api_version);
    w.str_field("APIName", &r.api_name);
    w.str_field("APIID", &r.api_id);
    w.str_field("OrgID", &r.org_id);
    w.str_field("OauthID", &r.oauth_id);
    w.int_field("RequestTime", r.request_time);
    w.str_field("RawRequest", &r.raw_request);
    w.str_field("RawResponse", &r.raw_response);
    w.str_field("IPAddress", &r.ip_address);

    w.key("Geo");
    w.map(3);
    w.key("Country");
    w.map(1);
    w.str_field("ISOCode", &r.geo.country.iso_code);
    w.key("City");
    w.map(2);
    w.uint_field("GeoNameID", r.geo.city.geoname_id);
    w.key("Names");
    w.str_map(r.geo.city.names.as_ref());
    w.key("Location");
    w.map(3);
    w.f64_field("Latitude", r.geo.location.latitude);
    w.f64_field("Longitude", r.geo.location.longitude);
    w.str_field("TimeZone", &r.geo.location.time_zone);

    w.key("Network");
    w.map(4);
    w.int_field("OpenConnections", r.network.open_connections);
    w.int_field("ClosedConnection", r.network.closed_connections);
    w.int_field("BytesIn", r.network.bytes_in);
    w.int_field("BytesOut", r.network.bytes_out);

    w.key("Latency");
    w.map(3);
    w.int_field("Total", r.latency.total);
    w.int_field("Upstream", r.latency.upstream);
    w.int_field("Gateway", r.latency.gateway);

    w.key("Tags");
    w.strs(r.tags.as_deref());
    w.str_field("Alias", &r.alias);
    w.bool_field("TrackPath", r.track_path);
    w.time_field("ExpireAt", r.expire_at);
    w.str_field("ApiSchema", &r.api_schema);
    w.str_field("OriginalPath", &r.original_path);
    w.str_field("ListenPath", &r.listen_path);
    w.key("GraphQLStats");
    w.graphql(&r.graphql_stats);

    w.key("MCPStats");
    w.map(4);
    w.bool_field("IsMCP", r.mcp_stats.is_mcp);
    w.str_field("JSONRPCMethod", &r.mcp_stats.jsonrpc_method);
    w.str_field("PrimitiveType", &r.mcp_stats.primitive_type);
    w.str_field("PrimitiveName", &r.mcp_stats.primitive_name);

    w.str_field("CollectionName", &r.collection_name);
}

/// Appends `r` as the gateway's msgpack uptime record: a fixmap of 15 keys.
pub fn encode_uptime(r: &UptimeRecord<'_>, out: &mut Vec<u8>) {
    let mut w = W(out);
    w.map(15);
    w.str_field("ID", &r.id);
    w.str_field("URL", &r.url);
    w.int_field("RequestTime", r.request_time);
    w.int_field("ResponseCode", r.response_code);
    w.bool_field("TCPError", r.tcp_error);
    w.bool_field("ServerError", r.server_error);
    w.int_field("Day", r.day);
    w.int_field("Month", r.month);
    w.int_field("Year", r.year);
    w.int_field("Hour", r.hour);
    w.int_field("Minute", r.minute);
    w.time_field("TimeStamp", r.timestamp);
    w.time_field("ExpireAt", r.expire_at);
    w.str_field("APIID", &r.api_id);
    w.str_field("OrgID", &r.org_id);
}

/// Appends `r` as the gateway's protobuf analytics record (tyk-pump's
/// `TransformSingleRecordToProto`).
///
/// Like the gateway: Latency, Geo (with all three parts) and Network are always present,
/// GraphQLStats only for GraphQL requests and MCPStats only for MCP requests; integers
/// narrower in the message are cut as Go's conversions cut them; TimeZone is `Local`,
/// the location of the gateway's `time.Now()`.
pub fn encode_analytics_protobuf(r: &AnalyticsRecord<'_>, out: &mut Vec<u8>) {
    let msg = to_proto(r);
    out.reserve(msg.encoded_len());
    // Encoding into a Vec only fails for lack of capacity, which a Vec does not have.
    let _ = msg.encode(out);
}

fn to_proto(r: &AnalyticsRecord<'_>) -> proto::AnalyticsRecord {
    let g = &r.graphql_stats;
    let m = &r.mcp_stats;
    proto::AnalyticsRecord {
        host: r.host.to_string(),
        method: r.method.to_string(),
        path: r.path.to_string(),
        raw_path: r.raw_path.to_string(),
        content_length: r.content_length,
        user_agent: r.user_agent.to_string(),
        day: r.day as i32,
        month: r.month as i32,
        year: r.year as i32,
        hour: r.hour as i32,
        response_code: r.response_code as i32,
        api_key: r.api_key.to_string(),
        time_stamp: Some(pb_time(r.timestamp)),
        api_version: r.api_version.to_string(),
        api_name: r.api_name.to_string(),
        api_id: r.api_id.to_string(),
        org_id: r.org_id.to_string(),
        request_time: r.request_time,
        latency: Some(proto::Latency {
            total: r.latency.total,
            upstream: r.latency.upstream,
        }),
        raw_request: r.raw_request.to_string(),
        raw_response: r.raw_response.to_string(),
        ip_address: r.ip_address.to_string(),
        geo: Some(proto::GeoData {
            country: Some(proto::Country {
                iso_code: r.geo.country.iso_code.to_string(),
            }),
            city: Some(proto::City {
                names: r
                    .geo
                    .city
                    .names
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                geo_name_id: r.geo.city.geoname_id as u32,
            }),
            location: Some(proto::Location {
                latitude: r.geo.location.latitude,
                longitude: r.geo.location.longitude,
                time_zone: r.geo.location.time_zone.to_string(),
            }),
        }),
        network: Some(proto::NetworkStats {
            open_connections: r.network.open_connections,
            closed_connections: r.network.closed_connections,
            bytes_in: r.network.bytes_in,
            bytes_out: r.network.bytes_out,
        }),
        tags: owned(r.tags.as_deref()),
        alias: r.alias.to_string(),
        track_path: r.track_path,
        expire_at: Some(pb_time(r.expire_at)),
        oauth_id: r.oauth_id.to_string(),
        time_zone: "Local".to_string(),
        api_schema: r.api_schema.to_string(),
        graphql_stats: g.is_graphql.then(|| proto::GraphQlStats {
            is_graphql: true,
            types: g
                .types
                .iter()
                .flatten()
                .map(|(k, v)| {
                    let fields = v.clone().unwrap_or_default();
                    (k.clone(), proto::RepeatedFields { fields })
                })
                .collect(),
            operation_type: match g.operation_type {
                1 => GraphQlOperations::Query,
                2 => GraphQlOperations::Mutation,
                3 => GraphQlOperations::Subscription,
                _ => GraphQlOperations::Unknown,
            } as i32,
            variables: g.variables.to_string(),
            root_fields: owned(g.root_fields.as_deref()),
            has_error: g.has_errors,
            graph_errors: g
                .errors
                .iter()
                .flatten()
                .map(|e| e.message.clone())
                .collect(),
        }),
        mcp_stats: m.is_mcp.then(|| proto::McpStats {
            is_mcp: true,
            jsonrpc_method: m.jsonrpc_method.to_string(),
            primitive_type: m.primitive_type.to_string(),
            primitive_name: m.primitive_name.to_string(),
        }),
        original_path: r.original_path.to_string(),
        listen_path: r.listen_path.to_string(),
    }
}

fn owned(v: Option<&[Str<'_>]>) -> Vec<String> {
    v.unwrap_or_default()
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Go's `timestamppb.New`.
fn pb_time(t: Timestamp) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.secs,
        nanos: t.nanos as i32,
    }
}

/// Writes msgpack into a Vec. Every `rmp::encode` result is dropped on purpose: writing to
/// a Vec cannot fail, and strings cannot outgrow the u32 lengths Redis values could hold.
struct W<'o>(&'o mut Vec<u8>);

impl W<'_> {
    fn key(&mut self, k: &str) {
        self.str(k);
    }

    fn str(&mut self, s: &str) {
        let _ = rmp::encode::write_str(self.0, s);
    }

    fn int(&mut self, v: i64) {
        let _ = rmp::encode::write_sint(self.0, v);
    }

    fn map(&mut self, len: usize) {
        let _ = rmp::encode::write_map_len(self.0, len as u32);
    }

    fn array(&mut self, len: usize) {
        let _ = rmp::encode::write_array_len(self.0, len as u32);
    }

    fn nil(&mut self) {
        let _ = rmp::encode::write_nil(self.0);
    }

    fn bool(&mut self, v: bool) {
        let _ = rmp::encode::write_bool(self.0, v);
    }

    fn str_field(&mut self, k: &str, v: &str) {
        self.key(k);
        self.str(v);
    }

    fn int_field(&mut self, k: &str, v: i64) {
        self.key(k);
        self.int(v);
    }

    fn uint_field(&mut self, k: &str, v: u64) {
        self.key(k);
        let _ = rmp::encode::write_uint(self.0, v);
    }

    fn f64_field(&mut self, k: &str, v: f64) {
        self.key(k);
        let _ = rmp::encode::write_f64(self.0, v);
    }

    fn bool_field(&mut self, k: &str, v: bool) {
        self.key(k);
        self.bool(v);
    }

    fn time_field(&mut self, k: &str, t: Timestamp) {
        self.key(k);
        self.array(2);
        self.int(t.secs);
        self.int(t.nanos.into());
    }

    fn strs<S: AsRef<str>>(&mut self, v: Option<&[S]>) {
        let Some(v) = v else {
            return self.nil();
        };
        self.array(v.len());
        for s in v {
            self.str(s.as_ref());
        }
    }

    fn str_map(&mut self, m: Option<&BTreeMap<Str<'_>, Str<'_>>>) {
        let Some(m) = m else {
            return self.nil();
        };
        self.map(m.len());
        for (k, v) in m {
            self.str(k);
            self.str(v);
        }
    }

    fn graphql(&mut self, g: &GraphQLStats<'_>) {
        self.map(7);
        self.str_field("Variables", &g.variables);
        self.key("RootFields");
        self.strs(g.root_fields.as_deref());
        self.key("Types");
        match &g.types {
            None => self.nil(),
            Some(types) => {
                self.map(types.len());
                for (name, fields) in types {
                    self.str(name);
                    self.strs(fields.as_deref());
                }
            }
        }
        self.key("Errors");
        match &g.errors {
            None => self.nil(),
            Some(errors) => {
                self.array(errors.len());
                for e in errors {
                    self.graph_error(e);
                }
            }
        }
        self.int_field("OperationType", g.operation_type);
        self.bool_field("HasErrors", g.has_errors);
        self.bool_field("IsGraphQL", g.is_graphql);
    }

    fn graph_error(&mut self, e: &GraphError) {
        self.map(2);
        self.str_field("Message", &e.message);
        self.key("Path");
        match &e.path {
            None => self.nil(),
            Some(path) => {
                self.array(path.len());
                for v in path {
                    self.any(v);
                }
            }
        }
    }

    /// A Go `interface{}` value, as it came back from JSON-like data.
    fn any(&mut self, v: &Value) {
        match v {
            Value::Null => self.nil(),
            Value::Bool(b) => self.bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    self.int(i);
                } else if let Some(u) = n.as_u64() {
                    let _ = rmp::encode::write_uint(self.0, u);
                } else {
                    let _ = rmp::encode::write_f64(self.0, n.as_f64().unwrap_or(f64::NAN));
                }
            }
            Value::String(s) => self.str(s),
            Value::Array(a) => {
                self.array(a.len());
                for v in a {
                    self.any(v);
                }
            }
            Value::Object(o) => {
                self.map(o.len());
                for (k, v) in o {
                    self.str(k);
                    self.any(v);
                }
            }
        }
    }
}
