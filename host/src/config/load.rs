//! Reading a config: the file, `${VAR}` interpolation, TOML parsing, `PUMP__…` overrides,
//! then the typed tables and the checks that need more than types.

use super::env::{self, Override};
use super::errors::{ConfigError, Positions, Problem, file_location};
use super::locate::{Seg, dotted, path_at};
use super::{
    AdminConfig, Config, LogConfig, PluginsConfig, SourceConfig, interpolate, plugins, sinks,
    validate,
};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::BTreeSet;
use std::path::Path;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// Reads the config file at `path`, with `${VAR}` and `PUMP__…` taken from this process's
/// environment (variables whose name or value is not UTF-8 are ignored).
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let env: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    parse(&text, &path.display().to_string(), &env)
}

/// Reads config `text`, called `origin` in errors, with `${VAR}` and `PUMP__…` taken from
/// `env` instead of the process environment.
pub fn parse(text: &str, origin: &str, env: &[(String, String)]) -> Result<Config, ConfigError> {
    let expanded = interpolate::expand(text, env).map_err(|e| {
        // The key is found in what parses of the raw text, `${…}` and all.
        let (doc, _) = DeTable::parse_recoverable(text);
        ConfigError::Invalid {
            location: file_location(origin, text, e.offset),
            key: dotted(&path_at(doc.get_ref(), e.offset)),
            message: e.message,
        }
    })?;
    let overrides = env::collect(env, expanded.text.len());
    let positions = Positions {
        origin,
        source: text,
        expanded: &expanded,
        overrides: &overrides,
    };
    // Overrides that gave a number or boolean where a string belongs are taken as strings
    // and the document read again; each can be retried once, so this ends.
    let mut as_strings = BTreeSet::new();
    loop {
        let doc = DeTable::parse(&expanded.text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let key = syntax_error_key(&expanded.text, offset);
            positions.error(Problem::keyed(
                offset..offset,
                key,
                format!("invalid TOML: {}", e.message()),
            ))
        })?;
        match build(doc, &overrides, &as_strings) {
            Ok(config) => return Ok(config),
            Err(problem) => match env::retry_as_string(&overrides, &as_strings, &problem) {
                Some(i) => {
                    as_strings.insert(i);
                }
                None => return Err(positions.error(problem)),
            },
        }
    }
}

/// The key a TOML syntax error at `offset` is about: the one there, else the one that
/// starts its line (`password = "pa"ss"` fails after the closing quote).
fn syntax_error_key(text: &str, offset: usize) -> Vec<Seg> {
    let (doc, _) = DeTable::parse_recoverable(text);
    let key = path_at(doc.get_ref(), offset);
    if !key.is_empty() {
        return key;
    }
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let indent = before[line_start..].len() - before[line_start..].trim_start().len();
    path_at(doc.get_ref(), line_start + indent)
}

/// Applies the overrides to the parsed file, reads it and checks it.
fn build<'a>(
    mut doc: Spanned<DeTable<'a>>,
    overrides: &'a [Override],
    as_strings: &BTreeSet<usize>,
) -> Result<Config, Problem> {
    env::apply(doc.get_mut(), overrides, as_strings)?;
    let snapshot = doc.clone();
    let config = read(doc).map_err(|p| p.with_key_from(snapshot.get_ref()))?;
    validate::check(&config, &snapshot)?;
    Ok(config)
}

/// The top-level tables, but for `sinks` and `filters`, read by [`sinks::read_all`] and
/// [`plugins::read_filters`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Top {
    source: SourceConfig,
    #[serde(default)]
    log: LogConfig,
    #[serde(default)]
    admin: Option<AdminConfig>,

    /// Never present here; declared so serde lists it among the valid top-level keys.
    #[serde(default)]
    #[allow(dead_code)]
    sinks: IgnoredAny,
    /// As `sinks`: read by [`plugins::read_filters`].
    #[serde(default)]
    #[allow(dead_code)]
    filters: IgnoredAny,
    #[serde(default)]
    plugins: PluginsConfig,
}

fn read(doc: Spanned<DeTable<'_>>) -> Result<Config, Problem> {
    let root = doc.span();
    let mut table = doc.into_inner();
    if !table.contains_key("source") {
        return Err(Problem::keyed(
            root,
            vec![Seg::from("source")],
            "the `[source]` table is missing; add it, for example:\n\n    [source]\n    \
             redis_url = \"redis://127.0.0.1:6379/0\"",
        ));
    }
    let sinks = table.remove("sinks");
    let filters = table.remove("filters");
    let top = Top::deserialize(ValueDeserializer::from(Spanned::new(
        root.clone(),
        DeValue::Table(table),
    )))?;
    Ok(Config {
        source: top.source,
        sinks: sinks::read_all(sinks, root)?,
        filters: plugins::read_filters(filters)?,
        log: top.log,
        admin: top.admin,
        plugins: top.plugins,
    })
}
