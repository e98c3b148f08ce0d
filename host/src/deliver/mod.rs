//! Per-sink delivery: read claimed entries as the sink's consumer group, decode, filter and
//! shape the records, write them with retries, dead-letter what can never be written, then
//! acknowledge. An entry is acknowledged only after every record in it is written or
//! dead-lettered, so a crash at any point loses nothing (it may deliver twice).

mod ack;
mod build;
pub mod dlq;
mod entry;
mod inflight;
mod pipeline;
mod reader;
mod retry;
mod shape;
mod stats;
mod supervisor;
mod worker;

pub use build::SinkBuilder;
pub use entry::Entry;
pub use pipeline::{Shared, SinkPipeline, SinkPlan};
pub use retry::Backoff;
pub use shape::Shaper;
pub use stats::{SinkStats, StatsSnapshot, write_seconds_histogram};
pub use supervisor::Supervisor;
