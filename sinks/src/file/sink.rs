//! The `file` sink's write loop: encode the batch as JSON lines, one write per batch.
//!
//! The path is checked before each batch: when the file was moved away or deleted (log
//! rotation), the sink reopens the path; when it cannot (its directory is gone), the batch
//! is retried later rather than written to a file nobody can reach.
//!
//! A batch goes to the file in one `write_all` on a blocking thread (tokio's file type
//! would cut it into 2 MiB writes). A crash in the middle of one can still leave a partial
//! last line; opening a file that does not end with a newline adds one, so the next batch
//! starts on a line of its own and only the interrupted line is damaged (its records are
//! delivered again, since the batch was not acknowledged).

use super::FileConfig;
use crate::{BuildError, Outcome, Record, Sink};
use async_trait::async_trait;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Appends JSON lines to a file.
pub struct FileSink {
    path: PathBuf,
    file: Arc<File>,
    /// (device, inode) of the open file, to notice rotation.
    identity: (u64, u64),
    fsync: bool,
    buf: Vec<u8>,
}

impl FileSink {
    /// Opens (or creates) the file for appending.
    pub async fn open(config: &FileConfig) -> Result<Self, BuildError> {
        let (file, identity) = open_append(config.path.clone()).await.map_err(|e| {
            BuildError(format!(
                "cannot open `{}` for appending: {e}; check that its directory exists and is writable",
                config.path.display()
            ))
        })?;
        Ok(FileSink {
            path: config.path.clone(),
            file,
            identity,
            fsync: config.fsync,
            buf: Vec::new(),
        })
    }
}

#[async_trait]
impl Sink for FileSink {
    async fn write(&mut self, batch: &[Record<'_>]) -> Vec<Outcome> {
        self.buf.clear();
        for record in batch {
            record.write_json_line(&mut self.buf);
        }
        if let Err(e) = self.reopen_if_rotated().await {
            return Outcome::all(
                batch.len(),
                Outcome::Retry(format!("cannot reopen `{}`: {e}", self.path.display())),
            );
        }
        // One write per batch: with O_APPEND, a batch is never interleaved with another
        // process's writes to the same file.
        let file = self.file.clone();
        let buf = std::mem::take(&mut self.buf);
        let fsync = self.fsync;
        let result = tokio::task::spawn_blocking(move || {
            let r = (&*file)
                .write_all(&buf)
                .and_then(|()| if fsync { file.sync_data() } else { Ok(()) });
            (r, buf)
        })
        .await;
        let result = match result {
            Ok((r, buf)) => {
                self.buf = buf;
                r
            }
            Err(e) => Err(std::io::Error::other(e)),
        };
        match result {
            Ok(()) => Outcome::all(batch.len(), Outcome::Written),
            Err(e) => Outcome::all(
                batch.len(),
                Outcome::Retry(format!("writing to `{}`: {e}", self.path.display())),
            ),
        }
    }
}

impl FileSink {
    async fn reopen_if_rotated(&mut self) -> std::io::Result<()> {
        let current = tokio::fs::metadata(&self.path)
            .await
            .ok()
            .map(|m| identity(&m));
        if current != Some(self.identity) {
            let (file, identity) = open_append(self.path.clone()).await?;
            self.file = file;
            self.identity = identity;
            tracing::info!(path = %self.path.display(), "file moved or deleted: reopened");
        }
        Ok(())
    }
}

async fn open_append(path: PathBuf) -> std::io::Result<(Arc<File>, (u64, u64))> {
    tokio::task::spawn_blocking(move || open_append_blocking(&path))
        .await
        .map_err(std::io::Error::other)?
}

fn open_append_blocking(path: &Path) -> std::io::Result<(Arc<File>, (u64, u64))> {
    let mut file = OpenOptions::new()
        .read(true)
        .create(true)
        .append(true)
        .open(path)?;
    let meta = file.metadata()?;
    if meta.len() > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::End(-1))?;
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            file.write_all(b"\n")?;
        }
    }
    Ok((Arc::new(file), identity(&meta)))
}

#[cfg(unix)]
fn identity(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn identity(m: &std::fs::Metadata) -> (u64, u64) {
    (0, m.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pump_record::AnalyticsRecord;

    #[tokio::test]
    async fn appends_one_json_line_per_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, "existing\n").unwrap();
        let mut sink = FileSink::open(&FileConfig {
            path: path.clone(),
            fsync: true,
        })
        .await
        .unwrap();
        let r = AnalyticsRecord {
            api_id: "a1".into(),
            ..Default::default()
        };
        let batch = vec![
            Record::Analytics(Box::new(r.clone())),
            Record::Analytics(Box::new(r)),
        ];
        assert_eq!(
            sink.write(&batch).await,
            vec![Outcome::Written, Outcome::Written]
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], "existing");
        let v: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(v["api_id"], "a1");
        assert_eq!(v["timestamp"], "0001-01-01T00:00:00.000000000Z");
    }

    #[tokio::test]
    async fn reopens_after_rotation_and_retries_while_the_directory_is_gone() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("out");
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join("a.jsonl");
        let mut sink = FileSink::open(&FileConfig {
            path: path.clone(),
            fsync: false,
        })
        .await
        .unwrap();
        let batch = vec![Record::Analytics(Box::default())];
        assert_eq!(sink.write(&batch).await, vec![Outcome::Written]);
        std::fs::rename(&dir, root.path().join("old")).unwrap();
        assert!(matches!(sink.write(&batch).await[0], Outcome::Retry(_)));
        std::fs::create_dir(&dir).unwrap();
        assert_eq!(sink.write(&batch).await, vec![Outcome::Written]);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
        let old = std::fs::read_to_string(root.path().join("old/a.jsonl")).unwrap();
        assert_eq!(old.lines().count(), 1);
    }

    #[tokio::test]
    async fn a_partial_last_line_is_closed_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, "{\"complete\":1}\n{\"torn").unwrap();
        let mut sink = FileSink::open(&FileConfig {
            path: path.clone(),
            fsync: false,
        })
        .await
        .unwrap();
        assert_eq!(
            sink.write(&[Record::Analytics(Box::default())]).await,
            vec![Outcome::Written]
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1], "{\"torn");
        assert!(serde_json::from_str::<serde_json::Value>(lines[2]).is_ok());
    }

    #[tokio::test]
    async fn missing_directory_is_a_clear_start_up_error() {
        let err = FileSink::open(&FileConfig {
            path: "/nonexistent-dir/x.jsonl".into(),
            fsync: false,
        })
        .await
        .err()
        .unwrap();
        assert!(err.0.contains("/nonexistent-dir/x.jsonl"), "{err}");
    }
}
