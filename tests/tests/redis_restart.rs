//! Redis restarting under a running pump: with persistence on, what was claimed survives
//! the restart, the pump reconnects by itself and delivers everything.

use pump_tests::*;
use std::time::Duration;

#[test]
fn redis_restart_during_a_drain_loses_nothing() {
    let mut server = RedisServer::start_with(&[
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    ]);
    let url = server.url();
    let prefix = unique_prefix("restart");
    let (all, _) = lists(&prefix);
    let used = [all[0].as_str(), all[1].as_str(), all[8].as_str()];
    let before = push_records(&mut redis(&url), &used, &records(20_000, 61));

    let scratch = Scratch::new();
    let (config, out) = archive_config(&scratch, &url, &prefix, "batch_size = 500");
    let log = scratch.path("pump.log");
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    let mut pump = Running::start(&config, &[], &log);
    assert!(
        wait_for(Duration::from_secs(60), || count_lines(&out) >= 2_000),
        "nothing delivered before the restart; log:\n{}",
        log_text()
    );
    server.restart();
    let at_restart = count_lines(&out);
    assert!(
        at_restart < before.len(),
        "everything was delivered before Redis restarted: nothing was tested"
    );
    let after = push_records(&mut redis(&url), &used, &records(5_000, 62));
    let expected: std::collections::HashSet<String> = before.union(&after).cloned().collect();

    let got = wait_for_records(&[&out], &expected, Duration::from_secs(120));
    assert!(
        got.missing(&expected).is_empty(),
        "{} of {} records delivered after the restart (at {at_restart} lines); log:\n{}",
        got.distinct(),
        expected.len(),
        log_text()
    );
    let dups = got.assert_complete(&expected, "after a Redis restart");
    eprintln!("Redis restarted at {at_restart} lines: {dups} duplicates");
    assert!(
        pump.terminate(Duration::from_secs(30)),
        "the pump exits 0 on SIGTERM after the restart; log:\n{}",
        log_text()
    );
}
