//! The MongoDB sinks end to end: gateway records in Redis, drained by the pump into a
//! MongoDB-wire server (`PUMP_TEST_MONGODB_URI`), read back field by field against
//! TYK-FORMAT.md §6, aggregates checked against a count made here from the same records.

mod mongo_support;

use mongo_support::*;
use mongodb::bson::{Bson, Document};
use pump_record::{AnalyticsRecord, Timestamp, UptimeRecord, gateway};
use pump_tests::*;
use std::collections::BTreeMap;
use std::time::Duration;

/// Records spread over ~31 hours (one every 37 s), some with response code -1.
fn spread_records(n: usize, seed: u64) -> Vec<AnalyticsRecord<'static>> {
    let start = 1_714_563_000; // 11:30, so buckets start part-way through an hour
    records(n, seed)
        .into_iter()
        .enumerate()
        .map(|(i, mut r)| {
            r.timestamp = Timestamp::new(start + i as i64 * 37, i as i64 * 1_000);
            // In the future, so that TTL indexes do not delete documents under the test.
            r.expire_at = Timestamp::new(4_102_444_800 + i as i64, 0);
            if i % 97 == 5 {
                r.response_code = -1;
            }
            r
        })
        .collect()
}

fn millis(t: Timestamp) -> i64 {
    t.unix_millis()
}

/// The raw document TYK-FORMAT.md §6 describes for a record, written out here by hand.
fn assert_raw_document(d: &Document, r: &AnalyticsRecord<'_>) {
    let s = |k: &str| {
        d.get_str(k)
            .unwrap_or_else(|_| panic!("{k} in {d}"))
            .to_string()
    };
    let i = |k: &str| d.get_i64(k).unwrap_or_else(|_| panic!("{k} in {d}"));
    assert_eq!(s("method"), r.method);
    assert_eq!(s("host"), r.host);
    assert_eq!(s("path"), r.path);
    assert_eq!(s("rawpath"), r.raw_path);
    assert_eq!(i("contentlength"), r.content_length);
    assert_eq!(s("useragent"), r.user_agent);
    assert_eq!(
        (i("day"), i("month"), i("year"), i("hour")),
        (r.day, r.month, r.year, r.hour)
    );
    assert_eq!(i("responsecode"), r.response_code);
    assert_eq!(s("apikey"), r.api_key);
    assert_eq!(
        d.get_datetime("timestamp").unwrap().timestamp_millis(),
        millis(r.timestamp)
    );
    assert_eq!(s("apiversion"), r.api_version);
    assert_eq!(s("apiname"), r.api_name);
    assert_eq!(s("apiid"), r.api_id);
    assert_eq!(s("orgid"), r.org_id);
    assert_eq!(s("oauthid"), r.oauth_id);
    assert_eq!(i("requesttime"), r.request_time);
    assert_eq!(s("rawrequest"), r.raw_request);
    assert_eq!(s("rawresponse"), r.raw_response);
    assert_eq!(s("ipaddress"), r.ip_address);
    let geo = d.get_document("geo").unwrap();
    assert_eq!(
        geo.get_document("country")
            .unwrap()
            .get_str("isocode")
            .unwrap(),
        r.geo.country.iso_code
    );
    let city = geo.get_document("city").unwrap();
    assert_eq!(
        city.get_i64("geonameid").unwrap() as u64,
        r.geo.city.geoname_id
    );
    let names = city.get_document("names").unwrap();
    for (k, v) in r.geo.city.names.iter().flatten() {
        assert_eq!(names.get_str(k.as_ref()).unwrap(), v);
    }
    let loc = geo.get_document("location").unwrap();
    assert_eq!(loc.get_f64("latitude").unwrap(), r.geo.location.latitude);
    assert_eq!(loc.get_f64("longitude").unwrap(), r.geo.location.longitude);
    assert_eq!(loc.get_str("timezone").unwrap(), r.geo.location.time_zone);
    let net = d.get_document("network").unwrap();
    assert_eq!(
        net.get_i64("openconnections").unwrap(),
        r.network.open_connections
    );
    assert_eq!(
        net.get_i64("closedconnection").unwrap(),
        r.network.closed_connections
    );
    assert_eq!(net.get_i64("bytesin").unwrap(), r.network.bytes_in);
    assert_eq!(net.get_i64("bytesout").unwrap(), r.network.bytes_out);
    let lat = d.get_document("latency").unwrap();
    assert_eq!(lat.get_i64("total").unwrap(), r.latency.total);
    assert_eq!(lat.get_i64("upstream").unwrap(), r.latency.upstream);
    assert_eq!(lat.get_i64("gateway").unwrap(), r.latency.gateway);
    let tags: Vec<&str> = d
        .get_array("tags")
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let want: Vec<&str> = r.tags.iter().flatten().map(|t| t.as_ref()).collect();
    assert_eq!(tags, want);
    assert_eq!(s("alias"), r.alias);
    assert_eq!(d.get_bool("trackpath").unwrap(), r.track_path);
    assert_eq!(
        d.get_datetime("expireAt").unwrap().timestamp_millis(),
        millis(r.expire_at)
    );
    assert_eq!(s("originalpath"), r.original_path);
    assert_eq!(s("listenpath"), r.listen_path);
    for absent in ["apischema", "graphqlstats", "mcpstats", "collectionname"] {
        assert!(!d.contains_key(absent), "{absent} must not be stored");
    }
    assert_eq!(
        d.len(),
        32,
        "31 fields and _id: {:?}",
        d.keys().collect::<Vec<_>>()
    );
}

fn push_msgpack(conn: &mut redis::Connection, lists: &[&str], rs: &[AnalyticsRecord<'_>]) {
    for (k, list) in lists.iter().enumerate() {
        let values: Vec<Vec<u8>> = rs
            .iter()
            .skip(k)
            .step_by(lists.len())
            .map(|r| encode_for(list, r))
            .collect();
        push(conn, list, &values);
    }
}

#[test]
fn raw_documents_are_tyk_documents_with_indexes_and_a_capped_collection() {
    let url = redis_url();
    let prefix = unique_prefix("mongo-raw");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let rs = spread_records(600, 11);
    push_msgpack(&mut conn, &[&lists[0], &lists[2]], &rs);

    let name = unique_db("mraw");
    let uri = with_db(&base_uri(), &name);
    let scratch = Scratch::new();
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}",
            source_toml(&url, &prefix, "batch_size = 100"),
            mongo_sink(
                "mongo",
                "mongo",
                &uri,
                "collection_cap_enable = true\ncollection_cap_max_size_bytes = \"64MiB\"\nbatch_max_records = 150"
            )
        ),
    );
    drain(&config, Duration::from_secs(120));

    let db = database(&base_uri(), &name);
    let docs = all(&db, "tyk_analytics");
    let stored: usize = rs.iter().filter(|r| r.response_code != -1).count();
    assert_eq!(
        docs.len(),
        stored,
        "one document per record, -1 records skipped"
    );
    let by_path: BTreeMap<&str, &AnalyticsRecord<'_>> =
        rs.iter().map(|r| (r.path.as_ref(), r)).collect();
    for d in &docs {
        let r = by_path[d.get_str("path").unwrap()];
        assert_ne!(r.response_code, -1);
        assert_raw_document(d, r);
    }
    let mut idx = index_names(&db, "tyk_analytics");
    idx.sort();
    assert_eq!(idx, ["_id_", "apiid_1", "logBrowserIndex", "orgid_1"]);
    let spec = db
        .list_collections()
        .filter(mongodb::bson::doc! {"name": "tyk_analytics"})
        .run()
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(spec.options.capped, Some(true), "created capped");
    assert_eq!(spec.options.size, Some(64 << 20));
    let _ = db.drop().run();
}

/// The counters of one dimension value, as counted here.
#[derive(Debug, Default, PartialEq)]
struct Expect {
    hits: i64,
    success: i64,
    errortotal: i64,
    errormap: BTreeMap<String, i64>,
    totallatency: i64,
    maxlatency: i64,
    minlatency: i64,
    totalupstreamlatency: i64,
    totalrequesttime: i64,
    bytesin: i64,
}

impl Expect {
    fn add(&mut self, r: &AnalyticsRecord<'_>) {
        if self.hits == 0 {
            self.minlatency = r.latency.total;
            self.maxlatency = r.latency.total;
        }
        self.hits += 1;
        if (200..300).contains(&r.response_code) {
            self.success += 1;
        }
        if r.response_code >= 400 {
            self.errortotal += 1;
            *self
                .errormap
                .entry(r.response_code.to_string())
                .or_default() += 1;
        }
        self.totallatency += r.latency.total;
        self.maxlatency = self.maxlatency.max(r.latency.total);
        self.minlatency = self.minlatency.min(r.latency.total);
        self.totalupstreamlatency += r.latency.upstream;
        self.totalrequesttime += r.request_time;
        self.bytesin += r.network.bytes_in;
    }

    fn read(c: &Document) -> Expect {
        let i = |k: &str| c.get_i64(k).unwrap_or_else(|_| panic!("{k} in {c}"));
        let errormap = c
            .get_document("errormap")
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_i64().unwrap()))
            .collect();
        let total_rt = c.get_f64("totalrequesttime").unwrap();
        // Averages must agree with the totals.
        let hits = i("hits") as f64;
        assert!((c.get_f64("requesttime").unwrap() - total_rt / hits).abs() < 1e-9);
        assert!((c.get_f64("latency").unwrap() - i("totallatency") as f64 / hits).abs() < 1e-9);
        Expect {
            hits: i("hits"),
            success: i("success"),
            errortotal: i("errortotal"),
            errormap,
            totallatency: i("totallatency"),
            maxlatency: i("maxlatency"),
            minlatency: i("minlatency"),
            totalupstreamlatency: i("totalupstreamlatency"),
            totalrequesttime: total_rt as i64,
            bytesin: i("bytesin"),
        }
    }
}

type Buckets = BTreeMap<(String, i64), BTreeMap<String, Expect>>;

/// Counts records by (org, bucket start) and `<dimension>/<value>` (`total` for the total).
fn expected(rs: &[AnalyticsRecord<'_>], bucket_secs: i64) -> Buckets {
    let mut out: Buckets = BTreeMap::new();
    for r in rs.iter().filter(|r| r.response_code != -1) {
        let start = r.timestamp.secs - r.timestamp.secs.rem_euclid(bucket_secs);
        let b = out.entry((r.org_id.to_string(), start)).or_default();
        let mut dims = vec!["total".to_string(), format!("apiid/{}", r.api_id)];
        dims.push(format!("apikeys/{}", r.api_key));
        dims.push(format!("geo/{}", r.geo.country.iso_code));
        // Tyk Pump never counts the gateway's `key-…` tags; errors are keyed by status code.
        dims.extend(
            r.tags
                .iter()
                .flatten()
                .filter(|t| !t.starts_with("key-"))
                .map(|t| format!("tags/{t}")),
        );
        if r.response_code >= 400 {
            dims.push(format!("errors/{}", r.response_code));
        }
        for d in dims {
            b.entry(d).or_default().add(r);
        }
    }
    out
}

/// The same counts read from the aggregate documents of a collection.
fn stored(db: &mongodb::sync::Database, coll: &str, docs: &mut Buckets) {
    for d in all(db, coll) {
        let org = d.get_str("orgid").unwrap().to_string();
        let start = d.get_datetime("timestamp").unwrap().timestamp_millis() / 1000;
        let b = docs.entry((org, start)).or_default();
        b.insert(
            "total".into(),
            Expect::read(d.get_document("total").unwrap()),
        );
        for dim in ["apiid", "apikeys", "geo", "tags", "errors"] {
            let list = d.get_document("lists").unwrap().get_array(dim).unwrap();
            let map = d.get_document(dim).unwrap();
            assert_eq!(list.len(), map.len(), "lists.{dim} matches {dim}");
            for (k, c) in map {
                let Bson::Document(c) = c else {
                    panic!("{dim}.{k}")
                };
                b.insert(format!("{dim}/{k}"), Expect::read(c));
            }
        }
        let tid = d.get_document("timeid").unwrap();
        let hour = d.get_datetime("timestamp").unwrap().timestamp_millis() / 3_600_000 % 24;
        assert_eq!(tid.get_i64("hour").unwrap(), hour);
        assert!(d.get_datetime("expireAt").is_ok());
    }
}

#[test]
fn aggregates_equal_an_independent_count_hourly_and_per_minute() {
    let url = redis_url();
    let prefix = unique_prefix("mongo-agg");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let rs = spread_records(900, 12);
    push_msgpack(&mut conn, &[&lists[0], &lists[3]], &rs);

    let name = unique_db("magg");
    let uri = with_db(&base_uri(), &name);
    let scratch = Scratch::new();
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}{}",
            source_toml(&url, &prefix, "batch_size = 100"),
            mongo_sink(
                "hourly",
                "mongo-aggregate",
                &uri,
                "use_mixed_collection = true\nbatch_max_records = 170"
            ),
            mongo_sink(
                "minutes",
                "mongo-aggregate",
                &with_db(&base_uri(), &format!("{name}m")),
                "store_analytics_per_minute = true\nbatch_max_records = 230"
            ),
        ),
    );
    drain(&config, Duration::from_secs(180));

    let db = database(&base_uri(), &name);
    let want = expected(&rs, 3600);
    let orgs: std::collections::BTreeSet<&str> = rs.iter().map(|r| r.org_id.as_ref()).collect();
    let mut got = Buckets::new();
    for org in &orgs {
        let coll = format!("z_tyk_analyticz_aggregate_{org}");
        stored(&db, &coll, &mut got);
        let mut idx = index_names(&db, &coll);
        idx.sort();
        assert_eq!(idx, ["_id_", "expireAt_1", "orgid_1", "timestamp_1"]);
    }
    assert!(want.len() > orgs.len() * 5, "records span many hours");
    assert_eq!(got, want, "hourly aggregates");
    let mut mixed = Buckets::new();
    stored(&db, "tyk_analytics_aggregates", &mut mixed);
    assert_eq!(mixed, want, "mixed collection");

    let dbm = database(&base_uri(), &format!("{name}m"));
    let mut per_minute = Buckets::new();
    for org in &orgs {
        stored(
            &dbm,
            &format!("z_tyk_analyticz_aggregate_{org}"),
            &mut per_minute,
        );
    }
    assert_eq!(per_minute, expected(&rs, 60), "per-minute aggregates");
    let _ = db.drop().run();
    let _ = dbm.drop().run();
}

#[test]
fn selective_writes_every_record_to_its_organisations_collection() {
    let url = redis_url();
    let prefix = unique_prefix("mongo-sel");
    let mut conn = redis(&url);
    let (lists, _) = lists(&prefix);
    let rs = spread_records(501, 13);
    push_msgpack(&mut conn, &[&lists[0]], &rs);
    let name = unique_db("msel");
    let scratch = Scratch::new();
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}",
            source_toml(&url, &prefix, "batch_size = 100"),
            mongo_sink(
                "sel",
                "mongo-selective",
                &with_db(&base_uri(), &name),
                "batch_max_records = 77"
            ),
        ),
    );
    drain(&config, Duration::from_secs(120));
    let db = database(&base_uri(), &name);
    let mut by_org: BTreeMap<String, usize> = BTreeMap::new();
    for r in rs.iter().filter(|r| r.response_code != -1) {
        *by_org.entry(r.org_id.to_string()).or_default() += 1;
    }
    for (org, n) in by_org {
        let coll = format!("z_tyk_analyticz_{org}");
        assert_eq!(count(&db, &coll) as usize, n, "{coll}");
        let mut idx = index_names(&db, &coll);
        idx.sort();
        assert_eq!(idx, ["_id_", "apiid_1", "expireAt_1", "logBrowserIndex"]);
    }
    let _ = db.drop().run();
}

#[test]
fn uptime_records_reach_tyk_uptime_analytics() {
    let url = redis_url();
    let prefix = unique_prefix("mongo-up");
    let mut conn = redis(&url);
    let (lists, uptime) = lists(&prefix);
    let rs = records(50, 14);
    push_msgpack(&mut conn, &[&lists[0]], &rs);
    let ups: Vec<Vec<u8>> = (0..30)
        .map(|i| {
            let u = UptimeRecord {
                url: format!("http://upstream/{i}").into(),
                response_code: if i % 5 == 0 { 503 } else { 200 },
                request_time: i,
                server_error: i % 5 == 0,
                timestamp: Timestamp::new(1_714_564_800 + i * 10, 0),
                expire_at: Timestamp::new(1_714_564_800 + 86_400, 0),
                api_id: "api".into(),
                org_id: "org".into(),
                ..Default::default()
            };
            let mut out = Vec::new();
            gateway::encode_uptime(&u, &mut out);
            out
        })
        .collect();
    push(&mut conn, &uptime, &ups);
    let name = unique_db("mup");
    let scratch = Scratch::new();
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}{}",
            source_toml(&url, &prefix, ""),
            mongo_sink("m", "mongo", &with_db(&base_uri(), &name), "uptime = true"),
        ),
    );
    drain(&config, Duration::from_secs(120));
    let db = database(&base_uri(), &name);
    let docs = all(&db, "tyk_uptime_analytics");
    assert_eq!(docs.len(), 30);
    for d in &docs {
        let url = d.get_str("url").unwrap();
        let i: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
        assert_eq!(d.get_i64("requesttime").unwrap(), i);
        assert_eq!(d.get_bool("servererror").unwrap(), i % 5 == 0);
        assert_eq!(
            d.get_datetime("timestamp").unwrap().timestamp_millis(),
            (1_714_564_800 + i * 10) * 1000
        );
        for k in [
            "responsecode",
            "tcperror",
            "day",
            "month",
            "year",
            "hour",
            "minute",
            "expireAt",
            "apiid",
            "orgid",
        ] {
            assert!(d.contains_key(k), "{k} in {d}");
        }
    }
    assert_eq!(count(&db, "tyk_analytics"), 50);
    let _ = db.drop().run();
}
