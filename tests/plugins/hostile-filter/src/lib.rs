//! A filter that misbehaves on purpose, for the pump's sandbox tests. Its `mode` says how:
//! `loop` spins forever, `trap` panics, `poison` panics on the record whose `Path` is
//! `path`, `stuck` spins forever on that record; any other mode routes every record to
//! every sink.

use pump_sdk::{Filter, RecordRef, Route, Sinks};
use serde::Deserialize;

/// The filter's `config` table.
#[derive(Deserialize)]
pub struct Config {
    mode: String,
    #[serde(default)]
    path: String,
}

/// The misbehaving filter.
pub struct HostileFilter {
    mode: String,
    path: String,
    all: Route,
}

impl Filter for HostileFilter {
    type Config = Config;

    fn new(config: Config, sinks: &Sinks) -> Result<Self, String> {
        Ok(HostileFilter {
            mode: config.mode,
            path: config.path,
            all: Route::all(sinks),
        })
    }

    fn route(&self, record: RecordRef<'_>) -> Route {
        let marked = || record.str_field("Path").ok().flatten().as_deref() == Some(&*self.path);
        match self.mode.as_str() {
            "loop" => spin(),
            "trap" => panic!("the hostile filter traps on purpose"),
            "poison" if marked() => panic!("the hostile filter traps on {}", self.path),
            "stuck" if marked() => spin(),
            _ => self.all,
        }
    }
}

fn spin() -> ! {
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

pump_sdk::export_filter!(HostileFilter);
