//! Errors at the crate boundary.
//!
//! Three kinds of failure matter to a caller and each needs a different
//! reaction: corruption found while opening (a named file and offset, so an
//! operator can look at the bytes), a fatal I/O failure of the writer (the
//! node must stop: after a failed fsync the dirty pages may already be gone,
//! so retrying would only hide lost data), and plain misuse. They are one enum
//! so `?` works everywhere, and they convert into openraft's `StorageError` in
//! one place (`group.rs`).

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in the write-ahead log.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O call failed outside the write path (open, list, read).
    #[error("{op} {path}: {source}")]
    Io {
        /// What we were doing.
        op: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// A record failed its checks somewhere other than the torn tail of the
    /// last segment. Nothing after it is trusted.
    #[error("corrupt log record in {file} at offset {offset}: {reason}")]
    Corrupt {
        /// Segment file holding the bad record.
        file: PathBuf,
        /// Byte offset of the bad record inside that file.
        offset: u64,
        /// What check failed.
        reason: String,
    },

    /// A group's entries are not contiguous after replay (a record that should
    /// exist is missing): never papered over.
    #[error("group {group}: log has a hole: {reason}")]
    Hole {
        /// The affected group.
        group: u64,
        /// Which indexes are missing.
        reason: String,
    },

    /// The writer hit an I/O error (write, fsync, ENOSPC). The log refuses all
    /// further work; the node must restart and recover from disk.
    #[error("write-ahead log is stopped after a fatal I/O error: {0}")]
    Fatal(String),

    /// A payload could not be encoded or decoded by the serde codec.
    #[error("codec: {0}")]
    Codec(String),

    /// The caller broke a precondition (e.g. a non-contiguous append).
    #[error("invalid request: {0}")]
    Invalid(String),

    /// The log store was closed.
    #[error("write-ahead log is closed")]
    Closed,
}

impl Error {
    /// Turns the error into an `io::Error`, as `LogFlushed` callbacks need.
    pub fn to_io(&self) -> io::Error {
        io::Error::other(self.to_string())
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
