//! A set of `slotraft` processes started as one Raft group (or one
//! standalone node), with waits on what their `INFO replication` says.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::client::{self, RaftInfo, RoutedClient};
use crate::process::Node;

/// Pause between polls of a condition: a poll interval, not synchronisation.
const POLL: Duration = Duration::from_millis(20);

/// Clusters in one test process run one at a time: the machine may have 2
/// cores, and failover timings measured beside another cluster's fsyncs
/// would be noise.
static SERIAL: Mutex<()> = Mutex::new(());

/// How to start a [`Cluster`].
pub struct ClusterBuilder {
    name: String,
    size: usize,
    witnesses: Vec<u64>,
    standalone: bool,
    args: Vec<String>,
}

impl ClusterBuilder {
    /// `size` processes forming one group, node ids 1..=size.
    pub fn group(name: &str, size: usize) -> ClusterBuilder {
        assert!(size >= 1);
        ClusterBuilder {
            name: name.to_string(),
            size,
            witnesses: Vec::new(),
            standalone: false,
            args: Vec::new(),
        }
    }

    /// One process without `--raft-members`: a standalone node.
    pub fn standalone(name: &str) -> ClusterBuilder {
        ClusterBuilder {
            standalone: true,
            ..ClusterBuilder::group(name, 1)
        }
    }

    /// Makes member `id` a witness (`--raft-witnesses`).
    pub fn witness(mut self, id: u64) -> ClusterBuilder {
        assert!(!self.standalone, "a standalone node has no witnesses");
        self.witnesses.push(id);
        self
    }

    /// Adds `--name value` to every node's arguments.
    pub fn arg(mut self, name: &str, value: impl ToString) -> ClusterBuilder {
        self.args.push(format!("--{name}"));
        self.args.push(value.to_string());
        self
    }

    /// Starts every process and waits until each answers PING.
    pub async fn start(self) -> Cluster {
        let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        static N: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir().join(format!(
            "slotraft-ct-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            self.name
        ));
        let _ = std::fs::remove_dir_all(&base);
        let ports = free_ports(self.size * 2);
        let mut nodes: Vec<Node> = (0..self.size)
            .map(|i| {
                let id = i as u64 + 1;
                Node::new(
                    id,
                    ports[2 * i],
                    ports[2 * i + 1],
                    self.witnesses.contains(&id),
                    base.join(format!("n{id}")),
                )
            })
            .collect();
        let members = nodes
            .iter()
            .map(|n| format!("{}=127.0.0.1:{}@{}", n.id, n.port, n.bus_port))
            .collect::<Vec<_>>()
            .join(",");
        let witnesses = self
            .witnesses
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        for n in nodes.iter_mut() {
            let mut args = vec![
                "--port".to_string(),
                n.port.to_string(),
                "--bind".to_string(),
                "127.0.0.1".to_string(),
                "--dir".to_string(),
                n.dir.display().to_string(),
            ];
            if !self.standalone {
                args.extend(["--raft-node-id".to_string(), n.id.to_string()]);
                args.extend(["--raft-members".to_string(), members.clone()]);
                if !witnesses.is_empty() {
                    args.extend(["--raft-witnesses".to_string(), witnesses.clone()]);
                }
            }
            args.extend(self.args.iter().cloned());
            n.set_args(args);
        }
        let mut cluster = Cluster {
            name: self.name,
            nodes,
            base,
            _serial: serial,
        };
        for n in cluster.nodes.iter_mut() {
            n.spawn();
        }
        eprintln!(
            "{}: started {} node(s) in {}: {}",
            cluster.name,
            cluster.nodes.len(),
            cluster.base.display(),
            cluster.nodes[0].args().join(" ")
        );
        for id in cluster.ids() {
            cluster.wait_ping(id, Duration::from_secs(30)).await;
        }
        cluster
    }
}

/// Free loopback TCP ports, all distinct (the listeners are held until every
/// port is picked).
pub fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind a free port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("local addr").port())
        .collect()
}

/// Running `slotraft` processes; every one is killed on drop.
pub struct Cluster {
    name: String,
    /// The processes, node id `i + 1` at index `i`.
    pub nodes: Vec<Node>,
    base: PathBuf,
    _serial: MutexGuard<'static, ()>,
}

impl Cluster {
    /// The node with this id.
    pub fn node(&mut self, id: u64) -> &mut Node {
        &mut self.nodes[(id - 1) as usize]
    }

    /// Every node id.
    pub fn ids(&self) -> Vec<u64> {
        self.nodes.iter().map(|n| n.id).collect()
    }

    /// Ids of the members that hold data (not witnesses).
    pub fn data_ids(&self) -> Vec<u64> {
        self.nodes
            .iter()
            .filter(|n| !n.witness)
            .map(|n| n.id)
            .collect()
    }

    /// Every client port, in id order.
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|n| n.port).collect()
    }

    /// A redirect-following client starting at node index `first`.
    pub fn client(&self, first: usize) -> RoutedClient {
        RoutedClient::new(&self.ports(), first)
    }

    /// Waits until node `id` answers PING; panics (with its log) at the
    /// deadline or if the process exits.
    pub async fn wait_ping(&mut self, id: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let node = self.node(id);
            assert!(
                node.is_running(),
                "node {id} exited while starting; log:\n{}",
                node.log_tail(40)
            );
            let port = node.port;
            if let Ok(redis::Value::SimpleString(s)) =
                client::query(port, &redis::cmd("PING")).await
            {
                if s == "PONG" {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "node {id} did not answer PING within {timeout:?}; log:\n{}",
                self.node(id).log_tail(40)
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// `INFO replication` of every live (running, not stopped) node that
    /// answered.
    pub async fn infos(&mut self) -> Vec<(u64, RaftInfo)> {
        let mut out = Vec::new();
        for n in self.nodes.iter_mut() {
            if !n.is_live() {
                continue;
            }
            if let Ok(info) = RaftInfo::fetch(n.port).await {
                out.push((n.id, info));
            }
        }
        out
    }

    /// `INFO replication` of node `id` (panics if it does not answer).
    pub async fn info(&mut self, id: u64) -> RaftInfo {
        let port = self.node(id).port;
        RaftInfo::fetch(port)
            .await
            .unwrap_or_else(|e| panic!("INFO replication from node {id}: {e}"))
    }

    /// Waits until a leader other than `exclude` is confirmed: it says it
    /// leads in term T and a majority of the members (counting itself)
    /// report it as leader of term T. Returns its id.
    pub async fn wait_leader(&mut self, timeout: Duration, exclude: Option<u64>) -> u64 {
        let quorum = self.nodes.len() / 2 + 1;
        let deadline = Instant::now() + timeout;
        loop {
            let infos = self.infos().await;
            for (id, info) in &infos {
                if info.raft_role() != "leader" || Some(*id) == exclude {
                    continue;
                }
                let term = info.term();
                let backers = infos
                    .iter()
                    .filter(|(_, i)| i.term() == term && i.leader_id() == Some(*id))
                    .count();
                if backers >= quorum {
                    return *id;
                }
            }
            if Instant::now() >= deadline {
                panic!(
                    "{}: no confirmed leader (excluding {exclude:?}) within {timeout:?}; last INFO: {:?}",
                    self.name,
                    summarize(&infos)
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until node `id` reports an `INFO replication` for which `pred`
    /// holds; returns it. `what` names the condition in the panic message.
    pub async fn wait_info(
        &mut self,
        id: u64,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&RaftInfo) -> bool,
    ) -> RaftInfo {
        let deadline = Instant::now() + timeout;
        let mut last = None;
        loop {
            let port = self.node(id).port;
            if let Ok(info) = RaftInfo::fetch(port).await {
                if pred(&info) {
                    return info;
                }
                last = Some(info);
            }
            if Instant::now() >= deadline {
                panic!(
                    "{}: node {id}: {what} not reached within {timeout:?}; last INFO: {:?}",
                    self.name,
                    last.map(|i| summarize(&[(id, i)]))
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the nodes `ids` report the same applied index and the
    /// same `DEBUG DIGEST`; returns the digest. Call it with writes stopped.
    pub async fn wait_converged(&mut self, ids: &[u64], timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let mut seen = Vec::new();
            for &id in ids {
                let port = self.node(id).port;
                let applied = RaftInfo::fetch(port).await.ok().map(|i| i.applied());
                let digest = client::digest(port).await.ok();
                seen.push((id, applied, digest));
            }
            let first = &seen[0];
            let same = seen
                .iter()
                .all(|s| s.1.is_some() && s.2.is_some() && s.1 == first.1 && s.2 == first.2);
            if same {
                let digest = first.2.clone().expect("digest");
                eprintln!(
                    "{}: nodes {ids:?} converged at applied index {} digest {digest}",
                    self.name,
                    first.1.unwrap_or(0)
                );
                return digest;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{}: nodes {ids:?} did not converge within {timeout:?}: (id, applied, digest) = {seen:?}",
                    self.name
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Short form of INFO for messages: id, role, term, leader, commit, applied,
/// snapshot.
pub fn summarize(infos: &[(u64, RaftInfo)]) -> Vec<String> {
    infos
        .iter()
        .map(|(id, i)| {
            format!(
                "n{id}: {} term {} leader {:?} commit {} applied {} snapshot {}",
                i.raft_role(),
                i.term(),
                i.leader_id(),
                i.commit(),
                i.applied(),
                i.last_snapshot()
            )
        })
        .collect()
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for n in self.nodes.iter_mut() {
            n.kill();
        }
        if std::thread::panicking() {
            for n in &self.nodes {
                eprintln!(
                    "--- {} node {} log (last 40 lines of {}):\n{}",
                    self.name,
                    n.id,
                    n.log_path().display(),
                    n.log_tail(40)
                );
            }
            eprintln!("{}: kept {}", self.name, self.base.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.base);
        }
    }
}
