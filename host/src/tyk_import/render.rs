//! The TOML text: tables in order, each note as a comment next to the key or table it is
//! about (the others in the header), and every `$` doubled so that the pump's `${VAR}`
//! interpolation reads the values back as they were.

use super::Note;
use std::fmt::Write;

/// Longest comment line, `# ` included.
const WIDTH: usize = 92;

/// The config being written.
#[derive(Debug, Default)]
pub struct Document {
    /// Top-level tables in order (`source`, `log`, `admin`, `sinks.<name>`); a table's
    /// table-valued keys become sub-tables after it.
    pub tables: Vec<Table>,
    /// What was not converted, for the top of the file: the Tyk path (notes about it are
    /// not repeated as comments) and the line to list.
    pub skipped: Vec<(String, String)>,
}

/// One `[path]` table.
#[derive(Debug)]
pub struct Table {
    /// Dotted path, such as `sinks.archive`.
    pub path: String,
    /// Its keys, in order.
    pub body: Body,
    /// Comments under the header that are not notes (where the table came from).
    pub comments: Vec<String>,
    /// Written as comments only: the pump would not accept it.
    pub commented_out: bool,
}

impl Table {
    /// An empty table at `path`.
    pub fn new(path: impl Into<String>) -> Self {
        Table {
            path: path.into(),
            body: Body::default(),
            comments: Vec::new(),
            commented_out: false,
        }
    }
}

/// A table's keys in the order they were set (a key set again keeps its place).
#[derive(Debug, Default, Clone)]
pub struct Body(Vec<(String, toml::Value)>);

impl Body {
    /// Sets `key`.
    pub fn insert(&mut self, key: &str, value: toml::Value) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key.to_owned(), value)),
        }
    }

    /// Sets each key of `table`.
    pub fn extend(&mut self, table: toml::Table) {
        for (k, v) in table {
            self.insert(&k, v);
        }
    }

    /// Whether no key is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys and values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &toml::Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl Document {
    /// The table at `path`, if there is one.
    pub fn table_mut(&mut self, path: &str) -> Option<&mut Table> {
        self.tables.iter_mut().find(|t| t.path == path)
    }

    /// The TOML text, opening with `header`.
    pub fn render(&self, header: &[String], notes: &[Note]) -> String {
        let paths = self.paths();
        let home = |n: &Note| -> Option<String> {
            let mut at = n.at.as_str();
            loop {
                if paths.iter().any(|p| p == at) {
                    return Some(at.to_owned());
                }
                at = at.rsplit_once('.')?.0;
            }
        };
        let placed: Vec<(Option<String>, &Note)> = notes.iter().map(|n| (home(n), n)).collect();
        let notes_at = |path: &str| -> Vec<&Note> {
            placed
                .iter()
                .filter(|(h, _)| h.as_deref() == Some(path))
                .map(|(_, n)| *n)
                .collect()
        };

        let mut out = String::new();
        for line in header {
            comment(&mut out, line);
        }
        if !self.skipped.is_empty() {
            out.push_str("#\n");
            comment(
                &mut out,
                &format!(
                    "Not converted (for a type with no native sink yet: {}):",
                    super::types::NO_SINK_ROUTE
                ),
            );
            for (_, line) in &self.skipped {
                comment(&mut out, &format!("  - {line}"));
            }
        }
        let general: Vec<&Note> = placed
            .iter()
            .filter(|(h, n)| h.is_none() && !self.skipped.iter().any(|(at, _)| *at == n.at))
            .map(|(_, n)| *n)
            .collect();
        if !general.is_empty() {
            out.push_str("#\n");
            for n in general {
                comment(&mut out, &format!("note: {}", n.message));
            }
        }
        for table in &self.tables {
            let body: Vec<_> = table.body.iter().collect();
            self.write_table(&mut out, &table.path, &body, table, &notes_at);
        }
        out
    }

    /// Every table and key path the document has.
    fn paths(&self) -> Vec<String> {
        fn walk<'a>(
            path: &str,
            entries: impl Iterator<Item = (&'a String, &'a toml::Value)>,
            out: &mut Vec<String>,
        ) {
            out.push(path.to_owned());
            for (k, v) in entries {
                let p = format!("{path}.{k}");
                match v {
                    toml::Value::Table(t) => walk(&p, t.iter(), out),
                    _ => out.push(p),
                }
            }
        }
        let mut out = Vec::new();
        for t in &self.tables {
            walk(&t.path, t.body.iter(), &mut out);
        }
        out
    }

    fn write_table<'n>(
        &self,
        out: &mut String,
        path: &str,
        body: &[(&String, &toml::Value)],
        top: &Table,
        notes_at: &dyn Fn(&str) -> Vec<&'n Note>,
    ) {
        let lead = if top.commented_out { "# " } else { "" };
        out.push('\n');
        if path == top.path {
            for c in &top.comments {
                comment(out, c);
            }
        }
        for n in notes_at(path) {
            comment(out, &n.message);
        }
        let _ = writeln!(out, "{lead}[{}]", dotted(path));
        for (k, v) in body {
            if v.is_table() {
                continue;
            }
            for n in notes_at(&format!("{path}.{k}")) {
                comment(out, &n.message);
            }
            let _ = writeln!(out, "{lead}{} = {}", key(k), escape(&v.to_string()));
        }
        for (k, v) in body {
            if let toml::Value::Table(sub) = v {
                let sub: Vec<_> = sub.iter().collect();
                self.write_table(out, &format!("{path}.{k}"), &sub, top, notes_at);
            }
        }
    }
}

/// A table path with each segment written as a key.
fn dotted(path: &str) -> String {
    path.split('.').map(key).collect::<Vec<_>>().join(".")
}

/// A key, bare when TOML allows it.
fn key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        k.to_owned()
    } else {
        escape(&toml::Value::String(k.to_owned()).to_string())
    }
}

/// Doubles `$`, which the pump's interpolation reads back as one.
fn escape(text: &str) -> String {
    text.replace('$', "$$")
}

/// Writes `text` as `# ` lines, wrapped (continuation lines of a `- ` item hang under
/// it), `$` doubled.
fn comment(out: &mut String, text: &str) {
    let text = escape(&text.replace(['\n', '\r'], " "));
    let body = text.trim_start();
    let lead = &text[..text.len() - body.len()];
    let hang = if body.starts_with("- ") {
        format!("{lead}  ")
    } else {
        lead.to_owned()
    };
    let mut line = lead.to_owned();
    let mut words = 0;
    for word in body.split(' ').filter(|w| !w.is_empty()) {
        if words > 0 && 2 + line.len() + 1 + word.len() > WIDTH {
            let _ = writeln!(out, "# {line}");
            line = hang.clone();
            words = 0;
        }
        if words > 0 {
            line.push(' ');
        }
        line.push_str(word);
        words += 1;
    }
    let _ = writeln!(out, "# {}", line.trim_end());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_are_doubled_in_values_and_comments() {
        let mut t = Table::new("source");
        t.body.insert("password", "pa$$word".into());
        let doc = Document {
            tables: vec![t],
            skipped: Vec::new(),
        };
        let text = doc.render(&[], &[Note::new("source.password", "costs $5")]);
        assert!(text.contains("password = \"pa$$$$word\""), "{text}");
        assert!(text.contains("# costs $$5"), "{text}");
    }

    #[test]
    fn sub_tables_follow_their_table_and_notes_find_the_nearest_path() {
        let mut t = Table::new("sinks.a");
        t.body.insert("type", "stdout".into());
        let mut filters = toml::Table::new();
        filters.insert("org_ids".into(), toml::Value::Array(vec!["o".into()]));
        t.body.insert("filters", toml::Value::Table(filters));
        let doc = Document {
            tables: vec![t],
            skipped: vec![("pumps.k".into(), "pumps.k (type \"kafka\")".into())],
        };
        let text = doc.render(
            &["head".into()],
            &[
                Note::new("sinks.a.filters.org_ids", "only o"),
                Note::new("sinks.a.meta_thing", "dropped"),
                Note::new("", "general"),
                Note::new("pumps.k", "listed, so not repeated"),
            ],
        );
        let expected = "# head\n#\n# Not converted";
        assert!(text.starts_with(expected), "{text}");
        let sink = text.find("[sinks.a]").unwrap_or(0);
        let filters = text.find("[sinks.a.filters]").unwrap_or(0);
        assert!(sink < filters, "{text}");
        assert!(text.contains("# only o\norg_ids = [\"o\"]"), "{text}");
        assert!(text.contains("# dropped\n[sinks.a]"), "{text}");
        assert!(text.contains("# note: general"), "{text}");
        assert!(!text.contains("repeated"), "{text}");
        assert!(text.parse::<toml::Table>().is_ok(), "{text}");
    }
}
