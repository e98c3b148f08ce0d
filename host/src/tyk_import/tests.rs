//! Conversions of realistic Tyk configs (`host/tests/fixtures/tyk/*.conf`): the TOML passes
//! the pump's checks, carries the expected keys and values, and the notes say what was left
//! out.

use super::{Conversion, ImportError, convert, convert_named, types};
use toml::Value;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/tyk/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Converts a fixture, checks the TOML with the pump's own parser, and reads it back.
fn convert_fixture(name: &str, env: &[(&str, &str)]) -> (Conversion, toml::Table) {
    let c =
        convert_named(&fixture(name), name, &vars(env)).unwrap_or_else(|e| panic!("{name}: {e}"));
    check(c)
}

fn check(c: Conversion) -> (Conversion, toml::Table) {
    if let Err(e) = crate::config::parse(&c.toml, "converted", &[]) {
        panic!("{e}\n{}", c.toml);
    }
    // The fixtures hold no `$`, so the text reads back as TOML without interpolation.
    let table: toml::Table = c.toml.parse().unwrap_or_else(|e| panic!("{e}\n{}", c.toml));
    (c, table)
}

/// The value at a dotted path (`sinks.mongo.type`).
fn at<'t>(t: &'t toml::Table, path: &str) -> Option<&'t Value> {
    let mut parts = path.split('.');
    let mut v = t.get(parts.next()?)?;
    for p in parts {
        v = v.as_table()?.get(p)?;
    }
    Some(v)
}

fn str_at<'t>(t: &'t toml::Table, path: &str) -> &'t str {
    at(t, path)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {path} in {t:#?}"))
}

fn int_at(t: &toml::Table, path: &str) -> i64 {
    at(t, path)
        .and_then(Value::as_integer)
        .unwrap_or_else(|| panic!("no integer at {path} in {t:#?}"))
}

fn strings_at(t: &toml::Table, path: &str) -> Vec<String> {
    at(t, path)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no array at {path} in {t:#?}"))
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        .collect()
}

fn has_note(c: &Conversion, at: &str, needle: &str) -> bool {
    c.notes
        .iter()
        .any(|n| n.at == at && n.message.contains(needle))
}

fn assert_note(c: &Conversion, at: &str, needle: &str) {
    assert!(
        has_note(c, at, needle),
        "no note at `{at}` containing `{needle}`; notes:\n{}",
        c.notes
            .iter()
            .map(|n| format!("  {n}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn mongo_and_aggregate_pumps_become_mongo_sinks_and_uptime_joins_the_raw_one() {
    if !types::built("mongo") {
        return;
    }
    let (c, t) = convert_fixture("mongo-aggregate.conf", &[]);
    assert!(
        c.toml
            .starts_with("# Generated from mongo-aggregate.conf by pump import-tyk-config")
    );

    assert_eq!(
        str_at(&t, "source.redis_url"),
        "redis://redis.internal:6379/2"
    );
    assert_eq!(str_at(&t, "source.password"), "s3cret-redis");
    assert_eq!(int_at(&t, "source.batch_size"), 5000);
    assert_eq!(int_at(&t, "source.poll_interval"), 2);
    assert_note(&c, "source.password", "${REDIS_PASSWORD}");
    assert_note(&c, "source", "storage_expiration_time");
    assert_note(&c, "source", "optimisation_max_idle");

    assert_eq!(str_at(&t, "sinks.mongo.type"), "mongo");
    assert_eq!(
        str_at(&t, "sinks.mongo.mongo_url"),
        "mongodb://mongo.internal:27017/tyk_analytics"
    );
    assert_eq!(str_at(&t, "sinks.mongo.collection_name"), "tyk_analytics");
    assert_eq!(
        int_at(&t, "sinks.mongo.max_insert_batch_size_bytes"),
        10 << 20
    );
    assert_eq!(
        int_at(&t, "sinks.mongo.collection_cap_max_size_bytes"),
        2_147_483_648
    );
    assert_eq!(
        at(&t, "sinks.mongo.collection_cap_enable"),
        Some(&Value::Boolean(true))
    );
    assert_eq!(at(&t, "sinks.mongo.uptime"), Some(&Value::Boolean(true)));
    assert_note(&c, "sinks.mongo.uptime", "uptime_pump_config");

    let agg = "sinks.mongo-pump-aggregate";
    assert_eq!(str_at(&t, &format!("{agg}.type")), "mongo-aggregate");
    assert_eq!(int_at(&t, &format!("{agg}.aggregation_time")), 15);
    assert_eq!(
        at(&t, &format!("{agg}.use_mixed_collection")),
        Some(&Value::Boolean(true))
    );
    assert_eq!(
        at(&t, &format!("{agg}.track_all_paths")),
        None,
        "false is Tyk's unset"
    );
    assert_eq!(
        strings_at(&t, &format!("{agg}.ignore_tag_prefix_list")),
        ["key-", "session-"]
    );
    assert_eq!(
        strings_at(&t, &format!("{agg}.ignore_aggregations")),
        ["apikeys", "oauthids"]
    );
    assert_eq!(at(&t, &format!("{agg}.uptime")), None);
    assert_note(&c, agg, "enable_aggregate_self_healing");
    assert_note(&c, agg, "threshold_len_tag_list");
}

#[test]
fn elasticsearch_keeps_bulk_config_authentication_and_tls() {
    let (c, t) = convert_fixture("elasticsearch.conf", &[]);
    assert_eq!(
        str_at(&t, "source.redis_url"),
        "rediss://redis-tls.internal:6380/0"
    );
    assert_eq!(str_at(&t, "source.tls_ca_file"), "/etc/tyk/redis-ca.pem");
    assert_eq!(str_at(&t, "source.key_prefix"), "analytics-");
    assert_eq!(at(&t, "source.batch_size"), None);
    assert_note(&c, "source.batch_size", "purge_chunk");
    assert_eq!(str_at(&t, "log.level"), "debug");
    assert_eq!(str_at(&t, "log.format"), "json");
    assert_note(&c, "", "dont_purge_uptime_data");

    if !types::built("elasticsearch") {
        assert!(at(&t, "sinks").is_none());
        assert_note(&c, "pumps.elasticsearch", "Wasm sink");
        return;
    }
    let es = "sinks.elasticsearch";
    assert_eq!(str_at(&t, &format!("{es}.type")), "elasticsearch");
    assert_eq!(int_at(&t, &format!("{es}.timeout")), 15);
    assert_eq!(
        str_at(&t, &format!("{es}.elasticsearch_url")),
        "https://es1.internal:9200"
    );
    assert_eq!(
        strings_at(&t, &format!("{es}.elasticsearch_urls")),
        ["https://es2.internal:9200"]
    );
    assert_eq!(str_at(&t, &format!("{es}.index_name")), "tyk_analytics");
    for flag in [
        "rolling_index",
        "extended_stats",
        "decode_base64",
        "generate_id",
    ] {
        assert_eq!(
            at(&t, &format!("{es}.{flag}")),
            Some(&Value::Boolean(true)),
            "{flag}"
        );
    }
    assert_eq!(str_at(&t, &format!("{es}.auth_api_key_id")), "pump-key");
    assert_eq!(str_at(&t, &format!("{es}.auth_api_key")), "c2VjcmV0LWtleQ");
    assert_eq!(
        str_at(&t, &format!("{es}.ssl_ca_cert_file")),
        "/etc/tyk/es-ca.pem"
    );
    assert_eq!(int_at(&t, &format!("{es}.bulk_config.workers")), 4);
    assert_eq!(int_at(&t, &format!("{es}.bulk_config.bulk_actions")), 500);
    assert_eq!(
        int_at(&t, &format!("{es}.bulk_config.bulk_size")),
        2_097_152
    );
    assert_eq!(at(&t, &format!("{es}.bulk_config.flush_interval")), None);
    assert_eq!(int_at(&t, &format!("{es}.batch_max_wait")), 5);
    assert_eq!(at(&t, &format!("{es}.version")), None);
    assert_eq!(at(&t, &format!("{es}.document_type")), None);
    assert_note(&c, es, "`meta.version`");
    assert_note(&c, es, "`meta.document_type`");
    assert_note(&c, &format!("{es}.auth_api_key"), "copied in clear");

    let legacy = "sinks.es-legacy";
    assert_eq!(
        str_at(&t, &format!("{legacy}.auth_basic_username")),
        "elastic"
    );
    assert_eq!(
        str_at(&t, &format!("{legacy}.auth_basic_password")),
        "changeme"
    );
    assert_eq!(
        int_at(&t, &format!("{legacy}.bulk_config.bulk_actions")),
        -1
    );
    assert_note(&c, legacy, "\"6\"");
}

#[test]
fn filters_and_per_pump_options_carry_over() {
    let (c, t) = convert_fixture("filters.conf", &[]);
    assert_eq!(str_at(&t, "source.redis_url"), "redis://localhost:6379/0");
    assert_note(&c, "", "`some_old_option` is not a Tyk Pump option");

    let errors = "sinks.errors";
    assert_eq!(str_at(&t, &format!("{errors}.type")), "stdout");
    assert_eq!(int_at(&t, &format!("{errors}.timeout")), 5);
    assert_eq!(
        at(&t, &format!("{errors}.filters.response_codes")),
        Some(&Value::Array(vec![
            500.into(),
            502.into(),
            503.into(),
            504.into()
        ]))
    );
    assert_eq!(
        strings_at(&t, &format!("{errors}.filters.skip_api_ids")),
        ["internal-health"]
    );
    assert_eq!(at(&t, &format!("{errors}.filters.org_ids")), None);
    assert_eq!(
        strings_at(&t, &format!("{errors}.ignore_fields")),
        ["api_key", "ip_address", "oauth_id"]
    );
    assert_note(&c, &format!("{errors}.ignore_fields"), "no_such_field");
    assert_eq!(int_at(&t, &format!("{errors}.max_record_size")), 2048);
    assert_note(&c, &format!("{errors}.max_record_size"), "top-level");
    for flag in ["raw_request_decoded", "raw_response_decoded"] {
        assert_eq!(
            at(&t, &format!("{errors}.{flag}")),
            Some(&Value::Boolean(true))
        );
    }
    assert_note(&c, errors, "`meta.log_field_name`");

    let bench = "sinks.bench";
    assert_eq!(str_at(&t, &format!("{bench}.type")), "blackhole");
    assert_eq!(int_at(&t, &format!("{bench}.max_record_size")), 512);
    assert_eq!(strings_at(&t, &format!("{bench}.filters.api_ids")), ["a1"]);
    assert_eq!(
        strings_at(&t, &format!("{bench}.filters.skip_org_ids")),
        ["o9"]
    );

    if !types::built("mongo-selective") {
        return;
    }
    let org = "sinks.per-org";
    assert_eq!(str_at(&t, &format!("{org}.type")), "mongo-selective");
    assert_eq!(
        at(&t, &format!("{org}.omit_detailed_recording")),
        Some(&Value::Boolean(true))
    );
    assert_eq!(
        strings_at(&t, &format!("{org}.filters.org_ids")),
        ["5e9d9544a1dcd60001d0ed20", "5e9d9544a1dcd60001d0ed21"]
    );
    assert_eq!(
        at(&t, &format!("{org}.filters.skip_response_codes")),
        Some(&Value::Array(vec![404.into()]))
    );
    assert_eq!(
        str_at(&t, &format!("{org}.mongo_url")),
        "mongodb://mongo:27017/tyk_analytics?directConnection=true"
    );
    assert_eq!(
        int_at(&t, &format!("{org}.max_insert_batch_size_bytes")),
        5_242_880
    );
    // Tyk's MongoDB pumps ignore it; the sink would not.
    assert_eq!(at(&t, &format!("{org}.raw_request_decoded")), None);
    assert_note(&c, org, "`raw_request_decoded` left out");
}

#[test]
fn tyk_pmp_variables_override_the_file_as_in_tyk() {
    let env = [
        ("TYK_PMP_PURGEDELAY", "3"),
        ("TYK_PMP_PURGECHUNK", "2000"),
        ("TYK_PMP_ANALYTICSSTORAGECONFIG_HOST", "redis.prod"),
        ("TYK_PMP_ANALYTICSSTORAGECONFIG_PORT", "6380"),
        ("TYK_PMP_ANALYTICSSTORAGECONFIG_PASSWORD", "from-env"),
        ("TYK_PMP_ANALYTICSSTORAGECONFIG_DATABASE", "1"),
        ("TYK_PMP_ANALYTICSSTORAGECONFIG_USESSL", "true"),
        (
            "TYK_PMP_PUMPS_MONGO_META_MONGOURL",
            "mongodb://mongo.prod:27017/tyk",
        ),
        ("TYK_PMP_PUMPS_MONGO_META_COLLECTIONNAME", "analytics_prod"),
        (
            "TYK_PMP_PUMPS_MONGO_FILTERS_SKIPPEDRESPONSECODES",
            "404,499",
        ),
        ("TYK_PMP_PUMPS_MONGO_TIMEOUT", "ten"),
        ("TYK_PMP_PUMPS_DEBUG_TYPE", "stdout"),
        ("TYK_PMP_PUMPS_DEBUG_OMITDETAILEDRECORDING", "1"),
        (
            "TYK_PMP_UPTIMEPUMPCONFIG_MONGOURL",
            "mongodb://mongo.prod:27017/tyk",
        ),
        ("TYK_PMP_HEALTHCHECKENDPOINTPORT", "9090"),
        ("TYK_PMP_LOGLEVEL", "warn"),
        ("TYK_PMP_NOSUCHTHING", "1"),
        ("PATH", "/usr/bin"),
    ];
    let (c, t) = convert_fixture("env.conf", &env);
    assert_eq!(str_at(&t, "source.redis_url"), "rediss://redis.prod:6380/1");
    assert_eq!(str_at(&t, "source.password"), "from-env");
    assert_eq!(int_at(&t, "source.poll_interval"), 3);
    assert_eq!(int_at(&t, "source.batch_size"), 2000);
    assert_eq!(str_at(&t, "log.level"), "warn");
    if at(&t, "admin").is_some() {
        assert_eq!(str_at(&t, "admin.listen"), "0.0.0.0:9090");
    } else {
        assert!(c.toml.contains("listen = \"0.0.0.0:9090\""), "{}", c.toml);
    }

    assert_eq!(str_at(&t, "sinks.debug.type"), "stdout");
    assert_eq!(
        at(&t, "sinks.debug.omit_detailed_recording"),
        Some(&Value::Boolean(true))
    );
    assert_note(
        &c,
        "",
        "pump `DEBUG` (type `stdout`) is defined by TYK_PMP_PUMPS_DEBUG_",
    );
    assert_note(
        &c,
        "",
        "TYK_PMP_PUMPS_MONGO_TIMEOUT is ignored: `ten` is not an integer",
    );
    assert_note(&c, "", "TYK_PMP_NOSUCHTHING is not a Tyk Pump setting");
    assert!(!c.notes.iter().any(|n| n.message.contains("PATH")));

    if !types::built("mongo") {
        return;
    }
    assert_eq!(
        str_at(&t, "sinks.mongo.mongo_url"),
        "mongodb://mongo.prod:27017/tyk"
    );
    assert_eq!(str_at(&t, "sinks.mongo.collection_name"), "analytics_prod");
    assert_eq!(at(&t, "sinks.mongo.timeout"), None);
    assert_eq!(
        at(&t, "sinks.mongo.filters.skip_response_codes"),
        Some(&Value::Array(vec![404.into(), 499.into()]))
    );
    // The uptime pump's URL was overridden to the same database.
    assert_eq!(at(&t, "sinks.mongo.uptime"), Some(&Value::Boolean(true)));
}

#[test]
fn without_the_environment_the_file_alone_is_converted() {
    let (_, t) = convert_fixture("env.conf", &[]);
    assert_eq!(str_at(&t, "source.redis_url"), "redis://localhost:6379/0");
    assert!(at(&t, "sinks.debug").is_none());
}

#[test]
fn cluster_addresses_and_uptime_switch_come_from_the_environment() {
    let env = [
        ("TYK_PMP_ANALYTICSSTORAGECONFIG_ENABLECLUSTER", "true"),
        (
            "TYK_PMP_ANALYTICSSTORAGECONFIG_ADDRS",
            "r1:7000,r2:7001,r3:7002",
        ),
        ("TYK_PMP_DONTPURGEUPTIMEDATA", "true"),
    ];
    let (c, t) = convert_fixture("env.conf", &env);
    assert_eq!(str_at(&t, "source.redis_url"), "redis://r1:7000");
    assert_eq!(at(&t, "source.cluster"), Some(&Value::Boolean(true)));
    assert_eq!(
        strings_at(&t, "source.cluster_urls"),
        ["redis://r2:7001", "redis://r3:7002"]
    );
    assert_eq!(at(&t, "sinks.mongo.uptime"), None);
    assert_note(&c, "", "dont_purge_uptime_data");
}

#[test]
fn omit_config_file_builds_the_config_from_the_environment_alone() {
    let env = [
        ("TYK_PMP_OMITCONFIGFILE", "TRUE"),
        ("TYK_PMP_ANALYTICSSTORAGECONFIG_HOST", "redis.env"),
        ("TYK_PMP_ANALYTICSSTORAGECONFIG_PORT", "6379"),
        ("TYK_PMP_PUMPS_ARCHIVE_TYPE", "stdout"),
        ("TYK_PMP_PUMPS_ARCHIVE_FILTERS_ORGSIDS", "org-a,org-b"),
        ("TYK_PMP_DONTPURGEUPTIMEDATA", "t"),
    ];
    let c = convert("this file is ignored, it is not even JSON", &vars(&env))
        .unwrap_or_else(|e| panic!("{e}"));
    let (c, t) = check(c);
    assert_eq!(str_at(&t, "source.redis_url"), "redis://redis.env:6379/0");
    assert_eq!(str_at(&t, "sinks.archive.type"), "stdout");
    assert_eq!(
        strings_at(&t, "sinks.archive.filters.org_ids"),
        ["org-a", "org-b"]
    );
    assert_note(&c, "", "TYK_PMP_OMITCONFIGFILE");
}

#[test]
fn unsupported_types_are_listed_with_the_wasm_route() {
    let (c, t) = convert_fixture("unsupported.conf", &[]);
    assert_eq!(str_at(&t, "sinks.archive.type"), "stdout");
    let sinks = at(&t, "sinks").and_then(Value::as_table).map(|s| s.len());
    assert_eq!(sinks, Some(1));
    for pump in ["splunk", "kafka", "csv", "prometheus"] {
        assert_note(&c, &format!("pumps.{pump}"), types::NO_SINK);
        assert!(
            c.toml
                .contains(&format!("#   - pumps.{pump} (type \"{pump}\")")),
            "{}",
            c.toml
        );
    }
    assert_note(&c, "pumps.csv", "not CSV");
    assert_note(&c, "uptime_pump_config", "sql");
    assert_note(&c, "", "carrier-pigeon");
    let list_at = c.toml.find("Not converted").unwrap_or(usize::MAX);
    let source_at = c.toml.find("[source]").unwrap_or(0);
    assert!(list_at < source_at, "the list opens the file:\n{}", c.toml);
}

#[test]
fn a_config_of_unsupported_pumps_only_is_an_error_naming_them() {
    let json = r#"{"pumps": {"splunk": {"type": "splunk"}, "kafka": {"type": "kafka"}}}"#;
    match convert(json, &[]) {
        Err(ImportError::NoSinks { skipped }) => {
            assert_eq!(skipped.len(), 2, "{skipped:?}");
            assert!(skipped.iter().any(|s| s.contains("kafka")));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        convert("{}", &[]),
        Err(ImportError::NoSinks { .. })
    ));
}

#[test]
fn secrets_with_dollars_read_back_unchanged() {
    let json = r#"{
        "analytics_storage_config": {"host": "r", "port": 6379, "password": "pa$word${X}"},
        "pumps": {"out": {"type": "stdout"}}
    }"#;
    let c = convert(json, &[]).unwrap_or_else(|e| panic!("{e}"));
    let config = crate::config::parse(&c.toml, "converted", &[])
        .unwrap_or_else(|e| panic!("{e}\n{}", c.toml));
    assert_eq!(config.source.password.as_deref(), Some("pa$word${X}"));
}

#[test]
fn keys_match_whatever_their_case_as_in_go() {
    let json = r#"{
        "Purge_Delay": 7,
        "Analytics_Storage_Config": {"Host": "R1", "PORT": 6390},
        "pumps": {"Out": {"Type": "stdout", "Filters": {"Org_IDs": ["o"]}}}
    }"#;
    let (_, t) = check(convert(json, &[]).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(int_at(&t, "source.poll_interval"), 7);
    assert_eq!(str_at(&t, "source.redis_url"), "redis://R1:6390/0");
    assert_eq!(strings_at(&t, "sinks.out.filters.org_ids"), ["o"]);
}

#[test]
fn a_value_of_the_wrong_type_names_its_key() {
    let json =
        r#"{"analytics_storage_config": {"port": "6379"}, "pumps": {"o": {"type": "stdout"}}}"#;
    match convert(json, &[]) {
        Err(ImportError::Field { path, message }) => {
            assert_eq!(path, "analytics_storage_config");
            assert!(message.contains("6379"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let json = r#"{"pumps": {"o": {"type": "stdout", "timeout": "5s"}}}"#;
    match convert(json, &[]) {
        Err(ImportError::Field { path, .. }) => assert_eq!(path, "pumps.o.timeout"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_json_says_where() {
    match convert("{\n  \"purge_delay\": 10,\n  oops\n}", &[]) {
        Err(ImportError::Json { line, .. }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        convert("[1, 2]", &[]),
        Err(ImportError::NotAnObject { found: "array" })
    ));
}

#[test]
fn options_the_sink_refuses_are_left_out_with_a_note() {
    let json =
        r#"{"pumps": {"out": {"type": "stdout", "meta": {"format": "json", "colour": true}}}}"#;
    let (c, t) = check(convert(json, &[]).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(at(&t, "sinks.out.colour"), None);
    assert_note(
        &c,
        "sinks.out",
        "`meta.colour` is not an option of Tyk's `stdout` pump",
    );
}

#[test]
fn values_the_sink_refuses_are_left_out_and_a_sink_without_its_required_options_is_skipped() {
    if !types::built("mongo") {
        return;
    }
    let json = r#"{"pumps": {
        "raw": {"type": "mongo", "meta": {"mongo_url": "mongodb://m/tyk", "max_document_size_bytes": -5}},
        "nourl": {"type": "mongo", "meta": {"collection_name": "x", "mongo_direct_connection": true}},
        "out": {"type": "stdout"}
    }}"#;
    let (c, t) = check(convert(json, &[]).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(str_at(&t, "sinks.raw.mongo_url"), "mongodb://m/tyk");
    assert_eq!(at(&t, "sinks.raw.max_document_size_bytes"), None);
    assert_note(&c, "sinks.raw", "`max_document_size_bytes` left out");
    assert_eq!(at(&t, "sinks.nourl"), None);
    assert_note(&c, "pumps.nourl", "mongo_url");
    assert!(
        !c.notes.iter().any(|n| n.at.starts_with("sinks.nourl")),
        "{:?}",
        c.notes
    );
    assert!(
        c.toml.contains("pumps.nourl (type \"mongo\")"),
        "{}",
        c.toml
    );

    if !types::built("elasticsearch") {
        return;
    }
    let json = r#"{"pumps": {"es": {"type": "elasticsearch", "meta": {
        "index_name": "Tyk_Analytics", "bulk_config": {"workers": -1, "bulk_size": 1000}}}}}"#;
    let (c, t) = check(convert(json, &[]).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(at(&t, "sinks.es.index_name"), None);
    assert_eq!(at(&t, "sinks.es.bulk_config.workers"), None);
    assert_eq!(int_at(&t, "sinks.es.bulk_config.bulk_size"), 1000);
    assert_note(&c, "sinks.es", "`index_name` left out");
    assert_note(&c, "sinks.es", "`bulk_config.workers` left out");
}

#[test]
fn purge_options_out_of_range_are_clamped_or_defaulted() {
    let json = r#"{"purge_chunk": 500000, "purge_delay": 0, "pumps": {"o": {"type": "dummy"}}}"#;
    let (c, t) = check(convert(json, &[]).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(int_at(&t, "source.batch_size"), 100_000);
    assert_eq!(at(&t, "source.poll_interval"), None);
    assert_note(&c, "source.batch_size", "limit");
    assert_note(&c, "source.poll_interval", "not set");
}

#[test]
fn sink_names_are_lower_cased_and_made_valid() {
    let json =
        r#"{"pumps": {"Mongo Archive!": {"type": "dummy"}, "mongo_archive_": {"type": "dummy"}}}"#;
    let (c, t) = check(convert(json, &[]).unwrap_or_else(|e| panic!("{e}")));
    let sinks = at(&t, "sinks").and_then(Value::as_table);
    let names: Vec<&String> = sinks.map(|s| s.keys().collect()).unwrap_or_default();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.iter().all(|n| n.starts_with("mongo_archive_")),
        "{names:?}"
    );
    assert!(
        c.notes
            .iter()
            .any(|n| n.message.contains("renamed from `MONGO ARCHIVE!`"))
    );
}

#[test]
fn every_tyk_type_is_in_the_migration_guide() {
    let guide =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/migration.md"))
            .unwrap_or_default();
    for route in types::ROUTES {
        assert!(
            guide.contains(&format!("`{}`", route.tyk)),
            "docs/migration.md does not mention Tyk's `{}` pump",
            route.tyk
        );
    }
}
