//! Helpers shared by the multi-member group tests (in-process transport
//! and cluster bus): opening a member on disk, a reference workload, and
//! waits on openraft's metrics with a deadline.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use openraft::network::RaftNetworkFactory;
use openraft::{Config, SnapshotPolicy};
use raft_log::{LogStore, Options};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::state_machine::GroupStateMachine;
use super::types::{Batch, GroupConfig, GroupRaft, NodeId};
use crate::keyspace::{EncodingLimits, Keyspace};
use crate::record::{apply, Op, Record};
use crate::resp::Frame;

/// How long any one condition may take before the test fails (a loaded
/// 2-core machine).
pub(crate) const DEADLINE: Duration = Duration::from_secs(20);
/// The group every test member belongs to.
pub(crate) const GROUP: u64 = 1;

/// Test timings; snapshots every `snapshot_every` entries, purging all the
/// snapshot covers.
pub(crate) fn config(snapshot_every: Option<u64>) -> Arc<Config> {
    let c = Config {
        cluster_name: "group-test".into(),
        heartbeat_interval: 100,
        election_timeout_min: 800,
        election_timeout_max: 1600,
        install_snapshot_timeout: 5000,
        // Small, so a snapshot of a few MiB crosses the bus in many chunks.
        snapshot_max_chunk_size: 256 << 10,
        snapshot_policy: match snapshot_every {
            Some(n) => SnapshotPolicy::LogsSinceLast(n),
            None => SnapshotPolicy::Never,
        },
        max_in_snapshot_log_to_keep: 0,
        purge_batch_size: 1,
        ..Default::default()
    };
    Arc::new(c.validate().expect("valid config"))
}

/// One member of the test group, running.
pub(crate) struct Member {
    pub raft: GroupRaft,
    pub sm: GroupStateMachine,
    /// Dropped after the Raft: stops the log's writer thread.
    pub _log: LogStore,
}

/// Opens member `id` from `base` (fresh or after a kill) with `network`.
pub(crate) async fn open_member<N: RaftNetworkFactory<GroupConfig>>(
    base: &Path,
    id: NodeId,
    config: Arc<Config>,
    network: N,
) -> Member {
    let log = LogStore::open(base.join("wal"), Options::default()).expect("open log");
    let group_log = log.group::<GroupConfig>(GROUP).expect("group log");
    let sm = GroupStateMachine::open(base.join("group1"), 16, EncodingLimits::default())
        .expect("open state machine");
    let raft = GroupRaft::new(id, config, network, group_log, sm.clone())
        .await
        .expect("raft");
    Member {
        raft,
        sm,
        _log: log,
    }
}

/// Waits until member `via` sees a leader other than `not`, and that
/// leader (looked up with `raft`) knows it leads.
pub(crate) async fn leader(
    raft: impl Fn(NodeId) -> GroupRaft,
    via: NodeId,
    not: Option<NodeId>,
) -> NodeId {
    let m = raft(via)
        .wait(Some(DEADLINE))
        .metrics(
            |m| m.current_leader.is_some_and(|l| Some(l) != not),
            "a leader is known",
        )
        .await
        .expect("leader elected");
    let leader = m.current_leader.expect("leader");
    raft(leader)
        .wait(Some(DEADLINE))
        .metrics(|m| m.current_leader == Some(leader), "leader knows it")
        .await
        .expect("leader state");
    leader
}

/// Every member has applied `index` and holds `want` (a digest).
pub(crate) async fn assert_converged<'a>(
    members: impl IntoIterator<Item = (&'a NodeId, &'a Member)>,
    want: [u8; 20],
    index: u64,
) {
    for (&id, m) in members {
        m.raft
            .wait(Some(DEADLINE))
            .applied_index_at_least(Some(index), format!("member {id} applies {index}"))
            .await
            .expect("applied");
        assert_eq!(m.sm.digest(), want, "member {id} diverged");
    }
}

/// Seeded writes, also applied to a reference keyspace: the leader's
/// replies must equal the reference's, and every member must end with the
/// reference's digest.
pub(crate) struct Workload {
    pub reference: Keyspace,
    time_ms: i64,
    rng: ChaCha8Rng,
}

impl Workload {
    /// A workload drawing from `seed`.
    pub(crate) fn new(seed: u64) -> Workload {
        Workload {
            reference: Keyspace::new(16),
            time_ms: 1_700_000_000_000,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// A record of the command `args`.
    pub(crate) fn record(&mut self, args: &[&str]) -> Record {
        self.time_ms += 1;
        Record {
            db: 0,
            time_ms: self.time_ms,
            seed: self.rng.gen(),
            resp3: false,
            op: Op::Command(args.iter().map(|a| Bytes::from(a.to_string())).collect()),
            retry: false,
        }
    }

    /// Proposes `batch` through `leader`; checks the replies against the
    /// reference and returns them with the entry's index.
    pub(crate) async fn write(
        &mut self,
        leader: &GroupRaft,
        batch: Batch,
    ) -> (u64, Vec<Option<Frame>>) {
        let expected: Vec<Option<Frame>> = batch
            .iter()
            .map(|r| apply(&mut self.reference, r).reply)
            .collect();
        let resp = leader.client_write(batch).await.expect("client_write");
        let got: Vec<Option<Frame>> = resp.data.into_iter().map(|a| a.reply).collect();
        assert_eq!(got, expected, "leader's replies equal a direct apply");
        (resp.log_id.index, got)
    }

    /// A batch of 1..8 random writes over a few keys of every type.
    pub(crate) fn random_batch(&mut self) -> Batch {
        let n = self.rng.gen_range(1..8);
        (0..n)
            .map(|_| {
                let k = self.rng.gen_range(0..5);
                let v = self.rng.gen_range(0..100).to_string();
                let args: Vec<String> = match self.rng.gen_range(0..6) {
                    0 => vec!["incr".into(), format!("c{k}")],
                    1 => vec!["sadd".into(), format!("s{k}"), v],
                    2 => vec!["spop".into(), format!("s{k}")],
                    3 => vec!["rpush".into(), format!("l{k}"), v],
                    4 => vec!["hset".into(), format!("h{k}"), format!("f{v}"), v],
                    _ => vec!["zadd".into(), format!("z{k}"), v.clone(), format!("m{v}")],
                };
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                self.record(&args)
            })
            .collect()
    }

    /// Writes `batches` random batches through `leader`; the last index.
    pub(crate) async fn write_random(&mut self, leader: &GroupRaft, batches: usize) -> u64 {
        let mut last = 0;
        for _ in 0..batches {
            let b = self.random_batch();
            last = self.write(leader, b).await.0;
        }
        last
    }
}
