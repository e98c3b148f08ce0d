//! A drain over several of the gateway's keys, with malformed entries between the records.

use pump_tests::*;
use std::time::Duration;

#[test]
fn file_sink_gets_exactly_the_valid_records_and_the_dead_letters_the_malformed() {
    let url = redis_url();
    let prefix = unique_prefix("drain");
    let mut conn = redis(&url);
    let (lists, uptime) = lists(&prefix);
    let used: Vec<&String> = vec![&lists[0], &lists[1], &lists[4], &lists[7], &lists[20]];
    let all = records(3000, 1);
    let malformed: Vec<Vec<u8>> = vec![
        b"\xc1".to_vec(),
        b"\x92\x01\x02".to_vec(),
        b"\xde\x00\x23\xa6Method".to_vec(),
        b"{\"json\":true}".to_vec(),
        Vec::new(),
    ];
    let mut expected = std::collections::HashMap::new();
    let mut bad = 0;
    for (i, r) in all.iter().enumerate() {
        let list = used[i % used.len()];
        push(&mut conn, list, &[encode_for(list, r)]);
        let mut want = serde_json::to_value(r).unwrap();
        if list.ends_with("_protobuf") {
            // Tyk's protobuf schema has no gateway latency.
            want["latency"]["gateway"] = 0.into();
        }
        expected.insert(r.path.to_string(), want);
        if i % 600 == 300 {
            let m = &malformed[bad % malformed.len()];
            // Protobuf decoding accepts some garbage as a valid (empty) message, so
            // malformed entries go to the msgpack keys, where they are certainly invalid.
            push(&mut conn, &lists[0], std::slice::from_ref(m));
            bad += 1;
        }
    }
    // No sink takes uptime records here: the uptime list must be left alone.
    let _: i64 = redis::cmd("RPUSH")
        .arg(&uptime)
        .arg("u")
        .query(&mut conn)
        .unwrap();

    let scratch = Scratch::new();
    let out = scratch.path("out.jsonl");
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}\n[sinks.archive]\ntype = \"file\"\npath = {:?}\nbatch_max_records = 700\n",
            source_toml(&url, &prefix, "batch_size = 250"),
            out.display().to_string()
        ),
    );
    drain(&config, Duration::from_secs(120));

    let lines = read_jsonl(&out);
    let (paths, dups) = count_paths(&lines);
    assert_eq!(dups, 0, "no record twice in a clean drain");
    assert_eq!(lines.len(), all.len());
    for line in &lines {
        let path = line["path"].as_str().unwrap();
        assert_eq!(line, &expected[path], "record {path} differs");
    }
    assert_eq!(paths.len(), all.len());

    let cfg = config.to_str().unwrap();
    let count = pump(&["dlq", "count", "--config", cfg], Duration::from_secs(30));
    assert!(count.status.success());
    assert_eq!(
        String::from_utf8_lossy(&count.stdout).trim(),
        format!("archive\t{bad}")
    );
    let listed = pump(
        &[
            "dlq", "list", "--config", cfg, "--sink", "archive", "--json", "--limit", "100",
        ],
        Duration::from_secs(30),
    );
    let dead: Vec<serde_json::Value> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(dead.len(), bad);
    for d in &dead {
        assert_eq!(d["source"], lists[0].as_str());
        assert!(
            d["reason"]
                .as_str()
                .unwrap()
                .contains("undecodable analytics/msgpack record"),
            "{d}"
        );
    }
    let left: i64 = redis::cmd("LLEN").arg(&uptime).query(&mut conn).unwrap();
    assert_eq!(
        left, 1,
        "the uptime list is untouched while no sink takes uptime records"
    );
}
