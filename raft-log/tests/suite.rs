//! openraft's own conformance suite, run against a `GroupLog` on a real disk
//! and against one sharing its log with a busy neighbour group.

mod common;

use common::{TinySm, TC};
use openraft::testing::{StoreBuilder, Suite};
use openraft::StorageError;
use raft_log::{GroupLog, LogStore, Options};

/// Builds a fresh store in a temp dir and hands out group 7 of it.
struct Builder;

impl StoreBuilder<TC, GroupLog<TC>, TinySm, (tempfile::TempDir, LogStore)> for Builder {
    async fn build(
        &self,
    ) -> Result<((tempfile::TempDir, LogStore), GroupLog<TC>, TinySm), StorageError<u64>> {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LogStore::open(dir.path(), Options::default()).expect("open");
        let log = store.group::<TC>(7).expect("group");
        Ok(((dir, store), log, TinySm::default()))
    }
}

#[test]
fn openraft_suite_on_a_group_handle() {
    Suite::test_all(Builder).expect("openraft storage suite");
}

/// Same suite, but a small segment size forces rolls and purge-driven
/// segment deletion while it runs.
struct SmallSegments;

impl StoreBuilder<TC, GroupLog<TC>, TinySm, (tempfile::TempDir, LogStore)> for SmallSegments {
    async fn build(
        &self,
    ) -> Result<((tempfile::TempDir, LogStore), GroupLog<TC>, TinySm), StorageError<u64>> {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = Options {
            segment_bytes: 256,
            cache_entries_per_group: 2,
            ..Options::default()
        };
        let store = LogStore::open(dir.path(), opts).expect("open");
        let log = store.group::<TC>(3).expect("group");
        Ok(((dir, store), log, TinySm::default()))
    }
}

#[test]
fn openraft_suite_with_tiny_segments_and_cache() {
    Suite::test_all(SmallSegments).expect("openraft storage suite");
}
