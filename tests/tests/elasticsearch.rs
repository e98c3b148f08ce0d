//! The `elasticsearch` sink against osmem-server (an in-memory server of the OpenSearch /
//! Elasticsearch REST API): Tyk's document shape, daily indexes by the record's own time,
//! idempotent re-delivery, per-document rejections in the dead letters, node failover, and
//! the server stopping or freezing in the middle of a drain.
//!
//! The shared server is `PUMP_TEST_ES_URL` (default `http://127.0.0.1:9200`); every test
//! uses indexes of its own. Tests that stop a server start a private one on a free port:
//! the binary is `PUMP_TEST_OSMEM_BIN`, or the one in `.ci/venv-es` (see SERVICES.md).

use pump_record::{AnalyticsRecord, Timestamp};
use pump_tests::*;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

// ---- a minimal HTTP client for checking what the server holds

fn es_url() -> String {
    std::env::var("PUMP_TEST_ES_URL").unwrap_or_else(|_| "http://127.0.0.1:9200".to_string())
}

/// One HTTP/1.1 request with `Connection: close`; (status, body).
fn http(method: &str, url: &str, body: Option<&Value>) -> std::io::Result<(u16, Vec<u8>)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other(format!("not an http:// URL: {url}")))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut s = TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line: {head}")))?;
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Ok((status, body))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

/// A server, by its URL.
struct Es(String);

impl Es {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}/{path}", self.0.trim_end_matches('/'));
        let (status, body) = http(method, &url, body.as_ref())
            .unwrap_or_else(|e| panic!("{method} {url}: {e} (is osmem-server running?)"));
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// Documents in an index (or pattern), after a refresh; 0 if it does not exist.
    fn count(&self, index: &str) -> u64 {
        self.call("POST", &format!("{index}/_refresh"), None);
        let (status, body) = self.call("GET", &format!("{index}/_count"), None);
        if status == 404 {
            return 0;
        }
        body["count"]
            .as_u64()
            .unwrap_or_else(|| panic!("_count of {index}: {status} {body}"))
    }

    /// Every document of an index (or pattern): its hits with `_id`, `_index`, `_source`.
    fn docs(&self, index: &str) -> Vec<Value> {
        self.call("POST", &format!("{index}/_refresh"), None);
        let (status, body) = self.call(
            "POST",
            &format!("{index}/_search"),
            Some(json!({"size": 10000, "query": {"match_all": {}}})),
        );
        assert_eq!(status, 200, "_search of {index}: {body}");
        body["hits"]["hits"].as_array().cloned().unwrap_or_default()
    }

    /// The `request_uri` of every document (the tests' records are told apart by path).
    fn paths(&self, index: &str) -> Vec<String> {
        self.docs(index)
            .iter()
            .map(|d| {
                d["_source"]["request_uri"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    }

    fn is_up(&self) -> bool {
        http("GET", &format!("{}/", self.0.trim_end_matches('/')), None)
            .is_ok_and(|(s, _)| s == 200)
    }
}

/// Deletes a test's indexes (`<index>`, `<index>-…`) and its template from the shared server
/// when the test ends: osmem keeps everything in memory. Indexes are deleted by name, as
/// Elasticsearch 8 refuses wildcard deletes.
struct Cleanup {
    es: Es,
    index: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Ok((200, body)) = http(
            "GET",
            &format!("{}/_cat/indices/{}*?format=json", self.es.0, self.index),
            None,
        ) else {
            return;
        };
        let listed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        for i in listed.as_array().into_iter().flatten() {
            if let Some(name) = i["index"].as_str() {
                let _ = http("DELETE", &format!("{}/{name}", self.es.0), None);
            }
        }
        let _ = http(
            "DELETE",
            &format!("{}/_index_template/{}", self.es.0, self.index),
            None,
        );
    }
}

/// What most tests start from: the Elasticsearch server, Redis, a key prefix and an index
/// name of their own. The index and its daily indexes are removed when it is dropped.
struct Case {
    es: Es,
    url: String,
    prefix: String,
    index: String,
    _cleanup: Cleanup,
}

impl Case {
    fn new(name: &str) -> Self {
        let es = Es(es_url());
        let index = unique_index(name);
        Case {
            _cleanup: Cleanup {
                es: Es(es.0.clone()),
                index: index.clone(),
            },
            es,
            url: redis_url(),
            prefix: unique_prefix(name),
            index,
        }
    }
}

// ---- a private osmem-server for tests that stop it

/// The osmem-server binary: `PUMP_TEST_OSMEM_BIN`, or the one installed in `.ci/venv-es`.
fn osmem_bin() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("PUMP_TEST_OSMEM_BIN") {
        return Some(PathBuf::from(p)).filter(|p| p.exists());
    }
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/venv-es/bin/python");
    let out = Command::new(python)
        .args([
            "-c",
            "import osmem_server; print(osmem_server.resolve_binary())",
        ])
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    (out.status.success() && path.exists()).then_some(path)
}

/// A private osmem-server on a free port; stopped on drop. Its data lives in memory only.
struct Osmem {
    bin: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Osmem {
    /// Starts one, or `None` (with the reason printed) when no binary is installed.
    fn start() -> Option<Osmem> {
        let Some(bin) = osmem_bin() else {
            // CI must prove these behaviours, never skip them.
            assert!(
                std::env::var_os("CI").is_none(),
                "no osmem-server binary in CI: scripts/test installs it"
            );
            eprintln!(
                "SKIPPED: no osmem-server binary: set PUMP_TEST_OSMEM_BIN, or install it with \
                 `python3 -m venv .ci/venv-es && .ci/venv-es/bin/pip install 'osmem-server==0.1.6'` (scripts/test does)"
            );
            return None;
        };
        let mut s = Osmem {
            bin,
            port: free_port(),
            child: None,
        };
        s.spawn();
        Some(s)
    }

    fn spawn(&mut self) {
        let child = Command::new(&self.bin)
            .arg("-addr")
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-no-stdin-watch", "-no-ja", "-parent-pid"])
            .arg(std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start osmem-server");
        self.child = Some(child);
        let es = self.es();
        assert!(
            wait_for(Duration::from_secs(20), || es.is_up()),
            "osmem-server on port {} did not start",
            self.port
        );
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn es(&self) -> Es {
        Es(self.url())
    }

    fn signal(&self, sig: &str) {
        if let Some(c) = &self.child {
            let ok = Command::new("kill")
                .arg(sig)
                .arg(c.id().to_string())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "kill {sig} osmem-server");
        }
    }

    /// SIGSTOP: connections are accepted by the kernel, nothing is answered.
    fn freeze(&self) {
        self.signal("-STOP");
    }

    fn thaw(&self) {
        self.signal("-CONT");
    }

    /// SIGKILL (a crash): everything it held is gone.
    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// A fresh, empty server on the same port.
    fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for Osmem {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---- configs and records

/// A `[sinks.<name>]` table of the elasticsearch sink.
fn es_sink(name: &str, url: &str, index: &str, extra: &str) -> String {
    format!(
        "\n[sinks.{name}]\ntype = \"elasticsearch\"\nelasticsearch_url = \"{url}\"\nindex_name = \"{index}\"\n{extra}\n"
    )
}

/// An index name of this test's own (lowercase, as Elasticsearch wants).
fn unique_index(test: &str) -> String {
    unique_prefix(test).to_ascii_lowercase()
}

/// Standard base64, padded (what `pump dlq list --json` and Tyk's raw fields use).
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {text}"),
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | u32::from(d) << (18 - 6 * i));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

/// The `path` of a dead letter's raw record.
fn dead_letter_path(d: &Value) -> String {
    let raw = base64_decode(d["record"].as_str().unwrap());
    let record = if d["source"].as_str().unwrap().ends_with("_protobuf") {
        pump_record::decode_analytics_protobuf(&raw).unwrap()
    } else {
        pump_record::decode_analytics(&raw).unwrap().into_owned()
    };
    record.path.to_string()
}

fn set(v: impl IntoIterator<Item = String>) -> HashSet<String> {
    v.into_iter().collect()
}

// ---- tests

#[test]
fn documents_have_tyk_shape_and_the_template_mapping() {
    let Case {
        es,
        url,
        prefix,
        index,
        _cleanup,
    } = Case::new("es-shape");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let mut all = records(300, 11);
    all[0].tags = None;
    all[1].mcp_stats.is_mcp = true;
    all[1].mcp_stats.jsonrpc_method = "tools/call".into();
    all[1].mcp_stats.primitive_type = "tool".into();
    all[1].mcp_stats.primitive_name = "get_weather".into();
    push_records(&mut conn, &[lists[0].as_str()], &all);

    let scratch = Scratch::new();
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}",
            source_toml(&url, &prefix, ""),
            es_sink(
                "es",
                &es.0,
                &index,
                "extended_stats = true\ndecode_base64 = true\nbatch_max_records = 120"
            )
        ),
    );
    drain(&config, Duration::from_secs(120));

    let docs = es.docs(&index);
    assert_eq!(docs.len(), all.len());
    let by_path: std::collections::HashMap<&str, &Value> = docs
        .iter()
        .map(|d| (d["_source"]["request_uri"].as_str().unwrap(), d))
        .collect();
    for r in &all {
        let d = by_path[&*r.path];
        let id = d["_id"].as_str().unwrap();
        assert!(
            id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        let mut want = expected_document(r);
        if r.mcp_stats.is_mcp {
            want["mcp_method"] = "tools/call".into();
            want["mcp_primitive_type"] = "tool".into();
            want["mcp_primitive_name"] = "get_weather".into();
        }
        assert_eq!(d["_source"], want, "document of {}", r.path);
    }

    let (status, mapping) = es.call("GET", &format!("{index}/_mapping"), None);
    assert_eq!(status, 200, "{mapping}");
    let props = &mapping[&index]["mappings"]["properties"];
    assert_eq!(props["@timestamp"]["type"], "date", "{mapping}");
    assert_eq!(props["response_code"]["type"], "long", "{mapping}");
    assert_eq!(
        props["api_id"]["fields"]["keyword"]["type"], "keyword",
        "{mapping}"
    );
    assert!(
        props["raw_request"].get("fields").is_none(),
        "raw messages get no keyword sub-field (the template's, not dynamic mapping): {mapping}"
    );
}

/// Tyk's document for a record, with `extended_stats` and `decode_base64`.
fn expected_document(r: &AnalyticsRecord<'_>) -> Value {
    let decode = |s: &str| String::from_utf8(base64_decode(s)).unwrap();
    json!({
        "@timestamp": r.timestamp.to_string(),
        "http_method": r.method,
        "request_uri": r.path,
        "request_uri_full": r.raw_path,
        "response_code": r.response_code,
        "ip_address": r.ip_address,
        "api_key": r.api_key,
        "api_version": r.api_version,
        "api_name": r.api_name,
        "api_id": r.api_id,
        "org_id": r.org_id,
        "oauth_id": r.oauth_id,
        "request_time_ms": r.request_time,
        "alias": r.alias,
        "content_length": r.content_length,
        "tags": r.tags,
        "raw_request": decode(&r.raw_request),
        "raw_response": decode(&r.raw_response),
        "user_agent": r.user_agent,
    })
}

#[test]
fn daily_indexes_split_at_midnight_utc_by_the_record_time() {
    let Case {
        es,
        url,
        prefix,
        index,
        _cleanup,
    } = Case::new("es-daily");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    // 2024-05-01T23:59:59Z, then records a millisecond apart across midnight.
    let midnight = 1_714_608_000;
    let mut all = records(400, 12);
    for (i, r) in all.iter_mut().enumerate() {
        r.timestamp = Timestamp::new(midnight - 1, 800_000_000 + i as i64 * 1_000_000);
    }
    let before = all.iter().filter(|r| r.timestamp.secs < midnight).count();
    assert_eq!(before, 200);
    push_records(&mut conn, &[lists[0].as_str(), lists[1].as_str()], &all);

    let scratch = Scratch::new();
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}",
            source_toml(&url, &prefix, ""),
            es_sink("es", &es.0, &index, "rolling_index = true")
        ),
    );
    drain(&config, Duration::from_secs(120));

    let day1 = format!("{index}-2024.05.01");
    let day2 = format!("{index}-2024.05.02");
    let want1 = set(all[..before].iter().map(|r| r.path.to_string()));
    let want2 = set(all[before..].iter().map(|r| r.path.to_string()));
    assert_eq!(set(es.paths(&day1)), want1, "{day1}");
    assert_eq!(set(es.paths(&day2)), want2, "{day2}");
    assert_eq!(es.count(&format!("{index}-*")), all.len() as u64);
    assert_eq!(es.count(&index), 0, "no undated index with rolling_index");
}

#[test]
fn the_same_records_delivered_twice_are_stored_once() {
    let Case {
        es,
        url,
        prefix,
        index,
        _cleanup,
    } = Case::new("es-twice");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let used = [lists[0].as_str(), lists[1].as_str(), lists[6].as_str()];
    let all = records(1500, 13);
    let scratch = Scratch::new();
    // Small bulk requests, several in flight, gzip bodies: the paths a big batch takes.
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}",
            source_toml(&url, &prefix, "batch_size = 300"),
            es_sink(
                "es",
                &es.0,
                &index,
                "rolling_index = true\ncompression = \"gzip\"\nbulk_config = { bulk_actions = 37, bulk_size = \"64KiB\", workers = 3 }"
            )
        ),
    );
    let expected = push_records(&mut conn, &used, &all);
    drain(&config, Duration::from_secs(120));
    assert_eq!(es.count(&format!("{index}-*")), all.len() as u64);

    // The same bytes again, as after a crash between writing and acknowledging.
    push_records(&mut conn, &used, &all);
    let out = drain(&config, Duration::from_secs(120));
    let pattern = format!("{index}-*");
    assert_eq!(
        es.count(&pattern),
        all.len() as u64,
        "re-delivered records must not be stored twice\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(set(es.paths(&pattern)), expected);
    assert!(
        dead_letters(&config, "es").is_empty(),
        "409 on create counts as written"
    );
}

#[test]
fn documents_the_mapping_refuses_are_dead_lettered_with_the_reason_and_the_rest_indexed() {
    let Case {
        es,
        url,
        prefix,
        index,
        _cleanup,
    } = Case::new("es-strict");
    // A strict mapping of Tyk's fields where `alias` must be a number.
    let text = json!({"type": "text", "fields": {"keyword": {"type": "keyword"}}});
    let mut properties = serde_json::Map::new();
    for f in [
        "http_method",
        "request_uri",
        "request_uri_full",
        "ip_address",
        "api_key",
        "api_version",
        "api_name",
        "api_id",
        "org_id",
        "oauth_id",
        "tags",
    ] {
        properties.insert(f.into(), text.clone());
    }
    for f in [
        "response_code",
        "request_time_ms",
        "content_length",
        "alias",
    ] {
        properties.insert(f.into(), json!({"type": "long"}));
    }
    properties.insert("@timestamp".into(), json!({"type": "date"}));
    let (status, body) = es.call(
        "PUT",
        &index,
        Some(json!({"mappings": {"dynamic": "strict", "properties": properties}})),
    );
    assert_eq!(status, 200, "create {index}: {body}");

    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let mut all = records(600, 14);
    let mut bad = HashSet::new();
    for (i, r) in all.iter_mut().enumerate() {
        if i % 7 == 3 {
            r.alias = format!("not-a-number-{i}").into();
            bad.insert(r.path.to_string());
        } else {
            r.alias = i.to_string().into();
        }
    }
    let expected = push_records(&mut conn, &[lists[0].as_str(), lists[1].as_str()], &all);
    let scratch = Scratch::new();
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}",
            source_toml(&url, &prefix, ""),
            es_sink(
                "es",
                &es.0,
                &index,
                "disable_template = true\nbatch_max_records = 250"
            )
        ),
    );
    drain(&config, Duration::from_secs(120));

    let dead = dead_letters(&config, "es");
    assert_eq!(
        set(dead.iter().map(dead_letter_path)),
        bad,
        "exactly the conflicting records"
    );
    for d in &dead {
        let reason = d["reason"].as_str().unwrap();
        assert!(
            reason.contains("elasticsearch rejected the document: status 400")
                && reason.contains("_exception"),
            "the reason carries Elasticsearch's status and error type: {reason}"
        );
    }
    let good: HashSet<String> = expected.difference(&bad).cloned().collect();
    assert_eq!(set(es.paths(&index)), good, "every other record is indexed");
}

#[test]
fn a_node_that_is_down_is_skipped_for_the_next() {
    let Case {
        es,
        url,
        prefix,
        index,
        _cleanup,
    } = Case::new("es-failover");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let all = records(200, 15);
    let expected = push_records(&mut conn, &[lists[0].as_str()], &all);
    let dead_node = format!("http://127.0.0.1:{}", free_port());
    let scratch = Scratch::new();
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}\n[sinks.es]\ntype = \"elasticsearch\"\nelasticsearch_urls = [\"{dead_node}\", \"{}\"]\nindex_name = \"{index}\"\nbatch_max_records = 50\n",
            source_toml(&url, &prefix, ""),
            es.0
        ),
    );
    drain(&config, Duration::from_secs(120));
    assert_eq!(set(es.paths(&index)), expected);
    assert!(dead_letters(&config, "es").is_empty());
}

#[test]
fn an_unsupported_server_version_stops_the_start_with_the_option_named() {
    let url = redis_url();
    let prefix = unique_prefix("es-version");
    let scratch = Scratch::new();
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}",
            source_toml(&url, &prefix, ""),
            es_sink("es", &es_url(), "x", "version = \"6\"")
        ),
    );
    let out = pump(
        &["validate", "--config", config.to_str().unwrap()],
        Duration::from_secs(30),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("version") && stderr.contains("Elasticsearch 6.0 is not supported"),
        "{stderr}"
    );
}

/// Config of a pump feeding a file sink and an elasticsearch sink at `es_url`, retrying fast.
fn two_sinks(
    url: &str,
    prefix: &str,
    out: &Path,
    es_url: &str,
    index: &str,
    es_extra: &str,
) -> String {
    format!(
        "{}{}{}",
        source_toml(url, prefix, "batch_size = 200"),
        file_sink("archive", out, ""),
        es_sink(
            "es",
            es_url,
            index,
            &format!(
                "retry_initial_backoff = \"50ms\"\nretry_max_backoff = \"300ms\"\ntimeout = \"3s\"\nrequest_timeout = \"1s\"\n{es_extra}"
            )
        )
    )
}

#[test]
fn a_server_frozen_during_a_drain_loses_nothing_and_stores_nothing_twice() {
    let Some(server) = Osmem::start() else {
        return;
    };
    let es = server.es();
    let url = redis_url();
    let prefix = unique_prefix("es-freeze");
    let index = unique_index("es-freeze");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let all = records(3000, 16);
    let expected = push_records(&mut conn, &[lists[0].as_str(), lists[1].as_str()], &all);
    let scratch = Scratch::new();
    let out = scratch.path("archive.jsonl");
    let config = scratch.config(
        "pump.toml",
        &two_sinks(
            &url,
            &prefix,
            &out,
            &server.url(),
            &index,
            "batch_max_records = 20\nbulk_config = { workers = 1 }",
        ),
    );
    let log = scratch.path("pump.log");
    let mut pump = Running::start(&config, &["--drain"], &log);
    assert!(
        wait_for(Duration::from_secs(60), || es.count(&index) > 0),
        "nothing reached the server"
    );
    server.freeze();
    // The file sink finishes while Elasticsearch answers nothing.
    let archived = wait_for_records(&[&out], &expected, Duration::from_secs(60));
    archived.assert_complete(&expected, "file sink while elasticsearch is frozen");
    assert!(
        pump.child.try_wait().unwrap().is_none(),
        "the drain ended before the server was frozen: nothing was tested; use more records"
    );
    std::thread::sleep(Duration::from_secs(3));
    server.thaw();
    assert!(
        pump.wait(Duration::from_secs(90)),
        "the drain did not finish after the thaw"
    );
    assert_eq!(
        es.count(&index),
        all.len() as u64,
        "every record once, even those whose requests timed out but were applied"
    );
    assert_eq!(set(es.paths(&index)), expected);
    assert!(dead_letters(&config, "es").is_empty());
    assert!(
        log_contains(&log, "write failed; retrying"),
        "the frozen server made writes fail"
    );
}

#[test]
fn a_server_down_then_back_gets_every_record_and_other_sinks_are_unaffected() {
    let Some(mut server) = Osmem::start() else {
        return;
    };
    let url = redis_url();
    let prefix = unique_prefix("es-down");
    let index = unique_index("es-down");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let scratch = Scratch::new();
    let out = scratch.path("archive.jsonl");
    let config = scratch.config(
        "pump.toml",
        &two_sinks(
            &url,
            &prefix,
            &out,
            &server.url(),
            &index,
            "batch_max_records = 100",
        ),
    );
    // A first drain while the server is up.
    let first = records(300, 17);
    push_records(&mut conn, &[lists[0].as_str()], &first);
    drain(&config, Duration::from_secs(120));
    assert_eq!(server.es().count(&index), first.len() as u64);

    // The server crashes (osmem keeps nothing: the first records are gone with it).
    server.stop();
    let second = records(900, 18);
    let expected = push_records(&mut conn, &[lists[0].as_str(), lists[1].as_str()], &second);
    let log = scratch.path("pump.log");
    let mut pump = Running::start(&config, &["--drain"], &log);
    let mut both = set(first.iter().map(|r| r.path.to_string()));
    both.extend(expected.iter().cloned());
    let archived = wait_for_records(&[&out], &both, Duration::from_secs(60));
    archived.assert_complete(&both, "file sink while elasticsearch is down");
    assert!(
        pump.child.try_wait().unwrap().is_none(),
        "the drain cannot end while elasticsearch has not got its records"
    );
    assert!(
        log_contains(&log, "elasticsearch is not reachable yet"),
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    server.restart();
    let es = server.es();
    assert!(
        pump.wait(Duration::from_secs(90)),
        "the drain did not finish once the server was back"
    );
    assert_eq!(
        set(es.paths(&index)),
        expected,
        "every record written while it was down"
    );
    assert_eq!(es.count(&index), second.len() as u64);
    let (status, _) = es.call("GET", &format!("_index_template/{index}"), None);
    assert_eq!(
        status, 200,
        "the template is installed again on the new server"
    );
    assert!(dead_letters(&config, "es").is_empty());
}
