//! Three-member groups in one process: real openraft, real write-ahead logs
//! on disk (one `LogStore` per member, as one per node), the keyspace state
//! machine, and the in-process transport.
//!
//! Every batch written through the leader is also applied to a reference
//! keyspace in the test: the leader's replies must equal the reference's,
//! and every member must end with the reference's digest. Waits are on
//! openraft's metrics with generous deadlines (a loaded 2-core machine),
//! never bare sleeps.

use std::collections::BTreeMap;
use std::sync::Arc;

use openraft::{BasicNode, Config};
use raft_log::{LogStore, Options};

use super::local::Router;
use super::test_support::{
    self, assert_converged, config, open_member, Member, Workload, DEADLINE, GROUP,
};
use super::types::{Batch, GroupConfig, GroupRaft, NodeId};
use super::witness::{witness_config, WitnessNetwork, WitnessStateMachine};
use crate::record::Record;
use crate::resp::Frame;

/// A witness member.
pub(super) struct Witness {
    pub(super) raft: GroupRaft,
    pub(super) sm: WitnessStateMachine,
    _log: LogStore,
}

pub(super) struct Cluster {
    dir: tempfile::TempDir,
    pub(super) router: Router,
    config: Arc<Config>,
    /// Data members.
    pub(super) members: BTreeMap<NodeId, Member>,
    /// Witness members (ids disjoint from `members`).
    pub(super) witnesses: BTreeMap<NodeId, Witness>,
    /// The writes, also applied to a reference keyspace.
    pub(super) w: Workload,
}

impl Cluster {
    async fn start(ids: &[NodeId], config: Arc<Config>, seed: u64) -> Cluster {
        Cluster::start_with_witnesses(ids, &[], config, seed).await
    }

    /// Data members `ids` and witnesses `witnesses`, all voters.
    pub(super) async fn start_with_witnesses(
        ids: &[NodeId],
        witnesses: &[NodeId],
        config: Arc<Config>,
        seed: u64,
    ) -> Cluster {
        let mut c = Cluster {
            dir: tempfile::tempdir().expect("tempdir"),
            router: Router::new(),
            config,
            members: BTreeMap::new(),
            witnesses: BTreeMap::new(),
            w: Workload::new(seed),
        };
        for &id in ids {
            c.start_member(id).await;
        }
        for &id in witnesses {
            c.start_witness(id).await;
        }
        let nodes: BTreeMap<NodeId, BasicNode> = ids
            .iter()
            .chain(witnesses)
            .map(|&id| (id, BasicNode::default()))
            .collect();
        c.raft(ids[0]).initialize(nodes).await.expect("initialize");
        c
    }

    /// Opens witness `id` from its directory (fresh or after a kill).
    pub(super) async fn start_witness(&mut self, id: NodeId) {
        let base = self.dir.path().join(format!("node{id}"));
        let log = LogStore::open(base.join("wal"), Options::default()).expect("open log");
        let group_log = log.group::<GroupConfig>(GROUP).expect("group log");
        let sm = WitnessStateMachine::open(base.join("group1")).expect("open witness");
        let config = Arc::new(witness_config(&self.config).expect("witness config"));
        let raft = GroupRaft::new(
            id,
            config,
            WitnessNetwork::new(self.router.network(id)),
            group_log,
            sm.clone(),
        )
        .await
        .expect("raft");
        self.router.add(id, raft.clone());
        self.witnesses.insert(
            id,
            Witness {
                raft,
                sm,
                _log: log,
            },
        );
    }

    /// Opens member `id` from its directory (fresh or after a kill).
    pub(super) async fn start_member(&mut self, id: NodeId) {
        let base = self.dir.path().join(format!("node{id}"));
        let member = open_member(&base, id, self.config.clone(), self.router.network(id)).await;
        self.router.add(id, member.raft.clone());
        self.members.insert(id, member);
    }

    /// Crashes member `id`: unreachable, Raft stopped, log closed.
    pub(super) async fn kill(&mut self, id: NodeId) {
        self.router.remove(id);
        if let Some(w) = self.witnesses.remove(&id) {
            w.raft.shutdown().await.expect("shutdown");
            return;
        }
        let m = self.members.remove(&id).expect("member");
        m.raft.shutdown().await.expect("shutdown");
        drop(m);
    }

    /// Kills every member still running.
    pub(super) async fn kill_all(&mut self) {
        let ids: Vec<NodeId> = self
            .members
            .keys()
            .chain(self.witnesses.keys())
            .copied()
            .collect();
        for id in ids {
            self.kill(id).await;
        }
    }

    pub(super) fn raft(&self, id: NodeId) -> &GroupRaft {
        match self.witnesses.get(&id) {
            Some(w) => &w.raft,
            None => &self.members[&id].raft,
        }
    }

    /// Waits until member `via` sees a leader other than `not`, and that
    /// leader knows it leads.
    pub(super) async fn leader(&self, via: NodeId, not: Option<NodeId>) -> NodeId {
        test_support::leader(|id| self.raft(id).clone(), via, not).await
    }

    /// A record of the command `args`.
    pub(super) fn record(&mut self, args: &[&str]) -> Record {
        self.w.record(args)
    }

    /// Proposes `batch` through `leader`; checks the replies against the
    /// reference and returns them with the entry's index.
    pub(super) async fn write(
        &mut self,
        leader: NodeId,
        batch: Batch,
    ) -> (u64, Vec<Option<Frame>>) {
        let raft = self.raft(leader).clone();
        self.w.write(&raft, batch).await
    }

    /// Writes `batches` random batches through `leader`; the last index.
    pub(super) async fn write_random(&mut self, leader: NodeId, batches: usize) -> u64 {
        let raft = self.raft(leader).clone();
        self.w.write_random(&raft, batches).await
    }

    pub(super) async fn wait_applied(&self, id: NodeId, index: u64) {
        self.raft(id)
            .wait(Some(DEADLINE))
            .applied_index_at_least(Some(index), format!("member {id} applies {index}"))
            .await
            .expect("applied");
    }

    /// Every data member has applied `index` and holds the reference
    /// keyspace.
    pub(super) async fn assert_converged(&self, index: u64) {
        assert_converged(&self.members, self.w.reference.digest(), index).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicates_fails_over_and_restarts_from_log_and_snapshot() {
    let seed = super::test_seed();
    let mut c = Cluster::start(&[1, 2, 3], config(None), seed).await;
    let leader = c.leader(1, None).await;

    let batch = vec![
        c.record(&["set", "a", "1"]),
        c.record(&["incr", "a"]),
        c.record(&["rpush", "l", "x", "y", "z"]),
    ];
    let (_, replies) = c.write(leader, batch).await;
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

    // A snapshot on the leader, then entries past it: a restart must load
    // the snapshot and replay the rest from its log.
    c.raft(leader).trigger().snapshot().await.expect("trigger");
    let snap_index = c
        .raft(leader)
        .wait(Some(DEADLINE))
        .metrics(
            |m| m.snapshot.is_some_and(|s| s.index >= last),
            "snapshot built",
        )
        .await
        .expect("snapshot")
        .snapshot
        .expect("snapshot id")
        .index;
    let last = c.write_random(leader, 10).await;
    c.assert_converged(last).await;

    c.kill(leader).await;
    let survivor = *c.members.keys().next().expect("a survivor");
    let new_leader = c.leader(survivor, Some(leader)).await;
    assert_ne!(new_leader, leader);
    // Nobody built a snapshot but the old leader: the others run on logs.
    assert!(c.members.values().all(|m| m.sm.snapshot_meta().is_none()));
    let incr = c.record(&["incr", "a"]);
    let (_, replies) = c.write(new_leader, vec![incr]).await;
    assert_eq!(replies, vec![Some(Frame::Integer(3))]);
    let last = c.write_random(new_leader, 20).await;

    c.start_member(leader).await;
    // Before catching up it holds exactly its snapshot.
    let loaded = c.members[&leader]
        .sm
        .snapshot_meta()
        .expect("snapshot on disk");
    assert_eq!(loaded.last_log_id.map(|l| l.index), Some(snap_index));
    c.assert_converged(last).await;
    assert_eq!(
        c.members[&leader].sm.snapshots_installed(),
        0,
        "caught up from its log"
    );

    let last = c.write_random(new_leader, 5).await;
    c.assert_converged(last).await;
    for id in [1, 2, 3] {
        c.kill(id).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lagging_member_catches_up_from_a_snapshot() {
    let seed = super::test_seed();
    let mut c = Cluster::start(&[1, 2, 3], config(Some(10)), seed).await;
    let leader = c.leader(1, None).await;
    let last = c.write_random(leader, 5).await;
    c.assert_converged(last).await;

    let lagging = [1, 2, 3]
        .into_iter()
        .find(|&i| i != leader)
        .expect("a follower");
    c.router.isolate(lagging, true);
    let behind = c
        .raft(lagging)
        .metrics()
        .borrow()
        .last_log_index
        .expect("has entries");
    let last = c.write_random(leader, 40).await;
    // The leader snapshots every 10 entries and purges what the snapshot
    // covers: the entries the lagging member needs are gone.
    c.raft(leader)
        .wait(Some(DEADLINE))
        .metrics(
            |m| m.purged.is_some_and(|p| p.index > behind),
            "leader purged past the lagging member",
        )
        .await
        .expect("purged");

    c.router.isolate(lagging, false);
    c.assert_converged(last).await;
    let sm = &c.members[&lagging].sm;
    assert!(
        sm.snapshots_installed() >= 1,
        "caught up through a snapshot"
    );
    let on_disk = sm.snapshot_meta().expect("snapshot on disk");
    assert!(on_disk.last_log_id.expect("log id").index > behind);
    let last = c.write_random(leader, 3).await;
    c.assert_converged(last).await;
    for id in [1, 2, 3] {
        c.kill(id).await;
    }
}
