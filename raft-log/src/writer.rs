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
//! The hold. With openraft 0.9 each group has one append in flight and appends
//! again only after its callback. Left alone, G such groups split into two
//! cohorts of G/2: one is in fdatasync while the other queues, and neither
//! ever catches up with the other (each batch finds exactly as many queued as
//! it released). So after a synced batch that released `n > 1` completions,
//! with `q` already queued, the writer holds the next batch open until
//! `q + n` completions are queued (every appender it just released is back)
//! or `group_commit_hold` × the moving-average fdatasync time has passed,
//! whichever is first. The cohorts merge into one batch of G. This is never
//! a wait "while nothing is in flight": the appenders just released are on
//! their way back, and the wait is bounded by a fraction of one fdatasync.
//! A batch that released one completion is never held, so one group sees the
//! plain fdatasync latency.
//!
//! Inline mode (`WriterMode::Inline`, for deterministic simulation) runs the
//! same batch step on whichever caller queued work, right after it queued it
//! ([`drive_inline`]); there is then no thread, no group commit and no hold.
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

/// Weight of the newest sample in the moving-average fdatasync time.
const SYNC_AVG_WEIGHT: f64 = 1.0 / 8.0;

/// What the writer keeps between batches, whichever mode drives it.
pub(crate) struct Writer {
    files: Files,
    last_sync: Instant,
    /// Moving average of fdatasync time, in seconds (0 until the first sync).
    sync_avg: f64,
}

impl Writer {
    pub(crate) fn new() -> Writer {
        Writer {
            files: Files::default(),
            last_sync: Instant::now(),
            sync_avg: 0.0,
        }
    }

    /// Writes `batch`, records the outcome (or poisons the store), then runs
    /// every completion of the batch. Returns how many completions the batch
    /// released if it made an fdatasync of data and released more than one
    /// (the hold target's increment; see the module docs).
    fn process(&mut self, shared: &Shared, mut batch: Queue) -> Option<usize> {
        let mode = shared.opts.sync;
        let result = write_batch(
            shared,
            &mut batch,
            &mut self.files,
            mode,
            &mut self.last_sync,
        );
        let released = batch.done.len();
        let mut hold_target = None;
        {
            let mut inner = shared.inner.lock();
            match &result {
                Ok((bytes, synced, sync_time)) => {
                    if let Some(t) = sync_time {
                        let t = t.as_secs_f64();
                        self.sync_avg = if self.sync_avg == 0.0 {
                            t
                        } else {
                            self.sync_avg + (t - self.sync_avg) * SYNC_AVG_WEIGHT
                        };
                        if released > 1 {
                            hold_target = Some(inner.queue.done.len() + released);
                        }
                    }
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
        hold_target
    }

    /// The sync made when the store closes.
    fn final_sync(&mut self, mode: SyncMode) {
        if mode != SyncMode::No {
            if let Err(e) = self.files.sync() {
                tracing::error!(error = %e, "final sync of write-ahead log failed");
            }
        }
    }
}

/// Fails every queued completion of a poisoned store.
fn fail_queued(inner: &mut crate::store::Inner) -> Vec<crate::store::Done> {
    std::mem::take(&mut inner.queue).done
}

/// Runs until the store shuts down (or fails and shuts down).
pub(crate) fn run(shared: Arc<Shared>) {
    let mode = shared.opts.sync;
    let mut w = Writer::new();
    // Set after a batch released several appenders: hold the next batch until
    // this many completions are queued, or until the deadline (module docs).
    let mut hold: Option<(usize, Instant)> = None;
    loop {
        let batch = {
            let mut inner = shared.inner.lock();
            loop {
                if inner.fatal.is_some() {
                    let done = fail_queued(&mut inner);
                    let err = inner.fatal.clone().unwrap_or_default();
                    let shutdown = inner.shutdown;
                    drop(inner);
                    for d in done {
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
                if let Some((target, deadline)) = hold {
                    if inner.queue.done.len() < target
                        && !inner.shutdown
                        && Instant::now() < deadline
                    {
                        // Appenders notify only once `target` are queued.
                        inner.wake_at = target;
                        let t = Instant::now();
                        shared.wake.wait_until(&mut inner, deadline);
                        inner.stats.held += t.elapsed();
                        inner.wake_at = 0;
                        continue;
                    }
                    hold = None;
                }
                if !inner.queue.is_empty() {
                    break;
                }
                if inner.shutdown {
                    drop(inner);
                    w.final_sync(mode);
                    return;
                }
                if mode == SyncMode::EverySec && !w.files.unsynced.is_empty() {
                    let due = w.last_sync + Duration::from_secs(1);
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

        let hold_target = w.process(&shared, batch);
        // The hold window opens once the released appenders can act.
        // NaN or negative means 0; more than one fdatasync is never useful.
        let hold_opt = shared.opts.group_commit_hold;
        let fraction = if hold_opt.is_nan() {
            0.0
        } else {
            hold_opt.clamp(0.0, 1.0)
        };
        let max_hold = Duration::from_secs_f64(w.sync_avg * fraction);
        hold = hold_target
            .filter(|_| !max_hold.is_zero())
            .map(|target| (target, Instant::now() + max_hold));
    }
}

/// Inline mode (`WriterMode::Inline`): does on the calling thread, now, all
/// the work queued so far — the same steps as one turn of [`run`]'s loop,
/// repeated until the queue is empty. Callers must not hold the store lock.
/// The writer state's own mutex serialises concurrent callers: whoever holds
/// it drains everything queued, so a caller's work is done when this returns
/// whether it or an earlier holder wrote it.
pub(crate) fn drive_inline(shared: &Shared, w: &parking_lot::Mutex<Writer>) {
    let mut w = w.lock();
    let mode = shared.opts.sync;
    loop {
        let batch = {
            let mut inner = shared.inner.lock();
            if let Some(err) = inner.fatal.clone() {
                let done = fail_queued(&mut inner);
                drop(inner);
                for d in done {
                    d(Err(io::Error::other(err.clone())));
                }
                return;
            }
            if inner.gc_wanted {
                inner.gc_wanted = false;
                purge::collect(shared, &mut inner);
                if inner.fatal.is_some() {
                    continue;
                }
            }
            if inner.queue.is_empty() {
                let due = mode == SyncMode::EverySec
                    && !w.files.unsynced.is_empty()
                    && w.last_sync.elapsed() >= Duration::from_secs(1);
                if !due {
                    if inner.shutdown {
                        drop(inner);
                        w.final_sync(mode);
                    }
                    return;
                }
                inner.queue.force_sync = true;
            }
            std::mem::take(&mut inner.queue)
        };
        // No hold in inline mode: there is no other appender to wait for.
        w.process(shared, batch);
    }
}

/// Writes one batch, syncs it as the mode asks, then deletes the segments the
/// batch retired. Returns bytes written, whether it synced, and how long the
/// batch's own fdatasync took (if it made one).
fn write_batch(
    shared: &Shared,
    batch: &mut Queue,
    files: &mut Files,
    mode: SyncMode,
    last_sync: &mut Instant,
) -> io::Result<(u64, bool, Option<Duration>)> {
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
    let mut sync_time = None;
    if sync {
        let t = Instant::now();
        let had_data = !files.unsynced.is_empty();
        files.sync()?;
        *last_sync = Instant::now();
        if had_data {
            sync_time = Some(t.elapsed());
        }
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
    Ok((bytes, synced, sync_time))
}
