//! The shapes the generator writes around scalars: lists, maps of strings, GraphQL types
//! and errors, free-form values, unknown keys' values, structs in all their forms, and
//! whole (sometimes damaged) records.

use crate::generator::{Gen, Mode};
use crate::schema::{
    GRAPH_ERROR,
    Kind::{self, *},
};

impl Gen {
    pub fn strs(&mut self) {
        let choices = if self.bad(10) { 6 } else { 4 };
        match self.rng.below(choices) {
            0 => self.raw(&[0xc0]),
            1 => self.array_header(0),
            2 | 3 => {
                let n = self.rng.below(5);
                self.array_header(n);
                for _ in 0..n {
                    self.str();
                }
            }
            4 => self.bytes(b"", true),
            _ => self.str(),
        }
    }

    pub fn names(&mut self) {
        let choices = if self.bad(10) { 5 } else { 4 };
        match self.rng.below(choices) {
            0 => self.raw(&[0xc0]),
            1 => self.map_header(0),
            2 | 3 => {
                let n = self.rng.below(4);
                self.map_header(n);
                for _ in 0..n {
                    // Few distinct keys, so that some repeat (the last value wins).
                    let key = self.rng.pick(&["en", "de", "ja"]);
                    let bin = self.rng.chance(10);
                    self.bytes(key.as_bytes(), bin);
                    self.str();
                }
            }
            _ => self.array_header(0),
        }
    }

    pub fn types(&mut self) {
        let choices = if self.bad(10) { 5 } else { 4 };
        match self.rng.below(choices) {
            0 => self.raw(&[0xc0]),
            1 => self.map_header(0),
            2 | 3 => {
                let n = self.rng.below(4);
                self.map_header(n);
                for _ in 0..n {
                    let key = self.rng.pick(&["Query", "User", "Order"]);
                    let bin = self.rng.chance(10);
                    self.bytes(key.as_bytes(), bin);
                    match self.rng.below(5) {
                        0 => self.raw(&[0xc0]),
                        // serde read bin as a list of bytes here: empty is an empty list.
                        1 => {
                            let list: &[u8] = if self.bad(30) { b"x" } else { b"" };
                            self.bytes(list, true);
                        }
                        _ => self.strs_plain(),
                    }
                }
            }
            _ => self.bytes(b"", true),
        }
    }

    pub fn strs_plain(&mut self) {
        let n = self.rng.below(4);
        self.array_header(n);
        for _ in 0..n {
            self.str();
        }
    }

    pub fn errors(&mut self, depth: usize) {
        let choices = if self.bad(10) { 6 } else { 4 };
        match self.rng.below(choices) {
            0 => self.raw(&[0xc0]),
            1 => self.bytes(b"", true),
            2 | 3 => {
                let n = self.rng.below(3);
                self.array_header(n);
                for _ in 0..n {
                    self.structure(GRAPH_ERROR, depth + 1);
                }
            }
            4 => self.bytes(b"e", true),
            _ => self.map_header(0),
        }
    }

    pub fn path(&mut self, depth: usize) {
        match self.rng.below(5) {
            0 => self.raw(&[0xc0]),
            // serde read bin as a list of bytes here, each becoming a JSON number.
            1 => self.bytes(&[0, 7, 255], true),
            _ => {
                let n = self.rng.below(4);
                self.array_header(n);
                for _ in 0..n {
                    self.json(depth + 1);
                }
            }
        }
    }

    /// A free-form value, as a GraphQL error path element.
    pub fn json(&mut self, depth: usize) {
        let containers = if depth < 8 { 2 } else { 0 };
        match self.rng.below(9 + containers) {
            0 => self.raw(&[0xc0]),
            1 => self.bool(),
            2 | 3 => {
                let v = self.some_int();
                self.int(v);
            }
            4 => self.float(),
            5 => {
                let v = self.rng.pick(&[f64::NAN, f64::INFINITY, -0.0]);
                self.raw(&[&[0xcb][..], &v.to_be_bytes()].concat());
            }
            6 | 7 => self.str(),
            8 if self.bad(50) => match self.rng.below(2) {
                0 => self.bytes(b"b", true),
                _ => self.ext(3, &[1]),
            },
            8 => self.str(),
            9 => {
                let n = self.rng.below(3);
                self.array_header(n);
                for _ in 0..n {
                    self.json(depth + 1);
                }
            }
            _ => {
                let n = self.rng.below(3);
                self.map_header(n);
                for i in 0..n {
                    let key = self.rng.pick(&["a", "b"]);
                    // serde_json took only a str for the first key, a String (which
                    // rmp-serde also makes of bin) for the others.
                    let bin = if i == 0 { self.bad(200) } else { self.odd(30) };
                    self.bytes(key.as_bytes(), bin);
                    self.json(depth + 1);
                }
            }
        }
    }

    /// A value of a key the record does not know, sometimes nested near the depth limit.
    pub fn unknown(&mut self, depth: usize) {
        if self.odd(2) || self.bad(2) {
            let levels = 64usize.saturating_sub(depth + 3) + self.rng.below(5);
            for _ in 0..levels {
                self.array_header(1);
            }
            return self.raw(&[0xc0]);
        }
        match self.rng.below(6) {
            0 => {
                let tag = self.rng.next() as i8;
                self.ext(tag, &[1, 2, 3]);
            }
            1 => self.bytes(&[0xff, 0xfe], true),
            2 => self.bytes(&[0xff, 0xfe], false),
            3 if self.bad(20) => self.raw(&[0xc1]),
            _ => self.json(depth),
        }
    }

    pub fn value(&mut self, kind: Kind, depth: usize) {
        match kind {
            Str => self.str(),
            I64 => self.number(false),
            U64 => self.number(true),
            F64 => self.float(),
            Bool => self.bool(),
            Time => self.time(),
            Strs => self.strs(),
            Names => self.names(),
            Types => self.types(),
            Errors => self.errors(depth),
            Path => self.path(depth),
            Struct(fields) => self.structure(fields, depth + 1),
        }
    }

    /// A struct, mostly as a map; `depth` counts the containers around its values.
    pub fn structure(&mut self, fields: &[(&'static str, Kind)], depth: usize) {
        if depth > 1 && (self.odd(15) || self.bad(3)) {
            let bad = self.mode == Mode::Bad;
            // Leading number fields take a byte of bin each; other fields refuse it.
            let numbers = fields
                .iter()
                .take_while(|(_, kind)| matches!(kind, I64 | U64 | F64))
                .count();
            let most = if numbers == fields.len() || bad {
                fields.len() + 2
            } else {
                numbers
            };
            return match self.rng.below(if bad { 4 } else { 2 }) {
                // Positionally, as an array of the first few fields' values.
                0 => {
                    let n = self.rng.below(fields.len() + if bad { 2 } else { 1 });
                    self.array_header(n);
                    for i in 0..n {
                        match fields.get(i) {
                            Some(&(_, kind)) => self.value(kind, depth),
                            None => self.raw(&[0x01]),
                        }
                    }
                }
                1 => {
                    let n = self.rng.below(most + 1);
                    let bytes: Vec<u8> = (0..n).map(|_| self.rng.next() as u8).collect();
                    self.bytes(&bytes, true);
                }
                2 => self.raw(&[0xc0]),
                _ => self.str(),
            };
        }
        let mut entries: Vec<(Vec<u8>, Option<Kind>)> = Vec::new();
        for (i, &(name, kind)) in fields.iter().enumerate() {
            if self.rng.chance(10) {
                continue;
            }
            let key = if self.odd(10) {
                // A field index, which serde's derive takes for the field's name (only
                // written with an unsigned marker).
                match self.rng.below(3) {
                    0 => vec![i as u8],
                    1 => vec![0xcc, i as u8],
                    _ => [&[0xcf][..], &(i as u64).to_be_bytes()].concat(),
                }
            } else {
                let mut g = Vec::new();
                std::mem::swap(&mut g, &mut self.out);
                let bin = self.rng.chance(5);
                self.bytes(name.as_bytes(), bin);
                std::mem::swap(&mut g, &mut self.out);
                g
            };
            entries.push((key.clone(), Some(kind)));
            if self.bad(1) {
                entries.push((key, Some(kind)));
            }
        }
        for _ in 0..self.rng.below(3) {
            if self.rng.chance(40) {
                let key = self
                    .rng
                    .pick(&["Future", "Method2", "ClosedConnections", "x"]);
                let mut k = vec![0xa0 | key.len() as u8];
                k.extend_from_slice(key.as_bytes());
                entries.push((k, None));
            } else if self.odd(30) {
                // Out-of-range indexes are unknown keys.
                let k: &[u8] = self.rng.pick(&[&[0x7f], &[0xcd, 0x01, 0x00]]);
                entries.push((k.to_vec(), None));
            } else if self.bad(10) {
                // Negative ones, and other types, are refused.
                let k: &[u8] = self.rng.pick(&[&[0xff], &[0xd0, 0x01], &[0xc0], &[0x90]]);
                entries.push((k.to_vec(), None));
            }
        }
        if self.rng.chance(30) {
            for i in (1..entries.len()).rev() {
                let j = self.rng.below(i + 1);
                entries.swap(i, j);
            }
        }
        self.map_header(entries.len());
        for (key, kind) in entries {
            self.raw(&key);
            match kind {
                Some(kind) => self.value(kind, depth),
                None => self.unknown(depth),
            }
        }
    }

    /// A whole record, sometimes damaged afterwards.
    pub fn record(&mut self, fields: &[(&'static str, Kind)]) -> Vec<u8> {
        self.out.clear();
        self.structure(fields, 1);
        let mut bytes = std::mem::take(&mut self.out);
        if self.mode == Mode::Bad {
            match self.rng.below(12) {
                0 => bytes.truncate(self.rng.below(bytes.len())),
                1 => bytes.push(self.rng.next() as u8),
                2 => {
                    let at = self.rng.below(bytes.len());
                    bytes[at] = self.rng.next() as u8;
                }
                _ => {}
            }
        }
        bytes
    }
}
