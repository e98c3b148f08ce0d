//! The `meta` of each converted Tyk pump type, turned into the sink's own options. Tyk's
//! option names are kept where the sink has them; Go's zero values (`false`, `0`, `""`)
//! mean "not set" in Tyk and are left out, so the sink's defaults (Tyk's) apply.

use super::Note;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// A pump's `meta`, converted.
#[derive(Debug, Default)]
pub struct Converted {
    /// The sink type's own options.
    pub specific: toml::Table,
    /// Options every sink has that some `meta` key implies (`batch_max_wait`).
    pub common: toml::Table,
}

/// Converts the `meta` of a pump of `tyk_type`; notes are about the sink at `at`.
pub fn convert(
    tyk_type: &str,
    meta: &Map<String, Value>,
    at: &str,
    notes: &mut Vec<Note>,
) -> Converted {
    let mut m = Meta {
        raw: meta,
        at,
        tyk_type,
        used: BTreeSet::new(),
        out: Converted::default(),
        notes,
    };
    match tyk_type {
        "mongo" => {
            mongo_connection(&mut m);
            for key in [
                "collection_name",
                "max_insert_batch_size_bytes",
                "max_document_size_bytes",
                "collection_cap_max_size_bytes",
                "collection_cap_enable",
            ] {
                m.copy(key);
            }
        }
        "mongo-pump-selective" => {
            mongo_connection(&mut m);
            m.copy("max_insert_batch_size_bytes");
            m.copy("max_document_size_bytes");
        }
        "mongo-pump-aggregate" => mongo_aggregate(&mut m),
        "elasticsearch" => elasticsearch(&mut m),
        "stdout" => {
            let why = "the `stdout` sink writes one JSON record per line; it has no such option";
            for key in ["format", "log_field_name", "use_legacy_payload_format"] {
                m.drop(key, why);
            }
        }
        _ => {}
    }
    m.finish()
}

/// The options every MongoDB pump has (Tyk's `BaseMongoConf`).
fn mongo_connection(m: &mut Meta<'_>) {
    let mut uri_options = Vec::new();
    let mut from = Vec::new();
    for (key, option) in [
        ("mongo_direct_connection", "directConnection=true"),
        (
            "mongo_ssl_allow_invalid_hostnames",
            "tlsAllowInvalidHostnames=true",
        ),
    ] {
        if m.flag(key) {
            uri_options.push(option);
            from.push(format!("`meta.{key}`"));
        }
    }
    match m.string("mongo_url") {
        Some(url) => {
            let url = with_uri_options(&url, &uri_options);
            let has_credentials = url.contains('@');
            m.out.specific.insert("mongo_url".into(), url.into());
            if !uri_options.is_empty() {
                m.note(
                    "mongo_url",
                    format!(
                        "`{}` added to the URL, from {}",
                        uri_options.join("&"),
                        from.join(" and ")
                    ),
                );
            }
            if has_credentials {
                m.note(
                    "mongo_url",
                    "the URL carries credentials, copied in clear; keep them out of the file: \
                     write mongo_url = \"${MONGO_URL}\" and set MONGO_URL in the pump's \
                     environment",
                );
            }
        }
        None => m.note(
            "",
            "`meta.mongo_url` is not set (Tyk Pump could not connect either); set `mongo_url`",
        ),
    }
    for key in [
        "mongo_use_ssl",
        "mongo_ssl_insecure_skip_verify",
        "mongo_ssl_ca_file",
        "mongo_ssl_pem_keyfile",
        "omit_index_creation",
    ] {
        m.copy(key);
    }
    if let Some(kind) = m.get("mongo_db_type") {
        let which = match kind.as_i64() {
            Some(1) => "AWS DocumentDB",
            Some(2) => "Azure Cosmos DB",
            _ => "a MongoDB-compatible database",
        };
        m.note(
            "",
            format!(
                "`meta.mongo_db_type` ({which}) is not converted: the sink speaks the standard \
                 MongoDB protocol; check that the server supports capped collections and the \
                 indexes it creates"
            ),
        );
    }
    m.drop(
        "mongo_session_consistency",
        "the driver's defaults apply; set `readPreference` in mongo_url if you need another",
    );
    m.drop("driver", "the pump has one MongoDB driver");
}

fn mongo_aggregate(m: &mut Meta<'_>) {
    mongo_connection(m);
    for key in [
        "use_mixed_collection",
        "track_all_paths",
        "ignore_tag_prefix_list",
        "store_analytics_per_minute",
        "ignore_aggregations",
    ] {
        m.copy(key);
    }
    if let Some(v) = m.get("aggregation_time") {
        match v.as_i64() {
            Some(n) if (1..=60).contains(&n) => {
                m.out.specific.insert("aggregation_time".into(), n.into());
            }
            _ => m.note(
                "",
                format!(
                    "`meta.aggregation_time` {v} is not 1 to 60; Tyk used 60, which is the \
                     sink's default"
                ),
            ),
        }
    }
    m.drop(
        "threshold_len_tag_list",
        "Tyk only logged a warning past this many tags",
    );
    m.drop(
        "enable_aggregate_self_healing",
        "the sink has no self-healing rewrite (Tyk's counted some organisations twice)",
    );
}

fn elasticsearch(m: &mut Meta<'_>) {
    if let Some(urls) = m.string("elasticsearch_url") {
        // Tyk splits the option on commas.
        let mut urls = urls
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(|u| toml::Value::from(u.to_owned()));
        if let Some(first) = urls.next() {
            if first.as_str().is_some_and(|u| u.contains('@')) {
                m.note(
                    "elasticsearch_url",
                    "the URL carries credentials, copied in clear; keep them out of the file \
                     with a ${NAME} reference",
                );
            }
            m.out.specific.insert("elasticsearch_url".into(), first);
        }
        let rest: Vec<toml::Value> = urls.collect();
        if !rest.is_empty() {
            m.out
                .specific
                .insert("elasticsearch_urls".into(), toml::Value::Array(rest));
        }
    }
    for key in [
        "index_name",
        "rolling_index",
        "extended_stats",
        "decode_base64",
    ] {
        m.copy(key);
    }
    // `false` (Tyk's default) is not set: the sink always derives ids.
    m.copy("generate_id");
    if let Some(v) = m.get("version") {
        m.note(
            "",
            format!(
                "`meta.version` {v} is not converted: the sink asks the server its version \
                 (it writes to Elasticsearch 7 and 8, OpenSearch 1 to 3); set `version` only \
                 if its credentials may not read `GET /`"
            ),
        );
    }
    m.drop(
        "use_sniffing",
        "the sink does not discover nodes; list them in `elasticsearch_urls`",
    );
    m.drop(
        "document_type",
        "mapping types are gone since Elasticsearch 7",
    );
    m.drop("disable_bulk", "the sink always writes with the bulk API");
    m.drop("mcp_index_name", "the sink has no MCP index");
    elasticsearch_auth(m);
    elasticsearch_tls(m);
    elasticsearch_bulk(m);
}

/// Tyk uses the API key when both its parts are set, else basic authentication.
fn elasticsearch_auth(m: &mut Meta<'_>) {
    let id = m.string("auth_api_key_id");
    let key = m.string("auth_api_key");
    let user = m.string("auth_basic_username");
    let password = m.string("auth_basic_password");
    let secret = |what: &str| {
        format!(
            "copied in clear; keep it out of the file: write {what} = \"${{ES_SECRET}}\" and set \
             ES_SECRET in the pump's environment"
        )
    };
    match (id, key) {
        (Some(id), Some(key)) => {
            m.out.specific.insert("auth_api_key_id".into(), id.into());
            m.out.specific.insert("auth_api_key".into(), key.into());
            m.note("auth_api_key", secret("auth_api_key"));
            if user.is_some() || password.is_some() {
                m.note(
                    "",
                    "`meta.auth_basic_…` dropped: with an API key set, Tyk Pump did not use them",
                );
            }
            return;
        }
        (None, None) => {}
        _ => m.note(
            "",
            "only one of `meta.auth_api_key_id` and `meta.auth_api_key` is set; Tyk Pump ignored \
             it, and so does the import",
        ),
    }
    match (user, password) {
        (Some(user), password) => {
            m.out
                .specific
                .insert("auth_basic_username".into(), user.into());
            m.out.specific.insert(
                "auth_basic_password".into(),
                password.clone().unwrap_or_default().into(),
            );
            if password.is_some() {
                m.note("auth_basic_password", secret("auth_basic_password"));
            }
        }
        (None, Some(_)) => m.note(
            "",
            "`meta.auth_basic_password` without `auth_basic_username` is not converted",
        ),
        (None, None) => {}
    }
}

/// Tyk uses the TLS files only with `use_ssl`.
fn elasticsearch_tls(m: &mut Meta<'_>) {
    let use_ssl = m.flag("use_ssl");
    let insecure = m.flag("ssl_insecure_skip_verify");
    let ca = m.string("ssl_ca_file");
    let cert = m.string("ssl_cert_file");
    let key = m.string("ssl_key_file");
    if !use_ssl {
        if insecure || ca.is_some() || cert.is_some() || key.is_some() {
            m.note(
                "",
                "the `meta.ssl_…` options are ignored without `meta.use_ssl`, as Tyk ignores them",
            );
        }
        return;
    }
    if m.out
        .specific
        .get("elasticsearch_url")
        .and_then(toml::Value::as_str)
        .is_some_and(|u| u.starts_with("http://"))
    {
        m.note(
            "elasticsearch_url",
            "`meta.use_ssl` is set but the URL is http://; TLS is used for https:// URLs only",
        );
    }
    if insecure {
        m.out
            .specific
            .insert("ssl_insecure_skip_verify".into(), true.into());
    }
    if let Some(ca) = ca {
        m.out.specific.insert("ssl_ca_cert_file".into(), ca.into());
    }
    match (cert, key) {
        (Some(cert), Some(key)) => {
            m.out.specific.insert("ssl_cert_file".into(), cert.into());
            m.out.specific.insert("ssl_key_file".into(), key.into());
        }
        (None, None) => {}
        _ => m.note(
            "",
            "only one of `meta.ssl_cert_file` and `meta.ssl_key_file` is set; a client \
             certificate needs both, so neither is used (Tyk only warned)",
        ),
    }
}

/// `bulk_config`: `flush_interval` (seconds) is the sink's `batch_max_wait`.
fn elasticsearch_bulk(m: &mut Meta<'_>) {
    let Some(bulk) = m.get("bulk_config") else {
        return;
    };
    let Some(bulk) = bulk.as_object() else {
        m.note("", "`meta.bulk_config` is not an object; ignored");
        return;
    };
    let mut out = toml::Table::new();
    for (key, v) in bulk {
        if is_zero(v) {
            continue;
        }
        match (key.as_str(), to_toml(v)) {
            ("flush_interval", Some(value)) => {
                m.out.common.insert("batch_max_wait".into(), value);
                m.note(
                    "batch_max_wait",
                    "from `meta.bulk_config.flush_interval`: records wait at most this long for \
                     their batch",
                );
            }
            ("workers" | "bulk_actions" | "bulk_size", Some(value)) => {
                out.insert(key.clone(), value);
            }
            ("flush_interval" | "workers" | "bulk_actions" | "bulk_size", None) => {
                m.note(
                    "",
                    format!("`meta.bulk_config.{key}` {v} is not a number; ignored"),
                );
            }
            _ => m.note(
                "",
                format!("`meta.bulk_config.{key}` is not a Tyk option; ignored"),
            ),
        }
    }
    if !out.is_empty() {
        m.out
            .specific
            .insert("bulk_config".into(), toml::Value::Table(out));
    }
}

/// Adds `key=value` options to a MongoDB URI that lacks them.
fn with_uri_options(url: &str, options: &[&str]) -> String {
    let mut url = url.to_owned();
    for option in options {
        let name = option.split('=').next().unwrap_or(option);
        if url
            .to_ascii_lowercase()
            .contains(&name.to_ascii_lowercase())
        {
            continue;
        }
        if url.contains('?') {
            url.push('&');
        } else {
            let after_scheme = url.find("://").map_or(0, |i| i + 3);
            if !url[after_scheme..].contains('/') {
                url.push('/');
            }
            url.push('?');
        }
        url.push_str(option);
    }
    url
}

/// Go's zero value: what Tyk takes for "not set".
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// A JSON value as TOML; an integral number becomes an integer (Tyk's `mapstructure`
/// takes JSON's floats for integers). `None` for `null` and numbers TOML cannot hold.
fn to_toml(v: &Value) -> Option<toml::Value> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => toml::Value::Integer(i),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                // Integral and well inside i64: the cast is exact.
                toml::Value::Integer(f as i64)
            }
            (None, Some(f)) if f.is_finite() => toml::Value::Float(f),
            _ => return None,
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(a) => toml::Value::Array(a.iter().map(to_toml).collect::<Option<_>>()?),
        Value::Object(o) => toml::Value::Table(
            o.iter()
                .map(|(k, v)| Some((k.clone(), to_toml(v)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

/// A `meta` being converted: which keys were read, what came out, the notes.
struct Meta<'a> {
    raw: &'a Map<String, Value>,
    at: &'a str,
    tyk_type: &'a str,
    used: BTreeSet<&'a str>,
    out: Converted,
    notes: &'a mut Vec<Note>,
}

impl<'a> Meta<'a> {
    /// The value of `key`, unless it is Go's zero value; marks the key read.
    fn get(&mut self, key: &str) -> Option<&'a Value> {
        let (k, v) = self.raw.get_key_value(key)?;
        self.used.insert(k.as_str());
        (!is_zero(v)).then_some(v)
    }

    /// A string option; another kind is noted and left out.
    fn string(&mut self, key: &str) -> Option<String> {
        let v = self.get(key)?;
        match v.as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                self.note(
                    "",
                    format!("`meta.{key}` should be a string, found {v}; ignored"),
                );
                None
            }
        }
    }

    /// A boolean option (false when unset); another kind is noted and taken as false.
    fn flag(&mut self, key: &str) -> bool {
        let Some(v) = self.get(key) else { return false };
        v.as_bool().unwrap_or_else(|| {
            self.note(
                "",
                format!("`meta.{key}` should be true or false, found {v}; ignored"),
            );
            false
        })
    }

    /// Copies `key` under the same name when it is set.
    fn copy(&mut self, key: &str) {
        let Some(v) = self.get(key) else { return };
        match to_toml(v) {
            Some(value) => {
                self.out.specific.insert(key.to_owned(), value);
            }
            None => self.note(
                "",
                format!("`meta.{key}` {v} cannot be written in TOML; ignored"),
            ),
        }
    }

    /// Notes that `key`, when set, is not converted, and why.
    fn drop(&mut self, key: &str, why: &str) {
        if self.get(key).is_some() {
            self.note("", format!("`meta.{key}` is not converted: {why}"));
        }
    }

    /// A note about the sink's `key` (`""`: the sink).
    fn note(&mut self, key: &str, message: impl Into<String>) {
        let at = if key.is_empty() {
            self.at.to_owned()
        } else {
            format!("{}.{key}", self.at)
        };
        self.notes.push(Note::new(at, message));
    }

    /// The result, with a note for each key nothing read.
    fn finish(mut self) -> Converted {
        let unread: Vec<&String> = self
            .raw
            .keys()
            .filter(|k| !self.used.contains(k.as_str()) && *k != "meta_env_prefix")
            .collect();
        for key in unread {
            let message = format!(
                "`meta.{key}` is not an option of Tyk's `{}` pump; ignored",
                self.tyk_type
            );
            self.note("", message);
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_options_are_added_once() {
        assert_eq!(
            with_uri_options("mongodb://h:27017", &["directConnection=true"]),
            "mongodb://h:27017/?directConnection=true"
        );
        assert_eq!(
            with_uri_options("mongodb://h/db?w=1", &["directConnection=true"]),
            "mongodb://h/db?w=1&directConnection=true"
        );
        assert_eq!(
            with_uri_options(
                "mongodb://h/db?directconnection=false",
                &["directConnection=true"]
            ),
            "mongodb://h/db?directconnection=false"
        );
    }

    #[test]
    fn integral_floats_become_integers() {
        assert_eq!(
            to_toml(&serde_json::json!(5.0)),
            Some(toml::Value::Integer(5))
        );
        assert_eq!(
            to_toml(&serde_json::json!(1.5)),
            Some(toml::Value::Float(1.5))
        );
        assert_eq!(to_toml(&serde_json::json!([1, null])), None);
    }
}
