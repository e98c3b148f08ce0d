//! `pump import-tyk-config` as a user runs it: the TOML on standard output or in `--output`,
//! the notes on standard error, Tyk's environment applied unless `--no-env`, and a result
//! `pump validate` accepts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tyk")
        .join(name)
}

/// Runs `pump` with no `TYK_…` or `PUMP__…` variable but those given.
fn pump(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pump"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("TYK_") || k.starts_with("PUMP__") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run pump")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn converted_config_passes_validate() {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in [
        "mongo-aggregate.conf",
        "elasticsearch.conf",
        "filters.conf",
        "env.conf",
        "unsupported.conf",
    ] {
        let out = dir.path().join(name.replace(".conf", ".toml"));
        let conf = fixture(name);
        let run = pump(
            &[
                "import-tyk-config",
                conf.to_str().expect("utf-8 path"),
                "--output",
                out.to_str().expect("utf-8 path"),
            ],
            &[],
        );
        assert!(run.status.success(), "{name}: {}", text(&run.stderr));
        assert!(run.stdout.is_empty(), "{name}: the TOML went to the file");
        assert!(
            text(&run.stderr).contains("note: "),
            "{name}: {}",
            text(&run.stderr)
        );
        let check = pump(
            &["validate", "--config", out.to_str().expect("utf-8 path")],
            &[],
        );
        assert!(
            check.status.success(),
            "{name}: {}{}",
            text(&check.stdout),
            text(&check.stderr)
        );
    }
}

#[test]
fn toml_goes_to_stdout_and_notes_to_stderr() {
    let conf = fixture("unsupported.conf");
    let run = pump(
        &["import-tyk-config", conf.to_str().expect("utf-8 path")],
        &[],
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    let toml = text(&run.stdout);
    assert!(toml.starts_with("# Generated from unsupported.conf by pump import-tyk-config"));
    assert!(toml.contains("[sinks.archive]"), "{toml}");
    let table: toml::Table = toml.parse().expect("TOML");
    assert!(table.contains_key("source"));
    let notes = text(&run.stderr);
    assert!(
        notes.contains("note: pumps.kafka: type \"kafka\": no native sink yet"),
        "{notes}"
    );
    assert!(notes.contains("note: pumps.splunk: "), "{notes}");
    assert!(
        !toml.contains("note: pumps.kafka"),
        "listed once, at the top: {toml}"
    );
}

#[test]
fn tyk_pmp_variables_apply_unless_no_env() {
    let conf = fixture("env.conf");
    let conf = conf.to_str().expect("utf-8 path");
    let env = [
        ("TYK_PMP_ANALYTICSSTORAGECONFIG_HOST", "redis.from-env"),
        ("TYK_PMP_PURGEDELAY", "4"),
    ];
    let with = pump(&["import-tyk-config", conf], &env);
    assert!(with.status.success(), "{}", text(&with.stderr));
    let toml = text(&with.stdout);
    assert!(
        toml.contains("redis_url = \"redis://redis.from-env:6379/0\""),
        "{toml}"
    );
    assert!(toml.contains("poll_interval = 4"), "{toml}");
    assert!(text(&with.stderr).contains("TYK_PMP_PURGEDELAY sets `purge_delay`"));

    let without = pump(&["import-tyk-config", conf, "--no-env"], &env);
    assert!(without.status.success(), "{}", text(&without.stderr));
    let toml = text(&without.stdout);
    assert!(
        toml.contains("redis_url = \"redis://localhost:6379/0\""),
        "{toml}"
    );
    assert!(toml.contains("poll_interval = 10"), "{toml}");
}

#[test]
fn nothing_convertible_exits_2_naming_the_pumps() {
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("pump.conf");
    std::fs::write(
        &conf,
        r#"{"pumps": {"kafka": {"type": "kafka", "meta": {"broker": ["k:9092"]}}}}"#,
    )
    .expect("write");
    let run = pump(
        &["import-tyk-config", conf.to_str().expect("utf-8 path")],
        &[],
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(run.stdout.is_empty());
    let err = text(&run.stderr);
    assert!(err.contains("pumps.kafka (type \"kafka\")"), "{err}");
    assert!(err.contains("Wasm sink"), "{err}");
}

#[test]
fn invalid_json_exits_2_with_the_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("pump.conf");
    std::fs::write(&conf, "{\n  \"purge_delay\": 10,\n  \"pumps\": {,}\n}\n").expect("write");
    let run = pump(
        &["import-tyk-config", conf.to_str().expect("utf-8 path")],
        &[],
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("line 3"),
        "{}",
        text(&run.stderr)
    );
}

#[test]
fn a_missing_file_exits_1() {
    let run = pump(&["import-tyk-config", "/nonexistent/pump.conf"], &[]);
    assert_eq!(run.status.code(), Some(1));
    assert!(text(&run.stderr).contains("cannot read /nonexistent/pump.conf"));
}
