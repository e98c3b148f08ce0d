//! Checks that need more than the types: ranges, URLs, names, and options that only make
//! sense together. Each error points at the key's value in the file (or at the table whose
//! default broke the rule).

use super::errors::Problem;
use super::locate::{Seg, span_of};
use super::{Config, LogConfig, SinkConfig, SourceConfig};
use pump_record::AnalyticsRecord;
use std::time::Duration;
use toml::Spanned;
use toml::de::DeTable;

/// The most records one claim may move.
const MAX_BATCH_SIZE: usize = 100_000;

/// Levels accepted on their own as `log.level`.
const LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error", "off"];

/// URL schemes of a single Redis server reached over TCP; the first two are TLS.
const TLS_SCHEMES: &[&str] = &["rediss", "valkeys"];
const TCP_SCHEMES: &[&str] = &["redis", "rediss", "valkey", "valkeys"];
const UNIX_SCHEMES: &[&str] = &["redis+unix", "valkey+unix", "unix"];

/// Checks `config`; `doc` is the document it was read from, for locations.
pub fn check(config: &Config, doc: &Spanned<DeTable<'_>>) -> Result<(), Problem> {
    let v = Checker { doc };
    v.source(&config.source)?;
    v.log(&config.log)?;
    for sink in &config.sinks {
        v.sink(sink)?;
        if let super::SinkKind::Wasm(plugin) = &sink.settings {
            let at = vec![Seg::from("sinks"), Seg::from(sink.name.as_str())];
            v.plugin(at.clone(), plugin)?;
            if plugin.call_timeout >= sink.options.timeout {
                let mut path = at;
                path.push("call_timeout".into());
                return Err(v.fail(
                    path,
                    format!(
                        "must be shorter than the sink's `timeout` ({:?}), which bounds the whole write",
                        sink.options.timeout
                    ),
                ));
            }
        }
    }
    for filter in &config.filters {
        v.filter(filter, &config.sinks)?;
    }
    Ok(())
}

struct Checker<'a, 'd> {
    doc: &'a Spanned<DeTable<'d>>,
}

impl Checker<'_, '_> {
    /// A problem about the value at `path`.
    fn fail(&self, path: Vec<Seg>, message: impl Into<String>) -> Problem {
        let span = span_of(self.doc.get_ref(), self.doc.span(), &path);
        Problem::keyed(span, path, message)
    }

    fn positive(&self, path: Vec<Seg>, d: Duration) -> Result<(), Problem> {
        if d.is_zero() {
            return Err(self.fail(path, "must be more than zero, such as \"1s\""));
        }
        Ok(())
    }

    fn not_empty(&self, path: Vec<Seg>, s: &str) -> Result<(), Problem> {
        if s.is_empty() {
            return Err(self.fail(path, "must not be empty"));
        }
        Ok(())
    }

    fn source(&self, s: &SourceConfig) -> Result<(), Problem> {
        let at = |key: &str| vec![Seg::from("source"), Seg::from(key)];
        let scheme =
            redis_url(&s.redis_url, s.cluster).map_err(|m| self.fail(at("redis_url"), m))?;
        if !s.cluster_urls.is_empty() && !s.cluster {
            return Err(self.fail(at("cluster_urls"), "needs `cluster = true`"));
        }
        for (i, url) in s.cluster_urls.iter().enumerate() {
            let path = vec!["source".into(), "cluster_urls".into(), i.into()];
            let seed_scheme = redis_url(url, true).map_err(|m| self.fail(path.clone(), m))?;
            if TLS_SCHEMES.contains(&seed_scheme) != TLS_SCHEMES.contains(&scheme) {
                return Err(self.fail(path, format!("uses `{seed_scheme}://` but `redis_url` uses `{scheme}://`; use TLS for every node or none")));
            }
        }
        let tls = TLS_SCHEMES.contains(&scheme);
        let tls_options = [
            ("tls_ca_file", s.tls_ca_file.is_some()),
            ("tls_cert_file", s.tls_cert_file.is_some()),
            ("tls_key_file", s.tls_key_file.is_some()),
            ("tls_insecure_skip_verify", s.tls_insecure_skip_verify),
        ];
        if let Some((key, _)) = tls_options.iter().find(|(_, set)| *set && !tls) {
            return Err(self.fail(
                at(key),
                "applies only to TLS; use a `rediss://` URL in `redis_url`",
            ));
        }
        if s.tls_cert_file.is_some() != s.tls_key_file.is_some() {
            let (set, missing) = if s.tls_cert_file.is_some() {
                ("tls_cert_file", "tls_key_file")
            } else {
                ("tls_key_file", "tls_cert_file")
            };
            return Err(self.fail(
                at(set),
                format!("needs `{missing}` too (client certificate and its key)"),
            ));
        }
        self.positive(at("connect_timeout"), s.connect_timeout)?;
        self.positive(at("response_timeout"), s.response_timeout)?;
        self.positive(at("poll_interval"), s.poll_interval)?;
        self.positive(at("pending_timeout"), s.pending_timeout)?;
        self.not_empty(at("key_prefix"), &s.key_prefix)?;
        self.not_empty(at("uptime_key"), &s.uptime_key)?;
        self.not_empty(at("state_prefix"), &s.state_prefix)?;
        if !(1..=MAX_BATCH_SIZE).contains(&s.batch_size) {
            return Err(self.fail(
                at("batch_size"),
                format!(
                    "must be between 1 and {MAX_BATCH_SIZE}, found {}",
                    s.batch_size
                ),
            ));
        }
        if s.max_backlog_records == 0 {
            return Err(self.fail(at("max_backlog_records"), "must be at least 1"));
        }
        if s.max_backlog_bytes == 0 {
            return Err(self.fail(
                at("max_backlog_bytes"),
                "must be at least 1 byte, such as \"512MiB\"",
            ));
        }
        if let Some(name) = &s.consumer_name {
            self.not_empty(at("consumer_name"), name)?;
        }
        Ok(())
    }

    fn log(&self, log: &LogConfig) -> Result<(), Problem> {
        log_level(&log.level).map_err(|m| self.fail(vec!["log".into(), "level".into()], m))
    }

    fn plugin(&self, at: Vec<Seg>, p: &super::PluginConfig) -> Result<(), Problem> {
        let key = |k: &str| {
            let mut path = at.clone();
            path.push(k.into());
            path
        };
        self.positive(key("call_timeout"), p.call_timeout)?;
        if p.memory_limit < 1 << 20 {
            return Err(self.fail(key("memory_limit"), "must be at least 1MiB"));
        }
        for (i, host) in p.allow_hosts.iter().enumerate() {
            let mut path = key("allow_hosts");
            path.push(i.into());
            let port = host
                .rsplit_once(':')
                .map(|(h, port)| (h, port.parse::<u16>()));
            let bare_ipv6 = host.matches(':').count() > 1 && !host.starts_with('[');
            let valid = matches!(port, Some((h, Ok(_))) if !h.is_empty())
                && !host.contains('/')
                && !bare_ipv6;
            if !valid {
                return Err(self.fail(
                    path,
                    format!("`{host}` is not `host:port`, such as \"127.0.0.1:9000\", \"hec.example.com:443\" or \"[::1]:8088\" (no scheme, no path)"),
                ));
            }
        }
        if !p.config.is_object() {
            return Err(self.fail(key("config"), "must be a table"));
        }
        Ok(())
    }

    fn filter(&self, f: &super::FilterConfig, sinks: &[SinkConfig]) -> Result<(), Problem> {
        let at = vec![Seg::from("filters"), Seg::from(f.name.as_str())];
        self.plugin(at.clone(), &f.plugin)?;
        if !f.plugin.allow_hosts.is_empty() {
            let mut path = at.clone();
            path.push("allow_hosts".into());
            return Err(self.fail(
                path,
                "filters have no network access; remove `allow_hosts` (sinks may have it)",
            ));
        }
        for (i, name) in f.sinks.iter().enumerate() {
            let mut path = at.clone();
            path.extend([Seg::from("sinks"), i.into()]);
            if !sinks.iter().any(|s| &s.name == name) {
                let known: Vec<_> = sinks.iter().map(|s| s.name.as_str()).collect();
                return Err(self.fail(
                    path,
                    format!(
                        "no sink is called `{name}`; the sinks are: {}",
                        known.join(", ")
                    ),
                ));
            }
            if f.sinks[..i].contains(name) {
                return Err(self.fail(path, format!("`{name}` is named twice")));
            }
        }
        Ok(())
    }

    fn sink(&self, sink: &SinkConfig) -> Result<(), Problem> {
        let at = |key: &str| {
            vec![
                Seg::from("sinks"),
                Seg::from(sink.name.as_str()),
                Seg::from(key),
            ]
        };
        let o = &sink.options;
        let accepts = sink.settings.can_accept();
        if o.uptime && !accepts.uptime {
            return Err(self.fail(
                at("uptime"),
                "this sink type cannot store uptime records; remove `uptime = true`",
            ));
        }
        if !o.uptime && !accepts.analytics {
            return Err(self.fail(
                at("type"),
                "this sink type stores only uptime records; add `uptime = true`",
            ));
        }
        if o.batch_max_records == 0 {
            return Err(self.fail(at("batch_max_records"), "must be at least 1"));
        }
        self.positive(at("timeout"), o.timeout)?;
        self.positive(at("retry_initial_backoff"), o.retry_initial_backoff)?;
        if o.retry_max_backoff < o.retry_initial_backoff {
            return Err(self.fail(
                at("retry_max_backoff"),
                "must not be shorter than `retry_initial_backoff`",
            ));
        }
        for (i, field) in o.ignore_fields.iter().enumerate() {
            if !AnalyticsRecord::JSON_FIELDS.contains(&field.as_str()) {
                let mut path = at("ignore_fields");
                path.push(i.into());
                return Err(self.fail(
                    path,
                    format!(
                        "unknown record field `{field}`; the fields are: {}",
                        AnalyticsRecord::JSON_FIELDS.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Checks a Redis URL (without echoing it: it may hold a password) and returns its scheme.
fn redis_url(url: &str, cluster: bool) -> Result<&str, String> {
    let usage = "use `redis://host:6379/0`, `rediss://host:6379/0` (TLS) or `redis+unix:///path/to/redis.sock`";
    let Some((scheme, _)) = url.split_once("://") else {
        return Err(format!("not a Redis URL; {usage}"));
    };
    let known = TCP_SCHEMES.contains(&scheme) || UNIX_SCHEMES.contains(&scheme);
    if !known {
        return Err(format!("unsupported URL scheme `{scheme}`; {usage}"));
    }
    if cluster && !TCP_SCHEMES.contains(&scheme) {
        return Err(format!(
            "a cluster is reached over TCP, not `{scheme}://`; use `redis://` or `rediss://` URLs"
        ));
    }
    if let Err(e) = redis::IntoConnectionInfo::into_connection_info(url) {
        // The redis crate's messages are fixed texts ("Missing hostname - InvalidClientConfig").
        let text = e.to_string();
        let why = text.split(" - ").next().unwrap_or("cannot be parsed");
        return Err(format!("not a valid Redis URL ({why}); {usage}"));
    }
    Ok(scheme)
}

/// Accepts a level name, or a `tracing` filter with at least one `target=level` directive
/// (a bare word that is not a level is taken for a typo, not a target).
fn log_level(level: &str) -> Result<(), String> {
    let usage =
        "use one of trace, debug, info, warn, error, off, or a filter such as \"info,pump=debug\"";
    let word = level.trim();
    if LEVELS.iter().any(|l| l.eq_ignore_ascii_case(word)) {
        return Ok(());
    }
    if !word.contains(['=', ',', '[', ':']) {
        return Err(format!("unknown log level `{level}`; {usage}"));
    }
    tracing_subscriber::EnvFilter::builder()
        .parse(level)
        .map(|_| ())
        .map_err(|e| format!("invalid log filter `{level}`: {e}; {usage}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_urls() {
        assert_eq!(redis_url("redis://127.0.0.1:6379/0", false), Ok("redis"));
        assert_eq!(redis_url("rediss://u:p@h:6380", true), Ok("rediss"));
        assert_eq!(
            redis_url("redis+unix:///run/redis.sock", false),
            Ok("redis+unix")
        );
        assert!(
            redis_url("http://h", false)
                .unwrap_err()
                .contains("unsupported URL scheme `http`")
        );
        assert!(
            redis_url("127.0.0.1:6379", false)
                .unwrap_err()
                .contains("not a Redis URL")
        );
        assert!(
            redis_url("redis+unix:///run/redis.sock", true)
                .unwrap_err()
                .contains("over TCP")
        );
        assert!(
            !redis_url("redis://:secret@[bad", false)
                .unwrap_err()
                .contains("secret")
        );
    }

    #[test]
    fn log_levels() {
        assert!(log_level("info").is_ok());
        assert!(log_level("WARN").is_ok());
        assert!(log_level("info,pump::deliver=debug").is_ok());
        assert!(
            log_level("verbose")
                .unwrap_err()
                .contains("unknown log level")
        );
        assert!(
            log_level("pump=loud")
                .unwrap_err()
                .contains("invalid log filter")
        );
    }
}
