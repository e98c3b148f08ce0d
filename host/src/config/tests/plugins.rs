//! Wasm sinks, `[filters.<name>]` and `[plugins]`: the issue's config shapes load as
//! written, and each mistake names its key.

use super::{MINIMAL, assert_starts, err, ok, ok_env};
use crate::config::{PluginsConfig, SinkKind};
use std::time::Duration;

const SHAPES: &str = r#"[source]
redis_url = "redis://127.0.0.1:6379/0"

[sinks.eu]
type = "file"
path = "eu.jsonl"
[sinks.us]
type = "file"
path = "us.jsonl"
[sinks.rest]
type = "file"
path = "rest.jsonl"

[sinks.hook]
type = "wasm"
module = "path/to/webhook_sink.wasm"
allow_hosts = ["127.0.0.1:9000"]
[sinks.hook.config]          # handed to the plugin
url = "http://127.0.0.1:9000/ingest"

[filters.shard]
type = "wasm"
module = "path/to/shard_by_org.wasm"
sinks = ["eu", "us", "rest"]
[filters.shard.config]       # handed to the plugin
default = "rest"
[filters.shard.config.orgs]
"5e9d9544a1dcd60001d0ed20" = "eu"
"#;

#[test]
fn the_documented_shapes_load_with_their_defaults() {
    let c = ok(SHAPES);
    let hook = c.sinks.iter().find(|s| s.name == "hook").unwrap();
    let SinkKind::Wasm(p) = &hook.settings else {
        panic!("hook is a wasm sink")
    };
    assert_eq!(p.module, std::path::Path::new("path/to/webhook_sink.wasm"));
    assert_eq!(p.allow_hosts, ["127.0.0.1:9000"]);
    assert_eq!(p.config["url"], "http://127.0.0.1:9000/ingest");
    assert_eq!(p.memory_limit, 64 << 20);
    assert_eq!(p.call_timeout, Duration::from_secs(5));
    assert!(p.watch);
    assert_eq!(p.dir, None);

    assert_eq!(c.filters.len(), 1);
    let f = &c.filters[0];
    assert_eq!(f.name, "shard");
    assert_eq!(f.sinks, ["eu", "us", "rest"]);
    assert_eq!(f.plugin.config["default"], "rest");
    assert_eq!(f.plugin.config["orgs"]["5e9d9544a1dcd60001d0ed20"], "eu");
    assert_eq!(c.plugins, PluginsConfig::default());
}

#[test]
fn plugin_options_can_be_set_and_overridden_from_the_environment() {
    let c = ok_env(
        &format!(
            "{MINIMAL}\n[sinks.hook]\ntype = \"wasm\"\nmodule = \"h.wasm\"\nmemory_limit = \"16MiB\"\ncall_timeout = \"250ms\"\ndir = \"/var/lib/hook\"\nwatch = false\n\n[plugins]\ncache_dir = \"/tmp/pump-cache\"\n"
        ),
        &[
            ("PUMP__SINKS__HOOK__CONFIG__URL", "http://x:1/"),
            ("PUMP__PLUGINS__ROLLOUT_DELAY", "1m"),
        ],
    );
    let SinkKind::Wasm(p) = &c.sinks[1].settings else {
        panic!("hook is a wasm sink")
    };
    assert_eq!(p.memory_limit, 16 << 20);
    assert_eq!(p.call_timeout, Duration::from_millis(250));
    assert_eq!(
        p.dir.as_deref(),
        Some(std::path::Path::new("/var/lib/hook"))
    );
    assert!(!p.watch);
    assert_eq!(p.config["url"], "http://x:1/");
    assert_eq!(
        c.plugins.cache_dir(),
        Some(std::path::PathBuf::from("/tmp/pump-cache"))
    );
    assert_eq!(c.plugins.rollout_delay, Duration::from_secs(60));
    assert_eq!(
        PluginsConfig::default().rollout_delay,
        Duration::from_secs(10)
    );
}

#[test]
fn plugin_mistakes_name_their_key() {
    let with = |extra: &str| format!("{SHAPES}\n{extra}");
    assert_starts(
        &err(&SHAPES.replace(
            "sinks = [\"eu\", \"us\", \"rest\"]",
            "sinks = [\"eu\", \"asia\"]",
        )),
        "pump.toml:24:16: filters.shard.sinks[1]",
    );
    assert!(
        err(&SHAPES.replace(
            "sinks = [\"eu\", \"us\", \"rest\"]",
            "sinks = [\"eu\", \"asia\"]"
        ))
        .contains(
            "filters.shard.sinks[1]: no sink is called `asia`; the sinks are: eu, hook, rest, us"
        )
    );
    let e = err(&SHAPES.replace(
        "allow_hosts = [\"127.0.0.1:9000\"]",
        "allow_hosts = [\"127.0.0.1\"]",
    ));
    assert!(
        e.contains("sinks.hook.allow_hosts[0]: `127.0.0.1` is not `host:port`"),
        "{e}"
    );
    for bad in ["http://127.0.0.1:9000", "::1:80", "h:80/path", "h:port"] {
        let e = err(&SHAPES.replace("\"127.0.0.1:9000\"]", &format!("{bad:?}]")));
        assert!(e.contains("is not `host:port`"), "{bad}: {e}");
    }
    ok(&SHAPES.replace("\"127.0.0.1:9000\"]", "\"[::1]:9000\"]"));
    let e = err(&SHAPES.replace("module = \"path/to/webhook_sink.wasm\"\n", ""));
    assert!(e.contains("missing field `module`"), "{e}");
    let e = err(&with(
        "[filters.bad]\ntype = \"lua\"\nmodule = \"x\"\nsinks = [\"eu\"]",
    ));
    assert!(
        e.contains("filters.bad.type: the only filter type is \"wasm\""),
        "{e}"
    );
    let e = err(&with("[filters.bad]\ntype = \"wasm\"\nmodule = \"x\""));
    assert!(
        e.contains("filters.bad.sinks: missing field `sinks`"),
        "{e}"
    );
    let e = err(&with(
        "[filters.bad]\ntype = \"wasm\"\nmodule = \"x\"\nsinks = [\"eu\"]\nallow_hosts = [\"a:1\"]",
    ));
    assert!(
        e.contains("filters.bad.allow_hosts: filters have no network access"),
        "{e}"
    );
    let e = err(&SHAPES.replace(
        "allow_hosts = [\"127.0.0.1:9000\"]",
        "allow_hosts = [\"127.0.0.1:9000\"]\ncall_timeout = \"0s\"",
    ));
    assert!(
        e.contains("sinks.hook.call_timeout: must be more than zero"),
        "{e}"
    );
    assert_starts(
        &err(&with("[plugins]\nrollout_delay = \"soon\"")),
        "pump.toml:31:17: plugins.rollout_delay: invalid duration `soon`",
    );
    let e = err(&with("[plugins]\ncahce = true"));
    assert!(e.contains("unknown field `cahce`"), "{e}");
    let e = err(&SHAPES.replace(
        "type = \"wasm\"\nmodule = \"path/to/webhook",
        "type = \"wasm\"\nfoo = 1\nmodule = \"path/to/webhook",
    ));
    assert!(e.contains("unknown field `foo`"), "{e}");
}
