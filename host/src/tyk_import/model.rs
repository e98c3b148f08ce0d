//! Tyk Pump's JSON config (`pump.conf`), read as Tyk reads it: Go's `encoding/json` matches
//! keys whatever their case, takes `null` for "not set" and ignores keys it does not know.
//! Here unknown keys are kept, so the notes can name them; pump names are upper-cased, as
//! Tyk does before it applies the environment. A value of the wrong type is an error (Tyk
//! would log it and run without that setting).

use super::{ImportError, Note};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The top level of `pump.conf`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TykConfig {
    pub purge_delay: i64,
    pub purge_chunk: i64,
    pub storage_expiration_time: i64,
    pub uptime_pump_config: UptimeConfig,
    pub dont_purge_uptime_data: bool,
    /// Read one by one into [`PumpConfig`]s, so errors name the pump.
    pub pumps: Map<String, Value>,
    pub analytics_storage_config: StorageConfig,
    pub analytics_storage_type: String,
    pub statsd_connection_string: String,
    pub statsd_prefix: String,
    pub log_level: String,
    pub log_format: String,
    pub health_check_endpoint_name: String,
    pub health_check_endpoint_port: i64,
    pub max_record_size: i64,
    pub omit_detailed_recording: bool,
    pub omit_config_file: bool,
    pub enable_http_profiler: bool,
    pub raw_request_decoded: bool,
    pub raw_response_decoded: bool,
    pub kv: Option<Value>,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, Value>,
}

/// `analytics_storage_config`: the Redis the gateway writes to.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StorageConfig {
    #[serde(rename = "type")]
    pub kind: String,
    pub host: String,
    pub port: i64,
    /// Deprecated by Tyk for `addrs`: `{ "host": "port" }`.
    pub hosts: BTreeMap<String, Value>,
    pub addrs: Vec<String>,
    pub master_name: String,
    pub sentinel_password: String,
    pub username: String,
    pub password: String,
    pub database: i64,
    pub timeout: i64,
    pub optimisation_max_idle: i64,
    pub optimisation_max_active: i64,
    pub enable_cluster: bool,
    pub redis_key_prefix: String,
    pub key_prefix: String,
    pub use_ssl: bool,
    pub ssl_insecure_skip_verify: bool,
    pub ssl_ca_file: String,
    pub ssl_cert_file: String,
    pub ssl_key_file: String,
    pub ssl_max_version: String,
    pub ssl_min_version: String,
    pub redis_use_ssl: bool,
    pub redis_ssl_insecure_skip_verify: bool,
    pub iam_auth: IamAuth,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, Value>,
}

/// `analytics_storage_config.iam_auth`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IamAuth {
    pub enabled: bool,
}

/// `uptime_pump_config`: a MongoDB (or SQL) pump for the uptime checks (only what decides
/// where uptime records go is read; the connection is the matching sink's).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UptimeConfig {
    pub uptime_type: String,
    pub mongo_url: String,
    pub collection_name: String,
}

/// One entry of `pumps`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PumpConfig {
    /// Deprecated by Tyk; unused.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub filters: Filters,
    pub timeout: i64,
    pub omit_detailed_recording: bool,
    pub max_record_size: i64,
    pub ignore_fields: Vec<String>,
    pub raw_request_decoded: bool,
    pub raw_response_decoded: bool,
    /// The type's own options, read by the type's conversion.
    pub meta: Map<String, Value>,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, Value>,
}

/// A pump's `filters`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Filters {
    pub org_ids: Vec<String>,
    pub api_ids: Vec<String>,
    pub response_codes: Vec<i64>,
    pub skip_org_ids: Vec<String>,
    pub skip_api_ids: Vec<String>,
    pub skip_response_codes: Vec<i64>,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, Value>,
}

/// Parses `pump.conf`'s text into a JSON object.
pub fn parse(json_text: &str) -> Result<Map<String, Value>, ImportError> {
    match serde_json::from_str::<Value>(json_text) {
        Ok(Value::Object(doc)) => Ok(doc),
        Ok(other) => Err(ImportError::NotAnObject {
            found: kind_of(&other),
        }),
        Err(e) => Err(ImportError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }),
    }
}

/// Folds the keys Tyk matches case-insensitively to lower case, drops `null`s, and
/// upper-cases pump names.
pub fn normalize(doc: &mut Map<String, Value>, notes: &mut Vec<Note>) {
    *doc = fold(std::mem::take(doc));
    for key in ["analytics_storage_config", "uptime_pump_config"] {
        if let Some(Value::Object(section)) = doc.get_mut(key) {
            *section = fold(std::mem::take(section));
            if let Some(Value::Object(iam)) = section.get_mut("iam_auth") {
                *iam = fold(std::mem::take(iam));
            }
        }
    }
    if let Some(Value::Object(pumps)) = doc.get_mut("pumps") {
        let mut upper = Map::new();
        for (name, mut pump) in std::mem::take(pumps) {
            if let Value::Object(p) = &mut pump {
                *p = fold(std::mem::take(p));
                for key in ["filters", "meta"] {
                    if let Some(Value::Object(inner)) = p.get_mut(key) {
                        *inner = fold(std::mem::take(inner));
                    }
                }
                if let Some(Value::Object(bulk)) =
                    p.get_mut("meta").and_then(|m| m.get_mut("bulk_config"))
                {
                    *bulk = fold(std::mem::take(bulk));
                }
            }
            let key = name.to_ascii_uppercase();
            if upper.contains_key(&key) {
                notes.push(Note::new(
                    "",
                    format!(
                        "pumps.{name}: Tyk Pump upper-cases pump names, so this pump and another \
                         are both `{key}`; the last one in the file is kept"
                    ),
                ));
            }
            if pump.is_null() {
                continue;
            }
            upper.insert(key, pump);
        }
        *pumps = upper;
    }
}

/// Lower-cases the keys of one object and drops its `null`s.
fn fold(obj: Map<String, Value>) -> Map<String, Value> {
    obj.into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect()
}

/// Reads a `T` from `value`; a failure names `path` and, when one key is the culprit, it.
pub fn read<T: DeserializeOwned>(value: &Value, path: &str) -> Result<T, ImportError> {
    T::deserialize(value).map_err(|e| {
        let culprit = value.as_object().and_then(|obj| {
            obj.iter()
                .find(|(k, v)| {
                    let alone = Value::Object(Map::from_iter([((*k).clone(), (*v).clone())]));
                    T::deserialize(&alone).is_err()
                })
                .map(|(k, _)| k.clone())
        });
        let path = match (path.is_empty(), culprit) {
            (true, Some(k)) => k,
            (false, Some(k)) => format!("{path}.{k}"),
            (_, None) => path.to_owned(),
        };
        ImportError::Field {
            path,
            message: e.to_string(),
        }
    })
}

/// The name of a JSON value's kind, for messages.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A note per key of `unknown` (found under `at`): Tyk Pump ignores them too.
pub fn note_unknown(unknown: &BTreeMap<String, Value>, at: &str, notes: &mut Vec<Note>) {
    for key in unknown.keys() {
        let path = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        notes.push(Note::new(
            "",
            format!("`{path}` is not a Tyk Pump option; ignored (as Tyk Pump does)"),
        ));
    }
}
