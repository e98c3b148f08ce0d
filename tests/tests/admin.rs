//! The admin endpoint and `pump status`: health follows Redis, metrics follow deliveries.

use pump_tests::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// `GET path` on the admin endpoint: (status code, body).
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((code, body))
}

fn metric(body: &str, name: &str) -> Option<u64> {
    body.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
}

#[test]
fn health_follows_redis_and_metrics_count_what_was_delivered() {
    let mut server = RedisServer::start();
    let url = server.url();
    let prefix = unique_prefix("admin");
    let scratch = Scratch::new();
    let out = scratch.path("out.jsonl");
    let port = free_port();
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}\n[admin]\nlisten = \"127.0.0.1:{port}\"\n{}",
            source_toml(&url, &prefix, ""),
            file_sink("archive", &out, "")
        ),
    );
    let (lists, _) = lists(&prefix);
    let mut conn = redis(&url);
    let all = records(2000, 21);
    let expected = push_records(&mut conn, &[&lists[0], &lists[3], &lists[5]], &all);
    // One malformed record: counted as dead-lettered.
    push(&mut conn, &lists[0], &[b"\xc1".to_vec()]);

    let log = scratch.path("pump.log");
    let mut pump = Running::start(&config, &[], &log);
    let delivered = wait_for_records(&[&out], &expected, Duration::from_secs(60));
    delivered.assert_complete(&expected, "archive");

    let ready = wait_for(Duration::from_secs(10), || {
        get(port, "/ready").is_some_and(|(c, _)| c == 200)
    });
    assert!(ready, "/ready never answered 200");
    let counted = wait_for(Duration::from_secs(10), || {
        get(port, "/metrics").is_some_and(|(_, body)| {
            metric(&body, "pump_records_delivered_total{sink=\"archive\"}") == Some(2000)
                && metric(&body, "pump_records_dead_lettered_total{sink=\"archive\"}") == Some(1)
                && metric(&body, "pump_records_claimed_total") == Some(2001)
        })
    });
    let (_, body) = get(port, "/metrics").expect("metrics");
    assert!(counted, "metrics do not match the deliveries:\n{body}");
    assert!(
        body.contains("pump_sink_write_duration_seconds_bucket{"),
        "{body}"
    );
    assert!(
        body.contains("pump_sink_lag_records{sink=\"archive\"}"),
        "{body}"
    );
    assert_eq!(get(port, "/health").map(|(c, _)| c), Some(200));

    server.stop();
    let down = wait_for(Duration::from_secs(15), || {
        get(port, "/health").is_some_and(|(c, b)| c == 503 && b.contains("redis"))
    });
    assert!(
        down,
        "/health did not report Redis going away: {:?}",
        get(port, "/health")
    );
    server.restart();
    let up = wait_for(Duration::from_secs(30), || {
        get(port, "/health").is_some_and(|(c, _)| c == 200)
    });
    assert!(
        up,
        "/health did not recover with Redis: {:?}",
        get(port, "/health")
    );
    assert!(
        pump.terminate(Duration::from_secs(30)),
        "pump did not stop cleanly"
    );
}

#[test]
fn status_shows_backlogs_lag_and_dead_letters() {
    let url = redis_url();
    let prefix = unique_prefix("status");
    let scratch = Scratch::new();
    let (config, _) = archive_config(&scratch, &url, &prefix, "");
    let (lists, _) = lists(&prefix);
    let mut conn = redis(&url);
    push_records(&mut conn, &[&lists[0]], &records(300, 22));
    push(&mut conn, &lists[0], &[b"\xc1".to_vec()]);
    drain(&config, Duration::from_secs(60));
    push_records(&mut conn, &[&lists[2]], &records(50, 23));

    let out = pump(
        &["status", "--config", config.to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let waiting = text
        .lines()
        .find(|l| l.starts_with(&format!("{} ", lists[2])))
        .unwrap_or_default();
    assert_eq!(waiting.split_whitespace().nth(1), Some("50"), "{text}");
    let sink = text
        .lines()
        .find(|l| l.starts_with("archive "))
        .unwrap_or_default();
    let cols: Vec<&str> = sink.split_whitespace().collect();
    // SINK, LAG, LAG AGE, PENDING, DEAD LETTERS, CONSUMERS
    assert_eq!(
        (cols.get(1), cols.get(3), cols.get(4)),
        (Some(&"0"), Some(&"0"), Some(&"1")),
        "{text}"
    );
}
