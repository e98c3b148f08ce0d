//! `mongo-selective`: raw documents in one collection per organisation,
//! `z_tyk_analyticz_<orgid>`, each with Tyk's indexes. Every record of a batch is written
//! (Tyk's selective pump drops the trailing chunk of a batch).

use super::config::MongoSelectiveConfig;
use super::encoder::{self, RecordId};
use super::raw::Inserter;
use super::service::{CollectionSpec, Service, selective_indexes};
use crate::{BuildError, Outcome, Record, Sink};
use async_trait::async_trait;
use mongodb::bson::Document;
use std::collections::BTreeMap;

/// The collection of an organisation's raw records.
pub fn collection_name(org_id: &str) -> String {
    format!("z_tyk_analyticz_{org_id}")
}

/// Writes each organisation's records to its own collection.
pub struct MongoSelectiveSink {
    inserter: Inserter,
    spec: CollectionSpec,
    scratch: Vec<u8>,
}

impl MongoSelectiveSink {
    /// Reads the options and makes the client.
    pub async fn open(config: &MongoSelectiveConfig) -> Result<Self, BuildError> {
        let service = Service::connect(&config.connection()).await?;
        Ok(MongoSelectiveSink {
            inserter: Inserter::new(
                service,
                config.max_insert_batch_size_bytes,
                config.max_document_size_bytes,
                "mongo-selective",
            ),
            spec: CollectionSpec {
                indexes: if config.omit_index_creation {
                    Vec::new()
                } else {
                    selective_indexes()
                },
                capped_bytes: None,
            },
            scratch: Vec::new(),
        })
    }
}

#[async_trait]
impl Sink for MongoSelectiveSink {
    async fn write(&mut self, batch: &[Record<'_>]) -> Vec<Outcome> {
        let mut outcomes = Outcome::all(batch.len(), Outcome::Written);
        let mut by_org: BTreeMap<&str, (Vec<usize>, Vec<Document>)> = BTreeMap::new();
        for (i, record) in batch.iter().enumerate() {
            let Record::Analytics(r) = record else {
                continue;
            };
            if r.response_code == -1 {
                continue;
            }
            let id = RecordId::of_analytics(r, &mut self.scratch).object_id(r.timestamp);
            let entry = by_org.entry(r.org_id.as_ref()).or_default();
            entry.0.push(i);
            entry.1.push(encoder::analytics_document(r, id));
        }
        for (org, (indexes, docs)) in by_org {
            let written = self
                .inserter
                .insert(&collection_name(org), &self.spec, docs)
                .await;
            for (i, o) in indexes.into_iter().zip(written) {
                outcomes[i] = o;
            }
        }
        outcomes
    }
}
