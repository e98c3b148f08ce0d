//! The analytics record's msgpack layout (TYK-FORMAT.md §2): the Go key of every field of
//! `AnalyticsRecord` and its nested structs, in Go declaration order.
//!
//! The order matters beyond documentation: serde's derive, which this decoder replaced,
//! also accepted a field's index as its key and an array of values in this order.

use super::error::Result;
use super::fields::{Read, opt_map, opt_seq};
use super::reader::Reader;
use super::structs::fields;
use super::value;
use crate::{
    AnalyticsRecord, City, Country, Geo, GraphError, GraphQLStats, Latency, Location, McpStats,
    Network,
};
use serde_json::Value;
use std::collections::BTreeMap;

fields!(AnalyticsRecord<'a>, "struct AnalyticsRecord" {
    b"Method" => method,
    b"Host" => host,
    b"Path" => path,
    b"RawPath" => raw_path,
    b"ContentLength" => content_length,
    b"UserAgent" => user_agent,
    b"Day" => day,
    b"Month" => month,
    b"Year" => year,
    b"Hour" => hour,
    b"ResponseCode" => response_code,
    b"APIKey" => api_key,
    b"TimeStamp" => timestamp,
    b"APIVersion" => api_version,
    b"APIName" => api_name,
    b"APIID" => api_id,
    b"OrgID" => org_id,
    b"OauthID" => oauth_id,
    b"RequestTime" => request_time,
    b"RawRequest" => raw_request,
    b"RawResponse" => raw_response,
    b"IPAddress" => ip_address,
    b"Geo" => geo,
    b"Network" => network,
    b"Latency" => latency,
    b"Tags" => tags,
    b"Alias" => alias,
    b"TrackPath" => track_path,
    b"ExpireAt" => expire_at,
    b"ApiSchema" => api_schema,
    b"OriginalPath" => original_path,
    b"ListenPath" => listen_path,
    b"GraphQLStats" => graphql_stats,
    b"MCPStats" => mcp_stats,
    b"CollectionName" => collection_name,
});

fields!(Geo<'a>, "struct Geo" {
    b"Country" => country,
    b"City" => city,
    b"Location" => location,
});

fields!(Country<'a>, "struct Country" {
    b"ISOCode" => iso_code,
});

fields!(City<'a>, "struct City" {
    b"GeoNameID" => geoname_id,
    b"Names" => names,
});

fields!(Location<'a>, "struct Location" {
    b"Latitude" => latitude,
    b"Longitude" => longitude,
    b"TimeZone" => time_zone,
});

fields!(Network, "struct Network" {
    b"OpenConnections" => open_connections,
    b"ClosedConnection" => closed_connections,
    b"BytesIn" => bytes_in,
    b"BytesOut" => bytes_out,
});

fields!(Latency, "struct Latency" {
    b"Total" => total,
    b"Upstream" => upstream,
    b"Gateway" => gateway,
});

fields!(GraphQLStats<'a>, "struct GraphQLStats" {
    b"Variables" => variables,
    b"RootFields" => root_fields,
    b"Types" => types,
    b"Errors" => errors,
    b"OperationType" => operation_type,
    b"HasErrors" => has_errors,
    b"IsGraphQL" => is_graphql,
});

fields!(GraphError, "struct GraphError" {
    b"Message" => message,
    b"Path" => path,
});

fields!(McpStats<'a>, "struct McpStats" {
    b"IsMCP" => is_mcp,
    b"JSONRPCMethod" => jsonrpc_method,
    b"PrimitiveType" => primitive_type,
    b"PrimitiveName" => primitive_name,
});

/// GraphQL `Types`: nil, or a map of type name to the list of its fields (each nil or a list).
impl<'a> Read<'a> for Option<BTreeMap<String, Option<Vec<String>>>> {
    const EXPECTING: &'static str = "a map or nil";
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        opt_map(
            r,
            Self::EXPECTING,
            |r| r.string(),
            |r| opt_seq(r, "an array of strings or nil"),
        )
    }
}

impl<'a> Read<'a> for Option<Vec<String>> {
    const EXPECTING: &'static str = "an array of strings or nil";
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        opt_seq(r, Self::EXPECTING)
    }
}

impl<'a> Read<'a> for Option<Vec<GraphError>> {
    const EXPECTING: &'static str = "an array of errors or nil";
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        opt_seq(r, Self::EXPECTING)
    }
}

impl<'a> Read<'a> for Option<Vec<Value>> {
    const EXPECTING: &'static str = "an array or nil";
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        opt_seq(r, Self::EXPECTING)
    }
}

/// A GraphQL error path element: a field name or a list index, as JSON.
impl<'a> Read<'a> for Value {
    const EXPECTING: &'static str = "any valid JSON value";
    fn read(r: &mut Reader<'a>) -> Result<Self> {
        value::read(r)
    }
    fn from_byte(b: u8) -> Result<Self> {
        Ok(Value::from(b))
    }
}
