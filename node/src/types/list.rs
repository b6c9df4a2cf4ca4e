//! Lists: a deque of byte strings, reported as `listpack` while small and
//! `quicklist` past `list-max-listpack-size`, with Valkey's hysteresis
//! (converted back only when it shrinks to half the limit).

use std::collections::VecDeque;

use bytes::Bytes;

use crate::keyspace::EncodingLimits;

/// A list value.
#[derive(Debug, Clone, Default)]
pub struct List {
    items: VecDeque<Bytes>,
    /// Sum of element lengths, for the size-based listpack limit.
    bytes: usize,
    quicklist: bool,
}

impl List {
    /// An empty list.
    pub fn new() -> List {
        List::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty (an empty list is deleted from the keyspace).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Elements, head first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Bytes> + ExactSizeIterator {
        self.items.iter()
    }

    /// Element at `i` (0 = head).
    pub fn get(&self, i: usize) -> Option<&Bytes> {
        self.items.get(i)
    }

    /// Pushes at the head.
    pub fn push_front(&mut self, v: Bytes) {
        self.bytes += v.len();
        self.items.push_front(v);
    }

    /// Pushes at the tail.
    pub fn push_back(&mut self, v: Bytes) {
        self.bytes += v.len();
        self.items.push_back(v);
    }

    /// Pops the head.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        let v = self.items.pop_front()?;
        self.bytes -= v.len();
        Some(v)
    }

    /// Pops the tail.
    pub fn pop_back(&mut self) -> Option<Bytes> {
        let v = self.items.pop_back()?;
        self.bytes -= v.len();
        Some(v)
    }

    /// Replaces element `i`.
    pub fn set(&mut self, i: usize, v: Bytes) {
        self.bytes += v.len();
        let old = std::mem::replace(&mut self.items[i], v);
        self.bytes -= old.len();
    }

    /// Inserts at position `i`.
    pub fn insert(&mut self, i: usize, v: Bytes) {
        self.bytes += v.len();
        self.items.insert(i, v);
    }

    /// Removes element `i`.
    pub fn remove(&mut self, i: usize) -> Option<Bytes> {
        let v = self.items.remove(i)?;
        self.bytes -= v.len();
        Some(v)
    }

    /// Keeps only elements `start..=end` (indexes already normalised).
    pub fn keep_range(&mut self, start: usize, end: usize) {
        if start > end || start >= self.items.len() {
            self.items.clear();
            self.bytes = 0;
            return;
        }
        self.items.truncate(end + 1);
        self.items.drain(..start);
        self.bytes = self.items.iter().map(|b| b.len()).sum();
    }

    /// Keeps only the elements for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Bytes) -> bool) {
        self.items.retain(|b| keep(b));
        self.bytes = self.items.iter().map(|b| b.len()).sum();
    }

    fn fits_listpack(&self, limits: &EncodingLimits, factor: usize) -> bool {
        let limit = limits.list_max_listpack_size;
        if limit >= 0 {
            self.items.len() * factor <= limit as usize
        } else {
            // -1..-5 → 4, 8, 16, 32, 64 KiB, as Valkey's size classes.
            let class = (-limit).clamp(1, 5) as u32;
            let max = 4096usize << (class - 1);
            // Approximate listpack bytes: payload plus ~2 bytes per entry header.
            (self.bytes + self.items.len() * 2 + 7) * factor <= max
        }
    }

    /// Re-evaluates the encoding after a change.
    pub fn update_encoding(&mut self, limits: &EncodingLimits) {
        if !self.quicklist && !self.fits_listpack(limits, 1) {
            self.quicklist = true;
        } else if self.quicklist && self.fits_listpack(limits, 2) {
            self.quicklist = false;
        }
    }

    /// The name OBJECT ENCODING replies.
    pub fn encoding(&self) -> &'static str {
        if self.quicklist {
            "quicklist"
        } else {
            "listpack"
        }
    }
}

/// The commands of this type.
pub const COMMANDS: &[crate::command::CommandSpec] = &[];
