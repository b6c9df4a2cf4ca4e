//! Where every group's entries live: the in-memory index and entry cache.
//!
//! Replaying a record at recovery and writing a record at run time change the
//! in-memory state in exactly the same way, so both go through
//! [`Memtable::apply`]; that keeps "what a record means" in one place. Segment
//! accounting (live bytes, which groups wrote entries into a segment, which
//! groups a segment truncates) is kept here too, because it changes exactly
//! when the index does, and the purge logic reads it to decide what to delete.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::env::LogFile;
use crate::record::Kind;

/// Where a record sits on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Loc {
    /// Segment id.
    pub seg: u64,
    /// Offset of the record header in the segment file.
    pub offset: u64,
    /// Total record length, header included.
    pub len: u32,
}

/// One entry of a group.
#[derive(Clone)]
pub(crate) struct Slot {
    pub loc: Loc,
    /// The serialized entry, while cached (always while not yet written).
    pub payload: Option<Arc<[u8]>>,
}

/// A small per-group value (vote, committed) and the segment of its latest
/// record.
#[derive(Clone)]
pub(crate) struct Meta {
    pub bytes: Arc<[u8]>,
    pub seg: u64,
}

/// A group's place in a corrupt file, kept so opening it fails with the facts.
#[derive(Debug, Clone)]
pub(crate) struct Damage {
    pub file: std::path::PathBuf,
    pub offset: u64,
    pub reason: String,
}

/// Everything the log knows about one group.
#[derive(Default)]
pub(crate) struct GroupState {
    pub entries: BTreeMap<u64, Slot>,
    /// Indexes whose payload is cached, oldest first (may hold stale ones).
    pub cached: VecDeque<u64>,
    pub vote: Option<Meta>,
    pub committed: Option<Meta>,
    /// Last purged index and its serialized log id.
    pub purged: Option<(u64, Meta)>,
    pub damage: Option<Damage>,
}

impl GroupState {
    /// Index the next append must carry, if constrained.
    pub fn next_index(&self) -> Option<u64> {
        match (self.entries.last_key_value(), &self.purged) {
            (Some((i, _)), _) => Some(i + 1),
            (None, Some((p, _))) => Some(p + 1),
            (None, None) => None,
        }
    }
}

/// One segment file and its accounting.
pub(crate) struct SegmentInfo {
    pub file: Arc<dyn LogFile>,
    /// Bytes in the file (reserved bytes, for the active segment).
    pub size: u64,
    /// Bytes of records some group still needs as entries.
    pub live_bytes: u64,
    /// Groups that wrote entries (live or dead) into this segment.
    pub entry_groups: HashSet<u64>,
    /// Groups that have a truncate record in this segment.
    pub truncated_groups: HashSet<u64>,
}

/// All groups and all segments.
#[derive(Default)]
pub(crate) struct Memtable {
    pub groups: HashMap<u64, GroupState>,
    pub segments: BTreeMap<u64, SegmentInfo>,
}

impl Memtable {
    fn drop_slot(segments: &mut BTreeMap<u64, SegmentInfo>, slot: &Slot) {
        if let Some(s) = segments.get_mut(&slot.loc.seg) {
            s.live_bytes -= slot.loc.len as u64;
        }
    }

    /// Applies one record (new or replayed) located at `loc`. `payload` is the
    /// record body; for entries it is kept in the cache when `cache` is set.
    pub fn apply(
        &mut self,
        kind: Kind,
        group: u64,
        index: u64,
        payload: Arc<[u8]>,
        loc: Loc,
        cache: bool,
    ) {
        let g = self.groups.entry(group).or_default();
        let seg = self
            .segments
            .get_mut(&loc.seg)
            .expect("record in a known segment");
        match kind {
            Kind::Entry | Kind::Copy => {
                if kind == Kind::Entry {
                    for (_, old) in g.entries.split_off(&index) {
                        Self::drop_slot(&mut self.segments, &old);
                    }
                }
                let seg = self.segments.get_mut(&loc.seg).expect("known segment");
                seg.live_bytes += loc.len as u64;
                seg.entry_groups.insert(group);
                let slot = Slot {
                    loc,
                    payload: cache.then_some(payload),
                };
                if cache {
                    g.cached.push_back(index);
                }
                if let Some(old) = g.entries.insert(index, slot) {
                    Self::drop_slot(&mut self.segments, &old);
                }
            }
            Kind::Vote => {
                g.vote = Some(Meta {
                    bytes: payload,
                    seg: loc.seg,
                })
            }
            Kind::Committed => {
                g.committed = Some(Meta {
                    bytes: payload,
                    seg: loc.seg,
                })
            }
            Kind::Truncate => {
                seg.truncated_groups.insert(group);
                for (_, old) in g.entries.split_off(&index) {
                    Self::drop_slot(&mut self.segments, &old);
                }
            }
            Kind::Purge => {
                let keep = g.entries.split_off(&(index + 1));
                for (_, old) in std::mem::replace(&mut g.entries, keep) {
                    Self::drop_slot(&mut self.segments, &old);
                }
                let newer = g.purged.as_ref().is_none_or(|(p, _)| index >= *p);
                if newer {
                    g.purged = Some((
                        index,
                        Meta {
                            bytes: payload,
                            seg: loc.seg,
                        },
                    ));
                }
            }
        }
    }

    /// Drops cached payloads of `group` beyond `keep`, oldest first, but
    /// never one whose record is not yet written (`written` says which are).
    pub fn evict(&mut self, group: u64, keep: usize, written: impl Fn(Loc) -> bool) {
        let Some(g) = self.groups.get_mut(&group) else {
            return;
        };
        while g.cached.len() > keep {
            let idx = *g.cached.front().expect("non-empty");
            match g.entries.get_mut(&idx) {
                Some(slot) if slot.payload.is_some() => {
                    if !written(slot.loc) {
                        break;
                    }
                    slot.payload = None;
                }
                _ => {}
            }
            g.cached.pop_front();
        }
    }
}
