//! The node's cluster bus (tonic, `slotraft::group::network`) over
//! turmoil's simulated TCP: a connector for [`PeerPool::with_connector`]
//! and an accept stream for `serve_with_incoming_shutdown`. Nothing here
//! speaks Raft; it only moves the real transport's bytes through turmoil,
//! so partitions, holds, latency and loss apply to them.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use slotraft::group::network::PeerPool;
use slotraft::group::types::NodeId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;
use tonic::transport::Uri;
use turmoil::net::{TcpListener, TcpStream};

/// The bus port every simulated node listens on.
pub const BUS_PORT: u16 = 9000;

/// Turmoil host name of node `id`.
pub fn host_name(id: NodeId) -> String {
    format!("n{id}")
}

/// Dials `http://host:port` URIs over turmoil TCP.
#[derive(Clone, Copy, Debug, Default)]
pub struct TurmoilConnector;

impl tower_service::Service<Uri> for TurmoilConnector {
    type Response = TokioIo<TcpStream>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TokioIo<TcpStream>>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        Box::pin(async move {
            let host = uri
                .host()
                .ok_or_else(|| io::Error::other(format!("no host in {uri}")))?
                .to_string();
            let port = uri.port_u16().unwrap_or(BUS_PORT);
            let stream = TcpStream::connect((host.as_str(), port)).await?;
            Ok(TokioIo::new(stream))
        })
    }
}

/// A pool that reaches nodes `peers` at `n<id>:BUS_PORT` over turmoil.
pub fn peer_pool(peers: impl IntoIterator<Item = NodeId>) -> PeerPool {
    let pool = PeerPool::with_connector(TurmoilConnector);
    for id in peers {
        pool.set_addr(id, format!("{}:{BUS_PORT}", host_name(id)));
    }
    pool
}

/// An accepted turmoil connection, as tonic's server wants it.
pub struct BusStream(TcpStream);

impl Connected for BusStream {
    type ConnectInfo = ();

    fn connect_info(&self) {}
}

impl AsyncRead for BusStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for BusStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// Binds [`BUS_PORT`] on this host and yields its connections (an accept
/// task feeds the stream; it ends with the host).
pub async fn incoming() -> io::Result<ReceiverStream<io::Result<BusStream>>> {
    let listener = TcpListener::bind(("0.0.0.0", BUS_PORT)).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let accepted = listener.accept().await.map(|(s, _)| BusStream(s));
            let failed = accepted.is_err();
            if tx.send(accepted).await.is_err() || failed {
                return;
            }
        }
    });
    Ok(ReceiverStream::new(rx))
}
