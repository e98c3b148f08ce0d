//! `mongo-aggregate`: per-organisation counters by time bucket, in
//! `z_tyk_analyticz_aggregate_<orgid>` (and `tyk_analytics_aggregates` with
//! `use_mixed_collection`), as Tyk's Dashboard charts read them.
//!
//! Each record is counted in the bucket of its own time. A bucket document is updated by
//! read, count, and a conditional replace (`{_id, total.hits: <as read>}`, or an insert
//! for a new bucket): a concurrent writer makes the condition fail and the update is
//! redone on the fresh document, so counters, averages and lists always agree. The
//! document remembers the ids of the last `dedup_window_records` records it counted;
//! a record delivered again (after a crash, in any batch) is recognised and not counted
//! twice.

mod counters;
mod document;

pub use counters::Counter;
pub use document::{AggregateDoc, DIMENSIONS, Rules, document_id, endpoint_key, field_key};

use super::config::MongoAggregateConfig;
use super::encoder::RecordId;
use super::retry;
use super::service::{CollectionSpec, Service, aggregate_indexes};
use crate::{BuildError, Outcome, Record, Sink};
use async_trait::async_trait;
use mongodb::bson::{self, Document, doc};
use mongodb::error::ErrorKind;
use pump_record::AnalyticsRecord;
use std::collections::{BTreeMap, HashSet};

/// The collection shared by every organisation with `use_mixed_collection`.
pub const MIXED_COLLECTION: &str = "tyk_analytics_aggregates";

/// Conditional replaces tried before a busy document is left to the delivery's retry.
const ATTEMPTS: usize = 16;

/// An organisation's aggregate collection.
pub fn collection_name(org_id: &str) -> String {
    format!("z_tyk_analyticz_aggregate_{org_id}")
}

/// Writes aggregate documents.
pub struct MongoAggregateSink {
    service: Service,
    rules: Rules,
    spec: CollectionSpec,
    mixed: bool,
    scratch: Vec<u8>,
}

impl MongoAggregateSink {
    /// Reads and checks the options and makes the client.
    pub async fn open(config: &MongoAggregateConfig) -> Result<Self, BuildError> {
        let minutes = if config.store_analytics_per_minute {
            1
        } else {
            config.aggregation_time
        };
        if !(1..=60).contains(&minutes) {
            return Err(BuildError(format!(
                "`aggregation_time` is {minutes}: give a bucket length from 1 to 60 minutes"
            )));
        }
        let mut ignored = HashSet::new();
        for name in &config.ignore_aggregations {
            let n = name.to_ascii_lowercase();
            if !DIMENSIONS.contains(&n.as_str()) {
                return Err(BuildError(format!(
                    "`ignore_aggregations` names `{name}`, which is not a dimension; use some of: {}",
                    DIMENSIONS.join(", ")
                )));
            }
            ignored.insert(n);
        }
        if config.dedup_window_records == 0 {
            return Err(BuildError(
                "`dedup_window_records` is 0: re-delivered records would be counted twice; give at least the records of a few batches, e.g. 50000".into(),
            ));
        }
        Ok(MongoAggregateSink {
            service: Service::connect(&config.connection()).await?,
            rules: Rules {
                bucket_secs: i64::from(minutes) * 60,
                track_all_paths: config.track_all_paths,
                ignore_tag_prefixes: config.ignore_tag_prefix_list.clone(),
                ignored,
                window: config.dedup_window_records,
            },
            spec: CollectionSpec {
                indexes: if config.omit_index_creation {
                    Vec::new()
                } else {
                    aggregate_indexes()
                },
                capped_bytes: None,
            },
            mixed: config.use_mixed_collection,
            scratch: Vec::new(),
        })
    }

    /// Counts one bucket's records into one collection's document.
    async fn apply(
        &mut self,
        collection: &str,
        org: &str,
        bucket: i64,
        records: &[(&AnalyticsRecord<'_>, RecordId)],
    ) -> Outcome {
        let coll = match self.service.collection(collection, &self.spec).await {
            Ok(c) => c,
            Err(e) => return retry::operation_outcome(&e, "mongo-aggregate"),
        };
        let id = document_id(org, bucket);
        for _ in 0..ATTEMPTS {
            let stored = match coll.find_one(doc! { "_id": id }).await {
                Ok(d) => d,
                Err(e) => return retry::operation_outcome(&e, "mongo-aggregate"),
            };
            let (mut agg, guard) = match stored {
                Some(d) => match bson::from_document::<AggregateDoc>(d) {
                    Ok(a) => {
                        let hits = a.total.hits;
                        (a, Some(hits))
                    }
                    Err(e) => {
                        return Outcome::Rejected(format!(
                            "mongo-aggregate: the document {id} in `{collection}` is not an aggregate this pump can update ({e}); move it away"
                        ));
                    }
                },
                None => (AggregateDoc::new(org, bucket), None),
            };
            let seen = agg.applied_ids();
            let mut fresh = Vec::with_capacity(records.len());
            let mut in_batch = HashSet::new();
            for (r, rid) in records {
                if !seen.contains(&rid.0) && in_batch.insert(rid.0) {
                    fresh.push((*r, *rid));
                }
            }
            if fresh.is_empty() {
                return Outcome::Written;
            }
            agg.apply(&fresh, &self.rules);
            let new_doc: Document = match bson::to_document(&agg) {
                Ok(d) => d,
                Err(e) => {
                    return Outcome::Rejected(format!(
                        "mongo-aggregate: cannot encode the aggregate document: {e}"
                    ));
                }
            };
            let done = match guard {
                None => match coll.insert_one(new_doc).await {
                    Ok(_) => true,
                    Err(e) if is_duplicate(&e) => false,
                    Err(e) => return retry::operation_outcome(&e, "mongo-aggregate"),
                },
                Some(hits) => match coll
                    .replace_one(doc! { "_id": id, "total.hits": hits }, new_doc)
                    .await
                {
                    Ok(r) => r.matched_count == 1,
                    Err(e) => return retry::operation_outcome(&e, "mongo-aggregate"),
                },
            };
            if done {
                return Outcome::Written;
            }
            // Another writer changed the document since it was read: count again on top.
        }
        Outcome::Retry(format!(
            "mongo-aggregate: the document {id} in `{collection}` kept changing under concurrent writers; will retry"
        ))
    }
}

fn is_duplicate(e: &mongodb::error::Error) -> bool {
    match &*e.kind {
        ErrorKind::Write(mongodb::error::WriteFailure::WriteError(w)) => {
            w.code == retry::DUPLICATE_KEY
        }
        _ => retry::code(e) == Some(retry::DUPLICATE_KEY),
    }
}

#[async_trait]
impl Sink for MongoAggregateSink {
    async fn write(&mut self, batch: &[Record<'_>]) -> Vec<Outcome> {
        let mut outcomes = Outcome::all(batch.len(), Outcome::Written);
        // (org, bucket) → (batch positions, records with their ids)
        type Group<'b, 'r> = (Vec<usize>, Vec<(&'b AnalyticsRecord<'r>, RecordId)>);
        let mut groups: BTreeMap<(String, i64), Group<'_, '_>> = BTreeMap::new();
        for (i, record) in batch.iter().enumerate() {
            let Record::Analytics(r) = record else {
                continue;
            };
            if r.response_code == -1 {
                continue;
            }
            let id = RecordId::of_analytics(r, &mut self.scratch);
            let key = (r.org_id.to_string(), self.rules.bucket(r.timestamp));
            let g = groups.entry(key).or_default();
            g.0.push(i);
            g.1.push((&**r, id));
        }
        for ((org, bucket), (positions, records)) in groups {
            let mut outcome = self
                .apply(&collection_name(&org), &org, bucket, &records)
                .await;
            if self.mixed && outcome == Outcome::Written {
                outcome = self.apply(MIXED_COLLECTION, &org, bucket, &records).await;
            }
            for i in positions {
                outcomes[i] = outcome.clone();
            }
        }
        outcomes
    }
}
