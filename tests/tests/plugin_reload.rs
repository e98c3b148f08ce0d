//! Hot reload under load: new versions of a sink plugin and of a filter are swapped in while
//! records flow, a broken version is refused while the running one stays, and SIGHUP looks
//! at every plugin again; through all of it no record is lost or delivered twice.

use pump_tests::*;
use std::collections::HashSet;
use std::time::Duration;

#[test]
fn swapping_plugins_under_load_loses_and_duplicates_nothing() {
    let url = redis_url();
    let prefix = unique_prefix("reload");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let receiver = Receiver::start(0);

    let scratch = Scratch::new();
    let hook = scratch.path("hook.wasm");
    let shard = scratch.path("shard.wasm");
    std::fs::copy(plugin("webhook_sink"), &hook).unwrap();
    std::fs::copy(plugin("shard_by_org"), &shard).unwrap();
    let all = records(3000, 21);
    let org_a = all[0].org_id.to_string();
    let (a, b) = (scratch.path("a.jsonl"), scratch.path("b.jsonl"));
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}{}{}\n[sinks.hook]\ntype = \"wasm\"\nmodule = {:?}\nallow_hosts = [{:?}]\nbatch_max_records = 100\nbatch_max_wait = \"50ms\"\n[sinks.hook.config]\nurl = \"http://{}/ingest\"\n\n[filters.shard]\ntype = \"wasm\"\nmodule = {:?}\nsinks = [\"a\", \"b\"]\n[filters.shard.config]\ndefault = \"b\"\norgs = {{ {org_a:?} = \"a\" }}\n",
            source_toml(&url, &prefix, "batch_size = 50"),
            plugins_toml(),
            file_sink("a", &a, "batch_max_records = 100\nbatch_max_wait = \"50ms\""),
            file_sink("b", &b, "batch_max_records = 100\nbatch_max_wait = \"50ms\""),
            hook.display().to_string(),
            receiver.addr,
            receiver.addr,
            shard.display().to_string(),
        ),
    );
    let log = scratch.path("pump.log");
    let mut pump = Running::start(&config, &[], &log);
    let log_has = |needle: &str| log_contains(&log, needle);
    assert!(
        wait_for(Duration::from_secs(120), || log_has("pump running")),
        "the pump did not start"
    );

    for (round, chunk) in all.chunks(300).enumerate() {
        push_records(&mut conn, &[&lists[0], &lists[2]], chunk);
        std::thread::sleep(Duration::from_millis(300));
        match round {
            2 => {
                replace_file(&hook, &another_version(&plugin("webhook_sink"), "v2"));
                replace_file(&shard, &another_version(&plugin("shard_by_org"), "v2"));
                assert!(
                    wait_for(Duration::from_secs(120), || {
                        let text = std::fs::read_to_string(&log).unwrap_or_default();
                        text.matches("plugin reloaded").count() >= 2
                    }),
                    "both plugins reloaded"
                );
            }
            5 => {
                replace_file(&hook, b"\0asm but not really a component");
                assert!(
                    wait_for(Duration::from_secs(60), || log_has(
                        "the new version cannot be loaded; the running one stays"
                    )),
                    "the broken version is refused"
                );
            }
            7 => {
                replace_file(&hook, &another_version(&plugin("webhook_sink"), "v3"));
                let _ = std::process::Command::new("kill")
                    .arg("-HUP")
                    .arg(pump.pid().to_string())
                    .status();
                assert!(
                    wait_for(Duration::from_secs(60), || log_has("SIGHUP")),
                    "SIGHUP is noticed"
                );
                assert!(
                    wait_for(Duration::from_secs(120), || {
                        let text = std::fs::read_to_string(&log).unwrap_or_default();
                        text.matches("plugin reloaded").count() >= 3
                    }),
                    "the third version is loaded"
                );
            }
            _ => {}
        }
    }

    let want: HashSet<String> = all.iter().map(|r| r.path.to_string()).collect();
    let hook_paths = || -> Vec<String> {
        receiver
            .accepted()
            .iter()
            .flat_map(|r| {
                r.body
                    .split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(|l| {
                        let v: serde_json::Value = serde_json::from_slice(l).unwrap();
                        v["path"].as_str().unwrap().to_string()
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let shard_lines = || (read_jsonl(&a), read_jsonl(&b));
    let done = wait_for(Duration::from_secs(120), || {
        let (la, lb) = shard_lines();
        hook_paths().len() >= want.len() && la.len() + lb.len() >= want.len()
    });
    assert!(pump.terminate(Duration::from_secs(60)), "clean exit");
    assert!(done, "everything delivered");

    let got = hook_paths();
    assert_eq!(got.len(), want.len(), "no record posted twice");
    assert_eq!(got.into_iter().collect::<HashSet<_>>(), want);

    let (la, lb) = shard_lines();
    let mut seen = HashSet::new();
    for (lines, org_goes_here) in [(&la, true), (&lb, false)] {
        for l in lines {
            assert_eq!(l["org_id"].as_str() == Some(org_a.as_str()), org_goes_here);
            assert!(
                seen.insert(l["path"].as_str().unwrap().to_string()),
                "routed twice"
            );
        }
    }
    assert_eq!(
        seen, want,
        "every record routed exactly once across the swaps"
    );
}

/// Every `switch_at_ms` a pump's log gives for a reloaded plugin, in order.
fn switch_times(log: &std::path::Path) -> Vec<u64> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("plugin reloaded"))
        .filter_map(|l| {
            let at = l.split("switch_at_ms=").nth(1)?;
            at.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
        })
        .collect()
}

#[test]
fn the_pumps_of_a_fleet_switch_a_filter_version_at_one_agreed_moment_and_a_pump_left_behind_says_so()
 {
    let url = redis_url();
    let prefix = unique_prefix("rollout");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let all = records(2000, 23);
    let org_a = all[0].org_id.to_string();
    let scratch = Scratch::new();
    // Two pumps with the same sinks (so they share the work), each with its own copy of
    // the filter and its own output files.
    let pump_config = |me: &str| {
        let shard = scratch.path(&format!("{me}-shard.wasm"));
        std::fs::copy(plugin("shard_by_org"), &shard).unwrap();
        let config = scratch.config(
            &format!("{me}.toml"),
            &format!(
                "{}{}rollout_delay = \"15s\"\n{}{}\n[filters.shard]\ntype = \"wasm\"\nmodule = {:?}\nsinks = [\"a\", \"b\"]\n[filters.shard.config]\ndefault = \"b\"\norgs = {{ {org_a:?} = \"a\" }}\n",
                source_toml(&url, &prefix, "batch_size = 50"),
                plugins_toml(),
                file_sink("a", &scratch.path(&format!("{me}-a.jsonl")), "batch_max_wait = \"50ms\""),
                file_sink("b", &scratch.path(&format!("{me}-b.jsonl")), "batch_max_wait = \"50ms\""),
                shard.display().to_string(),
            ),
        );
        (config, shard, scratch.path(&format!("{me}.log")))
    };
    let (config_1, shard_1, log_1) = pump_config("one");
    let (config_2, shard_2, log_2) = pump_config("two");
    let mut one = Running::start(&config_1, &[], &log_1);
    let mut two = Running::start(&config_2, &[], &log_2);
    for log in [&log_1, &log_2] {
        assert!(
            wait_for(Duration::from_secs(120), || log_contains(
                log,
                "pump running"
            )),
            "a pump did not start"
        );
    }
    let reloads = |log: &std::path::Path, n: usize| {
        wait_for(Duration::from_secs(60), || switch_times(log).len() >= n)
    };

    let mut chunks = all.chunks(400);
    push_records(&mut conn, &[&lists[0]], chunks.next().unwrap());
    // A new version reaches the pumps a second apart, then the old one comes back.
    let v1 = std::fs::read(plugin("shard_by_org")).unwrap();
    let v2 = another_version(&plugin("shard_by_org"), "v2");
    for (round, bytes) in [&v2, &v1].into_iter().enumerate() {
        replace_file(&shard_1, bytes);
        assert!(reloads(&log_1, round + 1), "pump one reloaded");
        push_records(&mut conn, &[&lists[0]], chunks.next().unwrap());
        std::thread::sleep(Duration::from_secs(1));
        replace_file(&shard_2, bytes);
        assert!(reloads(&log_2, round + 1), "pump two reloaded");
        let (at_1, at_2) = (switch_times(&log_1)[round], switch_times(&log_2)[round]);
        assert_eq!(
            at_1, at_2,
            "round {round}: both pumps switch at the same moment"
        );
        assert!(
            !log_contains(&log_2, "after the fleet switched"),
            "pump two loaded the version before the agreed moment"
        );
        if round == 1 {
            assert!(
                at_1 > switch_times(&log_1)[0],
                "going back to the old version is a new rollout"
            );
        }
    }
    // A version that reaches one pump only: once the fleet has switched to it, the other
    // pump says it has not loaded it.
    replace_file(&shard_1, &another_version(&plugin("shard_by_org"), "v3"));
    assert!(reloads(&log_1, 3), "pump one reloaded");
    assert!(
        wait_for(Duration::from_secs(60), || log_contains(
            &log_2,
            "the fleet switched this filter to a version this pump has not loaded"
        )),
        "pump two says it is behind"
    );
    for chunk in chunks {
        push_records(&mut conn, &[&lists[0]], chunk);
    }

    let lines = || {
        ["one-a", "one-b", "two-a", "two-b"]
            .map(|f| read_jsonl(&scratch.path(&format!("{f}.jsonl"))))
    };
    let done = wait_for(Duration::from_secs(120), || {
        lines().iter().map(Vec::len).sum::<usize>() >= all.len()
    });
    assert!(
        one.terminate(Duration::from_secs(60)),
        "pump one stopped cleanly"
    );
    assert!(
        two.terminate(Duration::from_secs(60)),
        "pump two stopped cleanly"
    );
    assert!(done, "everything delivered");
    let mut seen = HashSet::new();
    for (i, file) in lines().iter().enumerate() {
        let to_a = i % 2 == 0;
        for l in file {
            assert_eq!(l["org_id"].as_str() == Some(org_a.as_str()), to_a);
            assert!(
                seen.insert(l["path"].as_str().unwrap().to_string()),
                "routed twice"
            );
        }
    }
    assert_eq!(seen.len(), all.len(), "every record routed exactly once");
}
