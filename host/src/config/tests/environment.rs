//! `${VAR}` interpolation and `PUMP__…` overrides.

use super::{MINIMAL, assert_starts, err, err_env, ok, ok_env};
use crate::config::{LogFormat, SinkKind};
use pump_sinks::SinkSettings;
use std::time::Duration;

#[test]
fn variables_are_interpolated() {
    let text = MINIMAL.replace(
        "redis://127.0.0.1:6379/0",
        "redis://:${REDIS_PASSWORD}@${REDIS_HOST:-localhost}:6379/0",
    );
    let c = ok_env(&text, &[("REDIS_PASSWORD", "s3cret")]);
    assert_eq!(c.source.redis_url, "redis://:s3cret@localhost:6379/0");
    let c = ok_env(&text, &[("REDIS_PASSWORD", "p"), ("REDIS_HOST", "cache")]);
    assert_eq!(c.source.redis_url, "redis://:p@cache:6379/0");
    let c = ok(&MINIMAL.replace("analytics.jsonl", "cost$$.jsonl"));
    match &c.sinks[0].settings {
        SinkKind::Native(SinkSettings::File(f)) => {
            assert_eq!(f.path, std::path::Path::new("cost$.jsonl"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unset_variable_is_an_error_at_its_position() {
    let text = MINIMAL.replace("redis://127.0.0.1:6379/0", "redis://:${REDIS_PASSWORD}@h");
    let e = err(&text);
    assert_starts(
        &e,
        "pump.toml:2:23: source.redis_url: environment variable `REDIS_PASSWORD` is not set; set it, or give a default with `${REDIS_PASSWORD:-default}`",
    );
}

#[test]
fn later_errors_point_into_the_original_file_despite_interpolation() {
    let text = format!("{MINIMAL}timeout = \"${{T}}\"\nbogus = 1\n");
    let e = err_env(
        &text,
        &[("T", "a very long value that shifts every later offset 2s")],
    );
    assert_starts(
        &e,
        "pump.toml:7:11: sinks.archive.timeout: invalid duration",
    );
    let e = err_env(&text, &[("T", "a long value that shifts offsets; 2s")]);
    assert!(e.starts_with("pump.toml:7:11:"), "{e}");
    let e = err_env(&text.replace("${T}", "2s"), &[]);
    assert_starts(
        &e,
        "pump.toml:8:1: sinks.archive.bogus: unknown field `bogus`",
    );
}

#[test]
fn overrides_replace_and_add_keys() {
    let c = ok_env(
        MINIMAL,
        &[
            ("PUMP__SOURCE__REDIS_URL", "redis://cache:6380/1"),
            ("PUMP__SINKS__ARCHIVE__PATH", "/var/log/pump.jsonl"),
            ("PUMP__SINKS__ARCHIVE__BATCH_MAX_RECORDS", "500"),
            (
                "PUMP__SINKS__ARCHIVE__IGNORE_FIELDS",
                "[\"raw_request\", \"raw_response\"]",
            ),
            ("PUMP__SINKS__ARCHIVE__FILTERS__API_IDS", "[\"a\"]"),
            ("PUMP__SINKS__ARCHIVE__TIMEOUT", "1500ms"),
            ("PUMP__SINKS__ARCHIVE__UPTIME", "true"),
            ("PUMP__LOG__FORMAT", "json"),
            ("PUMP__SINKS__DEBUG__TYPE", "stdout"),
            ("PUMP_TEST_REDIS_URL", "redis://not-an-override"),
            ("PUMPKIN", "1"),
        ],
    );
    assert_eq!(c.source.redis_url, "redis://cache:6380/1");
    let archive = &c.sinks[0];
    match &archive.settings {
        SinkKind::Native(SinkSettings::File(f)) => {
            assert_eq!(f.path, std::path::Path::new("/var/log/pump.jsonl"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(archive.options.batch_max_records, 500);
    assert_eq!(
        archive.options.ignore_fields,
        ["raw_request", "raw_response"]
    );
    assert_eq!(archive.options.filters.api_ids, ["a"]);
    assert_eq!(archive.options.timeout, Duration::from_millis(1500));
    assert!(archive.options.uptime);
    assert_eq!(c.log.format, LogFormat::Json);
    assert_eq!(c.sinks[1].name, "debug");
    assert!(matches!(
        c.sinks[1].settings,
        SinkKind::Native(SinkSettings::Stdout(_))
    ));
}

#[test]
fn override_sink_names_match_regardless_of_case() {
    let text = MINIMAL.replace("[sinks.archive]", "[sinks.Archive]");
    let c = ok_env(&text, &[("PUMP__SINKS__ARCHIVE__BATCH_MAX_RECORDS", "7")]);
    assert_eq!(c.sinks.len(), 1);
    assert_eq!(c.sinks[0].name, "Archive");
    assert_eq!(c.sinks[0].options.batch_max_records, 7);
}

#[test]
fn a_number_given_for_a_string_is_taken_as_text() {
    let c = ok_env(
        MINIMAL,
        &[
            ("PUMP__SOURCE__PASSWORD", "12345"),
            ("PUMP__SOURCE__USERNAME", "true"),
        ],
    );
    assert_eq!(c.source.password.as_deref(), Some("12345"));
    assert_eq!(c.source.username.as_deref(), Some("true"));
    let c = ok_env(MINIMAL, &[("PUMP__SOURCE__PASSWORD", "\"quoted\"")]);
    assert_eq!(c.source.password.as_deref(), Some("quoted"));
}

#[test]
fn bad_override_values_name_the_variable() {
    let e = err_env(
        MINIMAL,
        &[("PUMP__SINKS__ARCHIVE__BATCH_MAX_RECORDS", "many")],
    );
    assert_starts(
        &e,
        "pump.toml: in environment variable PUMP__SINKS__ARCHIVE__BATCH_MAX_RECORDS: sinks.archive.batch_max_records: invalid type: string \"many\", expected usize",
    );
    let e = err_env(MINIMAL, &[("PUMP__SINKS__ARCHIVE__PATHH", "x")]);
    assert_starts(
        &e,
        "pump.toml: in environment variable PUMP__SINKS__ARCHIVE__PATHH: sinks.archive.pathh: unknown field `pathh`",
    );
    let e = err_env(MINIMAL, &[("PUMP__SOURCE__BATCH_SIZE", "0")]);
    assert_starts(
        &e,
        "pump.toml: in environment variable PUMP__SOURCE__BATCH_SIZE: source.batch_size: must be between 1 and 100000",
    );
    let e = err_env(
        MINIMAL,
        &[(
            "PUMP__SINKS__ARCHIVE__IGNORE_FIELDS",
            "[\"raw_request\", \"nope\"]",
        )],
    );
    assert_starts(
        &e,
        "pump.toml: in environment variable PUMP__SINKS__ARCHIVE__IGNORE_FIELDS: sinks.archive.ignore_fields[1]: unknown record field `nope`",
    );
    let e = err_env(MINIMAL, &[("PUMP__SOURCE__REDIS_URL__HOST", "x")]);
    assert_starts(
        &e,
        "pump.toml: in environment variable PUMP__SOURCE__REDIS_URL__HOST: source.redis_url.host: `source.redis_url` is a string, not a table",
    );
    let e = err_env(MINIMAL, &[("PUMP__SOURCE____X", "1")]);
    assert!(e.contains("does not name a key"), "{e}");
    let e = err_env(MINIMAL, &[("PUMP__SINKS__NEW__PATH", "x")]);
    assert_starts(
        &e,
        "pump.toml: in environment variable PUMP__SINKS__NEW__PATH: sinks.new: missing field `type`",
    );
}

#[test]
fn a_value_that_breaks_the_toml_is_reported_at_its_variable() {
    let text = MINIMAL.replace("[sinks", "password = \"${REDIS_PASSWORD}\"\n[sinks");
    let e = err_env(&text, &[("REDIS_PASSWORD", "pa\"ss")]);
    assert_starts(&e, "pump.toml:4:13: source.password: invalid TOML: ");
}
