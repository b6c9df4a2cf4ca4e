//! The node's cluster bus (tonic, `slotraft::group::network`) over
//! turmoil's simulated TCP: a connector for [`PeerPool::with_connector`],
//! an accept stream and the node's bus server on it ([`serve`]). Nothing here
//! speaks Raft; it only moves the real transport's bytes through turmoil,
//! so partitions, holds, latency and loss apply to them.
//!
//! What would make the bytes on the wire depend on the host rather than
//! the seed is fixed here: crashes close a host's streams in a fixed order
//! ([`Sockets`]), reset streams are remembered for the whole run
//! ([`endpoint`]), responses carry a fixed `date` ([`serve`]). [`Wire`]
//! digests what was sent, so two runs of a seed can be compared byte for
//! byte.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::hash::{DefaultHasher, Hasher};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use slotraft::group::network::{bus_server, bus_transport, PeerPool};
use slotraft::group::registry::Registry;
use slotraft::group::types::NodeId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::http;
use tonic::transport::server::Connected;
use tonic::transport::{Endpoint, Uri};
use tower::util::MapResponseLayer;
use turmoil::net::{TcpListener, TcpStream};

/// The bus port every simulated node listens on.
pub const BUS_PORT: u16 = 9000;

/// Turmoil host name of node `id`.
pub fn host_name(id: NodeId) -> String {
    format!("n{id}")
}

/// The bus streams of one run of a host's software, for its crash.
///
/// Turmoil crashes a host by dropping its tokio runtime, which drops the
/// runtime's tasks in the order of their tokio task ids modulo 4 (the
/// current-thread scheduler's task list has four shards). Task ids come
/// from one process-wide counter, so that order changes with how many
/// tasks the process made before (the other run of a seed, a test running
/// beside). Each dropped stream sends a FIN or RST, and each send draws
/// from the simulation's rng: the drop order would change every later
/// latency. So a stream dropped while its host crashes is parked here
/// instead, and [`CloseOnDrop`] closes the parked ones in address order
/// once the runtime's tasks are gone.
pub struct Sockets {
    crashing: AtomicBool,
    parked: Mutex<BTreeMap<Pair, TcpStream>>,
    wire: Arc<Mutex<Wire>>,
}

/// A stream's (local, peer) addresses.
type Pair = (SocketAddr, SocketAddr);

impl Sockets {
    /// A host's streams, their traffic digested into `wire`.
    pub fn new(wire: Arc<Mutex<Wire>>) -> Sockets {
        Sockets {
            crashing: AtomicBool::new(false),
            parked: Mutex::default(),
            wire,
        }
    }

    /// The host is about to crash: park its streams as they are dropped.
    pub fn crashing(&self) {
        self.crashing.store(true, Ordering::SeqCst);
    }
}

/// A digest of everything written onto the bus (simulated time, addresses,
/// bytes) and of every close. Two runs of a seed must agree on it, which
/// catches what their histories do not show (a snapshot's bytes, a packet
/// that has not changed an outcome yet).
#[derive(Default)]
pub struct Wire {
    hash: DefaultHasher,
    writes: u64,
    closes: u64,
}

impl Wire {
    fn pair(&mut self, (local, peer): Pair) {
        self.hash.write(local.to_string().as_bytes());
        self.hash.write(peer.to_string().as_bytes());
    }

    fn write(&mut self, pair: Pair, bytes: &[u8]) {
        self.writes += 1;
        let now = turmoil::sim_elapsed().unwrap_or_default();
        self.hash.write_u128(now.as_nanos());
        self.pair(pair);
        self.hash.write(bytes);
    }

    /// No time: a crash closes streams outside the host's runtime, where
    /// turmoil's clock would read the wall clock.
    fn close(&mut self, pair: Pair) {
        self.closes += 1;
        self.pair(pair);
    }
}

impl fmt::Display for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wire: {} writes, {} closes, digest {:016x}",
            self.writes,
            self.closes,
            self.hash.finish()
        )
    }
}

/// Closes a host's parked streams, in (local, peer) address order, when
/// dropped. The host's software holds it: turmoil drops the software's
/// task (a `LocalSet` task) after the runtime and its tasks.
pub struct CloseOnDrop(pub Arc<Sockets>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        let parked = std::mem::take(&mut *self.0.parked.lock().unwrap());
        for (pair, stream) in parked {
            self.0.wire.lock().unwrap().close(pair);
            drop(stream);
        }
    }
}

/// Dials `http://host:port` URIs over turmoil TCP.
#[derive(Clone)]
pub struct TurmoilConnector(Arc<Sockets>);

impl tower_service::Service<Uri> for TurmoilConnector {
    type Response = TokioIo<BusStream>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TokioIo<BusStream>>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let sockets = self.0.clone();
        Box::pin(async move {
            let host = uri
                .host()
                .ok_or_else(|| io::Error::other(format!("no host in {uri}")))?
                .to_string();
            let port = uri.port_u16().unwrap_or(BUS_PORT);
            let stream = TcpStream::connect((host.as_str(), port)).await?;
            Ok(TokioIo::new(BusStream::new(stream, sockets)?))
        })
    }
}

/// A peer's endpoint as the node makes it, except that h2 remembers every
/// stream it reset (a cancelled RPC) for the whole run. It drops the
/// peer's late frames for a remembered stream silently and answers those
/// for a forgotten one with a RST_STREAM; by default it forgets after one
/// second of wall time (`std::time::Instant`) and remembers at most 50, so
/// which late frames drew a reply, i.e. which packets were sent, depended
/// on the host's speed.
pub fn endpoint(ep: Endpoint) -> Endpoint {
    ep.http2_max_concurrent_reset_streams(usize::MAX)
        .http2_reset_stream_duration(Duration::MAX)
}

/// A pool that reaches nodes `peers` at `n<id>:BUS_PORT` over turmoil.
pub fn peer_pool(sockets: &Arc<Sockets>, peers: impl IntoIterator<Item = NodeId>) -> PeerPool {
    let pool = PeerPool::with_connector(TurmoilConnector(sockets.clone()), endpoint);
    for id in peers {
        pool.set_addr(id, format!("{}:{BUS_PORT}", host_name(id)));
    }
    pool
}

/// A bus connection over turmoil TCP, dialled or accepted.
pub struct BusStream {
    /// `None` only while being dropped.
    stream: Option<TcpStream>,
    pair: Pair,
    sockets: Arc<Sockets>,
}

impl BusStream {
    fn new(stream: TcpStream, sockets: Arc<Sockets>) -> io::Result<BusStream> {
        Ok(BusStream {
            pair: (stream.local_addr()?, stream.peer_addr()?),
            stream: Some(stream),
            sockets,
        })
    }

    fn io(self: Pin<&mut Self>) -> Pin<&mut TcpStream> {
        Pin::new(
            self.get_mut()
                .stream
                .as_mut()
                .expect("stream taken only on drop"),
        )
    }
}

impl Drop for BusStream {
    fn drop(&mut self) {
        let Some(s) = self.stream.take() else { return };
        if self.sockets.crashing.load(Ordering::SeqCst) {
            self.sockets.parked.lock().unwrap().insert(self.pair, s);
        } else {
            self.sockets.wire.lock().unwrap().close(self.pair);
            drop(s);
        }
    }
}

impl Connected for BusStream {
    type ConnectInfo = ();

    fn connect_info(&self) {}
}

impl AsyncRead for BusStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.io().poll_read(cx, buf)
    }
}

impl AsyncWrite for BusStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = self.as_mut().io().poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = written {
            self.sockets
                .wire
                .lock()
                .unwrap()
                .write(self.pair, &buf[..n]);
        }
        written
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let shut = self.as_mut().io().poll_shutdown(cx);
        if let Poll::Ready(Ok(())) = shut {
            self.sockets.wire.lock().unwrap().close(self.pair);
        }
        shut
    }
}

/// Binds [`BUS_PORT`] on this host and yields its connections (an accept
/// task feeds the stream; it ends with the host).
pub async fn incoming(sockets: &Arc<Sockets>) -> io::Result<ReceiverStream<io::Result<BusStream>>> {
    let listener = TcpListener::bind(("0.0.0.0", BUS_PORT)).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let sockets = sockets.clone();
    tokio::spawn(async move {
        loop {
            let accepted = listener
                .accept()
                .await
                .and_then(|(s, _)| BusStream::new(s, sockets.clone()));
            let failed = accepted.is_err();
            if tx.send(accepted).await.is_err() || failed {
                return;
            }
        }
    });
    Ok(ReceiverStream::new(rx))
}

/// Serves `registry`'s groups on `incoming` as the node does (its bus
/// transport settings and service), but with a fixed `date` header on
/// every response: hyper adds the wall-clock second otherwise, and HPACK
/// sends a new literal each time that second changes.
pub async fn serve(
    registry: Registry,
    incoming: ReceiverStream<io::Result<BusStream>>,
) -> Result<(), tonic::transport::Error> {
    fn fixed_date<B>(mut res: http::Response<B>) -> http::Response<B> {
        res.headers_mut().insert(
            http::header::DATE,
            http::HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"),
        );
        res
    }
    bus_transport()
        .layer(MapResponseLayer::new(fixed_date::<tonic::body::Body>))
        .add_service(bus_server(registry))
        .serve_with_incoming_shutdown(incoming, std::future::pending())
        .await
}
