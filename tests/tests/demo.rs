//! `pump demo`, the README's first command: it feeds gateway traffic into Redis and drains
//! it to a file, dead-lettering the malformed entries it mixes in.

use pump_tests::*;
use std::time::Duration;

#[test]
fn demo_feeds_and_drains_everything_it_generated() {
    let scratch = Scratch::new();
    let dir = scratch.path("demo");
    let out = pump(
        &[
            "demo",
            "--records",
            "3000",
            "--redis-url",
            &redis_url(),
            "--dir",
            dir.to_str().unwrap(),
        ],
        Duration::from_secs(120),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 3000 analytics records, one uptime record per 100, and one malformed entry.
    let lines = read_jsonl(&dir.join("analytics.jsonl"));
    assert_eq!(lines.len(), 3000 + 30, "{stdout}");
    assert_eq!(
        lines.iter().filter(|l| l.get("method").is_some()).count(),
        3000
    );
    assert_eq!(lines.iter().filter(|l| l.get("url").is_some()).count(), 30);
    assert!(stdout.contains("3030 records written"), "{stdout}");
    assert!(stdout.contains("1 dead-lettered"), "{stdout}");
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
