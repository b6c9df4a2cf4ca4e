//! A group member's durable snapshot: one file in the group's directory,
//! shared by the data state machine (keyspace snapshots) and the witness
//! (metadata-only snapshots), so both replace it the same atomic way.
//!
//! File format: magic | meta len u64 | meta xxh3 u64 | meta (bincode) |
//! data. The data is opaque here; its own format says what it is (see
//! `snapshot.rs`: a keyspace, or a witness's metadata-only marker).
//!
//! A save is write-to-temp, fsync, rename, fsync of the directory: a crash
//! leaves either the old or the new snapshot, never a torn one.

use std::fs;
use std::io::{self, Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use openraft::storage::{Snapshot, SnapshotMeta};
use openraft::{AnyError, BasicNode, ErrorSubject, ErrorVerb, LogId, StorageError, StorageIOError};
use parking_lot::Mutex;
use xxhash_rust::xxh3::xxh3_64;

use super::types::{GroupConfig, NodeId};

/// A snapshot's metadata as openraft describes it.
pub(crate) type Meta = SnapshotMeta<NodeId, BasicNode>;

/// First bytes of a group's snapshot file.
const FILE_MAGIC: &[u8; 8] = b"SRGSNAP1";
/// Name of the current snapshot file in the group's directory.
pub(crate) const FILE_NAME: &str = "snapshot";

/// Wraps an I/O error as openraft's storage error.
pub(crate) fn io_err<E: std::error::Error + 'static>(
    verb: ErrorVerb,
    subject: ErrorSubject<NodeId>,
    e: &E,
) -> StorageError<NodeId> {
    StorageError::IO {
        source: StorageIOError::new(subject, verb, AnyError::new(e)),
    }
}

/// The snapshot file of a group and the metadata of what it holds.
pub(crate) struct SnapshotFile {
    dir: PathBuf,
    /// Meta of the snapshot on disk; the lock also orders writers.
    current: Mutex<Option<Meta>>,
    built: AtomicU64,
    installed: AtomicU64,
}

impl SnapshotFile {
    /// Opens the snapshot file of the group in `dir` (created if missing)
    /// and returns it with the snapshot found there, if any.
    #[allow(clippy::type_complexity)]
    pub(crate) fn open(
        dir: impl AsRef<Path>,
    ) -> io::Result<(SnapshotFile, Option<(Meta, Vec<u8>)>)> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir)?;
        let found = read_file(&dir.join(FILE_NAME))?;
        let file = SnapshotFile {
            dir,
            current: Mutex::new(found.as_ref().map(|(m, _)| m.clone())),
            built: AtomicU64::new(0),
            installed: AtomicU64::new(0),
        };
        Ok((file, found))
    }

    /// The metadata of the snapshot on disk, if any.
    pub(crate) fn current(&self) -> Option<Meta> {
        self.current.lock().clone()
    }

    /// A fresh snapshot id for a snapshot built at `last`: unique among
    /// the snapshots this member builds.
    pub(crate) fn next_id(&self, last: &Option<LogId<NodeId>>) -> String {
        let n = self.built.fetch_add(1, Ordering::Relaxed) + 1;
        match last {
            Some(l) => format!("{}-{}-{n}", l.leader_id, l.index),
            None => format!("none-{n}"),
        }
    }

    /// Counts a snapshot received from a leader.
    pub(crate) fn note_installed(&self) {
        self.installed.fetch_add(1, Ordering::Relaxed);
    }

    /// How many snapshots were received from a leader since the open.
    pub(crate) fn installed(&self) -> u64 {
        self.installed.load(Ordering::Relaxed)
    }

    /// Makes `data` the group's snapshot unless a newer one is already on
    /// disk.
    pub(crate) fn save(&self, meta: &Meta, data: &[u8]) -> io::Result<()> {
        let mut current = self.current.lock();
        if current
            .as_ref()
            .is_some_and(|c| c.last_log_id > meta.last_log_id)
        {
            return Ok(());
        }
        let m =
            bincode::serialize(meta).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let tmp = self.dir.join(format!("{FILE_NAME}.tmp"));
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(FILE_MAGIC)?;
            f.write_all(&(m.len() as u64).to_le_bytes())?;
            f.write_all(&xxh3_64(&m).to_le_bytes())?;
            f.write_all(&m)?;
            f.write_all(data)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, self.dir.join(FILE_NAME))?;
        fs::File::open(&self.dir)?.sync_all()?;
        *current = Some(meta.clone());
        Ok(())
    }

    /// Saves a snapshot this member built and hands it to openraft.
    // openraft's storage error, passed straight back from its traits.
    #[allow(clippy::result_large_err)]
    pub(crate) fn publish(
        &self,
        meta: Meta,
        data: Vec<u8>,
    ) -> Result<Snapshot<GroupConfig>, StorageError<NodeId>> {
        self.store(&meta, &data)?;
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }

    /// [`SnapshotFile::save`], failing with openraft's storage error.
    // openraft's storage error, passed straight back from its traits.
    #[allow(clippy::result_large_err)]
    pub(crate) fn store(&self, meta: &Meta, data: &[u8]) -> Result<(), StorageError<NodeId>> {
        self.save(meta, data).map_err(|e| {
            io_err(
                ErrorVerb::Write,
                ErrorSubject::Snapshot(Some(meta.signature())),
                &e,
            )
        })
    }

    /// The snapshot on disk as openraft's `get_current_snapshot` wants it.
    // openraft's storage error, passed straight back from its traits.
    #[allow(clippy::result_large_err)]
    pub(crate) fn current_snapshot(
        &self,
    ) -> Result<Option<Snapshot<GroupConfig>>, StorageError<NodeId>> {
        let loaded = self
            .load()
            .map_err(|e| io_err(ErrorVerb::Read, ErrorSubject::Snapshot(None), &e))?;
        Ok(loaded.map(|(meta, data)| Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        }))
    }

    /// The snapshot on disk: meta and data (`None`: no snapshot yet).
    pub(crate) fn load(&self) -> io::Result<Option<(Meta, Vec<u8>)>> {
        // Under the lock, so a concurrent save cannot swap the file between
        // the check and the read.
        let current = self.current.lock();
        if current.is_none() {
            return Ok(None);
        }
        read_file(&self.dir.join(FILE_NAME))
    }
}

/// Reads a snapshot file: meta and data bytes (`None`: no file).
fn read_file(path: &Path) -> io::Result<Option<(Meta, Vec<u8>)>> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let bad = |m: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {m}", path.display()),
        )
    };
    if bytes.len() < 24 || &bytes[..8] != FILE_MAGIC {
        return Err(bad("not a group snapshot"));
    }
    let len = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    let sum = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    if len > (bytes.len() - 24) as u64 {
        return Err(bad("meta past the end"));
    }
    let (meta, data) = bytes[24..].split_at(len as usize);
    if xxh3_64(meta) != sum {
        return Err(bad("meta checksum mismatch"));
    }
    let meta: Meta = bincode::deserialize(meta).map_err(|e| bad(&e.to_string()))?;
    Ok(Some((meta, data.to_vec())))
}
