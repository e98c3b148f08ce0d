//! Key paths in the parsed document: which key a position belongs to, where a key is, and
//! how a path is written in messages (`sinks.archive.ignore_fields[1]`).

use std::fmt::Write as _;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array element.
    Index(usize),
}

impl From<&str> for Seg {
    fn from(key: &str) -> Self {
        Seg::Key(key.to_owned())
    }
}

impl From<usize> for Seg {
    fn from(index: usize) -> Self {
        Seg::Index(index)
    }
}

/// `path` as written in messages: keys joined by dots (quoted where TOML would need it),
/// array indices in brackets.
pub fn dotted(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                if !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    out.push_str(key);
                } else {
                    let _ = write!(out, "{key:?}");
                }
            }
            Seg::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// The path of the most deeply nested key or value whose text contains `offset`; empty if
/// it lies outside every key and value.
///
/// Parents are searched even when they do not contain `offset`, because a table opened by a
/// `[header]` spans only its header, not the keys below it.
pub fn path_at(table: &DeTable<'_>, offset: usize) -> Vec<Seg> {
    deepest_in_table(table, offset).unwrap_or_default()
}

fn deepest_in_table(table: &DeTable<'_>, offset: usize) -> Option<Vec<Seg>> {
    let mut best: Option<Vec<Seg>> = None;
    for (key, value) in table.iter() {
        let here = contains(&key.span(), offset) || contains(&value.span(), offset);
        let found = match deepest_in_value(value.get_ref(), offset) {
            Some(below) => Some(below),
            None if here => Some(Vec::new()),
            None => None,
        };
        if let Some(mut below) = found {
            below.insert(0, Seg::Key(key.get_ref().to_string()));
            if best.as_ref().is_none_or(|b| below.len() > b.len()) {
                best = Some(below);
            }
        }
    }
    best
}

fn deepest_in_value(value: &DeValue<'_>, offset: usize) -> Option<Vec<Seg>> {
    match value {
        DeValue::Table(table) => deepest_in_table(table, offset),
        DeValue::Array(items) => {
            let mut best: Option<Vec<Seg>> = None;
            for (i, item) in items.iter().enumerate() {
                let found = match deepest_in_value(item.get_ref(), offset) {
                    Some(below) => Some(below),
                    None if contains(&item.span(), offset) => Some(Vec::new()),
                    None => None,
                };
                if let Some(mut below) = found {
                    below.insert(0, Seg::Index(i));
                    if best.as_ref().is_none_or(|b| below.len() > b.len()) {
                        best = Some(below);
                    }
                }
            }
            best
        }
        _ => None,
    }
}

fn contains(span: &Range<usize>, offset: usize) -> bool {
    span.contains(&offset) || (span.is_empty() && span.start == offset)
}

/// The span of the value at `path`, or of its deepest ancestor that exists (the root table
/// has `root_span`).
pub fn span_of(table: &DeTable<'_>, root_span: Range<usize>, path: &[Seg]) -> Range<usize> {
    let mut span = root_span;
    let Some((Seg::Key(first), rest)) = path.split_first() else {
        return span;
    };
    let Some(mut current) = table.get(first.as_str()) else {
        return span;
    };
    span = current.span();
    for seg in rest {
        let next = match (seg, current.get_ref()) {
            (Seg::Key(key), DeValue::Table(t)) => t.get(key.as_str()),
            (Seg::Index(i), DeValue::Array(a)) => a.get(*i),
            _ => None,
        };
        match next {
            Some(next) => {
                current = next;
                span = current.span();
            }
            None => break,
        }
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_find_the_innermost_key() {
        let text = "[source]\nredis_url = \"x\"\n\n[sinks.a]\nignore_fields = [\"p\", \"q\"]\n";
        let doc = DeTable::parse(text).unwrap();
        let at = |needle: &str| dotted(&path_at(doc.get_ref(), text.find(needle).unwrap()));
        assert_eq!(at("[source]"), "source");
        assert_eq!(at("redis_url"), "source.redis_url");
        assert_eq!(at("\"x\""), "source.redis_url");
        assert_eq!(at("[sinks.a]"), "sinks.a");
        assert_eq!(at("\"q\""), "sinks.a.ignore_fields[1]");
    }

    #[test]
    fn paths_find_their_value_or_nearest_ancestor() {
        let text = "[sinks.a]\nignore_fields = [\"p\", \"q\"]\n";
        let doc = DeTable::parse(text).unwrap();
        let span = |path: &[Seg]| {
            let s = span_of(doc.get_ref(), doc.span(), path);
            text[s].to_owned()
        };
        assert_eq!(
            span(&["sinks".into(), "a".into(), "ignore_fields".into(), 1.into()]),
            "\"q\""
        );
        assert_eq!(
            span(&["sinks".into(), "a".into(), "uptime".into()]),
            "[sinks.a]"
        );
    }

    #[test]
    fn odd_keys_are_quoted() {
        let path = ["sinks".into(), "my sink".into(), "x".into()];
        assert_eq!(dotted(&path), "sinks.\"my sink\".x");
    }
}
