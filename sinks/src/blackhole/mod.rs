//! `blackhole`: takes every record and discards it (benchmarks, dry runs).

use crate::{Outcome, Record, Sink};
use async_trait::async_trait;
use serde::Deserialize;

/// `[sinks.<name>]` with `type = "blackhole"`; it has no options of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlackholeConfig {}

/// Discards records; the delivery layer's counters say how many went through.
pub struct BlackholeSink;

impl BlackholeSink {
    /// A new blackhole.
    pub fn new(_config: &BlackholeConfig) -> Self {
        BlackholeSink
    }
}

#[async_trait]
impl Sink for BlackholeSink {
    async fn write(&mut self, batch: &[Record<'_>]) -> Vec<Outcome> {
        Outcome::all(batch.len(), Outcome::Written)
    }
}
