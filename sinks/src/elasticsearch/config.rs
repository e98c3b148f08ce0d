//! Options of the `elasticsearch` sink. The names are Tyk Pump's (`elasticsearch_url`,
//! `index_name`, `rolling_index`, `bulk_config`, …) so a Tyk config's `meta` moves over as
//! it is; the additions (`elasticsearch_urls`, `compression`, `request_timeout`, …) follow
//! the same style. Single options are checked while the file is read; combinations when the
//! sink starts ([`ElasticsearchConfig::check`]).

use super::units;
use super::version::ServerVersion;
use crate::BuildError;
use reqwest::Url;
use serde::Deserialize;
use serde::de::{self, Deserializer};
use std::path::PathBuf;
use std::time::Duration;

/// `[sinks.<name>]` with `type = "elasticsearch"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElasticsearchConfig {
    /// A node's URL, `http(s)://[user:password@]host:port[/path]` (Tyk's option; several
    /// separated by commas, as Tyk reads it). `http://localhost:9200` when neither this nor
    /// `elasticsearch_urls` is set.
    #[serde(default, deserialize_with = "comma_separated_urls")]
    pub elasticsearch_url: Vec<NodeUrl>,
    /// More nodes of the same cluster: requests go to one node and move to the next when it
    /// cannot be reached or answers 502/503/504.
    #[serde(default, deserialize_with = "many_urls")]
    pub elasticsearch_urls: Vec<NodeUrl>,
    /// The index, or the prefix of the daily indexes with `rolling_index`.
    #[serde(default = "default_index_name", deserialize_with = "index_name")]
    pub index_name: String,
    /// One index per day, `<index_name>-YYYY.MM.DD`, named by each record's own timestamp
    /// (UTC), so a record re-delivered after midnight still lands in its first index.
    #[serde(default)]
    pub rolling_index: bool,
    /// Adds `raw_request`, `raw_response` and `user_agent` to the documents.
    #[serde(default)]
    pub extended_stats: bool,
    /// With `extended_stats`: base64-decode `raw_request` and `raw_response` (a value that
    /// is not base64 is kept as it is).
    #[serde(default)]
    pub decode_base64: bool,
    /// Tyk's option. Ids are always derived from the record (that is what makes delivery
    /// idempotent); `false` is refused.
    #[serde(default = "yes", deserialize_with = "generate_id")]
    pub generate_id: bool,
    /// The server's version, when `GET /` may not be read (an API key without the `monitor`
    /// privilege): `"8"`, `"7.17"`, `"opensearch-2"`. Unset: read from `GET /` at start-up.
    #[serde(default)]
    pub version: Option<ServerVersion>,
    /// Do not install the index template (the indexes are mapped some other way).
    #[serde(default)]
    pub disable_template: bool,
    /// The index template's name; `index_name` by default.
    #[serde(default)]
    pub template_name: Option<String>,
    /// HTTP basic authentication (set both).
    #[serde(default)]
    pub auth_basic_username: Option<String>,
    /// HTTP basic authentication (set both).
    #[serde(default)]
    pub auth_basic_password: Option<String>,
    /// API key authentication: the key's id, with `auth_api_key`.
    #[serde(default)]
    pub auth_api_key_id: Option<String>,
    /// API key authentication: the key, with `auth_api_key_id`; alone, the already encoded
    /// credential (`base64(id:key)`, the `encoded` value Elasticsearch returns).
    #[serde(default)]
    pub auth_api_key: Option<String>,
    /// PEM of the CA that signed the nodes' certificates (`https://` only); the system's
    /// roots when unset.
    #[serde(default)]
    pub ssl_ca_cert_file: Option<PathBuf>,
    /// PEM client certificate for mutual TLS (with `ssl_key_file`).
    #[serde(default)]
    pub ssl_cert_file: Option<PathBuf>,
    /// PEM private key of `ssl_cert_file`.
    #[serde(default)]
    pub ssl_key_file: Option<PathBuf>,
    /// Accept any server certificate (tests only).
    #[serde(default)]
    pub ssl_insecure_skip_verify: bool,
    /// How writes are cut into bulk requests.
    #[serde(default)]
    pub bulk_config: BulkConfig,
    /// `gzip` compresses request bodies; `none` (the default) does not.
    #[serde(default)]
    pub compression: Compression,
    /// Longest one HTTP request may take, answer included.
    #[serde(
        default = "default_request_timeout",
        deserialize_with = "units::duration"
    )]
    pub request_timeout: Duration,
}

/// `bulk_config`: Tyk's bulk options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkConfig {
    /// Most documents per bulk request; `-1` for no limit.
    #[serde(
        default = "default_bulk_actions",
        deserialize_with = "units::count_limit"
    )]
    pub bulk_actions: Option<usize>,
    /// Most bytes (uncompressed NDJSON) per bulk request; `-1` for no limit. A document
    /// larger than this goes in a request of its own.
    #[serde(default = "default_bulk_size", deserialize_with = "units::size_limit")]
    pub bulk_size: Option<u64>,
    /// Bulk requests in flight at once.
    #[serde(default = "default_workers", deserialize_with = "at_least_one")]
    pub workers: usize,
    /// Compress request bodies (the same as `compression = "gzip"`).
    #[serde(default)]
    pub gzip: bool,
    /// Tyk's flush timer. Unused: the sink's `batch_max_wait` decides how long records wait.
    #[serde(default, deserialize_with = "units::opt_duration")]
    pub flush_interval: Option<Duration>,
}

impl Default for BulkConfig {
    fn default() -> Self {
        BulkConfig {
            bulk_actions: default_bulk_actions(),
            bulk_size: default_bulk_size(),
            workers: default_workers(),
            gzip: false,
            flush_interval: None,
        }
    }
}

/// Request body compression.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Plain bodies.
    #[default]
    None,
    /// `Content-Encoding: gzip`.
    Gzip,
}

/// A node's URL, with any credentials it carried taken out of it (so it can be logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeUrl {
    /// The URL without user or password, ending with `/`.
    pub url: Url,
    /// `user:password@` of the URL, percent-decoded.
    pub credentials: Option<(String, String)>,
}

impl NodeUrl {
    /// Parses and checks one node URL.
    pub fn parse(text: &str) -> Result<Self, String> {
        let hint = "write it as `http://host:9200` or `https://user:password@host:9200`";
        let mut url =
            Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a URL ({e}); {hint}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "`{text}`: the scheme must be http or https, not `{}`; {hint}",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("`{text}` has no host; {hint}"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "`{text}` must not have a query or a fragment; {hint}"
            ));
        }
        let credentials = if url.username().is_empty() && url.password().is_none() {
            None
        } else {
            let decode = |s: &str| {
                percent_decode(s).ok_or_else(|| {
                    format!("`{text}`: the credentials are not valid percent-encoded UTF-8")
                })
            };
            let creds = (
                decode(url.username())?,
                decode(url.password().unwrap_or(""))?,
            );
            // Both setters only fail for URLs that cannot have credentials (checked above).
            let _ = url.set_username("");
            let _ = url.set_password(None);
            Some(creds)
        };
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(NodeUrl { url, credentials })
    }
}

impl ElasticsearchConfig {
    /// Every node, `elasticsearch_url` first; Tyk's default when none is set.
    pub fn nodes(&self) -> Vec<NodeUrl> {
        let mut nodes: Vec<NodeUrl> = Vec::new();
        for n in self
            .elasticsearch_url
            .iter()
            .chain(&self.elasticsearch_urls)
        {
            if !nodes.contains(n) {
                nodes.push(n.clone());
            }
        }
        if nodes.is_empty() {
            // A constant that parses.
            if let Ok(n) = NodeUrl::parse(DEFAULT_URL) {
                nodes.push(n);
            }
        }
        nodes
    }

    /// The index template's name.
    pub fn template_name(&self) -> &str {
        self.template_name.as_deref().unwrap_or(&self.index_name)
    }

    /// Whether request bodies are gzipped.
    pub fn gzip(&self) -> bool {
        self.compression == Compression::Gzip || self.bulk_config.gzip
    }

    /// Checks the options that only make sense together.
    pub fn check(&self) -> Result<(), BuildError> {
        let fail = |m: &str| Err(BuildError(m.to_string()));
        match (&self.auth_basic_username, &self.auth_basic_password) {
            (Some(_), None) => {
                return fail(
                    "`auth_basic_username` is set without `auth_basic_password`: set both, or neither",
                );
            }
            (None, Some(_)) => {
                return fail(
                    "`auth_basic_password` is set without `auth_basic_username`: set both, or neither",
                );
            }
            _ => {}
        }
        if self.auth_api_key_id.is_some() && self.auth_api_key.is_none() {
            return fail("`auth_api_key_id` is set without `auth_api_key`: set the key too");
        }
        if self.auth_basic_username.is_some() && self.auth_api_key.is_some() {
            return fail(
                "both basic (`auth_basic_username`) and API key (`auth_api_key`) authentication are set: keep one",
            );
        }
        for (option, value) in [
            ("auth_basic_username", &self.auth_basic_username),
            ("auth_api_key", &self.auth_api_key),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(BuildError(format!(
                    "`{option}` is empty; if it comes from an environment variable, set that variable"
                )));
            }
        }
        if self.ssl_cert_file.is_some() != self.ssl_key_file.is_some() {
            return fail(
                "`ssl_cert_file` and `ssl_key_file` go together: set both for mutual TLS, or neither",
            );
        }
        if let Some(name) = &self.template_name {
            check_index_name(name).map_err(|e| BuildError(format!("`template_name`: {e}")))?;
        }
        Ok(())
    }
}

/// Tyk's default node.
pub const DEFAULT_URL: &str = "http://localhost:9200";

fn default_index_name() -> String {
    "tyk_analytics".to_string()
}

fn default_request_timeout() -> Duration {
    Duration::from_secs(20)
}

fn default_bulk_actions() -> Option<usize> {
    Some(1000)
}

fn default_bulk_size() -> Option<u64> {
    Some(5 << 20)
}

fn default_workers() -> usize {
    2
}

fn yes() -> bool {
    true
}

fn comma_separated_urls<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NodeUrl>, D::Error> {
    let text = String::deserialize(d)?;
    let urls: Vec<NodeUrl> = text
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| NodeUrl::parse(u).map_err(de::Error::custom))
        .collect::<Result<_, _>>()?;
    if urls.is_empty() {
        return Err(de::Error::custom(
            "is empty; write a node's URL such as \"http://127.0.0.1:9200\"",
        ));
    }
    Ok(urls)
}

fn many_urls<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NodeUrl>, D::Error> {
    let texts = Vec::<String>::deserialize(d)?;
    texts
        .iter()
        .map(|t| NodeUrl::parse(t).map_err(de::Error::custom))
        .collect()
}

fn index_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = String::deserialize(d)?;
    check_index_name(&name).map_err(de::Error::custom)?;
    Ok(name)
}

fn generate_id<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    if bool::deserialize(d)? {
        Ok(true)
    } else {
        Err(de::Error::custom(
            "this sink always derives each document's `_id` from the record, so that a record \
             delivered twice is stored once; remove `generate_id = false`",
        ))
    }
}

fn at_least_one<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let n = usize::deserialize(d)?;
    if n == 0 {
        return Err(de::Error::custom("must be at least 1"));
    }
    Ok(n)
}

/// Elasticsearch's rules for index names, with room for the `-YYYY.MM.DD` suffix.
pub fn check_index_name(name: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "`{name}` is not a valid index name: {why} (use lowercase letters, digits, `_`, `-`, `.`)"
        ))
    };
    if name.is_empty() || name == "." || name == ".." {
        return bad("it is empty or a dot");
    }
    if name.len() > 240 {
        return bad("it is longer than 240 bytes");
    }
    if name.starts_with(['-', '_', '+']) {
        return bad("it starts with `-`, `_` or `+`");
    }
    if name.chars().any(|c| c.is_uppercase()) {
        return bad("it has uppercase letters");
    }
    if let Some(c) = name.chars().find(|c| {
        matches!(
            c,
            '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ',' | '#' | ':'
        ) || c.is_control()
    }) {
        return bad(&format!("it contains `{c}`"));
    }
    Ok(())
}

/// Decodes `%XX` escapes (URL user info); `None` when the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}
