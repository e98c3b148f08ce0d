//! `${VAR}` interpolation of the raw config text, so secrets can stay out of the file.
//!
//! `${VAR}` is the variable's value (an error if it is not set), `${VAR:-default}` is the
//! value, or `default` if the variable is unset or empty, and `$$` is a literal `$`. Any other
//! `$` is kept as it is. This runs on the raw text, comments included, before TOML parsing.
//! The expanded text remembers where each replacement came from, so that errors found later
//! still point at the original file.

use std::ops::Range;

/// The config text after interpolation.
#[derive(Debug)]
pub struct Expanded {
    /// The text to parse.
    pub text: String,
    /// Each replacement, in order: where it is in the original and in the expanded text.
    splices: Vec<Splice>,
}

#[derive(Debug)]
struct Splice {
    source: Range<usize>,
    expanded: Range<usize>,
}

/// A `${…}` that cannot be expanded.
#[derive(Debug)]
pub struct InterpolationError {
    /// Byte offset of the `${` in the original text.
    pub offset: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Expanded {
    /// The offset in the original text that produced byte `offset` of the expanded text;
    /// anything inside a replacement maps to the start of its `${`.
    pub fn source_offset(&self, offset: usize) -> usize {
        let mut shifted = offset;
        for splice in &self.splices {
            if offset < splice.expanded.start {
                break;
            }
            if offset < splice.expanded.end {
                return splice.source.start;
            }
            shifted = offset - splice.expanded.end + splice.source.end;
        }
        shifted
    }
}

/// Expands `${VAR}`, `${VAR:-default}` and `$$` in `text`, reading variables from `env`
/// (the last entry wins if a name appears twice).
pub fn expand(text: &str, env: &[(String, String)]) -> Result<Expanded, InterpolationError> {
    let lookup = |name: &str| {
        env.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut out = String::with_capacity(text.len());
    let mut splices = Vec::new();
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = text[search..].find('$') {
        let start = search + found;
        let after = &text[start + 1..];
        let (end, replacement) = if after.starts_with('$') {
            (start + 2, "$".to_owned())
        } else if let Some(inner) = after.strip_prefix('{') {
            let Some(close) = inner
                .find(['}', '\n'])
                .filter(|&i| inner[i..].starts_with('}'))
            else {
                return Err(InterpolationError {
                    offset: start,
                    message:
                        "`${` is not closed by `}` on the same line; write `$${` for a literal `${`"
                            .to_owned(),
                });
            };
            let body = &inner[..close];
            (start + 2 + close + 1, substitute(body, &lookup, start)?)
        } else {
            search = start + 1;
            continue;
        };
        out.push_str(&text[copied..start]);
        let expanded_start = out.len();
        out.push_str(&replacement);
        splices.push(Splice {
            source: start..end,
            expanded: expanded_start..out.len(),
        });
        copied = end;
        search = end;
    }
    out.push_str(&text[copied..]);
    Ok(Expanded { text: out, splices })
}

/// The replacement for the inside of one `${…}`.
fn substitute<'e>(
    body: &str,
    lookup: &impl Fn(&str) -> Option<&'e str>,
    offset: usize,
) -> Result<String, InterpolationError> {
    let (name, default) = match body.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (body, None),
    };
    let valid_name = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_name {
        return Err(InterpolationError {
            offset,
            message: format!(
                "`${{{body}}}` does not name an environment variable; write `${{NAME}}` or \
                 `${{NAME:-default}}` (letters, digits and `_`), or `$$` for a literal `$`"
            ),
        });
    }
    match (lookup(name), default) {
        (Some(""), Some(default)) => Ok(default.to_owned()),
        (Some(value), _) => Ok(value.to_owned()),
        (None, Some(default)) => Ok(default.to_owned()),
        (None, None) => Err(InterpolationError {
            offset,
            message: format!(
                "environment variable `{name}` is not set; set it, or give a default with \
                 `${{{name}:-default}}`"
            ),
        }),
    }
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
    fn variables_defaults_and_escapes() {
        let e = env(&[("PASS", "s3cret"), ("EMPTY", "")]);
        let x = expand(
            "a=${PASS} b=${NOPE:-x} c=${EMPTY:-d} d=$$ e=$HOME f=${PASS:-no}",
            &e,
        )
        .unwrap();
        assert_eq!(x.text, "a=s3cret b=x c=d d=$ e=$HOME f=s3cret");
    }

    #[test]
    fn unset_variable_is_an_error_at_its_dollar() {
        let err = expand("x = 1\ny = \"${MISSING}\"\n", &[]).unwrap_err();
        assert_eq!(err.offset, 11);
        assert!(err.message.contains("`MISSING` is not set"));
    }

    #[test]
    fn malformed_references_are_errors() {
        assert!(
            expand("${", &[])
                .unwrap_err()
                .message
                .contains("not closed")
        );
        assert!(
            expand("${A\n}", &[])
                .unwrap_err()
                .message
                .contains("not closed")
        );
        assert!(
            expand("${1A}", &[])
                .unwrap_err()
                .message
                .contains("does not name")
        );
        assert!(
            expand("${}", &[])
                .unwrap_err()
                .message
                .contains("does not name")
        );
    }

    #[test]
    fn offsets_map_back_to_the_original() {
        let e = env(&[("LONG", "0123456789")]);
        let x = expand("a${LONG}b$$c", &e).unwrap();
        assert_eq!(x.text, "a0123456789b$c");
        assert_eq!(x.source_offset(0), 0);
        assert_eq!(x.source_offset(5), 1);
        assert_eq!(x.source_offset(11), 8);
        assert_eq!(x.source_offset(12), 9);
        assert_eq!(x.source_offset(13), 11);
    }
}
