//! Supervision with real faults: a member's write-ahead log on a `MemEnv`
//! disk whose fsync is made to fail (or which runs out of space), so
//! raft-log stops and openraft's core goes `Fatal` as it would on a real
//! disk error. The supervisor must rebuild the core from storage: what was
//! acknowledged before is still there, the group serves again, and the
//! restart is counted. Waits are on conditions with deadlines.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use openraft::error::Fatal;
use openraft::{BasicNode, ServerState};
use raft_log::env::mem::MemEnv;
use raft_log::{Options, SyncMode};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};
use tonic::transport::server::TcpIncoming;

use super::host::{Host, HostSettings, DATA_GROUP};
use super::local::Router;
use super::member::{MemberSm, MemberSpec, NodeLog, Transport};
use super::network::{serve_with_incoming_shutdown, PeerPool};
use super::registry::Registry;
use super::runtime::{Group, Refused};
use super::supervisor::{RestartPolicy, Supervisor};
use super::test_support::{config, DEADLINE};
use super::types::NodeId;
use crate::command::{table, DataFn, Handler};
use crate::engine::Engine;
use crate::keyspace::EncodingLimits;
use crate::record::Op;
use crate::resp::Frame;

fn data_fn(name: &str) -> DataFn {
    match table()
        .get(name.as_bytes())
        .expect("known command")
        .spec
        .handler
    {
        Handler::Data(f) => f,
        _ => panic!("{name} is not a keyspace command"),
    }
}

fn args(a: &[&str]) -> Vec<Bytes> {
    a.iter().map(|s| Bytes::from(s.to_string())).collect()
}

/// `RPUSH l <v>` through `engine`: the list's length, or why not.
async fn push(engine: &Engine, v: &str) -> Result<i64, Refused> {
    let rec = Engine::record(0, false, Op::Command(args(&["rpush", "l", v])));
    match engine.submit(rec).await?.reply {
        Some(Frame::Integer(n)) => Ok(n),
        other => panic!("RPUSH replied {other:?}"),
    }
}

/// `LRANGE l 0 -1` on the confirmed leader.
async fn list(engine: &Engine) -> Vec<String> {
    let (reply, _) = engine
        .read(
            data_fn("lrange"),
            0,
            &args(&["lrange", "l", "0", "-1"]),
            false,
        )
        .await
        .expect("read");
    let Frame::Array(items) = reply else {
        panic!("LRANGE replied {reply:?}")
    };
    items
        .into_iter()
        .map(|f| match f {
            Frame::Bulk(b) => String::from_utf8(b.to_vec()).expect("utf-8"),
            other => panic!("LRANGE item {other:?}"),
        })
        .collect()
}

/// Waits until `group` runs a core of generation `at_least` or later.
async fn rebuilt(group: &Group, at_least: u64) {
    let mut cores = group.core_changes();
    timeout(DEADLINE, cores.wait_for(|(g, _)| *g >= at_least))
        .await
        .expect("the core is rebuilt in time")
        .expect("group alive");
}

/// Waits until `group`'s current core leads.
async fn leads(group: &Group) {
    group
        .raft()
        .wait(Some(DEADLINE))
        .state(ServerState::Leader, "leads")
        .await
        .expect("the core leads");
}

fn standalone(dir: &std::path::Path, snapshot_logs: u64) -> HostSettings {
    HostSettings {
        node_id: 1,
        members: Vec::new(),
        witnesses: Vec::new(),
        dir: dir.to_path_buf(),
        databases: 16,
        limits: EncodingLimits::default(),
        sync: SyncMode::Always,
        heartbeat_ms: 50,
        election_ms: 300,
        snapshot_logs,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_core_killed_by_a_failed_fsync_is_rebuilt_from_storage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = MemEnv::new();
    let host = Host::open_with(
        standalone(dir.path(), 8),
        "127.0.0.1:6379".into(),
        Arc::new(disk.clone()),
        RestartPolicy::default(),
    )
    .await
    .expect("open");
    let group = host.group.clone();
    let engine = Engine::new(group.clone(), 16);
    // Past a few snapshots (every 8 entries), and some entries after the
    // last: the rebuild loads the snapshot and replays the log.
    let acked: Vec<String> = (0..30).map(|i| format!("v{i}")).collect();
    for (i, v) in acked.iter().enumerate() {
        assert_eq!(push(&engine, v).await, Ok(i as i64 + 1));
    }
    let mut down = group.core_down();

    disk.fail_next_sync();
    // The write's entry cannot be made durable: the log stops, openraft's
    // core goes Fatal, and the client gets an error rather than a hang.
    let lost = timeout(DEADLINE, push(&engine, "unknown"))
        .await
        .expect("the write is answered");
    // Not a redirect (which would make the client wait for an election):
    // the outcome is unknown, or it never reached the log.
    assert!(
        matches!(lost, Err(Refused::Fatal(_)) | Err(Refused::Restarting)),
        "a write on a failed log: {lost:?}"
    );
    let (generation, reason) = timeout(DEADLINE, down.wait_for(Option::is_some))
        .await
        .expect("the death is noticed")
        .expect("group alive")
        .clone()
        .expect("down");
    assert_eq!(generation, 0);
    assert!(
        matches!(reason, Fatal::StorageError(_)),
        "died of {reason:?}"
    );

    rebuilt(&group, 1).await;
    leads(&group).await;
    let n = push(&engine, "after").await.expect("serves writes again");
    let got = list(&engine).await;
    // Everything acknowledged is there, in order; the write whose fsync
    // failed may or may not be (its bytes reached the file).
    assert_eq!(got[..30], acked[..], "acknowledged writes survive");
    assert!(got.len() == 31 || got.len() == 32 && got[30] == "unknown");
    assert_eq!(got.last().map(String::as_str), Some("after"));
    assert_eq!(n as usize, got.len());
    let st = group.status();
    assert_eq!((st.restarts, st.failed_restarts), (1, 0));
    assert_eq!(group.generation(), 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_that_keeps_failing_is_retried_with_backoff_until_it_heals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = MemEnv::new();
    let policy = RestartPolicy {
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        stable_after: Duration::from_secs(60),
    };
    let host = Host::open_with(
        standalone(dir.path(), 0),
        "127.0.0.1:6379".into(),
        Arc::new(disk.clone()),
        policy,
    )
    .await
    .expect("open");
    let group = host.group.clone();
    let engine = Engine::new(group.clone(), 16);
    assert_eq!(push(&engine, "a").await, Ok(1));

    // Every write fails from now on, so every rebuilt core dies again as
    // soon as it writes (its vote, its first entry), or the rebuild fails.
    disk.space_left(0);
    let failing = Instant::now();
    let refused = timeout(DEADLINE, push(&engine, "b"))
        .await
        .expect("answered");
    assert!(refused.is_err(), "{refused:?}");
    let attempts = || {
        let st = group.status();
        st.restarts + st.failed_restarts
    };
    let deadline = Instant::now() + DEADLINE;
    while attempts() < 4 {
        assert!(Instant::now() < deadline, "no rebuild attempts");
        // Commands are answered (refused), never left hanging.
        let r = timeout(DEADLINE, push(&engine, "c"))
            .await
            .expect("answered");
        assert!(r.is_err(), "{r:?}");
        let mut changes = group.core_changes();
        let _ = timeout(Duration::from_millis(100), changes.changed()).await;
    }
    // Waits of 0, 50, 100, 200, 200, ... ms: a spin would make thousands.
    let elapsed = failing.elapsed();
    let bound = 2 + (elapsed.as_millis() / policy.min_backoff.as_millis()) as u64;
    let made = attempts();
    assert!(
        made <= bound,
        "{made} attempts in {elapsed:?}: rebuilds must back off"
    );

    disk.space_left(u64::MAX);
    let deadline = Instant::now() + DEADLINE;
    let n = loop {
        assert!(Instant::now() < deadline, "never recovered");
        // Until a rebuilt core survives and elects itself; a core that
        // dies meanwhile ends the wait early.
        let _ = group
            .raft()
            .wait(Some(Duration::from_millis(500)))
            .state(ServerState::Leader, "leads")
            .await;
        if let Ok(n) = push(&engine, "healed").await {
            break n;
        }
    };
    let got = list(&engine).await;
    assert_eq!(got.first().map(String::as_str), Some("a"));
    assert_eq!(got.last().map(String::as_str), Some("healed"));
    assert_eq!(n as usize, got.len());
    host.shutdown().await;
}

/// A node's bus server: its stop switch and its task.
type BusServer = (
    oneshot::Sender<()>,
    JoinHandle<Result<(), tonic::transport::Error>>,
);

/// One node of a replicated test group: its disk, log, group and
/// supervisor, and its bus server when the group talks over the bus.
struct Node {
    disk: MemEnv,
    group: Arc<Group>,
    engine: Engine,
    supervisor: Supervisor,
    server: Option<BusServer>,
}

/// Three members, in process (`Router`) or over the cluster bus on
/// loopback ports, each supervised as the node does it. Member 3 may be a
/// witness.
struct Replicated {
    _dir: tempfile::TempDir,
    nodes: BTreeMap<NodeId, Node>,
}

impl Replicated {
    async fn start(over_bus: bool, witness: Option<NodeId>) -> Replicated {
        let dir = tempfile::tempdir().expect("tempdir");
        let ids = [1, 2, 3];
        let router = Router::new();
        let mut incoming = BTreeMap::new();
        let mut pools = BTreeMap::new();
        if over_bus {
            for id in ids {
                let inc = TcpIncoming::bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
                let addr = inc.local_addr().expect("addr").to_string();
                incoming.insert(id, inc);
                pools.insert(id, addr);
            }
        }
        let mut nodes = BTreeMap::new();
        for id in ids {
            let disk = MemEnv::new();
            let log = NodeLog::open(Arc::new(disk.clone()), "/wal", Options::default())
                .expect("open log");
            let log = Arc::new(log);
            let sm_dir = dir.path().join(format!("node{id}"));
            let is_witness = witness == Some(id);
            let sm =
                MemberSm::open(&sm_dir, is_witness, 16, EncodingLimits::default()).expect("sm");
            let mut server = None;
            let transport = match incoming.remove(&id) {
                Some(inc) => {
                    let pool = PeerPool::new();
                    for (&other, addr) in &pools {
                        if other != id {
                            pool.set_addr(other, addr.clone());
                        }
                    }
                    let registry = Registry::new(id);
                    let (stop, stopped) = oneshot::channel::<()>();
                    let task = tokio::spawn(serve_with_incoming_shutdown(
                        registry.clone(),
                        inc,
                        async move {
                            let _ = stopped.await;
                        },
                    ));
                    server = Some((stop, task));
                    Transport::Bus { pool, registry }
                }
                None => Transport::Local(router.clone()),
            };
            let spec = MemberSpec {
                group_id: DATA_GROUP,
                node_id: id,
                config: config(Some(20)),
                transport,
            };
            let raft = spec
                .start_core(log.group(DATA_GROUP).await.expect("group log"), &sm)
                .await
                .expect("core");
            let group = Group::start(DATA_GROUP, id, raft, sm.data());
            let supervisor = Supervisor::spawn(&group, spec, sm, log, RestartPolicy::default());
            nodes.insert(
                id,
                Node {
                    disk,
                    engine: Engine::new(group.clone(), 16),
                    group,
                    supervisor,
                    server,
                },
            );
        }
        let members: BTreeMap<NodeId, BasicNode> =
            ids.iter().map(|&id| (id, BasicNode::default())).collect();
        nodes[&1]
            .group
            .raft()
            .initialize(members)
            .await
            .expect("initialize");
        Replicated { _dir: dir, nodes }
    }

    /// The leader, once every member agrees on it and it leads.
    async fn leader(&self) -> NodeId {
        let leader = self.nodes[&1]
            .group
            .wait_leader(DEADLINE)
            .await
            .expect("a leader");
        leads(&self.nodes[&leader].group).await;
        leader
    }

    /// Every member has applied `index` and the data members hold the
    /// same keyspace.
    async fn converged(&self, index: u64) {
        let mut digests = Vec::new();
        for (id, n) in &self.nodes {
            n.group
                .raft()
                .wait(Some(DEADLINE))
                .applied_index_at_least(Some(index), format!("member {id} applies {index}"))
                .await
                .expect("applied");
            if let Some(sm) = &n.group.data {
                digests.push(sm.digest());
            }
        }
        assert!(digests.windows(2).all(|w| w[0] == w[1]), "members diverged");
    }

    async fn shutdown(mut self) {
        for (_, n) in std::mem::take(&mut self.nodes) {
            n.supervisor.stop().await;
            let _ = n.group.raft().shutdown().await;
            if let Some((stop, task)) = n.server {
                let _ = stop.send(());
                let _ = timeout(DEADLINE, task).await;
            }
        }
    }
}

impl Drop for Replicated {
    /// A failed test still stops the servers it started.
    fn drop(&mut self) {
        for n in self.nodes.values_mut() {
            if let Some((_, task)) = &n.server {
                task.abort();
            }
        }
    }
}

/// A follower's log fsync fails under replication: its core dies, is
/// rebuilt from its snapshot and log, rejoins, and catches up with what
/// the other two committed meanwhile.
async fn follower_core_dies_and_catches_up(over_bus: bool, witness: Option<NodeId>) {
    let c = Replicated::start(over_bus, witness).await;
    let leader = c.leader().await;
    // The witness if there is one (it never leads here: member 1 campaigns
    // at once, and a witness hands over if it ever wins), else a follower.
    let follower = witness
        .filter(|&w| w != leader)
        .or_else(|| c.nodes.keys().copied().find(|&id| id != leader))
        .expect("follower");
    let (lead, fol) = (&c.nodes[&leader], &c.nodes[&follower]);
    for i in 0..30 {
        assert_eq!(push(&lead.engine, &format!("v{i}")).await, Ok(i + 1));
    }
    c.converged(lead.group.status().applied_index).await;
    let mut down = fol.group.core_down();

    // The follower's next append (the leader's next entry) cannot be made
    // durable: its core dies. The other two still commit.
    fol.disk.fail_next_sync();
    for i in 30..60 {
        assert_eq!(push(&lead.engine, &format!("v{i}")).await, Ok(i + 1));
    }
    let (_, reason) = timeout(DEADLINE, down.wait_for(Option::is_some))
        .await
        .expect("the follower's core dies")
        .expect("group alive")
        .clone()
        .expect("down");
    assert!(
        matches!(reason, Fatal::StorageError(_)),
        "died of {reason:?}"
    );
    rebuilt(&fol.group, 1).await;
    for i in 60..70 {
        assert_eq!(push(&lead.engine, &format!("v{i}")).await, Ok(i + 1));
    }
    c.converged(lead.group.status().applied_index).await;
    let want: Vec<String> = (0..70).map(|i| format!("v{i}")).collect();
    assert_eq!(list(&lead.engine).await, want);
    assert_eq!(fol.group.status().restarts, 1);
    assert_eq!(lead.group.status().restarts, 0);
    // The rebuilt follower answers like any follower: MOVED to the leader
    // (a witness serves no client).
    let refused = push(&fol.engine, "x").await;
    if witness == Some(follower) {
        assert_eq!(refused, Err(Refused::Witness));
    } else {
        assert!(matches!(
            refused,
            Err(Refused::NotLeader(Some((id, _)))) if id == leader
        ));
    }
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follower_core_dies_and_catches_up_in_process() {
    follower_core_dies_and_catches_up(false, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follower_core_dies_and_catches_up_over_the_bus() {
    follower_core_dies_and_catches_up(true, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witness_core_dies_and_catches_up() {
    follower_core_dies_and_catches_up(false, Some(3)).await;
}
