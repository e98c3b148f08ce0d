//! The example plugins end to end through `pump run --drain`: filters routing between
//! sinks, and Wasm sinks posting to a local receiver that answers 503 now and then.

use pump_tests::*;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

fn paths(lines: &[serde_json::Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn shard_by_org_routes_each_org_to_its_sink_and_the_rest_to_the_default() {
    let url = redis_url();
    let prefix = unique_prefix("shard");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let all = records(3000, 7);
    // Msgpack and protobuf keys both: protobuf records cross to the filter as msgpack.
    push_records(&mut conn, &[&lists[0], &lists[1]], &all);
    let mut orgs: Vec<String> = all.iter().map(|r| r.org_id.to_string()).collect();
    orgs.sort();
    orgs.dedup();
    assert!(orgs.len() >= 3, "the traffic has several orgs");
    let (eu_org, us_org) = (&orgs[0], &orgs[1]);

    let scratch = Scratch::new();
    let out = |n: &str| scratch.path(&format!("{n}.jsonl"));
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}{}{}{}{}\n[filters.shard]\ntype = \"wasm\"\nmodule = {:?}\nsinks = [\"eu\", \"us\", \"rest\"]\n[filters.shard.config]\ndefault = \"rest\"\n[filters.shard.config.orgs]\n{eu_org:?} = \"eu\"\n{us_org:?} = \"us\"\n",
            source_toml(&url, &prefix, ""),
            file_sink("eu", &out("eu"), ""),
            file_sink("us", &out("us"), ""),
            file_sink("rest", &out("rest"), ""),
            file_sink("archive", &out("archive"), ""),
            plugins_toml(),
            plugin("shard_by_org").display().to_string(),
        ),
    );
    drain(&config, Duration::from_secs(180));

    let expected: HashMap<String, String> = all
        .iter()
        .map(|r| (r.path.to_string(), r.org_id.to_string()))
        .collect();
    let mut seen = HashSet::new();
    for sink in ["eu", "us", "rest"] {
        let lines = read_jsonl(&out(sink));
        for (p, l) in paths(&lines).into_iter().zip(&lines) {
            let org = &expected[&p];
            let want = if org == eu_org {
                "eu"
            } else if org == us_org {
                "us"
            } else {
                "rest"
            };
            assert_eq!(sink, want, "record {p} of org {org} went to {sink}");
            assert_eq!(l["org_id"].as_str(), Some(org.as_str()));
            assert!(seen.insert(p), "a record reached two sinks or one twice");
        }
    }
    assert_eq!(
        seen.len(),
        all.len(),
        "every record reached exactly one shard"
    );
    // A sink no filter names gets every record.
    assert_eq!(read_jsonl(&out("archive")).len(), all.len());
}

#[test]
fn errors_only_passes_server_errors_and_composes_with_declarative_filters() {
    let url = redis_url();
    let prefix = unique_prefix("errors-only");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let all = records(2000, 8);
    push_records(&mut conn, &[&lists[0]], &all);
    let skipped_api = all[0].api_id.to_string();

    let scratch = Scratch::new();
    let alerts = scratch.path("alerts.jsonl");
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}{}\n[filters.errors]\ntype = \"wasm\"\nmodule = {:?}\nsinks = [\"alerts\"]\n",
            source_toml(&url, &prefix, ""),
            file_sink(
                "alerts",
                &alerts,
                &format!("filters = {{ skip_api_ids = [{skipped_api:?}] }}")
            ),
            plugins_toml(),
            plugin("errors_only").display().to_string(),
        ),
    );
    drain(&config, Duration::from_secs(180));

    let want: HashSet<String> = all
        .iter()
        .filter(|r| (500..600).contains(&r.response_code) && r.api_id != skipped_api.as_str())
        .map(|r| r.path.to_string())
        .collect();
    assert!(!want.is_empty(), "the traffic has server errors");
    let got = paths(&read_jsonl(&alerts));
    assert_eq!(got.len(), want.len(), "no record twice");
    assert_eq!(got.into_iter().collect::<HashSet<_>>(), want);
}

/// Runs a drain with one Wasm sink posting to `receiver`; returns every NDJSON line or
/// event it accepted.
fn drain_to_receiver(
    name: &str,
    crate_name: &str,
    receiver: &Receiver,
    plugin_config: &str,
    n: usize,
) -> (Vec<Request>, HashSet<String>) {
    let url = redis_url();
    let prefix = unique_prefix(name);
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let all = records(n, 9);
    let want = push_records(&mut conn, &[&lists[0], &lists[3]], &all);
    let scratch = Scratch::new();
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}\n[sinks.hook]\ntype = \"wasm\"\nmodule = {:?}\nallow_hosts = [{:?}]\nbatch_max_records = 100\nretry_initial_backoff = \"10ms\"\nretry_max_backoff = \"50ms\"\n[sinks.hook.config]\n{plugin_config}\n",
            // Small claims, so that the sink makes many requests.
            source_toml(&url, &prefix, "batch_size = 100"),
            plugins_toml(),
            plugin(crate_name).display().to_string(),
            receiver.addr,
        ),
    );
    drain(&config, Duration::from_secs(180));
    (receiver.accepted(), want)
}

#[test]
fn webhook_sink_delivers_every_record_through_503s() {
    let receiver = Receiver::start(3);
    let url = format!("http://{}/ingest", receiver.addr);
    let (requests, want) = drain_to_receiver(
        "webhook",
        "webhook_sink",
        &receiver,
        &format!("url = {url:?}\nheaders = {{ x-team = \"platform\" }}"),
        1500,
    );
    assert!(receiver.refused() > 0, "some requests were answered 503");
    let mut got = Vec::new();
    for r in &requests {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/ingest");
        assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
        assert_eq!(r.header("x-team"), Some("platform"));
        for line in r.body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let v: serde_json::Value = serde_json::from_slice(line).unwrap();
            got.push(v["path"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(got.len(), want.len(), "each record accepted exactly once");
    assert_eq!(got.into_iter().collect::<HashSet<_>>(), want);
}

#[test]
fn splunk_hec_sink_sends_authenticated_events_through_503s() {
    let receiver = Receiver::start(4);
    let url = format!("http://{}/services/collector/event", receiver.addr);
    let (requests, want) = drain_to_receiver(
        "splunk",
        "splunk_hec_sink",
        &receiver,
        &format!(
            "url = {url:?}\ntoken = \"00000000-1111-2222-3333-444444444444\"\nindex = \"tyk\""
        ),
        1200,
    );
    assert!(receiver.refused() > 0, "some requests were answered 503");
    let mut got = Vec::new();
    for r in &requests {
        assert_eq!(r.path, "/services/collector/event");
        assert_eq!(
            r.header("authorization"),
            Some("Splunk 00000000-1111-2222-3333-444444444444")
        );
        let stream = serde_json::Deserializer::from_slice(&r.body).into_iter::<serde_json::Value>();
        for event in stream {
            let event = event.unwrap();
            assert_eq!(event["index"], "tyk");
            assert_eq!(event["sourcetype"], "tyk:analytics");
            assert!(event["time"].as_f64().unwrap() > 1.7e9);
            got.push(event["event"]["path"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(got.len(), want.len(), "each record accepted exactly once");
    assert_eq!(got.into_iter().collect::<HashSet<_>>(), want);
}

#[test]
fn plugin_check_names_the_world_of_each_example() {
    for (name, world) in [
        ("shard_by_org", "a filter plugin"),
        ("errors_only", "a filter plugin"),
        ("webhook_sink", "a sink plugin"),
        ("splunk_hec_sink", "a sink plugin"),
    ] {
        let path = plugin(name);
        let out = pump(
            &["plugin", "check", path.to_str().unwrap()],
            Duration::from_secs(120),
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(world), "{name}: {stdout}");
        assert!(stdout.contains("this pump can run it"), "{stdout}");
    }
}

/// The counts `pump plugin try` printed: each indented line's last word, by what precedes
/// it.
fn counts(stdout: &[u8]) -> HashMap<String, usize> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
        .filter_map(|l| {
            let (name, count) = l.trim().rsplit_once(' ')?;
            Some((name.trim().to_string(), count.parse().ok()?))
        })
        .collect()
}

#[test]
fn plugin_try_shows_how_a_filter_routes_and_what_a_sink_answers_without_redis() {
    // The records `pump plugin try --seed 5` generates, and so their organisations.
    let mut traffic = pump::traffic::Traffic::new(5, pump_record::Timestamp::new(0, 0));
    let orgs: Vec<String> = (0..600)
        .map(|_| traffic.analytics().org_id.to_string())
        .collect();
    let mut distinct = orgs.clone();
    distinct.sort();
    distinct.dedup();
    let (eu_org, us_org) = (&distinct[0], &distinct[1]);
    let receiver = Receiver::start(3);

    let scratch = Scratch::new();
    let out = |n: &str| scratch.path(&format!("{n}.jsonl"));
    let config = scratch.config(
        "pump.toml",
        &format!(
            // Nothing listens on port 1: the command must not need Redis. The `unrelated`
            // sink's module does not exist: only the plugin tried is loaded.
            "[source]\nredis_url = \"redis://127.0.0.1:1/0\"\n{}{}{}{}\n[filters.shard]\ntype = \"wasm\"\nmodule = {:?}\nsinks = [\"eu\", \"us\", \"rest\"]\n[filters.shard.config]\ndefault = \"rest\"\n[filters.shard.config.orgs]\n{eu_org:?} = \"eu\"\n{us_org:?} = \"us\"\n\n[sinks.hook]\ntype = \"wasm\"\nmodule = {:?}\nallow_hosts = [{:?}]\nbatch_max_records = 100\n[sinks.hook.config]\nurl = \"http://{}/ingest\"\n\n[sinks.unrelated]\ntype = \"wasm\"\nmodule = \"/nonexistent/broken.wasm\"\n",
            file_sink("eu", &out("eu"), ""),
            file_sink("us", &out("us"), ""),
            file_sink("rest", &out("rest"), ""),
            plugins_toml(),
            plugin("shard_by_org").display().to_string(),
            plugin("webhook_sink").display().to_string(),
            receiver.addr,
            receiver.addr,
        ),
    );
    let config = config.display().to_string();
    let limit = Duration::from_secs(120);

    let run = pump(
        &[
            "plugin",
            "try",
            "--config",
            &config,
            "shard",
            "--records",
            "600",
            "--seed",
            "5",
        ],
        limit,
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let got = counts(&run.stdout);
    let of = |org: &str| orgs.iter().filter(|o| *o == org).count();
    assert_eq!(got["eu"], of(eu_org), "{stdout}");
    assert_eq!(got["us"], of(us_org), "{stdout}");
    assert_eq!(got["rest"], 600 - of(eu_org) - of(us_org), "{stdout}");
    assert_eq!(got["(no sink)"], 0, "{stdout}");
    assert!(
        read_jsonl(&out("eu")).is_empty(),
        "a filter try writes nothing"
    );

    // Three calls of 100 records; the receiver answers the third with 503.
    let run = pump(
        &[
            "plugin",
            "try",
            "--config",
            &config,
            "hook",
            "--records",
            "300",
        ],
        limit,
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(1),
        "not every record was written: {stdout}"
    );
    let got = counts(&run.stdout);
    assert_eq!(got["written"], 200, "{stdout}");
    assert_eq!(got["retry"], 100, "{stdout}");
    assert!(stdout.contains("503"), "the reason is shown: {stdout}");
    let lines: usize = receiver
        .accepted()
        .iter()
        .map(|r| {
            r.body
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count()
        })
        .sum();
    assert_eq!(lines, 200, "the sink wrote for real");

    let run = pump(&["plugin", "try", "--config", &config, "eu"], limit);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("`eu` is a built-in sink, not a Wasm plugin")
    );
}
