//! The groups a node hosts, opened from its configuration: the node's
//! write-ahead log, the group's state machine and `Raft`, bootstrap on
//! first start and recovery on every later one.
//!
//! Layout under `dir`: `raft-log/` (the node's WAL, shared by every group)
//! and `group-<id>/` (the group's latest snapshot). A restart opens both:
//! the state machine loads the snapshot, and openraft replays the committed
//! log entries after it. A supervisor (`supervisor.rs`) does the same for a
//! member whose core died while the node runs.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use openraft::{BasicNode, ServerState, SnapshotPolicy};
use raft_log::env::{DiskEnv, Env};
use raft_log::{GroupLog, Options, SyncMode};
use tokio::sync::watch;
use tracing::{info, warn};

use super::local::Router;
use super::member::{new_core, MemberSm, MemberSpec, NodeLog, Transport};
use super::network::control::Control;
use super::network::{serve_with_incoming_shutdown, BusNetwork, PeerPool};
use super::registry::Registry;
use super::runtime::Group;
use super::state_machine::GroupStateMachine;
use super::supervisor::{RestartPolicy, Supervisor};
use super::transfer;
use super::types::{GroupConfig, GroupRaft, NodeId};
use super::witness::{data_voters_matched, is_witness_leader, witness_handoff};
use crate::config::Config;
use crate::keyspace::EncodingLimits;

/// The id of the one data group a node hosts until cluster mode.
pub const DATA_GROUP: u64 = 1;

/// One member of a replicated group as `raft-members` lists it:
/// `id=host:port@busport`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAddr {
    /// Member (node) id.
    pub id: NodeId,
    /// Client address, `host:port` (what MOVED names).
    pub client: String,
    /// Cluster bus address, `host:busport`.
    pub bus: String,
}

/// Parses `raft-members`: comma-separated `id=host:port@busport`.
pub fn parse_members(text: &str) -> Result<Vec<MemberAddr>, String> {
    let mut out: Vec<MemberAddr> = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let bad = || format!("bad raft-members entry '{item}': expected id=host:port@busport");
        let (id, addr) = item.split_once('=').ok_or_else(bad)?;
        let id: NodeId = id.parse().map_err(|_| bad())?;
        let (client, bus_port) = addr.rsplit_once('@').ok_or_else(bad)?;
        let (host, port) = client.rsplit_once(':').ok_or_else(bad)?;
        port.parse::<u16>().map_err(|_| bad())?;
        bus_port.parse::<u16>().map_err(|_| bad())?;
        if id == 0 || out.iter().any(|m| m.id == id) {
            return Err(format!("raft-members: duplicate or zero id {id}"));
        }
        out.push(MemberAddr {
            id,
            client: client.to_string(),
            bus: format!("{host}:{bus_port}"),
        });
    }
    Ok(out)
}

/// What the node needs to open its groups, read from the configuration.
#[derive(Debug, Clone)]
pub struct HostSettings {
    /// This node's member id.
    pub node_id: NodeId,
    /// The group's members (empty: standalone).
    pub members: Vec<MemberAddr>,
    /// Ids among `members` that are witnesses.
    pub witnesses: Vec<NodeId>,
    /// Data directory.
    pub dir: PathBuf,
    /// Databases per keyspace.
    pub databases: usize,
    /// Encoding thresholds of the keyspace.
    pub limits: EncodingLimits,
    /// raft-log durability (`appendfsync`).
    pub sync: SyncMode,
    /// Leader heartbeat period, ms.
    pub heartbeat_ms: u64,
    /// Election timeout (lower bound; the upper is 1.5 times it), ms.
    pub election_ms: u64,
    /// Snapshot after this many entries since the last (0: never).
    pub snapshot_logs: u64,
}

impl HostSettings {
    /// Reads the settings from `config`.
    pub fn from_config(config: &Config, limits: EncodingLimits) -> Result<HostSettings, String> {
        let node_id = config.get_i64("raft-node-id") as NodeId;
        let members = parse_members(config.get("raft-members").unwrap_or(""))?;
        let witnesses = config
            .get("raft-witnesses")
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse()
                    .map_err(|_| format!("bad raft-witnesses id '{s}'"))
            })
            .collect::<Result<Vec<NodeId>, String>>()?;
        if !members.is_empty() && !members.iter().any(|m| m.id == node_id) {
            return Err(format!("raft-node-id {node_id} is not in raft-members"));
        }
        if let Some(w) = witnesses
            .iter()
            .find(|w| !members.iter().any(|m| m.id == **w))
        {
            return Err(format!("raft-witnesses: {w} is not in raft-members"));
        }
        let heartbeat_ms = config.get_i64("raft-heartbeat-interval") as u64;
        let election_ms = config.get_i64("raft-election-timeout") as u64;
        if election_ms <= heartbeat_ms * 2 {
            return Err("raft-election-timeout must exceed twice raft-heartbeat-interval".into());
        }
        Ok(HostSettings {
            node_id,
            members,
            witnesses,
            dir: PathBuf::from(config.get("dir").unwrap_or(".")),
            databases: config.get_i64("databases").max(1) as usize,
            limits,
            sync: match config.get("appendfsync").unwrap_or("always") {
                "everysec" => SyncMode::EverySec,
                "no" => SyncMode::No,
                _ => SyncMode::Always,
            },
            heartbeat_ms,
            election_ms,
            snapshot_logs: config.get_i64("raft-snapshot-logs") as u64,
        })
    }

    /// True when this node is the group's witness.
    pub fn is_witness(&self) -> bool {
        self.witnesses.contains(&self.node_id)
    }

    /// The openraft configuration of the group.
    pub fn raft_config(&self) -> Result<Arc<openraft::Config>, String> {
        let c = openraft::Config {
            cluster_name: "slotraft".into(),
            heartbeat_interval: self.heartbeat_ms,
            election_timeout_min: self.election_ms,
            // openraft 0.9 also makes a follower wait out a leader lease of
            // `election_timeout_max` after the last heartbeat before it
            // campaigns: failover takes max + U(min, max) after the last
            // heartbeat, about 0.75–0.9 s with the default 300 ms.
            election_timeout_max: self.election_ms * 3 / 2,
            // A follower's fsync is part of every AppendEntries round.
            install_snapshot_timeout: (self.election_ms * 10).max(10_000),
            snapshot_policy: match self.snapshot_logs {
                0 => SnapshotPolicy::Never,
                n => SnapshotPolicy::LogsSinceLast(n),
            },
            // Keep a window of entries after a snapshot, so a follower a
            // little behind catches up from the log rather than by snapshot.
            max_in_snapshot_log_to_keep: (self.snapshot_logs / 4).min(10_000),
            ..Default::default()
        };
        c.validate().map(Arc::new).map_err(|e| e.to_string())
    }
}

/// The node's log and groups.
pub struct Host {
    /// The one data group (until cluster mode).
    pub group: Arc<Group>,
    /// Settings it was opened with.
    pub settings: HostSettings,
    log: Arc<NodeLog>,
    supervisor: Option<Supervisor>,
    bus: Option<Bus>,
    pool: Option<PeerPool>,
}

/// What a member does beside Raft, every few heartbeats: a data leader
/// tells the witnesses how far every data voter has matched (so they purge
/// only below it); a witness that leads hands leadership to a data voter.
/// Spawned by [`start_group`]; ends when the group is dropped.
async fn duties(
    group: std::sync::Weak<Group>,
    pool: PeerPool,
    witnesses: BTreeSet<NodeId>,
    heartbeat: Duration,
) {
    let mut told = 0u64;
    let mut tick = tokio::time::interval(heartbeat * 5);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(group) = group.upgrade() else { return };
        if witnesses.is_empty() {
            continue;
        }
        let gid = group.id;
        let raft = group.raft();
        if group.is_witness() {
            if is_witness_leader(&raft) {
                let from = group.node_id;
                let pool = pool.clone();
                let res = witness_handoff(
                    &raft,
                    &witnesses,
                    Duration::from_secs(10),
                    |target, term| async move {
                        let req = Control::Campaign { after_term: term };
                        if let Err(e) = pool.control(from, target, gid, &req).await {
                            warn!(target, %e, "campaign request failed");
                        }
                    },
                )
                .await;
                match res {
                    Ok((to, took)) => info!(to, ?took, "witness handed leadership over"),
                    Err(e) => warn!(%e, "witness handoff failed; retrying"),
                }
            }
            continue;
        }
        let Some(upto) = data_voters_matched(&raft, &witnesses) else {
            continue;
        };
        if upto > told {
            let req = Control::WitnessPurge { upto };
            for &w in &witnesses {
                if let Err(e) = pool.control(group.node_id, w, gid, &req).await {
                    tracing::debug!(witness = w, %e, "witness purge request failed");
                }
            }
            told = upto;
        }
    }
}

/// Opens this node's member of the replicated data group over `log`,
/// talking over `network`: a witness (no keyspace, metadata-only
/// snapshots, never sends a snapshot, [`witness_config`] derived from
/// `raft_config`) if `settings` names this node a witness, else a data
/// member whose keyspace loads from `dir/group-<id>`. Register the `Raft`
/// with the bus, then hand both to [`start_group`].
pub async fn open_member(
    settings: &HostSettings,
    raft_config: Arc<openraft::Config>,
    network: BusNetwork,
    log: GroupLog<GroupConfig>,
) -> io::Result<(GroupRaft, Option<GroupStateMachine>)> {
    let sm = open_sm(settings)?;
    let raft = new_core(settings.node_id, &raft_config, network, log, &sm).await?;
    Ok((raft, sm.data()))
}

/// This node's state machine of the data group, from `dir/group-<id>`.
fn open_sm(settings: &HostSettings) -> io::Result<MemberSm> {
    MemberSm::open(
        &settings.dir.join(format!("group-{DATA_GROUP}")),
        settings.is_witness(),
        settings.databases,
        settings.limits,
    )
}

/// Starts the runtime of a member opened by [`open_member`]: initializes
/// the group on its first start if this node has the lowest id among
/// `settings.members`, wraps it in a [`Group`] (batcher, read gate) and
/// spawns its duties (witness purge, witness handoff) over `pool`.
pub async fn start_group(
    settings: &HostSettings,
    raft: GroupRaft,
    data: Option<GroupStateMachine>,
    pool: PeerPool,
) -> io::Result<Arc<Group>> {
    let id = settings.node_id;
    let members: BTreeMap<NodeId, BasicNode> = settings
        .members
        .iter()
        .map(|m| (m.id, BasicNode::new(m.client.clone())))
        .collect();
    let first = members.keys().next() == Some(&id);
    if first && !raft.is_initialized().await.map_err(io::Error::other)? {
        raft.initialize(members).await.map_err(io::Error::other)?;
        info!(group = DATA_GROUP, "initialized the group");
    }
    let group = Group::start(DATA_GROUP, id, raft, data);
    let witnesses: BTreeSet<NodeId> = settings.witnesses.iter().copied().collect();
    tokio::spawn(duties(
        Arc::downgrade(&group),
        pool,
        witnesses,
        Duration::from_millis(settings.heartbeat_ms),
    ));
    Ok(group)
}

/// The cluster bus server task and its stop switch.
struct Bus {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// Binds this node's bus port (from its `raft-members` entry, on every
/// interface) and serves the registry's groups on it.
async fn start_bus(settings: &HostSettings, registry: Registry) -> io::Result<Bus> {
    let me = settings
        .members
        .iter()
        .find(|m| m.id == settings.node_id)
        .ok_or_else(|| io::Error::other("this node is not in raft-members"))?;
    let port: u16 = me
        .bus
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .ok_or_else(|| io::Error::other("bad bus address"))?;
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port))
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("cluster bus port {port}: {e}")))?;
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        if let Err(e) = serve_with_incoming_shutdown(registry, incoming, shutdown).await {
            tracing::error!(%e, "cluster bus stopped");
        }
    });
    info!(port, "cluster bus listening");
    Ok(Bus { stop, task })
}

impl Host {
    /// Opens the node's log and its data group: a one-member group of this
    /// node alone without `raft-members` (standalone), else this node's
    /// membership in the replicated group, with the cluster bus serving it.
    /// The group is initialized on first start (standalone: here; replicated:
    /// by the member with the lowest id); later starts recover it from `dir`.
    /// `client_addr` is what a standalone membership records for this node.
    /// The group is supervised: a core that dies is rebuilt from storage.
    pub async fn open(settings: HostSettings, client_addr: String) -> io::Result<Host> {
        Host::open_with(
            settings,
            client_addr,
            Arc::new(DiskEnv),
            RestartPolicy::default(),
        )
        .await
    }

    /// [`Host::open`] with the log's file system `env` (tests inject
    /// faults through it) and the supervisor's `policy`.
    pub async fn open_with(
        settings: HostSettings,
        client_addr: String,
        env: Arc<dyn Env>,
        policy: RestartPolicy,
    ) -> io::Result<Host> {
        let opts = Options {
            sync: settings.sync,
            ..Options::default()
        };
        let log = Arc::new(NodeLog::open(env, settings.dir.join("raft-log"), opts)?);
        let raft_config = settings.raft_config().map_err(io::Error::other)?;
        let group_log = log.group(DATA_GROUP).await?;
        let id = settings.node_id;
        let sm = open_sm(&settings)?;
        if settings.members.is_empty() {
            // No peers: the in-process router with this member alone.
            let spec = MemberSpec {
                group_id: DATA_GROUP,
                node_id: id,
                config: raft_config,
                transport: Transport::Local(Router::new()),
            };
            let raft = spec.start_core(group_log, &sm).await?;
            if !raft.is_initialized().await.map_err(io::Error::other)? {
                let me = BTreeMap::from([(id, BasicNode::new(client_addr))]);
                raft.initialize(me).await.map_err(io::Error::other)?;
                info!(group = DATA_GROUP, "initialized a standalone group");
            }
            let group = Group::start(DATA_GROUP, id, raft, sm.data());
            // A lone member elects itself at once; waiting here means the
            // first commands do not meet an election in progress.
            if group.wait_leader(Duration::from_secs(10)).await.is_none() {
                return Err(io::Error::other("the standalone group elected no leader"));
            }
            let supervisor = Supervisor::spawn(&group, spec, sm, log.clone(), policy);
            return Ok(Host {
                group,
                settings,
                log,
                supervisor: Some(supervisor),
                bus: None,
                pool: None,
            });
        }

        let pool = PeerPool::new();
        for m in &settings.members {
            pool.set_addr(m.id, m.bus.clone());
        }
        let registry = Registry::new(id);
        let spec = MemberSpec {
            group_id: DATA_GROUP,
            node_id: id,
            config: raft_config,
            transport: Transport::Bus {
                pool: pool.clone(),
                registry: registry.clone(),
            },
        };
        let raft = spec.start_core(group_log, &sm).await?;
        let bus = start_bus(&settings, registry).await?;
        let group = start_group(&settings, raft, sm.data(), pool.clone()).await?;
        let supervisor = Supervisor::spawn(&group, spec, sm, log.clone(), policy);
        Ok(Host {
            group,
            settings,
            log,
            supervisor: Some(supervisor),
            bus: Some(bus),
            pool: Some(pool),
        })
    }

    /// Hands the leadership of this node's group to another data voter
    /// ([`hand_off`]); does nothing in standalone mode.
    pub async fn hand_off(&self, timeout: Duration) -> Result<Option<NodeId>, String> {
        match &self.pool {
            Some(pool) => hand_off(&self.group, pool, &self.settings.witnesses, timeout).await,
            None => Ok(None),
        }
    }

    /// Stops the groups and the bus, and closes the log after everything
    /// queued is written. Supervision ends first, so the cores stopped
    /// here stay stopped.
    pub async fn shutdown(mut self) {
        if let Some(supervisor) = self.supervisor.take() {
            supervisor.stop().await;
        }
        if let Err(e) = self.group.raft().shutdown().await {
            tracing::warn!(%e, "raft shutdown");
        }
        if let Some(bus) = self.bus.take() {
            bus.stop.send_replace(true);
            let _ = bus.task.await;
        }
        if let Err(e) = self.log.flush().await {
            tracing::warn!(%e, "write-ahead log flush at shutdown");
        }
    }
}

/// Hands the leadership of `group` to another data voter (graceful
/// shutdown, later `CLUSTER FAILOVER`): drain the group (writes get
/// `-TRYAGAIN`/`-MOVED`), wait for the target to match the log, ask it over
/// `pool` to campaign, wait for it to lead. Returns the new leader; `None`
/// when this member does not lead or has no data voter to hand to. Gives
/// up after about `timeout` per step, leaving this member leading.
pub async fn hand_off(
    group: &Group,
    pool: &PeerPool,
    witnesses: &[NodeId],
    timeout: Duration,
) -> Result<Option<NodeId>, String> {
    let raft = group.raft();
    let m = raft.metrics().borrow().clone();
    if m.state != ServerState::Leader {
        return Ok(None);
    }
    // The data voter furthest along takes over.
    let target = m
        .membership_config
        .membership()
        .voter_ids()
        .filter(|v| *v != group.node_id && !witnesses.contains(v))
        .max_by_key(|v| {
            m.replication
                .as_ref()
                .and_then(|r| r.get(v).cloned().flatten())
                .map_or(0, |l| l.index)
        });
    let Some(target) = target else {
        return Ok(None);
    };
    let Some(drained) = group.drain(timeout).await else {
        return Err("entries in flight were not applied in time".into());
    };
    let result = async {
        let prepared = transfer::prepare(&raft, target, timeout)
            .await
            .map_err(|e| e.to_string())?;
        let campaign = {
            let pool = pool.clone();
            let req = Control::Campaign {
                after_term: prepared.term,
            };
            let from = group.node_id;
            async move { pool.control(from, target, group.id, &req).await }
        };
        let (won, _) = tokio::join!(transfer::finish(&raft, &prepared, timeout), campaign);
        won.map_err(|e| e.to_string())
    }
    .await;
    // Handed over or not, proposals flow again: once another member
    // leads, they are refused with its address like after any election.
    group.resume(drained);
    result.map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_parse() {
        let m = parse_members("1=127.0.0.1:7001@17001, 2=h:7002@17002").unwrap();
        assert_eq!(
            m[1],
            MemberAddr {
                id: 2,
                client: "h:7002".into(),
                bus: "h:17002".into()
            }
        );
        assert!(parse_members("1=127.0.0.1:7001").is_err());
        assert!(parse_members("1=a:1@2,1=b:1@2").is_err());
        assert!(parse_members("x=a:1@2").is_err());
        assert_eq!(parse_members("").unwrap(), vec![]);
    }
}
