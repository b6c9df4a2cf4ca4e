//! The node as a server: shared state, the accept loop, background tasks
//! and shutdown.

pub mod admin;
mod clients;
pub mod commands;
mod connection;
pub mod hot;
pub mod info;
mod session;
pub mod stats;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::RwLock;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tracing::{debug, info, warn};

pub use clients::{ClientHandle, Clients};
pub use session::{Multi, ReplyMode, Session};

use crate::config::Config;
use crate::engine::Engine;
use crate::group::host::{Host, HostSettings};
use crate::pubsub::PubSub;
use stats::{SlowLog, Stats};

/// Everything the connections share.
pub struct Server {
    /// Configuration (CONFIG SET changes it).
    pub config: RwLock<Config>,
    /// Per-request config values, kept in step with `config` by CONFIG SET.
    pub hot: hot::HotConfig,
    /// The keyspace and write path.
    pub engine: Engine,
    /// Connected clients.
    pub clients: Clients,
    /// Channels and patterns.
    pub pubsub: PubSub,
    /// Counters for INFO.
    pub stats: Stats,
    /// SLOWLOG.
    pub slowlog: SlowLog,
    /// 40-hex run id, new per process.
    pub run_id: String,
    /// 40-hex replication id (INFO `master_replid`), new per process.
    pub replid: String,
    /// Monotonic start time.
    pub started: Instant,
    /// Port actually bound.
    pub port: u16,
    /// Set to true to stop the node.
    pub shutdown: watch::Sender<bool>,
}

impl Server {
    /// Builds the shared state from a configuration and the engine over
    /// the node's group.
    pub fn new(config: Config, port: u16, engine: Engine) -> Server {
        let (shutdown, _) = watch::channel(false);
        Server {
            hot: hot::HotConfig::new(&config),
            config: RwLock::new(config),
            engine,
            clients: Clients::default(),
            pubsub: PubSub::default(),
            stats: Stats::new(crate::command::table().all.len()),
            slowlog: SlowLog::default(),
            run_id: random_hex(40),
            replid: random_hex(40),
            started: Instant::now(),
            port,
            shutdown,
        }
    }

    /// The configured `requirepass` (empty: no password, every client is
    /// authenticated from the start).
    pub fn requirepass(&self) -> String {
        self.config
            .read()
            .get("requirepass")
            .unwrap_or("")
            .to_string()
    }

    /// Asks the node to stop.
    pub fn request_shutdown(&self) {
        // `send` drops the value when nobody is subscribed yet (a SHUTDOWN
        // that races the start); `send_replace` always stores it.
        self.shutdown.send_replace(true);
    }
}

/// 40 hex characters of randomness (run ids).
pub fn random_hex(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| char::from_digit(rng.gen_range(0..16), 16).expect("digit < 16"))
        .collect()
}

/// Raises the open-file limit so `maxclients` connections fit, as Valkey
/// does at start; returns the limit in force.
fn raise_fd_limit(want: u64) -> u64 {
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < want {
            let new = libc::rlimit {
                rlim_cur: want.min(lim.rlim_max),
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &new) == 0 {
                return new.rlim_cur;
            }
        }
        lim.rlim_cur
    }
}

/// Addresses to listen on from `bind` (`*` and `-::*` style as Valkey),
/// each with whether it is optional (a leading `-`: skipped when the
/// address is not available, e.g. no IPv6 on the host).
fn bind_addrs(bind: &str, port: u16) -> Vec<(SocketAddr, bool)> {
    let mut out = Vec::new();
    for word in bind.split_whitespace() {
        let optional = word.starts_with('-');
        let host = word.trim_start_matches('-');
        let addr = match host {
            "*" => "0.0.0.0".to_string(),
            "::*" => "::".to_string(),
            h => h.to_string(),
        };
        match format!("{addr}:{port}")
            .parse::<SocketAddr>()
            .or_else(|_| format!("[{addr}]:{port}").parse())
        {
            Ok(a) => out.push((a, optional)),
            Err(_) if optional => debug!(%word, "skipping unparsable optional bind address"),
            Err(_) => warn!(%word, "cannot parse bind address"),
        }
    }
    out
}

/// A listening socket. IPv6 sockets are IPv6-only, so `0.0.0.0` and `::`
/// can both be bound on the same port (as Valkey does).
fn listen(addr: SocketAddr, backlog: i32) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(backlog)?;
    TcpListener::from_std(socket.into())
}

/// Runs a node until SHUTDOWN or a signal.
pub async fn run(config: Config) -> std::io::Result<()> {
    let port = config.get_i64("port") as u16;
    let bind = config.get("bind").unwrap_or("*").to_string();
    let maxclients = config.get_i64("maxclients") as u64;
    let fds = raise_fd_limit(maxclients + 32);
    info!(fds, "open file limit");

    let backlog = config.get_i64("tcp-backlog").clamp(1, i32::MAX as i64) as i32;
    let mut listeners = Vec::new();
    let mut port = port;
    for (mut addr, optional) in bind_addrs(&bind, port) {
        // `port 0` picks a free port once; the other addresses share it.
        addr.set_port(port);
        match listen(addr, backlog) {
            Ok(l) => {
                if port == 0 {
                    port = l.local_addr().map(|a| a.port()).unwrap_or(0);
                }
                listeners.push(l)
            }
            Err(e) if optional => debug!(%addr, %e, "optional bind address unavailable"),
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("could not bind {addr}: {e}"),
                ))
            }
        }
    }
    let bound_port = listeners
        .first()
        .and_then(|l| l.local_addr().ok())
        .map(|a| a.port())
        .unwrap_or(port);
    let limits = admin::encoding_limits(&config);
    let settings = HostSettings::from_config(&config, limits).map_err(std::io::Error::other)?;
    let databases = settings.databases;
    let host = Host::open(settings, format!("127.0.0.1:{bound_port}")).await?;
    let engine = Engine::new(host.group.clone(), databases);
    let server = Arc::new(Server::new(config, bound_port, engine));
    info!(port = bound_port, "Ready to accept connections tcp");
    // The line tests and scripts wait for, printed once all listeners are up.
    println!("Ready to accept connections tcp port {bound_port}");

    for l in listeners {
        tokio::spawn(accept_loop(server.clone(), l));
    }
    tokio::spawn(active_expire(server.clone()));
    tokio::spawn(sample_stats(server.clone()));

    let mut stop = server.shutdown.subscribe();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => info!("SIGINT received, shutting down"),
        _ = term.recv() => info!("SIGTERM received, shutting down"),
        _ = stop.wait_for(|v| *v) => info!("SHUTDOWN requested"),
    }
    // A leader hands its groups to a data follower first, so the group
    // does not wait out an election timeout (as Valkey's shutdown lets a
    // replica take over).
    match host.hand_off(Duration::from_secs(5)).await {
        Ok(Some(to)) => info!(to, "handed leadership over before shutting down"),
        Ok(None) => {}
        Err(e) => warn!(%e, "leadership hand-off failed; shutting down anyway"),
    }
    host.shutdown().await;
    Ok(())
}

async fn accept_loop(server: Arc<Server>, listener: TcpListener) {
    loop {
        let (socket, addr) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                warn!(%e, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        server
            .stats
            .connections_received
            .fetch_add(1, Ordering::Relaxed);
        let maxclients = server.config.read().get_i64("maxclients") as usize;
        if server.clients.len() >= maxclients {
            server
                .stats
                .rejected_connections
                .fetch_add(1, Ordering::Relaxed);
            tokio::spawn(reject(socket));
            continue;
        }
        let _ = socket.set_nodelay(true);
        let laddr = socket.local_addr().unwrap_or(addr);
        let handle = server.clients.register(addr, laddr);
        tokio::spawn(connection::serve(server.clone(), socket, handle));
    }
}

async fn reject(mut socket: TcpStream) {
    use tokio::io::AsyncWriteExt;
    let _ = socket
        .write_all(b"-ERR max number of clients reached\r\n")
        .await;
}

/// Samples the per-second rates INFO reports, every 100 ms as Valkey's
/// cron does, and tracks the memory peak.
async fn sample_stats(server: Arc<Server>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        server.stats.sample();
        server
            .stats
            .peak_memory
            .fetch_max(info::process_rss(), Ordering::Relaxed);
    }
}

/// Active expiry: every 1/hz seconds, sample keys with a TTL and delete
/// the due ones (through records); repeat while a quarter of the sample was
/// due, within a time budget, as Valkey's active expire cycle does.
async fn active_expire(server: Arc<Server>) {
    const SAMPLES: usize = 20;
    loop {
        let hz = server.config.read().get_i64("hz").clamp(1, 500) as u64;
        tokio::time::sleep(Duration::from_millis(1000 / hz)).await;
        let start = Instant::now();
        loop {
            let due = server.engine.active_expire_cycle(SAMPLES).await;
            if due * 4 < SAMPLES || start.elapsed() > Duration::from_millis(25) {
                break;
            }
        }
    }
}
