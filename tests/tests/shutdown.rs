//! SIGTERM while records flow: the batches in flight are written and acknowledged before
//! the pump exits 0, so the next run neither misses nor repeats any record.

use pump_tests::*;
use std::time::Duration;

#[test]
fn sigterm_finishes_in_flight_batches_and_exits_zero() {
    let url = redis_url();
    let prefix = unique_prefix("shutdown");
    let (all, _) = lists(&prefix);
    let used = [
        all[0].as_str(),
        all[1].as_str(),
        all[2].as_str(),
        all[3].as_str(),
    ];
    let mut conn = redis(&url);
    let expected = push_records(&mut conn, &used, &records(20_000, 81));

    let scratch = Scratch::new();
    let (config, out) = archive_config(&scratch, &url, &prefix, "batch_size = 250");
    let log = scratch.path("run1.log");
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    let mut pump = Running::start(&config, &[], &log);
    assert!(
        wait_for(Duration::from_secs(60), || count_lines(&out) >= 3_000),
        "nothing delivered; log:\n{}",
        log_text()
    );
    assert!(
        pump.terminate(Duration::from_secs(30)),
        "SIGTERM: exit 0; log:\n{}",
        log_text()
    );
    let first_run = count_lines(&out);
    assert!(
        first_run < expected.len(),
        "everything was delivered before SIGTERM: nothing was tested"
    );
    assert!(log_contains(&log, "shutdown requested"), "{}", log_text());
    assert!(log_contains(&log, "pump stopped"), "{}", log_text());
    for list in used {
        assert_eq!(
            pending(&mut conn, &prefix, list, "archive"),
            0,
            "{list}: entries left unacknowledged by a graceful stop; log:\n{}",
            log_text()
        );
    }

    drain(&config, Duration::from_secs(120));
    let got = Delivered::read(&[&out]);
    let dups = got.assert_complete(&expected, "after SIGTERM and a second run");
    assert_eq!(
        dups, 0,
        "{dups} records written twice: the first run's last batches were not acknowledged"
    );
}
