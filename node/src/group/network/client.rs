//! The sending side of the Raft transport: a pool of per-peer channels and
//! the openraft network of one (group, node) on top of it.
//!
//! One HTTP/2 channel per peer node carries every group's traffic to it.
//! A channel is created on first use from the pool's address book
//! ([`PeerPool::set_addr`]; openraft's `BasicNode.addr` is not consulted,
//! so a peer's bus address can change without a membership change).
//! When a peer cannot be reached the pool backs off: for a growing delay
//! (50 ms doubling up to 1 s) every RPC to it fails at once as
//! `Unreachable` instead of each group dialling it again, and the next
//! RPC after the delay makes a fresh connection.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use openraft::error::{
    Fatal, InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, ReplicationClosed,
    StreamingError, Timeout, Unreachable,
};
use openraft::network::{RPCOption, RPCTypes, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{AnyError, BasicNode, Snapshot, Vote};
use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use slotraft_proto::raftbus::{
    bus_error, raft_reply, snapshot_chunk, Envelope, RaftReply, RaftRequest, SnapshotChunk,
    SnapshotHeader,
};
use slotraft_proto::RaftBusClient;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{Channel, Endpoint, Uri};
use tonic::{Code, Status};
use tower_service::Service;

use super::control::{Control, CONTROL_TIMEOUT};
use super::{
    decode, encode, CONNECTION_WINDOW, MAX_MESSAGE_SIZE, SNAPSHOT_CHUNK_SIZE, STREAM_WINDOW,
};
use crate::group::types::{GroupConfig, NodeId};

/// The first delay after a failed connection; it doubles per failure.
const BACKOFF_MIN: Duration = Duration::from_millis(50);
/// The longest delay between two connection attempts to one peer.
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// How long establishing a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// HTTP/2 pings on an idle connection, so a peer that vanished without
/// closing its socket is noticed and the channel reconnects.
const KEEPALIVE: Duration = Duration::from_secs(5);

/// Turns an endpoint into a lazily connecting channel.
type MakeChannel = Arc<dyn Fn(&Endpoint) -> Channel + Send + Sync>;

struct Peer {
    addr: String,
    channel: Option<Channel>,
    /// Bumped whenever `channel` is replaced, so a failure seen on an old
    /// channel does not penalise its successor.
    generation: u64,
    failures: u32,
    retry_at: Option<Instant>,
}

struct Pool {
    peers: Mutex<HashMap<NodeId, Peer>>,
    make: MakeChannel,
}

/// One channel per peer node, shared by every group of this node. Cheap
/// to clone: clones share the channels and the address book.
#[derive(Clone)]
pub struct PeerPool {
    pool: Arc<Pool>,
}

impl Default for PeerPool {
    fn default() -> PeerPool {
        PeerPool::new()
    }
}

impl PeerPool {
    /// A pool that dials peers over TCP with tonic's own connector.
    pub fn new() -> PeerPool {
        PeerPool::with_make(Arc::new(|ep: &Endpoint| ep.connect_lazy()))
    }

    /// A pool that dials peers with `connector` (called with the peer's
    /// `http://<addr>` URI; it returns the connection, e.g. a simulated
    /// TCP stream wrapped in hyper-util's `TokioIo`), on each peer's
    /// endpoint as `tune` changes it (the simulation turns off HTTP/2
    /// behaviour that follows the wall clock).
    pub fn with_connector<C>(connector: C, tune: fn(Endpoint) -> Endpoint) -> PeerPool
    where
        C: Service<Uri> + Clone + Send + Sync + 'static,
        C::Response: hyper::rt::Read + hyper::rt::Write + Send + Unpin,
        C::Future: Send,
        Box<dyn std::error::Error + Send + Sync>: From<C::Error> + Send,
    {
        PeerPool::with_make(Arc::new(move |ep: &Endpoint| {
            tune(ep.clone()).connect_with_connector_lazy(connector.clone())
        }))
    }

    fn with_make(make: MakeChannel) -> PeerPool {
        PeerPool {
            pool: Arc::new(Pool {
                peers: Mutex::default(),
                make,
            }),
        }
    }

    /// Sets node `node`'s bus address (`host:port`). A changed address
    /// drops the old channel; the next RPC dials the new one at once.
    pub fn set_addr(&self, node: NodeId, addr: impl Into<String>) {
        let addr = addr.into();
        let mut peers = self.pool.peers.lock();
        match peers.get_mut(&node) {
            Some(p) if p.addr == addr => {}
            Some(p) => {
                p.addr = addr;
                p.channel = None;
                p.generation += 1;
                p.failures = 0;
                p.retry_at = None;
            }
            None => {
                peers.insert(
                    node,
                    Peer {
                        addr,
                        channel: None,
                        generation: 0,
                        failures: 0,
                        retry_at: None,
                    },
                );
            }
        }
    }

    /// Node `node`'s bus address, if known.
    pub fn addr(&self, node: NodeId) -> Option<String> {
        self.pool.peers.lock().get(&node).map(|p| p.addr.clone())
    }

    /// Forgets node `node` (its address and channel).
    pub fn remove(&self, node: NodeId) {
        self.pool.peers.lock().remove(&node);
    }

    /// The channel to `node` and its generation, or why there is none
    /// (no address, or backing off after a failure).
    fn channel(&self, node: NodeId) -> Result<(Channel, u64), Unreachable> {
        let mut peers = self.pool.peers.lock();
        let peer = peers
            .get_mut(&node)
            .ok_or_else(|| unreachable(format!("no bus address for node {node}")))?;
        if let Some(at) = peer.retry_at {
            if Instant::now() < at {
                return Err(unreachable(format!(
                    "node {node} at {}: backing off after {} failed attempts",
                    peer.addr, peer.failures
                )));
            }
        }
        if let Some(ch) = &peer.channel {
            return Ok((ch.clone(), peer.generation));
        }
        let endpoint = Endpoint::from_shared(format!("http://{}", peer.addr))
            .map_err(|e| unreachable(format!("node {node}: bad bus address {}: {e}", peer.addr)))?
            .tcp_nodelay(true)
            .connect_timeout(CONNECT_TIMEOUT)
            .http2_keep_alive_interval(KEEPALIVE)
            .keep_alive_timeout(KEEPALIVE)
            .initial_stream_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW);
        let ch = (self.pool.make)(&endpoint);
        peer.channel = Some(ch.clone());
        Ok((ch, peer.generation))
    }

    /// An RPC over generation `generation` of `node`'s channel reached the
    /// peer: clear its backoff.
    fn succeeded(&self, node: NodeId, generation: u64) {
        if let Some(p) = self.pool.peers.lock().get_mut(&node) {
            if p.generation == generation {
                p.failures = 0;
                p.retry_at = None;
            }
        }
    }

    /// `node` could not be reached over generation `generation`: drop the
    /// channel and back off before the next connection attempt.
    fn failed(&self, node: NodeId, generation: u64) {
        if let Some(p) = self.pool.peers.lock().get_mut(&node) {
            if p.generation == generation {
                p.failures = p.failures.saturating_add(1);
                let delay = BACKOFF_MIN
                    .saturating_mul(1 << (p.failures - 1).min(16))
                    .min(BACKOFF_MAX);
                p.retry_at = Some(Instant::now() + delay);
                p.channel = None;
                p.generation += 1;
            }
        }
    }
}

fn unreachable(why: String) -> Unreachable {
    Unreachable::new(&AnyError::error(why))
}

impl PeerPool {
    /// Sends control request `req` to group `group_id`'s member on node
    /// `to`, from node `from`; waits for its outcome.
    pub async fn control(
        &self,
        from: NodeId,
        to: NodeId,
        group_id: u64,
        req: &Control,
    ) -> Result<(), String> {
        let client = BusClient {
            pool: self.clone(),
            envelope: Envelope {
                group_id,
                target_node: to,
                from_node: from,
            },
        };
        let (mut grpc, generation) = client.connect().map_err(|e| e.to_string())?;
        let call = grpc.control(client.request(encode(req)));
        let res = tokio::time::timeout(CONTROL_TIMEOUT + Duration::from_secs(1), call)
            .await
            .map_err(|_| format!("node {to}: control request timed out"))?;
        match client.outcome::<Result<(), String>, String>(generation, res) {
            Ok(inner) => inner,
            Err(Failure::Unreachable(e)) => Err(e.to_string()),
            Err(Failure::Network(e)) => Err(e.to_string()),
            Err(Failure::Remote(e)) => Err(e),
        }
    }
}

/// The openraft network factory of one group on one node: its clients
/// send over the node's shared [`PeerPool`].
#[derive(Clone)]
pub struct BusNetwork {
    pool: PeerPool,
    group_id: u64,
    node_id: NodeId,
}

impl BusNetwork {
    /// The network of group `group_id`'s member on node `node_id`.
    pub fn new(pool: PeerPool, group_id: u64, node_id: NodeId) -> BusNetwork {
        BusNetwork {
            pool,
            group_id,
            node_id,
        }
    }
}

impl RaftNetworkFactory<GroupConfig> for BusNetwork {
    type Network = BusClient;

    /// `_node.addr` is ignored: the pool's address book is the truth.
    async fn new_client(&mut self, target: NodeId, _node: &BasicNode) -> BusClient {
        BusClient {
            pool: self.pool.clone(),
            envelope: Envelope {
                group_id: self.group_id,
                target_node: target,
                from_node: self.node_id,
            },
        }
    }
}

/// One group's connection from this node to one peer.
pub struct BusClient {
    pool: PeerPool,
    envelope: Envelope,
}

/// Why a reply carried no response.
enum Failure<E> {
    Unreachable(Unreachable),
    Network(NetworkError),
    Remote(E),
}

impl<E: std::error::Error> Failure<E> {
    fn into_rpc(self, client: &BusClient) -> RPCError<NodeId, BasicNode, E> {
        match self {
            Failure::Unreachable(e) => RPCError::Unreachable(e),
            Failure::Network(e) => RPCError::Network(e),
            Failure::Remote(e) => RPCError::RemoteError(RemoteError::new(client.target(), e)),
        }
    }
}

fn network(why: String) -> NetworkError {
    NetworkError::new(&AnyError::error(why))
}

type RpcResult<T, E = openraft::error::Infallible> =
    Result<T, RPCError<NodeId, BasicNode, RaftError<NodeId, E>>>;

impl BusClient {
    fn target(&self) -> NodeId {
        self.envelope.target_node
    }

    fn timeout(&self, action: RPCTypes, timeout: Duration) -> Timeout<NodeId> {
        Timeout {
            action,
            id: self.envelope.from_node,
            target: self.target(),
            timeout,
        }
    }

    fn connect(&self) -> Result<(RaftBusClient<Channel>, u64), Unreachable> {
        let (channel, generation) = self.pool.channel(self.target())?;
        let client = RaftBusClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE);
        Ok((client, generation))
    }

    /// Classifies a call's outcome, reporting reachability to the pool.
    fn outcome<T: DeserializeOwned, E: DeserializeOwned>(
        &self,
        generation: u64,
        result: Result<tonic::Response<RaftReply>, Status>,
    ) -> Result<T, Failure<E>> {
        let target = self.target();
        let reply = match result {
            Ok(r) => {
                self.pool.succeeded(target, generation);
                r.into_inner()
            }
            Err(status) => return Err(self.transport_failure(generation, status)),
        };
        match reply.result {
            Some(raft_reply::Result::Ok(bytes)) => decode(&bytes)
                .map_err(|e| Failure::Network(network(format!("node {target}: bad reply: {e}")))),
            Some(raft_reply::Result::Error(err)) => match err.kind {
                Some(bus_error::Kind::RaftError(bytes)) => match decode(&bytes) {
                    Ok(e) => Err(Failure::Remote(e)),
                    Err(e) => Err(Failure::Network(network(format!(
                        "node {target}: bad error reply: {e}"
                    )))),
                },
                // The address book points at the wrong node, or the peer
                // does not hold the group (yet): retrying at once would
                // not help, so back off like for a dead peer.
                Some(bus_error::Kind::WrongTarget(w)) => {
                    Err(Failure::Unreachable(unreachable(format!(
                        "the bus address of node {} reached node {}",
                        w.target_node, w.actual_node
                    ))))
                }
                Some(bus_error::Kind::UnknownGroup(g)) => Err(Failure::Unreachable(unreachable(
                    format!("node {target} does not hold group {}", g.group_id),
                ))),
                None => Err(Failure::Network(network(format!(
                    "node {target}: empty error reply"
                )))),
            },
            None => Err(Failure::Network(network(format!(
                "node {target}: empty reply"
            )))),
        }
    }

    /// A gRPC failure: the peer could not be reached (back off), refused
    /// our bytes (back off: resending them will not help), or the call
    /// broke (retry).
    fn transport_failure<E>(&self, generation: u64, status: Status) -> Failure<E> {
        let why = format!(
            "node {} at {}: {}: {}",
            self.target(),
            self.pool.addr(self.target()).unwrap_or_default(),
            status.code(),
            status.message()
        );
        match status.code() {
            Code::Unavailable => {
                self.pool.failed(self.target(), generation);
                Failure::Unreachable(unreachable(why))
            }
            Code::InvalidArgument => Failure::Unreachable(unreachable(why)),
            _ => Failure::Network(network(why)),
        }
    }

    fn request(&self, payload: Bytes) -> RaftRequest {
        RaftRequest {
            envelope: Some(self.envelope),
            payload,
        }
    }
}

impl RaftNetwork<GroupConfig> for BusClient {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<GroupConfig>,
        option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<NodeId>> {
        // openraft 0.9's TTL here is the heartbeat interval and must cover
        // the round trip plus the follower's fdatasync: use all of it (a
        // soft 3/4 cut turned fsync spikes on a loaded disk into retries).
        let ttl = option.hard_ttl();
        let (mut client, generation) = self.connect().map_err(RPCError::Unreachable)?;
        let req = self.request(encode(&rpc));
        match tokio::time::timeout(ttl, client.append_entries(req)).await {
            Ok(res) => self.outcome(generation, res).map_err(|f| f.into_rpc(self)),
            Err(_) => Err(RPCError::Timeout(
                self.timeout(RPCTypes::AppendEntries, ttl),
            )),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> RpcResult<VoteResponse<NodeId>> {
        let ttl = option.soft_ttl();
        let (mut client, generation) = self.connect().map_err(RPCError::Unreachable)?;
        let req = self.request(encode(&rpc));
        match tokio::time::timeout(ttl, client.vote(req)).await {
            Ok(res) => self.outcome(generation, res).map_err(|f| f.into_rpc(self)),
            Err(_) => Err(RPCError::Timeout(self.timeout(RPCTypes::Vote, ttl))),
        }
    }

    /// Never called: openraft sends snapshots through
    /// [`full_snapshot`](Self::full_snapshot), which this transport
    /// streams. The chunked protocol has no RPC on the bus, so a caller
    /// gets an error rather than a snapshot half-installed.
    async fn install_snapshot(
        &mut self,
        _rpc: InstallSnapshotRequest<GroupConfig>,
        _option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<NodeId>, InstallSnapshotError> {
        Err(RPCError::Unreachable(unreachable(
            "chunked install_snapshot is not carried by the bus; snapshots are streamed whole"
                .to_string(),
        )))
    }

    /// Streams the snapshot: a header (vote, metadata, size), then chunks
    /// of `option.snapshot_chunk_size()` (1 MiB by default). Every chunk
    /// must be taken by the transport within the hard TTL, and the reply
    /// must come within the hard TTL after the last one, so a large
    /// snapshot is bounded by progress rather than by one total deadline.
    async fn full_snapshot(
        &mut self,
        vote: Vote<NodeId>,
        snapshot: Snapshot<GroupConfig>,
        cancel: impl Future<Output = ReplicationClosed> + Send + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<NodeId>, StreamingError<GroupConfig, Fatal<NodeId>>> {
        let ttl = option.hard_ttl();
        let chunk_size = option
            .snapshot_chunk_size()
            .unwrap_or(SNAPSHOT_CHUNK_SIZE)
            .clamp(1, MAX_MESSAGE_SIZE / 2);
        let (mut client, generation) = self.connect().map_err(StreamingError::Unreachable)?;
        let data = Bytes::from(snapshot.snapshot.into_inner());
        let header = SnapshotChunk {
            part: Some(snapshot_chunk::Part::Header(SnapshotHeader {
                envelope: Some(self.envelope),
                vote: encode(&vote),
                meta: encode(&snapshot.meta),
                total_size: data.len() as u64,
            })),
        };
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        let feed = async move {
            let chunks = (0..data.len())
                .step_by(chunk_size)
                .map(|at| data.slice(at..(at + chunk_size).min(data.len())));
            let parts = std::iter::once(header).chain(chunks.map(|c| SnapshotChunk {
                part: Some(snapshot_chunk::Part::Data(c)),
            }));
            for part in parts {
                match tokio::time::timeout(ttl, tx.send(part)).await {
                    Ok(Ok(())) => {}
                    // The call ended (the peer answered or the connection
                    // broke): its result says which.
                    Ok(Err(_)) => return Ok(()),
                    Err(_) => return Err(()),
                }
            }
            Ok(())
        };
        let exchange = async {
            let call = client.install_snapshot(ReceiverStream::new(rx));
            tokio::pin!(call);
            tokio::select! {
                res = &mut call => return Some(res),
                fed = feed => if fed.is_err() { return None },
            }
            tokio::time::timeout(ttl, call).await.ok()
        };
        let res = tokio::select! {
            closed = cancel => return Err(StreamingError::Closed(closed)),
            res = exchange => res,
        };
        let Some(res) = res else {
            return Err(StreamingError::Timeout(
                self.timeout(RPCTypes::InstallSnapshot, ttl),
            ));
        };
        self.outcome(generation, res).map_err(|f| match f {
            Failure::Unreachable(e) => StreamingError::Unreachable(e),
            Failure::Network(e) => StreamingError::Network(e),
            Failure::Remote(e) => StreamingError::RemoteError(RemoteError::new(self.target(), e)),
        })
    }
}
