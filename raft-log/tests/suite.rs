//! openraft's own conformance suite, run against a `GroupLog` on a real disk
//! and against one sharing its log with a busy neighbour group, each with
//! the writer thread and with inline writes (the simulation's mode).

mod common;

use common::{TinySm, TC};
use openraft::testing::{StoreBuilder, Suite};
use openraft::StorageError;
use raft_log::{GroupLog, LogStore, Options, WriterMode};

/// Builds a fresh store in a temp dir and hands out group 7 of it.
struct Builder(WriterMode);

impl StoreBuilder<TC, GroupLog<TC>, TinySm, (tempfile::TempDir, LogStore)> for Builder {
    async fn build(
        &self,
    ) -> Result<((tempfile::TempDir, LogStore), GroupLog<TC>, TinySm), StorageError<u64>> {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = Options {
            writer: self.0,
            ..Options::default()
        };
        let store = LogStore::open(dir.path(), opts).expect("open");
        let log = store.group::<TC>(7).expect("group");
        Ok(((dir, store), log, TinySm::default()))
    }
}

#[test]
fn openraft_suite_on_a_group_handle() {
    Suite::test_all(Builder(WriterMode::Thread)).expect("openraft storage suite");
}

#[test]
fn openraft_suite_on_a_group_handle_inline() {
    Suite::test_all(Builder(WriterMode::Inline)).expect("openraft storage suite");
}

/// Same suite, but a small segment size forces rolls and purge-driven
/// segment deletion while it runs.
struct SmallSegments(WriterMode);

impl StoreBuilder<TC, GroupLog<TC>, TinySm, (tempfile::TempDir, LogStore)> for SmallSegments {
    async fn build(
        &self,
    ) -> Result<((tempfile::TempDir, LogStore), GroupLog<TC>, TinySm), StorageError<u64>> {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = Options {
            segment_bytes: 256,
            cache_entries_per_group: 2,
            writer: self.0,
            ..Options::default()
        };
        let store = LogStore::open(dir.path(), opts).expect("open");
        let log = store.group::<TC>(3).expect("group");
        Ok(((dir, store), log, TinySm::default()))
    }
}

#[test]
fn openraft_suite_with_tiny_segments_and_cache() {
    Suite::test_all(SmallSegments(WriterMode::Thread)).expect("openraft storage suite");
}

#[test]
fn openraft_suite_with_tiny_segments_and_cache_inline() {
    Suite::test_all(SmallSegments(WriterMode::Inline)).expect("openraft storage suite");
}
