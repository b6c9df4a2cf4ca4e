//! Election safety over observed (term, leader) pairs, in observation
//! order.
//!
//! Standard Raft allows one leader per term ([`one_leader_per_term`]);
//! slotraft builds openraft 0.9 with its `single-term-leader` feature so
//! that holds, and the simulation checks it. Without that feature a leader
//! id is (term, node id), totally ordered, and a voter that granted (t, a)
//! may later grant (t, b) for b > a, so a term can see several leaders
//! (the simulation found such terms); what holds then is the weaker
//! [`leaders_ordered_per_term`]. A voter that forgot its vote (a crash
//! losing a synced write) breaks either.

use std::collections::BTreeMap;

/// Checks observed (term, leader) pairs, in the order they were seen:
/// within a term, each new leader has a higher node id than every leader
/// seen before it in that term. Returns each offending term with its
/// leaders in order of first sight.
pub fn leaders_ordered_per_term(
    observed: impl IntoIterator<Item = (u64, u64)>,
) -> Result<(), Vec<(u64, Vec<u64>)>> {
    terms_where(observed, |l| l.windows(2).any(|w| w[0] > w[1]))
}

/// Checks observed (term, leader) pairs: every term has a single leader.
/// Returns each term seen with more than one leader, with those leaders.
pub fn one_leader_per_term(
    observed: impl IntoIterator<Item = (u64, u64)>,
) -> Result<(), Vec<(u64, Vec<u64>)>> {
    terms_where(observed, |l| l.len() > 1)
}

/// Each term's distinct leaders in order of first sight; the terms whose
/// leaders `bad` rejects are the error.
fn terms_where(
    observed: impl IntoIterator<Item = (u64, u64)>,
    bad: impl Fn(&[u64]) -> bool,
) -> Result<(), Vec<(u64, Vec<u64>)>> {
    let mut by_term: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for (term, leader) in observed {
        let ls = by_term.entry(term).or_default();
        if !ls.contains(&leader) {
            ls.push(leader);
        }
    }
    let bad: Vec<_> = by_term.into_iter().filter(|(_, l)| bad(l)).collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_terms_and_repeats_pass() {
        assert_eq!(
            one_leader_per_term([(1, 1), (1, 1), (2, 3), (3, 1)]),
            Ok(())
        );
        assert_eq!(one_leader_per_term([]), Ok(()));
    }

    #[test]
    fn leaders_of_a_term_in_increasing_id_order_pass() {
        let seen = [(1, 1), (2, 2), (2, 3), (2, 2), (3, 1), (3, 3)];
        assert_eq!(leaders_ordered_per_term(seen), Ok(()));
        assert_eq!(leaders_ordered_per_term([]), Ok(()));
    }

    #[test]
    fn a_smaller_leader_id_after_a_larger_one_fails() {
        let seen = [(1, 1), (2, 3), (2, 2), (2, 3)];
        assert_eq!(leaders_ordered_per_term(seen), Err(vec![(2, vec![3, 2])]));
    }

    #[test]
    fn two_leaders_in_one_term_fail() {
        let r = one_leader_per_term([(1, 1), (2, 2), (2, 3), (3, 3), (2, 2)]);
        assert_eq!(r, Err(vec![(2, vec![2, 3])]));
    }
}
