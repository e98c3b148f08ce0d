//! Options of the `file` sink.

use serde::Deserialize;
use std::path::PathBuf;

/// `[sinks.<name>]` with `type = "file"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The file to append to; created if missing (its directory must exist).
    pub path: PathBuf,
    /// Call fsync after each batch before it is acknowledged, so that a power loss cannot
    /// lose acknowledged records. Off by default: a crash of the pump alone loses nothing.
    #[serde(default)]
    pub fsync: bool,
}
