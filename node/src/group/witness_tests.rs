//! Witness members and leader transfer, in process: 2 data voters and 1
//! witness on real write-ahead logs (the `cluster_tests` harness), and the
//! witness state machine on its own.
//!
//! Durations (elections, transfers, the witness handoff) are printed; the
//! bounds asserted are stated in terms of the test config (heartbeat
//! 100 ms, election timeout 800..1600 ms, so a leader lease of 1.6 s).

use std::collections::BTreeSet;
use std::io::Cursor;
use std::time::{Duration, Instant};

use bytes::Bytes;
use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    CommittedLeaderId, Entry, EntryPayload, LogId, Membership, RaftSnapshotBuilder, ServerState,
};

use super::cluster_tests::Cluster;
use super::snapshot::{self, SnapshotError};
use super::state_machine::GroupStateMachine;
use super::test_support::{config, DEADLINE};
use super::transfer::{campaign, transfer_leadership};
use super::types::{GroupConfig, GroupEntry, NodeId};
use super::witness::{
    data_voters_matched, is_witness_leader, witness_config, witness_handoff, witness_purge,
    WitnessNetwork, WitnessStateMachine,
};
use crate::keyspace::EncodingLimits;
use crate::record::{Op, Record};

/// The test config's leader lease (`election_timeout_max`).
const LEASE: Duration = Duration::from_millis(1600);
const WITNESS: NodeId = 3;

fn lid(index: u64) -> LogId<NodeId> {
    LogId::new(CommittedLeaderId::new(1, 1), index)
}

fn set(key: &str) -> Record {
    Record {
        db: 0,
        time_ms: 1_700_000_000_000,
        seed: 7,
        resp3: false,
        op: Op::Command(vec![
            Bytes::from_static(b"set"),
            Bytes::from(key.to_string()),
            Bytes::from_static(b"v"),
        ]),
        retry: false,
    }
}

fn witnesses() -> BTreeSet<NodeId> {
    [WITNESS].into_iter().collect()
}

/// A witness snapshot built at index 3 of a three-voter membership.
async fn witness_snapshot(dir: &std::path::Path) -> Snapshot<GroupConfig> {
    let mut w = WitnessStateMachine::open(dir).unwrap();
    let members = Membership::new(vec![[1u64, 2, 3].into_iter().collect()], None);
    let entries: Vec<GroupEntry> = vec![
        Entry {
            log_id: lid(1),
            payload: EntryPayload::Membership(members),
        },
        Entry {
            log_id: lid(2),
            payload: EntryPayload::Normal(vec![set("a"), set("b")]),
        },
        Entry {
            log_id: lid(3),
            payload: EntryPayload::Blank,
        },
    ];
    let out = w.apply(entries).await.unwrap();
    assert!(
        out.iter().all(|r| r.is_empty()),
        "a witness replies nothing"
    );
    w.get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap()
}

#[tokio::test]
async fn witness_snapshot_is_metadata_only_and_refused_by_data_members() {
    let wdir = tempfile::tempdir().unwrap();
    let snap = witness_snapshot(wdir.path()).await;
    assert_eq!(snap.meta.last_log_id, Some(lid(3)));
    assert!(snapshot::is_witness_data(snap.snapshot.get_ref()));
    assert!(snap.snapshot.get_ref().len() <= 16, "no keyspace inside");

    // Reopened, the witness is where its snapshot left it.
    let mut reopened = WitnessStateMachine::open(wdir.path()).unwrap();
    let (applied, membership) = reopened.applied_state().await.unwrap();
    assert_eq!(applied, Some(lid(3)));
    assert_eq!(membership.log_id(), &Some(lid(1)));

    // A data member refuses it and keeps its keyspace.
    let ddir = tempfile::tempdir().unwrap();
    let mut data = GroupStateMachine::open(ddir.path(), 16, EncodingLimits::default()).unwrap();
    data.apply(vec![Entry {
        log_id: lid(1),
        payload: EntryPayload::Normal(vec![set("kept")]),
    }])
    .await
    .unwrap();
    let before = data.digest();
    let refused = data
        .install_snapshot(
            &snap.meta,
            Box::new(Cursor::new(snap.snapshot.into_inner())),
        )
        .await;
    assert!(
        refused.is_err(),
        "a data member installed a witness snapshot"
    );
    assert_eq!(data.digest(), before);
    assert_eq!(data.last_applied(), Some(lid(1)));
    assert!(matches!(
        snapshot::decode(
            &snapshot::witness_data(),
            EncodingLimits::default(),
            Default::default()
        ),
        Err(SnapshotError::MetadataOnly)
    ));
    // Nor does a data member open a witness's directory as its own.
    assert!(GroupStateMachine::open(wdir.path(), 16, EncodingLimits::default()).is_err());
}

#[tokio::test]
async fn witness_keeps_only_metadata_of_a_data_snapshot() {
    let ddir = tempfile::tempdir().unwrap();
    let mut data = GroupStateMachine::open(ddir.path(), 16, EncodingLimits::default()).unwrap();
    data.apply(vec![Entry {
        log_id: lid(4),
        payload: EntryPayload::Normal(vec![set("x")]),
    }])
    .await
    .unwrap();
    let built = data
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();
    let wdir = tempfile::tempdir().unwrap();
    let mut w = WitnessStateMachine::open(wdir.path()).unwrap();
    w.install_snapshot(&built.meta, built.snapshot)
        .await
        .unwrap();
    assert_eq!(w.last_applied(), Some(lid(4)));
    let current = w.get_current_snapshot().await.unwrap().expect("saved");
    assert!(snapshot::is_witness_data(current.snapshot.get_ref()));
    assert_eq!(current.meta, built.meta);
    // Garbage is refused.
    let bad = Box::new(Cursor::new(b"nonsense".to_vec()));
    assert!(w.install_snapshot(&built.meta, bad).await.is_err());
}

#[test]
fn witness_config_keeps_the_lease_and_campaigns_late() {
    let data = config(None);
    let w = witness_config(&data).unwrap();
    assert_eq!(w.election_timeout_max, data.election_timeout_max);
    assert_eq!(w.heartbeat_interval, data.heartbeat_interval);
    assert!(w.election_timeout_min > data.election_timeout_min);
    assert_eq!(w.snapshot_policy, openraft::SnapshotPolicy::Never);
}

/// Waits until `id` leads and returns when that was seen.
async fn wait_leader(c: &Cluster, id: NodeId, within: Duration) -> Instant {
    c.raft(id)
        .wait(Some(within))
        .metrics(
            |m| m.state == ServerState::Leader && m.current_leader == Some(id),
            format!("member {id} leads"),
        )
        .await
        .unwrap_or_else(|e| panic!("member {id} did not lead: {e}"));
    Instant::now()
}

/// Starts data voters 1, 2 and witness 3 and returns the data leader.
async fn start_group(seed: u64) -> (Cluster, NodeId) {
    let c = Cluster::start_with_witnesses(&[1, 2], &[WITNESS], config(None), seed).await;
    let leader = c.leader(1, None).await;
    assert_ne!(
        leader, WITNESS,
        "member 1 was initialized and campaigns first"
    );
    (c, leader)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_data_voters_and_a_witness_replicate() {
    let seed = super::test_seed();
    let (mut c, leader) = start_group(seed).await;
    let last = c.write_random(leader, 40).await;
    c.assert_converged(last).await;
    let w = &c.witnesses[&WITNESS];
    w.raft
        .wait(Some(DEADLINE))
        .applied_index_at_least(Some(last), "witness applies")
        .await
        .expect("witness applied");
    assert_eq!(w.sm.last_applied().map(|l| l.index), Some(last));
    let digests: Vec<[u8; 20]> = c.members.values().map(|m| m.sm.digest()).collect();
    assert_eq!(digests.len(), 2);
    assert_eq!(digests[0], digests[1]);

    // A witness's snapshot holds no keyspace.
    w.raft.trigger().snapshot().await.unwrap();
    w.raft
        .wait(Some(DEADLINE))
        .metrics(|m| m.snapshot.is_some_and(|s| s.index >= last), "snapshot")
        .await
        .expect("witness snapshot");
    let mut sm = w.sm.clone();
    let snap = sm.get_current_snapshot().await.unwrap().expect("snapshot");
    assert!(snapshot::is_witness_data(snap.snapshot.get_ref()));
    assert!(snap.snapshot.get_ref().len() <= 16);
    c.kill_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_transfer_between_data_voters() {
    let seed = super::test_seed();
    let (mut c, leader) = start_group(seed).await;
    let target = if leader == 1 { 2 } else { 1 };
    let last = c.write_random(leader, 10).await;
    c.assert_converged(last).await;

    // The leader was elected moments ago, so its own vote is still
    // leased: the transfer must not wait for the lease (see transfer.rs).
    let took = transfer_leadership(c.raft(leader), c.raft(target), DEADLINE)
        .await
        .expect("transfer");
    println!("transfer {leader} -> {target}: {took:?}");
    assert!(took < LEASE, "took {took:?}");
    assert_eq!(c.leader(leader, Some(leader)).await, target);
    let last = c.write_random(target, 10).await;
    c.assert_converged(last).await;

    // And straight back, to a leader elected a moment ago.
    let took = transfer_leadership(c.raft(target), c.raft(leader), DEADLINE)
        .await
        .expect("transfer back");
    println!("transfer {target} -> {leader}: {took:?}");
    assert!(took < LEASE, "took {took:?}");
    assert_eq!(c.leader(target, Some(target)).await, leader);
    // Heartbeats are back on the old leader: the group stays stable.
    let last = c.write_random(leader, 10).await;
    c.assert_converged(last).await;
    c.kill_all().await;
}

/// Writes while leader -> `lagging` is cut; returns (index the lagging
/// member had, last acknowledged index).
async fn write_past(
    c: &mut Cluster,
    leader: NodeId,
    lagging: NodeId,
    batches: usize,
) -> (u64, u64) {
    c.router.cut(leader, lagging, true);
    let had = c
        .raft(lagging)
        .metrics()
        .borrow()
        .last_log_index
        .unwrap_or(0);
    let last = c.write_random(leader, batches).await;
    let now = c
        .raft(lagging)
        .metrics()
        .borrow()
        .last_log_index
        .unwrap_or(0);
    assert!(now < last, "member {lagging} got entries through the cut");
    (had.max(now), last)
}

/// Kills the data leader, heals, and lets the witness hand over to
/// `lagging`. Returns the time from the kill until `lagging` leads.
async fn witness_bridges(c: &mut Cluster, leader: NodeId, lagging: NodeId) -> Duration {
    c.kill(leader).await;
    let killed = Instant::now();
    c.router.cut(leader, lagging, false);
    // The runtime runs the handoff when its witness leads.
    let w_led = wait_leader(c, WITNESS, DEADLINE).await;
    println!("witness leads {:?} after the kill", w_led - killed);
    assert!(is_witness_leader(c.raft(WITNESS)));
    let target_raft = c.raft(lagging).clone();
    let (new_leader, took) =
        witness_handoff(c.raft(WITNESS), &witnesses(), DEADLINE, |target, term| {
            assert_eq!(target, lagging);
            async move {
                tokio::spawn(async move { campaign(&target_raft, term, DEADLINE).await });
            }
        })
        .await
        .expect("handoff");
    assert_eq!(new_leader, lagging);
    let led = wait_leader(c, lagging, DEADLINE).await;
    let total = led - killed;
    println!("handoff took {took:?}; data voter {lagging} leads {total:?} after the kill");
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witness_bridges_the_gap_after_the_data_leader_dies() {
    let seed = super::test_seed();
    let (mut c, a) = start_group(seed).await;
    let b = if a == 1 { 2 } else { 1 };
    let last = c.write_random(a, 10).await;
    c.assert_converged(last).await;

    // Acknowledged by A and the witness only.
    let (_, last) = write_past(&mut c, a, b, 20).await;
    let total = witness_bridges(&mut c, a, b).await;
    // Bound: the witness campaigns a lease plus its timeout (< 1 lease)
    // after A's last heartbeat, maybe one timeout more if B's failed
    // campaigns raised its term; the handoff is the catch-up plus about
    // two heartbeats. 3 leases, plus one for a loaded machine.
    assert!(total < LEASE * 4, "B led only {total:?} after the kill");

    // Nothing acknowledged was lost.
    let want = c.w.reference.digest();
    c.wait_applied(b, last).await;
    assert_eq!(
        c.members[&b].sm.digest(),
        want,
        "B lost acknowledged writes"
    );
    assert_eq!(c.members[&b].sm.snapshots_installed(), 0);
    let last = c.write_random(b, 5).await;
    c.assert_converged(last).await;
    c.raft(WITNESS)
        .wait(Some(DEADLINE))
        .applied_index_at_least(Some(last), "witness follows B")
        .await
        .expect("witness follows");
    c.kill_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witness_purges_only_what_every_data_voter_matched() {
    let seed = super::test_seed();
    let (mut c, a) = start_group(seed).await;
    let b = if a == 1 { 2 } else { 1 };
    let last = c.write_random(a, 15).await;
    c.assert_converged(last).await;
    c.raft(WITNESS)
        .wait(Some(DEADLINE))
        .applied_index_at_least(Some(last), "witness applies")
        .await
        .expect("witness applied");

    // With everyone caught up the witness may purge everything applied.
    let all = c
        .raft(a)
        .wait(Some(DEADLINE))
        .metrics(
            |_| data_voters_matched(c.raft(a), &witnesses()) == Some(last),
            "data voters matched",
        )
        .await
        .map(|_| last)
        .expect("matched");
    assert_eq!(
        data_voters_matched(c.raft(b), &witnesses()),
        None,
        "not a leader"
    );
    let asked = witness_purge(c.raft(WITNESS), all, DEADLINE).await.unwrap();
    assert_eq!(asked, Some(last));
    c.raft(WITNESS)
        .wait(Some(DEADLINE))
        .metrics(|m| m.purged.is_some_and(|p| p.index == last), "purged")
        .await
        .expect("witness purged");

    // B falls behind; the gate stops at what B has.
    let (b_had, last) = write_past(&mut c, a, b, 20).await;
    c.raft(WITNESS)
        .wait(Some(DEADLINE))
        .applied_index_at_least(Some(last), "witness applies")
        .await
        .expect("witness applied");
    let upto = data_voters_matched(c.raft(a), &witnesses()).expect("known progress");
    assert_eq!(upto, b_had, "the gate is B's matched index");
    witness_purge(c.raft(WITNESS), upto, DEADLINE)
        .await
        .unwrap();
    c.raft(WITNESS)
        .wait(Some(DEADLINE))
        .metrics(|m| m.purged.is_some_and(|p| p.index == upto), "purged")
        .await
        .expect("witness purged up to B");
    // Asking with a stale, smaller number does nothing.
    assert_eq!(
        witness_purge(c.raft(WITNESS), upto - 1, DEADLINE)
            .await
            .unwrap(),
        None
    );
    let purged = c.raft(WITNESS).metrics().borrow().purged.map(|p| p.index);
    assert!(
        purged <= Some(b_had),
        "witness purged {purged:?} past B's {b_had}"
    );
    assert_eq!(
        purged,
        Some(b_had),
        "purged exactly up to B's matched index"
    );
    let kept = c.raft(WITNESS).metrics().borrow().last_log_index;
    assert_eq!(kept, Some(last), "the witness still has what B lacks");

    // The witness's log still feeds B: no snapshot reaches B.
    witness_bridges(&mut c, a, b).await;
    let want = c.w.reference.digest();
    c.wait_applied(b, last).await;
    assert_eq!(c.members[&b].sm.digest(), want);
    assert_eq!(
        c.members[&b].sm.snapshots_installed(),
        0,
        "fed from the log"
    );
    assert!(
        !is_witness_leader(c.raft(WITNESS)),
        "the witness handed over"
    );
    c.kill_all().await;
}

/// A transport that fails the test if a snapshot goes through it.
struct NoSnapshots;

impl openraft::network::RaftNetworkFactory<GroupConfig> for NoSnapshots {
    type Network = NoSnapshots;

    async fn new_client(&mut self, _target: NodeId, _node: &openraft::BasicNode) -> NoSnapshots {
        NoSnapshots
    }
}

type Rpc<T, E = openraft::error::Infallible> = Result<
    T,
    openraft::error::RPCError<NodeId, openraft::BasicNode, openraft::error::RaftError<NodeId, E>>,
>;

impl openraft::network::RaftNetwork<GroupConfig> for NoSnapshots {
    async fn append_entries(
        &mut self,
        _rpc: openraft::raft::AppendEntriesRequest<GroupConfig>,
        _option: openraft::network::RPCOption,
    ) -> Rpc<openraft::raft::AppendEntriesResponse<NodeId>> {
        Ok(openraft::raft::AppendEntriesResponse::Success)
    }

    async fn vote(
        &mut self,
        _rpc: openraft::raft::VoteRequest<NodeId>,
        _option: openraft::network::RPCOption,
    ) -> Rpc<openraft::raft::VoteResponse<NodeId>> {
        unreachable!("not used by this test")
    }

    async fn install_snapshot(
        &mut self,
        _rpc: openraft::raft::InstallSnapshotRequest<GroupConfig>,
        _option: openraft::network::RPCOption,
    ) -> Rpc<openraft::raft::InstallSnapshotResponse<NodeId>, openraft::error::InstallSnapshotError>
    {
        panic!("a witness sent a snapshot chunk")
    }

    async fn full_snapshot(
        &mut self,
        _vote: openraft::Vote<NodeId>,
        _snapshot: Snapshot<GroupConfig>,
        _cancel: impl std::future::Future<Output = openraft::error::ReplicationClosed> + Send + 'static,
        _option: openraft::network::RPCOption,
    ) -> Result<
        openraft::raft::SnapshotResponse<NodeId>,
        openraft::error::StreamingError<GroupConfig, openraft::error::Fatal<NodeId>>,
    > {
        panic!("a witness sent a snapshot")
    }
}

#[tokio::test]
async fn witness_transport_never_sends_a_snapshot() {
    use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
    let dir = tempfile::tempdir().unwrap();
    let snap = witness_snapshot(dir.path()).await;
    let mut net = WitnessNetwork::new(NoSnapshots);
    let mut client = net.new_client(1, &openraft::BasicNode::default()).await;
    let option = RPCOption::new(Duration::from_secs(1));
    let vote = openraft::Vote::new_committed(2, WITNESS);
    let entries = openraft::raft::AppendEntriesRequest {
        vote,
        prev_log_id: None,
        leader_commit: None,
        entries: Vec::new(),
    };
    assert!(client.append_entries(entries, option.clone()).await.is_ok());
    let sent = client
        .full_snapshot(vote, snap, std::future::pending(), option)
        .await;
    assert!(matches!(
        sent,
        Err(openraft::error::StreamingError::Unreachable(_))
    ));
}
