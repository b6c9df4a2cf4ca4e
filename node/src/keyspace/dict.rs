//! A hash table keyed by byte strings, with Valkey's SCAN guarantee.
//!
//! Entries live in a dense slab (`slots`); buckets hold the index of the
//! first slot of their chain. Two properties drive the shape:
//!
//! - SCAN: the cursor walks buckets in reverse-binary order, so every entry
//!   present for the whole scan is returned at least once even when the
//!   table grows or shrinks between calls (the same argument as Valkey's
//!   `dictScan`).
//! - Determinism: the hash is keyed by a fixed seed, chains are kept sorted
//!   by key, and the slab order depends only on the sequence of inserts and
//!   removes. Two replicas applying the same records therefore draw the same
//!   "random" element for the same seed (SPOP, RANDOMKEY), and a snapshot
//!   written in slab order restores the same layout.

use bytes::Bytes;
use xxhash_rust::xxh3::xxh3_64_with_seed;

const NIL: u32 = u32::MAX;
const MIN_BUCKETS: usize = 4;
/// The slab grows by `len / SLAB_GROWTH_DIVISOR` slots at a time...
const SLAB_GROWTH_DIVISOR: usize = 8;
/// ...but at least this many.
const MIN_SLAB_GROWTH: usize = 8;
/// Fixed hash seed: replicas must agree on bucket layout (see module doc).
const HASH_SEED: u64 = 0x5107_4af7_2024_0001;

/// How a [`Dict`] stores its keys: `Bytes` when the caller shares key
/// bytes with another index (32-byte handle), or a boxed slice (16 bytes)
/// where the table owns them alone, as the keyspace's own table does.
pub trait DictKey: AsRef<[u8]> + Ord {
    /// The stored form of `b`; `detach`: a small shared `Bytes` gets an
    /// allocation of its own (see [`super::detach`]).
    fn from_bytes(b: Bytes, detach: bool) -> Self;
}

impl DictKey for Bytes {
    fn from_bytes(b: Bytes, detach: bool) -> Bytes {
        if detach {
            super::detach(b)
        } else {
            b
        }
    }
}

impl DictKey for Box<[u8]> {
    fn from_bytes(b: Bytes, _: bool) -> Box<[u8]> {
        // Takes the allocation over when `b` holds it alone, else copies.
        Vec::from(b).into_boxed_slice()
    }
}

struct Slot<V, K> {
    key: K,
    value: V,
    hash: u32,
    next: u32,
}

/// Hash table from byte-string keys to `V`.
pub struct Dict<V, K = Bytes> {
    slots: Vec<Slot<V, K>>,
    buckets: Vec<u32>,
}

impl<V, K: DictKey> Default for Dict<V, K> {
    fn default() -> Self {
        Dict::new()
    }
}

fn hash_of(key: &[u8]) -> u32 {
    xxh3_64_with_seed(key, HASH_SEED) as u32
}

impl<V, K: DictKey> Dict<V, K> {
    /// An empty table (no allocation until the first insert).
    pub fn new() -> Dict<V, K> {
        Dict {
            slots: Vec::new(),
            buckets: Vec::new(),
        }
    }

    /// A table sized for `n` entries.
    pub fn with_capacity(n: usize) -> Dict<V, K> {
        let mut d = Dict {
            slots: Vec::with_capacity(n),
            buckets: Vec::new(),
        };
        d.rehash(n.next_power_of_two().max(MIN_BUCKETS));
        d
    }

    /// An empty table with exactly `buckets` buckets (0 or a power of two)
    /// and room for `len` entries. A snapshot restores a table by inserting
    /// its entries in the old slab order into a table of the old bucket
    /// count: no rehash happens on the way (`len <= buckets`), so slab,
    /// chains and SCAN order come out identical.
    pub fn with_layout(len: usize, buckets: usize) -> Dict<V, K> {
        assert!(
            buckets == 0 || buckets.is_power_of_two(),
            "bucket count {buckets} is not a power of two"
        );
        let mut d = Dict {
            slots: Vec::with_capacity(len),
            buckets: Vec::new(),
        };
        if buckets > 0 {
            d.rehash(buckets);
        }
        d
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Number of buckets (a power of two, or 0 before the first insert).
    pub fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    fn find(&self, key: &[u8]) -> Option<usize> {
        if self.buckets.is_empty() {
            return None;
        }
        let h = hash_of(key);
        let mut i = self.buckets[h as usize & self.mask()];
        while i != NIL {
            let s = &self.slots[i as usize];
            if s.hash == h && s.key.as_ref() == key {
                return Some(i as usize);
            }
            i = s.next;
        }
        None
    }

    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|i| &self.slots[i].value)
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.find(key).map(move |i| &mut self.slots[i].value)
    }

    /// The stored key and value of `key`.
    pub fn get_key_value(&self, key: &[u8]) -> Option<(&K, &V)> {
        self.find(key)
            .map(|i| (&self.slots[i].key, &self.slots[i].value))
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    /// Inserts or replaces; returns the old value. A new small key is
    /// stored in an allocation of its own ([`super::detach`]).
    pub fn insert(&mut self, key: impl Into<Bytes>, value: V) -> Option<V> {
        self.insert_inner(key.into(), value, true)
    }

    /// Like [`Dict::insert`], but keeps `key` as given even when it shares
    /// its buffer: for a caller that deliberately shares the key's bytes
    /// with another index (the sorted set's score order).
    pub fn insert_shared(&mut self, key: Bytes, value: V) -> Option<V> {
        self.insert_inner(key, value, false)
    }

    fn insert_inner(&mut self, key: Bytes, value: V, detach: bool) -> Option<V> {
        if let Some(i) = self.find(&key) {
            return Some(std::mem::replace(&mut self.slots[i].value, value));
        }
        if self.slots.len() >= self.buckets.len() {
            self.rehash((self.buckets.len() * 2).max(MIN_BUCKETS));
        }
        if self.slots.len() == self.slots.capacity() {
            // Grow by an eighth, not double: the slab is most of a big
            // table's memory, and doubling leaves up to half of it unused.
            // Still amortized O(1) (and large blocks grow by remapping).
            self.slots
                .reserve_exact((self.slots.len() / SLAB_GROWTH_DIVISOR).max(MIN_SLAB_GROWTH));
        }
        let h = hash_of(&key);
        let idx = self.slots.len() as u32;
        assert!(idx != NIL, "dict is full");
        self.slots.push(Slot {
            key: K::from_bytes(key, detach),
            value,
            hash: h,
            next: NIL,
        });
        self.link(idx);
        None
    }

    /// Links slot `idx` into its bucket's chain, keeping the chain sorted.
    fn link(&mut self, idx: u32) {
        let b = self.slots[idx as usize].hash as usize & self.mask();
        let mut prev = NIL;
        let mut cur = self.buckets[b];
        while cur != NIL && self.slots[cur as usize].key < self.slots[idx as usize].key {
            prev = cur;
            cur = self.slots[cur as usize].next;
        }
        self.slots[idx as usize].next = cur;
        if prev == NIL {
            self.buckets[b] = idx;
        } else {
            self.slots[prev as usize].next = idx;
        }
    }

    /// Unlinks slot `idx` from its chain.
    fn unlink(&mut self, idx: u32) {
        let b = self.slots[idx as usize].hash as usize & self.mask();
        let next = self.slots[idx as usize].next;
        if self.buckets[b] == idx {
            self.buckets[b] = next;
            return;
        }
        let mut cur = self.buckets[b];
        while cur != NIL {
            if self.slots[cur as usize].next == idx {
                self.slots[cur as usize].next = next;
                return;
            }
            cur = self.slots[cur as usize].next;
        }
        unreachable!("slot {idx} is not in its bucket's chain");
    }

    /// Removes `key`; returns its key and value.
    pub fn remove_entry(&mut self, key: &[u8]) -> Option<(K, V)> {
        let i = self.find(key)? as u32;
        self.unlink(i);
        let last = self.slots.len() as u32 - 1;
        if i != last {
            // The last slot moves into the hole: relink it at its new index.
            self.unlink(last);
            self.slots.swap(i as usize, last as usize);
            let removed = self.slots.pop().expect("slab is not empty");
            self.link(i);
            self.maybe_shrink();
            return Some((removed.key, removed.value));
        }
        let removed = self.slots.pop().expect("slab is not empty");
        self.maybe_shrink();
        Some((removed.key, removed.value))
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        self.remove_entry(key).map(|(_, v)| v)
    }

    fn maybe_shrink(&mut self) {
        // Shrink at 1/8 load, as Valkey does, so a table that emptied does not
        // keep its peak size (and SCAN does not walk empty buckets forever).
        if self.buckets.len() > MIN_BUCKETS && self.slots.len() * 8 < self.buckets.len() {
            self.rehash((self.slots.len().next_power_of_two() * 2).max(MIN_BUCKETS));
        }
        if self.slots.is_empty() {
            self.slots = Vec::new();
            self.buckets = Vec::new();
        } else if self.slots.capacity() > MIN_SLAB_GROWTH
            && self.slots.len() < self.slots.capacity() / 2
        {
            // Give back a slab that emptied by half, keeping the growth
            // margin (so alternating insert/remove does not reallocate).
            let len = self.slots.len();
            self.slots.shrink_to(len + len / SLAB_GROWTH_DIVISOR);
        }
    }

    fn rehash(&mut self, n: usize) {
        debug_assert!(n.is_power_of_two());
        self.buckets = vec![NIL; n];
        for i in 0..self.slots.len() {
            self.link(i as u32);
        }
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.slots = Vec::new();
        self.buckets = Vec::new();
    }

    /// Iterates in slab order (deterministic, not sorted).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.slots.iter().map(|s| (&s.key, &s.value))
    }

    /// Iterates values mutably in slab order.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.slots.iter_mut().map(|s| &mut s.value)
    }

    /// Iterates keys in slab order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.slots.iter().map(|s| &s.key)
    }

    /// The entry at slab position `i` (`i < len()`): used to pick a random
    /// element from a seeded draw.
    pub fn at(&self, i: usize) -> (&K, &V) {
        let s = &self.slots[i];
        (&s.key, &s.value)
    }

    /// Calls `f` on every entry of the buckets at `cursor` (following
    /// Valkey's reverse-binary cursor) until at least `count` entries were
    /// visited or the table was walked; returns the next cursor (0: done).
    pub fn scan(&self, mut cursor: u64, count: usize, mut f: impl FnMut(&K, &V)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = self.mask() as u64;
        let mut visited = 0;
        // Bound empty-bucket walking as Valkey does (10 × count).
        let mut budget = count.max(1) * 10;
        loop {
            let mut i = self.buckets[(cursor & mask) as usize];
            while i != NIL {
                let s = &self.slots[i as usize];
                f(&s.key, &s.value);
                visited += 1;
                i = s.next;
            }
            cursor |= !mask;
            cursor = cursor.reverse_bits().wrapping_add(1).reverse_bits();
            budget = budget.saturating_sub(1);
            if cursor == 0 || visited >= count || budget == 0 {
                return cursor;
            }
        }
    }
}

impl<V: Clone, K: DictKey + Clone> Clone for Dict<V, K> {
    fn clone(&self) -> Self {
        Dict {
            slots: self
                .slots
                .iter()
                .map(|s| Slot {
                    key: s.key.clone(),
                    value: s.value.clone(),
                    hash: s.hash,
                    next: s.next,
                })
                .collect(),
            buckets: self.buckets.clone(),
        }
    }
}

impl<V: std::fmt::Debug, K: DictKey + std::fmt::Debug> std::fmt::Debug for Dict<V, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn key(i: usize) -> Bytes {
        Bytes::from(format!("key:{i}"))
    }

    #[test]
    fn insert_get_remove() {
        let mut d: Dict<_> = Dict::new();
        for i in 0..1000 {
            assert!(d.insert(key(i), i).is_none());
        }
        for i in (0..1000).step_by(2) {
            assert_eq!(d.remove(&key(i)), Some(i));
        }
        assert_eq!(d.len(), 500);
        for i in 0..1000 {
            assert_eq!(
                d.get(&key(i)).copied(),
                if i % 2 == 1 { Some(i) } else { None }
            );
        }
    }

    #[test]
    fn scan_survives_growth_and_shrink() {
        let mut d: Dict<_> = Dict::new();
        for i in 0..500 {
            d.insert(key(i), ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = d.scan(cursor, 10, |k, _| {
                seen.insert(k.clone());
            });
            round += 1;
            // Grow, then shrink, while the scan is in progress.
            if round == 5 {
                for i in 500..5000 {
                    d.insert(key(i), ());
                }
            }
            if round == 30 {
                for i in 500..5000 {
                    d.remove(&key(i));
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            assert!(seen.contains(&key(i)), "key {i} missed by scan");
        }
    }

    #[test]
    fn slab_grows_and_shrinks_in_small_steps() {
        let mut d: Dict<_> = Dict::new();
        for i in 0..100_000 {
            d.insert(key(i), ());
            // Never more than an eighth (or the minimum step) unused.
            assert!(d.slots.capacity() <= d.len() + (d.len() / 8).max(MIN_SLAB_GROWTH));
        }
        for i in 0..90_000 {
            d.remove(&key(i));
        }
        assert_eq!(d.len(), 10_000);
        assert!(d.slots.capacity() < 20_000, "{}", d.slots.capacity());
        for i in 90_000..100_000 {
            assert!(d.contains_key(&key(i)));
        }
    }

    #[test]
    fn boxed_keys_same_layout_smaller_slots() {
        let mut a: Dict<usize> = Dict::new();
        let mut b: Dict<usize, Box<[u8]>> = Dict::new();
        for i in 0..300 {
            a.insert(key(i), i);
            b.insert(key(i), i);
        }
        for i in (0..300).step_by(3) {
            assert_eq!(a.remove(&key(i)), b.remove(&key(i)));
        }
        assert!(a
            .keys()
            .map(|k| k.as_ref())
            .eq(b.keys().map(|k| k.as_ref())));
        let mut sa = Vec::new();
        let mut sb = Vec::new();
        let (mut ca, mut cb) = (0, 0);
        loop {
            ca = a.scan(ca, 7, |k, _| sa.push(k.to_vec()));
            cb = b.scan(cb, 7, |k, _| sb.push(k.to_vec()));
            assert_eq!(ca, cb);
            if ca == 0 {
                break;
            }
        }
        assert_eq!(sa, sb);
        use crate::keyspace::Entry;
        assert_eq!(std::mem::size_of::<Slot<Entry, Box<[u8]>>>(), 80);
    }

    #[test]
    fn same_history_same_layout() {
        let mut a: Dict<_> = Dict::new();
        let mut b: Dict<_> = Dict::new();
        for d in [&mut a, &mut b] {
            for i in 0..300 {
                d.insert(key(i), i);
            }
            for i in (0..300).step_by(3) {
                d.remove(&key(i));
            }
        }
        let order_a: Vec<_> = a.keys().cloned().collect();
        let order_b: Vec<_> = b.keys().cloned().collect();
        assert_eq!(order_a, order_b);
    }
}
