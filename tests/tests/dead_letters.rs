//! Dead letters are per sink, and re-queuing them replays them to that sink alone: a record
//! dead-lettered because its sink was failing is delivered once the sink works again, while
//! an undecodable one comes back to the dead letters.

use pump_tests::*;
use std::collections::HashMap;
use std::time::Duration;

fn cli(args: &[&str]) -> String {
    let out = pump(args, Duration::from_secs(30));
    assert!(
        out.status.success(),
        "pump {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn reasons(config: &str, sink: &str) -> Vec<String> {
    cli(&[
        "dlq", "list", "--config", config, "--sink", sink, "--json", "--limit", "10000",
    ])
    .lines()
    .map(|l| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        v["reason"].as_str().unwrap().to_string()
    })
    .collect()
}

#[test]
fn requeued_dead_letters_go_to_that_sink_only() {
    let url = redis_url();
    let prefix = unique_prefix("dlq");
    let (all, _) = lists(&prefix);
    let used = [all[0].as_str(), all[1].as_str(), all[6].as_str()];
    let scratch = Scratch::new();
    let dir_one = scratch.path("one");
    std::fs::create_dir(&dir_one).unwrap();
    let out_one = dir_one.join("out.jsonl");
    let out_two = scratch.path("two.jsonl");
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}{}",
            source_toml(&url, &prefix, "batch_size = 100"),
            file_sink(
                "one",
                &out_one,
                "max_retries = 2\nretry_initial_backoff = \"20ms\"\nretry_max_backoff = \"50ms\""
            ),
            file_sink("two", &out_two, "")
        ),
    );
    let cfg = config.to_str().unwrap();
    let log = scratch.path("pump.log");
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    let mut pump = Running::start(&config, &[], &log);
    assert!(
        wait_for(Duration::from_secs(30), || log_contains(
            &log,
            "pump running"
        )),
        "{}",
        log_text()
    );
    // Sink `one` cannot write any more: after two retries its records are dead-lettered.
    std::fs::rename(&dir_one, scratch.path("one-gone")).unwrap();

    let mut conn = redis(&url);
    let valid = records(600, 71);
    let expected = push_records(&mut conn, &used, &valid);
    let malformed = [b"\xc1".to_vec(), b"\x92\x01\x02".to_vec(), Vec::new()];
    push(&mut conn, used[0], &malformed);
    let bad = malformed.len();
    let dead = |sink: &str, conn: &mut redis::Connection| -> usize {
        redis::cmd("XLEN")
            .arg(dead_letters_key(&prefix, sink))
            .query(conn)
            .unwrap()
    };
    assert!(
        wait_for(Duration::from_secs(60), || dead("one", &mut conn)
            == valid.len() + bad
            && dead("two", &mut conn) == bad
            && count_lines(&out_two) == valid.len()),
        "dead letters: one {}, two {}; log:\n{}",
        dead("one", &mut conn),
        dead("two", &mut conn),
        log_text()
    );
    assert!(pump.terminate(Duration::from_secs(30)), "{}", log_text());
    let why = reasons(cfg, "one");
    assert_eq!(
        why.iter()
            .filter(|r| r.starts_with("gave up after 2 retries"))
            .count(),
        valid.len(),
        "{why:?}"
    );
    assert_eq!(
        why.iter().filter(|r| r.contains("undecodable")).count(),
        bad
    );
    let two_before = std::fs::read(&out_two).unwrap();

    // Sink `one` works again; its dead letters are replayed to it, and to it alone.
    std::fs::create_dir(&dir_one).unwrap();
    let requeued = cli(&["dlq", "requeue", "--config", cfg, "--sink", "one"]);
    assert!(
        requeued.contains(&format!("re-queued {} dead letter(s)", valid.len() + bad)),
        "{requeued}"
    );
    drain(&config, Duration::from_secs(60));

    let got = Delivered::read(&[&out_one]);
    assert_eq!(
        got.assert_complete(&expected, "sink one after the replay"),
        0
    );
    // Replayed records are decoded in the format of the list they came from.
    let by_path: HashMap<String, serde_json::Value> = read_jsonl(&out_one)
        .into_iter()
        .map(|l| (l["path"].as_str().unwrap().to_string(), l))
        .collect();
    for (i, r) in valid.iter().enumerate() {
        let mut want = serde_json::to_value(r).unwrap();
        if used[i % used.len()].ends_with("_protobuf") {
            // Tyk's protobuf schema has no gateway latency.
            want["latency"]["gateway"] = 0.into();
        }
        assert_eq!(by_path[r.path.as_ref()], want, "record {}", r.path);
    }
    assert_eq!(
        cli(&["dlq", "count", "--config", cfg]),
        format!("one\t{bad}\ntwo\t{bad}\n"),
        "the undecodable records are dead letters of `one` again; `two` kept its own"
    );
    assert!(
        reasons(cfg, "one")
            .iter()
            .all(|r| r.contains("undecodable")),
        "only the undecodable records are left"
    );
    assert_eq!(
        std::fs::read(&out_two).unwrap(),
        two_before,
        "sink two got nothing again"
    );

    let purged = cli(&["dlq", "purge", "--config", cfg, "--sink", "one"]);
    assert!(
        purged.contains(&format!("deleted {bad} dead letter(s)")),
        "{purged}"
    );
    assert_eq!(
        cli(&["dlq", "count", "--config", cfg]),
        format!("one\t0\ntwo\t{bad}\n")
    );
}
