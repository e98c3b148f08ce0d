//! What the file sinks wrote, read back: which records (by their unique `path`) arrived, how
//! often, and whether any line is not a whole JSON object (a torn write).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The records found in one or more JSON-lines files.
#[derive(Debug, Default)]
pub struct Delivered {
    /// How many times each record `path` was found.
    pub counts: HashMap<String, usize>,
    /// Lines read, torn ones included.
    pub lines: usize,
    /// Lines that are not a JSON object with a `path` (e.g. a write cut short by a crash),
    /// with their line numbers (1-based) and file, for the failure message.
    pub torn: Vec<String>,
}

impl Delivered {
    /// Reads every file (a missing file counts as empty).
    pub fn read(files: &[&Path]) -> Delivered {
        let mut d = Delivered::default();
        for file in files {
            let Ok(f) = std::fs::File::open(file) else {
                continue;
            };
            for (i, line) in BufReader::new(f).split(b'\n').enumerate() {
                let line = line.expect("read a line");
                d.lines += 1;
                let path = serde_json::from_slice::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v["path"].as_str().map(str::to_owned));
                match path {
                    Some(p) => *d.counts.entry(p).or_insert(0) += 1,
                    None => d.torn.push(format!(
                        "{}:{}: {:?}",
                        file.display(),
                        i + 1,
                        String::from_utf8_lossy(&line[..line.len().min(120)])
                    )),
                }
            }
        }
        d
    }

    /// Distinct records found.
    pub fn distinct(&self) -> usize {
        self.counts.len()
    }

    /// Copies beyond the first, over all records.
    pub fn duplicates(&self) -> usize {
        self.counts.values().map(|n| n - 1).sum()
    }

    /// The expected records that are not there (sorted, for a readable message).
    pub fn missing(&self, expected: &HashSet<String>) -> Vec<String> {
        let mut m: Vec<String> = expected
            .iter()
            .filter(|p| !self.counts.contains_key(*p))
            .cloned()
            .collect();
        m.sort();
        m
    }

    /// Records found that were never sent.
    pub fn unexpected(&self, expected: &HashSet<String>) -> Vec<String> {
        let mut u: Vec<String> = self
            .counts
            .keys()
            .filter(|p| !expected.contains(*p))
            .cloned()
            .collect();
        u.sort();
        u
    }

    /// Panics with a readable message unless every expected record, and nothing else, is
    /// there in whole lines. Duplicates are allowed (at least once); returns their number.
    pub fn assert_complete(&self, expected: &HashSet<String>, what: &str) -> usize {
        let missing = self.missing(expected);
        assert!(
            missing.is_empty(),
            "{what}: {} of {} records missing, e.g. {:?}",
            missing.len(),
            expected.len(),
            &missing[..missing.len().min(5)]
        );
        let unexpected = self.unexpected(expected);
        assert!(
            unexpected.is_empty(),
            "{what}: records never sent: {:?}",
            &unexpected[..unexpected.len().min(5)]
        );
        assert!(
            self.torn.is_empty(),
            "{what}: {} line(s) are not whole JSON records: {:?}",
            self.torn.len(),
            &self.torn[..self.torn.len().min(3)]
        );
        self.duplicates()
    }
}

/// Newlines in a file (0 if it does not exist): cheap enough to poll while a pump writes.
pub fn count_lines(path: &Path) -> usize {
    let Ok(mut f) = std::fs::File::open(path) else {
        return 0;
    };
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0;
    loop {
        match f.read(&mut buf) {
            Ok(0) | Err(_) => return n,
            Ok(k) => n += buf[..k].iter().filter(|&&b| b == b'\n').count(),
        }
    }
}

/// Waits (at most `limit`) until the files hold every expected record; returns what they
/// hold then, complete or not.
pub fn wait_for_records(
    files: &[&Path],
    expected: &HashSet<String>,
    limit: std::time::Duration,
) -> Delivered {
    let mut last_lines = usize::MAX;
    crate::wait_for(limit, || {
        // Reading and parsing is costly: only when enough new lines arrived.
        let lines: usize = files.iter().map(|f| count_lines(f)).sum();
        if lines < expected.len() || lines == last_lines {
            return false;
        }
        last_lines = lines;
        Delivered::read(files).missing(expected).is_empty()
    });
    Delivered::read(files)
}
