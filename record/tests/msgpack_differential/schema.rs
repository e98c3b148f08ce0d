//! The fields of each record and of the structs inside it, in Go declaration order (which
//! serde's derive also took field indexes and positional arrays in), with their kinds.

#[derive(Clone, Copy)]
pub enum Kind {
    Str,
    I64,
    U64,
    F64,
    Bool,
    Time,
    /// `Tags`, `RootFields`.
    Strs,
    /// City `Names`.
    Names,
    /// GraphQL `Types`.
    Types,
    /// GraphQL `Errors`.
    Errors,
    /// A GraphQL error's `Path`.
    Path,
    Struct(&'static [(&'static str, Kind)]),
}

pub use Kind::*;

pub const COUNTRY: &[(&str, Kind)] = &[("ISOCode", Str)];
pub const CITY: &[(&str, Kind)] = &[("GeoNameID", U64), ("Names", Names)];
pub const LOCATION: &[(&str, Kind)] = &[("Latitude", F64), ("Longitude", F64), ("TimeZone", Str)];
pub const GEO: &[(&str, Kind)] = &[
    ("Country", Struct(COUNTRY)),
    ("City", Struct(CITY)),
    ("Location", Struct(LOCATION)),
];
pub const NETWORK: &[(&str, Kind)] = &[
    ("OpenConnections", I64),
    ("ClosedConnection", I64),
    ("BytesIn", I64),
    ("BytesOut", I64),
];
pub const LATENCY: &[(&str, Kind)] = &[("Total", I64), ("Upstream", I64), ("Gateway", I64)];
pub const GRAPH_ERROR: &[(&str, Kind)] = &[("Message", Str), ("Path", Path)];
pub const GRAPHQL: &[(&str, Kind)] = &[
    ("Variables", Str),
    ("RootFields", Strs),
    ("Types", Types),
    ("Errors", Errors),
    ("OperationType", I64),
    ("HasErrors", Bool),
    ("IsGraphQL", Bool),
];
pub const MCP: &[(&str, Kind)] = &[
    ("IsMCP", Bool),
    ("JSONRPCMethod", Str),
    ("PrimitiveType", Str),
    ("PrimitiveName", Str),
];
pub const ANALYTICS: &[(&str, Kind)] = &[
    ("Method", Str),
    ("Host", Str),
    ("Path", Str),
    ("RawPath", Str),
    ("ContentLength", I64),
    ("UserAgent", Str),
    ("Day", I64),
    ("Month", I64),
    ("Year", I64),
    ("Hour", I64),
    ("ResponseCode", I64),
    ("APIKey", Str),
    ("TimeStamp", Time),
    ("APIVersion", Str),
    ("APIName", Str),
    ("APIID", Str),
    ("OrgID", Str),
    ("OauthID", Str),
    ("RequestTime", I64),
    ("RawRequest", Str),
    ("RawResponse", Str),
    ("IPAddress", Str),
    ("Geo", Struct(GEO)),
    ("Network", Struct(NETWORK)),
    ("Latency", Struct(LATENCY)),
    ("Tags", Strs),
    ("Alias", Str),
    ("TrackPath", Bool),
    ("ExpireAt", Time),
    ("ApiSchema", Str),
    ("OriginalPath", Str),
    ("ListenPath", Str),
    ("GraphQLStats", Struct(GRAPHQL)),
    ("MCPStats", Struct(MCP)),
    ("CollectionName", Str),
];
pub const UPTIME: &[(&str, Kind)] = &[
    ("ID", Str),
    ("URL", Str),
    ("RequestTime", I64),
    ("ResponseCode", I64),
    ("TCPError", Bool),
    ("ServerError", Bool),
    ("Day", I64),
    ("Month", I64),
    ("Year", I64),
    ("Hour", I64),
    ("Minute", I64),
    ("TimeStamp", Time),
    ("ExpireAt", Time),
    ("APIID", Str),
    ("OrgID", Str),
];
