//! Group commit: the one thread that writes and syncs the log.
//!
//! Appends from every group land in one queue (see `store.rs`). The writer
//! sleeps until the queue is non-empty, takes *everything* in it, writes it
//! with one positional write per segment touched, issues one fdatasync, and
//! only then runs every completion of the batch. It never waits for more work
//! to arrive while nothing is in flight: a lone append is written at once. Under
//! load, appends pile up while the previous fdatasync runs, so batches grow by
//! themselves to whatever the disk's sync latency lets accumulate.
//!
//! An I/O error here is fatal: the store is poisoned, every waiting completion
//! gets the error, and later calls are refused. After a failed fsync the kernel
//! may already have dropped the dirty pages, so retrying could report success
//! for data that is gone; only a restart and recovery from disk is honest.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::env::LogFile;
use crate::options::SyncMode;
use crate::purge;
use crate::segment;
use crate::store::{Queue, Shared};

/// Open handles of segments the writer has written to, and which of them
/// hold bytes not yet synced.
#[derive(Default)]
struct Files {
    open: BTreeMap<u64, Arc<dyn LogFile>>,
    unsynced: BTreeSet<u64>,
}

impl Files {
    fn sync(&mut self) -> io::Result<()> {
        for seg in std::mem::take(&mut self.unsynced) {
            if let Some(f) = self.open.get(&seg) {
                f.sync_data()?;
            }
        }
        // Older segments are sealed and now clean: keep only the newest open.
        while self.open.len() > 1 {
            self.open.pop_first();
        }
        Ok(())
    }
}

/// Runs until the store shuts down (or fails and shuts down).
pub(crate) fn run(shared: Arc<Shared>) {
    let mode = shared.opts.sync;
    let mut files = Files::default();
    let mut last_sync = Instant::now();
    loop {
        let mut batch = {
            let mut inner = shared.inner.lock();
            loop {
                if inner.fatal.is_some() {
                    let q = std::mem::take(&mut inner.queue);
                    let err = inner.fatal.clone().unwrap_or_default();
                    let shutdown = inner.shutdown;
                    drop(inner);
                    for d in q.done {
                        d(Err(io::Error::other(err.clone())));
                    }
                    if shutdown {
                        return;
                    }
                    inner = shared.inner.lock();
                    if inner.queue.is_empty() && !inner.shutdown {
                        shared.wake.wait(&mut inner);
                    }
                    continue;
                }
                // Reclaim before taking the batch, busy or not, so purges
                // give space back under sustained load too; what it queues
                // rides in this batch.
                if inner.gc_wanted {
                    inner.gc_wanted = false;
                    purge::collect(&shared, &mut inner);
                    if inner.fatal.is_some() {
                        continue;
                    }
                }
                if !inner.queue.is_empty() {
                    break;
                }
                if inner.shutdown {
                    drop(inner);
                    if mode != SyncMode::No {
                        if let Err(e) = files.sync() {
                            tracing::error!(error = %e, "final sync of write-ahead log failed");
                        }
                    }
                    return;
                }
                if mode == SyncMode::EverySec && !files.unsynced.is_empty() {
                    let due = last_sync + Duration::from_secs(1);
                    let now = Instant::now();
                    if now >= due {
                        inner.queue.force_sync = true;
                        break;
                    }
                    shared.wake.wait_for(&mut inner, due - now);
                } else {
                    shared.wake.wait(&mut inner);
                }
            }
            std::mem::take(&mut inner.queue)
        };

        let result = write_batch(&shared, &mut batch, &mut files, mode, &mut last_sync);
        {
            let mut inner = shared.inner.lock();
            match &result {
                Ok((bytes, synced)) => {
                    if let Some((seg, off, buf)) = batch.chunks.last() {
                        inner.written = (*seg, off + buf.len() as u64);
                    }
                    inner.stats.batches += 1;
                    inner.stats.bytes_written += bytes;
                    inner.stats.syncs += *synced as u64;
                    inner.stats.completions += batch.done.len() as u64;
                    inner.stats.segments_deleted += batch.deletes.len() as u64;
                }
                Err(e) => {
                    tracing::error!(error = %e, "write-ahead log I/O failed; log is stopped");
                    inner.fatal = Some(e.to_string());
                }
            }
        }
        for d in batch.done.drain(..) {
            d(match &result {
                Ok(_) => Ok(()),
                Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
            });
        }
    }
}

/// Writes one batch, syncs it as the mode asks, then deletes the segments the
/// batch retired. Returns bytes written and whether it synced.
fn write_batch(
    shared: &Shared,
    batch: &mut Queue,
    files: &mut Files,
    mode: SyncMode,
    last_sync: &mut Instant,
) -> io::Result<(u64, bool)> {
    let mut bytes = 0;
    let mut switched = false;
    let synced_any = &mut switched;
    for (seg, off, buf) in &batch.chunks {
        let file = match files.open.get(seg) {
            Some(f) => f.clone(),
            None => {
                let f = shared
                    .inner
                    .lock()
                    .mem
                    .segments
                    .get(seg)
                    .map(|s| s.file.clone());
                let f = f.ok_or_else(|| io::Error::other(format!("segment {seg} vanished")))?;
                files.open.insert(*seg, f.clone());
                f
            }
        };
        // Sync a segment before the next one gets any bytes, so a later
        // segment never holds data while an earlier one has a torn tail:
        // the torn tail is then always in the last segment.
        if files.unsynced.iter().any(|s| s < seg) {
            files.sync()?;
            *synced_any = true;
        }
        file.write_all_at(buf, *off)?;
        bytes += buf.len() as u64;
        files.unsynced.insert(*seg);
    }
    let sync = match mode {
        SyncMode::Always => true,
        SyncMode::EverySec => last_sync.elapsed() >= Duration::from_secs(1),
        SyncMode::No => false,
    } || batch.force_sync
        || !batch.deletes.is_empty();
    let synced = (sync && !files.unsynced.is_empty()) || switched;
    if sync {
        files.sync()?;
        *last_sync = Instant::now();
    }
    if batch.new_segment {
        shared.env.sync_dir(&shared.dir)?;
    }
    if !batch.deletes.is_empty() {
        for (id, _file) in batch.deletes.iter() {
            files.open.remove(id);
            shared.env.remove(&segment::path(&shared.dir, *id))?;
            tracing::debug!(segment = id, "deleted segment");
        }
        shared.env.sync_dir(&shared.dir)?;
    }
    Ok((bytes, synced))
}
