//! The `pump` command line as a user meets it: the version, `validate`'s verdicts and exit
//! codes, and errors that name the file, line, column and key.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pump(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pump"))
        .args(args)
        .env_remove("PUMP_CLI_TEST_MISSING")
        .output()
        .expect("run pump")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn redis_url() -> String {
    std::env::var("PUMP_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string())
}

const GOOD: &str = "[source]\nredis_url = \"redis://127.0.0.1:6379/0\"\n\n[sinks.archive]\ntype = \"file\"\npath = \"analytics.jsonl\"\n";

#[test]
fn version_prints_the_package_version() {
    let out = pump(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("pump {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn validate_accepts_a_good_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "pump.toml", GOOD);
    let out = pump(&["validate", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("valid (1 sink)"),
        "{:?}",
        out
    );
}

#[test]
fn validate_names_the_file_line_column_and_key_of_an_unknown_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "pump.toml",
        &GOOD.replace("[sinks", "batchsize = 5\n[sinks"),
    );
    let out = pump(&["validate", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}:4:1: source.batchsize: unknown field `batchsize`",
            config.display()
        )),
        "{err}"
    );
}

#[test]
fn validate_reports_a_missing_environment_variable() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "pump.toml",
        &GOOD.replace(
            "redis://127.0.0.1:6379/0",
            "redis://:${PUMP_CLI_TEST_MISSING}@127.0.0.1:6379/0",
        ),
    );
    let out = pump(&["validate", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}:2:23: source.redis_url:", config.display())),
        "{err}"
    );
    assert!(
        err.contains("environment variable `PUMP_CLI_TEST_MISSING` is not set"),
        "{err}"
    );
}

#[test]
fn validate_reports_a_missing_file() {
    let out = pump(&["validate", "--config", "/nonexistent/pump.toml"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("/nonexistent/pump.toml: cannot read the config file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn run_refuses_a_bad_config_with_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "pump.toml",
        &GOOD.replace("type = \"file\"", "type = \"kafka\""),
    );
    let out = pump(&["run", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}:5:8: sinks.archive.type: unknown sink type `kafka`",
            config.display()
        )),
        "{err}"
    );
}

#[test]
fn run_fails_when_a_sink_cannot_start() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[source]\nredis_url = \"{}\"\nkey_prefix = \"t-cli-{}-\"\nstate_prefix = \"t-cli-{}-pump\"\n\n[sinks.archive]\ntype = \"file\"\npath = \"/nonexistent-dir/x.jsonl\"\n",
        redis_url(),
        std::process::id(),
        std::process::id()
    );
    let config = write(dir.path(), "pump.toml", &text);
    let out = pump(&["run", "--config", config.to_str().unwrap(), "--drain"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("sinks.archive: cannot start the sink")
            && err.contains("/nonexistent-dir/x.jsonl"),
        "{err}"
    );
}
