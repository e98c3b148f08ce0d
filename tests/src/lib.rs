//! Helpers for the end-to-end tests: the pump binary, Redis servers (the shared one, or
//! private ones on free ports for tests that stop, restart or cluster them), gateway
//! traffic, and reading what the sinks wrote.

mod delivered;
mod plugins;
mod receiver;
mod state;

pub use delivered::{Delivered, count_lines, wait_for_records};
pub use plugins::{another_version, plugin, plugins_toml, replace_file};
pub use receiver::{Receiver, Request};
pub use state::{backlog_records, dead_letters_key, leftovers, pending, stream_key, waiting};

use pump_record::{AnalyticsRecord, Timestamp, gateway};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The shared Redis the tests use unless they need their own (`PUMP_TEST_REDIS_URL`).
pub fn redis_url() -> String {
    std::env::var("PUMP_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string())
}

/// A key prefix no other test (or test run) uses.
pub fn unique_prefix(test: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "t-{test}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The `pump` binary built by `cargo test --workspace` (next to this test's executable).
pub fn pump_bin() -> PathBuf {
    if let Ok(p) = std::env::var("PUMP_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target directory");
    let bin = dir.join(format!("pump{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo test --workspace` (it builds the binary) or set PUMP_BIN",
        bin.display()
    );
    bin
}

/// A synchronous connection to a Redis URL.
pub fn redis(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .expect("redis url")
        .get_connection()
        .expect("connect to Redis")
}

/// The 22 analytics list names and the uptime list for a key prefix, as the pump derives them.
pub fn lists(prefix: &str) -> (Vec<String>, String) {
    let base = format!("{prefix}tyk-system-analytics");
    let mut v = vec![base.clone(), format!("{base}_protobuf")];
    for i in 0..10 {
        v.push(format!("{base}_{i}"));
        v.push(format!("{base}_{i}_protobuf"));
    }
    (v, format!("{prefix}uptime"))
}

/// `n` realistic analytics records, each made unique by its `path` (`/seq/<i>`).
pub fn records(n: usize, seed: u64) -> Vec<AnalyticsRecord<'static>> {
    let mut t = pump::traffic::Traffic::new(seed, Timestamp::new(1_714_564_800, 0));
    (0..n)
        .map(|i| {
            let mut r = t.analytics();
            r.path = format!("/seq/{seed}/{i}").into();
            r
        })
        .collect()
}

/// Encodes records for a list: protobuf for `_protobuf` lists, msgpack otherwise.
pub fn encode_for(list: &str, r: &AnalyticsRecord<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1600);
    if list.ends_with("_protobuf") {
        gateway::encode_analytics_protobuf(r, &mut out);
    } else {
        gateway::encode_analytics(r, &mut out);
    }
    out
}

/// RPUSHes raw values to a list, in chunks, like the gateway's pipelined writes (through a
/// single-server or a cluster connection).
pub fn push(conn: &mut impl redis::ConnectionLike, list: &str, values: &[Vec<u8>]) {
    for chunk in values.chunks(500) {
        redis::cmd("RPUSH")
            .arg(list)
            .arg(chunk)
            .query::<i64>(conn)
            .expect("RPUSH");
    }
}

/// Pushes records round-robin over `lists`, each encoded for its list; returns their paths
/// (what the sinks must deliver).
pub fn push_records(
    conn: &mut impl redis::ConnectionLike,
    lists: &[&str],
    records: &[AnalyticsRecord<'_>],
) -> HashSet<String> {
    for (k, list) in lists.iter().enumerate() {
        let values: Vec<Vec<u8>> = records
            .iter()
            .skip(k)
            .step_by(lists.len())
            .map(|r| encode_for(list, r))
            .collect();
        push(conn, list, &values);
    }
    records.iter().map(|r| r.path.to_string()).collect()
}

/// The JSON lines of a file (empty if it does not exist).
pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    let Ok(f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    BufReader::new(f)
        .lines()
        .map(|l| serde_json::from_str(&l.expect("line")).expect("valid JSON line"))
        .collect()
}

/// Counts each record's `path` in JSON lines: returns (distinct paths, duplicates).
pub fn count_paths(
    lines: &[serde_json::Value],
) -> (std::collections::HashMap<String, usize>, usize) {
    let mut m = std::collections::HashMap::new();
    for l in lines {
        *m.entry(l["path"].as_str().unwrap_or_default().to_string())
            .or_insert(0) += 1;
    }
    let dups = m.values().map(|n| n - 1).sum();
    (m, dups)
}

/// A test's scratch directory with a config file in it.
pub struct Scratch {
    /// The directory, deleted on drop.
    pub dir: tempfile::TempDir,
}

impl Scratch {
    /// A new scratch directory.
    pub fn new() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// A path inside it.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a config file and returns its path.
    pub fn config(&self, name: &str, toml: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, toml).expect("write config");
        p
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

/// The `[source]` table for a Redis URL and key prefix, with fast polling for tests.
pub fn source_toml(url: &str, prefix: &str, extra: &str) -> String {
    format!(
        "[source]\nredis_url = \"{url}\"\nkey_prefix = \"{prefix}\"\nuptime_key = \"{prefix}uptime\"\nstate_prefix = \"{prefix}pump\"\npoll_interval = \"100ms\"\npending_timeout = \"2s\"\n{extra}\n"
    )
}

/// A `[sinks.<name>]` table for a file sink writing to `path`, with extra options.
pub fn file_sink(name: &str, path: &Path, extra: &str) -> String {
    format!(
        "\n[sinks.{name}]\ntype = \"file\"\npath = {:?}\n{extra}\n",
        path.display().to_string()
    )
}

/// A config in `scratch`, `pump.toml`, with the source (`source_extra` added to it) and
/// one file sink, `archive`. Returns the config's path and the file the sink writes.
pub fn archive_config(
    scratch: &Scratch,
    url: &str,
    prefix: &str,
    source_extra: &str,
) -> (PathBuf, PathBuf) {
    let out = scratch.path("out.jsonl");
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}",
            source_toml(url, prefix, source_extra),
            file_sink("archive", &out, "")
        ),
    );
    (config, out)
}

/// Whether a log file contains `needle`.
pub fn log_contains(log: &Path, needle: &str) -> bool {
    std::fs::read_to_string(log).is_ok_and(|s| s.contains(needle))
}

/// Runs `pump` with arguments to completion (at most `limit`), returning its output.
pub fn pump(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(pump_bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pump");
    // Read both pipes while it runs: a child writing more than a pipe holds would block.
    let stdout = drain_pipe(child.stdout.take());
    let stderr = drain_pipe(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "pump {args:?} did not finish within {limit:?}\nstderr:\n{}",
                String::from_utf8_lossy(&stderr.join().unwrap_or_default())
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Reads a child's pipe to its end on a thread of its own.
fn drain_pipe(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf);
        }
        buf
    })
}

/// A sink's dead letters, oldest first, as `pump dlq list --json` shows them (each with
/// its `reason`, `source` and base64 `record`).
pub fn dead_letters(config: &Path, sink: &str) -> Vec<serde_json::Value> {
    let out = pump(
        &[
            "dlq",
            "list",
            "--config",
            config.to_str().expect("utf-8 path"),
            "--sink",
            sink,
            "--json",
            "--limit",
            "100000",
        ],
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "pump dlq list failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// `pump run --config <config> --drain`, asserting it exits 0.
pub fn drain(config: &Path, limit: Duration) -> Output {
    let out = pump(
        &[
            "run",
            "--config",
            config.to_str().expect("utf-8 path"),
            "--drain",
        ],
        limit,
    );
    assert!(
        out.status.success(),
        "pump run --drain failed: {}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A pump running in the background; killed (SIGKILL) on drop.
pub struct Running {
    /// The process.
    pub child: Child,
}

impl Running {
    /// Starts `pump run` with extra arguments; stderr goes to `log`.
    pub fn start(config: &Path, extra: &[&str], log: &Path) -> Running {
        let log = std::fs::File::create(log).expect("log file");
        let child = Command::new(pump_bin())
            .arg("run")
            .arg("--config")
            .arg(config)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn pump");
        Running { child }
    }

    /// Its process ID (which is also in its default consumer name).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the exit (at most `limit`); returns whether it exited 0.
    pub fn terminate(&mut self, limit: Duration) -> bool {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill9();
        false
    }

    /// Waits for the process to exit by itself (at most `limit`); returns whether it exited 0.
    pub fn wait(&mut self, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Polls `f` every 50 ms until it returns true or `limit` passes; returns the last result.
pub fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if f() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A private `redis-server` on a free port, stopped on drop.
pub struct RedisServer {
    /// Its port.
    pub port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
    extra: Vec<String>,
}

impl RedisServer {
    /// Starts one with no persistence.
    pub fn start() -> RedisServer {
        Self::start_with(&["--save", "", "--appendonly", "no"])
    }

    /// Starts one with extra arguments.
    pub fn start_with(extra: &[&str]) -> RedisServer {
        let mut s = RedisServer {
            port: free_port(),
            child: None,
            dir: tempfile::tempdir().expect("tempdir"),
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--dir")
            .arg(self.dir.path())
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed");
        self.child = Some(child);
        let url = self.url();
        let up = wait_for(Duration::from_secs(10), || {
            redis::Client::open(url.as_str())
                .and_then(|c| c.get_connection())
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
                .is_ok()
        });
        assert!(up, "redis-server on port {} did not start", self.port);
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Its working directory (cluster config, persistence files).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops it (SIGKILL, as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and directory.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Three `redis-server --cluster-enabled yes` nodes joined into one cluster.
pub struct RedisCluster {
    /// The nodes.
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts and joins three nodes; waits until the cluster is ok.
    pub fn start() -> RedisCluster {
        let nodes: Vec<RedisServer> = (0..3)
            .map(|_| {
                RedisServer::start_with(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
            })
            .collect();
        let addrs: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let status = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .arg("--cluster-yes")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli must be installed");
        assert!(status.success(), "redis-cli --cluster create failed");
        let ok = wait_for(Duration::from_secs(20), || {
            nodes.iter().all(|n| {
                let mut c = redis(&n.url());
                let info: String = redis::cmd("CLUSTER")
                    .arg("INFO")
                    .query(&mut c)
                    .unwrap_or_default();
                info.contains("cluster_state:ok")
            })
        });
        assert!(ok, "the cluster did not reach cluster_state:ok");
        RedisCluster { nodes }
    }

    /// A cluster client connection.
    pub fn connection(&self) -> redis::cluster::ClusterConnection {
        let urls: Vec<String> = self.nodes.iter().map(|n| n.url()).collect();
        redis::cluster::ClusterClient::new(urls)
            .expect("cluster client")
            .get_connection()
            .expect("cluster connection")
    }
}
