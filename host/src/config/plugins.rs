//! Wasm plugins in the config: `type = "wasm"` sinks and `[filters.<name>]` tables. Both
//! name a component (`module`), its sandbox and its own `config` table.

use super::errors::Problem;
use super::locate::Seg;
use super::{duration, size};
use serde::Deserialize;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;
use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue, ValueDeserializer};

/// A plugin's component and sandbox.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    /// The component file (`.wasm`), relative to the working directory.
    pub module: PathBuf,
    /// Most linear memory the plugin may hold (default 64MiB).
    #[serde(default = "defaults::memory_limit", with = "size")]
    pub memory_limit: u64,
    /// Longest one call into the plugin may run (default 5s); a plugin still running then
    /// is stopped and its batch retried.
    #[serde(default = "defaults::call_timeout", with = "duration")]
    pub call_timeout: Duration,
    /// `host:port` pairs the plugin may send HTTP requests to (default none).
    #[serde(default)]
    pub allow_hosts: Vec<String>,
    /// A directory the plugin may read and write, seen by it as `/data` (default none).
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// Load a new version when the module file changes (default true).
    #[serde(default = "defaults::watch")]
    pub watch: bool,
    /// The plugin's own options, handed to it as JSON (default `{}`).
    #[serde(default = "defaults::config")]
    pub config: serde_json::Value,
}

/// `[filters.<name>]`: a Wasm filter and the sinks it routes between.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterConfig {
    /// The table's name.
    pub name: String,
    /// The sinks it routes for, in order (bit `i` of a route is `sinks[i]`).
    pub sinks: Vec<String>,
    /// The component and its sandbox.
    pub plugin: PluginConfig,
}

/// The most sinks one filter may route for (a route is a 64-bit set).
pub const MAX_FILTER_SINKS: usize = 64;

mod defaults {
    use std::time::Duration;

    pub(super) fn memory_limit() -> u64 {
        64 << 20
    }
    pub(super) fn call_timeout() -> Duration {
        Duration::from_secs(5)
    }
    pub(super) fn watch() -> bool {
        true
    }
    pub(super) fn config() -> serde_json::Value {
        serde_json::Value::Object(Default::default())
    }
}

/// Reads the `filters` table (none when absent), sorted by name.
pub fn read_filters(filters: Option<Spanned<DeValue<'_>>>) -> Result<Vec<FilterConfig>, Problem> {
    let Some(filters) = filters else {
        return Ok(Vec::new());
    };
    let span = filters.span();
    let DeValue::Table(table) = filters.into_inner() else {
        return Err(Problem::at(
            span,
            "expected a table with one `[filters.<name>]` per filter",
        ));
    };
    let mut out = table
        .into_iter()
        .map(|(name, body)| read_filter(name, body))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn read_filter(
    name: Spanned<DeString<'_>>,
    body: Spanned<DeValue<'_>>,
) -> Result<FilterConfig, Problem> {
    let span = body.span();
    let here = |key: &str| {
        vec![
            Seg::from("filters"),
            Seg::Key(name.get_ref().to_string()),
            Seg::from(key),
        ]
    };
    let DeValue::Table(table) = body.into_inner() else {
        return Err(Problem::at(
            span,
            format!("a filter must be a table, `[filters.{}]`", name.get_ref()),
        ));
    };
    let (mut rest, mut kind, mut sinks) = (DeTable::new(), None, None);
    for (key, value) in table {
        match key.get_ref().as_ref() {
            "type" => kind = Some(value),
            "sinks" => sinks = Some(value),
            _ => {
                rest.insert(key, value);
            }
        }
    }
    match &kind {
        Some(k) if k.get_ref().as_str() == Some("wasm") => {}
        Some(k) => {
            return Err(Problem::keyed(
                k.span(),
                here("type"),
                "the only filter type is \"wasm\" (declarative filters go in a sink's `filters` table)",
            ));
        }
        None => {
            return Err(Problem::keyed(
                span,
                here("type"),
                "missing field `type`; set it to \"wasm\"",
            ));
        }
    }
    let Some(sinks) = sinks else {
        return Err(Problem::keyed(
            span,
            here("sinks"),
            "missing field `sinks`: the names of the sinks this filter routes between",
        ));
    };
    let sinks_span = sinks.span();
    let sinks = Vec::<String>::deserialize(ValueDeserializer::from(sinks))?;
    if sinks.is_empty() || sinks.len() > MAX_FILTER_SINKS {
        return Err(Problem::keyed(
            sinks_span,
            here("sinks"),
            format!("name 1 to {MAX_FILTER_SINKS} sinks"),
        ));
    }
    let plugin = PluginConfig::deserialize(ValueDeserializer::from(Spanned::new(
        span,
        DeValue::Table(rest),
    )))?;
    Ok(FilterConfig {
        name: name.into_inner().into_owned(),
        sinks,
        plugin,
    })
}

/// Reads the options of a `type = "wasm"` sink (its options other than the common ones).
pub fn read_sink_plugin(span: Range<usize>, table: DeTable<'_>) -> Result<PluginConfig, Problem> {
    Ok(PluginConfig::deserialize(ValueDeserializer::from(
        Spanned::new(span, DeValue::Table(table)),
    ))?)
}
