//! Tunables, each with its limit written down.
//!
//! They live apart from the store so the node's configuration layer can
//! build them without knowing anything about segments or the writer.

/// When the writer calls fdatasync, as Valkey's `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// fdatasync every batch before any append of it is acknowledged (default).
    Always,
    /// Acknowledge after the write; fdatasync at most once a second. A crash
    /// may lose up to about a second of acknowledged appends.
    EverySec,
    /// Acknowledge after the write; never fdatasync for appends (the OS
    /// flushes when it likes). Votes are still made durable.
    No,
}

/// Who does the writing and syncing of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriterMode {
    /// A dedicated writer thread with group commit (the default; see
    /// `writer.rs`). Appends from many groups share one fdatasync.
    #[default]
    Thread,
    /// No thread: every call that queues work (append, vote, truncate,
    /// purge, flush) writes and syncs it on the caller before returning, so
    /// completions run on the caller too. Same on-disk format, same sync
    /// rules and fault handling, no group commit and no batch hold. Meant for
    /// deterministic simulation (a real OS thread makes timing depend on the
    /// OS scheduler), not for throughput. With `SyncMode::EverySec` the
    /// periodic sync happens at the next call after the second has passed.
    Inline,
}

/// How a [`crate::LogStore`] behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Durability of appends.
    pub sync: SyncMode,
    /// A segment is sealed once it would grow past this many bytes
    /// (a single larger record still gets a segment of its own).
    pub segment_bytes: u64,
    /// Recent entries kept in memory per group, so replication rarely reads
    /// disk. Entries not yet written are always kept regardless.
    pub cache_entries_per_group: usize,
    /// A sealed segment whose live bytes fall below this fraction of its size
    /// is compacted: its live records are rewritten at the head, then it is
    /// deleted. Bounds disk use to about `1 / fraction` × live data.
    pub compact_below: f64,
    /// Group-commit hold, as a fraction of the moving-average fdatasync time.
    /// After a synced batch releases more than one appender, the writer may
    /// keep the next batch open for at most this long, waiting for those
    /// appenders to append again (it stops the moment they all have). A batch
    /// that released one appender is never held, so a lone group's latency is
    /// unchanged. 0 disables holding; values above 1 count as 1. See
    /// `writer.rs` and docs/raft-log.md.
    pub group_commit_hold: f64,
    /// Writer thread (default) or inline writes for simulation.
    pub writer: WriterMode,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sync: SyncMode::Always,
            segment_bytes: 64 << 20,
            cache_entries_per_group: 4096,
            compact_below: 0.5,
            group_commit_hold: 0.25,
            writer: WriterMode::Thread,
        }
    }
}

/// The largest payload one record may carry (bounds memory during recovery).
pub const MAX_PAYLOAD: u32 = 256 << 20;
