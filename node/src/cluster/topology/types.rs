//! The values a topology is made of and the changes that move it.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::cluster::slot::SLOTS;

/// A data group's id; data groups are numbered from 1.
pub type GroupId = u32;

/// The meta group, whose state machine is the topology.
pub const META_GROUP: GroupId = 0;

/// The small numeric id a node's memberships use as openraft's `NodeId`
/// (the same id in every group the node belongs to).
pub type RaftId = crate::group::types::NodeId;

/// A node's 40-hex-character id, as clients see it in CLUSTER NODES/SLOTS.
/// Named as Valkey's source names it ("name") to keep it apart from the
/// numeric [`RaftId`]. Always lowercase hex.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NodeName(String);

impl NodeName {
    /// Length of a node name in characters.
    pub const LEN: usize = 40;

    /// Checks and wraps `s`: exactly 40 characters of `0-9a-f`.
    pub fn parse(s: &str) -> Result<NodeName, TopologyError> {
        let ok = s.len() == Self::LEN
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(NodeName(s.to_owned()))
        } else {
            Err(TopologyError::InvalidNodeName(s.to_owned()))
        }
    }

    /// The 40 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NodeName {
    type Error = TopologyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        NodeName::parse(&s)
    }
}

impl From<NodeName> for String {
    fn from(n: NodeName) -> String {
        n.0
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeName({})", self.0)
    }
}

/// Where a node is reached: what it announces, so what clients are told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAddr {
    /// Announced IP address (clients and peers connect here).
    pub ip: IpAddr,
    /// Announced hostname, if any (`cluster-announce-hostname`).
    pub hostname: Option<String>,
    /// Client (RESP) port.
    pub port: u16,
    /// Cluster bus port (gossip, Raft, migration).
    pub bus_port: u16,
}

impl NodeAddr {
    /// Checks what CLUSTER NODES and the bus need: non-zero ports, and a
    /// hostname of Valkey's accepted shape (under 256 characters of
    /// letters, digits, `-` and `.`: anything else would break the
    /// `ip:port@cport,hostname` field).
    pub fn check(&self) -> Result<(), TopologyError> {
        if self.port == 0 || self.bus_port == 0 {
            return Err(TopologyError::InvalidAddress(
                "ports must be non-zero".into(),
            ));
        }
        if let Some(h) = &self.hostname {
            let ok = !h.is_empty()
                && h.len() < 256
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            if !ok {
                return Err(TopologyError::InvalidAddress(format!(
                    "invalid hostname '{h}': hostnames may only contain alphanumeric characters, hyphens or dots"
                )));
            }
        }
        Ok(())
    }
}

/// Replicated per-node settings. (Liveness flags such as `fail` come from
/// gossip and are not part of the topology.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeFlags {
    /// The node's data memberships should not be made leaders (Valkey's
    /// `nofailover`); shown as `nofailover` in CLUSTER NODES.
    pub no_failover: bool,
}

/// A node of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// Its 40-hex id.
    pub name: NodeName,
    /// Its openraft id in every group it belongs to; allocated by the
    /// topology when the node is added, never reused.
    pub raft_id: RaftId,
    /// Its announced address.
    pub addr: NodeAddr,
    /// Its replicated flags.
    pub flags: NodeFlags,
}

/// What a member does in its group (DESIGN, "member roles").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MemberRole {
    /// Keeps the log and the keyspace, votes, can lead.
    DataVoter,
    /// Votes and acknowledges appends, keeps no keyspace, never serves.
    Witness,
    /// Catching up a keyspace copy; does not vote yet.
    Learner,
}

impl MemberRole {
    /// Counts toward elections and the commit quorum.
    pub fn is_voter(self) -> bool {
        matches!(self, MemberRole::DataVoter | MemberRole::Witness)
    }

    /// Keeps (or is building) a copy of the group's keyspace.
    pub fn holds_data(self) -> bool {
        matches!(self, MemberRole::DataVoter | MemberRole::Learner)
    }
}

/// One membership of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The node hosting it.
    pub node: NodeName,
    /// Its role.
    pub role: MemberRole,
}

impl Member {
    /// A member on `node` with `role`.
    pub fn new(node: NodeName, role: MemberRole) -> Member {
        Member { node, role }
    }
}

/// A data group (a Valkey shard).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// Its id (≥ 1).
    pub id: GroupId,
    /// Its members, each on a different node, in the order they were
    /// added (views list followers in this order).
    pub members: Vec<Member>,
    /// The data voter that should lead when it can (the controller spreads
    /// leaders by moving leadership there); `None` if unset.
    pub preferred_leader: Option<NodeName>,
    /// The topology epoch of the last change to this group (its members or
    /// its slots): the config epoch CLUSTER NODES shows.
    pub epoch: u64,
}

impl GroupInfo {
    /// The membership on `node`, if any.
    pub fn member(&self, node: &NodeName) -> Option<&Member> {
        self.members.iter().find(|m| &m.node == node)
    }

    /// Members in `role`, in member order.
    pub fn with_role(&self, role: MemberRole) -> impl Iterator<Item = &Member> + '_ {
        self.members.iter().filter(move |m| m.role == role)
    }
}

/// An inclusive range of slots, `start <= end < 16384`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "(u16, u16)", into = "(u16, u16)")]
pub struct SlotRange {
    pub(super) start: u16,
    pub(super) end: u16,
}

impl SlotRange {
    /// `start..=end`; refused if out of order or past the last slot.
    pub fn new(start: u16, end: u16) -> Result<SlotRange, TopologyError> {
        if start > end || end >= SLOTS {
            return Err(TopologyError::InvalidSlotRange(start, end));
        }
        Ok(SlotRange { start, end })
    }

    /// The range holding only `slot` (< 16384).
    pub fn single(slot: u16) -> Result<SlotRange, TopologyError> {
        SlotRange::new(slot, slot)
    }

    /// First slot.
    pub fn start(&self) -> u16 {
        self.start
    }

    /// Last slot (inclusive).
    pub fn end(&self) -> u16 {
        self.end
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        usize::from(self.end - self.start) + 1
    }

    /// Never true: a range holds at least one slot.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The slots, in order.
    pub fn slots(&self) -> std::ops::RangeInclusive<u16> {
        self.start..=self.end
    }
}

impl TryFrom<(u16, u16)> for SlotRange {
    type Error = TopologyError;
    fn try_from((start, end): (u16, u16)) -> Result<Self, Self::Error> {
        SlotRange::new(start, end)
    }
}

impl From<SlotRange> for (u16, u16) {
    fn from(r: SlotRange) -> (u16, u16) {
        (r.start, r.end)
    }
}

/// `a-b`, or `a` for a single slot, as CLUSTER NODES writes ranges.
impl fmt::Display for SlotRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

/// One change to the topology, as the meta group commits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TopologyChange {
    /// A node joins; its Raft id is allocated by the topology.
    AddNode {
        /// Its id.
        name: NodeName,
        /// What it announces.
        addr: NodeAddr,
    },
    /// A known node announces a new address (e.g. it restarted elsewhere).
    SetNodeAddr {
        /// The node.
        name: NodeName,
        /// Its new address.
        addr: NodeAddr,
    },
    /// Replaces a node's replicated flags.
    SetNodeFlags {
        /// The node.
        name: NodeName,
        /// Its new flags.
        flags: NodeFlags,
    },
    /// A node leaves: its memberships go with it. Refused if a group would
    /// be left without a data voter.
    RemoveNode {
        /// The node.
        name: NodeName,
    },
    /// A new data group. Ids are never reused: `id` must exceed every
    /// group id seen before, which also makes a retried proposal fail
    /// instead of creating a second group.
    AddGroup {
        /// Its id (≥ 1).
        id: GroupId,
        /// Its members (at least one data voter, distinct known nodes).
        members: Vec<Member>,
        /// Its preferred leader, a data voter among `members`.
        preferred_leader: Option<NodeName>,
    },
    /// Drops a group that owns no slot.
    RemoveGroup {
        /// The group.
        id: GroupId,
    },
    /// Adds a membership to a group.
    AddMember {
        /// The group.
        group: GroupId,
        /// The new member (a node not yet in the group).
        member: Member,
    },
    /// Removes a membership (not the group's last data voter); clears the
    /// preferred leader if it was this node.
    RemoveMember {
        /// The group.
        group: GroupId,
        /// The member's node.
        node: NodeName,
    },
    /// Changes a member's role (learner → data voter after catch-up, ...);
    /// a preferred leader that stops being a data voter is cleared.
    SetMemberRole {
        /// The group.
        group: GroupId,
        /// The member's node.
        node: NodeName,
        /// Its new role.
        role: MemberRole,
    },
    /// Sets or clears a group's preferred leader.
    SetPreferredLeader {
        /// The group.
        group: GroupId,
        /// A data voter of the group, or `None`.
        node: Option<NodeName>,
    },
    /// Gives unowned slots to a group (CLUSTER ADDSLOTS / ADDSLOTSRANGE).
    AssignSlots {
        /// The group.
        group: GroupId,
        /// Slots to assign; none may be owned or listed twice.
        ranges: Vec<SlotRange>,
    },
    /// Makes owned slots unowned (CLUSTER DELSLOTS / DELSLOTSRANGE).
    RemoveSlots {
        /// Slots to release; all must be owned, none listed twice.
        ranges: Vec<SlotRange>,
    },
    /// Moves slots owned by `from` to `to`: the single commit point of a
    /// slot migration.
    MoveSlots {
        /// Current owner of every slot in `ranges`.
        from: GroupId,
        /// New owner.
        to: GroupId,
        /// Slots to move; none listed twice.
        ranges: Vec<SlotRange>,
    },
}

/// Why a change (or a decoded snapshot) was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TopologyError {
    /// Not 40 lowercase hex characters.
    #[error("invalid node id '{0}'")]
    InvalidNodeName(String),
    /// A bad announced address.
    #[error("invalid address: {0}")]
    InvalidAddress(String),
    /// No such node.
    #[error("Unknown node {0}")]
    UnknownNode(NodeName),
    /// The node is already known.
    #[error("node {0} already exists")]
    NodeExists(NodeName),
    /// No such group.
    #[error("unknown group {0}")]
    UnknownGroup(GroupId),
    /// Group 0 or an id not above every id used before.
    #[error("group id {0} is invalid or was used before")]
    GroupIdUnavailable(GroupId),
    /// The node is already a member of the group.
    #[error("node {node} is already a member of group {group}")]
    DuplicateMember {
        /// The group.
        group: GroupId,
        /// The node.
        node: NodeName,
    },
    /// The node is not a member of the group.
    #[error("node {node} is not a member of group {group}")]
    NotAMember {
        /// The group.
        group: GroupId,
        /// The node.
        node: NodeName,
    },
    /// The group would have no data voter (and so nothing to serve from).
    #[error("group {0} would have no data voter")]
    NoDataVoter(GroupId),
    /// A preferred leader must be a data voter of its group.
    #[error("node {node} is not a data voter of group {group}")]
    NotADataVoter {
        /// The group.
        group: GroupId,
        /// The node.
        node: NodeName,
    },
    /// A slot range out of order or past slot 16383.
    #[error("Invalid or out of range slot range {0}-{1}")]
    InvalidSlotRange(u16, u16),
    /// A slot change with no slot.
    #[error("no slot given")]
    NoSlots,
    /// The same slot twice in one change.
    #[error("Slot {0} specified multiple times")]
    SlotRepeated(u16),
    /// Assigning a slot that has an owner.
    #[error("Slot {0} is already busy")]
    SlotBusy(u16),
    /// Releasing a slot that has no owner.
    #[error("Slot {0} is already unassigned")]
    SlotUnassigned(u16),
    /// Moving a slot that `group` does not own.
    #[error("Slot {slot} is not owned by group {group}")]
    SlotNotOwned {
        /// The slot.
        slot: u16,
        /// The group that was expected to own it.
        group: GroupId,
    },
    /// A move whose source is its target.
    #[error("slots cannot move from group {0} to itself")]
    SameGroup(GroupId),
    /// Removing a group that still owns slots.
    #[error("group {0} still owns slots")]
    GroupOwnsSlots(GroupId),
    /// A decoded topology breaks an invariant.
    #[error("inconsistent topology: {0}")]
    Inconsistent(String),
}
