//! Each mistake reports `file:line:column: key: message`.

use super::{MINIMAL, assert_starts, err, ok};

#[test]
fn unknown_top_level_key() {
    let e = err(&format!("colour = \"blue\"\n{MINIMAL}"));
    assert_starts(
        &e,
        "pump.toml:1:1: colour: unknown field `colour`, expected one of `source`, `log`, `admin`, `sinks`",
    );
}

#[test]
fn unknown_key_in_source() {
    let e = err(&MINIMAL.replace(
        "redis_url = \"redis://127.0.0.1:6379/0\"",
        "redis_url = \"redis://h\"\nbatchsize = 5",
    ));
    assert_starts(
        &e,
        "pump.toml:3:1: source.batchsize: unknown field `batchsize`, expected one of `redis_url`",
    );
}

#[test]
fn unknown_key_in_a_sink_names_both_kinds_of_option() {
    let e = err(&MINIMAL.replace("path = ", "pathh = "));
    assert_starts(
        &e,
        "pump.toml:6:1: sinks.archive.pathh: unknown field `pathh`, expected `path` or `fsync` (the options of `file` sinks), or one of the options every sink has: `uptime`, `batch_max_records`",
    );

    let e = err(
        "[source]\nredis_url = \"redis://h\"\n[sinks.out]\ntype = \"stdout\"\n  batch_max_record = 5\n",
    );
    assert_starts(
        &e,
        "pump.toml:5:3: sinks.out.batch_max_record: unknown field `batch_max_record`: `stdout` sinks have no options of their own; the options every sink has are: `uptime`",
    );
}

#[test]
fn unknown_key_in_filters() {
    let e = err(&format!("{MINIMAL}filters = {{ api_id = [\"a\"] }}\n"));
    assert_starts(
        &e,
        "pump.toml:7:13: sinks.archive.filters.api_id: unknown field `api_id`, expected one of `org_ids`, `api_ids`",
    );
}

#[test]
fn wrong_type_points_at_the_value() {
    let e = err(&format!("{MINIMAL}batch_max_records = \"many\"\n"));
    assert_starts(
        &e,
        "pump.toml:7:21: sinks.archive.batch_max_records: invalid type: string \"many\", expected usize",
    );
    let e = err(&MINIMAL.replace("[sinks", "cluster = \"yes\"\n[sinks"));
    assert_starts(
        &e,
        "pump.toml:4:11: source.cluster: invalid type: string \"yes\", expected a boolean",
    );
}

#[test]
fn unknown_sink_type_lists_the_types() {
    let e = err(&MINIMAL.replace("\"file\"", "\"kafka\""));
    assert_starts(
        &e,
        "pump.toml:5:8: sinks.archive.type: unknown sink type `kafka`; the built-in types are: file, stdout, blackhole",
    );
}

#[test]
fn missing_keys_point_at_their_table() {
    let e = err(&MINIMAL.replace("path = \"analytics.jsonl\"\n", ""));
    assert_starts(&e, "pump.toml:4:1: sinks.archive: missing field `path`");
    let e = err(&MINIMAL.replace("type = \"file\"\n", ""));
    assert_starts(
        &e,
        "pump.toml:4:1: sinks.archive: missing field `type`; set it to one of: file, stdout, blackhole",
    );
    let e = err(&MINIMAL.replace("redis_url = \"redis://127.0.0.1:6379/0\"\n", ""));
    assert_starts(&e, "pump.toml:1:1: source: missing field `redis_url`");
}

#[test]
fn missing_source_or_sinks_show_an_example() {
    let e = err("[log]\nlevel = \"info\"\n[sinks.a]\ntype = \"stdout\"\n");
    assert_starts(
        &e,
        "pump.toml:1:1: source: the `[source]` table is missing; add it, for example:",
    );
    let e = err("[source]\nredis_url = \"redis://h\"\n");
    assert_starts(
        &e,
        "pump.toml:1:1: sinks: at least one sink is required; add one, for example:",
    );
    assert!(
        e.contains("[sinks.archive]\n    type = \"file\"\n    path = \"analytics.jsonl\""),
        "{e}"
    );
    let e = err("[source]\nredis_url = \"redis://h\"\n[sinks]\n");
    assert_starts(&e, "pump.toml:3:1: sinks: at least one sink is required");
}

#[test]
fn invalid_sink_names() {
    let e = err(&MINIMAL.replace("[sinks.archive]", "[sinks.\"my archive\"]"));
    assert_starts(
        &e,
        "pump.toml:4:8: sinks.\"my archive\": invalid sink name `my archive`: use 1 to 64 letters, digits, `_` or `-`",
    );
    let long = "x".repeat(65);
    let e = err(&MINIMAL.replace("archive", &long));
    assert!(e.contains("invalid sink name"), "{e}");
    assert!(
        ok(&MINIMAL.replace("archive", &"x".repeat(64))).sinks[0]
            .name
            .len()
            == 64
    );
}

#[test]
fn ignore_fields_must_name_record_fields() {
    let e = err(&format!(
        "{MINIMAL}ignore_fields = [\"api_key\",\n  \"APIKey\"]\n"
    ));
    assert_starts(
        &e,
        "pump.toml:8:3: sinks.archive.ignore_fields[1]: unknown record field `APIKey`; the fields are: method, host, path",
    );
}

#[test]
fn validation_errors_point_at_the_value() {
    let e = err(&MINIMAL.replace("[sinks", "batch_size = 0\n[sinks"));
    assert_starts(
        &e,
        "pump.toml:4:14: source.batch_size: must be between 1 and 100000, found 0",
    );
    let e = err(&MINIMAL.replace("redis://127.0.0.1:6379/0", "http://127.0.0.1"));
    assert_starts(
        &e,
        "pump.toml:2:13: source.redis_url: unsupported URL scheme `http`",
    );
    let e = err(&MINIMAL.replace("[sinks", "cluster_urls = [\"redis://b\"]\n[sinks"));
    assert_starts(
        &e,
        "pump.toml:4:16: source.cluster_urls: needs `cluster = true`",
    );
    let e = err(&MINIMAL.replace(
        "[sinks",
        "cluster = true\ncluster_urls = [\"redis://b\", \"rediss://c\"]\n[sinks",
    ));
    assert_starts(
        &e,
        "pump.toml:5:30: source.cluster_urls[1]: uses `rediss://` but `redis_url` uses `redis://`",
    );
    let e = err(&MINIMAL.replace("[sinks", "tls_ca_file = \"ca.pem\"\n[sinks"));
    assert_starts(
        &e,
        "pump.toml:4:15: source.tls_ca_file: applies only to TLS",
    );
    let e = err(&format!("{MINIMAL}retry_max_backoff = \"10ms\"\n"));
    assert_starts(
        &e,
        "pump.toml:7:21: sinks.archive.retry_max_backoff: must not be shorter than `retry_initial_backoff`",
    );
    let e = err(&format!("{MINIMAL}[log]\nlevel = \"verbose\"\n"));
    assert_starts(&e, "pump.toml:8:9: log.level: unknown log level `verbose`");
    let e = err(&format!("{MINIMAL}[log]\nformat = \"yaml\"\n"));
    assert_starts(
        &e,
        "pump.toml:8:10: log.format: unknown variant `yaml`, expected `text` or `json`",
    );
}

#[test]
fn toml_syntax_errors_have_a_position() {
    let e = err(&MINIMAL.replace("path = \"analytics.jsonl\"", "path = analytics.jsonl"));
    assert_starts(&e, "pump.toml:6:8: sinks.archive.path: invalid TOML: ");
}
