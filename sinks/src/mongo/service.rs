//! The I/O of the MongoDB sinks: the client, the database named by `mongo_url`, and each
//! collection's creation (capped or not) and indexes, done once per collection on first use.
//!
//! Nothing here talks to the server at start-up: a server that is down when the pump
//! starts only delays the first write (retried), it does not stop the pump.

use super::config::Connection;
use super::retry;
use crate::BuildError;
use mongodb::bson::{Document, doc};
use mongodb::options::{ClientOptions, IndexOptions, Tls, TlsOptions};
use mongodb::{Client, Collection, Database, IndexModel};
use std::collections::HashSet;
use std::time::Duration;

/// An index a collection should have.
#[derive(Debug, Clone)]
pub struct IndexSpec {
    /// Its name (Tyk's names, so an index Tyk Pump made is recognised).
    pub name: &'static str,
    pub keys: Document,
    /// TTL: documents go when their `expireAt` passes.
    pub expire_at_ttl: bool,
}

/// How a collection is set up on first use.
#[derive(Debug, Clone, Default)]
pub struct CollectionSpec {
    pub indexes: Vec<IndexSpec>,
    /// Create it capped with this size in bytes.
    pub capped_bytes: Option<u64>,
}

/// Tyk's raw-record indexes.
pub fn raw_indexes() -> Vec<IndexSpec> {
    vec![
        IndexSpec {
            name: "orgid_1",
            keys: doc! { "orgid": 1 },
            expire_at_ttl: false,
        },
        IndexSpec {
            name: "apiid_1",
            keys: doc! { "apiid": 1 },
            expire_at_ttl: false,
        },
        log_browser_index(),
    ]
}

/// Tyk's per-organisation (selective) indexes.
pub fn selective_indexes() -> Vec<IndexSpec> {
    vec![
        IndexSpec {
            name: "apiid_1",
            keys: doc! { "apiid": 1 },
            expire_at_ttl: false,
        },
        ttl_index(),
        log_browser_index(),
    ]
}

/// Tyk's aggregate indexes.
pub fn aggregate_indexes() -> Vec<IndexSpec> {
    vec![
        ttl_index(),
        IndexSpec {
            name: "timestamp_1",
            keys: doc! { "timestamp": 1 },
            expire_at_ttl: false,
        },
        IndexSpec {
            name: "orgid_1",
            keys: doc! { "orgid": 1 },
            expire_at_ttl: false,
        },
    ]
}

fn ttl_index() -> IndexSpec {
    IndexSpec {
        name: "expireAt_1",
        keys: doc! { "expireAt": 1 },
        expire_at_ttl: true,
    }
}

fn log_browser_index() -> IndexSpec {
    IndexSpec {
        name: "logBrowserIndex",
        keys: doc! { "timestamp": -1, "orgid": 1, "apiid": 1, "apikey": 1, "responsecode": 1 },
        expire_at_ttl: false,
    }
}

/// A connected database and the collections already set up.
pub struct Service {
    db: Database,
    ready: HashSet<String>,
}

impl Service {
    /// Reads the connection options and makes a client (no I/O beyond DNS for `mongodb+srv`).
    pub async fn connect(c: &Connection) -> Result<Service, BuildError> {
        let mut options = ClientOptions::parse(&c.mongo_url).await.map_err(|e| {
            BuildError(format!(
                "`mongo_url` is not a usable MongoDB URL: {e}; write it as mongodb://host:27017/database"
            ))
        })?;
        let database = options.default_database.clone().filter(|d| !d.is_empty()).ok_or_else(|| {
            BuildError(
                "`mongo_url` names no database: add it as the URL's path, e.g. mongodb://host:27017/tyk_analytics"
                    .into(),
            )
        })?;
        if options.connect_timeout.is_none() {
            options.connect_timeout = Some(c.connect_timeout);
        }
        if options.server_selection_timeout.is_none() {
            options.server_selection_timeout = Some(c.server_selection_timeout);
        }
        let wants_tls =
            c.use_tls || c.insecure_skip_verify || c.ca_file.is_some() || c.pem_keyfile.is_some();
        if wants_tls {
            let mut tls = match options.tls.take() {
                Some(Tls::Enabled(t)) => t,
                _ => TlsOptions::default(),
            };
            if c.insecure_skip_verify {
                tls.allow_invalid_certificates = Some(true);
            }
            if let Some(ca) = &c.ca_file {
                tls.ca_file_path = Some(ca.clone());
            }
            if let Some(pem) = &c.pem_keyfile {
                tls.cert_key_file_path = Some(pem.clone());
            }
            options.tls = Some(Tls::Enabled(tls));
        }
        options.app_name.get_or_insert_with(|| "pump".to_string());
        let client = Client::with_options(options).map_err(|e| {
            BuildError(format!(
                "cannot make a MongoDB client from `mongo_url` and the TLS options: {e}"
            ))
        })?;
        Ok(Service {
            db: client.database(&database),
            ready: HashSet::new(),
        })
    }

    /// A collection, created and indexed the first time it is asked for in this process.
    pub async fn collection(
        &mut self,
        name: &str,
        spec: &CollectionSpec,
    ) -> Result<Collection<Document>, mongodb::error::Error> {
        let coll = self.db.collection::<Document>(name);
        if self.ready.contains(name) {
            return Ok(coll);
        }
        if let Some(bytes) = spec.capped_bytes {
            let exists = self
                .db
                .list_collection_names()
                .filter(doc! { "name": name })
                .await?
                .iter()
                .any(|n| n == name);
            if !exists {
                let created = self
                    .db
                    .create_collection(name)
                    .capped(true)
                    .size(bytes)
                    .await;
                // 48 NamespaceExists: another pump created it first.
                if let Err(e) = created
                    && retry::code(&e) != Some(48)
                {
                    return Err(e);
                }
            }
        }
        if !spec.indexes.is_empty() {
            let models: Vec<IndexModel> = spec
                .indexes
                .iter()
                .map(|i| {
                    let mut o = IndexOptions::builder().name(i.name.to_string()).build();
                    if i.expire_at_ttl {
                        o.expire_after = Some(Duration::ZERO);
                    }
                    IndexModel::builder()
                        .keys(i.keys.clone())
                        .options(o)
                        .build()
                })
                .collect();
            if let Err(e) = coll.create_indexes(models).await {
                // 85/86: an index with these keys exists with other options (made by hand or
                // by Tyk Pump): keep it.
                if !matches!(retry::code(&e), Some(85) | Some(86)) {
                    return Err(e);
                }
                tracing::warn!(collection = name, error = %e, "an index exists with other options; keeping it");
            }
        }
        self.ready.insert(name.to_string());
        Ok(coll)
    }
}
