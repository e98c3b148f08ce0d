//! `[sinks.<name>]` tables. Each mixes `type`, the options every sink has ([`SinkOptions`])
//! and the options of its type ([`SinkSettings`]); keys are told apart by the field names
//! `SinkOptions` declares, so unknown keys are still errors and no list is kept by hand.

use super::errors::Problem;
use super::locate::Seg;
use super::{SinkConfig, SinkKind, SinkOptions, plugins};
use pump_sinks::{SinkSettings, UnknownSinkType};
use serde::de::{self, Deserialize, DeserializeOwned, Deserializer, Visitor};
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue, ValueDeserializer};

/// The longest sink name (names become Redis consumer-group names).
const MAX_NAME_LEN: usize = 64;

const EXAMPLE: &str =
    "\n\n    [sinks.archive]\n    type = \"file\"\n    path = \"analytics.jsonl\"";

/// Reads the `sinks` table (`None` if the file has none), sorted by sink name.
pub fn read_all(
    sinks: Option<Spanned<DeValue<'_>>>,
    root: Range<usize>,
) -> Result<Vec<SinkConfig>, Problem> {
    let none = |span| {
        Problem::keyed(
            span,
            vec![Seg::from("sinks")],
            format!("at least one sink is required; add one, for example:{EXAMPLE}"),
        )
    };
    let Some(sinks) = sinks else {
        return Err(none(root));
    };
    let span = sinks.span();
    let table = match sinks.into_inner() {
        DeValue::Table(table) => table,
        other => {
            return Err(Problem::at(
                span,
                format!(
                    "expected a table with one `[sinks.<name>]` per sink, found a {}",
                    other.type_str()
                ),
            ));
        }
    };
    if table.is_empty() {
        return Err(none(span));
    }
    let mut out = table
        .into_iter()
        .map(|(name, body)| read_one(name, body))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn read_one(
    name: Spanned<DeString<'_>>,
    body: Spanned<DeValue<'_>>,
) -> Result<SinkConfig, Problem> {
    check_name(&name)?;
    let span = body.span();
    let table = match body.into_inner() {
        DeValue::Table(table) => table,
        other => {
            return Err(Problem::at(
                span,
                format!(
                    "a sink must be a table, `[sinks.{}]`, found a {}",
                    name.get_ref(),
                    other.type_str()
                ),
            ));
        }
    };
    let common_names = struct_fields::<SinkOptions>();
    let (mut common, mut specific, mut kind) = (DeTable::new(), DeTable::new(), None);
    for (key, value) in table {
        if key.get_ref() == "type" {
            kind = Some(value);
        } else if common_names.contains(&key.get_ref().as_ref()) {
            common.insert(key, value);
        } else {
            specific.insert(key, value);
        }
    }
    let types = format!("{}, wasm", SinkSettings::TYPES.join(", "));
    let Some(kind) = kind else {
        return Err(Problem::at(
            span,
            format!("missing field `type`; set it to one of: {types}"),
        ));
    };
    let Some(kind_name) = kind.get_ref().as_str() else {
        return Err(Problem::at(
            kind.span(),
            format!(
                "`type` must be a string, one of: {types}; found a {}",
                kind.get_ref().type_str()
            ),
        ));
    };
    if kind_name != "wasm" && !SinkSettings::TYPES.contains(&kind_name) {
        return Err(Problem::at(
            kind.span(),
            UnknownSinkType(kind_name.to_owned()).to_string(),
        ));
    }
    let options = SinkOptions::deserialize(ValueDeserializer::from(Spanned::new(
        span.clone(),
        DeValue::Table(common),
    )))?;
    if kind_name == "wasm" {
        let plugin = plugins::read_sink_plugin(span, specific)
            .map_err(|p| explain_unknown_field(p, kind_name, common_names))?;
        return Ok(SinkConfig {
            name: name.into_inner().into_owned(),
            options,
            settings: SinkKind::Wasm(plugin),
        });
    }
    let specific = ValueDeserializer::from(Spanned::new(span, DeValue::Table(specific)));
    let settings = match SinkSettings::parse(kind_name, specific) {
        Ok(Some(settings)) => SinkKind::Native(settings),
        Ok(None) => {
            return Err(Problem::at(
                kind.span(),
                UnknownSinkType(kind_name.to_owned()).to_string(),
            ));
        }
        Err(e) => return Err(explain_unknown_field(e.into(), kind_name, common_names)),
    };
    Ok(SinkConfig {
        name: name.into_inner().into_owned(),
        options,
        settings,
    })
}

fn check_name(name: &Spanned<DeString<'_>>) -> Result<(), Problem> {
    let text = name.get_ref();
    let valid = !text.is_empty()
        && text.len() <= MAX_NAME_LEN
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        return Ok(());
    }
    Err(Problem::keyed(
        name.span(),
        vec![Seg::from("sinks"), Seg::Key(text.to_string())],
        format!(
            "invalid sink name `{text}`: use 1 to {MAX_NAME_LEN} letters, digits, `_` or `-` \
             (the name becomes a Redis consumer-group name)"
        ),
    ))
}

/// Says, next to serde's list of a type's own options, that the common ones exist too.
fn explain_unknown_field(mut problem: Problem, kind: &str, common: &[&str]) -> Problem {
    if !problem.message.starts_with("unknown field") {
        return problem;
    }
    let common = common
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    problem.message = match problem.message.strip_suffix(", there are no fields") {
        Some(head) => format!(
            "{head}: `{kind}` sinks have no options of their own; the options every sink has are: {common}"
        ),
        None => format!(
            "{} (the options of `{kind}` sinks), or one of the options every sink has: {common}",
            problem.message
        ),
    };
    problem
}

/// The field names a derived `Deserialize` struct declares, as it hands them to
/// `deserialize_struct`.
pub fn struct_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    // The recorder always fails after taking the names; the error carries nothing.
    let _ = T::deserialize(FieldRecorder(&mut fields));
    fields
}

struct FieldRecorder<'f>(&'f mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldRecorder<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("field names recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorder_reads_the_derived_field_names() {
        let names = struct_fields::<SinkOptions>();
        assert!(names.contains(&"batch_max_records"));
        assert!(names.contains(&"ignore_fields"));
        assert!(!names.contains(&"type"));
    }
}
