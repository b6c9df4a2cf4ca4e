//! Giving space back: deleting dead segments and compacting sparse ones.
//!
//! Segments are shared by every group, so a segment can only go once no group
//! needs anything in it. "Needs" means three things: a live entry; the latest
//! vote, committed or purge record of some group (those must survive even when
//! no entries remain); and a truncate record that still hides entries in an
//! older segment (deleting it would resurrect them on replay). A segment that
//! holds only a little live data (say, a lagging group's last few entries) is
//! compacted: its live entries are rewritten at the head of the log as `Copy`
//! records, the latest metadata of every group pinned to it is re-emitted, and
//! it is deleted once the rewrite is durable. So disk use stays within
//! `1 / compact_below` of the live data plus the active segment.
//!
//! This runs on the writer thread between batches, under the store lock, so it
//! sees a frozen state and its records queue up in order with everyone else's.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::memtable::{Loc, Meta};
use crate::record::Kind;
use crate::store::{Inner, Shared};

/// Looks at every sealed segment; deletes or compacts what it can.
pub(crate) fn collect(shared: &Shared, inner: &mut Inner) {
    let active = inner.active;
    let mut pinned: HashMap<u64, HashSet<u64>> = HashMap::new();
    for (gid, g) in &inner.mem.groups {
        let metas = [
            g.vote.as_ref(),
            g.committed.as_ref(),
            g.purged.as_ref().map(|(_, m)| m),
        ];
        for m in metas.into_iter().flatten() {
            pinned.entry(m.seg).or_default().insert(*gid);
        }
    }
    // Only segments whose bytes have all reached their file (those before the
    // one the writer last wrote to); queued bytes must not lose their file.
    let limit = active.min(inner.written.0);
    let sealed: Vec<u64> = inner
        .mem
        .segments
        .range(..limit)
        .map(|(id, _)| *id)
        .collect();
    for id in sealed {
        let Some(seg) = inner.mem.segments.get(&id) else {
            continue;
        };
        // A truncate here still hides entries in an older segment?
        let hides = seg.truncated_groups.iter().any(|g| {
            inner
                .mem
                .segments
                .range(..id)
                .any(|(_, older)| older.entry_groups.contains(g))
        });
        if hides {
            continue;
        }
        let pins = pinned.get(&id);
        let empty = seg.live_bytes == 0 && pins.is_none();
        let sparse = (seg.live_bytes as f64) < shared.opts.compact_below * seg.size as f64;
        if !empty && !sparse {
            continue;
        }
        if !empty {
            if let Err(e) = compact(shared, inner, id, pins.cloned().unwrap_or_default()) {
                tracing::error!(segment = id, error = %e, "compaction failed; log is stopped");
                inner.fatal = Some(e.to_string());
                return;
            }
        }
        let seg = inner.mem.segments.remove(&id).expect("present");
        debug_assert_eq!(seg.live_bytes, 0, "deleting a segment with live entries");
        tracing::debug!(segment = id, compacted = !empty, "retiring segment");
        inner.queue.deletes.push((id, seg.file));
    }
}

/// Rewrites at the head what segment `id` still holds for anyone.
fn compact(shared: &Shared, inner: &mut Inner, id: u64, pinned: HashSet<u64>) -> crate::Result<()> {
    let file = inner.mem.segments[&id].file.clone();
    // (group, index, cached payload, location) of every live entry in `id`.
    type Live = (u64, u64, Option<Arc<[u8]>>, Loc);
    let mut copies: Vec<Live> = Vec::new();
    for (gid, g) in &inner.mem.groups {
        for (idx, slot) in &g.entries {
            if slot.loc.seg == id {
                copies.push((*gid, *idx, slot.payload.clone(), slot.loc));
            }
        }
    }
    for (gid, idx, payload, loc) in copies {
        let payload = match payload {
            Some(p) => p,
            None => shared.read_payload(file.as_ref(), loc, gid)?.into(),
        };
        shared.push(inner, Kind::Copy, gid, idx, payload)?;
        inner.stats.records_compacted += 1;
    }
    for gid in pinned {
        let g = &inner.mem.groups[&gid];
        let vote = g.vote.clone();
        let committed = g.committed.clone();
        let purged = g.purged.clone();
        if let Some(Meta { bytes, seg }) = vote {
            if seg == id {
                shared.push(inner, Kind::Vote, gid, 0, bytes)?;
            }
        }
        if let Some(Meta { bytes, seg }) = committed {
            if seg == id {
                shared.push(inner, Kind::Committed, gid, 0, bytes)?;
            }
        }
        if let Some((idx, Meta { bytes, seg })) = purged {
            if seg == id {
                shared.push(inner, Kind::Purge, gid, idx, bytes)?;
            }
        }
    }
    Ok(())
}
