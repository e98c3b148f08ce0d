//! `PUMP__…` environment overrides, merged into the parsed file before it is read.
//!
//! `PUMP__SOURCE__REDIS_URL=redis://cache:6379` sets `redis_url` in `[source]`;
//! `PUMP__SINKS__ARCHIVE__BATCH_MAX_RECORDS=500` sets a key of `[sinks.archive]`. The name
//! after `PUMP__` is the key path, segments separated by `__` and lower-cased; each segment
//! matches an existing key regardless of case (so `ARCHIVE` finds `[sinks.Archive]`), and
//! missing tables and keys are added. The value is read as a TOML value when it is one
//! (`500`, `true`, `[1, 2]`, `{ a = 1 }`, `"quoted"`), and as a plain string otherwise; a
//! number or boolean given where a string is expected is taken as its text.
//!
//! Each override's value is given a region of offsets past the end of the file, so errors
//! about it can name the variable.

use super::errors::Problem;
use super::locate::Seg;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

/// The prefix of every override variable.
const PREFIX: &str = "PUMP__";

/// One `PUMP__…` variable.
#[derive(Debug)]
pub struct Override {
    /// The variable's name.
    pub variable: String,
    /// The key path it sets, lower-cased.
    pub path: Vec<String>,
    /// Its value as given.
    pub value: String,
    /// The offsets standing for its value in error spans.
    pub region: Range<usize>,
}

/// The overrides among `env`, most general first (so `PUMP__SOURCE__X` wins over
/// `PUMP__SOURCE`), their regions starting after `end_of_file`.
pub fn collect(env: &[(String, String)], end_of_file: usize) -> Vec<Override> {
    let mut found: Vec<(&String, &String)> = Vec::new();
    for (name, value) in env.iter().filter(|(name, _)| name.starts_with(PREFIX)) {
        // A name given twice: the later value wins, as it would in a process environment.
        found.retain(|(n, _)| *n != name);
        found.push((name, value));
    }
    let mut overrides: Vec<Override> = found
        .into_iter()
        .map(|(name, value)| Override {
            variable: name.clone(),
            path: name[PREFIX.len()..]
                .split("__")
                .map(str::to_ascii_lowercase)
                .collect(),
            value: value.clone(),
            region: 0..0,
        })
        .collect();
    overrides.sort_by(|a, b| (a.path.len(), &a.variable).cmp(&(b.path.len(), &b.variable)));
    let mut next = end_of_file + 1;
    for o in &mut overrides {
        o.region = next..next + o.value.len().max(1);
        next = o.region.end + 1;
    }
    overrides
}

/// Merges `overrides` into `doc`; those listed in `as_strings` are taken as plain strings.
pub fn apply<'a>(
    doc: &mut DeTable<'a>,
    overrides: &'a [Override],
    as_strings: &BTreeSet<usize>,
) -> Result<(), Problem> {
    for (i, o) in overrides.iter().enumerate() {
        let fail = |message: String| {
            let key = o.path.iter().map(|s| Seg::Key(s.clone())).collect();
            Problem::keyed(o.region.clone(), key, message)
        };
        let Some((last, parents)) = o.path.split_last() else {
            continue;
        };
        if o.path.iter().any(String::is_empty) {
            return Err(fail(format!(
                "`{}` does not name a key: write PUMP__ then the key path with `__` between \
                 its parts, such as PUMP__SINKS__ARCHIVE__PATH",
                o.variable
            )));
        }
        // Tables the override creates get the empty span just past its value, so an error
        // about the table (a missing key) is told apart from one about the value.
        let created = o.region.end..o.region.end;
        let mut table = &mut *doc;
        for (depth, segment) in parents.iter().enumerate() {
            let name = existing_key(table, segment).map_err(&fail)?;
            let child = table
                .entry(Spanned::new(created.clone(), Cow::Owned(name)))
                .or_insert_with(|| Spanned::new(created.clone(), DeValue::Table(DeTable::new())));
            table = match child.get_mut() {
                DeValue::Table(t) => t,
                other => {
                    return Err(fail(format!(
                        "`{}` is a {}, not a table, so {} cannot set a key inside it",
                        o.path[..=depth].join("."),
                        other.type_str(),
                        o.variable
                    )));
                }
            };
        }
        let name = existing_key(table, last).map_err(&fail)?;
        table.remove(name.as_str());
        table.insert(
            Spanned::new(o.region.clone(), Cow::Owned(name)),
            value(o, as_strings.contains(&i)),
        );
    }
    Ok(())
}

/// The key of `table` that `segment` names: one equal to it, else the one equal to it
/// regardless of case, else `segment` itself (a new key).
fn existing_key(table: &DeTable<'_>, segment: &str) -> Result<String, String> {
    if table.contains_key(segment) {
        return Ok(segment.to_owned());
    }
    let matches: Vec<&str> = table
        .keys()
        .map(|k| k.get_ref().as_ref())
        .filter(|k: &&str| k.eq_ignore_ascii_case(segment))
        .collect();
    match matches.as_slice() {
        [] => Ok(segment.to_owned()),
        [one] => Ok((*one).to_owned()),
        several => Err(format!(
            "`{segment}` matches several keys that differ only in case ({}); rename them in \
             the file so an override can tell them apart",
            several.join(", ")
        )),
    }
}

/// The override's value: a TOML value if it reads as one (dates aside), else a string.
fn value(o: &Override, as_string: bool) -> Spanned<DeValue<'_>> {
    if !as_string
        && let Ok(parsed) = DeValue::parse(&o.value)
        && !parsed.get_ref().is_datetime()
    {
        return shift(parsed, o.region.start);
    }
    Spanned::new(o.region.clone(), DeValue::String(Cow::Borrowed(&o.value)))
}

/// Moves every span of `value` by `by` bytes, into its override's region.
fn shift(value: Spanned<DeValue<'_>>, by: usize) -> Spanned<DeValue<'_>> {
    let span = value.span();
    let span = span.start + by..span.end + by;
    let inner = match value.into_inner() {
        DeValue::Array(items) => DeValue::Array(
            items
                .into_iter()
                .map(|item| shift(item, by))
                .collect::<DeArray<'_>>(),
        ),
        DeValue::Table(table) => DeValue::Table(
            table
                .into_iter()
                .map(|(k, v)| {
                    let ks = k.span();
                    (
                        Spanned::new(ks.start + by..ks.end + by, k.into_inner()),
                        shift(v, by),
                    )
                })
                .collect(),
        ),
        other => other,
    };
    Spanned::new(span, inner)
}

/// The override to take as a plain string and try again, when `problem` says that a number
/// or boolean it gave is not the string expected there.
pub fn retry_as_string(
    overrides: &[Override],
    as_strings: &BTreeSet<usize>,
    problem: &Problem,
) -> Option<usize> {
    if !(problem.message.starts_with("invalid type:") && problem.message.contains("string")) {
        return None;
    }
    let (i, o) = overrides
        .iter()
        .enumerate()
        .find(|(_, o)| o.region.contains(&problem.span.start))?;
    let scalar = DeValue::parse(&o.value)
        .map(|v| {
            matches!(
                v.get_ref(),
                DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_)
            )
        })
        .unwrap_or(false);
    (scalar && !as_strings.contains(&i)).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn only_double_underscore_names_count_and_general_ones_come_first() {
        let e = env(&[
            ("PUMP_TEST_REDIS_URL", "redis://x"),
            ("PUMP__SOURCE__REDIS_URL", "redis://y"),
            ("PUMP__LOG", "{ level = \"debug\" }"),
            ("HOME", "/root"),
        ]);
        let o = collect(&e, 10);
        let names: Vec<&str> = o.iter().map(|o| o.variable.as_str()).collect();
        assert_eq!(names, ["PUMP__LOG", "PUMP__SOURCE__REDIS_URL"]);
        assert_eq!(o[1].path, ["source", "redis_url"]);
        assert!(o[0].region.start > 10 && o[1].region.start > o[0].region.end);
    }

    #[test]
    fn values_are_toml_when_they_parse() {
        let o = collect(
            &env(&[
                ("PUMP__A", "500"),
                ("PUMP__B", "redis://h:1"),
                ("PUMP__C", "[1, 2]"),
            ]),
            0,
        );
        let mut doc = DeTable::new();
        apply(&mut doc, &o, &BTreeSet::new()).unwrap();
        assert!(doc.get("a").unwrap().get_ref().is_integer());
        assert_eq!(
            doc.get("b").unwrap().get_ref().as_str(),
            Some("redis://h:1")
        );
        let c = doc.get("c").unwrap();
        assert!(c.get_ref().is_array());
        assert!(
            o[2].region
                .contains(&c.get_ref().as_array().unwrap()[1].span().start)
        );
    }

    #[test]
    fn segments_match_existing_keys_regardless_of_case() {
        let text = "[sinks.Archive]\ntype = \"file\"\n";
        let mut doc = DeTable::parse(text).unwrap().into_inner();
        let o = collect(&env(&[("PUMP__SINKS__ARCHIVE__PATH", "x")]), text.len());
        apply(&mut doc, &o, &BTreeSet::new()).unwrap();
        let sink = doc.get("sinks").unwrap().get_ref().get("Archive").unwrap();
        assert_eq!(
            sink.get_ref().get("path").unwrap().get_ref().as_str(),
            Some("x")
        );
        assert_eq!(
            sink.get_ref().get("type").unwrap().get_ref().as_str(),
            Some("file")
        );
    }

    #[test]
    fn setting_inside_a_non_table_is_an_error() {
        let text = "[source]\nredis_url = \"x\"\n";
        let mut doc = DeTable::parse(text).unwrap().into_inner();
        let o = collect(&env(&[("PUMP__SOURCE__REDIS_URL__X", "1")]), text.len());
        let err = apply(&mut doc, &o, &BTreeSet::new()).unwrap_err();
        assert!(
            err.message
                .contains("`source.redis_url` is a string, not a table"),
            "{}",
            err.message
        );
    }
}
