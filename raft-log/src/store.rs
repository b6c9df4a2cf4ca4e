//! The node-wide log: opening (recovery), shared state, and the enqueue path.
//!
//! One [`LogStore`] per node owns the segment files and the writer thread (or,
//! in `WriterMode::Inline`, the writer state its callers drive); every
//! group hosted on the node gets a cheap [`crate::GroupLog`] handle onto it. All
//! in-memory state sits behind one mutex: appends hold it only long enough to
//! assign each record its place in the log (segment and offset are fixed at
//! enqueue time, so the index is complete the moment `append` returns) and to
//! queue the bytes; the writer holds it only to take the queue. Disk I/O never
//! happens under the lock except for rare housekeeping (creating a segment,
//! compaction reading a few live records).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::env::{DiskEnv, Env, LogFile};
use crate::error::{Error, Result};
use crate::memtable::{Damage, Loc, Memtable, SegmentInfo};
use crate::options::{Options, WriterMode};
use crate::record::{self, Kind, FILE_HEADER_LEN};
use crate::segment::{self, End};
use crate::writer;

/// A completion run by the writer once a batch is durable (or failed).
pub(crate) type Done = Box<dyn FnOnce(io::Result<()>) + Send>;

/// Work waiting for the writer.
#[derive(Default)]
pub(crate) struct Queue {
    /// Contiguous byte runs to write: (segment, offset, bytes).
    pub chunks: Vec<(u64, u64, Vec<u8>)>,
    /// Completions to run after the batch is durable.
    pub done: Vec<Done>,
    /// Sync this batch even when the sync mode would not (votes, deletes).
    pub force_sync: bool,
    /// Segments to delete once this batch is durable.
    pub deletes: Vec<(u64, Arc<dyn LogFile>)>,
    /// A segment file was created: the directory needs a sync.
    pub new_segment: bool,
}

impl Queue {
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
            && self.done.is_empty()
            && self.deletes.is_empty()
            && !self.force_sync
    }
}

/// Counters for the benchmark and INFO.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Batches written.
    pub batches: u64,
    /// fdatasync calls made by the writer.
    pub syncs: u64,
    /// Completions (append callbacks, vote waits) run.
    pub completions: u64,
    /// Bytes written.
    pub bytes_written: u64,
    /// Segments deleted by purge.
    pub segments_deleted: u64,
    /// Records rewritten by compaction.
    pub records_compacted: u64,
    /// Time the writer held a batch open waiting for released appenders to
    /// come back (see `Options::group_commit_hold`).
    pub held: Duration,
}

/// State behind the store mutex.
pub(crate) struct Inner {
    pub mem: Memtable,
    pub queue: Queue,
    /// Id of the segment new records go to.
    pub active: u64,
    /// Highest (segment, end offset) written to its file so far.
    pub written: (u64, u64),
    /// Set once the writer failed; everything is refused afterwards.
    pub fatal: Option<String>,
    pub shutdown: bool,
    /// Some purge or truncate freed space: the writer should look at segments.
    pub gc_wanted: bool,
    /// Appenders wake the writer only once this many completions are queued
    /// (0 = always). The writer raises it while holding a batch open, so the
    /// returning appenders do not wake it one by one.
    pub wake_at: usize,
    pub stats: Stats,
}

impl Inner {
    /// Whether the record at `loc` has reached its file.
    pub fn is_written(written: (u64, u64), loc: Loc) -> bool {
        loc.seg < written.0 || (loc.seg == written.0 && loc.offset + loc.len as u64 <= written.1)
    }

    pub fn check_usable(&self) -> Result<()> {
        if let Some(f) = &self.fatal {
            return Err(Error::Fatal(f.clone()));
        }
        if self.shutdown {
            return Err(Error::Closed);
        }
        Ok(())
    }
}

/// What the store and its handles share.
pub(crate) struct Shared {
    pub env: Arc<dyn Env>,
    pub dir: PathBuf,
    pub opts: Options,
    pub inner: Mutex<Inner>,
    /// Wakes the writer thread.
    pub wake: Condvar,
    /// The writer state when the caller does the writing
    /// (`WriterMode::Inline`); `None` when a writer thread owns it.
    pub inline: Option<Mutex<writer::Writer>>,
}

impl Shared {
    /// Gets queued work going: wakes the writer thread, or in inline mode
    /// writes it now on this thread. Never call with the store lock held.
    pub fn kick(&self) {
        match &self.inline {
            Some(w) => writer::drive_inline(self, w),
            None => {
                self.wake.notify_one();
            }
        }
    }

    fn new_segment(&self, inner: &mut Inner, id: u64) -> Result<()> {
        let path = segment::path(&self.dir, id);
        let file = self.env.open(&path, true).map_err(|source| Error::Io {
            op: "create segment",
            path,
            source,
        })?;
        inner.mem.segments.insert(
            id,
            SegmentInfo {
                file,
                size: FILE_HEADER_LEN,
                live_bytes: 0,
                entry_groups: Default::default(),
                truncated_groups: Default::default(),
            },
        );
        inner
            .queue
            .chunks
            .push((id, 0, record::file_header().to_vec()));
        inner.queue.new_segment = true;
        inner.active = id;
        Ok(())
    }

    /// Queues one record and applies it to the in-memory state. The caller
    /// holds the lock and has checked `check_usable`.
    pub fn push(
        &self,
        inner: &mut Inner,
        kind: Kind,
        group: u64,
        index: u64,
        payload: Arc<[u8]>,
    ) -> Result<Loc> {
        self.ensure_room(inner, record::encoded_len(payload.len()))?;
        self.push_in_unit(inner, kind, 0, group, index, payload)
    }

    /// Queues an append of several entries as one all-or-nothing unit, kept
    /// within one segment.
    pub fn push_unit(
        &self,
        inner: &mut Inner,
        group: u64,
        entries: Vec<(u64, Arc<[u8]>)>,
    ) -> Result<()> {
        let total = entries
            .iter()
            .map(|(_, p)| record::encoded_len(p.len()))
            .sum();
        self.ensure_room(inner, total)?;
        let n = entries.len();
        for (i, (index, payload)) in entries.into_iter().enumerate() {
            let flags = if i + 1 < n { record::FLAG_CONTINUED } else { 0 };
            self.push_in_unit(inner, Kind::Entry, flags, group, index, payload)?;
        }
        Ok(())
    }

    /// Rolls to a new segment unless `len` more bytes fit in the active one
    /// (or it is empty).
    fn ensure_room(&self, inner: &mut Inner, len: u64) -> Result<()> {
        let active_size = inner.mem.segments[&inner.active].size;
        if active_size + len > self.opts.segment_bytes && active_size > FILE_HEADER_LEN {
            let next = inner.active + 1;
            if let Err(e) = self.new_segment(inner, next) {
                inner.fatal = Some(e.to_string());
                return Err(e);
            }
            // The segment just sealed may already be sparse.
            inner.gc_wanted = true;
        }
        Ok(())
    }

    fn push_in_unit(
        &self,
        inner: &mut Inner,
        kind: Kind,
        flags: u16,
        group: u64,
        index: u64,
        payload: Arc<[u8]>,
    ) -> Result<Loc> {
        let len = record::encoded_len(payload.len());
        let seg = inner.active;
        let info = inner.mem.segments.get_mut(&seg).expect("active segment");
        let loc = Loc {
            seg,
            offset: info.size,
            len: len as u32,
        };
        info.size += len;
        let q = &mut inner.queue;
        match q.chunks.last_mut() {
            Some((s, off, buf)) if *s == seg && *off + buf.len() as u64 == loc.offset => {
                record::encode(buf, kind, flags, group, index, &payload)
            }
            _ => {
                let mut buf = Vec::with_capacity(len as usize);
                record::encode(&mut buf, kind, flags, group, index, &payload);
                q.chunks.push((seg, loc.offset, buf));
            }
        }
        inner.mem.apply(kind, group, index, payload, loc, true);
        Ok(loc)
    }

    /// Reads the payload of the record at `loc` from `file`, checking it.
    pub fn read_payload(&self, file: &dyn LogFile, loc: Loc, group: u64) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; loc.len as usize];
        let path = segment::path(&self.dir, loc.seg);
        file.read_exact_at(&mut buf, loc.offset)
            .map_err(|source| Error::Io {
                op: "read record",
                path: path.clone(),
                source,
            })?;
        match record::decode(&buf) {
            Ok((h, p)) if h.group == group => Ok(p.to_vec()),
            Ok(_) => Err(Error::Corrupt {
                file: path,
                offset: loc.offset,
                reason: "record belongs to another group".into(),
            }),
            Err(bad) => Err(Error::Corrupt {
                file: path,
                offset: loc.offset,
                reason: format!("{bad:?}"),
            }),
        }
    }
}

/// The node's write-ahead log. Dropping it stops the writer after it has
/// written (and, unless `SyncMode::No`, synced) everything queued.
pub struct LogStore {
    pub(crate) shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
}

impl LogStore {
    /// Opens (or creates) the log in `dir` on the real file system.
    pub fn open(dir: impl AsRef<Path>, opts: Options) -> Result<LogStore> {
        Self::open_with_env(Arc::new(DiskEnv), dir, opts)
    }

    /// Opens the log through `env` (tests pass a fault-injecting one).
    ///
    /// Recovery: every segment is scanned in order and its records replayed;
    /// a torn tail of the last segment is cut (and logged); damage anywhere
    /// else fails the affected group (see [`LogStore::group`]) or, if the
    /// damage hides which group it hit, the whole open.
    pub fn open_with_env(
        env: Arc<dyn Env>,
        dir: impl AsRef<Path>,
        opts: Options,
    ) -> Result<LogStore> {
        let dir = dir.as_ref().to_path_buf();
        let io_err = |op, path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { op, path, source }
        };
        env.create_dir_all(&dir)
            .map_err(io_err("create dir", &dir))?;
        let mut ids: Vec<u64> = env
            .list(&dir)
            .map_err(io_err("list dir", &dir))?
            .iter()
            .filter_map(|n| segment::parse_name(n))
            .collect();
        ids.sort_unstable();
        // Trailing segments without even a whole file header were created but
        // never written (their header is written only after the previous
        // segment is synced): drop them, so the real tail is scanned as last.
        while let Some(&id) = ids.last() {
            let path = segment::path(&dir, id);
            let file = env
                .open(&path, false)
                .map_err(io_err("open segment", &path))?;
            if file.size().map_err(io_err("stat segment", &path))? >= FILE_HEADER_LEN {
                break;
            }
            tracing::warn!(file = %path.display(), "removing unwritten trailing segment");
            env.remove(&path).map_err(io_err("remove segment", &path))?;
            ids.pop();
        }

        let mut mem = Memtable::default();
        let last_id = ids.last().copied();
        for &id in &ids {
            let path = segment::path(&dir, id);
            let file = env
                .open(&path, false)
                .map_err(io_err("open segment", &path))?;
            let len = file.size().map_err(io_err("stat segment", &path))?;
            let mut bytes = vec![0u8; len as usize];
            file.read_exact_at(&mut bytes, 0)
                .map_err(io_err("read segment", &path))?;
            let is_last = Some(id) == last_id;
            mem.segments.insert(
                id,
                SegmentInfo {
                    file: file.clone(),
                    size: len,
                    live_bytes: 0,
                    entry_groups: Default::default(),
                    truncated_groups: Default::default(),
                },
            );
            let mut found = Vec::new();
            let mut damaged = Vec::new();
            let mut end = segment::scan(
                &bytes,
                is_last,
                |f| found.push(f),
                |off, g| damaged.push((off, g)),
            );
            // An append whose last record is missing never happened.
            let complete = found
                .iter()
                .rposition(|f| f.header.flags & record::FLAG_CONTINUED == 0)
                .map_or(0, |i| i + 1);
            if complete < found.len() {
                let offset = found[complete].offset;
                found.truncate(complete);
                end = if is_last {
                    End::TornTail {
                        offset,
                        reason: "append unit is incomplete".into(),
                    }
                } else {
                    End::Corrupt {
                        offset,
                        reason: "append unit is cut off at the end of a sealed segment".into(),
                    }
                };
            }
            for f in found {
                let loc = Loc {
                    seg: id,
                    offset: f.offset,
                    len: f.header.total_len() as u32,
                };
                mem.apply(
                    f.header.kind,
                    f.header.group,
                    f.header.index,
                    f.payload.into(),
                    loc,
                    false,
                );
            }
            for (offset, g) in damaged {
                tracing::error!(file = %path.display(), offset, group = g, "log record payload is corrupt");
                let gs = mem.groups.entry(g).or_default();
                gs.damage.get_or_insert(Damage {
                    file: path.clone(),
                    offset,
                    reason: "payload checksum mismatch".into(),
                });
            }
            match end {
                End::Clean => {}
                End::Corrupt { offset, reason } => {
                    tracing::error!(file = %path.display(), offset, %reason, "corrupt write-ahead log");
                    return Err(Error::Corrupt {
                        file: path,
                        offset,
                        reason,
                    });
                }
                End::TornTail { offset, reason } => {
                    tracing::warn!(
                        file = %path.display(),
                        offset,
                        cut_bytes = len - offset,
                        %reason,
                        "cutting torn tail of the write-ahead log"
                    );
                    file.truncate(offset)
                        .map_err(io_err("truncate torn tail", &path))?;
                    file.sync_data().map_err(io_err("sync torn tail", &path))?;
                    mem.segments.get_mut(&id).expect("inserted").size = offset;
                }
            }
        }
        check_holes(&mut mem);

        let next = last_id.map_or(1, |i| i + 1);
        let opts_writer = opts.writer;
        let shared = Arc::new(Shared {
            env,
            dir,
            opts,
            inner: Mutex::new(Inner {
                mem,
                queue: Queue::default(),
                active: next,
                written: (next, 0),
                fatal: None,
                shutdown: false,
                gc_wanted: true,
                wake_at: 0,
                stats: Stats::default(),
            }),
            wake: Condvar::new(),
            inline: (opts_writer == WriterMode::Inline).then(|| Mutex::new(writer::Writer::new())),
        });
        {
            let mut inner = shared.inner.lock();
            shared.new_segment(&mut inner, next)?;
        }
        let writer = match opts_writer {
            WriterMode::Thread => {
                let s = shared.clone();
                let handle = std::thread::Builder::new()
                    .name("raft-log-writer".into())
                    .spawn(move || writer::run(s))
                    .map_err(|source| Error::Io {
                        op: "spawn writer",
                        path: PathBuf::new(),
                        source,
                    })?;
                Some(handle)
            }
            WriterMode::Inline => {
                // The new segment's header, so the directory is as the
                // threaded writer would leave it.
                shared.kick();
                None
            }
        };
        tracing::info!(dir = %shared.dir.display(), segments = ids.len(), "write-ahead log open");
        Ok(LogStore { shared, writer })
    }

    /// A handle for `group` (created empty if the log has never seen it).
    /// Fails if recovery found damage in that group's records.
    pub fn group<C>(&self, group: u64) -> Result<crate::GroupLog<C>>
    where
        C: openraft::RaftTypeConfig,
    {
        let mut inner = self.shared.inner.lock();
        inner.check_usable()?;
        let g = inner.mem.groups.entry(group).or_default();
        if let Some(d) = &g.damage {
            return Err(Error::Corrupt {
                file: d.file.clone(),
                offset: d.offset,
                reason: format!("group {group}: {}", d.reason),
            });
        }
        Ok(crate::GroupLog::new(self.shared.clone(), group))
    }

    /// Groups that have any state in the log.
    pub fn groups(&self) -> Vec<u64> {
        let inner = self.shared.inner.lock();
        let mut v: Vec<u64> = inner.mem.groups.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Reclaims space now: deletes dead segments and compacts sparse ones,
    /// and returns once that work is durable and the files are gone. (The
    /// writer also does this by itself after purges; this is for tests and
    /// for an operator command.)
    pub fn reclaim(&self) -> Result<()> {
        // Compaction's copies must be written before the segments they fill
        // can themselves be judged, so repeat until a pass finds nothing.
        for _ in 0..8 {
            self.flush()?;
            let did_work = {
                let mut inner = self.shared.inner.lock();
                inner.check_usable()?;
                let before = (inner.queue.deletes.len(), inner.queue.chunks.len());
                crate::purge::collect(&self.shared, &mut inner);
                inner.check_usable()?;
                before != (inner.queue.deletes.len(), inner.queue.chunks.len())
            };
            if !did_work {
                break;
            }
        }
        self.flush()
    }

    /// Waits until everything queued so far is written and synced.
    pub fn flush(&self) -> Result<()> {
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let mut inner = self.shared.inner.lock();
            inner.check_usable()?;
            inner.queue.force_sync = true;
            inner.queue.done.push(Box::new(move |r| {
                let _ = tx.send(r);
            }));
        }
        self.shared.kick();
        match rx.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::Fatal(e.to_string())),
            Err(_) => Err(Error::Closed),
        }
    }

    /// Every segment as (id, bytes, live bytes), oldest first.
    pub fn segments(&self) -> Vec<(u64, u64, u64)> {
        let inner = self.shared.inner.lock();
        inner
            .mem
            .segments
            .iter()
            .map(|(id, s)| (*id, s.size, s.live_bytes))
            .collect()
    }

    /// Writer counters so far.
    pub fn stats(&self) -> Stats {
        self.shared.inner.lock().stats
    }

    /// The fatal I/O error that stopped the log, if any. A node seeing one
    /// must exit and recover from disk.
    pub fn fatal_error(&self) -> Option<String> {
        self.shared.inner.lock().fatal.clone()
    }

    /// Bytes of all segment files, and bytes of records still live (entries
    /// plus each group's latest vote, committed and purge records).
    pub fn disk_usage(&self) -> (u64, u64) {
        let inner = self.shared.inner.lock();
        let total = inner.mem.segments.values().map(|s| s.size).sum();
        let live = inner.mem.segments.values().map(|s| s.live_bytes).sum();
        (total, live)
    }
}

impl Drop for LogStore {
    fn drop(&mut self) {
        self.shared.inner.lock().shutdown = true;
        if let Some(w) = self.writer.take() {
            self.shared.wake.notify_all();
            let _ = w.join();
        } else {
            // Inline: write and sync what is queued, as the thread would.
            self.shared.kick();
        }
    }
}

/// Marks every group whose entries are not contiguous after replay.
fn check_holes(mem: &mut Memtable) {
    for (gid, g) in mem.groups.iter_mut() {
        let mut expect = g.purged.as_ref().map(|(p, _)| p + 1);
        for &i in g.entries.keys() {
            if let Some(e) = expect {
                if i != e {
                    let reason = format!("expected index {e}, found {i}");
                    tracing::error!(group = gid, %reason, "hole in replayed log");
                    g.damage.get_or_insert(Damage {
                        file: PathBuf::from("<replay>"),
                        offset: 0,
                        reason: Error::Hole {
                            group: *gid,
                            reason,
                        }
                        .to_string(),
                    });
                    break;
                }
            }
            expect = Some(i + 1);
        }
    }
}
