//! `stdout`: the same JSON lines as the `file` sink, on standard output.

use crate::{Outcome, Record, Sink};
use async_trait::async_trait;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

/// `[sinks.<name>]` with `type = "stdout"`; it has no options of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdoutConfig {}

/// Writes JSON lines to standard output.
pub struct StdoutSink {
    out: tokio::io::Stdout,
    buf: Vec<u8>,
}

impl StdoutSink {
    /// A sink on this process's standard output.
    pub fn new(_config: &StdoutConfig) -> Self {
        StdoutSink {
            out: tokio::io::stdout(),
            buf: Vec::new(),
        }
    }
}

#[async_trait]
impl Sink for StdoutSink {
    async fn write(&mut self, batch: &[Record<'_>]) -> Vec<Outcome> {
        self.buf.clear();
        for record in batch {
            record.write_json_line(&mut self.buf);
        }
        match async {
            self.out.write_all(&self.buf).await?;
            self.out.flush().await
        }
        .await
        {
            Ok(()) => Outcome::all(batch.len(), Outcome::Written),
            Err(e) => Outcome::all(
                batch.len(),
                Outcome::Retry(format!("writing to stdout: {e}")),
            ),
        }
    }
}
