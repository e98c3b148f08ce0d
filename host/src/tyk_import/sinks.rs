//! Tyk's `pumps` become `[sinks.<name>]`: the options every Tyk pump has map one to one,
//! `meta` is converted by type ([`super::meta`]), and each sink's own options are checked
//! against this build's sink type so that what it would refuse is left out, with a note.
//! The uptime pump becomes `uptime = true` on the `mongo` sink of the same database.

use super::model::{self, PumpConfig, TykConfig};
use super::render::{Body, Document, Table};
use super::types::{self, NO_SINK};
use super::{ImportError, Note, meta};
use pump_record::AnalyticsRecord;
use pump_sinks::SinkSettings;
use std::collections::BTreeSet;

/// Tyk's uptime collection (and the `mongo` sink's default for it).
const UPTIME_COLLECTION: &str = "tyk_uptime_analytics";
/// The longest sink name the pump accepts.
const MAX_NAME_LEN: usize = 64;

/// A sink made from a Tyk pump.
struct Made {
    name: String,
    pump_type: &'static str,
    /// The Tyk `meta.mongo_url`, to find the sink the uptime pump's database matches.
    tyk_mongo_url: Option<String>,
    /// Its own options, as admitted.
    specific: toml::Table,
}

/// Adds a sink per convertible pump, lists the others, and places the uptime records.
pub fn convert(
    tyk: &TykConfig,
    doc: &mut Document,
    notes: &mut Vec<Note>,
) -> Result<(), ImportError> {
    let mut made: Vec<Made> = Vec::new();
    let mut names = BTreeSet::new();
    for (tyk_name, value) in &tyk.pumps {
        let tyk_path = format!("pumps.{}", tyk_name.to_ascii_lowercase());
        let pump: PumpConfig = model::read(value, &tyk_path)?;
        let tyk_type = if pump.kind.is_empty() {
            tyk_name.to_ascii_lowercase()
        } else {
            pump.kind.to_ascii_lowercase()
        };
        let label = format!("{tyk_path} (type \"{tyk_type}\")");
        let Some(route) = types::find(&tyk_type) else {
            notes.push(Note::new(
                "",
                format!(
                    "{label}: Tyk Pump has no such type and skips the pump; so does the import"
                ),
            ));
            continue;
        };
        let pump_type = match route.pump {
            Some(t) if types::built(t) => t,
            _ => {
                let hint = if route.note.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", route.note)
                };
                notes.push(Note::new(
                    &tyk_path,
                    format!("type \"{tyk_type}\": {NO_SINK}{hint}"),
                ));
                doc.skipped
                    .push((tyk_path, format!("{label}: no native sink yet{hint}")));
                continue;
            }
        };
        let name = unique_name(tyk_name, &mut names);
        let at = format!("sinks.{name}");
        let mut table = Table::new(at.clone());
        table.comments.push(format!(
            "From Tyk's pumps.{} (type \"{tyk_type}\").",
            tyk_name.to_ascii_lowercase()
        ));
        if name != tyk_name.to_ascii_lowercase() {
            notes.push(Note::new(
                at.clone(),
                format!("renamed from `{tyk_name}`: a sink name is 1 to {MAX_NAME_LEN} letters, digits, `_` or `-`"),
            ));
        }
        if !route.note.is_empty() {
            notes.push(Note::new(at.clone(), route.note));
        }
        let converted = meta::convert(&tyk_type, &pump.meta, &at, notes);
        let mut specific = converted.specific;
        if let Err(why) = admit(pump_type, &mut specific, &at, notes) {
            // The notes about a sink that is not written would only confuse.
            let inside = format!("{at}.");
            notes.retain(|n| n.at != at && !n.at.starts_with(&inside));
            notes.push(Note::new(
                &tyk_path,
                format!("not converted: the `{pump_type}` sink refuses its options: {why}"),
            ));
            doc.skipped.push((tyk_path, format!("{label}: {why}")));
            continue;
        }
        table.body.insert("type", pump_type.into());
        common_options(tyk, &pump, &tyk_type, &at, &mut table.body, notes);
        table.body.extend(converted.common);
        let admitted = specific.clone();
        table.body.extend(specific);
        model::note_unknown(&pump.unknown, &tyk_path, notes);
        model::note_unknown(&pump.filters.unknown, &format!("{tyk_path}.filters"), notes);
        made.push(Made {
            name,
            pump_type,
            tyk_mongo_url: pump
                .meta
                .get("mongo_url")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            specific: admitted,
        });
        doc.tables.push(table);
    }
    uptime(tyk, &made, doc, notes);
    if made.is_empty() {
        return Err(ImportError::NoSinks {
            skipped: doc.skipped.iter().map(|(_, line)| line.clone()).collect(),
        });
    }
    Ok(())
}

/// The sink name for Tyk pump `tyk_name`: lower-cased (Tyk upper-cases them), with what a
/// sink name may not hold replaced, and made unique.
fn unique_name(tyk_name: &str, taken: &mut BTreeSet<String>) -> String {
    let mut base: String = tyk_name
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(MAX_NAME_LEN - 3)
        .collect();
    if base.is_empty() {
        base = "sink".to_owned();
    }
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

/// The options every Tyk pump has (and the top-level ones that apply to every pump).
fn common_options(
    tyk: &TykConfig,
    pump: &PumpConfig,
    tyk_type: &str,
    at: &str,
    body: &mut Body,
    notes: &mut Vec<Note>,
) {
    let mut note = |key: &str, m: String| {
        let at = if key.is_empty() {
            at.to_owned()
        } else {
            format!("{at}.{key}")
        };
        notes.push(Note::new(at, m));
    };
    match pump.timeout {
        0 => {}
        t if t > 0 => {
            body.insert("timeout", t.into());
        }
        t => note(
            "timeout",
            format!("Tyk's `timeout` {t} is not a duration; the default is used"),
        ),
    }
    if pump.omit_detailed_recording || tyk.omit_detailed_recording {
        body.insert("omit_detailed_recording", true.into());
        if !pump.omit_detailed_recording {
            note(
                "omit_detailed_recording",
                "from the top-level `omit_detailed_recording`, which applies to every pump".into(),
            );
        }
    }
    let size = if pump.max_record_size != 0 {
        pump.max_record_size
    } else {
        tyk.max_record_size
    };
    if size > 0 {
        body.insert("max_record_size", size.into());
        if pump.max_record_size == 0 {
            note(
                "max_record_size",
                "from the top-level `max_record_size`, which applies to pumps without their own"
                    .into(),
            );
        }
    } else if size < 0 {
        note(
            "max_record_size",
            format!("`max_record_size` {size} is not a size; records are not cut"),
        );
    }
    let (known, unknown): (Vec<&String>, Vec<&String>) = pump
        .ignore_fields
        .iter()
        .partition(|f| AnalyticsRecord::JSON_FIELDS.contains(&f.as_str()));
    if !known.is_empty() {
        let fields = known.into_iter().map(|f| toml::Value::from(f.clone()));
        body.insert("ignore_fields", toml::Value::Array(fields.collect()));
    }
    for field in unknown {
        note(
            "ignore_fields",
            format!("`{field}` is not a record field (Tyk's JSON names); left out"),
        );
    }
    for (flag, key) in [
        (pump.raw_request_decoded, "raw_request_decoded"),
        (pump.raw_response_decoded, "raw_response_decoded"),
    ] {
        if !flag {
            continue;
        }
        if types::ignores_decoding(tyk_type) {
            note(
                "",
                format!(
                    "`{key}` left out: Tyk's `{tyk_type}` pump ignores it (its readers expect \
                     base64), and the sink would apply it"
                ),
            );
        } else {
            body.insert(key, true.into());
        }
    }
    let f = &pump.filters;
    let strings = |v: &[String]| toml::Value::Array(v.iter().cloned().map(Into::into).collect());
    let codes = |v: &[i64]| toml::Value::Array(v.iter().copied().map(Into::into).collect());
    let mut filters = toml::Table::new();
    for (key, value, empty) in [
        ("org_ids", strings(&f.org_ids), f.org_ids.is_empty()),
        ("api_ids", strings(&f.api_ids), f.api_ids.is_empty()),
        (
            "response_codes",
            codes(&f.response_codes),
            f.response_codes.is_empty(),
        ),
        (
            "skip_org_ids",
            strings(&f.skip_org_ids),
            f.skip_org_ids.is_empty(),
        ),
        (
            "skip_api_ids",
            strings(&f.skip_api_ids),
            f.skip_api_ids.is_empty(),
        ),
        (
            "skip_response_codes",
            codes(&f.skip_response_codes),
            f.skip_response_codes.is_empty(),
        ),
    ] {
        if !empty {
            filters.insert(key.into(), value);
        }
    }
    if !filters.is_empty() {
        body.insert("filters", toml::Value::Table(filters));
    }
}

/// Leaves out of `specific` what this build's `kind` sink refuses (unknown options, values
/// it does not take), with a note for each; `Err` when it still refuses the rest.
fn admit(
    kind: &str,
    specific: &mut toml::Table,
    at: &str,
    notes: &mut Vec<Note>,
) -> Result<(), String> {
    let check = |t: &toml::Table| -> Result<(), String> {
        match SinkSettings::parse(kind, toml::Value::Table(t.clone())) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(format!("this build has no `{kind}` sink")),
            Err(e) => Err(e.to_string().trim().to_owned()),
        }
    };
    loop {
        let Err(message) = check(specific) else {
            return Ok(());
        };
        let (why, path) = explain(&message);
        let culprit = path.filter(|p| holds(specific, p)).or_else(|| {
            // A value refused without saying where: the one key whose removal is enough.
            specific
                .keys()
                .find(|k| {
                    let mut without = specific.clone();
                    without.remove(k.as_str());
                    check(&without).is_ok()
                })
                .map(|k| vec![k.clone()])
        });
        let Some(path) = culprit else {
            return Err(why);
        };
        remove(specific, &path);
        notes.push(Note::new(
            at,
            format!(
                "`{}` left out: this build's `{kind}` sink does not take it ({why})",
                path.join(".")
            ),
        ));
    }
}

/// A deserialisation error as one line without serde's list of expected names, and the key
/// path it is about: toml's messages end with `in `a.b``; an unknown field names itself.
fn explain(message: &str) -> (String, Option<Vec<String>>) {
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let (mut why, mut path) = match message.rfind(" in `") {
        Some(i) if message.ends_with('`') => (
            message[..i].to_owned(),
            Some(
                message[i + 5..message.len() - 1]
                    .split('.')
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            ),
        ),
        _ => (message.clone(), None),
    };
    if let Some(field) = why
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        let mut p = path.unwrap_or_default();
        // toml names the table holding the unknown key, or the key itself.
        if p.last().map(String::as_str) != Some(field) {
            p.push(field.to_owned());
        }
        path = Some(p);
    }
    if let Some(i) = why.find(", expected") {
        why.truncate(i);
    }
    (why, path)
}

/// Whether `table` has a value at `path`.
fn holds(table: &toml::Table, path: &[String]) -> bool {
    match path {
        [] => false,
        [key] => table.contains_key(key),
        [key, rest @ ..] => table
            .get(key)
            .and_then(toml::Value::as_table)
            .is_some_and(|t| holds(t, rest)),
    }
}

/// Removes the value at `path`, and a table it leaves empty.
fn remove(table: &mut toml::Table, path: &[String]) {
    match path {
        [] => {}
        [key] => {
            table.remove(key);
        }
        [key, rest @ ..] => {
            if let Some(toml::Value::Table(t)) = table.get_mut(key) {
                remove(t, rest);
                if t.is_empty() {
                    table.remove(key);
                }
            }
        }
    }
}

/// Tyk's uptime pump writes uptime checks to its own MongoDB collection; here the `mongo`
/// sink writing to the same database takes them (`uptime = true`).
fn uptime(tyk: &TykConfig, made: &[Made], doc: &mut Document, notes: &mut Vec<Note>) {
    if tyk.dont_purge_uptime_data {
        notes.push(Note::new(
            "",
            "`dont_purge_uptime_data` is set: no sink takes uptime records, and the pump leaves \
             them in Redis (it reads them only for sinks with `uptime = true`)",
        ));
        return;
    }
    let u = &tyk.uptime_pump_config;
    let label = "uptime_pump_config";
    match u.uptime_type.to_ascii_lowercase().as_str() {
        "" | "mongo" => {}
        "sql" => {
            notes.push(Note::new(label, format!("uptime_type \"sql\": {NO_SINK}")));
            let line = format!("{label} (uptime_type \"sql\"): no native sink yet");
            doc.skipped.push((label.to_owned(), line));
            return;
        }
        other => {
            notes.push(Note::new(
                "",
                format!("{label}: `uptime_type` `{other}` is not one of Tyk's; no sink takes uptime records"),
            ));
            return;
        }
    }
    if u.mongo_url.is_empty() {
        notes.push(Note::new(
            "",
            format!(
                "{label} has no `mongo_url`, so Tyk Pump's uptime pump could not store uptime \
                 records either: no sink takes them (add `uptime = true` to a `mongo` sink to \
                 store them)"
            ),
        ));
        return;
    }
    if !types::built("mongo") {
        notes.push(Note::new(label, format!("MongoDB: {NO_SINK}")));
        let line = format!("{label} (MongoDB): no native sink yet");
        doc.skipped.push((label.to_owned(), line));
        return;
    }
    let Some(sink) = made
        .iter()
        .find(|m| m.pump_type == "mongo" && m.tyk_mongo_url.as_deref() == Some(&u.mongo_url))
    else {
        notes.push(Note::new(
            label,
            "no `mongo` pump writes to its `mongo_url`, and a sink cannot take uptime records \
             alone; uptime records are not taken. Add `uptime = true` to a `mongo` sink (they \
             go to its `uptime_collection_name`) to keep them",
        ));
        doc.skipped.push((
            label.to_owned(),
            format!("{label}: its MongoDB is no `mongo` pump's"),
        ));
        return;
    };
    let at = format!("sinks.{}", sink.name);
    let Some(table) = doc.table_mut(&at) else {
        return;
    };
    table.body.insert("uptime", true.into());
    notes.push(Note::new(
        format!("{at}.uptime"),
        format!(
            "from `{label}`: this sink writes to the same MongoDB, so it takes the uptime records"
        ),
    ));
    if !u.collection_name.is_empty() && u.collection_name != UPTIME_COLLECTION {
        let mut specific = sink.specific.clone();
        specific.insert(
            "uptime_collection_name".into(),
            u.collection_name.clone().into(),
        );
        if admit("mongo", &mut specific, &at, notes).is_ok()
            && specific.contains_key("uptime_collection_name")
        {
            table
                .body
                .insert("uptime_collection_name", u.collection_name.clone().into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_key_path_they_are_about() {
        let (why, path) =
            explain("invalid value: integer `-1`, expected usize\nin `bulk_config.workers`");
        assert_eq!(why, "invalid value: integer `-1`");
        assert_eq!(
            path,
            Some(vec!["bulk_config".to_owned(), "workers".to_owned()])
        );
        let (_, path) = explain("unknown field `colour`, expected one of `a`, `b`");
        assert_eq!(path, Some(vec!["colour".to_owned()]));
        let (_, path) = explain("unknown field `gzipp`, expected `gzip`\nin `bulk_config`");
        assert_eq!(
            path,
            Some(vec!["bulk_config".to_owned(), "gzipp".to_owned()])
        );
        assert_eq!(explain("missing field `mongo_url`").1, None);
    }

    #[test]
    fn removing_the_last_key_of_a_sub_table_removes_it() {
        let mut t: toml::Table = "a = 1\n[bulk]\nworkers = -1\n".parse().unwrap_or_default();
        remove(&mut t, &["bulk".to_owned(), "workers".to_owned()]);
        assert!(!t.contains_key("bulk"));
        assert!(t.contains_key("a"));
    }
}
