use std::net::IpAddr;

use proptest::prelude::*;

use super::*;
use MemberRole::{DataVoter, Learner, Witness};
use TopologyChange as C;

fn name(i: u8) -> NodeName {
    NodeName::parse(&format!("{i:040x}")).unwrap()
}

fn addr(last: u8) -> NodeAddr {
    NodeAddr {
        ip: IpAddr::from([127, 0, 0, last]),
        hostname: None,
        port: 6379,
        bus_port: 16379,
    }
}

fn range(a: u16, b: u16) -> SlotRange {
    SlotRange::new(a, b).unwrap()
}

/// Nodes 1..=n added in order (raft ids 1..=n).
fn with_nodes(n: u8) -> Topology {
    let mut t = Topology::new();
    for i in 1..=n {
        t.apply(C::AddNode {
            name: name(i),
            addr: addr(i),
        })
        .unwrap();
    }
    t
}

fn add_group(t: &mut Topology, id: GroupId, members: &[(u8, MemberRole)]) {
    t.apply(C::AddGroup {
        id,
        members: members
            .iter()
            .map(|&(n, r)| Member::new(name(n), r))
            .collect(),
        preferred_leader: Some(name(members[0].0)),
    })
    .unwrap();
}

/// Applies `change`, expecting `err`, and checks nothing moved.
fn refused(t: &mut Topology, change: TopologyChange, err: TopologyError) {
    let before = t.clone();
    assert_eq!(t.apply(change), Err(err));
    assert_eq!(*t, before);
}

#[test]
fn node_names_are_40_lowercase_hex() {
    assert!(NodeName::parse(&"a".repeat(40)).is_ok());
    assert!(NodeName::parse(&"0123456789abcdef".repeat(3)[..40]).is_ok());
    for bad in [
        "a".repeat(39),
        "a".repeat(41),
        "A".repeat(40),
        "g".repeat(40),
        String::new(),
    ] {
        assert_eq!(
            NodeName::parse(&bad),
            Err(TopologyError::InvalidNodeName(bad.clone()))
        );
    }
    let json_like: Result<NodeName, _> = bincode::deserialize(&bincode::serialize("xyz").unwrap());
    assert!(json_like.is_err(), "decoding checks names too");
}

#[test]
fn slot_ranges_are_ordered_and_in_bounds() {
    assert_eq!(range(0, 16383).len(), 16384);
    assert_eq!(range(7, 7).to_string(), "7");
    assert_eq!(range(0, 5460).to_string(), "0-5460");
    assert_eq!(
        SlotRange::new(5, 4),
        Err(TopologyError::InvalidSlotRange(5, 4))
    );
    assert_eq!(
        SlotRange::new(0, 16384),
        Err(TopologyError::InvalidSlotRange(0, 16384))
    );
    let decoded: Result<SlotRange, _> =
        bincode::deserialize(&bincode::serialize(&(9u16, 3u16)).unwrap());
    assert!(decoded.is_err());
}

#[test]
fn nodes_get_raft_ids_in_order_and_each_change_bumps_the_epoch() {
    let mut t = with_nodes(3);
    assert_eq!(t.epoch(), 3);
    let ids: Vec<_> = t.nodes().map(|n| (n.name.clone(), n.raft_id)).collect();
    assert_eq!(ids, vec![(name(1), 1), (name(2), 2), (name(3), 3)]);
    assert_eq!(t.node_by_raft_id(2).unwrap().name, name(2));
    assert!(t.node_by_raft_id(4).is_none());

    refused(
        &mut t,
        C::AddNode {
            name: name(2),
            addr: addr(9),
        },
        TopologyError::NodeExists(name(2)),
    );
    // A refused add does not consume a raft id.
    t.apply(C::AddNode {
        name: name(4),
        addr: addr(4),
    })
    .unwrap();
    assert_eq!(t.node(&name(4)).unwrap().raft_id, 4);
    assert_eq!(t.epoch(), 4);
}

#[test]
fn a_node_announces_a_new_address_and_keeps_its_raft_id() {
    let mut t = with_nodes(2);
    let new = NodeAddr {
        ip: "fe80::1".parse().unwrap(),
        hostname: Some("node-2.example".into()),
        port: 7000,
        bus_port: 17000,
    };
    t.apply(C::SetNodeAddr {
        name: name(2),
        addr: new.clone(),
    })
    .unwrap();
    let n = t.node(&name(2)).unwrap();
    assert_eq!((n.raft_id, &n.addr), (2, &new));
    refused(
        &mut t,
        C::SetNodeAddr {
            name: name(3),
            addr: addr(3),
        },
        TopologyError::UnknownNode(name(3)),
    );
    t.apply(C::SetNodeFlags {
        name: name(1),
        flags: NodeFlags { no_failover: true },
    })
    .unwrap();
    assert!(t.node(&name(1)).unwrap().flags.no_failover);
    assert_eq!(t.epoch(), 4);
}

#[test]
fn bad_addresses_are_refused() {
    let mut t = with_nodes(1);
    let cases = [
        NodeAddr { port: 0, ..addr(1) },
        NodeAddr {
            bus_port: 0,
            ..addr(1)
        },
        NodeAddr {
            hostname: Some(String::new()),
            ..addr(1)
        },
        NodeAddr {
            hostname: Some("a b".into()),
            ..addr(1)
        },
        NodeAddr {
            hostname: Some("host,x".into()),
            ..addr(1)
        },
        NodeAddr {
            hostname: Some("h".repeat(256)),
            ..addr(1)
        },
    ];
    for a in cases {
        let before = t.clone();
        let r = t.apply(C::SetNodeAddr {
            name: name(1),
            addr: a.clone(),
        });
        assert!(matches!(r, Err(TopologyError::InvalidAddress(_))), "{a:?}");
        assert_eq!(t, before);
    }
    let fine = NodeAddr {
        hostname: Some("a-1.b.example".into()),
        ..addr(1)
    };
    t.apply(C::SetNodeAddr {
        name: name(1),
        addr: fine,
    })
    .unwrap();
}

#[test]
fn groups_need_known_distinct_members_and_a_data_voter() {
    let mut t = with_nodes(3);
    let m = |n, r| Member::new(name(n), r);
    let add = |id, members: Vec<Member>, preferred_leader| C::AddGroup {
        id,
        members,
        preferred_leader,
    };
    refused(
        &mut t,
        add(0, vec![m(1, DataVoter)], None),
        TopologyError::GroupIdUnavailable(0),
    );
    refused(
        &mut t,
        add(1, vec![m(1, DataVoter), m(4, Witness)], None),
        TopologyError::UnknownNode(name(4)),
    );
    refused(
        &mut t,
        add(1, vec![m(1, DataVoter), m(1, Witness)], None),
        TopologyError::DuplicateMember {
            group: 1,
            node: name(1),
        },
    );
    refused(
        &mut t,
        add(1, vec![m(1, Witness), m(2, Learner)], None),
        TopologyError::NoDataVoter(1),
    );
    refused(&mut t, add(1, vec![], None), TopologyError::NoDataVoter(1));
    refused(
        &mut t,
        add(1, vec![m(1, DataVoter), m(2, Witness)], Some(name(2))),
        TopologyError::NotADataVoter {
            group: 1,
            node: name(2),
        },
    );
    refused(
        &mut t,
        add(1, vec![m(1, DataVoter)], Some(name(3))),
        TopologyError::NotADataVoter {
            group: 1,
            node: name(3),
        },
    );
    t.apply(add(
        1,
        vec![m(1, DataVoter), m(2, DataVoter), m(3, Witness)],
        Some(name(1)),
    ))
    .unwrap();
    let g = t.group(1).unwrap();
    assert_eq!(g.epoch, t.epoch());
    assert_eq!(g.preferred_leader, Some(name(1)));
    assert_eq!(t.memberships(&name(3)), vec![(1, Witness)]);

    // Ids are never reused, not even after the group is gone.
    refused(
        &mut t,
        add(1, vec![m(2, DataVoter)], None),
        TopologyError::GroupIdUnavailable(1),
    );
    t.apply(C::RemoveGroup { id: 1 }).unwrap();
    assert!(t.group(1).is_none());
    refused(
        &mut t,
        add(1, vec![m(2, DataVoter)], None),
        TopologyError::GroupIdUnavailable(1),
    );
    refused(
        &mut t,
        add(GroupId::MAX, vec![m(2, DataVoter)], None),
        TopologyError::GroupIdUnavailable(GroupId::MAX),
    );
    t.apply(add(5, vec![m(2, DataVoter)], None)).unwrap();
    refused(
        &mut t,
        add(3, vec![m(2, DataVoter)], None),
        TopologyError::GroupIdUnavailable(3),
    );
}

#[test]
fn members_come_and_go_and_change_roles() {
    let mut t = with_nodes(4);
    add_group(&mut t, 1, &[(1, DataVoter), (2, DataVoter), (3, Witness)]);

    // Replacing node 2 by node 4: learner, then voter, then node 2 leaves.
    t.apply(C::AddMember {
        group: 1,
        member: Member::new(name(4), Learner),
    })
    .unwrap();
    refused(
        &mut t,
        C::AddMember {
            group: 1,
            member: Member::new(name(4), DataVoter),
        },
        TopologyError::DuplicateMember {
            group: 1,
            node: name(4),
        },
    );
    t.apply(C::SetMemberRole {
        group: 1,
        node: name(4),
        role: DataVoter,
    })
    .unwrap();
    t.apply(C::RemoveMember {
        group: 1,
        node: name(2),
    })
    .unwrap();
    let g = t.group(1).unwrap();
    let roles: Vec<_> = g.members.iter().map(|m| (m.node.clone(), m.role)).collect();
    assert_eq!(
        roles,
        vec![
            (name(1), DataVoter),
            (name(3), Witness),
            (name(4), DataVoter)
        ]
    );
    assert_eq!(g.epoch, t.epoch());

    refused(
        &mut t,
        C::RemoveMember {
            group: 1,
            node: name(2),
        },
        TopologyError::NotAMember {
            group: 1,
            node: name(2),
        },
    );
    refused(
        &mut t,
        C::SetMemberRole {
            group: 2,
            node: name(1),
            role: Witness,
        },
        TopologyError::UnknownGroup(2),
    );

    // Demoting the preferred leader clears the preference.
    t.apply(C::SetMemberRole {
        group: 1,
        node: name(1),
        role: Witness,
    })
    .unwrap();
    assert_eq!(t.group(1).unwrap().preferred_leader, None);
    // The last data voter cannot go.
    refused(
        &mut t,
        C::SetMemberRole {
            group: 1,
            node: name(4),
            role: Learner,
        },
        TopologyError::NoDataVoter(1),
    );
    refused(
        &mut t,
        C::RemoveMember {
            group: 1,
            node: name(4),
        },
        TopologyError::NoDataVoter(1),
    );
    refused(
        &mut t,
        C::SetPreferredLeader {
            group: 1,
            node: Some(name(3)),
        },
        TopologyError::NotADataVoter {
            group: 1,
            node: name(3),
        },
    );
    t.apply(C::SetPreferredLeader {
        group: 1,
        node: Some(name(4)),
    })
    .unwrap();
    assert_eq!(t.group(1).unwrap().preferred_leader, Some(name(4)));
}

#[test]
fn slots_are_assigned_like_addslotsrange() {
    let mut t = with_nodes(2);
    add_group(&mut t, 1, &[(1, DataVoter)]);
    add_group(&mut t, 2, &[(2, DataVoter)]);
    let epoch = t.epoch();
    t.apply(C::AssignSlots {
        group: 1,
        ranges: vec![range(0, 99), range(200, 200)],
    })
    .unwrap();
    assert_eq!(t.epoch(), epoch + 1);
    assert_eq!(t.group(1).unwrap().epoch, epoch + 1);
    assert_eq!(
        t.group(2).unwrap().epoch,
        epoch,
        "untouched group keeps its epoch"
    );
    assert_eq!(t.slot_owner(0), Some(1));
    assert_eq!(t.slot_owner(99), Some(1));
    assert_eq!(t.slot_owner(100), None);
    assert_eq!(t.slot_owner(200), Some(1));
    assert_eq!(t.slot_owner(16383), None);
    assert_eq!(
        t.slot_owner(16384),
        None,
        "past the table: no owner, no panic"
    );

    refused(
        &mut t,
        C::AssignSlots {
            group: 2,
            ranges: vec![range(100, 150), range(50, 60)],
        },
        TopologyError::SlotBusy(50),
    );
    refused(
        &mut t,
        C::AssignSlots {
            group: 2,
            ranges: vec![range(100, 150), range(150, 160)],
        },
        TopologyError::SlotRepeated(150),
    );
    refused(
        &mut t,
        C::AssignSlots {
            group: 3,
            ranges: vec![range(300, 300)],
        },
        TopologyError::UnknownGroup(3),
    );
    refused(
        &mut t,
        C::AssignSlots {
            group: 2,
            ranges: vec![],
        },
        TopologyError::NoSlots,
    );

    t.apply(C::AssignSlots {
        group: 2,
        ranges: vec![range(100, 199), range(201, 16383)],
    })
    .unwrap();
    assert_eq!(
        t.slot_runs(),
        vec![
            (range(0, 99), 1),
            (range(100, 199), 2),
            (range(200, 200), 1),
            (range(201, 16383), 2),
        ]
    );
    assert_eq!(t.slot_ranges(1), vec![range(0, 99), range(200, 200)]);
    assert_eq!(t.slot_ranges(2), vec![range(100, 199), range(201, 16383)]);
    assert_eq!(t.slot_ranges(7), vec![]);
}

#[test]
fn slots_are_removed_like_delslots_and_moved_atomically() {
    let mut t = with_nodes(2);
    add_group(&mut t, 1, &[(1, DataVoter)]);
    add_group(&mut t, 2, &[(2, DataVoter)]);
    t.apply(C::AssignSlots {
        group: 1,
        ranges: vec![range(0, 8191)],
    })
    .unwrap();
    t.apply(C::AssignSlots {
        group: 2,
        ranges: vec![range(8192, 16383)],
    })
    .unwrap();

    refused(
        &mut t,
        C::RemoveGroup { id: 1 },
        TopologyError::GroupOwnsSlots(1),
    );
    refused(
        &mut t,
        C::MoveSlots {
            from: 1,
            to: 2,
            ranges: vec![range(8000, 8200)],
        },
        TopologyError::SlotNotOwned {
            slot: 8192,
            group: 1,
        },
    );
    refused(
        &mut t,
        C::MoveSlots {
            from: 1,
            to: 1,
            ranges: vec![range(0, 1)],
        },
        TopologyError::SameGroup(1),
    );
    refused(
        &mut t,
        C::MoveSlots {
            from: 1,
            to: 9,
            ranges: vec![range(0, 1)],
        },
        TopologyError::UnknownGroup(9),
    );
    t.apply(C::MoveSlots {
        from: 1,
        to: 2,
        ranges: vec![range(8000, 8191)],
    })
    .unwrap();
    assert_eq!(t.slot_ranges(2), vec![range(8000, 16383)]);
    assert_eq!(
        t.group(1).unwrap().epoch,
        t.epoch(),
        "the source changed too"
    );
    assert_eq!(t.group(2).unwrap().epoch, t.epoch());

    refused(
        &mut t,
        C::RemoveSlots {
            ranges: vec![range(0, 10), range(10, 10)],
        },
        TopologyError::SlotRepeated(10),
    );
    t.apply(C::RemoveSlots {
        ranges: vec![range(0, 7999)],
    })
    .unwrap();
    assert_eq!(t.slot_owner(5), None);
    assert_eq!(t.group(1).unwrap().epoch, t.epoch());
    refused(
        &mut t,
        C::RemoveSlots {
            ranges: vec![range(7999, 8000)],
        },
        TopologyError::SlotUnassigned(7999),
    );
    t.apply(C::RemoveGroup { id: 1 }).unwrap();
    assert!(t.group(1).is_none());
    refused(
        &mut t,
        C::RemoveGroup { id: 1 },
        TopologyError::UnknownGroup(1),
    );
}

#[test]
fn removing_a_node_drops_its_memberships_unless_a_group_would_starve() {
    let mut t = with_nodes(4);
    add_group(&mut t, 1, &[(1, DataVoter), (2, DataVoter), (3, Witness)]);
    add_group(&mut t, 2, &[(2, DataVoter), (3, DataVoter), (1, Witness)]);
    add_group(&mut t, 3, &[(4, DataVoter)]);
    let epoch = t.epoch();

    t.apply(C::RemoveNode { name: name(2) }).unwrap();
    assert!(t.node(&name(2)).is_none());
    let g1 = t.group(1).unwrap();
    assert_eq!(g1.members.len(), 2);
    assert_eq!(g1.preferred_leader, Some(name(1)));
    let g2 = t.group(2).unwrap();
    assert_eq!(g2.preferred_leader, None, "the preferred leader left");
    assert_eq!((g1.epoch, g2.epoch), (epoch + 1, epoch + 1));
    assert_eq!(t.group(3).unwrap().epoch, epoch, "not a member: untouched");
    assert!(t.memberships(&name(2)).is_empty());

    refused(
        &mut t,
        C::RemoveNode { name: name(4) },
        TopologyError::NoDataVoter(3),
    );
    refused(
        &mut t,
        C::RemoveNode { name: name(2) },
        TopologyError::UnknownNode(name(2)),
    );
    // Its raft id is not handed out again.
    t.apply(C::AddNode {
        name: name(2),
        addr: addr(2),
    })
    .unwrap();
    assert_eq!(t.node(&name(2)).unwrap().raft_id, 5);
    t.validate().unwrap();
}

#[test]
fn snapshots_round_trip_and_are_validated() {
    let mut t = with_nodes(3);
    add_group(&mut t, 1, &[(1, DataVoter), (2, DataVoter), (3, Witness)]);
    add_group(&mut t, 2, &[(2, DataVoter), (3, Learner)]);
    t.apply(C::AssignSlots {
        group: 1,
        ranges: vec![range(0, 100), range(16383, 16383)],
    })
    .unwrap();
    t.apply(C::AssignSlots {
        group: 2,
        ranges: vec![range(101, 101)],
    })
    .unwrap();
    let bytes = bincode::serialize(&t).unwrap();
    assert!(
        bytes.len() < 2048,
        "slots travel as runs: {} bytes",
        bytes.len()
    );
    let back: Topology = bincode::deserialize(&bytes).unwrap();
    assert_eq!(back, t);

    let corrupt = |f: &dyn Fn(&mut Topology)| {
        let mut bad = t.clone();
        f(&mut bad);
        assert!(bad.validate().is_err());
        let r: Result<Topology, _> = bincode::deserialize(&bincode::serialize(&bad).unwrap());
        assert!(r.is_err());
    };
    corrupt(&|b| b.slots[7] = 9);
    corrupt(&|b| b.next_raft_id = 2);
    corrupt(&|b| b.next_group_id = 2);
    corrupt(&|b| b.nodes.get_mut(&name(2)).unwrap().raft_id = 1);
    corrupt(&|b| b.groups.get_mut(&1).unwrap().epoch = 99);
    corrupt(&|b| {
        b.groups.get_mut(&2).unwrap().members[0].role = Witness;
    });
    corrupt(&|b| {
        b.nodes.remove(&name(3));
    });
    // A group renumbered past the ids handed out (its slots now point
    // nowhere too).
    corrupt(&|b| {
        let mut g = b.groups.remove(&2).unwrap();
        g.id = 4;
        b.groups.insert(4, g);
    });
    corrupt(&|b| b.nodes.get_mut(&name(1)).unwrap().addr.port = 0);
}

// --- every change, at random ---

fn arb_change() -> impl Strategy<Value = TopologyChange> {
    let node = (1u8..=5).prop_map(name);
    let role = prop_oneof![Just(DataVoter), Just(Witness), Just(Learner)];
    let member = (node.clone(), role.clone()).prop_map(|(n, r)| Member::new(n, r));
    let group = 0u32..5;
    let ranges = prop::collection::vec(
        (0u16..16384, 0u16..300).prop_map(|(a, len)| range(a, a.saturating_add(len).min(16383))),
        0..3,
    );
    let address = (1u8..4, prop::option::of("[a-z]{1,3}")).prop_map(|(l, h)| NodeAddr {
        hostname: h,
        ..addr(l)
    });
    prop_oneof![
        3 => (node.clone(), address.clone()).prop_map(|(name, addr)| C::AddNode { name, addr }),
        1 => (node.clone(), address).prop_map(|(name, addr)| C::SetNodeAddr { name, addr }),
        1 => (node.clone(), any::<bool>()).prop_map(|(name, b)| C::SetNodeFlags {
            name,
            flags: NodeFlags { no_failover: b }
        }),
        1 => node.clone().prop_map(|name| C::RemoveNode { name }),
        3 => (group.clone(), prop::collection::vec(member.clone(), 0..4), prop::option::of(node.clone()))
            .prop_map(|(id, members, preferred_leader)| C::AddGroup { id, members, preferred_leader }),
        1 => group.clone().prop_map(|id| C::RemoveGroup { id }),
        2 => (group.clone(), member).prop_map(|(group, member)| C::AddMember { group, member }),
        1 => (group.clone(), node.clone()).prop_map(|(group, node)| C::RemoveMember { group, node }),
        2 => (group.clone(), node.clone(), role).prop_map(|(group, node, role)| C::SetMemberRole { group, node, role }),
        1 => (group.clone(), prop::option::of(node)).prop_map(|(group, node)| C::SetPreferredLeader { group, node }),
        3 => (group.clone(), ranges.clone()).prop_map(|(group, ranges)| C::AssignSlots { group, ranges }),
        1 => ranges.clone().prop_map(|ranges| C::RemoveSlots { ranges }),
        2 => (group.clone(), group, ranges).prop_map(|(from, to, ranges)| C::MoveSlots { from, to, ranges }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever is proposed: a refusal changes nothing, a success bumps the
    /// epoch by one, the invariants always hold, the snapshot round-trips,
    /// and replaying the same changes gives the same topology.
    #[test]
    fn random_changes_keep_every_invariant(changes in prop::collection::vec(arb_change(), 1..60)) {
        let mut t = Topology::new();
        let mut accepted = 0;
        for c in &changes {
            let before = t.clone();
            match t.apply(c.clone()) {
                Ok(()) => {
                    accepted += 1;
                    prop_assert_eq!(t.epoch(), before.epoch() + 1);
                }
                Err(_) => prop_assert_eq!(&t, &before),
            }
            prop_assert_eq!(t.validate(), Ok(()));
        }
        prop_assert_eq!(t.epoch(), accepted);
        let back: Topology = bincode::deserialize(&bincode::serialize(&t).unwrap()).unwrap();
        prop_assert_eq!(&back, &t);
        let mut replay = Topology::new();
        for c in changes {
            let _ = replay.apply(c);
        }
        prop_assert_eq!(replay, t);
    }
}
