//! The `RaftBus` server: dispatches each Raft RPC by group id to the
//! node's [`Registry`].
//!
//! A request meant for another node id, or for a group this node does not
//! hold, is answered with a typed [`BusError`] (and logged); a request
//! whose bytes do not decode is answered with `InvalidArgument`. Neither
//! reaches Raft, and neither stops the server.

use std::future::Future;
use std::io::Cursor;
use std::net::SocketAddr;

use openraft::{BasicNode, Snapshot, SnapshotMeta, Vote};
use serde::Serialize;
use slotraft_proto::raftbus::{
    bus_error, raft_reply, snapshot_chunk, BusError, Envelope, RaftReply, RaftRequest,
    SnapshotChunk, UnknownGroup, WrongTarget,
};
use slotraft_proto::{RaftBus, RaftBusServer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_stream::Stream;
use tonic::transport::server::Connected;
use tonic::transport::Server;
use tonic::{Request, Response, Status, Streaming};

use super::control::{self, Control};
use super::{decode, encode, CONNECTION_WINDOW, MAX_MESSAGE_SIZE, STREAM_WINDOW};
use crate::group::registry::Registry;
use crate::group::types::{GroupConfig, GroupRaft, NodeId};

/// Preallocate at most this much for an announced snapshot size: the size
/// comes from the peer and is only a hint.
const MAX_PREALLOC: u64 = 64 << 20;

/// The `RaftBus` implementation of one node.
#[derive(Clone)]
pub struct BusService {
    registry: Registry,
}

impl BusService {
    /// The service dispatching to `registry`'s groups.
    pub fn new(registry: Registry) -> BusService {
        BusService { registry }
    }

    /// The group an envelope addresses, or the typed refusal.
    fn route(&self, envelope: Option<Envelope>, rpc: &str) -> Result<GroupRaft, Refused> {
        let env = envelope.ok_or_else(|| Refused::Status(invalid("request has no envelope")))?;
        let own = self.registry.node_id();
        if env.target_node != own {
            tracing::warn!(
                rpc,
                group = env.group_id,
                from = env.from_node,
                target = env.target_node,
                own,
                "raft bus: refused a request meant for another node"
            );
            return Err(Refused::Bus(bus_error::Kind::WrongTarget(WrongTarget {
                target_node: env.target_node,
                actual_node: own,
            })));
        }
        self.registry.get(env.group_id).ok_or_else(|| {
            tracing::warn!(
                rpc,
                group = env.group_id,
                from = env.from_node,
                "raft bus: refused a request for a group this node does not hold"
            );
            Refused::Bus(bus_error::Kind::UnknownGroup(UnknownGroup {
                group_id: env.group_id,
            }))
        })
    }
}

/// Why a request did not reach Raft.
enum Refused {
    /// Answered with a typed error in the reply.
    Bus(bus_error::Kind),
    /// Answered with a gRPC status (malformed request).
    Status(Status),
}

impl Refused {
    fn into_reply(self) -> Result<Response<RaftReply>, Status> {
        match self {
            Refused::Bus(kind) => Ok(Response::new(error_reply(kind))),
            Refused::Status(s) => Err(s),
        }
    }
}

fn invalid(what: impl std::fmt::Display) -> Status {
    Status::invalid_argument(what.to_string())
}

fn error_reply(kind: bus_error::Kind) -> RaftReply {
    RaftReply {
        result: Some(raft_reply::Result::Error(BusError { kind: Some(kind) })),
    }
}

/// Raft's answer as a reply: the response, or its error, as bincode.
fn raft_reply<T: Serialize, E: Serialize>(res: Result<T, E>) -> Response<RaftReply> {
    Response::new(match res {
        Ok(v) => RaftReply {
            result: Some(raft_reply::Result::Ok(encode(&v))),
        },
        Err(e) => error_reply(bus_error::Kind::RaftError(encode(&e))),
    })
}

#[tonic::async_trait]
impl RaftBus for BusService {
    async fn append_entries(
        &self,
        request: Request<RaftRequest>,
    ) -> Result<Response<RaftReply>, Status> {
        let req = request.into_inner();
        let raft = match self.route(req.envelope, "append_entries") {
            Ok(raft) => raft,
            Err(refused) => return refused.into_reply(),
        };
        let rpc = decode(&req.payload).map_err(|e| invalid(format!("append_entries: {e}")))?;
        Ok(raft_reply(raft.append_entries(rpc).await))
    }

    async fn vote(&self, request: Request<RaftRequest>) -> Result<Response<RaftReply>, Status> {
        let req = request.into_inner();
        let raft = match self.route(req.envelope, "vote") {
            Ok(raft) => raft,
            Err(refused) => return refused.into_reply(),
        };
        let rpc = decode(&req.payload).map_err(|e| invalid(format!("vote: {e}")))?;
        Ok(raft_reply(raft.vote(rpc).await))
    }

    async fn control(&self, request: Request<RaftRequest>) -> Result<Response<RaftReply>, Status> {
        let req = request.into_inner();
        let raft = match self.route(req.envelope, "control") {
            Ok(raft) => raft,
            Err(refused) => return refused.into_reply(),
        };
        let ctl: Control = decode(&req.payload).map_err(|e| invalid(format!("control: {e}")))?;
        Ok(raft_reply(control::handle(&raft, ctl).await))
    }

    /// Receives the whole snapshot before installing anything: a stream
    /// cut short never reaches the state machine.
    async fn install_snapshot(
        &self,
        request: Request<Streaming<SnapshotChunk>>,
    ) -> Result<Response<RaftReply>, Status> {
        let mut stream = request.into_inner();
        let header = match stream.message().await?.and_then(|c| c.part) {
            Some(snapshot_chunk::Part::Header(h)) => h,
            _ => return Err(invalid("snapshot stream must start with a header")),
        };
        let raft = match self.route(header.envelope, "install_snapshot") {
            Ok(raft) => raft,
            Err(refused) => return refused.into_reply(),
        };
        let vote: Vote<NodeId> =
            decode(&header.vote).map_err(|e| invalid(format!("snapshot vote: {e}")))?;
        let meta: SnapshotMeta<NodeId, BasicNode> =
            decode(&header.meta).map_err(|e| invalid(format!("snapshot meta: {e}")))?;
        let mut data = Vec::with_capacity(header.total_size.min(MAX_PREALLOC) as usize);
        let mut chunks = 0u64;
        while let Some(chunk) = stream.message().await? {
            match chunk.part {
                Some(snapshot_chunk::Part::Data(bytes)) => {
                    data.extend_from_slice(&bytes);
                    chunks += 1;
                }
                _ => return Err(invalid("snapshot stream: a second header")),
            }
        }
        if data.len() as u64 != header.total_size {
            return Err(invalid(format!(
                "snapshot stream: {} bytes received, {} announced",
                data.len(),
                header.total_size
            )));
        }
        tracing::info!(
            group = header.envelope.map_or(0, |e| e.group_id),
            bytes = data.len(),
            chunks,
            "raft bus: snapshot received, installing"
        );
        let snapshot = Snapshot::<GroupConfig> {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        };
        Ok(raft_reply(raft.install_full_snapshot(vote, snapshot).await))
    }
}

/// The tonic service for `registry`, with the bus's message size limits.
pub fn bus_server(registry: Registry) -> RaftBusServer<BusService> {
    RaftBusServer::new(BusService::new(registry))
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE)
}

/// The bus server's transport settings, for [`serve`] and
/// [`serve_with_incoming_shutdown`], and for a caller that serves
/// [`bus_server`] itself (the simulation adds a layer).
pub fn bus_transport() -> Server {
    Server::builder()
        .tcp_nodelay(true)
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
}

/// Serves `registry`'s groups on `addr` until `shutdown` resolves.
pub async fn serve(
    registry: Registry,
    addr: SocketAddr,
    shutdown: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    bus_transport()
        .add_service(bus_server(registry))
        .serve_with_shutdown(addr, shutdown)
        .await
}

/// Serves `registry`'s groups on every connection `incoming` yields until
/// `shutdown` resolves. For a listener bound elsewhere (a
/// `tonic::transport::server::TcpIncoming` on an ephemeral port) or a
/// simulated network whose streams implement `Connected`.
pub async fn serve_with_incoming_shutdown<I, IO, IE>(
    registry: Registry,
    incoming: I,
    shutdown: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error>
where
    I: Stream<Item = Result<IO, IE>>,
    IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
    IE: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    bus_transport()
        .add_service(bus_server(registry))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}
