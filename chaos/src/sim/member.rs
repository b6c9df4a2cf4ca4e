//! One simulated node: the node's own assembly of a group member
//! (`host::open_member` + `host::start_group`, duties included) over
//! raft-log on a `MemEnv` disk and the tonic bus over turmoil TCP, with an
//! `Engine` on top for the clients.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use openraft::ServerState;
use raft_log::env::mem::MemEnv;
use raft_log::{LogStore, Options, SyncMode, WriterMode};
use slotraft::engine::Engine;
use slotraft::group::host::{
    hand_off, open_member, start_group, HostSettings, MemberAddr, DATA_GROUP,
};
use slotraft::group::network::BusNetwork;
use slotraft::group::registry::Registry;
use slotraft::group::types::{GroupConfig, NodeId};
use slotraft::keyspace::EncodingLimits;

use super::{now_ns, unix_ms, Shared, Topology, DATABASES, HEARTBEAT_MS};
use crate::turmoil_bus::{host_name, incoming, peer_pool, serve, CloseOnDrop, Sockets, BUS_PORT};

/// How long a simulated graceful hand-off may take per step.
const HANDOFF_TIMEOUT: Duration = Duration::from_secs(2);

/// The node's settings as its configuration would give them.
pub fn settings(topo: &Topology, id: NodeId, dir: &Path, election_ms: u64) -> HostSettings {
    HostSettings {
        node_id: id,
        members: topo
            .members()
            .map(|m| MemberAddr {
                id: m,
                client: format!("{}:6379", host_name(m)),
                bus: format!("{}:{BUS_PORT}", host_name(m)),
            })
            .collect(),
        witnesses: topo.witnesses.clone(),
        dir: dir.join(host_name(id)),
        databases: DATABASES,
        limits: EncodingLimits::default(),
        sync: SyncMode::Always,
        heartbeat_ms: HEARTBEAT_MS,
        election_ms,
        snapshot_logs: topo.snapshot_logs,
    }
}

/// Member `id`'s election timeout lower bound for `seed`: distinct per
/// member so elections settle, a witness last (as `witness_config` wants).
pub fn election_ms(seed: u64, id: NodeId) -> u64 {
    300 + 70 * id + (seed.wrapping_mul(31).wrapping_add(id * 17) % 5) * 13
}

/// The node's openraft config, except for the election timeout: openraft
/// draws it from `rand::thread_rng()`, which no seed reaches, so the range
/// is one millisecond wide and the seed picks its position instead.
fn raft_config(settings: &HostSettings) -> Arc<openraft::Config> {
    let base = settings.raft_config().expect("valid settings");
    let c = openraft::Config {
        election_timeout_min: settings.election_ms,
        election_timeout_max: settings.election_ms + 1,
        ..(*base).clone()
    };
    Arc::new(c.validate().expect("valid config"))
}

/// The software of host `n<id>`; turmoil runs it again on a restart.
pub async fn run_member(
    sh: Shared,
    topo: Topology,
    seed: u64,
    id: NodeId,
    dir: PathBuf,
) -> turmoil::Result {
    let sockets = Arc::new(Sockets::new(sh.lock().unwrap().wire.clone()));
    // Dropped last, with this future: after the runtime's tasks.
    let _close = CloseOnDrop(sockets.clone());
    // A (re)start sees only what its disk made durable.
    let env = {
        let mut w = sh.lock().unwrap();
        w.sockets.insert(id, sockets.clone());
        let img = w
            .disks
            .get(&id)
            .map(|e| e.durable_image())
            .unwrap_or_default();
        let env = MemEnv::from_image(&img);
        w.disks.insert(id, env.clone());
        env
    };
    let opts = Options {
        writer: WriterMode::Inline,
        ..Options::default()
    };
    let store = LogStore::open_with_env(Arc::new(env), Path::new("/wal"), opts)?;
    let log = store.group::<GroupConfig>(DATA_GROUP)?;
    let settings = settings(&topo, id, &dir, election_ms(seed, id));
    let pool = peer_pool(&sockets, topo.members().filter(|&m| m != id));
    let network = BusNetwork::new(pool.clone(), DATA_GROUP, id);
    let (raft, data) = open_member(&settings, raft_config(&settings), network, log).await?;
    let registry = Registry::new(id);
    registry.insert(DATA_GROUP, raft.clone());
    let bus = tokio::spawn(serve(registry, incoming(&sockets).await?));
    let group = start_group(&settings, raft.clone(), data, pool.clone()).await?;
    // A graceful hand-off (SIGTERM, CLUSTER FAILOVER) when the driver rings;
    // only a leader acts on it, and it keeps running afterwards.
    let bell = Arc::new(tokio::sync::Notify::new());
    sh.lock().unwrap().handoffs.insert(id, bell.clone());
    tokio::spawn({
        let (sh, group, witnesses) = (sh.clone(), group.clone(), topo.witnesses.clone());
        async move {
            loop {
                bell.notified().await;
                let res = hand_off(&group, &pool, &witnesses, HANDOFF_TIMEOUT).await;
                if !matches!(res, Ok(None)) {
                    let mut w = sh.lock().unwrap();
                    w.handed_over += usize::from(res.is_ok());
                    w.log.push(format!("{} handoff n{id} {res:?}", now_ns()));
                }
            }
        }
    });
    sh.lock()
        .unwrap()
        .live
        .insert(id, Arc::new(Engine::with_clock(group, DATABASES, unix_ms)));
    let mut metrics = raft.metrics();
    let obs = sh.clone();
    tokio::spawn(async move {
        while metrics.changed().await.is_ok() {
            let m = metrics.borrow().clone();
            if std::env::var_os("SLOTRAFT_SIM_TRACE").is_some() {
                obs.lock().unwrap().log.push(format!(
                    "{} trace n{id} {:?} vote {} last {:?} committed-leader {:?}",
                    now_ns(),
                    m.state,
                    m.vote,
                    m.last_log_index,
                    m.current_leader
                ));
            }
            if m.state == ServerState::Leader {
                let mut w = obs.lock().unwrap();
                if w.leaders.last() != Some(&(m.current_term, id)) {
                    w.leaders.push((m.current_term, id));
                    w.log
                        .push(format!("{} leader n{id} term {}", now_ns(), m.current_term));
                }
            }
        }
    });
    bus.await??;
    drop(store);
    Ok(())
}
