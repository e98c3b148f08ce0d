//! The backlog limit: while a sink cannot keep up, claiming stops at `max_backlog_records`
//! and the rest waits in the gateway's list; once the sink catches up, claiming resumes.

use pump_tests::*;
use std::time::Duration;

#[test]
fn backlog_limit_pauses_claiming_and_resumes() {
    let url = redis_url();
    let prefix = unique_prefix("backlog");
    let (all, _) = lists(&prefix);
    let list = all[0].as_str();
    let scratch = Scratch::new();
    let dir = scratch.path("a");
    let away = scratch.path("a-away");
    std::fs::create_dir(&dir).unwrap();
    let out = dir.join("x.jsonl");
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}",
            source_toml(
                &url,
                &prefix,
                "batch_size = 100\nmax_backlog_records = 1000"
            ),
            file_sink(
                "archive",
                &out,
                "retry_initial_backoff = \"50ms\"\nretry_max_backoff = \"500ms\""
            )
        ),
    );
    let log = scratch.path("pump.log");
    let mut pump = Running::start(&config, &[], &log);
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        wait_for(Duration::from_secs(30), || log_contains(
            &log,
            "pump running"
        )),
        "the pump did not start; log:\n{}",
        log_text()
    );
    // The sink opened its file; now it cannot write anything: nothing is acknowledged.
    std::fs::rename(&dir, &away).unwrap();
    let mut conn = redis(&url);
    let expected = push_records(&mut conn, &[list], &records(5_000, 51));

    assert!(
        wait_for(Duration::from_secs(60), || log_contains(
            &log,
            "backlog limit reached"
        )),
        "the backlog limit was never reported; log:\n{}",
        log_text()
    );
    let claimed = backlog_records(&mut conn, &prefix, list);
    assert!(
        (1_000..=1_100).contains(&claimed),
        "claiming stops at the limit (at most one batch over it): {claimed} records claimed"
    );
    let waiting_now = waiting(&mut conn, &[list]);
    assert!(
        waiting_now >= 3_000,
        "the records past the limit wait in the gateway's list: {waiting_now} there"
    );
    // Paused, not slow: several poll intervals later nothing more was claimed.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(waiting(&mut conn, &[list]), waiting_now);
    assert_eq!(count_lines(&away.join("x.jsonl")), 0);

    std::fs::rename(&away, &dir).unwrap();
    let got = wait_for_records(&[&out], &expected, Duration::from_secs(90));
    assert!(
        got.missing(&expected).is_empty(),
        "{} of {} records delivered after the sink recovered; log:\n{}",
        got.distinct(),
        expected.len(),
        log_text()
    );
    let dups = got.assert_complete(&expected, "after the backlog drained");
    assert_eq!(dups, 0, "{dups} records written twice");
    assert!(log_contains(&log, "claiming resumed"), "{}", log_text());
    assert_eq!(waiting(&mut conn, &[list]), 0);
    assert!(
        wait_for(Duration::from_secs(10), || backlog_records(
            &mut conn, &prefix, list
        ) == 0),
        "the backlog counter returns to zero once everything is acknowledged"
    );
    assert!(pump.terminate(Duration::from_secs(30)), "exit 0 on SIGTERM");
}
