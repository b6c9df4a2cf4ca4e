//! A stopgap Raft transport for the simulation: bincode over turmoil TCP.
//!
//! **Temporary.** It exists only so the simulation can run today; it is
//! replaced by the node's tonic transport (`node/src/group/network`) once
//! that is generic over its connector and listener, at which point turmoil's
//! `TcpStream`/`TcpListener` are plugged into the real one and this module
//! goes away. It is deliberately minimal: one connection per RPC (no
//! pooling), a length-prefixed bincode request and reply, the RPC's hard
//! TTL as its timeout, every I/O failure reported as `Unreachable`.

use std::io;
use std::time::Duration;

use openraft::error::{InstallSnapshotError, RPCError, RaftError, RemoteError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::BasicNode;
use serde::{Deserialize, Serialize};
use slotraft::group::types::{GroupConfig, GroupRaft, NodeId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use turmoil::net::{TcpListener, TcpStream};

/// The port every member listens on.
pub const PORT: u16 = 9000;

/// Turmoil host name of member `id`.
pub fn host_name(id: NodeId) -> String {
    format!("n{id}")
}

#[derive(Serialize, Deserialize)]
enum Request {
    Append(AppendEntriesRequest<GroupConfig>),
    Vote(VoteRequest<NodeId>),
    Snapshot(InstallSnapshotRequest<GroupConfig>),
}

#[derive(Serialize, Deserialize)]
enum Reply {
    Append(Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>>),
    Vote(Result<VoteResponse<NodeId>, RaftError<NodeId>>),
    Snapshot(Result<InstallSnapshotResponse<NodeId>, RaftError<NodeId, InstallSnapshotError>>),
}

async fn write_frame<T: Serialize>(s: &mut TcpStream, v: &T) -> io::Result<()> {
    let bytes = bincode::serialize(v).map_err(io::Error::other)?;
    s.write_u32(bytes.len() as u32).await?;
    s.write_all(&bytes).await?;
    s.flush().await
}

async fn read_frame<T: for<'de> Deserialize<'de>>(s: &mut TcpStream) -> io::Result<T> {
    let len = s.read_u32().await? as usize;
    let mut buf = vec![0u8; len];
    s.read_exact(&mut buf).await?;
    bincode::deserialize(&buf).map_err(io::Error::other)
}

/// Serves Raft RPCs for `raft` on [`PORT`] until the host stops.
pub async fn serve(raft: GroupRaft) -> io::Result<()> {
    let listener = TcpListener::bind(("0.0.0.0", PORT)).await?;
    loop {
        let (mut stream, _) = listener.accept().await?;
        let raft = raft.clone();
        tokio::spawn(async move {
            let Ok(req) = read_frame::<Request>(&mut stream).await else {
                return;
            };
            let reply = match req {
                Request::Append(r) => Reply::Append(raft.append_entries(r).await),
                Request::Vote(r) => Reply::Vote(raft.vote(r).await),
                Request::Snapshot(r) => Reply::Snapshot(raft.install_snapshot(r).await),
            };
            let _ = write_frame(&mut stream, &reply).await;
        });
    }
}

/// The transport factory a member hands its `Raft`.
pub struct SimNetwork;

impl RaftNetworkFactory<GroupConfig> for SimNetwork {
    type Network = SimClient;

    async fn new_client(&mut self, target: NodeId, _node: &BasicNode) -> SimClient {
        SimClient { to: target }
    }
}

/// RPCs from one member to `to`.
pub struct SimClient {
    to: NodeId,
}

type RpcError<E = openraft::error::Infallible> = RPCError<NodeId, BasicNode, RaftError<NodeId, E>>;

impl SimClient {
    async fn call(&self, req: Request, ttl: Duration) -> Result<Reply, Unreachable> {
        let to = host_name(self.to);
        let exchange = async {
            let mut s = TcpStream::connect((to.as_str(), PORT)).await?;
            write_frame(&mut s, &req).await?;
            read_frame::<Reply>(&mut s).await
        };
        match tokio::time::timeout(ttl, exchange).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(Unreachable::new(&e)),
            Err(_) => Err(Unreachable::new(&io::Error::new(
                io::ErrorKind::TimedOut,
                format!("rpc to {to} timed out"),
            ))),
        }
    }

    fn remote<E: std::error::Error>(&self, e: RaftError<NodeId, E>) -> RpcError<E> {
        RPCError::RemoteError(RemoteError::new(self.to, e))
    }
}

fn mismatch<E: std::error::Error>() -> RpcError<E> {
    RPCError::Unreachable(Unreachable::new(&io::Error::other("reply of another kind")))
}

impl RaftNetwork<GroupConfig> for SimClient {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<GroupConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RpcError> {
        match self.call(Request::Append(rpc), option.hard_ttl()).await {
            Ok(Reply::Append(r)) => r.map_err(|e| self.remote(e)),
            Ok(_) => Err(mismatch()),
            Err(u) => Err(RPCError::Unreachable(u)),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RpcError> {
        match self.call(Request::Vote(rpc), option.hard_ttl()).await {
            Ok(Reply::Vote(r)) => r.map_err(|e| self.remote(e)),
            Ok(_) => Err(mismatch()),
            Err(u) => Err(RPCError::Unreachable(u)),
        }
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<GroupConfig>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<NodeId>, RpcError<InstallSnapshotError>> {
        match self.call(Request::Snapshot(rpc), option.hard_ttl()).await {
            Ok(Reply::Snapshot(r)) => r.map_err(|e| self.remote(e)),
            Ok(_) => Err(mismatch()),
            Err(u) => Err(RPCError::Unreachable(u)),
        }
    }
}
