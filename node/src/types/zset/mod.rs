//! Sorted sets: a vector of (member, score) kept in (score, member) order
//! (`listpack`) while small, else a member → score [`Dict`] beside an
//! ordered tree (`skiplist`). Scores order by value, ties by member bytes.
//!
//! The value type and its range walks live here; the commands are split
//! by concern: [`range`] parses score/lex/rank intervals, `commands`
//! holds the single-key commands, `listing` the ZRANGE family and the
//! range removals, `pop` the (blocking) pops, `store` the multi-key
//! algebra (ZUNION/ZINTER/ZDIFF and their STORE forms), `random`
//! ZRANDMEMBER and ZSCAN; `table` lists them with Valkey's arity, flags
//! and key positions.
//!
//! The ordered index is a `BTreeSet`, which has no rank information: rank
//! lookups and rank windows on the `skiplist` encoding walk the tree
//! (O(rank)), where Valkey's skiplist spans make them O(log n). An
//! order-statistic tree would restore that; score and lex lookups are
//! already O(log n) through the tree's range search.

mod commands;
mod listing;
mod pop;
mod random;
pub mod range;
mod store;
mod table;

use std::cmp::Ordering;
use std::collections::BTreeSet;

use bytes::Bytes;

use crate::keyspace::{Dict, EncodingLimits};
use range::{LexRange, ScoreRange};
pub use table::COMMANDS;

/// An entry of the ordered index: total order by score, then member.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// The score (never NaN).
    pub score: f64,
    /// The member.
    pub member: Bytes,
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .partial_cmp(&other.score)
            .expect("scores are never NaN")
            .then_with(|| self.member.cmp(&other.member))
    }
}

/// A sorted set value.
#[derive(Debug, Clone)]
pub enum ZSet {
    /// Small: sorted by (score, member).
    Listpack(Vec<Ranked>),
    /// Large: member → score, plus the order.
    Skiplist {
        /// Member → score.
        scores: Dict<f64>,
        /// (score, member) order.
        order: BTreeSet<Ranked>,
    },
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Listpack(Vec::new())
    }
}

/// A (member, score) pair as replies and stores take them.
pub type Pair = (Bytes, f64);

type PairIter<'a> = Box<dyn Iterator<Item = (&'a Bytes, f64)> + 'a>;

impl ZSet {
    /// An empty sorted set.
    pub fn new() -> ZSet {
        ZSet::default()
    }

    /// An empty sorted set encoded for about `size_hint` members of up to
    /// `max_len` bytes (Valkey picks the encoding up front the same way).
    pub fn with_hint(size_hint: usize, max_len: usize, limits: &EncodingLimits) -> ZSet {
        let mut z = ZSet::new();
        z.maybe_convert(size_hint, max_len, limits);
        z
    }

    /// Converts to `skiplist` if `size_hint` members or a member of
    /// `max_len` bytes would not fit the listpack limits.
    pub fn maybe_convert(&mut self, size_hint: usize, max_len: usize, limits: &EncodingLimits) {
        if size_hint > limits.zset_max_listpack_entries || max_len > limits.zset_max_listpack_value
        {
            self.convert();
        }
    }

    /// A sorted set holding `items` (any order, distinct members), encoded
    /// as a stored result is: `listpack` when it fits the limits.
    pub fn from_items(mut items: Vec<Ranked>, limits: &EncodingLimits) -> ZSet {
        items.sort_unstable();
        let max_len = items.iter().map(|r| r.member.len()).max().unwrap_or(0);
        if items.len() <= limits.zset_max_listpack_entries
            && max_len <= limits.zset_max_listpack_value
        {
            return ZSet::Listpack(items);
        }
        let mut scores = Dict::with_capacity(items.len());
        for r in &items {
            scores.insert_shared(r.member.clone(), r.score);
        }
        ZSet::Skiplist {
            scores,
            order: items.into_iter().collect(),
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(v) => v.len(),
            ZSet::Skiplist { scores, .. } => scores.len(),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(v) => v
                .iter()
                .find(|r| r.member.as_ref() == member)
                .map(|r| r.score),
            ZSet::Skiplist { scores, .. } => scores.get(member).copied(),
        }
    }

    /// Sets the score of `member`; returns the previous score.
    pub fn insert(&mut self, member: Bytes, score: f64, limits: &EncodingLimits) -> Option<f64> {
        debug_assert!(!score.is_nan());
        // Stored once (a skiplist shares it between its two indexes), not
        // as a clone of the command's argument.
        let member = crate::keyspace::detach(member);
        let old = self.remove(&member);
        if let ZSet::Listpack(v) = self {
            // Only a new member can push a listpack over its limits (an
            // update was just removed, so it always fits back).
            if old.is_some()
                || (v.len() < limits.zset_max_listpack_entries
                    && member.len() <= limits.zset_max_listpack_value)
            {
                let r = Ranked { score, member };
                let pos = v.binary_search(&r).unwrap_or_else(|p| p);
                v.insert(pos, r);
                return old;
            }
            self.convert();
        }
        if let ZSet::Skiplist { scores, order } = self {
            scores.insert_shared(member.clone(), score);
            order.insert(Ranked { score, member });
        }
        old
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(v) => {
                let pos = v.iter().position(|r| r.member.as_ref() == member)?;
                Some(v.remove(pos).score)
            }
            ZSet::Skiplist { scores, order } => {
                let (m, score) = scores.remove_entry(member)?;
                order.remove(&Ranked { score, member: m });
                Some(score)
            }
        }
    }

    fn convert(&mut self) {
        if let ZSet::Listpack(v) = self {
            let mut scores = Dict::with_capacity(v.len() + 1);
            let mut order = BTreeSet::new();
            for r in v.drain(..) {
                scores.insert_shared(r.member.clone(), r.score);
                order.insert(r);
            }
            *self = ZSet::Skiplist { scores, order };
        }
    }

    /// Members with scores in ascending (score, member) order.
    pub fn iter(&self) -> Box<dyn DoubleEndedIterator<Item = (&Bytes, f64)> + '_> {
        match self {
            ZSet::Listpack(v) => Box::new(v.iter().map(|r| (&r.member, r.score))),
            ZSet::Skiplist { order, .. } => Box::new(order.iter().map(|r| (&r.member, r.score))),
        }
    }

    /// 0-based rank of `member` in ascending order, with its score.
    /// O(rank) on the skiplist encoding (see the module doc).
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        let score = self.score(member)?;
        let rank = match self {
            ZSet::Listpack(v) => v.iter().position(|r| r.member.as_ref() == member)?,
            ZSet::Skiplist { order, .. } => {
                let probe = Ranked {
                    score,
                    member: Bytes::copy_from_slice(member),
                };
                order.range(..probe).count()
            }
        };
        Some((rank, score))
    }

    /// The member at storage position `i` (`i < len()`), for seeded draws:
    /// storage order is deterministic on every replica.
    pub fn at(&self, i: usize) -> (&Bytes, f64) {
        match self {
            ZSet::Listpack(v) => (&v[i].member, v[i].score),
            ZSet::Skiplist { scores, .. } => {
                let (m, s) = scores.at(i);
                (m, *s)
            }
        }
    }

    /// The members of ranks `start..=stop` (ascending ranks, or
    /// descending ones when `rev`), in that order.
    pub fn rank_range(&self, start: usize, stop: usize, rev: bool) -> Vec<Pair> {
        let n = stop + 1 - start;
        let take = |it: &mut dyn Iterator<Item = (&Bytes, f64)>| -> Vec<Pair> {
            it.skip(start)
                .take(n)
                .map(|(m, s)| (m.clone(), s))
                .collect()
        };
        match (self, rev) {
            (ZSet::Listpack(v), false) => v[start..=stop]
                .iter()
                .map(|r| (r.member.clone(), r.score))
                .collect(),
            (_, false) => take(&mut self.iter()),
            (_, true) => take(&mut self.iter().rev()),
        }
    }

    /// Ascending walk starting at or before the first member of `r`.
    fn walk_up(&self, r: &ScoreRange) -> PairIter<'_> {
        match self {
            ZSet::Listpack(v) => Box::new(v.iter().map(|r| (&r.member, r.score))),
            ZSet::Skiplist { order, .. } => {
                let from = Ranked {
                    score: r.min,
                    member: Bytes::new(),
                };
                Box::new(order.range(from..).map(|r| (&r.member, r.score)))
            }
        }
    }

    /// Descending walk starting at or after the last member of `r`.
    fn walk_down(&self, r: &ScoreRange) -> PairIter<'_> {
        match self {
            ZSet::Listpack(v) => Box::new(v.iter().rev().map(|r| (&r.member, r.score))),
            ZSet::Skiplist { order, .. } if r.max < f64::INFINITY => {
                // Everything below (next score above max, "") has score <= max.
                let to = Ranked {
                    score: r.max.next_up(),
                    member: Bytes::new(),
                };
                Box::new(order.range(..to).rev().map(|r| (&r.member, r.score)))
            }
            ZSet::Skiplist { order, .. } => {
                Box::new(order.iter().rev().map(|r| (&r.member, r.score)))
            }
        }
    }

    /// Members whose score is in `r`, ascending (descending when `rev`),
    /// skipping `offset` and returning at most `limit` (negative: all).
    pub fn score_range(&self, r: &ScoreRange, rev: bool, offset: i64, limit: i64) -> Vec<Pair> {
        if r.is_empty() || offset < 0 || (offset > 0 && offset as usize >= self.len()) {
            return Vec::new();
        }
        let it: PairIter<'_> = if rev {
            Box::new(
                self.walk_down(r)
                    .skip_while(|(_, s)| !r.lte_max(*s))
                    .take_while(|(_, s)| r.gte_min(*s)),
            )
        } else {
            Box::new(
                self.walk_up(r)
                    .skip_while(|(_, s)| !r.gte_min(*s))
                    .take_while(|(_, s)| r.lte_max(*s)),
            )
        };
        window(it, offset, limit)
    }

    /// Number of members whose score is in `r`.
    pub fn count_score(&self, r: &ScoreRange) -> usize {
        if r.is_empty() {
            return 0;
        }
        self.walk_up(r)
            .skip_while(|(_, s)| !r.gte_min(*s))
            .take_while(|(_, s)| r.lte_max(*s))
            .count()
    }

    /// True when every member has the same score: only then is member
    /// order the tree order, and the tree can seek a lex bound.
    fn uniform(&self) -> Option<f64> {
        let mut it = self.iter();
        let first = it.next()?.1;
        let last = it.next_back().map_or(first, |(_, s)| s);
        (first == last).then_some(first)
    }

    /// Walk in lex order from the lower end (`rev`: from the upper end),
    /// with Valkey's semantics: skip to the first member inside, then
    /// continue while inside (members are assumed to share one score).
    fn lex_walk<'a>(&'a self, r: &'a LexRange, rev: bool) -> PairIter<'a> {
        let seek = match (self, self.uniform()) {
            (ZSet::Skiplist { order, .. }, Some(score)) => Some((order, score)),
            _ => None,
        };
        if rev {
            let base: PairIter<'a> = match (seek, r.max.value()) {
                (Some((order, score)), Some(v)) => {
                    let to = Ranked {
                        score,
                        member: v.clone(),
                    };
                    Box::new(order.range(..=to).rev().map(|r| (&r.member, r.score)))
                }
                _ => Box::new(self.iter().rev()),
            };
            Box::new(
                base.skip_while(move |(m, _)| !r.lte_max(m))
                    .take_while(move |(m, _)| r.gte_min(m)),
            )
        } else {
            let base: PairIter<'a> = match (seek, r.min.value()) {
                (Some((order, score)), Some(v)) => {
                    let from = Ranked {
                        score,
                        member: v.clone(),
                    };
                    Box::new(order.range(from..).map(|r| (&r.member, r.score)))
                }
                _ => Box::new(self.iter()),
            };
            Box::new(
                base.skip_while(move |(m, _)| !r.gte_min(m))
                    .take_while(move |(m, _)| r.lte_max(m)),
            )
        }
    }

    /// Members in the lex range `r` (see [`ZSet::score_range`] for the
    /// direction, offset and limit).
    pub fn lex_range(&self, r: &LexRange, rev: bool, offset: i64, limit: i64) -> Vec<Pair> {
        if r.is_empty() || offset < 0 {
            return Vec::new();
        }
        window(self.lex_walk(r, rev), offset, limit)
    }

    /// Number of members in the lex range `r`.
    pub fn count_lex(&self, r: &LexRange) -> usize {
        if r.is_empty() {
            return 0;
        }
        self.lex_walk(r, false).count()
    }

    /// Removes and returns the lowest (`max == false`) or highest member.
    pub fn pop(&mut self, max: bool) -> Option<Pair> {
        match self {
            ZSet::Listpack(v) => {
                let r = if max {
                    v.pop()?
                } else if v.is_empty() {
                    return None;
                } else {
                    v.remove(0)
                };
                Some((r.member, r.score))
            }
            ZSet::Skiplist { scores, order } => {
                let r = if max {
                    order.pop_last()?
                } else {
                    order.pop_first()?
                };
                scores.remove(&r.member);
                Some((r.member, r.score))
            }
        }
    }

    /// One ZSCAN step: calls `f` on members from `cursor` on; returns the
    /// next cursor. A listpack is returned whole with cursor 0, as Valkey
    /// does for compact encodings.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&Bytes, f64)) -> u64 {
        match self {
            ZSet::Listpack(v) => {
                for r in v {
                    f(&r.member, r.score);
                }
                0
            }
            ZSet::Skiplist { scores, .. } => scores.scan(cursor, count, |m, s| f(m, *s)),
        }
    }

    /// The name OBJECT ENCODING replies.
    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Skiplist { .. } => "skiplist",
        }
    }
}

/// Skips `offset` items and keeps `limit` (negative: all).
fn window(it: PairIter<'_>, offset: i64, limit: i64) -> Vec<Pair> {
    let it = it.skip(offset as usize).map(|(m, s)| (m.clone(), s));
    if limit < 0 {
        it.collect()
    } else {
        it.take(limit as usize).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(entries: usize) -> EncodingLimits {
        EncodingLimits {
            zset_max_listpack_entries: entries,
            ..EncodingLimits::default()
        }
    }

    fn members(v: Vec<Pair>) -> Vec<String> {
        v.into_iter()
            .map(|(m, _)| String::from_utf8(m.to_vec()).unwrap())
            .collect()
    }

    /// The same set in both encodings, so every walk is checked twice.
    fn both(items: &[(&str, f64)]) -> [ZSet; 2] {
        let mut small = ZSet::new();
        let mut big = ZSet::with_hint(1000, 0, &limits(128));
        for (m, s) in items {
            small.insert(Bytes::copy_from_slice(m.as_bytes()), *s, &limits(128));
            big.insert(Bytes::copy_from_slice(m.as_bytes()), *s, &limits(128));
        }
        assert_eq!(small.encoding(), "listpack");
        assert_eq!(big.encoding(), "skiplist");
        [small, big]
    }

    #[test]
    fn skiplist_member_is_stored_once() {
        let mut z = ZSet::with_hint(1000, 0, &limits(128));
        let arg = Bytes::from(vec![b'm'; 100]);
        z.insert(arg.clone(), 1.0, &limits(128));
        let ZSet::Skiplist { scores, order } = &z else {
            panic!("not a skiplist")
        };
        let in_dict = scores.keys().next().unwrap();
        let in_order = &order.first().unwrap().member;
        // Both indexes point at one copy, and not at the argument.
        assert_eq!(in_dict.as_ptr(), in_order.as_ptr());
        assert_ne!(in_dict.as_ptr(), arg.as_ptr());
    }

    #[test]
    fn encodings_convert_at_the_limits() {
        let l = limits(2);
        let mut z = ZSet::new();
        z.insert(Bytes::from_static(b"a"), 1.0, &l);
        z.insert(Bytes::from_static(b"b"), 2.0, &l);
        z.insert(Bytes::from_static(b"b"), 3.0, &l);
        assert_eq!(z.encoding(), "listpack");
        z.insert(Bytes::from_static(b"c"), 3.0, &l);
        assert_eq!(z.encoding(), "skiplist");
        let mut z = ZSet::new();
        z.insert(Bytes::from(vec![b'x'; 65]), 1.0, &l);
        assert_eq!(z.encoding(), "skiplist");
        let items = (0..3)
            .map(|i| Ranked {
                score: i as f64,
                member: Bytes::from(i.to_string()),
            })
            .collect::<Vec<_>>();
        assert_eq!(ZSet::from_items(items.clone(), &l).encoding(), "skiplist");
        assert_eq!(ZSet::from_items(items, &limits(3)).encoding(), "listpack");
    }

    #[test]
    fn walks_agree_across_encodings() {
        let items = [
            ("a", 1.0),
            ("b", 2.0),
            ("c", 2.0),
            ("d", 3.0),
            ("e", f64::INFINITY),
        ];
        for z in both(&items) {
            let r = ScoreRange::parse(b"(1", b"3").unwrap();
            assert_eq!(members(z.score_range(&r, false, 0, -1)), ["b", "c", "d"]);
            assert_eq!(members(z.score_range(&r, true, 0, -1)), ["d", "c", "b"]);
            assert_eq!(members(z.score_range(&r, true, 1, 1)), ["c"]);
            assert_eq!(
                members(z.score_range(&r, false, -1, 1)),
                Vec::<String>::new()
            );
            assert_eq!(z.count_score(&r), 3);
            let r = ScoreRange::parse(b"2", b"+inf").unwrap();
            assert_eq!(members(z.score_range(&r, true, 0, 2)), ["e", "d"]);
            let r = ScoreRange::parse(b"-inf", b"(2").unwrap();
            assert_eq!(members(z.score_range(&r, true, 0, -1)), ["a"]);
            assert_eq!(z.rank(b"d"), Some((3, 3.0)));
            assert_eq!(members(z.rank_range(1, 2, true)), ["d", "c"]);
            assert_eq!(members(z.rank_range(0, 1, false)), ["a", "b"]);
        }
        let same = [("a", 0.0), ("b", 0.0), ("c", 0.0), ("d", 0.0)];
        for z in both(&same) {
            let r = LexRange::parse(b"(a", b"[c").unwrap();
            assert_eq!(members(z.lex_range(&r, false, 0, -1)), ["b", "c"]);
            assert_eq!(members(z.lex_range(&r, true, 0, -1)), ["c", "b"]);
            assert_eq!(z.count_lex(&r), 2);
            let r = LexRange::parse(b"-", b"+").unwrap();
            assert_eq!(members(z.lex_range(&r, true, 1, 2)), ["c", "b"]);
            assert_eq!(z.count_lex(&LexRange::parse(b"[c", b"[a").unwrap()), 0);
        }
    }

    #[test]
    fn pops_take_the_ends() {
        for mut z in both(&[("a", 1.0), ("b", 2.0), ("c", 3.0)]) {
            assert_eq!(z.pop(true).unwrap().0, "c");
            assert_eq!(z.pop(false).unwrap().0, "a");
            assert_eq!(z.len(), 1);
            assert_eq!(z.score(b"b"), Some(2.0));
            assert_eq!(z.score(b"a"), None);
        }
    }
}
