//! `pump import-tyk-config`: turns Tyk Pump's JSON config (`pump.conf`), with its
//! `TYK_PMP_…` environment overrides, into an equivalent pump TOML config, with notes on
//! what differs or is not converted.
//!
//! The steps: [`model::parse`] the JSON and [`model::normalize`] it as Go reads it, apply
//! the environment ([`env`]), read it into the model, write `[source]`, `[log]`, `[admin]`
//! ([`source`]) and one sink per pump ([`sinks`], with [`meta`] per type and the [`types`]
//! table), [`render`] the TOML, and check it with [`crate::config::parse`].

mod env;
mod meta;
mod model;
mod render;
mod sinks;
mod source;
mod types;

#[cfg(test)]
mod tests;

use std::fmt;

/// The result of a conversion.
#[derive(Debug, Clone)]
pub struct Conversion {
    /// The pump config, as TOML text (valid: it has been through the pump's own checks).
    pub toml: String,
    /// What differs, what was left out and why; also in the TOML as comments.
    pub notes: Vec<Note>,
}

/// One remark about the conversion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The TOML key or table it is about (`source.password`, `sinks.mongo`), the Tyk key of
    /// what was not converted (`pumps.kafka`), or empty for the whole config.
    pub at: String,
    /// The remark.
    pub message: String,
}

impl Note {
    /// A note about `at`.
    pub fn new(at: impl Into<String>, message: impl Into<String>) -> Self {
        Note {
            at: at.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.at, self.message)
        }
    }
}

/// Why a Tyk config could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The text is not JSON.
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// The JSON is not an object.
    #[error("a Tyk Pump config is a JSON object, found {found}")]
    NotAnObject { found: &'static str },
    /// A value of the wrong type.
    #[error("`{path}`: {message}")]
    Field { path: String, message: String },
    /// No pump can become a sink, and a pump config needs one.
    #[error(
        "no Tyk pump can be converted, and the pump needs at least one sink{}",
        list(skipped)
    )]
    NoSinks { skipped: Vec<String> },
    /// The TOML written does not pass the pump's checks: a bug of the import.
    #[error(
        "the converted config does not pass the pump's checks; this is a bug in `pump \
         import-tyk-config`, please report it with the Tyk config: {0}"
    )]
    Invalid(#[from] crate::config::ConfigError),
}

fn list(skipped: &[String]) -> String {
    if skipped.is_empty() {
        return " (the config has no pump of a type Tyk Pump knows)".to_owned();
    }
    let lines: String = skipped.iter().map(|s| format!("\n  - {s}")).collect();
    format!(":{lines}\nfor each: {}", types::NO_SINK)
}

/// Converts Tyk Pump config `json_text`, with the `TYK_PMP_…` variables of `env` applied
/// as Tyk Pump applies them (pass an empty slice to ignore the environment).
pub fn convert(json_text: &str, env: &[(String, String)]) -> Result<Conversion, ImportError> {
    convert_named(json_text, "a Tyk Pump config", env)
}

/// [`convert`], naming the Tyk config `origin` (a file name) in the header.
pub fn convert_named(
    json_text: &str,
    origin: &str,
    env: &[(String, String)],
) -> Result<Conversion, ImportError> {
    let mut notes = Vec::new();
    let mut doc = if env::omits_file(env) {
        notes.push(Note::new(
            "",
            "TYK_PMP_OMITCONFIGFILE is true: the file is ignored and the config comes from the \
             environment alone, as in Tyk Pump",
        ));
        serde_json::Map::new()
    } else {
        model::parse(json_text)?
    };
    model::normalize(&mut doc, &mut notes);
    env::apply(&mut doc, env, &mut notes);
    let tyk: model::TykConfig = model::read(&serde_json::Value::Object(doc), "")?;

    let mut out = render::Document::default();
    source::convert(&tyk, &mut out, &mut notes);
    sinks::convert(&tyk, &mut out, &mut notes)?;

    let header = [
        format!(
            "Generated from {origin} by pump import-tyk-config {}.",
            env!("CARGO_PKG_VERSION")
        ),
        "Read the notes (below and next to the keys); options left out take the pump's defaults"
            .to_owned(),
        "(docs/configuration.md). Check the file with: pump validate --config <file>".to_owned(),
    ];
    let toml = out.render(&header, &notes);
    crate::config::parse(&toml, "the converted config", &[])?;
    Ok(Conversion { toml, notes })
}
