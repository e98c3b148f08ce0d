//! The top level of a Tyk config: `analytics_storage_config` and the purge loop's options
//! become `[source]`; `log_level` / `log_format` `[log]`; the health check `[admin]`.

use super::Note;
use super::model::{StorageConfig, TykConfig};
use super::render::{Document, Table};
use toml::Value;

/// Tyk's defaults for its Redis.
const DEFAULT_HOST: &str = "localhost";
const DEFAULT_PORT: i64 = 6379;
/// Tyk Pump's health check defaults.
const HEALTH_NAME: &str = "health";
const HEALTH_PORT: i64 = 8083;
/// The most records one claim may move (the pump's limit on `batch_size`).
const MAX_BATCH_SIZE: i64 = 100_000;

/// Adds `[source]`, `[log]` and `[admin]` for `tyk`.
pub fn convert(tyk: &TykConfig, doc: &mut Document, notes: &mut Vec<Note>) {
    doc.tables.push(source(tyk, notes));
    if let Some(log) = log(tyk, notes) {
        doc.tables.push(log);
    }
    doc.tables.push(admin(tyk, notes));
    other_options(tyk, notes);
}

fn source(tyk: &TykConfig, notes: &mut Vec<Note>) -> Table {
    let s = &tyk.analytics_storage_config;
    let mut t = Table::new("source");
    let mut note = |at: &str, m: String| {
        let at = if at.is_empty() {
            "source".to_owned()
        } else {
            format!("source.{at}")
        };
        notes.push(Note::new(at, m));
    };

    if !matches!(tyk.analytics_storage_type.as_str(), "" | "redis")
        || !matches!(s.kind.as_str(), "" | "redis")
    {
        note(
            "redis_url",
            "Tyk's `analytics_storage_type` is not `redis`; the pump reads Redis (or Valkey) only"
                .into(),
        );
    }
    let tls = s.use_ssl || s.redis_use_ssl;
    let scheme = if tls { "rediss" } else { "redis" };
    let addresses = addresses(s, &mut note);
    let cluster = s.enable_cluster || addresses.len() > 1;
    if cluster && !s.enable_cluster {
        note(
            "cluster",
            "several `addrs` without `enable_cluster`: Tyk's Redis client treats them as a cluster, \
             and so does the pump"
                .into(),
        );
    }
    let urls: Vec<String> = addresses
        .iter()
        .map(|a| {
            if cluster {
                format!("{scheme}://{a}")
            } else {
                format!("{scheme}://{a}/{}", s.database.max(0))
            }
        })
        .collect();
    if cluster && s.database != 0 {
        note(
            "redis_url",
            format!(
                "`database` {} dropped: a Redis Cluster has only database 0",
                s.database
            ),
        );
    }
    if s.database < 0 {
        note(
            "redis_url",
            format!("`database` {} is not a database; 0 is used", s.database),
        );
    }
    let mut urls = urls.into_iter();
    let first = urls
        .next()
        .unwrap_or_else(|| format!("{scheme}://{DEFAULT_HOST}:{DEFAULT_PORT}/0"));
    t.body.insert("redis_url", first.into());
    if cluster {
        t.body.insert("cluster", true.into());
        let rest: Vec<Value> = urls.map(Value::from).collect();
        if !rest.is_empty() {
            t.body.insert("cluster_urls", Value::Array(rest));
        }
    }
    if !s.username.is_empty() {
        t.body.insert("username", s.username.clone().into());
    }
    if !s.password.is_empty() {
        t.body.insert("password", s.password.clone().into());
        note(
            "password",
            "copied in clear from `analytics_storage_config.password`; keep it out of the file: \
             write password = \"${REDIS_PASSWORD}\" and set REDIS_PASSWORD in the pump's \
             environment"
                .into(),
        );
    }
    if s.timeout > 0 {
        t.body.insert("connect_timeout", s.timeout.into());
    }
    tls_files(s, tls, &mut t, &mut note);
    let prefix = if s.key_prefix.is_empty() {
        &s.redis_key_prefix
    } else {
        &s.key_prefix
    };
    if !prefix.is_empty() {
        t.body.insert("key_prefix", prefix.clone().into());
    }

    match tyk.purge_chunk {
        0 => note(
            "batch_size",
            "`purge_chunk` is 0 or not set (Tyk then takes a whole list at once); the pump \
             claims `batch_size` records at a time (default 1000), again and again while there \
             are more"
                .into(),
        ),
        n if n < 0 => note(
            "batch_size",
            format!("`purge_chunk` {n} is not a size; the default batch_size is kept"),
        ),
        n => {
            let size = n.min(MAX_BATCH_SIZE);
            if size != n {
                note(
                    "batch_size",
                    format!("`purge_chunk` {n} is more than the pump's limit; {size} is used"),
                );
            }
            t.body.insert("batch_size", size.into());
        }
    }
    if tyk.purge_delay > 0 {
        t.body.insert("poll_interval", tyk.purge_delay.into());
        note(
            "poll_interval",
            "from `purge_delay`: the pump waits this long only when there was nothing to read"
                .into(),
        );
    } else {
        note(
            "poll_interval",
            "`purge_delay` is not set; the default poll_interval (1s) is used".into(),
        );
    }
    if tyk.storage_expiration_time != 0 {
        note(
            "",
            format!(
                "`storage_expiration_time` ({}s) is not converted: the pump sets no TTL on the \
                 gateway's lists and removes any from the records it claims; the gateway's own \
                 `storage_expiration_time` still applies to records not yet claimed",
                tyk.storage_expiration_time
            ),
        );
    }
    let unsupported = [
        (
            !s.master_name.is_empty() || !s.sentinel_password.is_empty(),
            "`master_name` / `sentinel_password` (Redis Sentinel)",
            "the pump has no Sentinel support; point redis_url at the master",
        ),
        (
            s.optimisation_max_idle != 0 || s.optimisation_max_active != 0,
            "`optimisation_max_idle` / `optimisation_max_active`",
            "the pump multiplexes a few connections; there is no pool to size",
        ),
        (
            !s.ssl_min_version.is_empty() || !s.ssl_max_version.is_empty(),
            "`ssl_min_version` / `ssl_max_version`",
            "the pump uses TLS 1.2 or 1.3",
        ),
        (
            s.iam_auth.enabled,
            "`iam_auth`",
            "the pump has no cloud IAM authentication; use a password",
        ),
    ];
    for (set, what, why) in unsupported {
        if set {
            note("", format!("{what} is not converted: {why}"));
        }
    }
    super::model::note_unknown(&s.unknown, "analytics_storage_config", notes);
    t
}

/// `host:port` of each node: `addrs`, else the deprecated `hosts`, else `host` and `port`.
fn addresses(s: &StorageConfig, note: &mut impl FnMut(&str, String)) -> Vec<String> {
    let with_port = |a: &str| {
        let a = a.trim();
        if a.starts_with('[') && a.contains("]:") || !a.starts_with('[') && a.contains(':') {
            a.to_owned()
        } else {
            format!("{a}:{DEFAULT_PORT}")
        }
    };
    let from_addrs: Vec<String> = s
        .addrs
        .iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| with_port(a))
        .collect();
    if !from_addrs.is_empty() {
        return from_addrs;
    }
    if !s.hosts.is_empty() {
        return s
            .hosts
            .iter()
            .map(|(h, p)| match p {
                serde_json::Value::String(p) if !p.is_empty() => format!("{h}:{p}"),
                serde_json::Value::Number(p) => format!("{h}:{p}"),
                _ => with_port(h),
            })
            .collect();
    }
    let host = if s.host.is_empty() {
        note(
            "redis_url",
            format!("`host` is not set; Tyk's default {DEFAULT_HOST} is used"),
        );
        DEFAULT_HOST.to_owned()
    } else if s.host.contains(':') && !s.host.starts_with('[') {
        format!("[{}]", s.host)
    } else {
        s.host.clone()
    };
    let port = if s.port > 0 { s.port } else { DEFAULT_PORT };
    vec![format!("{host}:{port}")]
}

/// The TLS options, which the pump accepts only with a `rediss://` URL (Tyk ignores them
/// without `use_ssl` too).
fn tls_files(s: &StorageConfig, tls: bool, t: &mut Table, note: &mut impl FnMut(&str, String)) {
    let insecure = s.ssl_insecure_skip_verify || s.redis_ssl_insecure_skip_verify;
    let any = insecure
        || !s.ssl_ca_file.is_empty()
        || !s.ssl_cert_file.is_empty()
        || !s.ssl_key_file.is_empty();
    if !tls {
        if any {
            note(
                "redis_url",
                "the `ssl_…` options are ignored without `use_ssl`, as Tyk ignores them".into(),
            );
        }
        return;
    }
    if insecure {
        t.body.insert("tls_insecure_skip_verify", true.into());
        note(
            "tls_insecure_skip_verify",
            "the server's certificate is not checked; fine for tests only".into(),
        );
    }
    if !s.ssl_ca_file.is_empty() {
        t.body.insert("tls_ca_file", s.ssl_ca_file.clone().into());
    }
    match (s.ssl_cert_file.is_empty(), s.ssl_key_file.is_empty()) {
        (false, false) => {
            t.body
                .insert("tls_cert_file", s.ssl_cert_file.clone().into());
            t.body.insert("tls_key_file", s.ssl_key_file.clone().into());
        }
        (true, true) => {}
        _ => note(
            "redis_url",
            "only one of `ssl_cert_file` and `ssl_key_file` is set; a client certificate needs \
             both, so neither is used (Tyk only warned)"
                .into(),
        ),
    }
}

/// `[log]`, when the Tyk config sets something other than the defaults.
fn log(tyk: &TykConfig, notes: &mut Vec<Note>) -> Option<Table> {
    let mut t = Table::new("log");
    match tyk.log_level.to_ascii_lowercase().as_str() {
        "" | "info" => {}
        level @ ("debug" | "warn" | "error") => {
            t.body.insert("level", level.into());
        }
        other => notes.push(Note::new(
            "log",
            format!(
                "`log_level` `{other}` is not one of Tyk's (error, warn, debug, info; Tyk Pump \
                 refuses to start); the default, info, is used"
            ),
        )),
    }
    match tyk.log_format.to_ascii_lowercase().as_str() {
        "" | "text" => {}
        "json" => {
            t.body.insert("format", "json".into());
        }
        "legacy" => notes.push(Note::new(
            "log",
            "`log_format` `legacy` becomes the default text format",
        )),
        other => notes.push(Note::new(
            "log",
            format!("`log_format` `{other}` is not text or json; text is used"),
        )),
    }
    (!t.body.is_empty()).then_some(t)
}

/// `[admin]` in place of Tyk's health check endpoint, which Tyk Pump always serves; written
/// as comments when this build's config has no `[admin]` table.
fn admin(tyk: &TykConfig, notes: &mut Vec<Note>) -> Table {
    let port = match tyk.health_check_endpoint_port {
        0 => HEALTH_PORT,
        p if (1..=65535).contains(&p) => p,
        p => {
            notes.push(Note::new(
                "admin.listen",
                format!("`health_check_endpoint_port` {p} is not a port; Tyk's default {HEALTH_PORT} is used"),
            ));
            HEALTH_PORT
        }
    };
    let name = if tyk.health_check_endpoint_name.is_empty() {
        HEALTH_NAME
    } else {
        tyk.health_check_endpoint_name.trim_start_matches('/')
    };
    let listen = format!("0.0.0.0:{port}");
    let mut t = Table::new("admin");
    t.body.insert("listen", listen.clone().into());
    if admin_supported(&listen) {
        let path = if name == HEALTH_NAME {
            "the same path".to_owned()
        } else {
            format!("/health, not /{name}")
        };
        notes.push(Note::new(
            "admin.listen",
            format!(
                "Tyk Pump's health check was http://<host>:{port}/{name}; the pump answers on \
                 {path}, with /ready and /metrics beside it"
            ),
        ));
    } else {
        t.commented_out = true;
        notes.push(Note::new(
            "admin",
            format!(
                "Tyk Pump served a health check on port {port} (/{name}); this build of the pump \
                 has no `[admin]` table yet, so this one is left as a comment"
            ),
        ));
    }
    t
}

/// Whether this build's config has an `[admin]` table with `listen`.
fn admin_supported(listen: &str) -> bool {
    let probe = format!(
        "[source]\nredis_url = \"redis://127.0.0.1:6379/0\"\n\n[admin]\nlisten = \"{listen}\"\n\n\
         [sinks.probe]\ntype = \"blackhole\"\n"
    );
    crate::config::parse(&probe, "probe", &[]).is_ok()
}

/// Notes for the top-level options that have no counterpart.
fn other_options(tyk: &TykConfig, notes: &mut Vec<Note>) {
    let mut note = |m: &str| notes.push(Note::new("", m));
    if !tyk.statsd_connection_string.is_empty() || !tyk.statsd_prefix.is_empty() {
        note(
            "`statsd_connection_string` / `statsd_prefix` (Tyk's own instrumentation) are not converted; the pump's metrics are on [admin]'s /metrics (Prometheus)",
        );
    }
    if tyk.enable_http_profiler {
        note("`enable_http_profiler` is not converted: the pump has no profiling endpoint");
    }
    if tyk.raw_request_decoded || tyk.raw_response_decoded {
        note(
            "the top-level `raw_request_decoded` / `raw_response_decoded` never had an effect in Tyk Pump; set them per sink",
        );
    }
    if tyk.kv.is_some() {
        note(
            "`kv` (Tyk's secret stores) is not converted: put secrets in the pump's environment and write them as ${NAME} references",
        );
    }
    super::model::note_unknown(&tyk.unknown, "", notes);
}
