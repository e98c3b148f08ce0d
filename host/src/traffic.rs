//! Realistic Tyk gateway traffic, for `pump demo`, `pump bench` and the end-to-end tests:
//! several orgs, APIs and keys, a spread of status codes and latencies, base64 raw
//! requests and responses, tags, geo data and some GraphQL, encoded exactly as the gateway
//! encodes them.

use pump_record::{
    AnalyticsRecord, City, Country, Geo, GraphQLStats, Latency, Location, Network, Str, Timestamp,
    UptimeRecord, gateway,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::borrow::Cow;
use std::collections::BTreeMap;

const ORGS: &[&str] = &[
    "5e9d9544a1dcd60001d0ed20",
    "5e9d9544a1dcd60001d0ed21",
    "61a0b2c3d4e5f60718293a4b",
];
const APIS: &[(&str, &str, &str)] = &[
    ("41433797848f41a558c1573d3e55a410", "Payments", "/payments/"),
    (
        "b5e2c8d4a1f3456789abcdef01234567",
        "Catalogue",
        "/catalogue/",
    ),
    (
        "c0ffee00c0ffee00c0ffee00c0ffee00",
        "Accounts GraphQL",
        "/graphql/",
    ),
    ("d15ea5edd15ea5edd15ea5edd15ea5ed", "Search", "/search/"),
];
const PATHS: &[&str] = &[
    "items",
    "items/42",
    "orders",
    "orders/7/lines",
    "health",
    "users/me",
];
const METHODS: &[&str] = &["GET", "GET", "GET", "POST", "PUT", "DELETE"];
const CODES: &[i64] = &[
    200, 200, 200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 429, 500, 502, 503,
];
const COUNTRIES: &[(&str, &str, f64, f64, &str)] = &[
    ("GB", "London", 51.5072, -0.1276, "Europe/London"),
    ("DE", "Berlin", 52.52, 13.405, "Europe/Berlin"),
    ("US", "Austin", 30.2672, -97.7431, "America/Chicago"),
    ("JP", "東京", 35.6762, 139.6503, "Asia/Tokyo"),
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "curl/8.5.0",
    "okhttp/4.12.0",
];

/// A deterministic generator of gateway records.
pub struct Traffic {
    rng: StdRng,
    /// The time of the next record; each record advances it a little.
    clock: Timestamp,
}

impl Traffic {
    /// A generator seeded with `seed`, starting at `start`.
    pub fn new(seed: u64, start: Timestamp) -> Self {
        Traffic {
            rng: StdRng::seed_from_u64(seed),
            clock: start,
        }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }

    /// The next analytics record (~1.5 KB in msgpack with its raw request and response).
    pub fn analytics(&mut self) -> AnalyticsRecord<'static> {
        self.clock = Timestamp::new(
            self.clock.secs,
            i64::from(self.clock.nanos) + self.rng.random_range(10_000..2_000_000),
        );
        let now = self.clock;
        let (y, mo, d, h, _, _) = now.civil();
        let org = self.pick(ORGS);
        let (api_id, api_name, listen) = self.pick(APIS);
        let path = self.pick(PATHS);
        let method = if api_name.contains("GraphQL") {
            "POST"
        } else {
            self.pick(METHODS)
        };
        let code = self.pick(CODES);
        let (iso, city, lat, lon, tz) = self.pick(COUNTRIES);
        let key = format!("{org}{:08x}", self.rng.random_range(0..40u32));
        let upstream = self.rng.random_range(2..400i64);
        let gateway_ms = self.rng.random_range(0..6i64);
        let full_path = format!("{listen}{path}");
        let agent = self.pick(AGENTS);
        let body: String = (0..self.rng.random_range(2..5))
            .map(|i| {
                format!(
                    "{{\"id\":{i},\"name\":\"item-{i}\",\"price\":{}.{:02}}},",
                    self.rng.random_range(1..500),
                    self.rng.random_range(0..100)
                )
            })
            .collect();
        let request = format!(
            "{method} {full_path} HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: {agent}\r\nAccept: application/json\r\nAuthorization: {key}\r\nX-Request-Id: {:032x}\r\n\r\n",
            self.rng.random::<u128>()
        );
        let response = format!(
            "HTTP/1.1 {code} OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Ratelimit-Remaining: {}\r\n\r\n[{}]",
            body.len() + 2,
            self.rng.random_range(0..1000),
            body.trim_end_matches(',')
        );
        let graphql = api_name.contains("GraphQL");
        let mut names = BTreeMap::new();
        names.insert(Cow::Borrowed("en"), Cow::Owned(city.to_string()));
        AnalyticsRecord {
            method: method.into(),
            host: "api.example.com".into(),
            path: Cow::Owned(full_path.clone()),
            raw_path: Cow::Owned(full_path.clone()),
            content_length: body.len() as i64,
            user_agent: agent.into(),
            day: i64::from(d),
            month: i64::from(mo),
            year: y,
            hour: i64::from(h),
            response_code: code,
            api_key: Cow::Owned(key),
            timestamp: now,
            api_version: "Default".into(),
            api_name: api_name.into(),
            api_id: api_id.into(),
            org_id: org.into(),
            oauth_id: "".into(),
            request_time: upstream + gateway_ms,
            raw_request: Cow::Owned(b64(&request)),
            raw_response: Cow::Owned(b64(&response)),
            ip_address: Cow::Owned(format!(
                "10.{}.{}.{}",
                self.rng.random_range(0..255),
                self.rng.random_range(0..255),
                self.rng.random_range(1..255)
            )),
            geo: Geo {
                country: Country {
                    iso_code: iso.into(),
                },
                city: City {
                    geoname_id: self.rng.random_range(1_000_000..9_999_999),
                    names: Some(names),
                },
                location: Location {
                    latitude: lat,
                    longitude: lon,
                    time_zone: tz.into(),
                },
            },
            network: Network {
                open_connections: self.rng.random_range(0..50),
                closed_connections: self.rng.random_range(0..50),
                bytes_in: request.len() as i64,
                bytes_out: response.len() as i64,
            },
            latency: Latency {
                total: upstream + gateway_ms,
                upstream,
                gateway: gateway_ms,
            },
            tags: Some(vec![
                Cow::Owned(format!("org-{org}")),
                Cow::Borrowed("key-auth"),
                Cow::Owned(format!("api-{api_id}")),
            ]),
            alias: "portal-user".into(),
            track_path: self.rng.random_bool(0.5),
            expire_at: Timestamp::new(now.secs + 7 * 86_400, i64::from(now.nanos)),
            api_schema: "".into(),
            original_path: Cow::Owned(full_path.clone()),
            listen_path: listen.into(),
            graphql_stats: if graphql {
                GraphQLStats {
                    variables: "{\"id\":\"42\"}".into(),
                    root_fields: Some(vec!["account".into()]),
                    types: Some(BTreeMap::from([(
                        "Account".to_string(),
                        Some(vec!["id".to_string(), "balance".to_string()]),
                    )])),
                    errors: Some(vec![]),
                    operation_type: 1,
                    has_errors: false,
                    is_graphql: true,
                }
            } else {
                GraphQLStats::default()
            },
            mcp_stats: Default::default(),
            collection_name: "".into(),
        }
    }

    /// The next uptime record.
    pub fn uptime(&mut self) -> UptimeRecord<'static> {
        let now = self.clock;
        let (y, mo, d, h, mi, _) = now.civil();
        let (api_id, _, listen) = self.pick(APIS);
        let code = if self.rng.random_bool(0.9) { 200 } else { 503 };
        UptimeRecord {
            id: Str::Owned(format!("{:024x}", self.rng.random::<u128>() >> 32)),
            url: Cow::Owned(format!("http://upstream.internal{listen}health")),
            request_time: self.rng.random_range(1..200),
            response_code: code,
            tcp_error: false,
            server_error: code >= 500,
            day: i64::from(d),
            month: i64::from(mo),
            year: y,
            hour: i64::from(h),
            minute: i64::from(mi),
            timestamp: now,
            expire_at: Timestamp::new(now.secs + 7 * 86_400, 0),
            api_id: api_id.into(),
            org_id: self.pick(ORGS).into(),
        }
    }

    /// The next analytics record, encoded as the gateway writes it to a msgpack key.
    pub fn analytics_msgpack(&mut self, out: &mut Vec<u8>) {
        let r = self.analytics();
        gateway::encode_analytics(&r, out);
    }
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_about_one_and_a_half_kilobytes_and_decode() {
        let mut t = Traffic::new(7, Timestamp::new(1_714_564_800, 0));
        let mut total = 0;
        for _ in 0..200 {
            let mut out = Vec::new();
            t.analytics_msgpack(&mut out);
            total += out.len();
            let r = pump_record::decode_analytics(&out).unwrap();
            assert!(!r.api_id.is_empty());
        }
        let avg = total / 200;
        assert!((1200..1900).contains(&avg), "average record size {avg}");
    }
}
