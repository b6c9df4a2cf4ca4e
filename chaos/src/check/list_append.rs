//! List appends (RPUSH) checked against the final contents of each list.
//!
//! Every append carries a value unique to it. After the run has healed, one
//! read of each list must show: every acknowledged append exactly once; no
//! value twice (an indeterminate append may be there once or not at all);
//! no value that was never appended to that list; and, for any two appends
//! present where one was acknowledged before the other was invoked, the
//! earlier one first (real-time order).

use std::collections::{BTreeMap, HashMap};

/// One RPUSH of one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Append {
    /// The list.
    pub key: Vec<u8>,
    /// The value pushed (unique across the run for its key).
    pub value: Vec<u8>,
    /// When the client sent it.
    pub invoke: u64,
    /// When it was acknowledged; `None` if indeterminate.
    pub complete: Option<u64>,
}

/// A violation found in one list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// An acknowledged append is missing from the final list.
    Lost { key: Vec<u8>, value: Vec<u8> },
    /// A value appears more than once.
    Duplicated { key: Vec<u8>, value: Vec<u8> },
    /// A value nobody appended to this list.
    Phantom { key: Vec<u8>, value: Vec<u8> },
    /// `later` was invoked after `earlier` was acknowledged, yet stands before it.
    Reordered {
        key: Vec<u8>,
        earlier: Vec<u8>,
        later: Vec<u8>,
    },
}

/// Checks `appends` against `final_lists` (key → elements in list order; a
/// key absent from the map is an empty list). Returns every violation.
pub fn check(
    appends: &[Append],
    final_lists: &BTreeMap<Vec<u8>, Vec<Vec<u8>>>,
) -> Result<(), Vec<Violation>> {
    let mut by_key: BTreeMap<&[u8], Vec<&Append>> = BTreeMap::new();
    for a in appends {
        by_key.entry(&a.key).or_default().push(a);
    }
    let empty = Vec::new();
    let mut bad = Vec::new();
    let keys: std::collections::BTreeSet<&[u8]> = by_key
        .keys()
        .copied()
        .chain(final_lists.keys().map(|k| k.as_slice()))
        .collect();
    for key in keys {
        let ours = by_key.get(key).map(Vec::as_slice).unwrap_or(&[]);
        let list = final_lists.get(key).unwrap_or(&empty);
        let attempted: HashMap<&[u8], &Append> =
            ours.iter().map(|a| (a.value.as_slice(), *a)).collect();
        // Position of each value in the final list (first occurrence).
        let mut pos: HashMap<&[u8], usize> = HashMap::new();
        for (i, v) in list.iter().enumerate() {
            if pos.insert(v, i).is_some() {
                bad.push(Violation::Duplicated {
                    key: key.to_vec(),
                    value: v.clone(),
                });
            }
            if !attempted.contains_key(v.as_slice()) {
                bad.push(Violation::Phantom {
                    key: key.to_vec(),
                    value: v.clone(),
                });
            }
        }
        for a in ours {
            if a.complete.is_some() && !pos.contains_key(a.value.as_slice()) {
                bad.push(Violation::Lost {
                    key: key.to_vec(),
                    value: a.value.clone(),
                });
            }
        }
        // Real-time order among the appends that are present. Sorting by
        // completion lets each append be compared only with those that
        // completed before it was invoked.
        let mut present: Vec<(&Append, usize)> = ours
            .iter()
            .filter_map(|a| pos.get(a.value.as_slice()).map(|&p| (*a, p)))
            .collect();
        present.sort_by_key(|(a, _)| a.complete.unwrap_or(u64::MAX));
        for (b, pb) in &present {
            for (a, pa) in &present {
                match a.complete {
                    Some(c) if c < b.invoke => {
                        if pa > pb {
                            bad.push(Violation::Reordered {
                                key: key.to_vec(),
                                earlier: a.value.clone(),
                                later: b.value.clone(),
                            });
                        }
                    }
                    // Sorted by completion: nobody further completed earlier.
                    _ => break,
                }
            }
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(v: &str, invoke: u64, complete: Option<u64>) -> Append {
        Append {
            key: b"L".to_vec(),
            value: v.as_bytes().to_vec(),
            invoke,
            complete,
        }
    }

    fn list(vs: &[&str]) -> BTreeMap<Vec<u8>, Vec<Vec<u8>>> {
        let mut m = BTreeMap::new();
        m.insert(
            b"L".to_vec(),
            vs.iter().map(|v| v.as_bytes().to_vec()).collect(),
        );
        m
    }

    #[test]
    fn sequential_and_concurrent_appends_pass() {
        let h = [
            app("a", 0, Some(1)),
            app("b", 2, Some(10)),
            app("c", 3, Some(9)), // concurrent with b: either order
            app("d", 11, None),   // indeterminate: may be there
            app("e", 12, None),   // or not
        ];
        assert_eq!(check(&h, &list(&["a", "c", "b", "d"])), Ok(()));
        assert_eq!(check(&h, &list(&["a", "b", "c"])), Ok(()));
    }

    #[test]
    fn lost_acknowledged_append_fails() {
        let h = [app("a", 0, Some(1)), app("b", 2, Some(3))];
        assert_eq!(
            check(&h, &list(&["a"])),
            Err(vec![Violation::Lost {
                key: b"L".to_vec(),
                value: b"b".to_vec()
            }])
        );
        // An empty (absent) list loses everything acknowledged.
        assert_eq!(check(&h, &BTreeMap::new()).unwrap_err().len(), 2);
    }

    #[test]
    fn duplicate_fails_even_for_indeterminate() {
        let h = [app("a", 0, Some(1)), app("b", 2, None)];
        let e = check(&h, &list(&["a", "b", "b"])).unwrap_err();
        assert!(matches!(&e[..], [Violation::Duplicated { value, .. }] if value == b"b"));
    }

    #[test]
    fn phantom_value_fails() {
        let h = [app("a", 0, Some(1))];
        let e = check(&h, &list(&["a", "ghost"])).unwrap_err();
        assert!(matches!(&e[..], [Violation::Phantom { value, .. }] if value == b"ghost"));
    }

    #[test]
    fn real_time_order_violation_fails() {
        let h = [app("a", 0, Some(1)), app("b", 2, Some(3))];
        let e = check(&h, &list(&["b", "a"])).unwrap_err();
        assert_eq!(
            e,
            vec![Violation::Reordered {
                key: b"L".to_vec(),
                earlier: b"a".to_vec(),
                later: b"b".to_vec()
            }]
        );
    }

    #[test]
    fn indeterminate_append_present_must_follow_what_completed_before_it() {
        let h = [app("a", 0, Some(1)), app("b", 2, None)];
        assert!(check(&h, &list(&["b", "a"])).is_err());
        assert_eq!(check(&h, &list(&["a", "b"])), Ok(()));
    }
}
