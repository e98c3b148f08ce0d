//! `kill -9` in the middle of a large drain: a restarted pump takes over what the dead one
//! had claimed or read, and every record ends up in the sink (some perhaps twice).

use pump_tests::*;
use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

/// Pushes `n` records over six of the gateway's keys (msgpack and protobuf); returns the
/// used lists and the records' paths.
fn feed(url: &str, prefix: &str, n: usize, seed: u64) -> (Vec<String>, HashSet<String>) {
    let (all, _) = lists(prefix);
    let used: Vec<String> = [0, 1, 2, 5, 12, 21]
        .iter()
        .map(|&i| all[i].clone())
        .collect();
    let refs: Vec<&str> = used.iter().map(String::as_str).collect();
    let expected = push_records(&mut redis(url), &refs, &records(n, seed));
    (used, expected)
}

/// Starts `pump run`, waits until the sink file has at least `lines` lines, then kills it
/// with SIGKILL. Returns the lines found right after the kill.
fn run_and_kill(config: &Path, out: &Path, log: &Path, lines: usize, total: usize) -> usize {
    let mut pump = Running::start(config, &[], log);
    let reached = wait_for(Duration::from_secs(90), || count_lines(out) >= lines);
    pump.kill9();
    let found = count_lines(out);
    assert!(
        reached,
        "the sink never reached {lines} lines (has {found}); log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    assert!(
        found < total,
        "the pump delivered everything ({found} lines) before it could be killed: nothing was tested"
    );
    found
}

fn config(scratch: &Scratch, url: &str, prefix: &str, out: &Path) -> std::path::PathBuf {
    scratch.config(
        "pump.toml",
        &format!(
            "{}{}",
            source_toml(url, prefix, "batch_size = 500"),
            file_sink("archive", out, "")
        ),
    )
}

/// Nothing of the killed runs' state may be left behind once the drain is done.
fn assert_clean(url: &str, prefix: &str, used: &[String]) {
    let mut conn = redis(url);
    let refs: Vec<&str> = used.iter().map(String::as_str).collect();
    assert_eq!(waiting(&mut conn, &refs), 0, "records left in the lists");
    for list in used {
        assert_eq!(
            leftovers(&mut conn, prefix, list),
            (0, 0, 0),
            "{list}: (stream entries, backlog records, batch lists) left after the drain"
        );
    }
}

#[test]
fn kill_during_a_large_drain_loses_nothing() {
    let url = redis_url();
    let prefix = unique_prefix("crash");
    let total = 60_000;
    let (used, expected) = feed(&url, &prefix, total, 11);
    let scratch = Scratch::new();
    let out = scratch.path("out.jsonl");
    let config = config(&scratch, &url, &prefix, &out);

    let at_kill = run_and_kill(&config, &out, &scratch.path("run1.log"), 5_000, total);
    let started = Instant::now();
    drain(&config, Duration::from_secs(150));
    eprintln!(
        "killed at {at_kill} lines; the restarted drain took {:?}",
        started.elapsed()
    );

    let delivered = Delivered::read(&[&out]);
    let dups = delivered.assert_complete(&expected, "after one kill -9");
    eprintln!(
        "kill -9 once: {} lines for {total} records: {dups} duplicates",
        delivered.lines
    );
    assert_clean(&url, &prefix, &used);
}

#[test]
fn killed_twice_during_a_drain_loses_nothing() {
    let url = redis_url();
    let prefix = unique_prefix("crash2");
    let total = 30_000;
    let (used, expected) = feed(&url, &prefix, total, 12);
    let scratch = Scratch::new();
    let out = scratch.path("out.jsonl");
    let config = config(&scratch, &url, &prefix, &out);

    let first = run_and_kill(&config, &out, &scratch.path("run1.log"), 3_000, total);
    // The second run starts with the first one's entries still pending on a dead consumer.
    let second = run_and_kill(
        &config,
        &out,
        &scratch.path("run2.log"),
        first + 6_000,
        total,
    );
    drain(&config, Duration::from_secs(150));

    let delivered = Delivered::read(&[&out]);
    let dups = delivered.assert_complete(&expected, "after two kill -9");
    eprintln!(
        "kill -9 twice (at {first} and {second} lines): {} lines for {total} records: {dups} duplicates",
        delivered.lines
    );
    assert_clean(&url, &prefix, &used);
}
