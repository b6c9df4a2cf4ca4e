use bytes::BytesMut;

use super::*;
use crate::cluster::placement::bootstrap_topology;
use crate::cluster::topology::{Member, NodeAddr, NodeFlags, SlotRange, TopologyChange as C};

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C_: &str = "cccccccccccccccccccccccccccccccccccccccc";
const D: &str = "dddddddddddddddddddddddddddddddddddddddd";
const E: &str = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

fn name(s: &str) -> NodeName {
    NodeName::parse(s).unwrap()
}

fn addr(i: u8) -> NodeAddr {
    NodeAddr {
        ip: [127, 0, 0, i].into(),
        hostname: None,
        port: 6379,
        bus_port: 16379,
    }
}

/// a, b, c at 127.0.0.1-3 (raft ids 1-3); group i+1 led by node i, data on
/// nodes i and i+1, witness on i+2; topology epochs: nodes 1-3, groups
/// 4-6, slots 7-9.
fn three() -> Topology {
    let nodes: Vec<_> = [(C_, 3), (A, 1), (B, 2)]
        .into_iter()
        .map(|(n, i)| (name(n), addr(i)))
        .collect();
    bootstrap_topology(&nodes, 2, 1).unwrap()
}

fn leaders(pairs: &[(GroupId, RaftId)]) -> BTreeMap<GroupId, RaftId> {
    pairs.iter().copied().collect()
}

fn encode(f: &Frame, proto: u8) -> String {
    let mut b = BytesMut::new();
    f.encode(proto, &mut b);
    String::from_utf8(b.to_vec()).unwrap()
}

/// A CLUSTER SLOTS node in RESP2 with the default endpoint type and no
/// hostname: `[ip, 6379, id, {}]`.
fn slot_node(i: u8, id: &str) -> String {
    format!("*4\r\n$9\r\n127.0.0.{i}\r\n:6379\r\n$40\r\n{id}\r\n*0\r\n")
}

fn bulk(s: &str) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

#[test]
fn slots_of_a_three_node_bootstrap() {
    let t = three();
    let l = leaders(&[(1, 1), (2, 2), (3, 3)]);
    let got = ClusterView::new(&t, &l).slots();
    let expected = format!(
        "*3\r\n\
         *4\r\n:0\r\n:5460\r\n{}{}\
         *4\r\n:5461\r\n:10922\r\n{}{}\
         *4\r\n:10923\r\n:16383\r\n{}{}",
        slot_node(1, A),
        slot_node(2, B),
        slot_node(2, B),
        slot_node(3, C_),
        slot_node(3, C_),
        slot_node(1, A),
    );
    assert_eq!(encode(&got, 2), expected);
    // RESP3: the metadata is a map.
    assert!(encode(&got, 3).starts_with(&format!(
        "*3\r\n*4\r\n:0\r\n:5460\r\n*4\r\n$9\r\n127.0.0.1\r\n:6379\r\n$40\r\n{A}\r\n%0\r\n"
    )));
    // Frame shape, for the RESP layer: integers, then node arrays.
    let Frame::Array(entries) = &got else {
        panic!()
    };
    let Frame::Array(first) = &entries[0] else {
        panic!()
    };
    assert_eq!(first[0], Frame::Integer(0));
    assert_eq!(
        first[2],
        Frame::Array(vec![
            bulk("127.0.0.1"),
            Frame::Integer(6379),
            bulk(A),
            Frame::Map(vec![])
        ])
    );
    // The witness of group 1 (node c) is nowhere in its entry.
    assert_eq!(first.len(), 4);
}

#[test]
fn slots_follow_the_live_leader_and_fall_back_to_the_preferred_one() {
    let t = three();
    // c's group 3 is now led by a: a first, c its replica.
    let moved = leaders(&[(1, 1), (2, 2), (3, 1)]);
    let got = encode(&ClusterView::new(&t, &moved).slots(), 2);
    assert!(got.ends_with(&format!(
        "*4\r\n:10923\r\n:16383\r\n{}{}",
        slot_node(1, A),
        slot_node(3, C_)
    )));

    let live = encode(
        &ClusterView::new(&t, &leaders(&[(1, 1), (2, 2), (3, 3)])).slots(),
        2,
    );
    // No leader known: the preferred leaders.
    assert_eq!(
        encode(&ClusterView::new(&t, &leaders(&[])).slots(), 2),
        live
    );
    // The witness (c) leads group 1, a node id that is not a member, an
    // unknown raft id: never shown as primary.
    let odd = leaders(&[(1, 3), (2, 9), (3, 3)]);
    assert_eq!(encode(&ClusterView::new(&t, &odd).slots(), 2), live);
}

#[test]
fn failed_replicas_and_learners_are_left_out_of_slots() {
    let mut t = three();
    t.apply(C::AddNode {
        name: name(D),
        addr: addr(4),
    })
    .unwrap();
    t.apply(C::AddMember {
        group: 1,
        member: Member::new(name(D), MemberRole::Learner),
    })
    .unwrap();
    let l = leaders(&[(1, 1), (2, 2), (3, 3)]);
    let health: BTreeMap<_, _> = [(
        name(B),
        NodeHealth {
            fail: true,
            ..NodeHealth::default()
        },
    )]
    .into();
    let got = encode(&ClusterView::new(&t, &l).health(&health).slots(), 2);
    let expected = format!(
        "*3\r\n*3\r\n:0\r\n:5460\r\n{}*4\r\n:5461\r\n:10922\r\n{}{}*4\r\n:10923\r\n:16383\r\n{}{}",
        slot_node(1, A),
        // b failed but Raft still reports it leading group 2: shown.
        slot_node(2, B),
        slot_node(3, C_),
        slot_node(3, C_),
        slot_node(1, A),
    );
    assert_eq!(got, expected);

    // Group 2 without a live leader: its preferred leader b failed, so c.
    let none = leaders(&[(1, 1), (3, 3)]);
    let got = ClusterView::new(&t, &none).health(&health).slots();
    let Frame::Array(entries) = got else { panic!() };
    let Frame::Array(g2) = &entries[1] else {
        panic!()
    };
    assert_eq!(g2.len(), 3, "c alone: b failed");
    assert_eq!(encode(&g2[2], 2), slot_node(3, C_));
}

#[test]
fn endpoint_types_and_hostnames() {
    let mut t = three();
    t.apply(C::SetNodeAddr {
        name: name(A),
        addr: NodeAddr {
            hostname: Some("a.example".into()),
            ..addr(1)
        },
    })
    .unwrap();
    let l = leaders(&[(1, 1), (2, 2), (3, 3)]);
    let node_of = |endpoint, entry: usize, pos: usize| {
        let Frame::Array(es) = ClusterView::new(&t, &l).endpoint(endpoint).slots() else {
            panic!()
        };
        let Frame::Array(e) = &es[entry] else {
            panic!()
        };
        e[pos].clone()
    };
    let a = |first: Frame, meta: Vec<(&str, &str)>| {
        Frame::Array(vec![
            first,
            Frame::Integer(6379),
            bulk(A),
            Frame::Map(meta.into_iter().map(|(k, v)| (bulk(k), bulk(v))).collect()),
        ])
    };
    let b = |first: Frame, meta: Vec<(&str, &str)>| {
        Frame::Array(vec![
            first,
            Frame::Integer(6379),
            bulk(B),
            Frame::Map(meta.into_iter().map(|(k, v)| (bulk(k), bulk(v))).collect()),
        ])
    };
    use EndpointType::*;
    assert_eq!(
        node_of(Ip, 0, 2),
        a(bulk("127.0.0.1"), vec![("hostname", "a.example")])
    );
    assert_eq!(node_of(Ip, 0, 3), b(bulk("127.0.0.2"), vec![]));
    assert_eq!(
        node_of(Hostname, 0, 2),
        a(bulk("a.example"), vec![("ip", "127.0.0.1")])
    );
    assert_eq!(
        node_of(Hostname, 0, 3),
        b(bulk("?"), vec![("ip", "127.0.0.2")])
    );
    assert_eq!(
        node_of(UnknownEndpoint, 0, 2),
        a(
            Frame::Null,
            vec![("ip", "127.0.0.1"), ("hostname", "a.example")]
        )
    );
    assert_eq!(
        node_of(UnknownEndpoint, 0, 3),
        b(Frame::Null, vec![("ip", "127.0.0.2")])
    );

    let nodes = ClusterView::new(&t, &l).nodes(&name(B));
    assert!(nodes.starts_with(&format!(
        "{A} 127.0.0.1:6379@16379,a.example master - 0 0 7 connected 0-5460\n"
    )));
}

fn shard_node(id: &str, ip: &str, endpoint: &str, role: &str, offset: i64, health: &str) -> Frame {
    Frame::Map(vec![
        (bulk("id"), bulk(id)),
        (bulk("port"), Frame::Integer(6379)),
        (bulk("ip"), bulk(ip)),
        (bulk("endpoint"), bulk(endpoint)),
        (bulk("role"), bulk(role)),
        (bulk("replication-offset"), Frame::Integer(offset)),
        (bulk("health"), bulk(health)),
    ])
}

#[test]
fn shards_of_a_three_node_bootstrap() {
    let t = three();
    let l = leaders(&[(1, 1), (2, 2), (3, 3)]);
    let applied: BTreeMap<_, _> = [((1, 1), 42), ((1, 2), 40), ((1, 3), 42), ((2, 2), 7)].into();
    let got = ClusterView::new(&t, &l).applied(&applied).shards();
    let shard = |a: u16, b: u16, nodes: Vec<Frame>| {
        Frame::Map(vec![
            (
                bulk("slots"),
                Frame::Array(vec![Frame::int(a), Frame::int(b)]),
            ),
            (bulk("nodes"), Frame::Array(nodes)),
        ])
    };
    let expected = Frame::Array(vec![
        shard(
            0,
            5460,
            vec![
                shard_node(A, "127.0.0.1", "127.0.0.1", "master", 42, "online"),
                shard_node(B, "127.0.0.2", "127.0.0.2", "replica", 40, "online"),
            ],
        ),
        shard(
            5461,
            10922,
            vec![
                shard_node(B, "127.0.0.2", "127.0.0.2", "master", 7, "online"),
                shard_node(C_, "127.0.0.3", "127.0.0.3", "replica", 0, "online"),
            ],
        ),
        shard(
            10923,
            16383,
            vec![
                shard_node(C_, "127.0.0.3", "127.0.0.3", "master", 0, "online"),
                shard_node(A, "127.0.0.1", "127.0.0.1", "replica", 0, "online"),
            ],
        ),
    ]);
    assert_eq!(got, expected);
    // Exact bytes of one node map: RESP3 map, RESP2 flat array.
    let Frame::Array(shards) = &got else { panic!() };
    let Frame::Map(fields) = &shards[0] else {
        panic!()
    };
    let Frame::Array(nodes) = &fields[1].1 else {
        panic!()
    };
    let body = format!(
        "$2\r\nid\r\n$40\r\n{A}\r\n$4\r\nport\r\n:6379\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
         $8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n\
         $18\r\nreplication-offset\r\n:42\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    );
    assert_eq!(encode(&nodes[0], 3), format!("%7\r\n{body}"));
    assert_eq!(encode(&nodes[0], 2), format!("*14\r\n{body}"));
}

#[test]
fn shards_show_hostnames_learners_failures_and_empty_groups() {
    let mut t = three();
    t.apply(C::AddNode {
        name: name(D),
        addr: NodeAddr {
            hostname: Some("d.example".into()),
            ..addr(4)
        },
    })
    .unwrap();
    t.apply(C::AddMember {
        group: 1,
        member: Member::new(name(D), MemberRole::Learner),
    })
    .unwrap();
    t.apply(C::AddGroup {
        id: 4,
        members: vec![Member::new(name(D), MemberRole::DataVoter)],
        preferred_leader: None,
    })
    .unwrap();
    let l = leaders(&[(1, 1), (2, 2), (3, 3), (4, 4)]);
    let health: BTreeMap<_, _> = [(
        name(B),
        NodeHealth {
            fail: true,
            ..NodeHealth::default()
        },
    )]
    .into();
    let got = ClusterView::new(&t, &l)
        .health(&health)
        .endpoint(EndpointType::Hostname)
        .shards();
    let Frame::Array(shards) = got else { panic!() };
    assert_eq!(shards.len(), 4);
    let d_as = |role: &str, health: &str| {
        Frame::Map(vec![
            (bulk("id"), bulk(D)),
            (bulk("port"), Frame::Integer(6379)),
            (bulk("ip"), bulk("127.0.0.4")),
            (bulk("endpoint"), bulk("d.example")),
            (bulk("hostname"), bulk("d.example")),
            (bulk("role"), bulk(role)),
            (bulk("replication-offset"), Frame::Integer(0)),
            (bulk("health"), bulk(health)),
        ])
    };
    let Frame::Map(g1) = &shards[0] else { panic!() };
    assert_eq!(
        g1[1].1,
        Frame::Array(vec![
            shard_node(A, "127.0.0.1", "?", "master", 0, "online"),
            shard_node(B, "127.0.0.2", "?", "replica", 0, "fail"),
            d_as("replica", "loading"),
        ])
    );
    assert_eq!(
        shards[3],
        Frame::Map(vec![
            (bulk("slots"), Frame::Array(vec![])),
            (bulk("nodes"), Frame::Array(vec![d_as("master", "online")])),
        ])
    );
}

#[test]
fn nodes_of_a_three_node_bootstrap() {
    let t = three();
    let l = leaders(&[(1, 1), (2, 2), (3, 3)]);
    assert_eq!(
        ClusterView::new(&t, &l).nodes(&name(A)),
        format!(
            "{A} 127.0.0.1:6379@16379 myself,master - 0 0 7 connected 0-5460\n\
             {B} 127.0.0.2:6379@16379 master - 0 0 8 connected 5461-10922\n\
             {C_} 127.0.0.3:6379@16379 master - 0 0 9 connected 10923-16383\n"
        )
    );
}

#[test]
fn a_node_leading_nothing_is_the_slave_of_its_first_data_group_leader() {
    let t = three();
    // c leads groups 2 and 3, whose ranges touch: one merged range, and
    // the later epoch of the two.
    let l = leaders(&[(1, 1), (2, 3), (3, 3)]);
    assert_eq!(
        ClusterView::new(&t, &l).nodes(&name(C_)),
        format!(
            "{A} 127.0.0.1:6379@16379 master - 0 0 7 connected 0-5460\n\
             {B} 127.0.0.2:6379@16379 slave {A} 0 0 7 connected\n\
             {C_} 127.0.0.3:6379@16379 myself,master - 0 0 9 connected 5461-16383\n"
        )
    );
}

#[test]
fn nodes_with_witnesses_only_no_membership_failures_and_single_slots() {
    let mut t = three();
    for (n, i) in [(D, 4), (E, 5)] {
        t.apply(C::AddNode {
            name: name(n),
            addr: addr(i),
        })
        .unwrap();
    }
    t.apply(C::AddMember {
        group: 2,
        member: Member::new(name(D), MemberRole::Witness),
    })
    .unwrap(); // epoch 12
    t.apply(C::RemoveSlots {
        ranges: vec![SlotRange::single(100).unwrap()],
    })
    .unwrap(); // epoch 13: group 1
    t.apply(C::AssignSlots {
        group: 3,
        ranges: vec![SlotRange::single(100).unwrap()],
    })
    .unwrap(); // epoch 14: group 3
    t.apply(C::SetNodeFlags {
        name: name(B),
        flags: NodeFlags { no_failover: true },
    })
    .unwrap();
    let l = leaders(&[(1, 1), (2, 2), (3, 3)]);
    let health: BTreeMap<_, _> = [
        (
            name(B),
            NodeHealth {
                ping_sent_ms: 1700000000100,
                pong_recv_ms: 1700000000000,
                connected: false,
                pfail: true,
                fail: true,
            },
        ),
        (
            name(C_),
            NodeHealth {
                ping_sent_ms: 0,
                pong_recv_ms: 1700000000500,
                connected: true,
                pfail: true,
                fail: false,
            },
        ),
        // Ignored for the node rendering the view: it sees itself well.
        (
            name(A),
            NodeHealth {
                pong_recv_ms: 5,
                connected: false,
                ..NodeHealth::default()
            },
        ),
    ]
    .into();
    assert_eq!(
        ClusterView::new(&t, &l).health(&health).nodes(&name(A)),
        format!(
            "{A} 127.0.0.1:6379@16379 myself,master - 0 0 13 connected 0-99 101-5460\n\
             {B} 127.0.0.2:6379@16379 master,fail?,fail,nofailover - 1700000000100 1700000000000 12 disconnected 5461-10922\n\
             {C_} 127.0.0.3:6379@16379 master,fail? - 0 1700000000500 14 connected 100 10923-16383\n\
             {D} 127.0.0.4:6379@16379 slave,nofailover {B} 0 0 12 connected\n\
             {E} 127.0.0.5:6379@16379 master - 0 0 0 connected\n"
        )
    );
    // The slot map agrees, by start slot: 0-99, 100, 101-5460, ...
    let Frame::Array(entries) = ClusterView::new(&t, &l).slots() else {
        panic!()
    };
    let starts: Vec<_> = entries
        .iter()
        .map(|e| {
            let Frame::Array(e) = e else { panic!() };
            (e[0].clone(), e[1].clone())
        })
        .collect();
    let i = Frame::Integer;
    assert_eq!(
        starts,
        vec![
            (i(0), i(99)),
            (i(100), i(100)),
            (i(101), i(5460)),
            (i(5461), i(10922)),
            (i(10923), i(16383)),
        ]
    );
}
