//! Hostile plugins are contained: a plugin that loops, hoards memory, traps, or reaches for
//! a host, a file or an environment variable it was not granted is stopped or refused,
//! its records are retried and then dead-lettered with the reason, and the other sinks
//! get everything. Plugins built against another WIT version are refused at start-up.

use pump_tests::*;
use std::collections::HashMap;
use std::time::Duration;

/// A hostile sink table: `mode` and extra sink options / plugin config.
fn hostile(name: &str, mode: &str, options: &str, config: &str) -> String {
    format!(
        "\n[sinks.{name}]\ntype = \"wasm\"\nmodule = {:?}\nretry_initial_backoff = \"10ms\"\nretry_max_backoff = \"20ms\"\n{options}\n[sinks.{name}.config]\nmode = {mode:?}\n{config}\n",
        plugin("hostile").display().to_string()
    )
}

#[test]
fn hostile_plugins_are_contained_and_lose_nothing() {
    let url = redis_url();
    let prefix = unique_prefix("hostile");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let all = records(300, 11);
    push_records(&mut conn, &[&lists[0]], &all);
    // A server the plugin could reach if it were allowed to: it must see nothing.
    let bait = Receiver::start(0);
    // A port to dial with raw sockets: no connection may reach it.
    let socket_bait = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    socket_bait.set_nonblocking(true).unwrap();
    let socket_addr = socket_bait.local_addr().unwrap();

    let scratch = Scratch::new();
    let granted = scratch.path("granted");
    std::fs::create_dir_all(&granted).unwrap();
    std::fs::write(granted.join("note.txt"), "hello").unwrap();
    let archive = scratch.path("archive.jsonl");
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}{}{}{}{}{}{}{}{}{}{}",
            source_toml(&url, &prefix, "batch_size = 100"),
            plugins_toml(),
            file_sink("archive", &archive, ""),
            hostile(
                "spin",
                "loop",
                "max_retries = 1\ncall_timeout = \"300ms\"",
                ""
            ),
            hostile(
                "hoard",
                "memory",
                "max_retries = 1\nmemory_limit = \"16MiB\"",
                ""
            ),
            hostile("crash", "trap", "max_retries = 1", ""),
            hostile(
                "reach",
                "http",
                "allow_hosts = [\"127.0.0.1:9\"]",
                &format!("url = \"http://{}/steal\"", bait.addr)
            ),
            hostile("dial", "tcp", "", &format!("url = \"{socket_addr}\"")),
            hostile("peek", "file", "", "path = \"/etc/hostname\""),
            hostile(
                "granted",
                "file",
                &format!("dir = {:?}", granted.display().to_string()),
                "path = \"/data/note.txt\""
            ),
            hostile("snoop", "env", "", "name = \"HOME\""),
            hostile("calm", "ok", "", ""),
        ),
    );
    let out = drain(&config, Duration::from_secs(300));
    let log = String::from_utf8_lossy(&out.stderr);

    // The well-behaved sinks got every record.
    assert_eq!(read_jsonl(&archive).len(), all.len());
    assert!(
        bait.accepted().is_empty(),
        "the plugin reached a host not on its allow-list"
    );
    assert!(
        socket_bait.accept().is_err(),
        "the plugin opened a raw TCP connection"
    );

    let expect: HashMap<&str, &str> = [
        ("spin", "ran past its call_timeout of 300ms"),
        ("hoard", "memory"),
        ("crash", "plugin write failed"),
        ("reach", "HttpRequestDenied"),
        ("dial", "tcp refused: access-denied"),
        ("peek", "file refused"),
        ("granted", "read 5 bytes of /data/note.txt"),
        ("snoop", "env refused"),
    ]
    .into_iter()
    .collect();
    for (sink, reason) in &expect {
        let dead = dead_letters(&config, sink);
        assert_eq!(
            dead.len(),
            all.len(),
            "{sink}: every record dead-lettered, none lost"
        );
        for d in &dead {
            let r = d["reason"].as_str().unwrap();
            assert!(
                r.contains(reason),
                "{sink}: reason {r:?} should say {reason:?}"
            );
        }
    }
    assert!(dead_letters(&config, "calm").is_empty());
    assert!(
        log.contains("not on its allow_hosts"),
        "the refusal is logged"
    );
    assert!(log.contains("sink=calm delivered=300"), "{log}");
}

#[test]
fn the_records_a_sink_plugin_traps_on_are_dead_lettered_and_the_rest_delivered() {
    let url = redis_url();
    let prefix = unique_prefix("poison");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let mut all = records(300, 13);
    // Three records the plugin traps on, in both halves of the batch.
    let poison = all[137].path.clone();
    all[20].path = poison.clone();
    all[250].path = poison.clone();
    push_records(&mut conn, &[&lists[0]], &all);

    // Where the `poisoned` sink reports what it wrote.
    let receiver = Receiver::start(0);

    let scratch = Scratch::new();
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}{}{}",
            source_toml(&url, &prefix, "batch_size = 300"),
            plugins_toml(),
            // No max_retries: without isolation the batch would be retried for ever.
            hostile(
                "poisoned",
                "poison",
                &format!("allow_hosts = [{:?}]", receiver.addr),
                &format!(
                    "path = {poison:?}\nurl = \"http://{}/written\"",
                    receiver.addr
                )
            ),
            // One record per call: a record that traps alone, once the plugin has
            // written others, is the record's fault.
            hostile(
                "single",
                "poison",
                "batch_max_records = 1",
                &format!("path = {poison:?}")
            ),
        ),
    );
    let out = drain(&config, Duration::from_secs(300));
    let log = String::from_utf8_lossy(&out.stderr);
    for sink in ["poisoned", "single"] {
        let dead = dead_letters(&config, sink);
        assert_eq!(dead.len(), 3, "{sink}: only the poison records: {dead:?}");
        for d in &dead {
            let reason = d["reason"].as_str().unwrap();
            assert!(
                reason.contains("the plugin traps on this record"),
                "{sink}: {reason}"
            );
        }
        assert!(
            log.contains(&format!("sink={sink} delivered=297 dead_lettered=3")),
            "{log}"
        );
    }
    // What was written while the poison records were singled out is not written again.
    let written: Vec<String> = receiver
        .accepted()
        .iter()
        .flat_map(|r| {
            String::from_utf8_lossy(&r.body)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let distinct: std::collections::HashSet<&String> = written.iter().collect();
    assert_eq!(written.len(), 297, "each record written once");
    assert_eq!(distinct.len(), 297);
    assert!(!distinct.contains(&poison.to_string()));
}

#[test]
fn failing_filters_hold_back_only_their_sinks_and_the_records_a_filter_fails_on_are_dead_lettered()
{
    let url = redis_url();
    let prefix = unique_prefix("hostile-filter");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let mut all = records(200, 12);
    // Two records the `poison` filter traps on, in one batch.
    all[77].path = all[42].path.clone();
    push_records(&mut conn, &[&lists[0]], &all);

    let scratch = Scratch::new();
    let path = |n: &str| scratch.path(&format!("{n}.jsonl"));
    let filter = |name: &str, sink: &str, mode: &str, extra: &str| {
        format!(
            "\n[filters.{name}]\ntype = \"wasm\"\nmodule = {:?}\nsinks = [{sink:?}]\n{extra}\n[filters.{name}.config]\nmode = {mode:?}\n",
            plugin("hostile_filter").display().to_string()
        )
    };
    let filter_poison = |name: &str, sink: &str, mode: &str, extra: &str, path: &str| {
        format!("{}path = {path:?}\n", filter(name, sink, mode, extra))
    };
    let retry = "max_retries = 1\nretry_initial_backoff = \"10ms\"\nretry_max_backoff = \"20ms\"";
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}{}{}{}{}{}{}{}{}{}{}{}{}",
            source_toml(&url, &prefix, "batch_size = 100"),
            plugins_toml(),
            file_sink("archive", &path("archive"), ""),
            file_sink("trapped", &path("trapped"), retry),
            file_sink("spun", &path("spun"), retry),
            filter("crash", "trapped", "trap", ""),
            filter("spin", "spun", "loop", "call_timeout = \"300ms\""),
            filter("fine", "archive", "route-all", ""),
            file_sink("picky", &path("picky"), ""),
            filter_poison("poison", "picky", "poison", "", &all[42].path),
            // One record per call: a record the filter traps on alone, once it has routed
            // others, is the record's fault.
            file_sink("single", &path("single"), "batch_max_records = 1"),
            filter_poison("poison1", "single", "poison", "", &all[42].path),
            // A filter that loops on the same records.
            file_sink("slow", &path("slow"), ""),
            filter_poison(
                "stuck",
                "slow",
                "stuck",
                "call_timeout = \"300ms\"",
                &all[42].path
            ),
        ),
    );
    drain(&config, Duration::from_secs(300));

    assert_eq!(read_jsonl(&path("archive")).len(), all.len());
    // The records the `poison` filters trap on, and those the `stuck` filter runs past its
    // deadline on, are dead-lettered; the rest is routed.
    for (sink, filter, why) in [
        ("picky", "poison", "trapped"),
        ("single", "poison1", "trapped"),
        ("slow", "stuck", "ran past its call_timeout of 300ms"),
    ] {
        let routed = read_jsonl(&path(sink));
        assert_eq!(routed.len(), all.len() - 2, "{sink}");
        assert!(routed.iter().all(|l| l["path"] != all[42].path.as_ref()));
        let dead = dead_letters(&config, sink);
        assert_eq!(dead.len(), 2, "{sink}: {dead:?}");
        for d in &dead {
            let r = d["reason"].as_str().unwrap();
            let says = format!("the filter {filter} fails on this record: filter {filter} {why}");
            assert!(r.contains(&says), "{sink}: {r}");
        }
    }
    for (sink, reason) in [
        ("trapped", "filter crash trapped"),
        ("spun", "filter spin ran past its call_timeout of 300ms"),
    ] {
        assert!(
            read_jsonl(&path(sink)).is_empty(),
            "{sink} got nothing routed"
        );
        let dead = dead_letters(&config, sink);
        assert_eq!(dead.len(), all.len(), "{sink}: every record dead-lettered");
        for d in &dead {
            let r = d["reason"].as_str().unwrap();
            assert!(
                r.contains("gave up routing") && r.contains(reason),
                "{sink}: {r}"
            );
        }
    }
}

#[test]
fn a_plugin_built_against_another_wit_version_is_refused_with_a_clear_message() {
    let scratch = Scratch::new();
    // A component exporting the sink interface of a future contract.
    let future = scratch.path("future.wasm");
    std::fs::write(
        &future,
        r#"(component
            (core module $m (func (export "f")))
            (core instance $i (instantiate $m))
            (func $f (canon lift (core func $i "f")))
            (instance $sink (export "close" (func $f)))
            (export "tyk:pump/sink@0.2.0" (instance $sink)))"#,
    )
    .unwrap();
    let check = pump(
        &["plugin", "check", future.to_str().unwrap()],
        Duration::from_secs(60),
    );
    let err = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(2), "{err}");
    assert!(
        err.contains("tyk:pump@0.2.0") && err.contains("tyk:pump@0.1.0"),
        "{err}"
    );

    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}\n[sinks.hook]\ntype = \"wasm\"\nmodule = {:?}\n",
            source_toml(&redis_url(), &unique_prefix("wit-version"), ""),
            future.display().to_string()
        ),
    );
    let run = pump(
        &["run", "--config", config.to_str().unwrap(), "--drain"],
        Duration::from_secs(60),
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(err.contains("sinks.hook.module"), "{err}");
    assert!(err.contains("tyk:pump@0.2.0"), "{err}");
    // `pump validate` loads the plugins and says the same.
    let valid = pump(
        &["validate", "--config", config.to_str().unwrap()],
        Duration::from_secs(60),
    );
    let err = String::from_utf8_lossy(&valid.stderr);
    assert_eq!(valid.status.code(), Some(2), "{err}");
    assert!(
        err.contains("sinks.hook.module") && err.contains("tyk:pump@0.2.0"),
        "{err}"
    );

    // A filter configured as a sink is refused too, naming both worlds.
    let config = scratch.config(
        "wrong.toml",
        &format!(
            "{}\n[sinks.hook]\ntype = \"wasm\"\nmodule = {:?}\n",
            source_toml(&redis_url(), &unique_prefix("wrong-world"), ""),
            plugin("shard_by_org").display().to_string()
        ),
    );
    let run = pump(
        &["run", "--config", config.to_str().unwrap(), "--drain"],
        Duration::from_secs(120),
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        err.contains("is a filter plugin, but it is configured as a sink"),
        "{err}"
    );
}

#[test]
fn a_restart_takes_compiled_plugins_from_the_cache() {
    let scratch = Scratch::new();
    let cache = scratch.path("cache");
    let out = scratch.path("out.jsonl");
    let url = redis_url();
    let prefix = unique_prefix("plugin-cache");
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}\n[plugins]\ncache_dir = {:?}\n\n[filters.errors]\ntype = \"wasm\"\nmodule = {:?}\nsinks = [\"out\"]\n",
            source_toml(&url, &prefix, ""),
            file_sink("out", &out, ""),
            cache.display().to_string(),
            plugin("errors_only").display().to_string()
        ),
    );
    let first = drain(&config, Duration::from_secs(120));
    assert!(String::from_utf8_lossy(&first.stderr).contains("cached=false"));
    let entries = std::fs::read_dir(&cache).unwrap().count();
    assert_eq!(entries, 1, "one compiled component in the cache");
    let second = drain(&config, Duration::from_secs(120));
    assert!(String::from_utf8_lossy(&second.stderr).contains("cached=true"));
}
