//! What a member's openraft core is made of, kept so it can be made again:
//! the node's write-ahead log ([`NodeLog`]), the member's state machine
//! ([`MemberSm`]), and its id, config and transport ([`MemberSpec`]).
//!
//! The node opens each member once at start; the supervisor
//! (`supervisor.rs`) opens it again, the same way, when its core died.
//! Either way the core recovers as a restart does: the state machine loads
//! the group's latest snapshot and openraft replays the log after it.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use openraft::network::RaftNetworkFactory;
use raft_log::env::Env;
use raft_log::{GroupLog, LogStore, Options};
use tracing::{info, warn};

use super::local::Router;
use super::network::{BusNetwork, PeerPool};
use super::registry::Registry;
use super::state_machine::GroupStateMachine;
use super::types::{GroupConfig, GroupRaft, NodeId};
use super::witness::{witness_config, WitnessNetwork, WitnessStateMachine};
use crate::keyspace::EncodingLimits;

/// The node's write-ahead log, shared by all its groups, and how to open
/// it again from disk.
///
/// raft-log refuses all work after a write or fsync failed (the kernel may
/// have dropped the dirty pages: only recovery from disk is honest), so a
/// core rebuilt after such a failure needs the log reopened, as a restart
/// would. Every group on the node shares that fate: their cores all fail
/// on their next log write, and the first rebuild reopens the log for all.
pub struct NodeLog {
    env: Arc<dyn Env>,
    dir: PathBuf,
    opts: Options,
    /// The open store (`None` after a reopen failed). An async lock: a
    /// reopen scans every segment, and rebuilds arriving meanwhile should
    /// wait for it, not reopen again.
    store: tokio::sync::Mutex<Option<Arc<LogStore>>>,
}

fn closed() -> io::Error {
    io::Error::other("the write-ahead log is closed")
}

impl NodeLog {
    /// Opens (or creates) the log in `dir` through `env`.
    pub fn open(env: Arc<dyn Env>, dir: impl AsRef<Path>, opts: Options) -> io::Result<NodeLog> {
        let dir = dir.as_ref().to_path_buf();
        let store =
            LogStore::open_with_env(env.clone(), &dir, opts.clone()).map_err(|e| e.to_io())?;
        Ok(NodeLog {
            env,
            dir,
            opts,
            store: tokio::sync::Mutex::new(Some(Arc::new(store))),
        })
    }

    /// Group `group`'s log on the store as it is now.
    pub async fn group(&self, group: u64) -> io::Result<GroupLog<GroupConfig>> {
        let store = self.store.lock().await;
        let store = store.as_ref().ok_or_else(closed)?;
        store.group::<GroupConfig>(group).map_err(|e| e.to_io())
    }

    /// Group `group`'s log for a rebuilt core. What the dead core queued is
    /// made durable first: a new core takes every entry it reads as its
    /// own, and must not count one the disk may yet lose. If that fails (or
    /// the log already failed), the store is closed and opened again from
    /// disk.
    pub async fn reopen_group(&self, group: u64) -> io::Result<GroupLog<GroupConfig>> {
        let mut store = self.store.lock().await;
        let flushed = match store.clone() {
            Some(current) => tokio::task::spawn_blocking(move || current.flush())
                .await
                .map_err(io::Error::other)?
                .map_err(|e| e.to_io()),
            None => Err(closed()),
        };
        if let Err(e) = flushed {
            warn!(dir = %self.dir.display(), %e, "write-ahead log failed; reopening it from disk");
            let old = store.take();
            let (env, dir, opts) = (self.env.clone(), self.dir.clone(), self.opts.clone());
            let reopened = tokio::task::spawn_blocking(move || {
                // The old writer thread is joined first (a failed one does
                // no more I/O), so one writer at a time owns the files.
                drop(old);
                LogStore::open_with_env(env, &dir, opts)
            })
            .await
            .map_err(io::Error::other)?
            .map_err(|e| e.to_io())?;
            info!(dir = %self.dir.display(), "write-ahead log reopened");
            *store = Some(Arc::new(reopened));
        }
        let store = store.as_ref().ok_or_else(closed)?;
        store.group::<GroupConfig>(group).map_err(|e| e.to_io())
    }

    /// Writes and syncs everything queued (node shutdown).
    pub async fn flush(&self) -> io::Result<()> {
        let store = self.store.lock().await.clone().ok_or_else(closed)?;
        tokio::task::spawn_blocking(move || store.flush())
            .await
            .map_err(io::Error::other)?
            .map_err(|e| e.to_io())
    }
}

/// A member's state machine: a keyspace, or a witness's metadata.
#[derive(Clone)]
pub enum MemberSm {
    /// A data member.
    Data(GroupStateMachine),
    /// The group's witness.
    Witness(WitnessStateMachine),
}

impl MemberSm {
    /// Opens the state machine whose files live in `dir`: a witness's if
    /// `witness`, else a keyspace of `databases` databases.
    pub fn open(
        dir: &Path,
        witness: bool,
        databases: usize,
        limits: EncodingLimits,
    ) -> io::Result<MemberSm> {
        Ok(if witness {
            MemberSm::Witness(WitnessStateMachine::open(dir)?)
        } else {
            MemberSm::Data(GroupStateMachine::open(dir, databases, limits)?)
        })
    }

    /// The state reloaded from the snapshot on disk, for a rebuilt core
    /// (see `GroupStateMachine::reload`, `WitnessStateMachine::reload`).
    pub fn reload(&self) -> io::Result<MemberSm> {
        Ok(match self {
            MemberSm::Data(sm) => MemberSm::Data(sm.reload()?),
            MemberSm::Witness(sm) => MemberSm::Witness(sm.reload()?),
        })
    }

    /// The keyspace state machine (`None` on a witness).
    pub fn data(&self) -> Option<GroupStateMachine> {
        match self {
            MemberSm::Data(sm) => Some(sm.clone()),
            MemberSm::Witness(_) => None,
        }
    }
}

/// Starts a core of member `id` over `log` and `sm`, talking over
/// `network`. A witness gets [`witness_config`] derived from `config` and
/// a [`WitnessNetwork`] (it never sends a snapshot).
pub async fn new_core<N: RaftNetworkFactory<GroupConfig>>(
    id: NodeId,
    config: &Arc<openraft::Config>,
    network: N,
    log: GroupLog<GroupConfig>,
    sm: &MemberSm,
) -> io::Result<GroupRaft> {
    let raft = match sm {
        MemberSm::Data(sm) => GroupRaft::new(id, config.clone(), network, log, sm.clone()).await,
        MemberSm::Witness(sm) => {
            let config = witness_config(config).map_err(io::Error::other)?;
            let net = WitnessNetwork::new(network);
            GroupRaft::new(id, Arc::new(config), net, log, sm.clone()).await
        }
    };
    raft.map_err(io::Error::other)
}

/// How a member reaches its peers, and where their RPCs find its core.
#[derive(Clone)]
pub enum Transport {
    /// The cluster bus: peers through `pool`; incoming RPCs are dispatched
    /// by `registry`.
    Bus {
        /// The node's connections to its peers.
        pool: PeerPool,
        /// The node's groups, as the bus server dispatches to them.
        registry: Registry,
    },
    /// In process (standalone, tests): calls go through the router, which
    /// also delivers the peers' calls.
    Local(Router),
}

/// What makes member `node_id` of group `group_id`, storage aside.
#[derive(Clone)]
pub struct MemberSpec {
    /// The group.
    pub group_id: u64,
    /// This node's member id.
    pub node_id: NodeId,
    /// The openraft config (a witness derives its own from it).
    pub config: Arc<openraft::Config>,
    /// Peers and incoming RPCs.
    pub transport: Transport,
}

impl MemberSpec {
    /// Starts a core over `log` and `sm` and makes it the one incoming
    /// RPCs reach.
    pub async fn start_core(
        &self,
        log: GroupLog<GroupConfig>,
        sm: &MemberSm,
    ) -> io::Result<GroupRaft> {
        let id = self.node_id;
        let raft = match &self.transport {
            Transport::Bus { pool, .. } => {
                let network = BusNetwork::new(pool.clone(), self.group_id, id);
                new_core(id, &self.config, network, log, sm).await?
            }
            Transport::Local(router) => {
                new_core(id, &self.config, router.network(id), log, sm).await?
            }
        };
        match &self.transport {
            Transport::Bus { registry, .. } => {
                registry.insert(self.group_id, raft.clone());
            }
            Transport::Local(router) => router.add(id, raft.clone()),
        }
        Ok(raft)
    }
}
