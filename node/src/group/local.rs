//! An in-process transport: every member's `Raft` registered in one
//! [`Router`], and RPCs delivered by calling the target's handler directly.
//!
//! This is what the tests (and later the deterministic simulations) run
//! groups on until the cluster bus carries Raft traffic. It can cut members
//! off ([`Router::isolate`], or one direction of a link with [`Router::cut`]) to make one lag behind, and a member that was
//! removed (a crash) is simply unreachable. The real transport will have
//! the same shape: one client per (member, target), errors mapped to
//! `Unreachable` when the peer cannot be reached and `RemoteError` when its
//! Raft refused.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io;
use std::sync::Arc;

use openraft::error::{
    Fatal, InstallSnapshotError, RPCError, RaftError, RemoteError, ReplicationClosed,
    StreamingError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{BasicNode, Snapshot, Vote};
use parking_lot::Mutex;

use super::types::{GroupConfig, GroupRaft, NodeId};

#[derive(Default)]
struct Members {
    rafts: HashMap<NodeId, GroupRaft>,
    isolated: HashSet<NodeId>,
    /// One-way cuts: `(from, to)` drops every RPC `from` sends to `to`
    /// (responses of calls `to` makes to `from` still flow).
    cut: HashSet<(NodeId, NodeId)>,
}

/// The members of in-process groups, by node id.
#[derive(Clone, Default)]
pub struct Router {
    members: Arc<Mutex<Members>>,
}

impl Router {
    /// An empty router.
    pub fn new() -> Router {
        Router::default()
    }

    /// Registers (or replaces) member `id`.
    pub fn add(&self, id: NodeId, raft: GroupRaft) {
        self.members.lock().rafts.insert(id, raft);
    }

    /// Unregisters member `id` (it becomes unreachable).
    pub fn remove(&self, id: NodeId) -> Option<GroupRaft> {
        self.members.lock().rafts.remove(&id)
    }

    /// Cuts member `id` off from every other (both directions), or heals it.
    pub fn isolate(&self, id: NodeId, cut: bool) {
        let mut m = self.members.lock();
        if cut {
            m.isolated.insert(id);
        } else {
            m.isolated.remove(&id);
        }
    }

    /// Cuts (or heals) the one-way link `from` -> `to`: RPCs `from` sends to
    /// `to` fail as unreachable; traffic the other way is unaffected.
    pub fn cut(&self, from: NodeId, to: NodeId, cut: bool) {
        let mut m = self.members.lock();
        if cut {
            m.cut.insert((from, to));
        } else {
            m.cut.remove(&(from, to));
        }
    }

    /// The transport factory member `from` gives to its `Raft`.
    pub fn network(&self, from: NodeId) -> LocalNetwork {
        LocalNetwork {
            router: self.clone(),
            from,
        }
    }

    /// The target's Raft, if reachable from `from`.
    fn reach(&self, from: NodeId, to: NodeId) -> Result<GroupRaft, Unreachable> {
        let m = self.members.lock();
        let down = |why: &str| {
            Unreachable::new(&io::Error::new(
                io::ErrorKind::NotConnected,
                why.to_string(),
            ))
        };
        if m.isolated.contains(&from) || m.isolated.contains(&to) || m.cut.contains(&(from, to)) {
            return Err(down("partitioned"));
        }
        m.rafts
            .get(&to)
            .cloned()
            .ok_or_else(|| down("no such member"))
    }
}

/// Member `from`'s transport factory.
pub struct LocalNetwork {
    router: Router,
    from: NodeId,
}

impl RaftNetworkFactory<GroupConfig> for LocalNetwork {
    type Network = LocalClient;

    async fn new_client(&mut self, target: NodeId, _node: &BasicNode) -> LocalClient {
        LocalClient {
            router: self.router.clone(),
            from: self.from,
            to: target,
        }
    }
}

/// A connection from one member to another.
pub struct LocalClient {
    router: Router,
    from: NodeId,
    to: NodeId,
}

type RpcResult<T, E = openraft::error::Infallible> =
    Result<T, RPCError<NodeId, BasicNode, RaftError<NodeId, E>>>;

impl LocalClient {
    fn target(&self) -> Result<GroupRaft, Unreachable> {
        self.router.reach(self.from, self.to)
    }

    fn remote<E: std::error::Error>(
        &self,
        e: RaftError<NodeId, E>,
    ) -> RPCError<NodeId, BasicNode, RaftError<NodeId, E>> {
        RPCError::RemoteError(RemoteError::new(self.to, e))
    }
}

impl RaftNetwork<GroupConfig> for LocalClient {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<GroupConfig>,
        _option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<NodeId>> {
        let raft = self.target().map_err(RPCError::Unreachable)?;
        raft.append_entries(rpc).await.map_err(|e| self.remote(e))
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        _option: RPCOption,
    ) -> RpcResult<VoteResponse<NodeId>> {
        let raft = self.target().map_err(RPCError::Unreachable)?;
        raft.vote(rpc).await.map_err(|e| self.remote(e))
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<GroupConfig>,
        _option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<NodeId>, InstallSnapshotError> {
        let raft = self.target().map_err(RPCError::Unreachable)?;
        raft.install_snapshot(rpc).await.map_err(|e| self.remote(e))
    }

    /// In process the whole snapshot is handed over at once (no chunks).
    async fn full_snapshot(
        &mut self,
        vote: Vote<NodeId>,
        snapshot: Snapshot<GroupConfig>,
        _cancel: impl Future<Output = ReplicationClosed> + Send + 'static,
        _option: RPCOption,
    ) -> Result<SnapshotResponse<NodeId>, StreamingError<GroupConfig, Fatal<NodeId>>> {
        let raft = self
            .router
            .reach(self.from, self.to)
            .map_err(StreamingError::Unreachable)?;
        raft.install_full_snapshot(vote, snapshot)
            .await
            .map_err(|e| StreamingError::RemoteError(RemoteError::new(self.to, e)))
    }
}
