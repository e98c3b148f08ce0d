//! One aggregate document: an organisation's counters for one time bucket, laid out as
//! Tyk's Dashboard reads them (TYK-FORMAT.md §6), plus the ids of the records it counted
//! most recently (`applied`), which make re-delivery harmless.

use super::counters::{Counter, Time};
use crate::mongo::encoder::RecordId;
use base64::Engine as _;
use mongodb::bson::oid::ObjectId;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Binary, DateTime};
use pump_record::{AnalyticsRecord, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};

/// Seconds from Go's zero time (year 1) to the Unix epoch: Go truncates times relative to
/// its zero time, and so do the buckets here.
const GO_EPOCH_OFFSET: i64 = 62_135_596_800;

/// The dimensions an aggregate document counts, by their field names.
pub const DIMENSIONS: &[&str] = &[
    "apiid",
    "errors",
    "versions",
    "apikeys",
    "oauthids",
    "geo",
    "tags",
    "endpoints",
    "keyendpoints",
    "oauthendpoints",
    "apiendpoints",
];

/// `{year, month, day, hour}` of the bucket start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimeId {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
}

/// `lists.<dimension>`: the counters of each one-level dimension as an array, for
/// the Dashboard's top-N tables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Lists {
    pub apiid: Vec<Counter>,
    pub errors: Vec<Counter>,
    pub versions: Vec<Counter>,
    pub apikeys: Vec<Counter>,
    pub oauthids: Vec<Counter>,
    pub geo: Vec<Counter>,
    pub tags: Vec<Counter>,
    pub endpoints: Vec<Counter>,
    pub apiendpoints: Vec<Counter>,
}

type Dim = BTreeMap<String, Counter>;
type Nested = BTreeMap<String, BTreeMap<String, Counter>>;

/// The stored document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AggregateDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// The bucket start.
    pub timestamp: Time,
    pub orgid: String,
    pub timeid: TimeId,
    #[serde(rename = "expireAt", skip_serializing_if = "Option::is_none")]
    pub expire_at: Option<DateTime>,
    pub lasttime: Time,
    pub total: Counter,
    pub apiid: Dim,
    pub errors: Dim,
    pub versions: Dim,
    pub apikeys: Dim,
    pub oauthids: Dim,
    pub geo: Dim,
    pub tags: Dim,
    pub endpoints: Dim,
    pub keyendpoints: Nested,
    pub oauthendpoints: Nested,
    pub apiendpoints: Dim,
    pub lists: Lists,
    /// The 8-byte ids of the most recently counted records, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<Binary>,
}

/// What to count and how (the sink's options).
#[derive(Debug, Clone)]
pub struct Rules {
    /// Bucket length in seconds (60 to 3600).
    pub bucket_secs: i64,
    pub track_all_paths: bool,
    pub ignore_tag_prefixes: Vec<String>,
    /// Dimensions left out (names from [`DIMENSIONS`]).
    pub ignored: HashSet<String>,
    /// Most record ids remembered per document.
    pub window: usize,
}

impl Rules {
    /// The start (Unix seconds) of the bucket a record time falls in.
    pub fn bucket(&self, t: Timestamp) -> i64 {
        // Saturating: a timestamp is data from outside and may be absurd.
        let since_go = t.secs.saturating_add(GO_EPOCH_OFFSET);
        since_go
            .saturating_sub(since_go.rem_euclid(self.bucket_secs))
            .saturating_sub(GO_EPOCH_OFFSET)
    }

    fn counts(&self, dimension: &str) -> bool {
        !self.ignored.contains(dimension)
    }
}

/// The `_id` of an organisation's document for a bucket: the bucket start as the ObjectId's
/// time, then 8 bytes of the SHA-256 of the organisation id and the bucket (so buckets
/// outside the ObjectId's time range, before 1970 or after 2106, still get ids of their own).
pub fn document_id(org: &str, bucket: i64) -> ObjectId {
    let mut hasher = Sha256::new();
    hasher.update(org.as_bytes());
    hasher.update(bucket.to_be_bytes());
    let digest = hasher.finalize();
    let mut b = [0u8; 12];
    let secs = u32::try_from(bucket.max(0)).unwrap_or(u32::MAX);
    b[..4].copy_from_slice(&secs.to_be_bytes());
    b[4..].copy_from_slice(&digest[..8]);
    ObjectId::from_bytes(b)
}

/// A dimension value as a field name: `.` and a leading `$` cannot be in one, so they are
/// replaced by their full-width forms (`．`, `＄`), as MongoDB's documentation suggests.
pub fn field_key(value: &str) -> String {
    let mut k = value.replace('.', "\u{FF0E}").replace('\0', "");
    if k.starts_with('$') {
        k.replace_range(..1, "\u{FF04}");
    }
    k
}

/// Tyk Pump's `doHash`: standard base64 without the trailing `=` padding. It keys
/// `versions` (`<api id>:<version>`), `keyendpoints` and `oauthendpoints` (`<api id>:<path>`),
/// so the Dashboard finds the same keys whichever pump wrote the document.
pub fn endpoint_key(api_id: &str, rest: &str) -> String {
    let mut k = base64::engine::general_purpose::STANDARD.encode(format!("{api_id}:{rest}"));
    while k.ends_with('=') {
        k.pop();
    }
    k
}

/// Tyk Pump's key of `apiendpoints`: hex of `<api id>:<version>:<path>`.
fn api_endpoint_key(api_id: &str, version: &str, path: &str) -> String {
    use std::fmt::Write;
    format!("{api_id}:{version}:{path}")
        .bytes()
        .fold(String::new(), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// Tyk Pump's key of `endpoints`: the path with each `.` written as the six characters
/// `\u2e` (a field name cannot hold a `.`).
fn path_key(path: &str) -> String {
    path.replace('.', "\\u2e")
}

impl AggregateDoc {
    /// An empty document for an organisation and bucket.
    pub fn new(org: &str, bucket: i64) -> AggregateDoc {
        let start = Timestamp::new(bucket, 0);
        let (year, month, day, hour, _, _) = start.civil();
        AggregateDoc {
            id: document_id(org, bucket),
            timestamp: Time(DateTime::from_millis(start.unix_millis())),
            orgid: org.to_string(),
            timeid: TimeId {
                year,
                month: i64::from(month),
                day: i64::from(day),
                hour: i64::from(hour),
            },
            ..Default::default()
        }
    }

    /// The record ids already counted here.
    pub fn applied_ids(&self) -> HashSet<[u8; 8]> {
        self.applied
            .iter()
            .flat_map(|b| b.bytes.chunks_exact(8))
            .filter_map(|c| c.try_into().ok())
            .collect()
    }

    /// Counts records (not yet applied here) and remembers their ids, keeping the newest
    /// `rules.window`; then recomputes the lists.
    pub fn apply(&mut self, records: &[(&AnalyticsRecord<'_>, RecordId)], rules: &Rules) {
        let mut ids = self.applied.take().map(|b| b.bytes).unwrap_or_default();
        for (r, id) in records {
            self.count(r, rules);
            ids.extend_from_slice(&id.0);
        }
        let keep = rules.window.saturating_mul(8);
        if ids.len() > keep {
            ids.drain(..ids.len() - keep);
        }
        self.applied = Some(Binary {
            subtype: BinarySubtype::Generic,
            bytes: ids,
        });
        self.rebuild_lists();
    }

    fn count(&mut self, r: &AnalyticsRecord<'_>, rules: &Rules) {
        let t = DateTime::from_millis(r.timestamp.unix_millis());
        if t > self.lasttime.0 {
            self.lasttime = Time(t);
        }
        if r.expire_at != Timestamp::GO_ZERO {
            let e = DateTime::from_millis(r.expire_at.unix_millis());
            if self.expire_at.is_none_or(|old| e > old) {
                self.expire_at = Some(e);
            }
        }
        self.total.add(r, "", "");
        let api = r.api_id.as_ref();
        let name = r.api_name.as_ref();
        add(&mut self.apiid, rules.counts("apiid"), api, r, api, name);
        // Keyed as Tyk Pump keys them, so the Dashboard reads either pump's documents.
        if r.response_code >= 400 {
            let code = r.response_code.to_string();
            add(
                &mut self.errors,
                rules.counts("errors"),
                &code,
                r,
                &code,
                &code,
            );
        }
        let v = r.api_version.as_ref();
        if !v.is_empty() {
            add_raw(
                &mut self.versions,
                rules.counts("versions"),
                &endpoint_key(api, v),
                r,
                v,
                v,
            );
        }
        let key = r.api_key.as_ref();
        add(
            &mut self.apikeys,
            rules.counts("apikeys"),
            key,
            r,
            key,
            &r.alias,
        );
        let oauth = r.oauth_id.as_ref();
        add(
            &mut self.oauthids,
            rules.counts("oauthids"),
            oauth,
            r,
            oauth,
            oauth,
        );
        let iso = r.geo.country.iso_code.as_ref();
        add(&mut self.geo, rules.counts("geo"), iso, r, iso, iso);
        for tag in r.tags.iter().flatten() {
            // The gateway tags every record with `key-<key>`; Tyk Pump never counts those.
            if tag.starts_with("key-")
                || rules
                    .ignore_tag_prefixes
                    .iter()
                    .any(|p| tag.starts_with(p.as_str()))
            {
                continue;
            }
            add(&mut self.tags, rules.counts("tags"), tag, r, tag, tag);
        }
        if r.track_path || rules.track_all_paths {
            let path = r.path.as_ref();
            let ep = endpoint_key(api, path);
            add_raw(
                &mut self.endpoints,
                rules.counts("endpoints"),
                &path_key(path),
                r,
                path,
                path,
            );
            let api_ep = api_endpoint_key(api, v, path);
            add_raw(
                &mut self.apiendpoints,
                rules.counts("apiendpoints"),
                &api_ep,
                r,
                &api_ep,
                path,
            );
            if !key.is_empty() && rules.counts("keyendpoints") {
                let inner = self.keyendpoints.entry(field_key(key)).or_default();
                add_raw(inner, true, &ep, r, &ep, &ep);
            }
            if !oauth.is_empty() && rules.counts("oauthendpoints") {
                let inner = self.oauthendpoints.entry(field_key(oauth)).or_default();
                add_raw(inner, true, &ep, r, &ep, &ep);
            }
        }
    }

    fn rebuild_lists(&mut self) {
        fn list(d: &Dim) -> Vec<Counter> {
            d.values().cloned().collect()
        }
        self.lists = Lists {
            apiid: list(&self.apiid),
            errors: list(&self.errors),
            versions: list(&self.versions),
            apikeys: list(&self.apikeys),
            oauthids: list(&self.oauthids),
            geo: list(&self.geo),
            tags: list(&self.tags),
            endpoints: list(&self.endpoints),
            apiendpoints: list(&self.apiendpoints),
        };
    }
}

/// Counts a record under a dimension value (skipped when empty or the dimension is ignored).
fn add(d: &mut Dim, on: bool, value: &str, r: &AnalyticsRecord<'_>, id: &str, human: &str) {
    if on && !value.is_empty() {
        add_raw(d, true, &field_key(value), r, id, human);
    }
}

fn add_raw(d: &mut Dim, on: bool, key: &str, r: &AnalyticsRecord<'_>, id: &str, human: &str) {
    if on {
        d.entry(key.to_string()).or_default().add(r, id, human);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(bucket_secs: i64) -> Rules {
        Rules {
            bucket_secs,
            track_all_paths: false,
            ignore_tag_prefixes: vec!["key-".into()],
            ignored: HashSet::new(),
            window: 3,
        }
    }

    #[test]
    fn buckets_follow_go_truncation() {
        let t = Timestamp::new(1_714_568_399, 0); // 12:59:59
        assert_eq!(rules(3600).bucket(t), 1_714_564_800);
        assert_eq!(rules(60).bucket(t), 1_714_568_340);
        assert_eq!(rules(600).bucket(t), 1_714_567_800);
    }

    #[test]
    fn keys_are_tyk_pumps() {
        // doHash: base64 without padding.
        assert_eq!(endpoint_key("api", "v1"), "YXBpOnYx");
        assert_eq!(endpoint_key("a", "/x"), "YToveA");
        assert_eq!(api_endpoint_key("a", "v", "/x"), "613a763a2f78");
        assert_eq!(path_key("/a.json"), "/a\\u2ejson");
    }

    #[test]
    fn keys_never_make_dotted_paths() {
        assert_eq!(field_key("a.b"), "a\u{FF0E}b");
        assert_eq!(field_key("$x"), "\u{FF04}x");
    }

    #[test]
    fn counts_dimensions_and_remembers_a_window_of_ids() {
        let mut d = AggregateDoc::new("org", 1_714_564_800);
        let r = AnalyticsRecord {
            api_id: "api".into(),
            api_key: "k.1".into(),
            response_code: 404,
            tags: Some(vec!["t".into(), "key-abc".into()]),
            track_path: true,
            path: "/x".into(),
            ..Default::default()
        };
        let recs: Vec<_> = (0..5u8).map(|i| (&r, RecordId([i; 8]))).collect();
        d.apply(&recs, &rules(3600));
        assert_eq!(d.total.hits, 5);
        assert_eq!(d.errors["404"].errormap["404"], 5);
        assert_eq!(d.apikeys["k\u{FF0E}1"].hits, 5);
        assert_eq!(d.tags.len(), 1);
        assert_eq!(d.keyendpoints["k\u{FF0E}1"].len(), 1);
        assert_eq!(d.lists.apiid.len(), 1);
        let ids = d.applied_ids();
        assert_eq!(ids.len(), 3);
        assert!(ids.contains(&[4; 8]) && !ids.contains(&[0; 8]));
        let back: AggregateDoc =
            mongodb::bson::from_document(mongodb::bson::to_document(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }
}
