//! slotraft's durable Raft log: one write-ahead log per node, shared by every
//! Raft group hosted there, with group commit.
//!
//! openraft 0.9 waits for each group's append to be flushed before it moves
//! that group on, so a node's write throughput comes from one fdatasync
//! covering the appends of many groups. That is why there is one log and one
//! writer per node rather than one file per group: [`LogStore`] owns the
//! segment files and the writer thread, and each group gets a [`GroupLog`]
//! handle that implements openraft's `RaftLogStorage` (storage-v2).
//!
//! The modules follow the ideas: `record` (the on-disk format), `segment`
//! (files and the recovery scan), `memtable` (where each group's entries
//! live), `writer` (group commit), `purge` (space reclamation), `env` (the
//! file system behind a trait, with a faulty in-memory one for tests),
//! `store` (open, recovery, the enqueue path) and `group` (the openraft face).
//! The format, recovery rules and fault model are written up in
//! `docs/raft-log.md`.

pub mod env;
mod error;
mod group;
mod memtable;
mod options;
mod purge;
pub mod record;
mod segment;
mod store;
mod writer;

pub use error::{Error, Result};
pub use group::GroupLog;
pub use options::{Options, SyncMode, WriterMode, MAX_PAYLOAD};
pub use store::{LogStore, Stats};
