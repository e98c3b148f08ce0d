//! `elasticsearch`: documents in Tyk's Elasticsearch layout, written through the `_bulk` API
//! to Elasticsearch 7 and 8 or OpenSearch 1 to 3.
//!
//! Every record gets an `_id` derived from its content and goes in with a `create` action,
//! so a batch delivered twice (after a crash, a timeout, a retry) is stored once: a `409`
//! on `create` means "already there" and counts as written. Each item of a bulk response is
//! read: retriable ones (`429`, `5xx`) are retried alone, rejected ones (mapping errors) go
//! to the dead letters with Elasticsearch's reason, and nothing is reported written that
//! the server did not confirm.
//!
//! - `config.rs`: the options, their defaults and checks (`units.rs`: sizes and durations)
//! - `version.rs`: which servers are supported, from `GET /` or the `version` option
//! - `encoder.rs`: a record to its NDJSON action and document lines, and its `_id`
//! - `setup.rs`: the server's version and the index template, before the first write
//! - `service.rs` (`tls.rs`): HTTP to the nodes, with failover, authentication and TLS
//! - `retry.rs`: what a bulk response and its items mean for each record
//! - `sink.rs`: the write loop: cut requests, send several at once, gather outcomes

mod config;
mod encoder;
mod retry;
mod service;
mod setup;
mod sink;
mod tls;
mod units;
mod version;

pub use config::{BulkConfig, Compression, ElasticsearchConfig};
pub use encoder::Encoder;
pub use sink::ElasticsearchSink;
pub use version::{Distribution, ServerVersion};

#[cfg(test)]
mod tests;
