//! The pump's configuration: the TOML schema, how a file is loaded (`${VAR}` interpolation,
//! `PUMP__…` environment overrides) and validated, with errors that say `file:line:column`.
//!
//! The smallest useful file:
//!
//! ```toml
//! [source]
//! redis_url = "redis://127.0.0.1:6379/0"
//!
//! [sinks.archive]
//! type = "file"
//! path = "analytics.jsonl"
//! ```

mod duration;
mod env;
mod errors;
mod interpolate;
mod load;
mod locate;
mod plugins;
mod sinks;
mod size;
mod validate;

#[cfg(test)]
mod tests;

pub use errors::{ConfigError, Location};
pub use load::{load, parse};
pub use plugins::{FilterConfig, MAX_FILTER_SINKS, PluginConfig};

use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// The whole configuration of one pump process.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[source]`: the Redis the gateway writes its analytics to.
    pub source: SourceConfig,
    /// `[sinks.<name>]`: where records go, sorted by name; never empty.
    pub sinks: Vec<SinkConfig>,
    /// `[filters.<name>]`: Wasm filters routing records between sinks, sorted by name.
    pub filters: Vec<FilterConfig>,
    /// `[log]`: the pump's own logging.
    pub log: LogConfig,
    /// `[admin]`: the health, readiness and metrics endpoint (absent: not served).
    pub admin: Option<AdminConfig>,
    /// `[plugins]`: settings shared by every Wasm plugin.
    pub plugins: PluginsConfig,
}

/// `[plugins]`: settings shared by every Wasm plugin.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginsConfig {
    /// Keep compiled plugins on disk so restarts skip compiling (default true).
    #[serde(default = "defaults::plugin_cache")]
    pub cache: bool,
    /// Where compiled plugins are kept (default `$XDG_CACHE_HOME/pump/plugins`, else
    /// `~/.cache/pump/plugins`).
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    /// How long after the first pump of a fleet loads a filter's new version it takes
    /// effect, for every pump that loads it by then (default 10s; 0: each pump switches
    /// when it loads it).
    #[serde(default = "defaults::rollout_delay", with = "duration")]
    pub rollout_delay: Duration,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        PluginsConfig {
            cache: true,
            cache_dir: None,
            rollout_delay: defaults::rollout_delay(),
        }
    }
}

impl PluginsConfig {
    /// The cache directory to use, if caching is on and one can be found.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        if !self.cache {
            return None;
        }
        if let Some(dir) = &self.cache_dir {
            return Some(dir.clone());
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        Some(base.join("pump").join("plugins"))
    }
}

/// `[admin]`: the HTTP endpoint for health checks and Prometheus.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Address to listen on, e.g. `"127.0.0.1:8083"` (Tyk Pump's health port).
    pub listen: std::net::SocketAddr,
    /// How long a sink may fail to write before `/health` reports it (default 60s).
    #[serde(default = "defaults::unhealthy_after", with = "duration")]
    pub unhealthy_after: Duration,
}

/// `[source]`: where the analytics are read from and how the pump keeps its own state there.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Required. `redis://[user:password@]host:port/db`, `rediss://…` (TLS) or
    /// `redis+unix:///path/to/redis.sock`.
    pub redis_url: String,
    /// Connect to a Redis Cluster, with `redis_url` as one seed node (default false).
    #[serde(default)]
    pub cluster: bool,
    /// More cluster seed nodes, same URL form as `redis_url` (default none; needs `cluster`).
    #[serde(default)]
    pub cluster_urls: Vec<String>,
    /// ACL user name; replaces the one in the URL (default: the URL's).
    #[serde(default)]
    pub username: Option<String>,
    /// Password; replaces the one in the URL (default: the URL's).
    #[serde(default)]
    pub password: Option<String>,
    /// How long to wait for a connection (default 5s).
    #[serde(default = "defaults::connect_timeout", with = "duration")]
    pub connect_timeout: Duration,
    /// How long to wait for the answer to one command (default 30s).
    #[serde(default = "defaults::response_timeout", with = "duration")]
    pub response_timeout: Duration,
    /// PEM file of the CA that signed the server's certificate (default: the system's roots).
    #[serde(default)]
    pub tls_ca_file: Option<PathBuf>,
    /// PEM client certificate for mutual TLS (default none; needs `tls_key_file`).
    #[serde(default)]
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of `tls_cert_file` (default none).
    #[serde(default)]
    pub tls_key_file: Option<PathBuf>,
    /// Accept any server certificate (default false; for tests only).
    #[serde(default)]
    pub tls_insecure_skip_verify: bool,
    /// Prefix of the gateway's analytics keys (default `"analytics-"`, Tyk's).
    #[serde(default = "defaults::key_prefix")]
    pub key_prefix: String,
    /// The key the gateway's uptime checks are written to
    /// (default `"host-checker:tyk-uptime-analytics"`).
    #[serde(default = "defaults::uptime_key")]
    pub uptime_key: String,
    /// Prefix of the Redis keys the pump keeps its own state in (default `"pump"`).
    #[serde(default = "defaults::state_prefix")]
    pub state_prefix: String,
    /// Records moved from the gateway's keys per claim, 1 to 100000 (default 1000).
    #[serde(default = "defaults::batch_size")]
    pub batch_size: usize,
    /// How long to wait before looking again when there was nothing to read (default 1s).
    #[serde(default = "defaults::poll_interval", with = "duration")]
    pub poll_interval: Duration,
    /// Stop claiming new records while this many are not yet delivered (default 1000000).
    #[serde(default = "defaults::max_backlog_records")]
    pub max_backlog_records: u64,
    /// Stop claiming new records while this many bytes are not yet delivered (default 1 GiB;
    /// an integer number of bytes or a string such as `"512MiB"`).
    #[serde(default = "defaults::max_backlog_bytes", with = "size")]
    pub max_backlog_bytes: u64,
    /// Entries left pending this long by a consumer are taken over by another (default 60s).
    #[serde(default = "defaults::pending_timeout", with = "duration")]
    pub pending_timeout: Duration,
    /// This process's consumer name in the Redis consumer groups (default none: the pump
    /// picks one unique to the process).
    #[serde(default)]
    pub consumer_name: Option<String>,
}

impl SourceConfig {
    /// The source for this Redis URL, with every other option at its default.
    pub fn new(redis_url: impl Into<String>) -> Self {
        SourceConfig {
            redis_url: redis_url.into(),
            cluster: false,
            cluster_urls: Vec::new(),
            username: None,
            password: None,
            connect_timeout: defaults::connect_timeout(),
            response_timeout: defaults::response_timeout(),
            tls_ca_file: None,
            tls_cert_file: None,
            tls_key_file: None,
            tls_insecure_skip_verify: false,
            key_prefix: defaults::key_prefix(),
            uptime_key: defaults::uptime_key(),
            state_prefix: defaults::state_prefix(),
            batch_size: defaults::batch_size(),
            poll_interval: defaults::poll_interval(),
            max_backlog_records: defaults::max_backlog_records(),
            max_backlog_bytes: defaults::max_backlog_bytes(),
            pending_timeout: defaults::pending_timeout(),
            consumer_name: None,
        }
    }
}

/// `[sinks.<name>]`: one output.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    /// The table's name: letters, digits, `_` and `-`, at most 64 (a Redis consumer group).
    pub name: String,
    /// The options every sink has.
    pub options: SinkOptions,
    /// `type` and the options of that type.
    pub settings: SinkKind,
}

/// What a sink is: a built-in type with its options, or a Wasm plugin.
#[derive(Debug, Clone)]
pub enum SinkKind {
    /// A built-in sink (`file`, `mongo`, `elasticsearch`, …).
    Native(pump_sinks::SinkSettings),
    /// `type = "wasm"`: a sink plugin.
    Wasm(PluginConfig),
}

impl SinkKind {
    /// Which record kinds the sink can take at all (a plugin decides for itself).
    pub fn can_accept(&self) -> pump_sinks::Accepts {
        match self {
            SinkKind::Native(s) => s.can_accept(),
            SinkKind::Wasm(_) => pump_sinks::Accepts {
                analytics: true,
                uptime: true,
            },
        }
    }
}

/// The options every sink has, next to `type` and its own options in `[sinks.<name>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkOptions {
    /// Also take uptime check records (default false: request analytics only).
    #[serde(default)]
    pub uptime: bool,
    /// Most records per write (default 1000).
    #[serde(default = "defaults::batch_max_records")]
    pub batch_max_records: usize,
    /// Longest a record waits for its batch to fill (default 1s).
    #[serde(default = "defaults::batch_max_wait", with = "duration")]
    pub batch_max_wait: Duration,
    /// Longest one write may take (default 30s; an integer is seconds, as in Tyk, or a
    /// string such as `"1500ms"`, `"2s"`, `"1m"`).
    #[serde(default = "defaults::timeout", with = "duration")]
    pub timeout: Duration,
    /// Retries of a failed write before its records are dead-lettered (default: no limit).
    #[serde(default)]
    pub max_retries: Option<u32>,
    /// Wait before the first retry, doubled after each (default 100ms).
    #[serde(default = "defaults::retry_initial_backoff", with = "duration")]
    pub retry_initial_backoff: Duration,
    /// Longest wait between retries (default 30s).
    #[serde(default = "defaults::retry_max_backoff", with = "duration")]
    pub retry_max_backoff: Duration,
    /// Which records this sink takes (default: all).
    #[serde(default)]
    pub filters: Filters,
    /// Blank the raw request and response (default false).
    #[serde(default)]
    pub omit_detailed_recording: bool,
    /// Cut the raw request and response to this many bytes (default 0: no limit).
    #[serde(default)]
    pub max_record_size: usize,
    /// Top-level record fields to blank, by JSON name (default none).
    #[serde(default)]
    pub ignore_fields: Vec<String>,
    /// Base64-decode the raw request (default false).
    #[serde(default)]
    pub raw_request_decoded: bool,
    /// Base64-decode the raw response (default false).
    #[serde(default)]
    pub raw_response_decoded: bool,
}

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions {
            uptime: false,
            batch_max_records: defaults::batch_max_records(),
            batch_max_wait: defaults::batch_max_wait(),
            timeout: defaults::timeout(),
            max_retries: None,
            retry_initial_backoff: defaults::retry_initial_backoff(),
            retry_max_backoff: defaults::retry_max_backoff(),
            filters: Filters::default(),
            omit_detailed_recording: false,
            max_record_size: 0,
            ignore_fields: Vec::new(),
            raw_request_decoded: false,
            raw_response_decoded: false,
        }
    }
}

/// `filters`: deny lists first, then every non-empty allow list must match (Tyk's rules).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    /// Take only records of these organisations (default: any).
    #[serde(default)]
    pub org_ids: Vec<String>,
    /// Take only records of these APIs (default: any).
    #[serde(default)]
    pub api_ids: Vec<String>,
    /// Take only records with these response codes (default: any).
    #[serde(default)]
    pub response_codes: Vec<i64>,
    /// Drop records of these organisations (default none).
    #[serde(default)]
    pub skip_org_ids: Vec<String>,
    /// Drop records of these APIs (default none).
    #[serde(default)]
    pub skip_api_ids: Vec<String>,
    /// Drop records with these response codes (default none).
    #[serde(default)]
    pub skip_response_codes: Vec<i64>,
}

/// `[log]`: the pump's own logging.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `trace`, `debug`, `info`, `warn`, `error`, `off`, or a `tracing` filter such as
    /// `"info,pump::deliver=debug"` (default `"info"`).
    #[serde(default = "defaults::log_level")]
    pub level: String,
    /// `"text"` or `"json"` (default `"text"`).
    #[serde(default)]
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: defaults::log_level(),
            format: LogFormat::default(),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The default of every option that has one, named after it.
mod defaults {
    use std::time::Duration;

    pub(super) fn connect_timeout() -> Duration {
        Duration::from_secs(5)
    }
    pub(super) fn response_timeout() -> Duration {
        Duration::from_secs(30)
    }
    pub(super) fn key_prefix() -> String {
        "analytics-".to_owned()
    }
    pub(super) fn uptime_key() -> String {
        "host-checker:tyk-uptime-analytics".to_owned()
    }
    pub(super) fn state_prefix() -> String {
        "pump".to_owned()
    }
    pub(super) fn batch_size() -> usize {
        1000
    }
    pub(super) fn poll_interval() -> Duration {
        Duration::from_secs(1)
    }
    pub(super) fn max_backlog_records() -> u64 {
        1_000_000
    }
    pub(super) fn max_backlog_bytes() -> u64 {
        1 << 30
    }
    pub(super) fn pending_timeout() -> Duration {
        Duration::from_secs(60)
    }
    pub(super) fn batch_max_records() -> usize {
        1000
    }
    pub(super) fn batch_max_wait() -> Duration {
        Duration::from_secs(1)
    }
    pub(super) fn timeout() -> Duration {
        Duration::from_secs(30)
    }
    pub(super) fn retry_initial_backoff() -> Duration {
        Duration::from_millis(100)
    }
    pub(super) fn retry_max_backoff() -> Duration {
        Duration::from_secs(30)
    }
    pub(super) fn unhealthy_after() -> Duration {
        Duration::from_secs(60)
    }
    pub(super) fn plugin_cache() -> bool {
        true
    }
    pub(super) fn rollout_delay() -> Duration {
        Duration::from_secs(10)
    }
    pub(super) fn log_level() -> String {
        "info".to_owned()
    }
}
