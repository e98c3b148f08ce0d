//! The analytics record: one per API request (TYK-FORMAT.md §2).

use crate::{Str, Timestamp};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A request analytics record as the gateway writes it.
///
/// Missing keys take their zero value (older gateways write fewer fields); unknown keys are
/// skipped (newer gateways may add fields); keys may come in any order.
///
/// String fields are spelled `Cow<'a, str>`, not `Str<'a>`: serde's derive only borrows for
/// `#[serde(borrow)]` when it sees the literal `Cow` type, and copies through an alias.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalyticsRecord<'a> {
    #[serde(borrow, rename(serialize = "method", deserialize = "Method"))]
    pub method: Cow<'a, str>,
    #[serde(borrow, rename(serialize = "host", deserialize = "Host"))]
    pub host: Cow<'a, str>,
    #[serde(borrow, rename(serialize = "path", deserialize = "Path"))]
    pub path: Cow<'a, str>,
    #[serde(borrow, rename(serialize = "raw_path", deserialize = "RawPath"))]
    pub raw_path: Cow<'a, str>,
    #[serde(rename(serialize = "content_length", deserialize = "ContentLength"))]
    pub content_length: i64,
    #[serde(borrow, rename(serialize = "user_agent", deserialize = "UserAgent"))]
    pub user_agent: Cow<'a, str>,
    #[serde(rename(serialize = "day", deserialize = "Day"))]
    pub day: i64,
    /// 1..=12.
    #[serde(rename(serialize = "month", deserialize = "Month"))]
    pub month: i64,
    #[serde(rename(serialize = "year", deserialize = "Year"))]
    pub year: i64,
    #[serde(rename(serialize = "hour", deserialize = "Hour"))]
    pub hour: i64,
    /// The HTTP status; `-1` marks a record that carries network statistics only.
    #[serde(rename(serialize = "response_code", deserialize = "ResponseCode"))]
    pub response_code: i64,
    #[serde(borrow, rename(serialize = "api_key", deserialize = "APIKey"))]
    pub api_key: Cow<'a, str>,
    #[serde(rename(serialize = "timestamp", deserialize = "TimeStamp"))]
    pub timestamp: Timestamp,
    #[serde(borrow, rename(serialize = "api_version", deserialize = "APIVersion"))]
    pub api_version: Cow<'a, str>,
    #[serde(borrow, rename(serialize = "api_name", deserialize = "APIName"))]
    pub api_name: Cow<'a, str>,
    #[serde(borrow, rename(serialize = "api_id", deserialize = "APIID"))]
    pub api_id: Cow<'a, str>,
    #[serde(borrow, rename(serialize = "org_id", deserialize = "OrgID"))]
    pub org_id: Cow<'a, str>,
    #[serde(borrow, rename(serialize = "oauth_id", deserialize = "OauthID"))]
    pub oauth_id: Cow<'a, str>,
    /// Milliseconds.
    #[serde(rename(serialize = "request_time", deserialize = "RequestTime"))]
    pub request_time: i64,
    /// Base64 of the raw HTTP request (detailed recording).
    #[serde(borrow, rename(serialize = "raw_request", deserialize = "RawRequest"))]
    pub raw_request: Cow<'a, str>,
    /// Base64 of the raw HTTP response (detailed recording).
    #[serde(
        borrow,
        rename(serialize = "raw_response", deserialize = "RawResponse")
    )]
    pub raw_response: Cow<'a, str>,
    #[serde(borrow, rename(serialize = "ip_address", deserialize = "IPAddress"))]
    pub ip_address: Cow<'a, str>,
    #[serde(borrow, rename(serialize = "geo", deserialize = "Geo"))]
    pub geo: Geo<'a>,
    #[serde(rename(serialize = "network", deserialize = "Network"))]
    pub network: Network,
    #[serde(rename(serialize = "latency", deserialize = "Latency"))]
    pub latency: Latency,
    /// `None` where the gateway wrote a nil slice, `Some(vec![])` for an empty one.
    #[serde(
        borrow,
        rename(serialize = "tags", deserialize = "Tags"),
        deserialize_with = "crate::analytics::borrowed::opt_strs"
    )]
    pub tags: Option<Vec<Str<'a>>>,
    #[serde(borrow, rename(serialize = "alias", deserialize = "Alias"))]
    pub alias: Cow<'a, str>,
    #[serde(rename(serialize = "track_path", deserialize = "TrackPath"))]
    pub track_path: bool,
    /// When MongoDB's TTL index should drop the record.
    #[serde(rename(serialize = "expireAt", deserialize = "ExpireAt"))]
    pub expire_at: Timestamp,
    #[serde(borrow, rename(serialize = "api_schema", deserialize = "ApiSchema"))]
    pub api_schema: Cow<'a, str>,
    #[serde(
        borrow,
        rename(serialize = "original_path", deserialize = "OriginalPath")
    )]
    pub original_path: Cow<'a, str>,
    #[serde(borrow, rename(serialize = "listen_path", deserialize = "ListenPath"))]
    pub listen_path: Cow<'a, str>,
    #[serde(
        borrow,
        rename(serialize = "graphql_stats", deserialize = "GraphQLStats")
    )]
    pub graphql_stats: GraphQLStats<'a>,
    #[serde(borrow, rename(serialize = "mcp_stats", deserialize = "MCPStats"))]
    pub mcp_stats: McpStats<'a>,
    /// Set by the gateway for per-API collections; never part of Tyk's JSON.
    #[serde(borrow, rename(deserialize = "CollectionName"), skip_serializing)]
    pub collection_name: Cow<'a, str>,
}

/// Where the client was, from the gateway's GeoIP lookup.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Geo<'a> {
    #[serde(borrow, rename(serialize = "country", deserialize = "Country"))]
    pub country: Country<'a>,
    #[serde(borrow, rename(serialize = "city", deserialize = "City"))]
    pub city: City<'a>,
    #[serde(borrow, rename(serialize = "location", deserialize = "Location"))]
    pub location: Location<'a>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Country<'a> {
    #[serde(borrow, rename(serialize = "iso_code", deserialize = "ISOCode"))]
    pub iso_code: Cow<'a, str>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct City<'a> {
    #[serde(rename(serialize = "geoname_id", deserialize = "GeoNameID"))]
    pub geoname_id: u64,
    /// City names by language; `None` for a nil map.
    #[serde(
        borrow,
        rename(serialize = "names", deserialize = "Names"),
        deserialize_with = "crate::analytics::borrowed::opt_str_map"
    )]
    pub names: Option<BTreeMap<Str<'a>, Str<'a>>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Location<'a> {
    #[serde(rename(serialize = "latitude", deserialize = "Latitude"))]
    pub latitude: f64,
    #[serde(rename(serialize = "longitude", deserialize = "Longitude"))]
    pub longitude: f64,
    #[serde(borrow, rename(serialize = "time_zone", deserialize = "TimeZone"))]
    pub time_zone: Cow<'a, str>,
}

/// Connection statistics. The gateway's key is `ClosedConnection` (singular).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Network {
    #[serde(rename(serialize = "open_connections", deserialize = "OpenConnections"))]
    pub open_connections: i64,
    #[serde(rename(serialize = "closed_connections", deserialize = "ClosedConnection"))]
    pub closed_connections: i64,
    #[serde(rename(serialize = "bytes_in", deserialize = "BytesIn"))]
    pub bytes_in: i64,
    #[serde(rename(serialize = "bytes_out", deserialize = "BytesOut"))]
    pub bytes_out: i64,
}

/// Latencies in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Latency {
    #[serde(rename(serialize = "total", deserialize = "Total"))]
    pub total: i64,
    #[serde(rename(serialize = "upstream", deserialize = "Upstream"))]
    pub upstream: i64,
    #[serde(rename(serialize = "gateway", deserialize = "Gateway"))]
    pub gateway: i64,
}

/// GraphQL details of a GraphQL request. Tyk's struct has no JSON tags, so its JSON keys
/// are the Go names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GraphQLStats<'a> {
    #[serde(borrow, rename = "Variables")]
    pub variables: Cow<'a, str>,
    #[serde(
        borrow,
        rename = "RootFields",
        deserialize_with = "crate::analytics::borrowed::opt_strs"
    )]
    pub root_fields: Option<Vec<Str<'a>>>,
    /// Type name to the fields requested of it; `None` for a nil map.
    #[serde(rename = "Types")]
    pub types: Option<BTreeMap<String, Option<Vec<String>>>>,
    #[serde(rename = "Errors")]
    pub errors: Option<Vec<GraphError>>,
    /// 0 unknown, 1 query, 2 mutation, 3 subscription.
    #[serde(rename = "OperationType")]
    pub operation_type: i64,
    #[serde(rename = "HasErrors")]
    pub has_errors: bool,
    #[serde(rename = "IsGraphQL")]
    pub is_graphql: bool,
}

/// One GraphQL error: its message and the path of the field it concerns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GraphError {
    #[serde(rename(serialize = "message", deserialize = "Message"))]
    pub message: String,
    /// Field names and list indexes, as the gateway wrote them.
    #[serde(rename(serialize = "path", deserialize = "Path"))]
    pub path: Option<Vec<serde_json::Value>>,
}

/// Model Context Protocol details of an MCP request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct McpStats<'a> {
    #[serde(rename(serialize = "is_mcp", deserialize = "IsMCP"))]
    pub is_mcp: bool,
    #[serde(
        borrow,
        rename(serialize = "jsonrpc_method", deserialize = "JSONRPCMethod")
    )]
    pub jsonrpc_method: Cow<'a, str>,
    #[serde(
        borrow,
        rename(serialize = "primitive_type", deserialize = "PrimitiveType")
    )]
    pub primitive_type: Cow<'a, str>,
    #[serde(
        borrow,
        rename(serialize = "primitive_name", deserialize = "PrimitiveName")
    )]
    pub primitive_name: Cow<'a, str>,
}

impl AnalyticsRecord<'_> {
    /// Copies every borrowed string, detaching the record from its input bytes.
    pub fn into_owned(self) -> AnalyticsRecord<'static> {
        fn o(s: Str<'_>) -> Str<'static> {
            Str::Owned(s.into_owned())
        }
        fn os(v: Option<Vec<Str<'_>>>) -> Option<Vec<Str<'static>>> {
            v.map(|v| v.into_iter().map(o).collect())
        }
        AnalyticsRecord {
            method: o(self.method),
            host: o(self.host),
            path: o(self.path),
            raw_path: o(self.raw_path),
            content_length: self.content_length,
            user_agent: o(self.user_agent),
            day: self.day,
            month: self.month,
            year: self.year,
            hour: self.hour,
            response_code: self.response_code,
            api_key: o(self.api_key),
            timestamp: self.timestamp,
            api_version: o(self.api_version),
            api_name: o(self.api_name),
            api_id: o(self.api_id),
            org_id: o(self.org_id),
            oauth_id: o(self.oauth_id),
            request_time: self.request_time,
            raw_request: o(self.raw_request),
            raw_response: o(self.raw_response),
            ip_address: o(self.ip_address),
            geo: Geo {
                country: Country {
                    iso_code: o(self.geo.country.iso_code),
                },
                city: City {
                    geoname_id: self.geo.city.geoname_id,
                    names: self
                        .geo
                        .city
                        .names
                        .map(|m| m.into_iter().map(|(k, v)| (o(k), o(v))).collect()),
                },
                location: Location {
                    latitude: self.geo.location.latitude,
                    longitude: self.geo.location.longitude,
                    time_zone: o(self.geo.location.time_zone),
                },
            },
            network: self.network,
            latency: self.latency,
            tags: os(self.tags),
            alias: o(self.alias),
            track_path: self.track_path,
            expire_at: self.expire_at,
            api_schema: o(self.api_schema),
            original_path: o(self.original_path),
            listen_path: o(self.listen_path),
            graphql_stats: GraphQLStats {
                variables: o(self.graphql_stats.variables),
                root_fields: os(self.graphql_stats.root_fields),
                types: self.graphql_stats.types,
                errors: self.graphql_stats.errors,
                operation_type: self.graphql_stats.operation_type,
                has_errors: self.graphql_stats.has_errors,
                is_graphql: self.graphql_stats.is_graphql,
            },
            mcp_stats: McpStats {
                is_mcp: self.mcp_stats.is_mcp,
                jsonrpc_method: o(self.mcp_stats.jsonrpc_method),
                primitive_type: o(self.mcp_stats.primitive_type),
                primitive_name: o(self.mcp_stats.primitive_name),
            },
            collection_name: o(self.collection_name),
        }
    }
}

/// Deserializers that borrow strings inside containers (serde's own `Cow` impl copies there).
pub(crate) mod borrowed {
    use crate::Str;
    use serde::Deserialize;
    use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
    use std::borrow::Cow;
    use std::collections::BTreeMap;
    use std::fmt;

    #[derive(Deserialize)]
    struct B<'a>(#[serde(borrow)] Cow<'a, str>);

    pub fn opt_strs<'de: 'a, 'a, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<Str<'a>>>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<Vec<Str<'de>>>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of strings or nil")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(B(s)) = seq.next_element()? {
                    out.push(s);
                }
                Ok(Some(out))
            }
        }
        d.deserialize_any(V)
    }

    pub fn opt_str_map<'de: 'a, 'a, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<BTreeMap<Str<'a>, Str<'a>>>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<BTreeMap<Str<'de>, Str<'de>>>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of strings or nil")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((B(k), B(v))) = map.next_entry()? {
                    out.insert(k, v);
                }
                Ok(Some(out))
            }
        }
        d.deserialize_any(V)
    }
}
