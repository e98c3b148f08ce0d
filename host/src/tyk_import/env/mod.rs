//! Tyk Pump's `TYK_PMP_…` environment overrides, applied to the JSON document the way Tyk
//! applies them to its structs (it uses `envconfig`).
//!
//! A variable's name is the prefix, `_`, and the **Go field name** upper-cased, nested
//! structs adding their own field name (`TYK_PMP_PURGEDELAY`,
//! `TYK_PMP_ANALYTICSSTORAGECONFIG_ENABLECLUSTER`); embedded structs add nothing. In Tyk's
//! order:
//!
//! 1. the top-level fields (`TYK_PMP_…`);
//! 2. every pump named by a `TYK_PMP_PUMPS_<NAME>_…` variable, created if the file lacks it,
//!    its type from the name when that is a pump type, else `TYK_PMP_PUMPS_<NAME>_TYPE`;
//! 3. the Redis options again from `TYK_PMP_REDIS_…`, then `TYK_PMP_TEMPORAL_STORAGE_…`;
//! 4. each pump's `meta`, from `TYK_PMP_PUMPS_<NAME>_META_…` when variables named the pump,
//!    else from its type's default prefix (`TYK_PMP_PUMPS_MONGO_META_…` for every `mongo`
//!    pump);
//! 5. `TYK_LOGLEVEL` and `TYK_LOGFORMAT`, which win over the file.
//!
//! Values are read as `envconfig` reads them: integers in Go's syntax (`0x1F`, `010`),
//! booleans as `strconv.ParseBool`, lists split on `,`, maps as `key:value,key:value`.

mod fields;

use super::Note;
use super::types;
use fields::Kind::{self, Bool, Embedded, Int, Ints, Nested, Opaque, Pairs, Str, Strs};
use fields::{Field, PUMP, STORAGE, TOP, meta_fields};
use serde_json::{Map, Number, Value};
use std::collections::{BTreeMap, BTreeSet};

const PREFIX: &str = "TYK_PMP";
const PUMPS_PREFIX: &str = "TYK_PMP_PUMPS";

/// Whether `TYK_PMP_OMITCONFIGFILE` tells Tyk Pump to ignore its config file.
pub fn omits_file(env: &[(String, String)]) -> bool {
    Env::new(env)
        .get("TYK_PMP_OMITCONFIGFILE")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Applies the `TYK_PMP_…` (and `TYK_LOGLEVEL`, `TYK_LOGFORMAT`) variables of `env` to the
/// normalised document (lower-case keys, upper-case pump names).
pub fn apply(doc: &mut Map<String, Value>, env: &[(String, String)], notes: &mut Vec<Note>) {
    let mut env = Env::new(env);
    env.process(TOP, PREFIX, doc, "", notes);

    let mut meta_prefixes = BTreeMap::new();
    let names: BTreeSet<String> = env
        .names()
        .filter_map(|n| n.strip_prefix(PUMPS_PREFIX)?.strip_prefix('_'))
        .filter_map(|rest| {
            let (name, tail) = rest.split_once('_')?;
            (!name.is_empty() && !tail.is_empty()).then(|| name.to_ascii_uppercase())
        })
        .collect();
    // A `pumps` that is not an object is reported when the document is read.
    if let Some(mut pumps) = take_object(doc, "pumps") {
        for name in names {
            if let Some(prefix) = env.pump(&name, &mut pumps, notes) {
                meta_prefixes.insert(name, prefix);
            }
        }
        doc.insert("pumps".into(), Value::Object(pumps));
    }

    if let Some(mut storage) = take_object(doc, "analytics_storage_config") {
        for prefix in ["TYK_PMP_REDIS", "TYK_PMP_TEMPORAL_STORAGE"] {
            env.process(
                STORAGE,
                prefix,
                &mut storage,
                "analytics_storage_config",
                notes,
            );
        }
        doc.insert("analytics_storage_config".into(), Value::Object(storage));
    }

    if let Some(Value::Object(pumps)) = doc.get_mut("pumps") {
        for (name, pump) in pumps.iter_mut() {
            if let Value::Object(pump) = pump {
                env.meta(name, pump, meta_prefixes.get(name), notes);
            }
        }
    }

    if let Some(level) = env.get("TYK_LOGLEVEL").filter(|v| !v.is_empty()) {
        // Tyk reads this variable leniently: anything unknown is `info`.
        let level = match level.to_ascii_lowercase().as_str() {
            l @ ("error" | "warn" | "debug") => l.to_owned(),
            _ => "info".to_owned(),
        };
        env.consume("TYK_LOGLEVEL");
        notes.push(Note::new(
            "log.level",
            "environment: TYK_LOGLEVEL wins over `log_level`",
        ));
        doc.insert("log_level".into(), Value::String(level));
    }
    if let Some(format) = env.get("TYK_LOGFORMAT").filter(|v| !v.is_empty()) {
        let format = format.to_owned();
        env.consume("TYK_LOGFORMAT");
        notes.push(Note::new(
            "log.format",
            "environment: TYK_LOGFORMAT wins over `log_format`",
        ));
        doc.insert("log_format".into(), Value::String(format));
    }

    for name in env.unread() {
        notes.push(Note::new(
            "",
            format!("environment: {name} is not a Tyk Pump setting the import knows; ignored"),
        ));
    }
}

/// The object under `key`, taken out of `map` (empty if there is none); `None`, leaving it
/// in place, when the value is not an object (reading the document reports it).
fn take_object(map: &mut Map<String, Value>, key: &str) -> Option<Map<String, Value>> {
    match map.remove(key) {
        None => Some(Map::new()),
        Some(Value::Object(m)) => Some(m),
        Some(other) => {
            map.insert(key.to_owned(), other);
            None
        }
    }
}

/// The `TYK_…` variables, the last of a name winning, and which of them were read.
struct Env<'e> {
    vars: BTreeMap<&'e str, &'e str>,
    read: BTreeSet<&'e str>,
}

impl<'e> Env<'e> {
    fn new(env: &'e [(String, String)]) -> Self {
        let vars = env
            .iter()
            .filter(|(k, _)| k.starts_with("TYK_"))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Env {
            vars,
            read: BTreeSet::new(),
        }
    }

    fn get(&self, name: &str) -> Option<&'e str> {
        self.vars.get(name).copied()
    }

    fn names(&self) -> impl Iterator<Item = &'e str> + '_ {
        self.vars.keys().copied()
    }

    fn consume(&mut self, name: &str) {
        if let Some((k, _)) = self.vars.get_key_value(name) {
            self.read.insert(*k);
        }
    }

    /// Marks every variable under `prefix_` read; whether there was one.
    fn consume_prefix(&mut self, prefix: &str) -> bool {
        let under = format!("{prefix}_");
        let found: Vec<&'e str> = self.names().filter(|n| n.starts_with(&under)).collect();
        self.read.extend(found.iter().copied());
        !found.is_empty()
    }

    /// The `TYK_PMP_…` variables nothing read (`TYK_PMP_BUILDDEMODATA` is a demo switch).
    fn unread(&self) -> Vec<&'e str> {
        self.names()
            .filter(|n| n.starts_with("TYK_PMP_") && !self.read.contains(n))
            .filter(|n| *n != "TYK_PMP_BUILDDEMODATA" && *n != "TYK_PMP_OMITCONFIGFILE")
            .collect()
    }

    /// Applies the `TYK_PMP_PUMPS_<NAME>_…` variables to pump `name` of `pumps` (creating
    /// it), as Tyk's `LoadPumpsByEnv` does; returns the prefix its `meta` is then read from.
    fn pump(
        &mut self,
        name: &str,
        pumps: &mut Map<String, Value>,
        notes: &mut Vec<Note>,
    ) -> Option<String> {
        let prefix = format!("{PUMPS_PREFIX}_{name}");
        let existed = pumps.contains_key(name);
        let Some(mut pump) = take_object(pumps, name) else {
            self.consume_prefix(&prefix);
            return None;
        };
        let lower = name.to_ascii_lowercase();
        let kind = if types::is_tyk_type(&lower) {
            Some(lower)
        } else {
            self.get(&format!("{prefix}_TYPE"))
                .or_else(|| pump.get("type").and_then(Value::as_str))
                .filter(|t| !t.is_empty())
                .map(str::to_ascii_lowercase)
        };
        let Some(kind) = kind else {
            notes.push(Note::new(
                "",
                format!(
                    "environment: variables name a pump `{name}`, but neither its name nor \
                     {prefix}_TYPE is a pump type; Tyk Pump skips them, and so does the import"
                ),
            ));
            self.consume_prefix(&prefix);
            if existed {
                pumps.insert(name.to_owned(), Value::Object(pump));
            }
            return None;
        };
        if !existed {
            notes.push(Note::new(
                "",
                format!(
                    "environment: pump `{name}` (type `{kind}`) is defined by {prefix}_… \
                     variables alone, as Tyk Pump allows"
                ),
            ));
        }
        self.process(PUMP, &prefix, &mut pump, &format!("pumps.{name}"), notes);
        pump.insert("type".into(), Value::String(kind));
        pumps.insert(name.to_owned(), Value::Object(pump));
        Some(format!("{prefix}_META"))
    }

    /// Applies the variables of a pump's `meta`: under `named` when variables named the
    /// pump, else under its type's default prefix, as each Tyk pump's `Init` does.
    fn meta(
        &mut self,
        name: &str,
        pump: &mut Map<String, Value>,
        named: Option<&String>,
        notes: &mut Vec<Note>,
    ) {
        let kind = pump
            .get("type")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map_or_else(|| name.to_ascii_lowercase(), str::to_ascii_lowercase);
        let prefix = match (named, types::meta_env_name(&kind)) {
            (Some(p), _) => p.clone(),
            (None, Some(n)) => format!("{PUMPS_PREFIX}_{n}_META"),
            (None, None) => return,
        };
        let Some(fields) = meta_fields(&kind) else {
            if self.consume_prefix(&prefix) {
                notes.push(Note::new(
                    "",
                    format!(
                        "environment: the {prefix}_… variables of pump `{name}` (type \
                         `{kind}`) are not read: the import does not convert that type"
                    ),
                ));
            }
            return;
        };
        if let Some(mut meta) = take_object(pump, "meta") {
            self.process(
                fields,
                &prefix,
                &mut meta,
                &format!("pumps.{name}.meta"),
                notes,
            );
            pump.insert("meta".into(), Value::Object(meta));
        }
    }

    /// Sets the fields of `obj` that have a variable under `prefix` (`at` names `obj` in
    /// notes).
    fn process(
        &mut self,
        fields: &[Field],
        prefix: &str,
        obj: &mut Map<String, Value>,
        at: &str,
        notes: &mut Vec<Note>,
    ) {
        for field in fields {
            let name = format!("{prefix}_{}", field.env);
            let key = if at.is_empty() {
                field.json.to_owned()
            } else {
                format!("{at}.{}", field.json)
            };
            match field.kind {
                Embedded(inner) => self.process(inner, prefix, obj, at, notes),
                Nested(inner) => {
                    let mut nested = match obj.remove(field.json) {
                        Some(Value::Object(m)) => m,
                        Some(other) => {
                            obj.insert(field.json.to_owned(), other);
                            continue;
                        }
                        None => Map::new(),
                    };
                    self.process(inner, &name, &mut nested, &key, notes);
                    if !nested.is_empty() {
                        obj.insert(field.json.to_owned(), Value::Object(nested));
                    }
                }
                Opaque => {
                    if self.consume_prefix(&name) || self.get(&name).is_some() {
                        self.consume(&name);
                        notes.push(Note::new(
                            "",
                            format!("environment: {name}… sets `{key}`, which the import does not convert"),
                        ));
                    }
                }
                scalar => {
                    let Some(raw) = self.get(&name) else { continue };
                    self.consume(&name);
                    match read_value(scalar, raw) {
                        Ok(value) => {
                            notes.push(Note::new("", format!("environment: {name} sets `{key}`")));
                            obj.insert(field.json.to_owned(), value);
                        }
                        Err(why) => notes.push(Note::new(
                            "",
                            format!(
                                "environment: {name} is ignored: {why} (Tyk Pump logs an error \
                                 and stops reading its variables there)"
                            ),
                        )),
                    }
                }
            }
        }
    }
}

/// A variable's value as `envconfig` reads it for a field of `kind`.
fn read_value(kind: Kind, raw: &str) -> Result<Value, String> {
    Ok(match kind {
        Str => Value::String(raw.to_owned()),
        Int => Value::Number(Number::from(go_int(raw)?)),
        Bool => Value::Bool(go_bool(raw)?),
        Strs => Value::Array(list(raw).map(|s| Value::String(s.to_owned())).collect()),
        Ints => Value::Array(
            list(raw)
                .map(|s| go_int(s).map(|n| Value::Number(Number::from(n))))
                .collect::<Result<_, _>>()?,
        ),
        Pairs => {
            let mut map = Map::new();
            for pair in list(raw) {
                let mut parts = pair.split(':');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(k), Some(v), None) => {
                        map.insert(k.to_owned(), Value::String(v.to_owned()));
                    }
                    _ => return Err(format!("`{pair}` is not `key:value`")),
                }
            }
            Value::Object(map)
        }
        Nested(_) | Embedded(_) | Opaque => return Err("not a single value".to_owned()),
    })
}

/// `envconfig`'s lists: split on `,`, nothing trimmed; an empty value is an empty list.
fn list(raw: &str) -> impl Iterator<Item = &str> {
    let nothing = raw.trim().is_empty();
    raw.split(',').filter(move |_| !nothing)
}

/// Go's `strconv.ParseBool`.
fn go_bool(raw: &str) -> Result<bool, String> {
    match raw {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!(
            "`{raw}` is not a boolean (true, false, 1, 0, t, f)"
        )),
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`: a sign, then `0x`, `0o`, `0b`, a leading `0`
/// (octal) or decimal digits, `_` allowed between digits after a base prefix.
fn go_int(raw: &str) -> Result<i64, String> {
    let bad = || format!("`{raw}` is not an integer");
    let (negative, body) = match raw.as_bytes().first() {
        Some(b'-') => (true, &raw[1..]),
        Some(b'+') => (false, &raw[1..]),
        _ => (false, raw),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_owned(), true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_owned(), true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_owned(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_owned(), true)
    } else {
        (10, lower.clone(), false)
    };
    if digits.is_empty()
        || (!prefixed && digits.contains('_'))
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return Err(bad());
    }
    let magnitude = i128::from_str_radix(&digits.replace('_', ""), radix).map_err(|_| bad())?;
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).map_err(|_| format!("`{raw}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_read_as_go_reads_them() {
        assert_eq!(go_int("10"), Ok(10));
        assert_eq!(go_int("-3"), Ok(-3));
        assert_eq!(go_int("0x1F"), Ok(31));
        assert_eq!(go_int("010"), Ok(8));
        assert_eq!(go_int("0b101"), Ok(5));
        assert_eq!(go_int("0"), Ok(0));
        assert!(go_int("").is_err());
        assert!(go_int("ten").is_err());
        assert!(go_int("1_000").is_err());
        assert!(go_int("99999999999999999999").is_err());
    }

    #[test]
    fn booleans_read_as_go_reads_them() {
        assert_eq!(go_bool("TRUE"), Ok(true));
        assert_eq!(go_bool("f"), Ok(false));
        assert!(go_bool("yes").is_err());
        assert!(go_bool("").is_err());
    }

    #[test]
    fn lists_split_on_commas_without_trimming() {
        assert_eq!(read_value(Strs, "a, b"), Ok(serde_json::json!(["a", " b"])));
        assert_eq!(read_value(Strs, ""), Ok(serde_json::json!([])));
        assert_eq!(
            read_value(Ints, "500,503"),
            Ok(serde_json::json!([500, 503]))
        );
        assert!(read_value(Ints, "500,x").is_err());
        assert_eq!(
            read_value(Pairs, "r1:6379,r2:6380"),
            Ok(serde_json::json!({"r1": "6379", "r2": "6380"}))
        );
    }
}
