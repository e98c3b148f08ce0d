//! `pump demo`, the README's first command: it feeds gateway traffic into Redis and drains
//! it through the `shard_by_org` Wasm filter to files, dead-lettering the malformed entries
//! it mixes in.

use pump_tests::*;
use std::time::Duration;

/// The demo always uses the `pump-demo` keys: one demo at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn demo(dir: &std::path::Path, extra: &[&str]) -> String {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let filter = plugin("shard_by_org");
    let url = redis_url();
    let mut args = vec![
        "demo",
        "--redis-url",
        &url,
        "--dir",
        dir.to_str().unwrap(),
        "--filter",
        filter.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = pump(&args, Duration::from_secs(240));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn demo_feeds_and_drains_everything_through_the_wasm_filter() {
    let scratch = Scratch::new();
    let dir = scratch.path("demo");
    let stdout = demo(&dir, &["--records", "3000"]);
    // 3000 analytics records, one uptime record per 100, and one malformed entry.
    let lines = read_jsonl(&dir.join("archive.jsonl"));
    assert_eq!(lines.len(), 3000 + 30, "{stdout}");
    assert_eq!(
        lines.iter().filter(|l| l.get("method").is_some()).count(),
        3000
    );
    assert_eq!(lines.iter().filter(|l| l.get("url").is_some()).count(), 30);
    assert!(
        stdout.contains("sink `archive`: 3030 records written"),
        "{stdout}"
    );
    assert!(stdout.contains("1 dead-lettered"), "{stdout}");

    // The filter's shards: each org in its own file, the rest in `others`, all of them once.
    let mut total = 0;
    for (sink, org) in [
        ("org-a", Some("5e9d9544a1dcd60001d0ed20")),
        ("org-b", Some("5e9d9544a1dcd60001d0ed21")),
        ("others", None),
    ] {
        let shard = read_jsonl(&dir.join(format!("{sink}.jsonl")));
        assert!(!shard.is_empty(), "{sink} got records");
        for l in &shard {
            let o = l["org_id"].as_str().unwrap();
            match org {
                Some(org) => assert_eq!(o, org, "{sink}"),
                None => assert!(!o.starts_with("5e9d9544a1dcd60001d0ed2"), "{sink}: {o}"),
            }
        }
        total += shard.len();
    }
    assert_eq!(total, 3000, "every analytics record in exactly one shard");

    let config = dir.join("pump.toml");
    let valid = pump(
        &["validate", "--config", config.to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert!(
        valid.status.success(),
        "the demo's config must be a valid example"
    );
}

#[test]
fn demo_feeds_at_a_rate_while_the_pump_runs() {
    let scratch = Scratch::new();
    let dir = scratch.path("demo");
    let stdout = demo(&dir, &["--records", "600", "--rate", "400"]);
    assert!(stdout.contains("at 400 records/s"), "{stdout}");
    assert_eq!(
        read_jsonl(&dir.join("archive.jsonl")).len(),
        606,
        "{stdout}"
    );
}
