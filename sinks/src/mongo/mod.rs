//! The MongoDB sinks Tyk's Dashboard reads: `mongo` (raw records, and uptime records with
//! `uptime = true`), `mongo-aggregate` (per-organisation time buckets) and
//! `mongo-selective` (raw records, one collection per organisation). Every write is
//! idempotent: a batch delivered again after a crash stores and counts nothing twice.

pub mod aggregate;
pub mod config;
pub mod encoder;
mod raw;
mod retry;
pub mod selective;
mod service;
mod uptime;

#[cfg(test)]
mod tests;

pub use aggregate::MongoAggregateSink;
pub use config::{MongoAggregateConfig, MongoConfig, MongoSelectiveConfig};
pub use raw::MongoSink;
pub use selective::MongoSelectiveSink;
