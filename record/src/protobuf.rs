//! Decoding the protobuf records of the `…_protobuf` keys (TYK-FORMAT.md §3).
//!
//! The messages are written out with prost's derive instead of generated from Tyk's
//! `analytics.proto`, so the build needs no `protoc`; field numbers and types follow that
//! file exactly. Conversion to our record follows Tyk's
//! `TransformSingleProtoToAnalyticsRecord`, except that a missing sub-message yields
//! defaults where Tyk Pump dereferences a nil pointer and panics.

use crate::{
    AnalyticsRecord, City, Country, Geo, GraphError, GraphQLStats, Latency, Location, McpStats,
    Network, Str, Timestamp, msgpack::DecodeError,
};
use prost::Message;
use std::borrow::Cow;

/// Decodes one protobuf analytics record. Strings are owned: prost copies them.
pub fn decode_analytics_protobuf(bytes: &[u8]) -> Result<AnalyticsRecord<'static>, DecodeError> {
    let p =
        proto::AnalyticsRecord::decode(bytes).map_err(|e| DecodeError::Protobuf(e.to_string()))?;
    Ok(from_proto(p))
}

fn from_proto(p: proto::AnalyticsRecord) -> AnalyticsRecord<'static> {
    let geo = p.geo.unwrap_or_default();
    let country = geo.country.unwrap_or_default();
    let city = geo.city.unwrap_or_default();
    let location = geo.location.unwrap_or_default();
    let network = p.network.unwrap_or_default();
    let latency = p.latency.unwrap_or_default();
    AnalyticsRecord {
        method: s(p.method),
        host: s(p.host),
        path: s(p.path),
        raw_path: s(p.raw_path),
        content_length: p.content_length,
        user_agent: s(p.user_agent),
        day: p.day.into(),
        month: p.month.into(),
        year: p.year.into(),
        hour: p.hour.into(),
        response_code: p.response_code.into(),
        api_key: s(p.api_key),
        timestamp: time(p.time_stamp),
        api_version: s(p.api_version),
        api_name: s(p.api_name),
        api_id: s(p.api_id),
        org_id: s(p.org_id),
        oauth_id: s(p.oauth_id),
        request_time: p.request_time,
        raw_request: s(p.raw_request),
        raw_response: s(p.raw_response),
        ip_address: s(p.ip_address),
        geo: Geo {
            country: Country {
                iso_code: s(country.iso_code),
            },
            // Tyk Pump drops the city names here; they are in the message, so we keep them.
            city: City {
                geoname_id: city.geo_name_id.into(),
                names: (!city.names.is_empty())
                    .then(|| city.names.into_iter().map(|(k, v)| (s(k), s(v))).collect()),
            },
            location: Location {
                latitude: location.latitude,
                longitude: location.longitude,
                time_zone: s(location.time_zone),
            },
        },
        network: Network {
            open_connections: network.open_connections,
            closed_connections: network.closed_connections,
            bytes_in: network.bytes_in,
            bytes_out: network.bytes_out,
        },
        // The message has no gateway latency.
        latency: Latency {
            total: latency.total,
            upstream: latency.upstream,
            gateway: 0,
        },
        tags: strs(p.tags),
        alias: s(p.alias),
        track_path: p.track_path,
        expire_at: time(p.expire_at),
        api_schema: s(p.api_schema),
        original_path: s(p.original_path),
        listen_path: s(p.listen_path),
        graphql_stats: p.graphql_stats.map(graphql).unwrap_or_default(),
        mcp_stats: p
            .mcp_stats
            .map(|m| McpStats {
                is_mcp: m.is_mcp,
                jsonrpc_method: s(m.jsonrpc_method),
                primitive_type: s(m.primitive_type),
                primitive_name: s(m.primitive_name),
            })
            .unwrap_or_default(),
        // Field 30, TimeZone, only lets Tyk Pump render times in the gateway's zone; our
        // times are UTC instants, so it has nowhere to go. CollectionName never travels
        // in protobuf.
        collection_name: Cow::Borrowed(""),
    }
}

/// Like Tyk's converter: a present GraphQLStats always gets non-nil Types and Errors, and
/// an operation type outside the enum reads as unknown.
fn graphql(g: proto::GraphQlStats) -> GraphQLStats<'static> {
    GraphQLStats {
        variables: s(g.variables),
        root_fields: strs(g.root_fields),
        types: Some(
            g.types
                .into_iter()
                .map(|(k, v)| (k, (!v.fields.is_empty()).then_some(v.fields)))
                .collect(),
        ),
        errors: Some(
            g.graph_errors
                .into_iter()
                .map(|message| GraphError {
                    message,
                    path: None,
                })
                .collect(),
        ),
        operation_type: match g.operation_type {
            op @ 1..=3 => op.into(),
            _ => 0,
        },
        has_errors: g.has_error,
        is_graphql: g.is_graphql,
    }
}

fn s(v: String) -> Str<'static> {
    Cow::Owned(v)
}

/// proto3 cannot tell a nil list from an empty one; Go's decoder yields a nil slice for
/// both, so Tyk's downstream tools see `null` and so do ours.
fn strs(v: Vec<String>) -> Option<Vec<Str<'static>>> {
    (!v.is_empty()).then(|| v.into_iter().map(s).collect())
}

/// A missing time is an unset time, which the rest of the format spells as Go's zero time.
/// (Go's `AsTime` on a nil Timestamp would give the Unix epoch instead.)
fn time(t: Option<prost_types::Timestamp>) -> Timestamp {
    t.map_or(Timestamp::GO_ZERO, |t| {
        Timestamp::new(t.seconds, t.nanos.into())
    })
}

/// The messages of Tyk's `analytics.proto`, field for field.
pub mod proto {
    use std::collections::BTreeMap;

    /// One request, as the gateway writes it to the `_protobuf` keys.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct AnalyticsRecord {
        #[prost(string, tag = "1")]
        pub host: String,
        #[prost(string, tag = "2")]
        pub method: String,
        #[prost(string, tag = "3")]
        pub path: String,
        #[prost(string, tag = "4")]
        pub raw_path: String,
        #[prost(int64, tag = "5")]
        pub content_length: i64,
        #[prost(string, tag = "6")]
        pub user_agent: String,
        #[prost(int32, tag = "7")]
        pub day: i32,
        #[prost(int32, tag = "8")]
        pub month: i32,
        #[prost(int32, tag = "9")]
        pub year: i32,
        #[prost(int32, tag = "10")]
        pub hour: i32,
        #[prost(int32, tag = "11")]
        pub response_code: i32,
        #[prost(string, tag = "12")]
        pub api_key: String,
        #[prost(message, optional, tag = "13")]
        pub time_stamp: Option<prost_types::Timestamp>,
        #[prost(string, tag = "14")]
        pub api_version: String,
        #[prost(string, tag = "15")]
        pub api_name: String,
        #[prost(string, tag = "16")]
        pub api_id: String,
        #[prost(string, tag = "17")]
        pub org_id: String,
        #[prost(int64, tag = "18")]
        pub request_time: i64,
        #[prost(message, optional, tag = "19")]
        pub latency: Option<Latency>,
        #[prost(string, tag = "20")]
        pub raw_request: String,
        #[prost(string, tag = "21")]
        pub raw_response: String,
        #[prost(string, tag = "22")]
        pub ip_address: String,
        #[prost(message, optional, tag = "23")]
        pub geo: Option<GeoData>,
        #[prost(message, optional, tag = "24")]
        pub network: Option<NetworkStats>,
        #[prost(string, repeated, tag = "25")]
        pub tags: Vec<String>,
        #[prost(string, tag = "26")]
        pub alias: String,
        #[prost(bool, tag = "27")]
        pub track_path: bool,
        #[prost(message, optional, tag = "28")]
        pub expire_at: Option<prost_types::Timestamp>,
        #[prost(string, tag = "29")]
        pub oauth_id: String,
        /// The Go location name of the gateway's timestamp (`Local`, `UTC`, …).
        #[prost(string, tag = "30")]
        pub time_zone: String,
        #[prost(string, tag = "31")]
        pub api_schema: String,
        #[prost(message, optional, tag = "32")]
        pub graphql_stats: Option<GraphQlStats>,
        #[prost(message, optional, tag = "33")]
        pub mcp_stats: Option<McpStats>,
        #[prost(string, tag = "34")]
        pub original_path: String,
        #[prost(string, tag = "35")]
        pub listen_path: String,
    }

    /// Latencies in milliseconds; the gateway-only latency is not part of the message.
    #[derive(Clone, Copy, PartialEq, prost::Message)]
    pub struct Latency {
        #[prost(int64, tag = "1")]
        pub total: i64,
        #[prost(int64, tag = "2")]
        pub upstream: i64,
    }

    /// The client's country.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Country {
        #[prost(string, tag = "1")]
        pub iso_code: String,
    }

    /// The client's city.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct City {
        #[prost(btree_map = "string, string", tag = "1")]
        pub names: BTreeMap<String, String>,
        #[prost(uint32, tag = "2")]
        pub geo_name_id: u32,
    }

    /// The client's coordinates and time zone.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Location {
        #[prost(double, tag = "1")]
        pub latitude: f64,
        #[prost(double, tag = "2")]
        pub longitude: f64,
        #[prost(string, tag = "3")]
        pub time_zone: String,
    }

    /// The gateway's GeoIP lookup.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct GeoData {
        #[prost(message, optional, tag = "1")]
        pub country: Option<Country>,
        #[prost(message, optional, tag = "2")]
        pub city: Option<City>,
        #[prost(message, optional, tag = "3")]
        pub location: Option<Location>,
    }

    /// Connection statistics (here `ClosedConnections` is plural, unlike the msgpack key).
    #[derive(Clone, Copy, PartialEq, prost::Message)]
    pub struct NetworkStats {
        #[prost(int64, tag = "1")]
        pub open_connections: i64,
        #[prost(int64, tag = "2")]
        pub closed_connections: i64,
        #[prost(int64, tag = "3")]
        pub bytes_in: i64,
        #[prost(int64, tag = "4")]
        pub bytes_out: i64,
    }

    /// The GraphQL operation kind.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum GraphQlOperations {
        /// Not a query, mutation or subscription (or not parsed).
        Unknown = 0,
        /// A query.
        Query = 1,
        /// A mutation.
        Mutation = 2,
        /// A subscription.
        Subscription = 3,
    }

    /// GraphQL details; the gateway writes it only for GraphQL requests.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct GraphQlStats {
        #[prost(bool, tag = "1")]
        pub is_graphql: bool,
        #[prost(btree_map = "string, message", tag = "2")]
        pub types: BTreeMap<String, RepeatedFields>,
        #[prost(enumeration = "GraphQlOperations", tag = "3")]
        pub operation_type: i32,
        #[prost(string, tag = "4")]
        pub variables: String,
        #[prost(string, repeated, tag = "5")]
        pub root_fields: Vec<String>,
        #[prost(bool, tag = "6")]
        pub has_error: bool,
        #[prost(string, repeated, tag = "7")]
        pub graph_errors: Vec<String>,
    }

    /// The fields requested of one GraphQL type.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RepeatedFields {
        #[prost(string, repeated, tag = "1")]
        pub fields: Vec<String>,
    }

    /// Model Context Protocol details; the gateway writes it only for MCP requests.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct McpStats {
        #[prost(bool, tag = "1")]
        pub is_mcp: bool,
        #[prost(string, tag = "2")]
        pub jsonrpc_method: String,
        #[prost(string, tag = "3")]
        pub primitive_type: String,
        #[prost(string, tag = "4")]
        pub primitive_name: String,
    }
}
