//! The generator's randomness, its modes, and the scalars it writes: integers in every
//! width that holds them, strings in every str and bin form, floats, booleans and times.

/// A tiny xorshift generator: reproducible without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const TEXTS: &[&str] = &[
    "",
    "GET",
    "/users/42",
    "Zürich",
    "東京",
    "🦀 crab",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0",
    "R0VUIC8gSFRUUC8xLjENCkhvc3Q6IGV4YW1wbGUuY29tDQoNCg==R0VUIC8gSFRUUC8xLjENCkhvc3Q6IGV4YW1wbGUuY29tDQoNCg==",
    "ünïcødé — more than sixty-four bytes of text, to reach the SIMD validator's path",
];

/// Writes one generated record: in a plain one, only what real encoders write; in an odd
/// one also the forms serde accepted by accident (field indexes as keys, structs as arrays
/// or bin); in a bad one, now and then a form serde refused, or damage.
pub struct Gen {
    pub rng: Rng,
    pub mode: Mode,
    pub out: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq)]
pub enum Mode {
    Plain,
    Odd,
    Bad,
}

impl Gen {
    pub fn new(seed: u64) -> Self {
        Gen {
            rng: Rng(seed),
            mode: Mode::Plain,
            out: Vec::new(),
        }
    }

    /// True `percent` times in a hundred in an odd record.
    pub fn odd(&mut self, percent: usize) -> bool {
        self.mode == Mode::Odd && self.rng.chance(percent)
    }

    /// True `percent` times in four hundred in a bad record: rarely enough per value that
    /// about half of the bad records still decode.
    pub fn bad(&mut self, percent: usize) -> bool {
        self.mode == Mode::Bad && self.rng.below(400) < percent
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    pub fn uint(&mut self, v: u64) {
        let fits: &[u8] = match v {
            0..=0x7f => &[0, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3],
            0x80..=0xff => &[0xcc, 0xcd, 0xce, 0xcf, 0xd1, 0xd2, 0xd3],
            0x100..=0xffff => &[0xcd, 0xce, 0xcf, 0xd2, 0xd3],
            0x1_0000..=0xffff_ffff => &[0xce, 0xcf, 0xd3],
            _ if v <= i64::MAX as u64 => &[0xcf, 0xd3],
            _ => &[0xcf],
        };
        match self.rng.pick(fits) {
            0 => self.raw(&[v as u8]),
            0xcc => self.raw(&[0xcc, v as u8]),
            0xcd => self.raw(&[&[0xcd][..], &(v as u16).to_be_bytes()].concat()),
            0xce => self.raw(&[&[0xce][..], &(v as u32).to_be_bytes()].concat()),
            0xcf => self.raw(&[&[0xcf][..], &v.to_be_bytes()].concat()),
            0xd0 => self.raw(&[0xd0, v as u8]),
            0xd1 => self.raw(&[&[0xd1][..], &(v as i16).to_be_bytes()].concat()),
            0xd2 => self.raw(&[&[0xd2][..], &(v as i32).to_be_bytes()].concat()),
            _ => self.raw(&[&[0xd3][..], &(v as i64).to_be_bytes()].concat()),
        }
    }

    pub fn int(&mut self, v: i64) {
        if v >= 0 {
            return self.uint(v as u64);
        }
        let fits: &[u8] = match v {
            -32..=-1 => &[0, 0xd0, 0xd1, 0xd2, 0xd3],
            -128..=-33 => &[0xd0, 0xd1, 0xd2, 0xd3],
            -32768..=-129 => &[0xd1, 0xd2, 0xd3],
            -2_147_483_648..=-32769 => &[0xd2, 0xd3],
            _ => &[0xd3],
        };
        match self.rng.pick(fits) {
            0 => self.raw(&[v as u8]),
            0xd0 => self.raw(&[0xd0, v as u8]),
            0xd1 => self.raw(&[&[0xd1][..], &(v as i16).to_be_bytes()].concat()),
            0xd2 => self.raw(&[&[0xd2][..], &(v as i32).to_be_bytes()].concat()),
            _ => self.raw(&[&[0xd3][..], &v.to_be_bytes()].concat()),
        }
    }

    pub fn some_int(&mut self) -> i64 {
        let edges = [
            0,
            1,
            -1,
            127,
            128,
            255,
            256,
            -32,
            -33,
            -128,
            -129,
            65_535,
            65_536,
            -32_768,
            i64::from(u32::MAX),
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ];
        match self.rng.below(3) {
            0 => self.rng.pick(&edges),
            1 => self.rng.below(1000) as i64,
            _ => self.rng.next() as i64 >> self.rng.below(64),
        }
    }

    pub fn array_header(&mut self, n: usize) {
        match self.rng.below(if n < 16 { 4 } else { 2 }) {
            0 => self.raw(&[0xdc, (n >> 8) as u8, n as u8]),
            1 => self.raw(&[&[0xdd][..], &(n as u32).to_be_bytes()].concat()),
            _ => self.raw(&[0x90 | n as u8]),
        }
    }

    pub fn map_header(&mut self, n: usize) {
        match self.rng.below(if n < 16 { 4 } else { 2 }) {
            0 => self.raw(&[0xde, (n >> 8) as u8, n as u8]),
            1 => self.raw(&[&[0xdf][..], &(n as u32).to_be_bytes()].concat()),
            _ => self.raw(&[0x80 | n as u8]),
        }
    }

    /// str or bin bytes in any of their forms.
    pub fn bytes(&mut self, b: &[u8], bin: bool) {
        let n = b.len();
        let form = if bin {
            self.rng.pick(&[0xc4, 0xc5, 0xc6])
        } else if n < 32 && self.rng.chance(60) {
            0xa0
        } else {
            self.rng.pick(&[0xd9, 0xda, 0xdb])
        };
        let form = if form == 0xd9 && n > 255 { 0xda } else { form };
        let form = if form == 0xc4 && n > 255 { 0xc5 } else { form };
        match form {
            0xa0 => self.raw(&[0xa0 | n as u8]),
            0xd9 | 0xc4 => self.raw(&[form, n as u8]),
            0xda | 0xc5 => self.raw(&[&[form][..], &(n as u16).to_be_bytes()].concat()),
            _ => self.raw(&[&[form][..], &(n as u32).to_be_bytes()].concat()),
        }
        self.raw(b);
    }

    pub fn text(&mut self) -> String {
        let base = self.rng.pick(TEXTS);
        match self.rng.below(4) {
            0 => base.repeat(1 + self.rng.below(4)),
            1 => base.chars().take(self.rng.below(40)).collect(),
            _ => base.to_string(),
        }
    }

    pub fn str(&mut self) {
        if self.bad(2) {
            return match self.rng.below(4) {
                0 => {
                    let bin = self.rng.chance(50);
                    self.bytes(&[b'a', 0xc3, 0x28, b'z'], bin)
                }
                1 => self.raw(&[0xc0]),
                2 => self.int(5),
                _ => self.raw(&[0x90]),
            };
        }
        let t = self.text();
        let bin = self.rng.chance(15);
        self.bytes(t.as_bytes(), bin);
    }

    pub fn number(&mut self, unsigned: bool) {
        if self.bad(2) {
            return match self.rng.below(5) {
                0 => self.raw(&[&[0xcb][..], &1.5f64.to_be_bytes()].concat()),
                1 => self.raw(&[0xc3]),
                2 => self.bytes(b"12", false),
                3 => {
                    let v = u64::MAX - self.rng.below(3) as u64;
                    self.uint(v)
                }
                _ => self.raw(&[0xc0]),
            };
        }
        let v = self.some_int();
        // Negative numbers in an unsigned field only in bad records (serde refused them).
        if unsigned && v < 0 && self.mode != Mode::Bad {
            self.int(-v.max(-i64::MAX));
        } else {
            self.int(v);
        }
    }

    pub fn float(&mut self) {
        if self.bad(3) {
            return self.str();
        }
        match self.rng.below(4) {
            0 => {
                let v = (self.rng.next() % 360_000) as f64 / 1000.0 - 180.0;
                self.raw(&[&[0xcb][..], &v.to_be_bytes()].concat());
            }
            1 => {
                let v = (self.rng.next() % 3600) as f32 / 10.0 - 180.0;
                self.raw(&[&[0xca][..], &v.to_be_bytes()].concat());
            }
            2 => {
                let v = self.some_int();
                self.int(v);
            }
            _ => {
                let v = self
                    .rng
                    .pick(&[0.0f64, -0.0, f64::MAX, f64::MIN_POSITIVE, 1e300]);
                self.raw(&[&[0xcb][..], &v.to_be_bytes()].concat());
            }
        }
    }

    pub fn bool(&mut self) {
        if self.bad(3) {
            let m = self.rng.pick(&[0x00, 0x01, 0xc0, 0xa0]);
            return self.raw(&[m]);
        }
        let m = self.rng.pick(&[0xc2, 0xc3]);
        self.raw(&[m]);
    }

    pub fn ext(&mut self, tag: i8, data: &[u8]) {
        let n = data.len();
        let fixed = match n {
            1 => Some(0xd4),
            2 => Some(0xd5),
            4 => Some(0xd6),
            8 => Some(0xd7),
            16 => Some(0xd8),
            _ => None,
        };
        match (fixed, self.rng.below(4)) {
            (Some(m), 0 | 1) => self.raw(&[m]),
            (_, 2) => self.raw(&[&[0xc8][..], &(n as u16).to_be_bytes()].concat()),
            (_, 3) => self.raw(&[&[0xc9][..], &(n as u32).to_be_bytes()].concat()),
            _ => self.raw(&[0xc7, n as u8]),
        }
        self.raw(&[tag as u8]);
        self.raw(data);
    }

    pub fn time(&mut self) {
        let secs = self
            .rng
            .pick(&[-62_135_596_800, 1_714_564_800, 0, -1, i64::MAX, i64::MIN]);
        let nanos = self
            .rng
            .pick(&[0, 5, 999_999_999, 1_000_000_000, -1, i64::MAX]);
        let choices = if self.bad(15) { 9 } else { 6 };
        match self.rng.below(choices) {
            0 | 1 => {
                self.array_header(2);
                self.int(secs);
                self.int(nanos);
            }
            2 => {
                let secs = self.rng.next() as u32;
                self.ext(-1, &secs.to_be_bytes());
            }
            3 => {
                let nanos = self.rng.next() % 1_000_000_000;
                let nanos = if self.bad(30) { (1 << 30) - 1 } else { nanos };
                let v = (nanos << 34) | (self.rng.next() & 0x3_ffff_ffff);
                self.ext(-1, &v.to_be_bytes());
            }
            4 => {
                let nanos = if self.bad(30) { 1_000_000_000 } else { 7 };
                let data = [&(nanos as u32).to_be_bytes()[..], &secs.to_be_bytes()].concat();
                self.ext(-1, &data);
            }
            5 => self.raw(&[0xc0]),
            6 => {
                let n = self.rng.pick(&[0, 1, 3]);
                self.array_header(n);
                for _ in 0..n {
                    self.int(1);
                }
            }
            7 => {
                let tag = self.rng.pick(&[-1, 0, 5]);
                let len = self.rng.pick(&[1, 2, 5, 16]);
                self.ext(tag, &vec![0; len]);
            }
            _ => self.str(),
        }
    }
}
