//! Election safety over observed (term, leader) pairs: at most one leader
//! per term, standard Raft's guarantee. slotraft builds openraft 0.9 with
//! its `single-term-leader` feature so that it holds: without it a leader
//! id is (term, node id), a voter that granted (t, a) may later grant
//! (t, b) for b > a, and a term can see several leaders (the simulation
//! found such terms). A voter that forgot its vote (a crash losing a
//! synced write) would break it too.

use std::collections::BTreeMap;

/// Checks observed (term, leader) pairs: every term has a single leader.
/// Returns each term seen with more than one leader, with those leaders in
/// order of first sight.
pub fn one_leader_per_term(
    observed: impl IntoIterator<Item = (u64, u64)>,
) -> Result<(), Vec<(u64, Vec<u64>)>> {
    let mut by_term: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for (term, leader) in observed {
        let ls = by_term.entry(term).or_default();
        if !ls.contains(&leader) {
            ls.push(leader);
        }
    }
    let bad: Vec<_> = by_term.into_iter().filter(|(_, l)| l.len() > 1).collect();
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
    fn two_leaders_in_one_term_fail() {
        let r = one_leader_per_term([(1, 1), (2, 2), (2, 3), (3, 3), (2, 2)]);
        assert_eq!(r, Err(vec![(2, vec![2, 3])]));
    }
}
