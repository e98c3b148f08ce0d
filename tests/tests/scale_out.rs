//! Several pump processes on one Redis: with different sinks each gets every record; with
//! the same sink they share the work, and no record is written twice.

use pump_tests::*;
use std::path::Path;
use std::time::Duration;

/// Runs `pump run --drain` on every config at once and waits until all exit 0.
fn drain_together(configs: &[&Path], scratch: &Scratch) {
    let mut pumps: Vec<(Running, std::path::PathBuf)> = configs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let log = scratch.path(&format!("pump-{i}.log"));
            (Running::start(c, &["--drain"], &log), log)
        })
        .collect();
    for (pump, log) in &mut pumps {
        assert!(
            pump.wait(Duration::from_secs(150)),
            "a pump did not drain and exit 0; its log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
    }
}

#[test]
fn two_processes_with_different_sinks_each_get_every_record() {
    let url = redis_url();
    let prefix = unique_prefix("scale-diff");
    let (all, _) = lists(&prefix);
    let used = [all[0].as_str(), all[1].as_str(), all[10].as_str()];
    let scratch = Scratch::new();
    let source = source_toml(&url, &prefix, "batch_size = 200");
    let (out_one, out_two) = (scratch.path("one.jsonl"), scratch.path("two.jsonl"));
    let one = scratch.config(
        "one.toml",
        &format!("{source}{}", file_sink("one", &out_one, "")),
    );
    let two = scratch.config(
        "two.toml",
        &format!("{source}{}", file_sink("two", &out_two, "")),
    );
    // Each process registers its sink (its consumer group) once, on an empty source: from
    // then on Redis keeps every record until that sink has it, running or not.
    drain(&one, Duration::from_secs(30));
    drain(&two, Duration::from_secs(30));

    let expected = push_records(&mut redis(&url), &used, &records(10_000, 31));
    drain_together(&[&one, &two], &scratch);

    for (name, out) in [("one", &out_one), ("two", &out_two)] {
        let got = Delivered::read(&[out]);
        let dups = got.assert_complete(&expected, name);
        assert_eq!(dups, 0, "sink {name} wrote {dups} records twice");
    }
    let mut conn = redis(&url);
    for list in used {
        assert_eq!(leftovers(&mut conn, &prefix, list), (0, 0, 0), "{list}");
    }
}

#[test]
fn two_processes_with_the_same_sink_share_the_work_without_duplicates() {
    let url = redis_url();
    let prefix = unique_prefix("scale-same");
    let (all, _) = lists(&prefix);
    let used = [
        all[0].as_str(),
        all[2].as_str(),
        all[4].as_str(),
        all[5].as_str(),
    ];
    let expected = push_records(&mut redis(&url), &used, &records(40_000, 32));

    let scratch = Scratch::new();
    // Live consumers never take over each other's batches; a short takeover time would
    // only measure how the machine schedules two busy processes.
    let source = source_toml(&url, &prefix, "batch_size = 200")
        .replace("pending_timeout = \"2s\"", "pending_timeout = \"20s\"");
    // One sink, `shared`, run by two processes: each writes where its own config says.
    let outs = [scratch.path("p1.jsonl"), scratch.path("p2.jsonl")];
    let configs: Vec<_> = outs
        .iter()
        .enumerate()
        .map(|(i, out)| {
            scratch.config(
                &format!("p{i}.toml"),
                &format!("{source}{}", file_sink("shared", out, "")),
            )
        })
        .collect();
    drain_together(&[&configs[0], &configs[1]], &scratch);

    let got = Delivered::read(&[&outs[0], &outs[1]]);
    let dups = got.assert_complete(&expected, "the two processes together");
    let logs: String = (0..2)
        .map(|i| {
            std::fs::read_to_string(scratch.path(&format!("pump-{i}.log"))).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("\n---\n");
    assert_eq!(dups, 0, "{dups} records were written twice; logs:\n{logs}");
    let shares = outs.map(|o| count_lines(&o));
    eprintln!("records written by each process: {shares:?}");
    assert!(
        shares.iter().all(|&n| n > 0),
        "both processes should have done some of the work: {shares:?}"
    );
}
