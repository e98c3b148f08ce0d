//! A drain through a three-node Redis Cluster: the gateway's lists sit on different nodes,
//! each with its stream and batches in the same slot.

use pump_tests::*;
use std::time::Duration;

#[test]
fn drain_through_a_redis_cluster_loses_nothing() {
    let cluster = RedisCluster::start();
    let mut conn = cluster.connection();
    let prefix = unique_prefix("cluster");
    let (all, _) = lists(&prefix);
    let used: Vec<&str> = all.iter().step_by(3).map(String::as_str).collect();
    let expected = push_records(&mut conn, &used, &records(6_000, 41));
    push(&mut conn, &all[0], &[b"\xc1 not msgpack".to_vec()]);
    // The lists really are spread over the nodes (else this tests a single server).
    let nodes_with_keys = cluster
        .nodes
        .iter()
        .filter(|n| {
            redis::cmd("DBSIZE")
                .query::<u64>(&mut redis(&n.url()))
                .unwrap()
                > 0
        })
        .count();
    assert!(
        nodes_with_keys >= 2,
        "the lists should sit on several nodes"
    );

    let scratch = Scratch::new();
    let out = scratch.path("out.jsonl");
    let urls: Vec<String> = cluster.nodes.iter().map(|n| n.url()).collect();
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}",
            source_toml(
                &urls[0],
                &prefix,
                &format!(
                    "batch_size = 300\ncluster = true\ncluster_urls = {:?}",
                    &urls[1..]
                )
            ),
            file_sink("archive", &out, "")
        ),
    );
    drain(&config, Duration::from_secs(120));

    let got = Delivered::read(&[&out]);
    let dups = got.assert_complete(&expected, "cluster drain");
    assert_eq!(dups, 0, "{dups} records delivered twice in a clean drain");
    let count = pump(
        &["dlq", "count", "--config", config.to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert!(
        count.status.success(),
        "{}",
        String::from_utf8_lossy(&count.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&count.stdout).trim(), "archive\t1");
    let left = waiting(&mut conn, &used);
    assert_eq!(left, 0, "records left in the gateway's lists");
}
