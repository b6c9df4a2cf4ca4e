//! Three members of one group, each as its own "node" in this process:
//! its own write-ahead log, [`Registry`], [`PeerPool`] and `RaftBus`
//! server on an ephemeral loopback port, talking over real TCP.
//!
//! The same scenarios as the in-process tests (fail over, restart, a
//! snapshot for a member behind the purge point), plus the bus's own
//! contract: a request for another node id or an unknown group is refused
//! with a typed error, bad bytes with `InvalidArgument`, and the server
//! keeps serving.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use openraft::error::RPCError;
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{VoteRequest, VoteResponse};
use openraft::{BasicNode, Config, Vote};
use slotraft_proto::raftbus::{
    bus_error, raft_reply, snapshot_chunk, BusError, Envelope, RaftReply, RaftRequest,
    SnapshotChunk, SnapshotHeader, UnknownGroup, WrongTarget,
};
use slotraft_proto::RaftBusClient;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::server::TcpIncoming;
use tonic::Code;

use super::network::{serve_with_incoming_shutdown, BusNetwork, PeerPool};
use super::registry::Registry;
use super::test_support::{
    assert_converged, config, leader, open_member, Member, Workload, DEADLINE, GROUP,
};
use super::types::{GroupRaft, NodeId};
use crate::resp::Frame;

/// One node: a member of the group behind its own bus server.
struct Node {
    member: Member,
    pool: PeerPool,
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
}

struct BusCluster {
    dir: tempfile::TempDir,
    config: Arc<Config>,
    nodes: BTreeMap<NodeId, Node>,
    w: Workload,
}

impl Drop for BusCluster {
    /// A failed test still stops every server it started.
    fn drop(&mut self) {
        for (_, n) in std::mem::take(&mut self.nodes) {
            n.server.abort();
        }
    }
}

impl BusCluster {
    async fn start(ids: &[NodeId], config: Arc<Config>, seed: u64) -> BusCluster {
        let mut c = BusCluster {
            dir: tempfile::tempdir().expect("tempdir"),
            config,
            nodes: BTreeMap::new(),
            w: Workload::new(seed),
        };
        for &id in ids {
            c.start_node(id).await;
        }
        // `BasicNode.addr` is left empty: the pools' address books route.
        let nodes: BTreeMap<NodeId, BasicNode> =
            ids.iter().map(|&id| (id, BasicNode::default())).collect();
        c.raft(ids[0]).initialize(nodes).await.expect("initialize");
        c
    }

    /// Starts node `id` from its directory (fresh or after a kill) on a new
    /// ephemeral port, and tells every running node its address.
    async fn start_node(&mut self, id: NodeId) {
        let incoming = TcpIncoming::bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
        let addr = incoming.local_addr().expect("local addr");
        let pool = PeerPool::new();
        for (&other, n) in &self.nodes {
            pool.set_addr(other, n.addr.to_string());
            n.pool.set_addr(id, addr.to_string());
        }
        let base = self.dir.path().join(format!("node{id}"));
        let network = BusNetwork::new(pool.clone(), GROUP, id);
        let member = open_member(&base, id, self.config.clone(), network).await;
        let registry = Registry::new(id);
        registry.insert(GROUP, member.raft.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(serve_with_incoming_shutdown(
            registry,
            incoming,
            async move {
                let _ = stopped.await;
            },
        ));
        self.nodes.insert(
            id,
            Node {
                member,
                pool,
                addr,
                stop,
                server,
            },
        );
    }

    /// Crashes node `id`: its server stops (connections refused), its Raft
    /// stops, its log closes.
    async fn kill(&mut self, id: NodeId) {
        let n = self.nodes.remove(&id).expect("node");
        let _ = n.stop.send(());
        n.member.raft.shutdown().await.expect("shutdown");
        tokio::time::timeout(DEADLINE, n.server)
            .await
            .expect("server stops")
            .expect("server task")
            .expect("server ran");
        drop(n.member);
    }

    fn raft(&self, id: NodeId) -> &GroupRaft {
        &self.nodes[&id].member.raft
    }

    async fn leader(&self, via: NodeId, not: Option<NodeId>) -> NodeId {
        leader(|id| self.raft(id).clone(), via, not).await
    }

    async fn write_random(&mut self, leader: NodeId, batches: usize) -> u64 {
        let raft = self.raft(leader).clone();
        self.w.write_random(&raft, batches).await
    }

    async fn assert_converged(&self, index: u64) {
        let members = self.nodes.iter().map(|(id, n)| (id, &n.member));
        assert_converged(members, self.w.reference.digest(), index).await;
    }

    async fn shutdown(mut self) {
        let ids: Vec<NodeId> = self.nodes.keys().copied().collect();
        for id in ids {
            self.kill(id).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bus_replicates_fails_over_and_restarted_member_catches_up() {
    let seed = super::test_seed();
    let mut c = BusCluster::start(&[1, 2, 3], config(None), seed).await;
    let leader = c.leader(1, None).await;

    let batch = vec![
        c.w.record(&["set", "a", "1"]),
        c.w.record(&["incr", "a"]),
        c.w.record(&["rpush", "l", "x", "y", "z"]),
    ];
    let raft = c.raft(leader).clone();
    let (_, replies) = c.w.write(&raft, batch).await;
    assert_eq!(
        replies,
        vec![
            Some(Frame::ok()),
            Some(Frame::Integer(2)),
            Some(Frame::Integer(3))
        ]
    );
    let last = c.write_random(leader, 30).await;
    c.assert_converged(last).await;

    c.kill(leader).await;
    let survivor = *c.nodes.keys().next().expect("a survivor");
    let new_leader = c.leader(survivor, Some(leader)).await;
    assert_ne!(new_leader, leader);
    let incr = c.w.record(&["incr", "a"]);
    let raft = c.raft(new_leader).clone();
    let (_, replies) = c.w.write(&raft, vec![incr]).await;
    assert_eq!(replies, vec![Some(Frame::Integer(3))]);
    let last = c.write_random(new_leader, 20).await;

    // Back on a different port: the others' address books are updated and
    // their pools redial.
    c.start_node(leader).await;
    c.assert_converged(last).await;
    assert_eq!(
        c.nodes[&leader].member.sm.snapshots_installed(),
        0,
        "caught up from the log"
    );
    let last = c.write_random(new_leader, 5).await;
    c.assert_converged(last).await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bus_streams_a_snapshot_to_a_member_behind_the_purge_point() {
    let seed = super::test_seed();
    let mut c = BusCluster::start(&[1, 2, 3], config(Some(10)), seed).await;
    let leader = c.leader(1, None).await;
    let last = c.write_random(leader, 5).await;
    c.assert_converged(last).await;

    let lagging = [1, 2, 3]
        .into_iter()
        .find(|&i| i != leader)
        .expect("a follower");
    let behind = c
        .raft(lagging)
        .metrics()
        .borrow()
        .last_log_index
        .expect("has entries");
    c.kill(lagging).await;
    // Enough keys that the snapshot spans several 1 MiB chunks.
    for round in 0..4 {
        let batch = (0..200)
            .map(|i| {
                let key = format!("big{round}:{i}");
                let val = "v".repeat(2000);
                c.w.record(&["set", &key, &val])
            })
            .collect();
        let raft = c.raft(leader).clone();
        c.w.write(&raft, batch).await;
    }
    let last = c.write_random(leader, 40).await;
    c.raft(leader)
        .wait(Some(DEADLINE))
        .metrics(
            |m| m.purged.is_some_and(|p| p.index > behind),
            "leader purged past the lagging member",
        )
        .await
        .expect("purged");

    c.start_node(lagging).await;
    c.assert_converged(last).await;
    let sm = &c.nodes[&lagging].member.sm;
    assert!(
        sm.snapshots_installed() >= 1,
        "caught up through a snapshot"
    );
    let on_disk = sm.snapshot_meta().expect("snapshot on disk");
    assert!(on_disk.last_log_id.expect("log id").index > behind);
    let last = c.write_random(leader, 3).await;
    c.assert_converged(last).await;
    c.shutdown().await;
}

fn envelope(group_id: u64, target_node: NodeId) -> Option<Envelope> {
    Some(Envelope {
        group_id,
        target_node,
        from_node: 99,
    })
}

/// A vote request from a candidate no member will vote for (term 0).
fn stale_vote() -> bytes::Bytes {
    let req = VoteRequest::<NodeId>::new(Vote::new(0, 99), None);
    bytes::Bytes::from(bincode::serialize(&req).expect("encode"))
}

fn refusal(reply: RaftReply) -> bus_error::Kind {
    match reply.result {
        Some(raft_reply::Result::Error(BusError { kind: Some(kind) })) => kind,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bus_refuses_misaddressed_requests_and_keeps_serving() {
    let seed = super::test_seed();
    let mut c = BusCluster::start(&[1, 2, 3], config(None), seed).await;
    let leader = c.leader(1, None).await;
    let target = [1, 2, 3]
        .into_iter()
        .find(|&i| i != leader)
        .expect("a follower");
    let mut raw = RaftBusClient::connect(format!("http://{}", c.nodes[&target].addr))
        .await
        .expect("connect");

    // Meant for another node.
    let reply = raw
        .vote(RaftRequest {
            envelope: envelope(GROUP, 7),
            payload: stale_vote(),
        })
        .await
        .expect("a reply")
        .into_inner();
    assert_eq!(
        refusal(reply),
        bus_error::Kind::WrongTarget(WrongTarget {
            target_node: 7,
            actual_node: target
        })
    );
    // A group the node does not hold.
    let reply = raw
        .append_entries(RaftRequest {
            envelope: envelope(42, target),
            payload: bytes::Bytes::new(),
        })
        .await
        .expect("a reply")
        .into_inner();
    assert_eq!(
        refusal(reply),
        bus_error::Kind::UnknownGroup(UnknownGroup { group_id: 42 })
    );
    // Bytes that are no openraft request.
    let status = raw
        .append_entries(RaftRequest {
            envelope: envelope(GROUP, target),
            payload: bytes::Bytes::from_static(b"\xff\xff\xff"),
        })
        .await
        .expect_err("garbage refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    // A snapshot stream for another node, and one without a header.
    let header = SnapshotChunk {
        part: Some(snapshot_chunk::Part::Header(SnapshotHeader {
            envelope: envelope(GROUP, 8),
            vote: bytes::Bytes::new(),
            meta: bytes::Bytes::new(),
            total_size: 0,
        })),
    };
    let reply = raw
        .install_snapshot(tokio_stream::iter(vec![header]))
        .await
        .expect("a reply")
        .into_inner();
    assert_eq!(
        refusal(reply),
        bus_error::Kind::WrongTarget(WrongTarget {
            target_node: 8,
            actual_node: target
        })
    );
    let data = SnapshotChunk {
        part: Some(snapshot_chunk::Part::Data(bytes::Bytes::from_static(b"x"))),
    };
    let status = raw
        .install_snapshot(tokio_stream::iter(vec![data]))
        .await
        .expect_err("headless stream refused");
    assert_eq!(status.code(), Code::InvalidArgument);

    // Still serving: a well-addressed vote is answered by Raft (and
    // refused, the candidate being stale) ...
    let reply = raw
        .vote(RaftRequest {
            envelope: envelope(GROUP, target),
            payload: stale_vote(),
        })
        .await
        .expect("a reply")
        .into_inner();
    let Some(raft_reply::Result::Ok(bytes)) = reply.result else {
        panic!("expected Raft's answer, got {reply:?}");
    };
    let resp: VoteResponse<NodeId> = bincode::deserialize(&bytes).expect("decode");
    assert!(!resp.vote_granted);
    // ... and the group goes on replicating through it.
    let last = c.write_random(leader, 10).await;
    c.assert_converged(last).await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bus_client_maps_refusals_and_dead_peers_to_unreachable() {
    let seed = super::test_seed();
    let c = BusCluster::start(&[1, 2], config(None), seed).await;
    let option = RPCOption::new(Duration::from_secs(5));
    let vote = || VoteRequest::<NodeId>::new(Vote::new(0, 99), None);

    // The address book sends node 2's traffic to node 1: refused as the
    // wrong target, seen by openraft as an unreachable peer.
    let pool = PeerPool::new();
    pool.set_addr(2, c.nodes[&1].addr.to_string());
    let mut net = BusNetwork::new(pool.clone(), GROUP, 99);
    let mut client = net.new_client(2, &BasicNode::default()).await;
    let err = client
        .vote(vote(), option.clone())
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, RPCError::Unreachable(e) if e.to_string().contains("reached node 1")),
        "{err}"
    );
    // Corrected address, unknown group: unreachable too.
    pool.set_addr(2, c.nodes[&2].addr.to_string());
    let mut net = BusNetwork::new(pool.clone(), 42, 99);
    let mut client = net.new_client(2, &BasicNode::default()).await;
    let err = client
        .vote(vote(), option.clone())
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, RPCError::Unreachable(e) if e.to_string().contains("group 42")),
        "{err}"
    );
    // The right group: Raft answers.
    let mut net = BusNetwork::new(pool.clone(), GROUP, 99);
    let mut client = net.new_client(2, &BasicNode::default()).await;
    let resp = client.vote(vote(), option.clone()).await.expect("answered");
    assert!(!resp.vote_granted);

    // A dead peer: a call fails to connect, and a call soon after is
    // refused at once by the pool's backoff (which grows per failure, so
    // a slow machine gets there within a few calls).
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_addr = dead.local_addr().expect("addr");
    drop(dead);
    pool.set_addr(3, dead_addr.to_string());
    let mut client = net.new_client(3, &BasicNode::default()).await;
    let mut backed_off = false;
    for _ in 0..8 {
        let err = client.vote(vote(), option.clone()).await.expect_err("dead");
        match &err {
            RPCError::Unreachable(e) if e.to_string().contains("backing off") => {
                backed_off = true;
                break;
            }
            RPCError::Unreachable(_) => {}
            other => panic!("expected unreachable, got {other}"),
        }
    }
    assert!(backed_off, "the pool backs off a dead peer");
    c.shutdown().await;
}
