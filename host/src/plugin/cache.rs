//! Compiled components kept on disk, so that a restart with the same plugins does not
//! compile them again. An entry is keyed by the component's SHA-256 and wasmtime's
//! compatibility hash of the engine (its version, target and settings: equal hashes are
//! guaranteed to load each other's code); anything else misses and compiles afresh.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// How long an entry may go unused before it is removed.
const UNUSED_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// A directory of compiled components.
pub struct Cache {
    dir: PathBuf,
    /// The engine's compatibility hash, part of every entry's name.
    engine_key: String,
}

impl Cache {
    /// A cache in `dir` (created on first store) for components compiled by `engine`.
    pub fn new(dir: PathBuf, engine: &Engine) -> Self {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        Cache {
            dir,
            engine_key: format!("engine-{:016x}", h.finish()),
        }
    }

    /// The component compiled from `bytes`, from the cache or compiled now (and stored).
    /// Also says whether it came from the cache.
    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<(Component, bool)> {
        let path = self.entry(bytes);
        if path.exists() {
            // SAFETY: the file was written by `Component::serialize` of an engine with the
            // same compatibility hash (it is in the name) into the pump's own cache
            // directory; wasmtime still checks its header and refuses a mismatch.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(c) => {
                    // Its modification time says when it was last used (see `prune`).
                    if let Ok(f) = std::fs::File::options().append(true).open(&path) {
                        let _ = f.set_modified(std::time::SystemTime::now());
                    }
                    return Ok((c, true));
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "ignoring an unusable compiled plugin in the cache");
                }
            }
        }
        let component = Component::new(engine, bytes)?;
        if let Err(e) = self.store(&path, &component) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot store the compiled plugin; it is compiled again at the next start");
        }
        self.prune();
        Ok((component, false))
    }

    /// Removes entries unused for [`UNUSED_FOR`]: old versions of plugins and entries of
    /// other engines would otherwise pile up, one per reload. An entry still in use is
    /// touched at each load, and one removed by mistake is only compiled again.
    fn prune(&self) {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let now = std::time::SystemTime::now();
        for entry in dir.flatten() {
            let path = entry.path();
            let stale = path.extension().is_some_and(|e| e == "cwasm")
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > UNUSED_FOR);
            if stale {
                let _ = std::fs::remove_file(&path);
            }
        }
    }

    fn entry(&self, bytes: &[u8]) -> PathBuf {
        let digest = Sha256::digest(bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{hex}-{}.cwasm", self.engine_key))
    }

    fn store(&self, path: &Path, component: &Component) -> std::io::Result<()> {
        let bytes = component.serialize().map_err(std::io::Error::other)?;
        std::fs::create_dir_all(&self.dir)?;
        // Written aside and renamed, so a crash never leaves a torn entry under the name.
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAT: &str = "(component (core module (func (export \"f\"))))";

    #[test]
    fn a_second_load_comes_from_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let cache = Cache::new(dir.path().to_owned(), &engine);
        let bytes = WAT.as_bytes();
        let (_, cached) = cache.load(&engine, bytes).unwrap();
        assert!(!cached);
        let (_, cached) = cache.load(&engine, bytes).unwrap();
        assert!(cached);
        // Another component is another entry.
        assert!(!cache.load(&engine, b"(component)").unwrap().1);
    }

    #[test]
    fn entries_unused_for_a_month_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let cache = Cache::new(dir.path().to_owned(), &engine);
        let old = dir.path().join("old.cwasm");
        std::fs::write(&old, b"x").unwrap();
        let f = std::fs::File::options().append(true).open(&old).unwrap();
        f.set_modified(std::time::SystemTime::now() - 2 * UNUSED_FOR)
            .unwrap();
        cache.load(&engine, WAT.as_bytes()).unwrap();
        assert!(!old.exists());
        assert!(cache.entry(WAT.as_bytes()).exists());
    }

    #[test]
    fn a_corrupt_entry_is_compiled_again() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let cache = Cache::new(dir.path().to_owned(), &engine);
        let bytes = WAT.as_bytes();
        std::fs::write(cache.entry(bytes), b"not a compiled component").unwrap();
        let (_, cached) = cache.load(&engine, bytes).unwrap();
        assert!(!cached);
    }
}
