//! The sink interface the pump drives, and the built-in native sinks.
//!
//! A sink receives a batch of decoded records and answers with one [`Outcome`] per record,
//! so that one bad record is dead-lettered without failing its batch, and a batch the
//! backend could not take right now is retried without being lost. The delivery layer
//! (`pump::deliver`) owns retries, dead letters and acknowledgement; sinks only write.

pub mod blackhole;
pub mod elasticsearch;
pub mod file;
pub mod mongo;
mod registry;
pub mod stdout;

pub use pump_record::Record;
pub use registry::{SinkSettings, UnknownSinkType};

use async_trait::async_trait;

/// What became of one record handed to [`Sink::write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored by the backend (or already there: re-delivery of an idempotent write).
    Written,
    /// Not stored this time, may succeed later (backend down, throttled, timed out).
    Retry(String),
    /// Can never be stored as it is (rejected by the backend); goes to the dead letters.
    Rejected(String),
}

impl Outcome {
    /// The same outcome for every record of a batch of `n`.
    pub fn all(n: usize, outcome: Outcome) -> Vec<Outcome> {
        vec![outcome; n]
    }
}

/// Which record kinds a sink takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepts {
    /// Request analytics records.
    pub analytics: bool,
    /// Uptime check records.
    pub uptime: bool,
}

/// An error that stops a sink from starting (bad path, unreachable server at start-up).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(pub String);

/// A destination for records.
#[async_trait]
pub trait Sink: Send {
    /// Writes a batch; returns exactly one outcome per record, in order.
    async fn write(&mut self, batch: &[Record<'_>]) -> Vec<Outcome>;

    /// Writes a batch whose records also come encoded exactly as the gateway writes them
    /// (`msgpack[i]` is `batch[i]`, unchanged since it was read), for sinks that can take
    /// those bytes as they are. By default the bytes are not used.
    async fn write_encoded(&mut self, batch: &[Record<'_>], msgpack: &[&[u8]]) -> Vec<Outcome> {
        let _ = msgpack;
        self.write(batch).await
    }

    /// Makes everything written so far durable (called before acknowledging to Redis).
    async fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }

    /// Releases the sink's resources at shutdown.
    async fn close(&mut self) {}
}
