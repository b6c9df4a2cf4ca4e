//! What cluster clients see: CLUSTER SLOTS, CLUSTER SHARDS and CLUSTER
//! NODES in Valkey 9's formats, rendered from a [`Topology`] plus the live
//! facts it does not hold (which member leads each group, how far members
//! have applied, what gossip says about each node).
//!
//! The mapping (DESIGN, "Client-visible cluster view"): a group is a
//! Valkey shard; its leader is the primary and its other data voters are
//! replicas. Witnesses never appear as replicas: they keep no keyspace.
//!
//! Decisions where Valkey has no equivalent:
//! - A group whose leader is unknown (an election is running) or is not
//!   one of its data voters (a witness bridging the availability gap) is
//!   shown led by its preferred leader, else its first data voter, skipping
//!   nodes gossip reports as failed. Clients keep a complete slot map and
//!   land on a member that redirects them (`-MOVED`/`-TRYAGAIN`) once the
//!   election settles, instead of seeing slots with no owner.
//! - Learners are replicas that are not ready: in SHARDS with health
//!   `loading`, left out of SLOTS (as Valkey leaves out replicas that have
//!   not synced).
//! - CLUSTER NODES has one line per node, not per membership. A node that
//!   leads a group is a `master` listing the slots of every group it leads.
//!   Any other node is a `slave` of the leader of its lowest data group; a
//!   node holding only witness memberships is a `slave` of the leader of
//!   its lowest witness group, flagged `nofailover` (it never serves); a
//!   node with no membership (just joined) is a `master` with no slots,
//!   like an empty Valkey primary.
//! - A master's config epoch is the highest topology epoch at which one of
//!   the groups it leads last changed; a slave shows its master's, as in
//!   Valkey.
//! - Shards are listed by group id and nodes by node id (Valkey's order is
//!   its hash table's).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bytes::Bytes;

use crate::cluster::topology::{
    GroupId, GroupInfo, MemberRole, NodeInfo, NodeName, RaftId, Topology,
};
use crate::resp::Frame;

/// Which endpoint clients are told to use (`cluster-preferred-endpoint-type`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EndpointType {
    /// The announced IP (Valkey's default).
    #[default]
    Ip,
    /// The announced hostname; `?` for a node without one.
    Hostname,
    /// None: clients reuse the address they reached this node on.
    UnknownEndpoint,
}

/// What gossip knows about a node (the defaults fit a healthy node, or a
/// view rendered before gossip exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeHealth {
    /// Unix ms of the ping waiting for a pong, 0 if none.
    pub ping_sent_ms: u64,
    /// Unix ms of the last pong received.
    pub pong_recv_ms: u64,
    /// A bus link to the node is up.
    pub connected: bool,
    /// This node suspects the node is down (`fail?`).
    pub pfail: bool,
    /// A majority agreed the node is down (`fail`).
    pub fail: bool,
}

impl Default for NodeHealth {
    fn default() -> Self {
        NodeHealth {
            ping_sent_ms: 0,
            pong_recv_ms: 0,
            connected: true,
            pfail: false,
            fail: false,
        }
    }
}

/// A topology with the live facts needed to render the client views.
#[derive(Debug, Clone, Copy)]
pub struct ClusterView<'a> {
    topology: &'a Topology,
    leaders: &'a BTreeMap<GroupId, RaftId>,
    endpoint: EndpointType,
    applied: Option<&'a BTreeMap<(GroupId, RaftId), u64>>,
    health: Option<&'a BTreeMap<NodeName, NodeHealth>>,
}

impl<'a> ClusterView<'a> {
    /// A view of `topology` where `leaders` maps a group to the Raft id
    /// of its current leader, as that group's Raft reports it.
    pub fn new(topology: &'a Topology, leaders: &'a BTreeMap<GroupId, RaftId>) -> Self {
        ClusterView {
            topology,
            leaders,
            endpoint: EndpointType::Ip,
            applied: None,
            health: None,
        }
    }

    /// Sets the preferred endpoint type (default [`EndpointType::Ip`]).
    pub fn endpoint(mut self, endpoint: EndpointType) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// Applied log index per (group, member's Raft id): SHARDS reports it
    /// as `replication-offset` (0 where unknown).
    pub fn applied(mut self, applied: &'a BTreeMap<(GroupId, RaftId), u64>) -> Self {
        self.applied = Some(applied);
        self
    }

    /// Gossip's view of each node (default: healthy).
    pub fn health(mut self, health: &'a BTreeMap<NodeName, NodeHealth>) -> Self {
        self.health = Some(health);
        self
    }

    /// The node shown as `group`'s primary: its live leader if that is one
    /// of its data voters, else the fallback described in the module docs.
    pub fn leader(&self, group: &GroupInfo) -> Option<&'a NodeInfo> {
        let t = self.topology;
        let live = self
            .leaders
            .get(&group.id)
            .and_then(|&id| t.node_by_raft_id(id))
            .filter(|n| group.member(&n.name).map(|m| m.role) == Some(MemberRole::DataVoter));
        if live.is_some() {
            return live;
        }
        let candidates: Vec<&NodeInfo> = group
            .preferred_leader
            .iter()
            .chain(group.with_role(MemberRole::DataVoter).map(|m| &m.node))
            .filter_map(|name| t.node(name))
            .collect();
        candidates
            .iter()
            .find(|n| !self.node_health(&n.name).fail)
            .or(candidates.first())
            .copied()
    }

    /// CLUSTER SLOTS: for each run of consecutive slots one group owns, by
    /// start slot, `[start, end, primary, replica...]`; a node is `[endpoint,
    /// port, id, {ip, hostname}]`. Replicas on failed nodes are left out,
    /// as Valkey leaves out failed replicas.
    pub fn slots(&self) -> Frame {
        let t = self.topology;
        let mut out = Vec::new();
        for (range, gid) in t.slot_runs() {
            let Some(g) = t.group(gid) else { continue };
            let Some(leader) = self.leader(g) else {
                continue;
            };
            let mut entry = vec![
                Frame::int(range.start()),
                Frame::int(range.end()),
                self.slot_node(leader),
            ];
            for m in g.with_role(MemberRole::DataVoter) {
                if m.node == leader.name || self.node_health(&m.node).fail {
                    continue;
                }
                if let Some(n) = t.node(&m.node) {
                    entry.push(self.slot_node(n));
                }
            }
            out.push(Frame::Array(entry));
        }
        Frame::Array(out)
    }

    /// CLUSTER SHARDS: one map per group, by group id: `slots` (flat start,
    /// end pairs) and `nodes` (the primary first, then the other data
    /// voters and learners in member order).
    pub fn shards(&self) -> Frame {
        let t = self.topology;
        let mut out = Vec::new();
        for g in t.groups() {
            let slots = t
                .slot_ranges(g.id)
                .iter()
                .flat_map(|r| [Frame::int(r.start()), Frame::int(r.end())])
                .collect();
            let leader = self.leader(g);
            let mut nodes = Vec::new();
            if let Some(l) = leader {
                nodes.push(self.shard_node(g.id, l, MemberRole::DataVoter, true));
            }
            for m in &g.members {
                if !m.role.holds_data() || leader.is_some_and(|l| l.name == m.node) {
                    continue;
                }
                if let Some(n) = t.node(&m.node) {
                    nodes.push(self.shard_node(g.id, n, m.role, false));
                }
            }
            out.push(Frame::Map(vec![
                (key("slots"), Frame::Array(slots)),
                (key("nodes"), Frame::Array(nodes)),
            ]));
        }
        Frame::Array(out)
    }

    /// CLUSTER NODES as seen by `myself`: one line per node, by node id,
    /// `<id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent>
    /// <pong-recv> <config-epoch> <link-state> <slot>...`, each ending in
    /// a newline.
    pub fn nodes(&self, myself: &NodeName) -> String {
        let t = self.topology;
        // Who is shown leading what.
        let mut led: BTreeMap<&NodeName, Vec<&GroupInfo>> = BTreeMap::new();
        let mut leader_of: BTreeMap<GroupId, &NodeName> = BTreeMap::new();
        for g in t.groups() {
            if let Some(l) = self.leader(g) {
                led.entry(&l.name).or_default().push(g);
                leader_of.insert(g.id, &l.name);
            }
        }
        let master_epoch = |name: &NodeName| -> u64 {
            led.get(name)
                .map_or(0, |gs| gs.iter().map(|g| g.epoch).max().unwrap_or(0))
        };
        // A node's slots: the runs of the groups it leads, merged where
        // two of its groups own adjacent ranges.
        let mut slots: BTreeMap<&NodeName, Vec<(u16, u16)>> = BTreeMap::new();
        for (range, gid) in t.slot_runs() {
            let Some(&owner) = leader_of.get(&gid) else {
                continue;
            };
            let list = slots.entry(owner).or_default();
            match list.last_mut() {
                Some(last) if last.1 + 1 == range.start() => last.1 = range.end(),
                _ => list.push((range.start(), range.end())),
            }
        }

        let mut out = String::new();
        for n in t.nodes() {
            let me = &n.name == myself;
            let health = if me {
                NodeHealth::default()
            } else {
                self.node_health(&n.name)
            };
            let (master, slave_of, witness_only) = if led.contains_key(&n.name) {
                (true, None, false)
            } else {
                let ms = t.memberships(&n.name);
                let data = ms.iter().find(|(_, r)| r.holds_data());
                let pick = data.or(ms.first());
                let of = pick.and_then(|(g, _)| leader_of.get(g).copied());
                (ms.is_empty(), of, data.is_none() && !ms.is_empty())
            };

            let mut flags = Vec::new();
            if me {
                flags.push("myself");
            }
            flags.push(if master { "master" } else { "slave" });
            if health.pfail {
                flags.push("fail?");
            }
            if health.fail {
                flags.push("fail");
            }
            if n.flags.no_failover || witness_only {
                flags.push("nofailover");
            }

            let a = &n.addr;
            let _ = write!(out, "{} {}:{}@{}", n.name, a.ip, a.port, a.bus_port);
            if let Some(h) = &a.hostname {
                let _ = write!(out, ",{h}");
            }
            let epoch = match slave_of {
                Some(m) => master_epoch(m),
                None => master_epoch(&n.name),
            };
            let _ = write!(
                out,
                " {} {} {} {} {} {}",
                flags.join(","),
                slave_of.map_or("-", |m| m.as_str()),
                health.ping_sent_ms,
                health.pong_recv_ms,
                epoch,
                if health.connected {
                    "connected"
                } else {
                    "disconnected"
                },
            );
            for &(start, end) in slots.get(&n.name).map_or(&[][..], |v| v) {
                if start == end {
                    let _ = write!(out, " {start}");
                } else {
                    let _ = write!(out, " {start}-{end}");
                }
            }
            out.push('\n');
        }
        out
    }

    fn node_health(&self, name: &NodeName) -> NodeHealth {
        self.health
            .and_then(|h| h.get(name).copied())
            .unwrap_or_default()
    }

    /// The endpoint clients are told to connect to (SHARDS' `endpoint`).
    fn preferred_endpoint(&self, n: &NodeInfo) -> String {
        match self.endpoint {
            EndpointType::Ip => n.addr.ip.to_string(),
            EndpointType::Hostname => n.addr.hostname.clone().unwrap_or_else(|| "?".into()),
            EndpointType::UnknownEndpoint => String::new(),
        }
    }

    /// One node of a CLUSTER SLOTS entry.
    fn slot_node(&self, n: &NodeInfo) -> Frame {
        let endpoint = match self.endpoint {
            EndpointType::UnknownEndpoint => Frame::Null,
            _ => text(self.preferred_endpoint(n)),
        };
        // Whatever the endpoint field does not carry.
        let mut meta = Vec::new();
        if self.endpoint != EndpointType::Ip {
            meta.push((key("ip"), text(n.addr.ip.to_string())));
        }
        if self.endpoint != EndpointType::Hostname {
            if let Some(h) = &n.addr.hostname {
                meta.push((key("hostname"), text(h.clone())));
            }
        }
        Frame::Array(vec![
            endpoint,
            Frame::int(n.addr.port),
            text(n.name.to_string()),
            Frame::Map(meta),
        ])
    }

    /// One node of a CLUSTER SHARDS entry.
    fn shard_node(&self, group: GroupId, n: &NodeInfo, role: MemberRole, primary: bool) -> Frame {
        let offset = self
            .applied
            .and_then(|a| a.get(&(group, n.raft_id)).copied())
            .unwrap_or(0);
        let health = if self.node_health(&n.name).fail {
            "fail"
        } else if role == MemberRole::Learner {
            "loading"
        } else {
            "online"
        };
        let mut fields = vec![
            (key("id"), text(n.name.to_string())),
            (key("port"), Frame::int(n.addr.port)),
            (key("ip"), text(n.addr.ip.to_string())),
            (key("endpoint"), text(self.preferred_endpoint(n))),
        ];
        if let Some(h) = &n.addr.hostname {
            fields.push((key("hostname"), text(h.clone())));
        }
        fields.extend([
            (key("role"), key(if primary { "master" } else { "replica" })),
            (key("replication-offset"), Frame::int(offset)),
            (key("health"), key(health)),
        ]);
        Frame::Map(fields)
    }
}

fn key(s: &'static str) -> Frame {
    Frame::Bulk(Bytes::from_static(s.as_bytes()))
}

fn text(s: String) -> Frame {
    Frame::Bulk(Bytes::from(s))
}

#[cfg(test)]
mod tests;
