//! Tyk Pump's config structs as `envconfig` sees them: each field's variable name (the Go
//! field name upper-cased, or its `envconfig` tag), its JSON key, and its kind. Taken from
//! Tyk Pump's `config.go`, `storage/store.go`, `analytics/analytics_filters.go` and the
//! `pumps/*.go` of the types the import converts.

/// What a field holds, and so how its variable's value is read.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A string, as given.
    Str,
    /// An integer in Go's syntax.
    Int,
    /// A boolean as Go's `strconv.ParseBool` reads it.
    Bool,
    /// Strings separated by `,`.
    Strs,
    /// Integers separated by `,`.
    Ints,
    /// `key:value,key:value`.
    Pairs,
    /// A nested struct: its fields take this field's name as prefix.
    Nested(&'static [Field]),
    /// An embedded struct: its fields take the enclosing prefix.
    Embedded(&'static [Field]),
    /// Read by Tyk but not by this importer: variables under this name are reported.
    Opaque,
}

/// One Go struct field: its `envconfig` name, its JSON key, its kind.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The name after the prefix and `_` (empty for an embedded struct).
    pub env: &'static str,
    /// The JSON key (empty for an embedded struct).
    pub json: &'static str,
    /// What it holds.
    pub kind: Kind,
}

const fn f(env: &'static str, json: &'static str, kind: Kind) -> Field {
    Field { env, json, kind }
}

use Kind::{Bool, Embedded, Int, Ints, Nested, Opaque, Pairs, Str, Strs};

/// `TykPumpConfiguration` (config.go), without `Pumps` (handled by name).
pub const TOP: &[Field] = &[
    f("PURGECHUNK", "purge_chunk", Int),
    f("STORAGEEXPIRATIONTIME", "storage_expiration_time", Int),
    f("UPTIMEPUMPCONFIG", "uptime_pump_config", Nested(UPTIME)),
    f(
        "ANALYTICSSTORAGECONFIG",
        "analytics_storage_config",
        Nested(STORAGE),
    ),
    f("ANALYTICSSTORAGETYPE", "analytics_storage_type", Str),
    f("STATSDCONNECTIONSTRING", "statsd_connection_string", Str),
    f("STATSDPREFIX", "statsd_prefix", Str),
    f("LOGLEVEL", "log_level", Str),
    f("LOGFORMAT", "log_format", Str),
    f("HEALTHCHECKENDPOINTNAME", "health_check_endpoint_name", Str),
    f("PURGEDELAY", "purge_delay", Int),
    f("HEALTHCHECKENDPOINTPORT", "health_check_endpoint_port", Int),
    f("MAXRECORDSIZE", "max_record_size", Int),
    f("DONTPURGEUPTIMEDATA", "dont_purge_uptime_data", Bool),
    f("OMITDETAILEDRECORDING", "omit_detailed_recording", Bool),
    f("OMITCONFIGFILE", "omit_config_file", Bool),
    f("HTTPPROFILE", "enable_http_profiler", Bool),
    f("DECODERAWREQUEST", "raw_request_decoded", Bool),
    f("DECODERAWRESPONSE", "raw_response_decoded", Bool),
    f("KV", "kv", Opaque),
];

/// `storage.TemporalStorageConfig`.
pub const STORAGE: &[Field] = &[
    f("TYPE", "type", Str),
    f("HOST", "host", Str),
    f("PORT", "port", Int),
    f("HOSTS", "hosts", Pairs),
    f("ADDRS", "addrs", Strs),
    f("MASTERNAME", "master_name", Str),
    f("SENTINELPASSWORD", "sentinel_password", Str),
    f("USERNAME", "username", Str),
    f("PASSWORD", "password", Str),
    f("DATABASE", "database", Int),
    f("TIMEOUT", "timeout", Int),
    f("MAXIDLE", "optimisation_max_idle", Int),
    f("MAXACTIVE", "optimisation_max_active", Int),
    f("ENABLECLUSTER", "enable_cluster", Bool),
    f("REDISKEYPREFIX", "redis_key_prefix", Str),
    f("KEYPREFIX", "key_prefix", Str),
    f("USESSL", "use_ssl", Bool),
    f("SSLINSECURESKIPVERIFY", "ssl_insecure_skip_verify", Bool),
    f("SSLCAFILE", "ssl_ca_file", Str),
    f("SSLCERTFILE", "ssl_cert_file", Str),
    f("SSLKEYFILE", "ssl_key_file", Str),
    f("SSLMAXVERSION", "ssl_max_version", Str),
    f("SSLMINVERSION", "ssl_min_version", Str),
    f("REDISUSESSL", "redis_use_ssl", Bool),
    f(
        "REDISSSLINSECURESKIPVERIFY",
        "redis_ssl_insecure_skip_verify",
        Bool,
    ),
    f("IAMAUTH", "iam_auth", Nested(IAM)),
];

/// `storage.IAMAuthConfig`.
const IAM: &[Field] = &[
    f("PROVIDER", "provider", Str),
    f("SERVICEACCOUNT", "service_account", Str),
    f(
        "TOKENREFRESHBEFOREEXPIRY",
        "token_refresh_before_expiry",
        Str,
    ),
    f("ENABLED", "enabled", Bool),
];

/// `UptimeConf`: `MongoConf` and `SQLConf` embedded, and `UptimeType`.
const UPTIME: &[Field] = &[
    f("", "", Embedded(MONGO)),
    f("TYPE", "type", Str),
    f("CONNECTIONSTRING", "connection_string", Str),
    f("POSTGRES", "postgres", Opaque),
    f("MYSQL", "mysql", Opaque),
    f("TABLESHARDING", "table_sharding", Bool),
    f("LOGLEVEL", "log_level", Str),
    f("BATCHSIZE", "batch_size", Int),
    f("MIGRATESHARDEDTABLES", "migrate_sharded_tables", Bool),
    f("UPTIMETYPE", "uptime_type", Str),
];

/// `PumpConfig`.
pub const PUMP: &[Field] = &[
    f("NAME", "name", Str),
    f("TYPE", "type", Str),
    f("FILTERS", "filters", Nested(FILTERS)),
    f("TIMEOUT", "timeout", Int),
    f("OMITDETAILEDRECORDING", "omit_detailed_recording", Bool),
    f("MAXRECORDSIZE", "max_record_size", Int),
    f("IGNOREFIELDS", "ignore_fields", Strs),
    f("DECODERAWREQUEST", "raw_request_decoded", Bool),
    f("DECODERAWRESPONSE", "raw_response_decoded", Bool),
];

/// `analytics.AnalyticsFilters`.
const FILTERS: &[Field] = &[
    f("ORGSIDS", "org_ids", Strs),
    f("APIIDS", "api_ids", Strs),
    f("RESPONSECODES", "response_codes", Ints),
    f("SKIPPEDORGSIDS", "skip_org_ids", Strs),
    f("SKIPPEDAPIIDS", "skip_api_ids", Strs),
    f("SKIPPEDRESPONSECODES", "skip_response_codes", Ints),
];

/// `pumps.BaseMongoConf`, embedded in every MongoDB pump's options.
const MONGO_BASE: &[Field] = &[
    f("MONGOURL", "mongo_url", Str),
    f("MONGOUSESSL", "mongo_use_ssl", Bool),
    f(
        "MONGOSSLINSECURESKIPVERIFY",
        "mongo_ssl_insecure_skip_verify",
        Bool,
    ),
    f(
        "MONGOSSLALLOWINVALIDHOSTNAMES",
        "mongo_ssl_allow_invalid_hostnames",
        Bool,
    ),
    f("MONGOSSLCAFILE", "mongo_ssl_ca_file", Str),
    f("MONGOSSLPEMKEYFILE", "mongo_ssl_pem_keyfile", Str),
    // The one field with an explicit `envconfig` name.
    f("MONGO_DB_TYPE", "mongo_db_type", Int),
    f("OMITINDEXCREATION", "omit_index_creation", Bool),
    f("MONGOSESSIONCONSISTENCY", "mongo_session_consistency", Str),
    f("MONGODRIVERTYPE", "driver", Str),
    f("MONGODIRECTCONNECTION", "mongo_direct_connection", Bool),
];

/// `pumps.MongoConf` (type `mongo`, and the uptime pump).
const MONGO: &[Field] = &[
    f("", "", Embedded(MONGO_BASE)),
    f("COLLECTIONNAME", "collection_name", Str),
    f(
        "MAXINSERTBATCHSIZEBYTES",
        "max_insert_batch_size_bytes",
        Int,
    ),
    f("MAXDOCUMENTSIZEBYTES", "max_document_size_bytes", Int),
    f(
        "COLLECTIONCAPMAXSIZEBYTES",
        "collection_cap_max_size_bytes",
        Int,
    ),
    f("COLLECTIONCAPENABLE", "collection_cap_enable", Bool),
];

/// `pumps.MongoAggregateConf` (type `mongo-pump-aggregate`).
const MONGO_AGGREGATE: &[Field] = &[
    f("", "", Embedded(MONGO_BASE)),
    f("USEMIXEDCOLLECTION", "use_mixed_collection", Bool),
    f("TRACKALLPATHS", "track_all_paths", Bool),
    f("IGNORETAGPREFIXLIST", "ignore_tag_prefix_list", Strs),
    f("THRESHOLDLENTAGLIST", "threshold_len_tag_list", Int),
    f(
        "STOREANALYTICSPERMINUTE",
        "store_analytics_per_minute",
        Bool,
    ),
    f("AGGREGATIONTIME", "aggregation_time", Int),
    f(
        "ENABLEAGGREGATESELFHEALING",
        "enable_aggregate_self_healing",
        Bool,
    ),
    f("IGNOREAGGREGATIONSLIST", "ignore_aggregations", Strs),
];

/// `pumps.MongoSelectiveConf` (type `mongo-pump-selective`).
const MONGO_SELECTIVE: &[Field] = &[
    f("", "", Embedded(MONGO_BASE)),
    f(
        "MAXINSERTBATCHSIZEBYTES",
        "max_insert_batch_size_bytes",
        Int,
    ),
    f("MAXDOCUMENTSIZEBYTES", "max_document_size_bytes", Int),
];

/// `pumps.ElasticsearchConf`.
const ELASTICSEARCH: &[Field] = &[
    f("INDEXNAME", "index_name", Str),
    f("ELASTICSEARCHURL", "elasticsearch_url", Str),
    f("ENABLESNIFFING", "use_sniffing", Bool),
    f("DOCUMENTTYPE", "document_type", Str),
    f("ROLLINGINDEX", "rolling_index", Bool),
    f("EXTENDEDSTATISTICS", "extended_stats", Bool),
    f("GENERATEID", "generate_id", Bool),
    f("DECODEBASE64", "decode_base64", Bool),
    f("VERSION", "version", Str),
    f("DISABLEBULK", "disable_bulk", Bool),
    f("BULKCONFIG", "bulk_config", Nested(ELASTICSEARCH_BULK)),
    f("AUTHAPIKEYID", "auth_api_key_id", Str),
    f("AUTHAPIKEY", "auth_api_key", Str),
    f("USERNAME", "auth_basic_username", Str),
    f("PASSWORD", "auth_basic_password", Str),
    f("USESSL", "use_ssl", Bool),
    f("SSLINSECURESKIPVERIFY", "ssl_insecure_skip_verify", Bool),
    f("SSLCERTFILE", "ssl_cert_file", Str),
    f("SSLKEYFILE", "ssl_key_file", Str),
    f("SSLCAFILE", "ssl_ca_file", Str),
    f("MCPINDEXNAME", "mcp_index_name", Str),
];

/// `pumps.ElasticsearchBulkConfig`.
const ELASTICSEARCH_BULK: &[Field] = &[
    f("WORKERS", "workers", Int),
    f("FLUSHINTERVAL", "flush_interval", Int),
    f("BULKACTIONS", "bulk_actions", Int),
    f("BULKSIZE", "bulk_size", Int),
];

/// `pumps.StdOutConf`.
const STDOUT: &[Field] = &[
    f("FORMAT", "format", Str),
    f("LOGFIELDNAME", "log_field_name", Str),
    f("USELEGACYPAYLOADFORMAT", "use_legacy_payload_format", Bool),
];

/// The `meta` fields of the Tyk pump types this importer converts.
pub fn meta_fields(tyk_type: &str) -> Option<&'static [Field]> {
    Some(match tyk_type {
        "mongo" => MONGO,
        "mongo-pump-aggregate" => MONGO_AGGREGATE,
        "mongo-pump-selective" => MONGO_SELECTIVE,
        "elasticsearch" => ELASTICSEARCH,
        "stdout" => STDOUT,
        "dummy" => &[],
        _ => return None,
    })
}
