//! Clients: one-shot queries with timeouts, `INFO replication` parsing, and a
//! client that follows `-MOVED` to the leader and retries through failovers.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{Cmd, ErrorKind, RedisError, RedisResult, Value};

/// Time allowed for a connect or one reply. A SIGSTOPped node never answers,
/// so every call is bounded.
pub const OP_TIMEOUT: Duration = Duration::from_secs(2);

fn timeout_err(what: &str) -> RedisError {
    RedisError::from(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        what.to_string(),
    ))
}

/// Opens a connection to `addr` ("host:port") within [`OP_TIMEOUT`].
pub async fn connect(addr: &str) -> RedisResult<MultiplexedConnection> {
    let client = redis::Client::open(format!("redis://{addr}/"))?;
    match tokio::time::timeout(OP_TIMEOUT, client.get_multiplexed_async_connection()).await {
        Ok(r) => r,
        Err(_) => Err(timeout_err("connect timed out")),
    }
}

/// Sends `cmd` on `conn`, bounded by [`OP_TIMEOUT`].
pub async fn send(conn: &mut MultiplexedConnection, cmd: &Cmd) -> RedisResult<Value> {
    match tokio::time::timeout(OP_TIMEOUT, cmd.query_async::<Value>(conn)).await {
        Ok(r) => r,
        Err(_) => Err(timeout_err("reply timed out")),
    }
}

/// One command on a fresh connection to 127.0.0.1:`port`.
pub async fn query(port: u16, cmd: &Cmd) -> RedisResult<Value> {
    let mut conn = connect(&format!("127.0.0.1:{port}")).await?;
    send(&mut conn, cmd).await
}

/// `DEBUG DIGEST` of the node on `port`.
pub async fn digest(port: u16) -> RedisResult<String> {
    let v = query(port, redis::cmd("DEBUG").arg("DIGEST")).await?;
    redis::from_redis_value(&v)
}

/// True for failures of the connection rather than replies from a server.
pub fn is_transport(e: &RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_unrecoverable_error()
}

/// A node's `INFO replication`, as key → value.
#[derive(Debug, Clone)]
pub struct RaftInfo {
    /// Every `key:value` line.
    pub fields: HashMap<String, String>,
}

impl RaftInfo {
    /// Fetches `INFO replication` from the node on `port`.
    pub async fn fetch(port: u16) -> RedisResult<RaftInfo> {
        let v = query(port, redis::cmd("INFO").arg("replication")).await?;
        let text: String = redis::from_redis_value(&v)?;
        Ok(RaftInfo::parse(&text))
    }

    /// Parses INFO text (`# Section` headers, `key:value` lines).
    pub fn parse(text: &str) -> RaftInfo {
        let fields = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        RaftInfo { fields }
    }

    /// A field as text.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    /// A numeric field; `None` when absent or not a number.
    pub fn num(&self, key: &str) -> Option<u64> {
        self.get(key)?.parse().ok()
    }

    /// `raft_role`: leader, follower, witness or learner.
    pub fn raft_role(&self) -> &str {
        self.get("raft_role").unwrap_or("")
    }

    /// `raft_term` (0 when absent).
    pub fn term(&self) -> u64 {
        self.num("raft_term").unwrap_or(0)
    }

    /// `raft_leader_id`, when a leader is known.
    pub fn leader_id(&self) -> Option<u64> {
        self.num("raft_leader_id")
    }

    /// `raft_commit_index` (0 when absent).
    pub fn commit(&self) -> u64 {
        self.num("raft_commit_index").unwrap_or(0)
    }

    /// `raft_applied_index` (0 when absent).
    pub fn applied(&self) -> u64 {
        self.num("raft_applied_index").unwrap_or(0)
    }

    /// `raft_last_snapshot_index` (0 when absent or none yet).
    pub fn last_snapshot(&self) -> u64 {
        self.num("raft_last_snapshot_index").unwrap_or(0)
    }
}

/// Why a routed call gave up.
#[derive(Debug)]
pub enum CallError {
    /// The server answered with an error that is not a redirect or a
    /// retry-later: a definite reply.
    Reply(RedisError),
    /// The deadline passed while redirecting or retrying; the command may or
    /// may not have taken effect. Holds the last error seen.
    Timeout(Option<RedisError>),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Reply(e) => write!(f, "error reply: {e}"),
            CallError::Timeout(Some(e)) => write!(f, "timed out; last error: {e}"),
            CallError::Timeout(None) => write!(f, "timed out"),
        }
    }
}

/// Counts of what a [`RoutedClient`] went through.
#[derive(Debug, Default, Clone, Copy)]
pub struct RouteStats {
    /// `-MOVED` replies followed.
    pub moved: u64,
    /// `-TRYAGAIN` / `-CLUSTERDOWN` replies.
    pub try_again: u64,
    /// Connect errors, dropped connections and timeouts.
    pub io: u64,
}

/// A client for one Raft group: sends to the node it believes leads, follows
/// `-MOVED`, and on `-TRYAGAIN`, connection errors or timeouts moves on to
/// the next known node until the call's deadline.
pub struct RoutedClient {
    seeds: Vec<String>,
    next_seed: usize,
    target: String,
    conns: HashMap<String, MultiplexedConnection>,
    /// What the client went through so far.
    pub stats: RouteStats,
}

/// Pause between retries when no node could take the command (no leader
/// yet, node down): a retry interval, not synchronisation.
const RETRY_PAUSE: Duration = Duration::from_millis(20);

impl RoutedClient {
    /// A client knowing the nodes on these loopback client ports; starts at
    /// `ports[first % len]`.
    pub fn new(ports: &[u16], first: usize) -> RoutedClient {
        assert!(!ports.is_empty());
        let seeds: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let next_seed = first % seeds.len();
        RoutedClient {
            target: seeds[next_seed].clone(),
            next_seed,
            seeds,
            conns: HashMap::new(),
            stats: RouteStats::default(),
        }
    }

    /// The address the next call goes to first.
    pub fn target(&self) -> &str {
        &self.target
    }

    fn move_on(&mut self) {
        self.conns.remove(&self.target);
        self.next_seed = (self.next_seed + 1) % self.seeds.len();
        self.target = self.seeds[self.next_seed].clone();
    }

    /// Runs `cmd` on the group's leader, following redirects and retrying
    /// through failovers until `deadline`. Retries resend the command, so
    /// use it for commands whose repetition is harmless (SET k v, GET).
    pub async fn call(&mut self, cmd: &Cmd, deadline: Instant) -> Result<Value, CallError> {
        let mut last = None;
        let mut redirects_in_a_row = 0u32;
        while Instant::now() < deadline {
            let addr = self.target.clone();
            let conn = match self.conns.get_mut(&addr) {
                Some(c) => c,
                None => match connect(&addr).await {
                    Ok(c) => self.conns.entry(addr.clone()).or_insert(c),
                    Err(e) => {
                        self.stats.io += 1;
                        last = Some(e);
                        self.move_on();
                        tokio::time::sleep(RETRY_PAUSE).await;
                        continue;
                    }
                },
            };
            match send(conn, cmd).await {
                Ok(v) => return Ok(v),
                Err(e) if e.kind() == ErrorKind::Moved => {
                    self.stats.moved += 1;
                    redirects_in_a_row += 1;
                    let (to, _slot) = e.redirect_node().expect("MOVED carries slot and address");
                    self.target = to.to_string();
                    // Nodes may point at each other while a new leader's
                    // name spreads; do not spin on it.
                    if redirects_in_a_row > 3 {
                        tokio::time::sleep(RETRY_PAUSE).await;
                    }
                    last = Some(e);
                }
                Err(e) if matches!(e.kind(), ErrorKind::TryAgain | ErrorKind::ClusterDown) => {
                    self.stats.try_again += 1;
                    last = Some(e);
                    self.move_on();
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                Err(e) if is_transport(&e) => {
                    self.stats.io += 1;
                    last = Some(e);
                    self.move_on();
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                Err(e) => return Err(CallError::Reply(e)),
            }
        }
        Err(CallError::Timeout(last))
    }
}
