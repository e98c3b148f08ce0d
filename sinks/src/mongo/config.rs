//! Options of the MongoDB sinks (`mongo`, `mongo-aggregate`, `mongo-selective`), with Tyk
//! Pump's option names. The connection options are the same for every type.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// Tyk's default insert cut: 10 MiB.
const TEN_MIB: u64 = 10 * 1024 * 1024;

/// Declares a config struct with the connection options every MongoDB sink has, then its own.
macro_rules! mongo_config {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// `mongodb://[user:password@]host:port[,host:port…]/database[?options]` (or
            /// `mongodb+srv://…`); the database comes from the path. URI options (`tls`,
            /// `connectTimeoutMS`, `replicaSet`, `authSource`, …) apply.
            pub mongo_url: String,
            /// Connect with TLS (same as `tls=true` in the URL).
            #[serde(default)]
            pub mongo_use_ssl: bool,
            /// Accept any server certificate (tests only).
            #[serde(default)]
            pub mongo_ssl_insecure_skip_verify: bool,
            /// PEM file of the CA that signed the server's certificate.
            #[serde(default)]
            pub mongo_ssl_ca_file: Option<PathBuf>,
            /// PEM file with the client certificate and its key (mutual TLS).
            #[serde(default)]
            pub mongo_ssl_pem_keyfile: Option<PathBuf>,
            /// How long to wait for a connection (unless the URL sets `connectTimeoutMS`).
            #[serde(default = "default_connect_timeout", deserialize_with = "duration")]
            pub connect_timeout: Duration,
            /// How long an operation waits for a usable server before it is retried later
            /// (unless the URL sets `serverSelectionTimeoutMS`).
            #[serde(default = "default_server_selection_timeout", deserialize_with = "duration")]
            pub server_selection_timeout: Duration,
            $($(#[$fm])* pub $f: $t,)*
        }

        impl $name {
            /// The connection options.
            pub fn connection(&self) -> Connection {
                Connection {
                    mongo_url: self.mongo_url.clone(),
                    use_tls: self.mongo_use_ssl,
                    insecure_skip_verify: self.mongo_ssl_insecure_skip_verify,
                    ca_file: self.mongo_ssl_ca_file.clone(),
                    pem_keyfile: self.mongo_ssl_pem_keyfile.clone(),
                    connect_timeout: self.connect_timeout,
                    server_selection_timeout: self.server_selection_timeout,
                }
            }
        }
    };
}

mongo_config! {
    /// `[sinks.<name>]` with `type = "mongo"`: one document per record.
    pub struct MongoConfig {
        /// The collection of the raw records.
        #[serde(default = "default_collection")]
        pub collection_name: String,
        /// The collection of uptime records (with `uptime = true`).
        #[serde(default = "default_uptime_collection")]
        pub uptime_collection_name: String,
        /// Most bytes of documents per insert command.
        #[serde(default = "default_batch_bytes", deserialize_with = "size")]
        pub max_insert_batch_size_bytes: u64,
        /// Documents larger than this keep their metadata, without the raw request and response.
        #[serde(default = "default_batch_bytes", deserialize_with = "size")]
        pub max_document_size_bytes: u64,
        /// Create the collection capped (when the pump creates it).
        #[serde(default)]
        pub collection_cap_enable: bool,
        /// Size of the capped collection.
        #[serde(default = "default_cap", deserialize_with = "size")]
        pub collection_cap_max_size_bytes: u64,
        /// Do not create the indexes.
        #[serde(default)]
        pub omit_index_creation: bool,
    }
}

mongo_config! {
    /// `[sinks.<name>]` with `type = "mongo-selective"`: one collection per organisation.
    pub struct MongoSelectiveConfig {
        /// Most bytes of documents per insert command.
        #[serde(default = "default_batch_bytes", deserialize_with = "size")]
        pub max_insert_batch_size_bytes: u64,
        /// Documents larger than this keep their metadata, without the raw request and response.
        #[serde(default = "default_batch_bytes", deserialize_with = "size")]
        pub max_document_size_bytes: u64,
        /// Do not create the indexes.
        #[serde(default)]
        pub omit_index_creation: bool,
    }
}

mongo_config! {
    /// `[sinks.<name>]` with `type = "mongo-aggregate"`: per-organisation time buckets.
    pub struct MongoAggregateConfig {
        /// Also write every bucket to `tyk_analytics_aggregates`.
        #[serde(default)]
        pub use_mixed_collection: bool,
        /// Count every path, not only those the API marks as tracked.
        #[serde(default)]
        pub track_all_paths: bool,
        /// Tags starting with any of these are not counted.
        #[serde(default)]
        pub ignore_tag_prefix_list: Vec<String>,
        /// One-minute buckets (wins over `aggregation_time`).
        #[serde(default)]
        pub store_analytics_per_minute: bool,
        /// Bucket length in minutes, 1 to 60.
        #[serde(default = "default_aggregation_time")]
        pub aggregation_time: u32,
        /// Dimensions not to aggregate (`apikeys`, `oauthids`, `geo`, `tags`, `endpoints`, …).
        #[serde(default)]
        pub ignore_aggregations: Vec<String>,
        /// Do not create the indexes.
        #[serde(default)]
        pub omit_index_creation: bool,
        /// Record ids each bucket document remembers, to recognise a re-delivered record.
        #[serde(default = "default_dedup_window")]
        pub dedup_window_records: usize,
    }
}

/// How to reach the server, common to every MongoDB sink.
#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    pub mongo_url: String,
    pub use_tls: bool,
    pub insecure_skip_verify: bool,
    pub ca_file: Option<PathBuf>,
    pub pem_keyfile: Option<PathBuf>,
    pub connect_timeout: Duration,
    pub server_selection_timeout: Duration,
}

fn default_collection() -> String {
    "tyk_analytics".into()
}
fn default_uptime_collection() -> String {
    "tyk_uptime_analytics".into()
}
fn default_batch_bytes() -> u64 {
    TEN_MIB
}
fn default_cap() -> u64 {
    5 * 1024 * 1024 * 1024
}
fn default_aggregation_time() -> u32 {
    60
}
fn default_dedup_window() -> usize {
    50_000
}
fn default_connect_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_server_selection_timeout() -> Duration {
    Duration::from_secs(5)
}

/// A duration: a number of seconds, or a string with a unit (`"500ms"`, `"5s"`, `"1m"`).
fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Secs(f64),
        Text(String),
    }
    let secs = match Raw::deserialize(d)? {
        Raw::Secs(s) => s,
        Raw::Text(t) => parse_with_unit(&t, &[("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)])
            .ok_or_else(|| {
                de::Error::custom(format!(
                    "`{t}` is not a duration; write seconds (`5`) or a number with a unit (`500ms`, `5s`, `1m`)"
                ))
            })?,
    };
    Duration::try_from_secs_f64(secs)
        .map_err(|_| de::Error::custom("a duration must be positive and finite"))
}

/// A size: an integer of bytes, or a string with a unit (`"10MiB"`, `"5GB"`).
fn size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bytes(u64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Bytes(b) => Ok(b),
        Raw::Text(t) => {
            let units = [
                ("kib", 1024.0),
                ("mib", 1024.0 * 1024.0),
                ("gib", 1024.0 * 1024.0 * 1024.0),
                ("tib", 1024.0 * 1024.0 * 1024.0 * 1024.0),
                ("kb", 1e3),
                ("mb", 1e6),
                ("gb", 1e9),
                ("tb", 1e12),
                ("b", 1.0),
            ];
            parse_with_unit(&t.to_ascii_lowercase(), &units)
                .filter(|v| *v >= 0.0 && *v < u64::MAX as f64)
                .map(|v| v as u64)
                .ok_or_else(|| {
                    de::Error::custom(format!(
                        "`{t}` is not a size; write bytes (`10485760`) or a number with a unit (`10MiB`, `5GB`)"
                    ))
                })
        }
    }
}

/// `<number><unit>` with the first matching unit suffix (longest suffixes listed first).
fn parse_with_unit(text: &str, units: &[(&str, f64)]) -> Option<f64> {
    let t = text.trim();
    for (unit, factor) in units {
        if let Some(n) = t.strip_suffix(unit) {
            return n.trim().parse::<f64>().ok().map(|n| n * factor);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(toml_text: &str) -> Result<MongoConfig, String> {
        let v: serde_json::Value = toml_like(toml_text);
        MongoConfig::deserialize(v).map_err(|e| e.to_string())
    }

    /// The tests feed JSON values: the host hands options through serde either way.
    fn toml_like(s: &str) -> serde_json::Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn tyk_defaults_apply() {
        let c = raw(r#"{"mongo_url":"mongodb://h/db"}"#).unwrap();
        assert_eq!(c.collection_name, "tyk_analytics");
        assert_eq!(c.max_insert_batch_size_bytes, TEN_MIB);
        assert_eq!(c.max_document_size_bytes, TEN_MIB);
        assert_eq!(c.collection_cap_max_size_bytes, 5 << 30);
        assert_eq!(c.server_selection_timeout, Duration::from_secs(5));
    }

    #[test]
    fn sizes_and_durations_take_units() {
        let c = raw(r#"{"mongo_url":"u","max_insert_batch_size_bytes":"1MiB","connect_timeout":"250ms","collection_cap_max_size_bytes":"2GB"}"#).unwrap();
        assert_eq!(c.max_insert_batch_size_bytes, 1 << 20);
        assert_eq!(c.connect_timeout, Duration::from_millis(250));
        assert_eq!(c.collection_cap_max_size_bytes, 2_000_000_000);
        let e = raw(r#"{"mongo_url":"u","connect_timeout":"soon"}"#).unwrap_err();
        assert!(e.contains("not a duration"), "{e}");
    }

    #[test]
    fn unknown_options_are_errors() {
        let e = raw(r#"{"mongo_url":"u","colection_name":"x"}"#).unwrap_err();
        assert!(e.contains("colection_name"), "{e}");
    }
}
