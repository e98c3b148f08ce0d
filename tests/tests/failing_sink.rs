//! One sink failing (its directory is gone) while another keeps delivering: the healthy one
//! gets everything meanwhile, and the failing one catches up once it can write again.

use pump_tests::*;
use std::time::Duration;

#[test]
fn a_failing_sink_loses_nothing_and_does_not_slow_the_other() {
    let url = redis_url();
    let prefix = unique_prefix("failing");
    let (all, _) = lists(&prefix);
    let used = [all[0].as_str(), all[3].as_str(), all[6].as_str()];
    let scratch = Scratch::new();
    let dir_a = scratch.path("a");
    let old_a = scratch.path("a-old");
    std::fs::create_dir(&dir_a).unwrap();
    let out_a = dir_a.join("x.jsonl");
    let out_b = scratch.path("b.jsonl");
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}{}",
            source_toml(&url, &prefix, "batch_size = 200"),
            file_sink(
                "a",
                &out_a,
                "retry_initial_backoff = \"50ms\"\nretry_max_backoff = \"500ms\""
            ),
            file_sink("b", &out_b, "")
        ),
    );
    let log = scratch.path("pump.log");
    let mut pump = Running::start(&config, &[], &log);
    let mut conn = redis(&url);

    let first = push_records(&mut conn, &used, &records(2_000, 21));
    assert!(
        wait_for(Duration::from_secs(60), || count_lines(&out_a)
            >= first.len()
            && count_lines(&out_b) >= first.len()),
        "both sinks should get the first records; log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    // Sink `a` can no longer reopen its path: every write of it fails from now on.
    std::fs::rename(&dir_a, &old_a).unwrap();
    let second = push_records(&mut conn, &used, &records(4_000, 22));
    let everything: std::collections::HashSet<String> = first.union(&second).cloned().collect();
    let b = wait_for_records(&[&out_b], &everything, Duration::from_secs(60));
    assert!(
        b.missing(&everything).is_empty(),
        "sink b got {} of {} records while a was failing; log:\n{}",
        b.distinct(),
        everything.len(),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert_eq!(
        b.assert_complete(&everything, "sink b"),
        0,
        "sink b wrote a record twice"
    );
    let held: u64 = used
        .iter()
        .map(|l| pending(&mut conn, &prefix, l, "a"))
        .sum();
    assert!(
        held > 0,
        "sink a keeps the batch it cannot write pending (unacknowledged)"
    );
    let a_so_far = Delivered::read(&[&old_a.join("x.jsonl")]);
    assert!(
        second.iter().all(|p| !a_so_far.counts.contains_key(p)),
        "sink a cannot have written the second records anywhere yet"
    );
    assert!(
        wait_for(Duration::from_secs(10), || log_contains(
            &log,
            "write failed; retrying"
        )),
        "sink a's failures are logged"
    );

    // `a` can write again: it delivers what it kept pending.
    std::fs::create_dir(&dir_a).unwrap();
    let old_out_a = old_a.join("x.jsonl");
    let a = wait_for_records(&[&old_out_a, &out_a], &everything, Duration::from_secs(60));
    assert!(
        a.missing(&everything).is_empty(),
        "sink a has {} of {} records after recovering; log:\n{}",
        a.distinct(),
        everything.len(),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let dups = a.assert_complete(&everything, "sink a");
    assert_eq!(
        dups,
        0,
        "sink a wrote {dups} records twice; log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(
        pump.terminate(Duration::from_secs(30)),
        "the pump exits 0 on SIGTERM"
    );
}
