//! What goes wrong loading a config, and turning byte offsets into `file:line:column` (or
//! the `PUMP__…` variable) so every message says where to look.

use super::env::Override;
use super::interpolate::Expanded;
use super::locate::{Seg, dotted, path_at};
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use toml::de::DeTable;

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("{}: cannot read the config file: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The config is not valid: `location: key: message`.
    #[error("{location}: {}{message}", key_prefix(.key))]
    Invalid {
        /// Where the offending text is.
        location: Location,
        /// The dotted key path, such as `sinks.archive.path` (empty for the document itself).
        key: String,
        /// What is wrong and, where there is one, the fix.
        message: String,
    },
}

fn key_prefix(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("{key}: ")
    }
}

/// Where an error is: a place in the file, or an environment override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `origin:line:column`, both 1-based, the column counted in characters.
    File {
        /// The file name as given to the loader.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
    },
    /// A `PUMP__…` variable that overrides the file.
    Env {
        /// The file name as given to the loader.
        origin: String,
        /// The variable, such as `PUMP__SINKS__ARCHIVE__PATH`.
        variable: String,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File {
                origin,
                line,
                column,
            } => write!(f, "{origin}:{line}:{column}"),
            Location::Env { origin, variable } => {
                write!(f, "{origin}: in environment variable {variable}")
            }
        }
    }
}

/// An error found while reading the parsed document, before it is given its location.
#[derive(Debug)]
pub struct Problem {
    /// Bytes of the expanded text (or of an override's region) the error is about.
    pub span: Range<usize>,
    /// The key path; found from `span` when not given.
    pub key: Option<Vec<Seg>>,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem at `span`, its key to be found from the document.
    pub fn at(span: Range<usize>, message: impl Into<String>) -> Self {
        Problem {
            span,
            key: None,
            message: message.into(),
        }
    }

    /// A problem about the key `key` whose text is at `span`.
    pub fn keyed(span: Range<usize>, key: Vec<Seg>, message: impl Into<String>) -> Self {
        Problem {
            span,
            key: Some(key),
            message: message.into(),
        }
    }

    /// Fills in the key path from where the problem is in `doc`.
    pub fn with_key_from(mut self, doc: &DeTable<'_>) -> Self {
        if self.key.is_none() {
            self.key = Some(path_at(doc, self.span.start));
        }
        self
    }
}

impl From<toml::de::Error> for Problem {
    fn from(e: toml::de::Error) -> Self {
        Problem::at(e.span().unwrap_or(0..0), e.message())
    }
}

/// Maps offsets of the expanded text, and of the overrides' regions after it, back to the
/// original file or the environment variable.
pub struct Positions<'a> {
    /// The file name as given to the loader.
    pub origin: &'a str,
    /// The file's text before interpolation.
    pub source: &'a str,
    /// The text after interpolation.
    pub expanded: &'a Expanded,
    /// The environment overrides, each with its region.
    pub overrides: &'a [Override],
}

impl Positions<'_> {
    /// The error for `problem`, whose key path must already be known.
    pub fn error(&self, problem: Problem) -> ConfigError {
        ConfigError::Invalid {
            location: self.location(problem.span.start),
            key: problem.key.as_deref().map(dotted).unwrap_or_default(),
            message: problem.message,
        }
    }

    /// Where byte `offset` of the expanded text (or an override's region) came from.
    pub fn location(&self, offset: usize) -> Location {
        if offset > self.expanded.text.len()
            && let Some(o) = self
                .overrides
                .iter()
                .rev()
                .find(|o| o.region.start <= offset)
        {
            return Location::Env {
                origin: self.origin.to_owned(),
                variable: o.variable.clone(),
            };
        }
        file_location(
            self.origin,
            self.source,
            self.expanded.source_offset(offset),
        )
    }
}

/// The line and column of byte `offset` of `source`, the file called `origin`.
pub fn file_location(origin: &str, source: &str, offset: usize) -> Location {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Location::File {
        origin: origin.to_owned(),
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::interpolate::expand;

    #[test]
    fn columns_count_characters_and_follow_interpolation() {
        let source = "a = \"é${X}\" # ü\nb = 1\n";
        let env = [("X".to_owned(), "long value".to_owned())];
        let expanded = expand(source, &env).unwrap();
        let positions = Positions {
            origin: "p.toml",
            source,
            expanded: &expanded,
            overrides: &[],
        };
        let at = |needle: &str| {
            positions
                .location(expanded.text.find(needle).unwrap())
                .to_string()
        };
        assert_eq!(at("long"), "p.toml:1:7");
        assert_eq!(at("#"), "p.toml:1:13");
        assert_eq!(at("b"), "p.toml:2:1");
    }

    #[test]
    fn messages_read_location_key_message() {
        let e = ConfigError::Invalid {
            location: Location::File {
                origin: "pump.toml".into(),
                line: 7,
                column: 1,
            },
            key: "sinks.archive.pathh".into(),
            message: "unknown field `pathh`".into(),
        };
        assert_eq!(
            e.to_string(),
            "pump.toml:7:1: sinks.archive.pathh: unknown field `pathh`"
        );
    }
}
