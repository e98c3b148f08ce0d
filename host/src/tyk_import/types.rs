//! Which sink each Tyk Pump type becomes: the one table of the import.

/// What becomes of one Tyk pump type.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// Tyk's `type`.
    pub tyk: &'static str,
    /// The pump's sink `type`, if it has one for it (it is converted only if this build
    /// has that sink type too).
    pub pump: Option<&'static str>,
    /// What differs, said once per converted sink; or, for the others, what to do instead.
    pub note: &'static str,
}

const fn route(tyk: &'static str, pump: Option<&'static str>, note: &'static str) -> Route {
    Route { tyk, pump, note }
}

/// What to do for a type without a native sink.
pub const NO_SINK_ROUTE: &str = "write a Wasm sink with pump-sdk (docs/plugins.md; examples/ has webhook and Splunk HEC sinks) or use a file sink + a shipper";

/// The note for a type without a native sink.
pub const NO_SINK: &str = "no native sink yet; write a Wasm sink with pump-sdk (docs/plugins.md; examples/ has webhook and Splunk HEC sinks) or use a file sink + a shipper";

/// Every pump type Tyk Pump registers (pumps/init.go), in its order.
pub const ROUTES: &[Route] = &[
    route(
        "dummy",
        Some("blackhole"),
        "Tyk's `dummy` pump becomes a `blackhole` sink: records are counted and discarded",
    ),
    route(
        "mongo",
        Some("mongo"),
        "documents get an `_id` derived from the record, so a batch delivered twice is stored once",
    ),
    route(
        "mongo-pump-selective",
        Some("mongo-selective"),
        "one collection per organisation, `z_tyk_analyticz_<org id>`, as in Tyk",
    ),
    route(
        "mongo-pump-aggregate",
        Some("mongo-aggregate"),
        "each record is counted in its own time bucket (Tyk used the batch's first record's)",
    ),
    route("csv", None, "the `file` sink writes JSON lines, not CSV"),
    route(
        "elasticsearch",
        Some("elasticsearch"),
        "documents always get an `_id` derived from the record; rolling indexes are named by \
         the record's own date",
    ),
    route("influx", None, ""),
    route("influx2", None, ""),
    route("moesif", None, ""),
    route("statsd", None, ""),
    route("segment", None, ""),
    route("graylog", None, ""),
    route("splunk", None, ""),
    route("hybrid", None, ""),
    route("prometheus", None, ""),
    route("logzio", None, ""),
    route("dogstatsd", None, ""),
    route("kafka", None, ""),
    route("syslog", None, ""),
    route("sql", None, ""),
    route("sql_aggregate", None, ""),
    route(
        "stdout",
        Some("stdout"),
        "the `stdout` sink writes one JSON record per line, not Tyk's log entries around each \
         record",
    ),
    route("timestream", None, ""),
    route("mongo-graph", None, ""),
    route("sql-graph", None, ""),
    route("sql-graph-aggregate", None, ""),
    route("mongo-mcp", None, ""),
    route("mongo-mcp-aggregate", None, ""),
    route("sql-mcp", None, ""),
    route("sql-mcp-aggregate", None, ""),
    route("resurfaceio", None, ""),
    route("sqs", None, ""),
    route("kinesis", None, ""),
];

/// The route of a Tyk pump type (lower case), if Tyk knows the type.
pub fn find(tyk_type: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.tyk == tyk_type)
}

/// Whether Tyk Pump has a pump type of this name (lower case).
pub fn is_tyk_type(name: &str) -> bool {
    find(name).is_some()
}

/// The name in a type's default `meta` variables, `TYK_PMP_PUMPS_<name>_META_…`, for the
/// types the import converts.
pub fn meta_env_name(tyk_type: &str) -> Option<&'static str> {
    Some(match tyk_type {
        "mongo" => "MONGO",
        "mongo-pump-aggregate" => "MONGOAGGREGATE",
        "mongo-pump-selective" => "MONGOSELECTIVE",
        "elasticsearch" => "ELASTICSEARCH",
        "stdout" => "STDOUT",
        "dummy" => "DUMMY",
        _ => return None,
    })
}

/// Whether Tyk's pump of this type ignores `raw_request_decoded` / `raw_response_decoded`
/// (its MongoDB pumps do: the Dashboard expects the raw request in base64).
pub fn ignores_decoding(tyk_type: &str) -> bool {
    tyk_type.starts_with("mongo") || tyk_type.starts_with("sql")
}

/// Whether this build of the pump has the sink type.
pub fn built(pump_type: &str) -> bool {
    pump_sinks::SinkSettings::TYPES.contains(&pump_type)
}
