//! `mongo`: one document per record in one collection (Tyk's `mongo` pump), and the insert
//! path it shares with `mongo-selective` and the uptime records.
//!
//! Inserts are unordered and cut by encoded size. Every document's `_id` derives from its
//! record, so a batch delivered again after a crash meets duplicate-key errors for what
//! is already stored; those count as written, and nothing is stored twice.

use super::config::MongoConfig;
use super::encoder::{self, RecordId};
use super::retry;
use super::service::{CollectionSpec, Service, raw_indexes};
use super::uptime;
use crate::{BuildError, Outcome, Record, Sink};
use async_trait::async_trait;
use mongodb::bson::Document;
use mongodb::error::ErrorKind;

/// MongoDB refuses documents larger than this (`maxBsonObjectSize`).
const MONGODB_MAX_DOCUMENT_BYTES: u64 = 16 * 1024 * 1024;

/// Inserts documents into collections, reporting one outcome per document.
pub struct Inserter {
    pub service: Service,
    /// Most encoded bytes per insert command.
    pub max_insert_bytes: u64,
    /// Larger documents lose their raw request and response.
    pub max_document_bytes: u64,
    /// The sink type, for reasons.
    pub label: &'static str,
    scratch: Vec<u8>,
}

impl Inserter {
    /// An inserter over a connected service.
    pub fn new(
        service: Service,
        max_insert_bytes: u64,
        max_document_bytes: u64,
        label: &'static str,
    ) -> Self {
        Inserter {
            service,
            max_insert_bytes,
            max_document_bytes,
            label,
            scratch: Vec::new(),
        }
    }

    /// Inserts `docs` into `collection`; one outcome per document, in order.
    pub async fn insert(
        &mut self,
        collection: &str,
        spec: &CollectionSpec,
        mut docs: Vec<Document>,
    ) -> Vec<Outcome> {
        if docs.is_empty() {
            return Vec::new();
        }
        let coll = match self.service.collection(collection, spec).await {
            Ok(c) => c,
            Err(e) => {
                let why = format!(
                    "{} (setting up collection `{collection}`)",
                    retry::describe(&e)
                );
                let outcome = if retry::is_permanent(&e) {
                    Outcome::Rejected(format!("{}: {why}", self.label))
                } else {
                    Outcome::Retry(format!("{}: {why}", self.label))
                };
                return Outcome::all(docs.len(), outcome);
            }
        };
        // Documents that cannot be stored as they are get their outcome now; the others
        // are inserted in chunks cut by encoded size.
        let mut outcomes: Vec<Option<Outcome>> = vec![None; docs.len()];
        let mut sizes = Vec::with_capacity(docs.len());
        for (i, d) in docs.iter_mut().enumerate() {
            match self.fit(collection, d) {
                Ok(len) => sizes.push((i, len)),
                Err(why) => outcomes[i] = Some(Outcome::Rejected(format!("{}: {why}", self.label))),
            }
        }
        let mut start = 0;
        while start < sizes.len() {
            let mut end = start + 1;
            let mut bytes = sizes[start].1;
            while end < sizes.len() && bytes.saturating_add(sizes[end].1) <= self.max_insert_bytes {
                bytes = bytes.saturating_add(sizes[end].1);
                end += 1;
            }
            let chunk: Vec<&Document> = sizes[start..end].iter().map(|&(i, _)| &docs[i]).collect();
            let result = coll.insert_many(chunk.iter().copied()).ordered(false).await;
            for (&(i, _), outcome) in sizes[start..end]
                .iter()
                .zip(self.chunk_outcomes(end - start, result))
            {
                outcomes[i] = Some(outcome);
            }
            start = end;
        }
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Outcome::Retry("the document was not sent".into())))
            .collect()
    }

    /// The encoded size of a document made to fit: over `max_document_size_bytes` it loses
    /// its raw request and response, as in Tyk; an error if it still cannot be stored.
    fn fit(&mut self, collection: &str, d: &mut Document) -> Result<u64, String> {
        let mut len = encoder::encoded_len(d, &mut self.scratch)
            .map_err(|e| format!("the record cannot be encoded as BSON: {e}"))?;
        if len > self.max_document_bytes {
            encoder::strip_raw(d);
            len = encoder::encoded_len(d, &mut self.scratch)
                .map_err(|e| format!("the record cannot be encoded as BSON: {e}"))?;
            tracing::warn!(
                collection,
                limit = self.max_document_bytes,
                "document over max_document_size_bytes: stored without its raw request and response"
            );
        }
        if len > MONGODB_MAX_DOCUMENT_BYTES {
            return Err(format!(
                "the document is {len} bytes, over MongoDB's limit of {MONGODB_MAX_DOCUMENT_BYTES} even without its raw request and response"
            ));
        }
        Ok(len)
    }

    fn chunk_outcomes<T>(&self, n: usize, result: mongodb::error::Result<T>) -> Vec<Outcome> {
        let e = match result {
            Ok(_) => return Outcome::all(n, Outcome::Written),
            Err(e) => e,
        };
        let ErrorKind::InsertMany(failure) = &*e.kind else {
            return Outcome::all(n, retry::operation_outcome(&e, self.label));
        };
        // Unordered: every document without an error of its own was inserted, unless the
        // write concern failed, in which case none is known to be durable.
        let rest = match &failure.write_concern_error {
            Some(wc) => Outcome::Retry(format!(
                "{}: MongoDB write concern not satisfied: {}",
                self.label, wc.message
            )),
            None => Outcome::Written,
        };
        let mut outcomes = Outcome::all(n, rest);
        for w in failure.write_errors.iter().flatten() {
            if let Some(o) = outcomes.get_mut(w.index) {
                *o = retry::write_error_outcome(w.code, &w.message, self.label);
            }
        }
        outcomes
    }
}

/// Writes analytics records (and uptime records with `uptime = true`) as raw documents.
pub struct MongoSink {
    inserter: Inserter,
    collection: String,
    spec: CollectionSpec,
    uptime_collection: String,
    scratch: Vec<u8>,
}

impl MongoSink {
    /// Reads the options and makes the client; the server is first contacted by a write.
    pub async fn open(config: &MongoConfig) -> Result<Self, BuildError> {
        if config.collection_name.is_empty() {
            return Err(BuildError(
                "`collection_name` is empty; name the collection, e.g. \"tyk_analytics\"".into(),
            ));
        }
        let service = Service::connect(&config.connection()).await?;
        let spec = CollectionSpec {
            indexes: if config.omit_index_creation {
                Vec::new()
            } else {
                raw_indexes()
            },
            capped_bytes: config
                .collection_cap_enable
                .then_some(config.collection_cap_max_size_bytes),
        };
        Ok(MongoSink {
            inserter: Inserter::new(
                service,
                config.max_insert_batch_size_bytes,
                config.max_document_size_bytes,
                "mongo",
            ),
            collection: config.collection_name.clone(),
            spec,
            uptime_collection: config.uptime_collection_name.clone(),
            scratch: Vec::new(),
        })
    }
}

#[async_trait]
impl Sink for MongoSink {
    async fn write(&mut self, batch: &[Record<'_>]) -> Vec<Outcome> {
        let mut outcomes = Outcome::all(batch.len(), Outcome::Written);
        let mut analytics = (Vec::new(), Vec::new());
        let mut uptimes = (Vec::new(), Vec::new());
        for (i, record) in batch.iter().enumerate() {
            match record {
                // Network-statistics-only records are not stored, as in Tyk.
                Record::Analytics(r) if r.response_code == -1 => {}
                Record::Analytics(r) => {
                    let id = RecordId::of_analytics(r, &mut self.scratch).object_id(r.timestamp);
                    analytics.0.push(i);
                    analytics.1.push(encoder::analytics_document(r, id));
                }
                Record::Uptime(r) => {
                    uptimes.0.push(i);
                    uptimes.1.push(uptime::document(r, &mut self.scratch));
                }
            }
        }
        let written = self
            .inserter
            .insert(&self.collection, &self.spec, analytics.1)
            .await;
        for (i, o) in analytics.0.into_iter().zip(written) {
            outcomes[i] = o;
        }
        let written = self
            .inserter
            .insert(&self.uptime_collection, &uptime::spec(), uptimes.1)
            .await;
        for (i, o) in uptimes.0.into_iter().zip(written) {
            outcomes[i] = o;
        }
        outcomes
    }
}
