//! Sorted sets: a vector of (member, score) kept in (score, member) order
//! (`listpack`) while small, else a member → score [`Dict`] beside an
//! ordered tree (`skiplist`). Scores order by value, ties by member bytes.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use bytes::Bytes;

use crate::keyspace::{Dict, EncodingLimits};

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

impl ZSet {
    /// An empty sorted set.
    pub fn new() -> ZSet {
        ZSet::default()
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
        let old = self.remove(&member);
        if let ZSet::Listpack(v) = self {
            if v.len() < limits.zset_max_listpack_entries
                && member.len() <= limits.zset_max_listpack_value
            {
                let r = Ranked { score, member };
                let pos = v.binary_search(&r).unwrap_or_else(|p| p);
                v.insert(pos, r);
                return old;
            }
            self.convert();
        }
        if let ZSet::Skiplist { scores, order } = self {
            scores.insert(member.clone(), score);
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
                scores.insert(r.member.clone(), r.score);
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

    /// 0-based rank of `member` in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        match self {
            ZSet::Listpack(v) => v.iter().position(|r| r.member.as_ref() == member),
            ZSet::Skiplist { order, .. } => {
                let probe = Ranked {
                    score,
                    member: Bytes::copy_from_slice(member),
                };
                Some(order.range(..probe).count())
            }
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

/// The commands of this type.
pub const COMMANDS: &[crate::command::CommandSpec] = &[];
