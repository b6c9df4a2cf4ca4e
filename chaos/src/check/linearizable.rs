//! Linearizability of read/write registers (Wing & Gong's search, with
//! Lowe's memoisation as Porcupine does it).
//!
//! Each key is an independent register starting as nil, so the history is
//! split per key and each part searched alone. The search builds a
//! linearization one operation at a time: an operation may come next if no
//! other operation still unplaced had *completed* before it was *invoked*
//! (real-time order), and if the register allows it (a read must return the
//! current value). A state is (set of placed operations, register value); a
//! state seen before is not explored again, which is what makes the search
//! practical. Indeterminate writes never complete, so they never constrain
//! others, may be placed anywhere after their invocation, and may be left
//! out entirely (they never happened). Indeterminate reads tell nothing and
//! are dropped, and so are indeterminate writes of a value no read returned:
//! leaving such a write out never invalidates a read, so "it never happened"
//! is always an answer and searching its placements would only cost time.

use std::collections::{BTreeMap, HashSet};

/// What a register operation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegOp {
    /// Wrote this value.
    Write(Vec<u8>),
    /// Read this value (`None`: the key did not exist). For an indeterminate
    /// read the value is ignored.
    Read(Option<Vec<u8>>),
}

/// One client operation on one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// The register.
    pub key: Vec<u8>,
    /// What it did.
    pub op: RegOp,
    /// When the client sent it.
    pub invoke: u64,
    /// When the client got its definite reply; `None` if indeterminate.
    pub complete: Option<u64>,
}

/// Why a history was not shown linearizable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The key whose sub-history failed.
    pub key: Vec<u8>,
    /// False: no linearization exists. True: the search gave up at its
    /// state budget (the history is too large or too concurrent to decide).
    pub gave_up: bool,
    /// The longest run of operations the search could place, in order
    /// (indexes into the key's operations as given, in input order).
    pub best_prefix: Vec<usize>,
    /// Operations of the key, in input order (for the report).
    pub ops: Vec<Op>,
}

/// Search states explored per key before giving up.
pub const STATE_BUDGET: usize = 2_000_000;

/// Checks a whole history: every key's sub-history must be linearizable.
pub fn check(history: &[Op]) -> Result<(), Failure> {
    let read: HashSet<(&[u8], &Option<Vec<u8>>)> = history
        .iter()
        .filter(|o| o.complete.is_some())
        .filter_map(|o| match &o.op {
            RegOp::Read(v) => Some((o.key.as_slice(), v)),
            RegOp::Write(_) => None,
        })
        .collect();
    let mut by_key: BTreeMap<&[u8], Vec<Op>> = BTreeMap::new();
    for op in history {
        let useless = match &op.op {
            RegOp::Read(_) => op.complete.is_none(),
            RegOp::Write(v) => {
                op.complete.is_none() && !read.contains(&(op.key.as_slice(), &Some(v.clone())))
            }
        };
        if useless {
            continue;
        }
        by_key.entry(&op.key).or_default().push(op.clone());
    }
    for (key, ops) in by_key {
        check_key(key, ops)?;
    }
    Ok(())
}

/// A set of placed operations, as bits.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn has(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
    fn flip(&mut self, i: usize) {
        self.0[i / 64] ^= 1 << (i % 64);
    }
}

fn check_key(key: &[u8], ops: Vec<Op>) -> Result<(), Failure> {
    // Values become small integers (0 = nil) so a state is cheap to hash.
    let mut values: Vec<Option<Vec<u8>>> = vec![None];
    let mut id_of = |v: &Option<Vec<u8>>| match values.iter().position(|x| x == v) {
        Some(i) => i,
        None => {
            values.push(v.clone());
            values.len() - 1
        }
    };
    // (is_write, value id, invoke, complete or MAX)
    let enc: Vec<(bool, usize, u64, u64)> = ops
        .iter()
        .map(|o| {
            let (w, v) = match &o.op {
                RegOp::Write(v) => (true, id_of(&Some(v.clone()))),
                RegOp::Read(v) => (false, id_of(v)),
            };
            (w, v, o.invoke, o.complete.unwrap_or(u64::MAX))
        })
        .collect();
    let n = enc.len();
    let must: Vec<usize> = (0..n).filter(|&i| enc[i].3 != u64::MAX).collect();

    let mut seen: HashSet<(Bits, usize)> = HashSet::new();
    // Depth-first: the stack holds the placed sequence; each frame keeps the
    // next candidate to try when we come back to it.
    let mut placed = Bits::new(n);
    let mut order: Vec<(usize, usize)> = Vec::new(); // (op, value before it)
    let mut value = 0usize;
    let mut next_try = 0usize;
    let mut best: Vec<usize> = Vec::new();
    loop {
        if must.iter().all(|&i| placed.has(i)) {
            return Ok(());
        }
        // Earliest completion among unplaced definite operations: nothing
        // invoked after it may be placed before it.
        let horizon = must
            .iter()
            .filter(|&&i| !placed.has(i))
            .map(|&i| enc[i].3)
            .min()
            .unwrap_or(u64::MAX);
        // The first candidate from `next_try` on that the register allows
        // and that leads to a state not seen before.
        let start = next_try;
        let pick = enc
            .iter()
            .enumerate()
            .skip(start)
            .filter(|&(i, &(_, _, invoke, _))| !placed.has(i) && invoke <= horizon)
            .filter(|&(_, &(is_write, v, _, _))| is_write || v == value)
            .find_map(|(i, &(is_write, v, _, _))| {
                let new_value = if is_write { v } else { value };
                let mut next = placed.clone();
                next.flip(i);
                seen.insert((next.clone(), new_value))
                    .then_some((i, next, new_value))
            });
        if seen.len() > STATE_BUDGET {
            return Err(Failure {
                key: key.to_vec(),
                gave_up: true,
                best_prefix: best,
                ops,
            });
        }
        let advanced = pick.is_some();
        if let Some((i, next, new_value)) = pick {
            order.push((i, value));
            placed = next;
            value = new_value;
            next_try = 0;
        }
        if order.len() > best.len() {
            best = order.iter().map(|(i, _)| *i).collect();
        }
        if advanced {
            continue;
        }
        // Dead end: undo the last placement and try its next sibling.
        match order.pop() {
            Some((i, before)) => {
                placed.flip(i);
                value = before;
                next_try = i + 1;
            }
            None => {
                return Err(Failure {
                    key: key.to_vec(),
                    gave_up: false,
                    best_prefix: best,
                    ops,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(v: &str, invoke: u64, complete: Option<u64>) -> Op {
        Op {
            key: b"k".to_vec(),
            op: RegOp::Write(v.as_bytes().to_vec()),
            invoke,
            complete,
        }
    }

    fn r(v: Option<&str>, invoke: u64, complete: u64) -> Op {
        Op {
            key: b"k".to_vec(),
            op: RegOp::Read(v.map(|v| v.as_bytes().to_vec())),
            invoke,
            complete: Some(complete),
        }
    }

    #[test]
    fn sequential_history_passes() {
        let h = [
            r(None, 0, 1),
            w("a", 2, Some(3)),
            r(Some("a"), 4, 5),
            w("b", 6, Some(7)),
            r(Some("b"), 8, 9),
        ];
        assert_eq!(check(&h), Ok(()));
    }

    #[test]
    fn stale_read_after_completed_write_fails() {
        let h = [w("a", 0, Some(1)), w("b", 2, Some(3)), r(Some("a"), 4, 5)];
        let f = check(&h).unwrap_err();
        assert!(!f.gave_up);
        assert_eq!(f.key, b"k");
    }

    #[test]
    fn read_of_nil_after_completed_write_fails() {
        let h = [w("a", 0, Some(1)), r(None, 2, 3)];
        assert!(check(&h).is_err());
    }

    #[test]
    fn read_of_a_never_written_value_fails() {
        let h = [w("a", 0, Some(1)), r(Some("zzz"), 2, 3)];
        assert!(check(&h).is_err());
    }

    #[test]
    fn concurrent_write_may_be_seen_or_not() {
        // The write overlaps both reads: old then new is fine.
        let h = [
            w("a", 0, Some(1)),
            w("b", 2, Some(10)),
            r(Some("a"), 3, 4),
            r(Some("b"), 5, 6),
        ];
        assert_eq!(check(&h), Ok(()));
    }

    #[test]
    fn new_then_old_is_not_linearizable() {
        // Two sequential reads inside one write's window cannot go back.
        let h = [
            w("a", 0, Some(1)),
            w("b", 2, Some(10)),
            r(Some("b"), 3, 4),
            r(Some("a"), 5, 6),
        ];
        assert!(check(&h).is_err());
    }

    #[test]
    fn indeterminate_write_may_take_effect_late() {
        // The timed-out write is seen long after its client gave up.
        let h = [
            w("a", 0, Some(1)),
            w("b", 2, None),
            r(Some("a"), 5, 6),
            r(Some("b"), 20, 21),
        ];
        assert_eq!(check(&h), Ok(()));
    }

    #[test]
    fn indeterminate_write_may_never_happen() {
        let h = [w("a", 0, Some(1)), w("b", 2, None), r(Some("a"), 30, 31)];
        assert_eq!(check(&h), Ok(()));
    }

    #[test]
    fn indeterminate_write_cannot_act_before_its_invocation() {
        let h = [w("a", 0, Some(1)), r(Some("b"), 2, 3), w("b", 4, None)];
        assert!(check(&h).is_err());
    }

    #[test]
    fn indeterminate_write_cannot_flip_back_and_forth() {
        // Seen, then unseen, then seen: it can take effect only once.
        let h = [
            w("a", 0, Some(1)),
            w("b", 2, None),
            r(Some("b"), 3, 4),
            r(Some("a"), 5, 6),
        ];
        assert!(check(&h).is_err());
    }

    #[test]
    fn keys_are_independent() {
        let mut other = w("x", 0, Some(1));
        other.key = b"j".to_vec();
        let mut stale = r(None, 2, 3);
        stale.key = b"j".to_vec();
        let h = [w("a", 0, Some(1)), r(Some("a"), 2, 3), other, stale];
        let f = check(&h).unwrap_err();
        assert_eq!(f.key, b"j");
    }

    #[test]
    fn many_concurrent_operations_are_decided() {
        // 14 writers of distinct values all overlapping, then reads of one
        // of them: memoisation keeps this to subsets (2^14), not 14! orders.
        let mut h: Vec<Op> = (0..14).map(|i| w(&i.to_string(), i, Some(100))).collect();
        h.push(r(Some("9"), 101, 102));
        h.push(r(Some("9"), 103, 104));
        assert_eq!(check(&h), Ok(()));
        h.push(r(Some("3"), 105, 106));
        let f = check(&h).unwrap_err();
        assert!(!f.gave_up, "decided, not given up");
    }
}
