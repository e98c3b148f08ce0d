//! The versions of one configured plugin: the newest, for new instances and for batches
//! claimed from now on, and those before it, for batches claimed before it was loaded.

use super::component::Loaded;
use std::sync::{Arc, RwLock};

/// How many versions are kept: a sink that lags behind more reloads than this routes its
/// oldest batches with the oldest version kept.
pub const KEPT_VERSIONS: usize = 8;

/// The versions of a plugin, shared by everything that runs it.
pub type PluginSlot = Slot<Arc<Loaded>>;

/// Versions of something, each for the batches claimed from a point in time on.
#[derive(Debug)]
pub struct Slot<T> {
    /// `(since_ms, version)`, oldest first; never empty.
    versions: Arc<RwLock<Vec<(u64, T)>>>,
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Slot {
            versions: self.versions.clone(),
        }
    }
}

impl<T: Clone> Slot<T> {
    /// A slot holding its first version, for every batch.
    pub fn new(first: T) -> Self {
        Slot {
            versions: Arc::new(RwLock::new(vec![(0, first)])),
        }
    }

    /// The newest version.
    pub fn newest(&self) -> T {
        let versions = self.versions.read().unwrap_or_else(|p| p.into_inner());
        versions
            .last()
            .map(|(_, v)| v.clone())
            .expect("a slot always holds a version")
    }

    /// When the newest version took effect (0 for the first).
    pub fn newest_since(&self) -> u64 {
        let versions = self.versions.read().unwrap_or_else(|p| p.into_inner());
        versions.last().map(|(since, _)| *since).unwrap_or(0)
    }

    /// The version for a batch claimed at `claimed_ms` (by Redis's clock): the newest
    /// published at or before it, else the oldest kept.
    pub fn for_claim(&self, claimed_ms: u64) -> T {
        let versions = self.versions.read().unwrap_or_else(|p| p.into_inner());
        versions
            .iter()
            .rev()
            .find(|(since, _)| *since <= claimed_ms)
            .or(versions.first())
            .map(|(_, v)| v.clone())
            .expect("a slot always holds a version")
    }

    /// Makes `version` the newest, for batches claimed at or after `since_ms`.
    pub fn publish(&self, version: T, since_ms: u64) {
        let mut versions = self.versions.write().unwrap_or_else(|p| p.into_inner());
        versions.push((since_ms, version));
        if versions.len() > KEPT_VERSIONS {
            versions.remove(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_keeps_the_version_it_was_claimed_under() {
        let slot = Slot::new("v1");
        assert_eq!(slot.for_claim(500), "v1");
        slot.publish("v2", 1000);
        slot.publish("v3", 2000);
        assert_eq!(slot.newest(), "v3");
        assert_eq!(slot.for_claim(999), "v1");
        assert_eq!(slot.for_claim(1000), "v2");
        assert_eq!(slot.for_claim(1999), "v2");
        assert_eq!(slot.for_claim(2000), "v3");
        assert_eq!(slot.for_claim(u64::MAX), "v3");
    }

    #[test]
    fn only_the_last_versions_are_kept() {
        let slot = Slot::new(0u64);
        for v in 1..=20u64 {
            slot.publish(v, v * 100);
        }
        assert_eq!(slot.newest(), 20);
        // Older than every kept version: the oldest kept.
        assert_eq!(slot.for_claim(0), 20 - KEPT_VERSIONS as u64 + 1);
        assert_eq!(slot.for_claim(1550), 15);
    }
}
