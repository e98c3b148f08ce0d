//! Unit tests of the elasticsearch sink: options, documents and ids, what answers mean,
//! how writes are cut. Behaviour against a real server is in `tests/tests/elasticsearch.rs`.

use super::config::{ElasticsearchConfig, NodeUrl};
use super::encoder::{Encoder, document_id};
use super::retry::{BulkAnswer, item_outcome, item_outcomes, read_bulk_reply};
use super::service::{Reply, Service};
use super::setup;
use super::sink::{ElasticsearchSink, cut};
use super::version::{Distribution, ServerVersion};
use crate::{Outcome, Record, Sink};
use pump_record::{AnalyticsRecord, McpStats, Timestamp, UptimeRecord};
use serde_json::{Value, json};

fn config(toml_text: &str) -> Result<ElasticsearchConfig, String> {
    toml::from_str(toml_text).map_err(|e| e.to_string())
}

fn sample() -> AnalyticsRecord<'static> {
    AnalyticsRecord {
        method: "POST".into(),
        host: "api.example.com".into(),
        path: "/orders/42".into(),
        raw_path: "/orders/42?x=1".into(),
        content_length: 123,
        user_agent: "curl/8".into(),
        response_code: 201,
        api_key: "key-1".into(),
        // 2024-05-01T23:59:59.5Z
        timestamp: Timestamp::new(1_714_607_999, 500_000_000),
        api_version: "v2".into(),
        api_name: "Orders".into(),
        api_id: "api-1".into(),
        org_id: "org-1".into(),
        oauth_id: "oauth-1".into(),
        request_time: 17,
        raw_request: "R0VUIC8gSFRUUC8xLjE=".into(),
        raw_response: "not base64!".into(),
        ip_address: "10.0.0.1".into(),
        tags: Some(vec!["a".into(), "b".into()]),
        alias: "shop".into(),
        ..Default::default()
    }
}

fn encode(encoder: &mut Encoder, r: &AnalyticsRecord<'_>) -> (Value, Value) {
    let mut out = Vec::new();
    encoder.encode_analytics(r, &mut out);
    let text = std::str::from_utf8(&out).unwrap();
    assert!(text.ends_with('\n'));
    let lines: Vec<&str> = text.trim_end().split('\n').collect();
    assert_eq!(lines.len(), 2, "{text}");
    (
        serde_json::from_str(lines[0]).unwrap(),
        serde_json::from_str(lines[1]).unwrap(),
    )
}

// ---- options

#[test]
fn the_issue_config_works_as_written_with_tyk_defaults() {
    let c = config(
        r#"
        elasticsearch_url = "http://127.0.0.1:9200"
        index_name = "tyk_analytics"
        rolling_index = true
        "#,
    )
    .unwrap();
    c.check().unwrap();
    assert!(c.rolling_index && !c.extended_stats && !c.decode_base64 && !c.disable_template);
    assert_eq!(c.nodes().len(), 1);
    assert_eq!(c.nodes()[0].url.as_str(), "http://127.0.0.1:9200/");
    assert_eq!(c.bulk_config.bulk_actions, Some(1000));
    assert_eq!(c.bulk_config.bulk_size, Some(5 << 20));
    assert_eq!(c.bulk_config.workers, 2);
    assert!(!c.gzip());
    assert_eq!(c.template_name(), "tyk_analytics");

    let d = config("").unwrap();
    assert_eq!(d.index_name, "tyk_analytics");
    assert_eq!(d.nodes()[0].url.as_str(), "http://localhost:9200/");
}

#[test]
fn every_option_reads() {
    let c = config(
        r#"
        elasticsearch_url = "https://es1:9200"
        elasticsearch_urls = ["https://es2:9200", "https://es1:9200"]
        index_name = "analytics"
        extended_stats = true
        decode_base64 = true
        generate_id = true
        version = "opensearch-2"
        disable_template = true
        template_name = "analytics-template"
        auth_api_key_id = "id"
        auth_api_key = "secret"
        ssl_ca_cert_file = "/etc/ca.pem"
        ssl_insecure_skip_verify = false
        compression = "gzip"
        request_timeout = "1m30s"
        bulk_config = { bulk_actions = -1, bulk_size = "10MiB", workers = 4, flush_interval = 1 }
        "#,
    )
    .unwrap();
    c.check().unwrap();
    let nodes: Vec<String> = c.nodes().iter().map(|n| n.url.to_string()).collect();
    assert_eq!(nodes, ["https://es1:9200/", "https://es2:9200/"]);
    let tyk = config("elasticsearch_url = \"http://a:9200, http://b:9200\"").unwrap();
    assert_eq!(tyk.nodes().len(), 2, "Tyk's comma-separated list");
    assert_eq!(c.bulk_config.bulk_actions, None);
    assert_eq!(c.bulk_config.bulk_size, Some(10 << 20));
    assert_eq!(c.request_timeout, std::time::Duration::from_secs(90));
    assert_eq!(
        c.version,
        Some(ServerVersion {
            distribution: Distribution::OpenSearch,
            major: 2,
            minor: 0
        })
    );
    assert!(c.gzip());
    assert_eq!(c.template_name(), "analytics-template");
}

#[test]
fn bad_options_are_refused_with_what_to_do() {
    let cases = [
        ("elasticsearch_url = \"ftp://x\"", "http or https"),
        ("elasticsearch_url = \"not a url\"", "not a URL"),
        ("elasticsearch_url = \" , \"", "is empty"),
        ("index_name = \"Tyk\"", "uppercase"),
        ("index_name = \"_x\"", "starts with"),
        ("index_name = \"a b\"", "contains"),
        ("generate_id = false", "remove `generate_id = false`"),
        ("version = \"6\"", "Elasticsearch 6.0 is not supported"),
        ("version = \"9\"", "not supported"),
        ("version = \"opensearch-4\"", "not supported"),
        ("version = \"banana\"", "not a version"),
        ("compression = \"zstd\"", "unknown variant"),
        (
            "bulk_config = { bulk_size = \"5 parsecs\" }",
            "unknown unit",
        ),
        ("bulk_config = { bulk_actions = 0 }", "at least 1"),
        ("bulk_config = { workers = 0 }", "at least 1"),
        ("request_timeout = \"soon\"", "invalid duration"),
        ("elasticsearch_uri = \"http://x\"", "unknown field"),
    ];
    for (text, expected) in cases {
        let err = config(text).expect_err(text);
        assert!(err.contains(expected), "{text}: {err}");
    }
}

#[test]
fn options_that_go_together_are_checked_at_start_up() {
    let cases = [
        ("auth_basic_username = \"u\"", "auth_basic_password"),
        ("auth_basic_password = \"p\"", "auth_basic_username"),
        ("auth_api_key_id = \"i\"", "auth_api_key"),
        (
            "auth_basic_username = \"u\"\nauth_basic_password = \"p\"\nauth_api_key = \"k\"",
            "keep one",
        ),
        ("ssl_cert_file = \"/c.pem\"", "ssl_key_file"),
        ("auth_api_key = \"\"", "`auth_api_key` is empty"),
        ("template_name = \"A\"", "template_name"),
    ];
    for (text, expected) in cases {
        let err = config(text).unwrap().check().expect_err(text);
        assert!(err.0.contains(expected), "{text}: {err}");
    }
}

#[test]
fn credentials_in_a_url_are_taken_out_of_it() {
    let n = NodeUrl::parse("https://elastic:p%40ss@es.internal:9243/prefix").unwrap();
    assert_eq!(n.url.as_str(), "https://es.internal:9243/prefix/");
    assert_eq!(
        n.credentials,
        Some(("elastic".to_string(), "p@ss".to_string()))
    );
}

#[test]
fn auth_headers_are_basic_or_api_key() {
    let headers = |text: &str| {
        Service::new(&config(text).unwrap())
            .unwrap()
            .node_auth()
            .into_iter()
            .map(|(_, a)| a)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        headers("auth_basic_username = \"u\"\nauth_basic_password = \"p\""),
        [Some("Basic dTpw".to_string())]
    );
    assert_eq!(
        headers("auth_api_key_id = \"id\"\nauth_api_key = \"key\""),
        [Some("ApiKey aWQ6a2V5".to_string())]
    );
    assert_eq!(
        headers("auth_api_key = \"ZW5jb2RlZA==\""),
        [Some("ApiKey ZW5jb2RlZA==".to_string())]
    );
    assert_eq!(
        headers("elasticsearch_url = \"http://u:p@h:9200\""),
        [Some("Basic dTpw".to_string())]
    );
    assert_eq!(headers(""), [None]);
}

#[test]
fn tls_files_are_read_at_start_up_and_named_when_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, TEST_CERT).unwrap();
    std::fs::write(&key, TEST_KEY).unwrap();
    let ok = format!(
        "elasticsearch_url = \"https://h:9200\"\nssl_ca_cert_file = {cert:?}\nssl_cert_file = {cert:?}\nssl_key_file = {key:?}"
    );
    Service::new(&config(&ok).unwrap()).unwrap();
    Service::new(&config("ssl_insecure_skip_verify = true").unwrap()).unwrap();

    let missing = "ssl_ca_cert_file = \"/nonexistent/ca.pem\"";
    let err = Service::new(&config(missing).unwrap()).err().unwrap();
    assert!(
        err.0.contains("`ssl_ca_cert_file`") && err.0.contains("/nonexistent/ca.pem"),
        "{err}"
    );

    let not_pem = dir.path().join("empty.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let err = Service::new(&config(&format!("ssl_ca_cert_file = {not_pem:?}")).unwrap())
        .err()
        .unwrap();
    assert!(err.0.contains("no certificate"), "{err}");

    let bad_key = format!("ssl_cert_file = {cert:?}\nssl_key_file = {not_pem:?}");
    let err = Service::new(&config(&bad_key).unwrap()).err().unwrap();
    assert!(err.0.contains("`ssl_key_file`"), "{err}");
}

// ---- versions

#[test]
fn versions_are_read_from_get_root_and_checked() {
    let osmem = br#"{"name":"osmem-node","tagline":"The OpenSearch Project: https://opensearch.org/","version":{"distribution":"opensearch","number":"3.8.0"}}"#;
    let v = ServerVersion::from_root(osmem).unwrap();
    assert_eq!(v.to_string(), "OpenSearch 3.8");
    assert!(v.is_supported() && v.composable_templates());

    let es = |number: &str| {
        ServerVersion::from_root(
            json!({"version": {"number": number, "build_flavor": "default"}, "tagline": "You Know, for Search"})
                .to_string()
                .as_bytes(),
        )
        .unwrap()
    };
    assert!(es("8.13.4").is_supported());
    assert!(es("7.17.0").is_supported());
    assert!(!es("7.7.1").composable_templates());
    assert!(es("7.8.0").composable_templates());
    assert!(!es("6.8.23").is_supported());
    assert!(!es("9.0.0").is_supported());
    let refused = setup::check_supported(es("6.8.23"), "http://old:9200/").unwrap_err();
    let text = refused.to_string();
    assert!(
        text.contains("`elasticsearch_url` http://old:9200/ is Elasticsearch 6.8")
            && text.contains("set `version`"),
        "{text}"
    );
    assert!(
        matches!(refused, setup::SetupError::Refused(_)),
        "stops the start-up"
    );
    assert!(ServerVersion::from_root(b"<html>").is_err());
    assert!(ServerVersion::from_root(b"{}").is_err());
}

// ---- documents

#[test]
fn documents_have_tyk_fields_and_nothing_else() {
    let mut e = Encoder::with_options("tyk_analytics", false, false, false).unwrap();
    let (action, doc) = encode(&mut e, &sample());
    let id = action["create"]["_id"].as_str().unwrap();
    assert_eq!(id.len(), 32);
    assert_eq!(action["create"]["_index"], "tyk_analytics");
    assert_eq!(
        doc,
        json!({
            "@timestamp": "2024-05-01T23:59:59.500000000Z",
            "http_method": "POST",
            "request_uri": "/orders/42",
            "request_uri_full": "/orders/42?x=1",
            "response_code": 201,
            "ip_address": "10.0.0.1",
            "api_key": "key-1",
            "api_version": "v2",
            "api_name": "Orders",
            "api_id": "api-1",
            "org_id": "org-1",
            "oauth_id": "oauth-1",
            "request_time_ms": 17,
            "alias": "shop",
            "content_length": 123,
            "tags": ["a", "b"],
        })
    );
    let (_, doc) = encode(
        &mut e,
        &AnalyticsRecord {
            tags: None,
            ..sample()
        },
    );
    assert_eq!(doc["tags"], Value::Null, "nil tags stay null, as in Tyk");
}

#[test]
fn extended_stats_add_raw_messages_decoded_on_request() {
    let mut e = Encoder::with_options("t", false, true, false).unwrap();
    let (_, doc) = encode(&mut e, &sample());
    assert_eq!(doc["raw_request"], "R0VUIC8gSFRUUC8xLjE=");
    assert_eq!(doc["raw_response"], "not base64!");
    assert_eq!(doc["user_agent"], "curl/8");

    let mut e = Encoder::with_options("t", false, true, true).unwrap();
    let (_, doc) = encode(&mut e, &sample());
    assert_eq!(doc["raw_request"], "GET / HTTP/1.1");
    assert_eq!(doc["raw_response"], "not base64!", "kept when not base64");

    let mut e = Encoder::with_options("t", false, false, true).unwrap();
    let (_, doc) = encode(&mut e, &sample());
    assert!(doc.get("raw_request").is_none() && doc.get("user_agent").is_none());
}

#[test]
fn mcp_records_carry_their_method_and_primitive() {
    let mut e = Encoder::with_options("t", false, false, false).unwrap();
    let r = AnalyticsRecord {
        mcp_stats: McpStats {
            is_mcp: true,
            jsonrpc_method: "tools/call".into(),
            primitive_type: "tool".into(),
            primitive_name: "get_weather".into(),
        },
        ..sample()
    };
    let (_, doc) = encode(&mut e, &r);
    assert_eq!(doc["mcp_method"], "tools/call");
    assert_eq!(doc["mcp_primitive_type"], "tool");
    assert_eq!(doc["mcp_primitive_name"], "get_weather");
    let (_, doc) = encode(&mut e, &sample());
    assert!(doc.get("mcp_method").is_none());
}

#[test]
fn timestamps_render_as_rfc3339_utc_for_any_year() {
    let mut e = Encoder::with_options("t", false, false, false).unwrap();
    for t in [
        Timestamp::GO_ZERO,
        Timestamp::new(0, 0),
        Timestamp::new(-1, 999_999_999),
        Timestamp::new(1_714_607_999, 500_000_000),
        Timestamp::new(253_402_300_799, 999_999_999),
        Timestamp::new(253_402_300_800, 0),
        Timestamp::new(-62_198_755_200, 0),
    ] {
        let (_, doc) = encode(
            &mut e,
            &AnalyticsRecord {
                timestamp: t,
                ..sample()
            },
        );
        assert_eq!(doc["@timestamp"], t.to_string());
    }
}

#[test]
fn daily_indexes_follow_the_record_timestamp_in_utc() {
    let mut e = Encoder::with_options("tyk_analytics", true, false, false).unwrap();
    let at = |secs, nanos| AnalyticsRecord {
        timestamp: Timestamp::new(secs, nanos),
        ..sample()
    };
    let index = |e: &mut Encoder, r| encode(e, &r).0["create"]["_index"].clone();
    assert_eq!(
        index(&mut e, at(1_714_607_999, 999_999_999)),
        "tyk_analytics-2024.05.01"
    );
    assert_eq!(
        index(&mut e, at(1_714_608_000, 0)),
        "tyk_analytics-2024.05.02"
    );
    assert_eq!(
        index(&mut e, at(1_714_607_999, 0)),
        "tyk_analytics-2024.05.01"
    );
    assert_eq!(
        index(&mut e, at(951_782_400, 0)),
        "tyk_analytics-2000.02.29"
    );
}

#[test]
fn ids_are_stable_and_depend_on_every_field() {
    let mut scratch = Vec::new();
    let id = |r: &AnalyticsRecord<'_>, s: &mut Vec<u8>| {
        String::from_utf8(document_id(r, s).to_vec()).unwrap()
    };
    let base = id(&sample(), &mut scratch);
    // Pinned: a different id for the same record would store re-deliveries across an
    // upgrade twice. Change it only with the scheme (`ID_SCHEME`).
    assert_eq!(base, GOLDEN_ID);
    assert_eq!(id(&sample().into_owned(), &mut scratch), base);
    assert_eq!(id(&AnalyticsRecord::default(), &mut scratch).len(), 32);

    let mut variants = vec![
        AnalyticsRecord {
            host: "other".into(),
            ..sample()
        },
        AnalyticsRecord {
            timestamp: Timestamp::new(1_714_607_999, 500_000_001),
            ..sample()
        },
        AnalyticsRecord {
            tags: None,
            ..sample()
        },
        AnalyticsRecord {
            tags: Some(vec![]),
            ..sample()
        },
        AnalyticsRecord {
            tags: Some(vec!["ab".into()]),
            ..sample()
        },
        AnalyticsRecord {
            track_path: true,
            ..sample()
        },
    ];
    let mut r = sample();
    r.latency.upstream = 1;
    variants.push(r);
    let mut r = sample();
    r.geo.location.latitude = 0.5;
    variants.push(r);
    let mut r = sample();
    r.graphql_stats.operation_type = 1;
    variants.push(r);
    let mut r = sample();
    // Moving bytes between neighbouring strings must not collide.
    r.api_version = "v".into();
    r.api_name = "2Orders".into();
    variants.push(r);
    let mut seen = std::collections::HashSet::from([base]);
    for v in &variants {
        assert!(seen.insert(id(v, &mut scratch)), "{v:?}");
    }
}

#[test]
fn uptime_records_are_refused() {
    let mut e = Encoder::with_options("t", false, false, false).unwrap();
    let mut out = Vec::new();
    let err = e
        .encode(&Record::Uptime(Box::new(UptimeRecord::default())), &mut out)
        .unwrap_err();
    assert!(err.contains("uptime"), "{err}");
    assert!(out.is_empty());
}

// ---- answers

#[test]
fn bulk_items_are_written_retried_or_rejected_one_by_one() {
    let body = json!({"errors": true, "items": [
        {"create": {"_id": "a", "status": 201, "result": "created"}},
        {"create": {"_id": "b", "status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "[b]: version conflict, document already exists"}}},
        {"create": {"_id": "c", "status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "rejected execution"}}},
        {"create": {"_id": "d", "status": 400, "error": {"type": "mapper_parsing_exception", "reason": "failed to parse field [alias] of type [long]", "caused_by": {"type": "illegal_argument_exception", "reason": "For input string: \"shop\""}}}},
        {"create": {"_id": "e", "status": 503, "error": {"type": "unavailable_shards_exception", "reason": "primary shard is not active"}}},
        {"index": {"_id": "f", "status": 200}},
        {"create": {"_id": "h", "status": 400, "error": {"type": "index_closed_exception", "reason": "closed"}}},
        {"create": {"_id": "g"}},
    ]});
    let outcomes = item_outcomes(body.to_string().as_bytes(), 8).unwrap();
    assert_eq!(outcomes[0], Outcome::Written);
    assert_eq!(
        outcomes[1],
        Outcome::Written,
        "409 on create: already stored"
    );
    assert!(
        matches!(&outcomes[2], Outcome::Retry(r) if r.contains("es_rejected_execution_exception"))
    );
    match &outcomes[3] {
        Outcome::Rejected(r) => {
            assert!(
                r.contains("mapper_parsing_exception: failed to parse field [alias]"),
                "{r}"
            );
            assert!(r.contains("caused by illegal_argument_exception"), "{r}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&outcomes[4], Outcome::Retry(_)));
    assert!(
        matches!(&outcomes[5], Outcome::Retry(_)),
        "an item of another action than `create` does not answer this request"
    );
    assert!(
        matches!(&outcomes[6], Outcome::Retry(_)),
        "a closed index clears when the operator acts: the record waits"
    );
    assert!(
        matches!(&outcomes[7], Outcome::Retry(_)),
        "no status: never written"
    );

    assert!(matches!(item_outcome(403, None), Outcome::Retry(_)));
    assert!(matches!(item_outcome(404, None), Outcome::Retry(_)));
    assert!(matches!(item_outcome(400, None), Outcome::Rejected(_)));
}

#[test]
fn an_answer_that_does_not_account_for_every_document_writes_nothing() {
    let two = json!({"errors": false, "items": [{"create": {"status": 201}}, {"create": {"status": 201}}]});
    assert!(item_outcomes(two.to_string().as_bytes(), 3).is_err());
    assert!(item_outcomes(b"{\"errors\":false}", 1).is_err());
    assert!(item_outcomes(b"<html>bad gateway</html>", 1).is_err());
    let reply = |status, body: &str| Reply {
        status,
        body: body.to_string().into_bytes().into(),
        node: "http://n1:9200/".to_string(),
    };
    assert!(matches!(
        read_bulk_reply(&reply(200, "{}"), 1),
        BulkAnswer::Failed(_)
    ));
    match read_bulk_reply(
        &reply(
            500,
            r#"{"error":{"type":"x_exception","reason":"boom"},"status":500}"#,
        ),
        1,
    ) {
        BulkAnswer::Failed(why) => assert!(why.contains("HTTP 500: x_exception: boom"), "{why}"),
        other => panic!("{other:?}"),
    }
    match read_bulk_reply(&reply(401, ""), 1) {
        BulkAnswer::Failed(why) => assert!(why.contains("auth_basic_username"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        read_bulk_reply(&reply(413, ""), 2),
        BulkAnswer::TooLarge(_)
    ));
}

// ---- requests

#[test]
fn writes_are_cut_by_documents_and_bytes() {
    // Documents of 100 bytes each.
    let ends: Vec<usize> = (1..=10).map(|k| k * 100).collect();
    assert_eq!(cut(&ends, 1000, 1 << 20), vec![0..10]);
    assert_eq!(cut(&ends, 4, 1 << 20), vec![0..4, 4..8, 8..10]);
    assert_eq!(cut(&ends, 1000, 250), vec![0..2, 2..4, 4..6, 6..8, 8..10]);
    assert_eq!(
        cut(&ends, 1000, 50),
        (0..10).map(|k| k..k + 1).collect::<Vec<_>>()
    );
    // A large document goes alone; the others still share requests.
    let ends = [100, 200, 1200, 1300, 1400];
    assert_eq!(cut(&ends, 1000, 300), vec![0..2, 2..3, 3..5]);
    assert!(cut(&[], 10, 10).is_empty());
}

#[test]
fn the_template_maps_tyk_fields_for_either_template_api() {
    let c = config("index_name = \"tyk\"").unwrap();
    let os = ServerVersion {
        distribution: Distribution::OpenSearch,
        major: 2,
        minor: 11,
    };
    let (path, body) = setup::template(&c, os);
    assert_eq!(path, "_index_template/tyk");
    assert_eq!(body["index_patterns"], json!(["tyk", "tyk-*"]));
    let props = &body["template"]["mappings"]["properties"];
    assert_eq!(props["@timestamp"]["type"], "date");
    assert_eq!(props["response_code"]["type"], "long");
    assert_eq!(props["api_id"]["fields"]["keyword"]["type"], "keyword");
    assert_eq!(props["raw_request"], json!({"type": "text"}));

    let old = ServerVersion {
        distribution: Distribution::Elasticsearch,
        major: 7,
        minor: 4,
    };
    let (path, body) = setup::template(&c, old);
    assert_eq!(path, "_template/tyk");
    assert_eq!(body["mappings"]["date_detection"], false);
}

// ---- the sink without a server

#[tokio::test]
async fn a_sink_whose_nodes_are_down_starts_and_retries_every_record() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = config(&format!(
        "elasticsearch_url = \"http://127.0.0.1:{port}\"\nrequest_timeout = \"2s\""
    ))
    .unwrap();
    let mut sink = ElasticsearchSink::connect(&c).await.unwrap();
    let batch = vec![
        Record::Analytics(Box::new(sample())),
        Record::Uptime(Box::default()),
    ];
    let outcomes = sink.write(&batch).await;
    assert_eq!(outcomes.len(), 2);
    for o in outcomes {
        match o {
            Outcome::Retry(why) => assert!(why.contains(&format!("127.0.0.1:{port}")), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}

const GOLDEN_ID: &str = "09869e1c5b55bf7a3a741e9f03ccf760";

const TEST_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBgDCCASWgAwIBAgIUG5UX+r0CMP9+mdLFyXVyAH3J2UwwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJcHVtcC10ZXN0MCAXDTI2MTEyODA3NDAwNloYDzIxMjYxMTA0
MDc0MDA2WjAUMRIwEAYDVQQDDAlwdW1wLXRlc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARKeZXIsgmhN2PPDyT+e+hGna1dT9LnKXc3nbmqDY9YlxG5v0E+Y+3G
7mAr+i8hMfHYB8k3ToXLZOB2sVsZSps8o1MwUTAdBgNVHQ4EFgQUAU2O3VzMWwgj
gzXQxjmDSemWbBUwHwYDVR0jBBgwFoAUAU2O3VzMWwgjgzXQxjmDSemWbBUwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEA09hHwLCtQXmjiSZBJcch
+JMj4TKxf5nfR1EUpIle5usCIQD4+SssBrpvM9HXdz+zMQN2FxpGiTs2eciTd3ZV
Js/KQA==
-----END CERTIFICATE-----
";

const TEST_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/RP7kUkrxozRFZYo
x3BaaVsl1vrCTJMuFvZLsZjGoo2hRANCAARKeZXIsgmhN2PPDyT+e+hGna1dT9Ln
KXc3nbmqDY9YlxG5v0E+Y+3G7mAr+i8hMfHYB8k3ToXLZOB2sVsZSps8
-----END PRIVATE KEY-----
";
