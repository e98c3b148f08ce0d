//! Whole-file tests: what loads and every default; what each mistake reports is in
//! `errors`, `${VAR}` and `PUMP__…` in `environment`.

mod environment;
mod errors;
mod plugins;

use super::*;
use pump_sinks::SinkSettings;
use std::time::Duration;

pub(super) const MINIMAL: &str = r#"[source]
redis_url = "redis://127.0.0.1:6379/0"

[sinks.archive]
type = "file"
path = "analytics.jsonl"
"#;

pub(super) fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) fn ok_env(text: &str, env: &[(&str, &str)]) -> Config {
    parse(text, "pump.toml", &vars(env)).unwrap_or_else(|e| panic!("{e}"))
}

pub(super) fn ok(text: &str) -> Config {
    ok_env(text, &[])
}

pub(super) fn err_env(text: &str, env: &[(&str, &str)]) -> String {
    match parse(text, "pump.toml", &vars(env)) {
        Ok(config) => panic!("expected an error, got {config:?}"),
        Err(e) => e.to_string(),
    }
}

pub(super) fn err(text: &str) -> String {
    err_env(text, &[])
}

#[track_caller]
pub(super) fn assert_starts(message: &str, prefix: &str) {
    assert!(
        message.starts_with(prefix),
        "\n  message: {message}\n expected: {prefix}…"
    );
}

#[test]
fn the_minimal_file_loads() {
    let c = ok(MINIMAL);
    assert_eq!(c.source.redis_url, "redis://127.0.0.1:6379/0");
    assert_eq!(c.sinks.len(), 1);
    assert_eq!(c.sinks[0].name, "archive");
    match &c.sinks[0].settings {
        SinkKind::Native(SinkSettings::File(f)) => {
            assert_eq!(f.path, std::path::Path::new("analytics.jsonl"))
        }
        other => panic!("expected a file sink, got {other:?}"),
    }
}

#[test]
fn every_default() {
    let c = ok(MINIMAL);
    let s = &c.source;
    assert!(!s.cluster);
    assert!(s.cluster_urls.is_empty());
    assert_eq!((s.username.as_deref(), s.password.as_deref()), (None, None));
    assert_eq!(s.connect_timeout, Duration::from_secs(5));
    assert_eq!(s.response_timeout, Duration::from_secs(30));
    assert_eq!(
        (&s.tls_ca_file, &s.tls_cert_file, &s.tls_key_file),
        (&None, &None, &None)
    );
    assert!(!s.tls_insecure_skip_verify);
    assert_eq!(s.key_prefix, "analytics-");
    assert_eq!(s.uptime_key, "host-checker:tyk-uptime-analytics");
    assert_eq!(s.state_prefix, "pump");
    assert_eq!(s.batch_size, 1000);
    assert_eq!(s.poll_interval, Duration::from_secs(1));
    assert_eq!(s.max_backlog_records, 1_000_000);
    assert_eq!(s.max_backlog_bytes, 1 << 30);
    assert_eq!(s.pending_timeout, Duration::from_secs(60));
    assert_eq!(s.consumer_name, None);

    let o = &c.sinks[0].options;
    assert!(!o.uptime);
    assert_eq!(o.batch_max_records, 1000);
    assert_eq!(o.batch_max_wait, Duration::from_secs(1));
    assert_eq!(o.timeout, Duration::from_secs(30));
    assert_eq!(o.max_retries, None);
    assert_eq!(o.retry_initial_backoff, Duration::from_millis(100));
    assert_eq!(o.retry_max_backoff, Duration::from_secs(30));
    assert_eq!(o.filters, Filters::default());
    assert!(!o.omit_detailed_recording);
    assert_eq!(o.max_record_size, 0);
    assert!(o.ignore_fields.is_empty());
    assert!(!o.raw_request_decoded && !o.raw_response_decoded);

    assert_eq!(
        c.log,
        LogConfig {
            level: "info".into(),
            format: LogFormat::Text
        }
    );

    // The struct defaults agree with what an empty file section gives.
    let d = SinkOptions::default();
    assert_eq!(
        (d.batch_max_records, d.timeout, d.max_retries),
        (o.batch_max_records, o.timeout, o.max_retries)
    );
    let n = SourceConfig::new("redis://x");
    assert_eq!(
        (n.batch_size, n.pending_timeout, n.max_backlog_bytes),
        (s.batch_size, s.pending_timeout, s.max_backlog_bytes)
    );
}

#[test]
fn every_option_is_read() {
    let text = r#"
[source]
redis_url = "rediss://10.0.0.1:6380/2"
cluster = true
cluster_urls = ["rediss://10.0.0.2:6380", "rediss://10.0.0.3:6380"]
username = "pump"
password = "secret"
connect_timeout = "2s"
response_timeout = 10
tls_ca_file = "/etc/ca.pem"
tls_cert_file = "/etc/cert.pem"
tls_key_file = "/etc/key.pem"
tls_insecure_skip_verify = true
key_prefix = "a-"
uptime_key = "up"
state_prefix = "p"
batch_size = 500
poll_interval = "250ms"
max_backlog_records = 10
max_backlog_bytes = "512MiB"
pending_timeout = "2m"
consumer_name = "pump-1"

[log]
level = "info,pump=debug"
format = "json"

[sinks.b]
type = "stdout"
uptime = true
batch_max_records = 10
batch_max_wait = "50ms"
timeout = 5
max_retries = 3
retry_initial_backoff = "1s"
retry_max_backoff = "1m"
omit_detailed_recording = true
max_record_size = 1024
ignore_fields = ["api_key", "raw_request"]
raw_request_decoded = true
raw_response_decoded = true
filters = { org_ids = ["o"], api_ids = ["a"], response_codes = [200], skip_org_ids = ["so"], skip_api_ids = ["sa"], skip_response_codes = [500] }

[sinks.a]
type = "blackhole"
"#;
    let c = ok(text);
    let s = &c.source;
    assert!(s.cluster);
    assert_eq!(s.cluster_urls.len(), 2);
    assert_eq!(
        (s.username.as_deref(), s.password.as_deref()),
        (Some("pump"), Some("secret"))
    );
    assert_eq!(s.connect_timeout, Duration::from_secs(2));
    assert_eq!(s.response_timeout, Duration::from_secs(10));
    assert_eq!(
        s.tls_key_file.as_deref(),
        Some(std::path::Path::new("/etc/key.pem"))
    );
    assert!(s.tls_insecure_skip_verify);
    assert_eq!(
        (
            s.key_prefix.as_str(),
            s.uptime_key.as_str(),
            s.state_prefix.as_str()
        ),
        ("a-", "up", "p")
    );
    assert_eq!(s.batch_size, 500);
    assert_eq!(s.poll_interval, Duration::from_millis(250));
    assert_eq!(s.max_backlog_records, 10);
    assert_eq!(s.max_backlog_bytes, 512 << 20);
    assert_eq!(s.pending_timeout, Duration::from_secs(120));
    assert_eq!(s.consumer_name.as_deref(), Some("pump-1"));
    assert_eq!(c.log.format, LogFormat::Json);

    let names: Vec<&str> = c.sinks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a", "b"], "sinks are sorted by name");
    let o = &c.sinks[1].options;
    assert!(o.uptime);
    assert_eq!(o.batch_max_wait, Duration::from_millis(50));
    assert_eq!(o.timeout, Duration::from_secs(5));
    assert_eq!(o.max_retries, Some(3));
    assert_eq!(o.retry_max_backoff, Duration::from_secs(60));
    assert_eq!(o.ignore_fields, ["api_key", "raw_request"]);
    assert_eq!(o.filters.response_codes, [200]);
    assert_eq!(o.filters.skip_api_ids, ["sa"]);
    assert!(o.omit_detailed_recording && o.raw_request_decoded && o.raw_response_decoded);
}

#[test]
fn durations_are_seconds_or_strings_with_units() {
    for (value, expected) in [
        ("\"250ms\"", 250),
        ("\"2s\"", 2000),
        ("5", 5000),
        ("\"1m\"", 60_000),
        ("1.5", 1500),
    ] {
        let c = ok(&format!("{MINIMAL}timeout = {value}\n"));
        assert_eq!(
            c.sinks[0].options.timeout,
            Duration::from_millis(expected),
            "{value}"
        );
    }
    let e = err(&format!("{MINIMAL}timeout = \"2 parsecs\"\n"));
    assert_starts(
        &e,
        "pump.toml:7:11: sinks.archive.timeout: invalid duration `2 parsecs`: unknown unit `parsecs`",
    );
    let e = err(&format!("{MINIMAL}timeout = -1\n"));
    assert_starts(
        &e,
        "pump.toml:7:11: sinks.archive.timeout: a duration cannot be negative",
    );
}

#[test]
fn sizes_are_bytes_or_strings_with_units() {
    let with = |v: &str| MINIMAL.replace("[sinks", &format!("max_backlog_bytes = {v}\n\n[sinks"));
    assert_eq!(
        ok(&with("\"512MiB\"")).source.max_backlog_bytes,
        512 * 1024 * 1024
    );
    assert_eq!(ok(&with("1024")).source.max_backlog_bytes, 1024);
    let e = err(&with("\"lots\""));
    assert_starts(
        &e,
        "pump.toml:4:21: source.max_backlog_bytes: invalid size `lots`",
    );
}

#[test]
fn load_reads_a_file_and_names_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pump.toml");
    std::fs::write(&path, MINIMAL).unwrap();
    assert_eq!(load(&path).unwrap().sinks[0].name, "archive");
    let missing = dir.path().join("nope.toml");
    let e = load(&missing).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "{}: cannot read the config file: ",
            missing.display()
        )),
        "{e}"
    );
}

#[test]
fn admin_listen_and_its_default() {
    let c = ok(&format!(
        "{MINIMAL}\n[admin]\nlisten = \"127.0.0.1:8083\"\n"
    ));
    let admin = c.admin.expect("[admin] is read");
    assert_eq!(admin.listen, "127.0.0.1:8083".parse().unwrap());
    assert_eq!(admin.unhealthy_after, std::time::Duration::from_secs(60));
    assert!(ok(MINIMAL).admin.is_none(), "no [admin], no endpoint");
    let e = err(&format!("{MINIMAL}\n[admin]\nlisten = \"localhost\"\n"));
    assert!(e.to_string().contains("admin.listen"), "{e}");
}
