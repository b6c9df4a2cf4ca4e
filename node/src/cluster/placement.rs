//! Bootstrap placement: the first topology of a new cluster.
//!
//! When `cluster-bootstrap-expect` nodes have met, the lowest node id turns
//! them into a cluster (DESIGN, "Topology, gossip, membership"): one data
//! group per node, each preferring a different node as leader, with the
//! hash slots split into contiguous ranges the way `redis-cli --cluster
//! create` splits them among primaries, so an operator sees familiar
//! ranges (3 nodes: 0-5460, 5461-10922, 10923-16383).
//!
//! Nodes are sorted by id and group `i` (id `i + 1`) takes its data voters
//! from nodes `i, i+1, ...` and its witnesses from the nodes after those,
//! wrapping around. So the members of a group are on distinct nodes, and
//! every node holds exactly `replicas` data memberships and `witnesses`
//! witness memberships: the load is even, and losing any one node costs
//! each group at most one voter. The output depends only on the set of
//! nodes and the counts.

use thiserror::Error;

use crate::cluster::slot::SLOTS;
use crate::cluster::topology::{
    GroupId, Member, MemberRole, NodeAddr, NodeName, SlotRange, Topology, TopologyChange,
    TopologyError,
};

/// Data voters per group by default (`raft-replicas`).
pub const DEFAULT_REPLICAS: usize = 2;
/// Witnesses per group by default (`raft-witnesses`).
pub const DEFAULT_WITNESSES: usize = 1;

/// Why no bootstrap layout exists for the given nodes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlacementError {
    /// No node given.
    #[error("no nodes to place groups on")]
    NoNodes,
    /// The same node id twice.
    #[error("node {0} is listed twice")]
    DuplicateNode(NodeName),
    /// A group needs a data voter.
    #[error("a group needs at least one data voter (replicas >= 1)")]
    NoReplicas,
    /// Fewer nodes than members per group (members must be on distinct
    /// nodes).
    #[error("{replicas} data voters and {witnesses} witnesses per group need {needed} nodes, {have} given")]
    TooFewNodes {
        /// Nodes given.
        have: usize,
        /// Nodes needed.
        needed: usize,
        /// Data voters asked for.
        replicas: usize,
        /// Witnesses asked for.
        witnesses: usize,
    },
    /// More groups than slots.
    #[error("{0} nodes: more than one group per slot")]
    TooManyNodes(usize),
    /// The layout did not apply (a bad address, say).
    #[error(transparent)]
    Topology(#[from] TopologyError),
}

/// `n` contiguous ranges covering every slot, sizes differing by at most
/// one: range `i` ends at `round((i + 1) * 16384 / n - 1)` (ties up), the
/// last at 16383, as redis-cli splits slots among primaries.
pub fn split_slots(n: usize) -> Result<Vec<SlotRange>, PlacementError> {
    let total = usize::from(SLOTS);
    if n == 0 {
        return Err(PlacementError::NoNodes);
    }
    if n > total {
        return Err(PlacementError::TooManyNodes(n));
    }
    let mut out = Vec::with_capacity(n);
    let mut first = 0usize;
    for i in 0..n {
        let last = if i + 1 == n {
            total - 1
        } else {
            // round(x) with x = ((i + 1) * total - n) / n, in integers.
            let num = (i + 1) * total - n;
            ((2 * num + n) / (2 * n)).max(first)
        };
        out.push(SlotRange::new(first as u16, last as u16)?);
        first = last + 1;
    }
    Ok(out)
}

/// The changes that turn an empty topology into a cluster of `nodes`:
/// every node added (in id order, so Raft ids 1..=n follow that order),
/// one group per node with `replicas` data voters and `witnesses`
/// witnesses on distinct nodes, group `i` preferring node `i` as leader
/// and owning the `i`-th range of [`split_slots`].
pub fn bootstrap(
    nodes: &[(NodeName, NodeAddr)],
    replicas: usize,
    witnesses: usize,
) -> Result<Vec<TopologyChange>, PlacementError> {
    let mut nodes: Vec<&(NodeName, NodeAddr)> = nodes.iter().collect();
    nodes.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = nodes.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(PlacementError::DuplicateNode(w[0].0.clone()));
    }
    let n = nodes.len();
    if n == 0 {
        return Err(PlacementError::NoNodes);
    }
    if replicas == 0 {
        return Err(PlacementError::NoReplicas);
    }
    let needed = replicas + witnesses;
    if n < needed {
        return Err(PlacementError::TooFewNodes {
            have: n,
            needed,
            replicas,
            witnesses,
        });
    }
    let ranges = split_slots(n)?;

    let mut changes: Vec<TopologyChange> = nodes
        .iter()
        .map(|(name, addr)| TopologyChange::AddNode {
            name: name.clone(),
            addr: addr.clone(),
        })
        .collect();
    for i in 0..n {
        let at = |k: usize| nodes[(i + k) % n].0.clone();
        let members = (0..needed)
            .map(|k| {
                let role = if k < replicas {
                    MemberRole::DataVoter
                } else {
                    MemberRole::Witness
                };
                Member::new(at(k), role)
            })
            .collect();
        changes.push(TopologyChange::AddGroup {
            id: group_id(i),
            members,
            preferred_leader: Some(at(0)),
        });
    }
    for (i, range) in ranges.into_iter().enumerate() {
        changes.push(TopologyChange::AssignSlots {
            group: group_id(i),
            ranges: vec![range],
        });
    }
    Ok(changes)
}

/// [`bootstrap`] applied to an empty topology.
pub fn bootstrap_topology(
    nodes: &[(NodeName, NodeAddr)],
    replicas: usize,
    witnesses: usize,
) -> Result<Topology, PlacementError> {
    let mut t = Topology::new();
    for change in bootstrap(nodes, replicas, witnesses)? {
        t.apply(change)?;
    }
    Ok(t)
}

fn group_id(i: usize) -> GroupId {
    GroupId::try_from(i + 1).expect("at most 16384 groups")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::cluster::topology::RaftId;

    fn node(i: u8) -> (NodeName, NodeAddr) {
        (
            NodeName::parse(&format!("{:040x}", u32::from(i) * 0x1111)).unwrap(),
            NodeAddr {
                ip: [127, 0, 0, 1].into(),
                hostname: None,
                port: 7000 + u16::from(i),
                bus_port: 17000 + u16::from(i),
            },
        )
    }

    fn nodes(n: u8) -> Vec<(NodeName, NodeAddr)> {
        (1..=n).map(node).collect()
    }

    fn pairs(ranges: &[SlotRange]) -> Vec<(u16, u16)> {
        ranges.iter().map(|r| (r.start(), r.end())).collect()
    }

    #[test]
    fn slots_split_as_redis_cli_does() {
        assert_eq!(pairs(&split_slots(1).unwrap()), vec![(0, 16383)]);
        assert_eq!(
            pairs(&split_slots(3).unwrap()),
            vec![(0, 5460), (5461, 10922), (10923, 16383)]
        );
        assert_eq!(
            pairs(&split_slots(5).unwrap()),
            vec![
                (0, 3276),
                (3277, 6553),
                (6554, 9829),
                (9830, 13106),
                (13107, 16383)
            ]
        );
        assert_eq!(
            pairs(&split_slots(6).unwrap()),
            vec![
                (0, 2730),
                (2731, 5460),
                (5461, 8191),
                (8192, 10922),
                (10923, 13652),
                (13653, 16383)
            ]
        );
        assert_eq!(split_slots(0), Err(PlacementError::NoNodes));
        assert_eq!(split_slots(16385), Err(PlacementError::TooManyNodes(16385)));
    }

    #[test]
    fn every_split_is_contiguous_complete_and_even() {
        for n in (1..=200).chain([1000, 16383, 16384]) {
            let ranges = split_slots(n).unwrap();
            assert_eq!(ranges.len(), n);
            assert_eq!(ranges[0].start(), 0);
            assert_eq!(ranges[n - 1].end(), 16383);
            for w in ranges.windows(2) {
                assert_eq!(w[0].end() + 1, w[1].start(), "n = {n}");
            }
            let min = ranges.iter().map(|r| r.len()).min().unwrap();
            let max = ranges.iter().map(|r| r.len()).max().unwrap();
            assert!(max - min <= 1, "n = {n}: sizes {min}..{max}");
        }
    }

    /// Per node: (groups it prefers to lead, data memberships, witness
    /// memberships).
    fn load(t: &Topology) -> BTreeMap<RaftId, (usize, usize, usize)> {
        let mut out = BTreeMap::new();
        for n in t.nodes() {
            let ms = t.memberships(&n.name);
            let leads = t
                .groups()
                .filter(|g| g.preferred_leader.as_ref() == Some(&n.name))
                .count();
            let data = ms.iter().filter(|m| m.1 == MemberRole::DataVoter).count();
            let wit = ms.iter().filter(|m| m.1 == MemberRole::Witness).count();
            out.insert(n.raft_id, (leads, data, wit));
        }
        out
    }

    #[test]
    fn three_nodes_get_three_groups_of_two_data_voters_and_a_witness() {
        let t = bootstrap_topology(&nodes(3), DEFAULT_REPLICAS, DEFAULT_WITNESSES).unwrap();
        t.validate().unwrap();
        let ns: Vec<NodeName> = nodes(3).into_iter().map(|n| n.0).collect();
        let layout: Vec<_> = t
            .groups()
            .map(|g| {
                let ms: Vec<_> = g.members.iter().map(|m| (m.node.clone(), m.role)).collect();
                (
                    g.id,
                    ms,
                    g.preferred_leader.clone().unwrap(),
                    t.slot_ranges(g.id),
                )
            })
            .collect();
        use MemberRole::{DataVoter as D, Witness as W};
        let r = |a, b| SlotRange::new(a, b).unwrap();
        assert_eq!(
            layout,
            vec![
                (
                    1,
                    vec![(ns[0].clone(), D), (ns[1].clone(), D), (ns[2].clone(), W)],
                    ns[0].clone(),
                    vec![r(0, 5460)]
                ),
                (
                    2,
                    vec![(ns[1].clone(), D), (ns[2].clone(), D), (ns[0].clone(), W)],
                    ns[1].clone(),
                    vec![r(5461, 10922)]
                ),
                (
                    3,
                    vec![(ns[2].clone(), D), (ns[0].clone(), D), (ns[1].clone(), W)],
                    ns[2].clone(),
                    vec![r(10923, 16383)]
                ),
            ]
        );
        // Raft ids follow node id order.
        let ids: Vec<_> = t.nodes().map(|n| n.raft_id).collect();
        assert_eq!(ids, vec![1, 2, 3]);
    }

    #[test]
    fn memberships_are_spread_evenly_on_distinct_nodes() {
        for (n, replicas, witnesses) in [
            (3, 2, 1),
            (5, 2, 1),
            (6, 2, 1),
            (5, 3, 0),
            (6, 3, 2),
            (1, 1, 0),
        ] {
            let t = bootstrap_topology(&nodes(n), replicas, witnesses).unwrap();
            assert_eq!(t.groups().count(), usize::from(n));
            for g in t.groups() {
                // Distinct nodes is checked by apply; counts here.
                assert_eq!(g.with_role(MemberRole::DataVoter).count(), replicas);
                assert_eq!(g.with_role(MemberRole::Witness).count(), witnesses);
                let owned: usize = t.slot_ranges(g.id).iter().map(|r| r.len()).sum();
                let even = 16384 / usize::from(n);
                assert!(
                    owned == even || owned == even + 1,
                    "group {} owns {owned}",
                    g.id
                );
            }
            for (id, l) in load(&t) {
                assert_eq!(l, (1, replicas, witnesses), "n={n} node {id}");
            }
            let covered: usize = t.slot_runs().iter().map(|(r, _)| r.len()).sum();
            assert_eq!(covered, 16384);
        }
    }

    #[test]
    fn the_same_nodes_in_any_order_give_the_same_layout() {
        let mut shuffled = nodes(6);
        shuffled.reverse();
        shuffled.swap(1, 4);
        assert_eq!(
            bootstrap(&shuffled, 2, 1).unwrap(),
            bootstrap(&nodes(6), 2, 1).unwrap()
        );
    }

    #[test]
    fn impossible_layouts_are_refused() {
        assert_eq!(bootstrap(&[], 2, 1), Err(PlacementError::NoNodes));
        assert_eq!(
            bootstrap(&nodes(2), 2, 1),
            Err(PlacementError::TooFewNodes {
                have: 2,
                needed: 3,
                replicas: 2,
                witnesses: 1
            })
        );
        assert_eq!(bootstrap(&nodes(3), 0, 1), Err(PlacementError::NoReplicas));
        let mut dup = nodes(3);
        dup.push(node(2));
        assert_eq!(
            bootstrap(&dup, 2, 1),
            Err(PlacementError::DuplicateNode(node(2).0))
        );
        let mut bad = nodes(3);
        bad[1].1.port = 0;
        assert!(matches!(
            bootstrap_topology(&bad, 2, 1),
            Err(PlacementError::Topology(TopologyError::InvalidAddress(_)))
        ));
    }
}
