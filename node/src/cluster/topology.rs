//! The cluster topology: the state machine of the meta group (group 0).
//!
//! A [`Topology`] says which nodes exist (name, announced address, the
//! numeric Raft id their memberships use), which data groups exist with
//! which members in which roles, and which group owns each hash slot. It
//! changes only through [`Topology::apply`], a pure function of
//! (topology, [`TopologyChange`]): every member of the meta group applies
//! the same committed changes in the same order and ends with the same
//! value. A change is validated whole before anything is touched, so a
//! refused change leaves the topology exactly as it was; an accepted one
//! bumps the topology epoch by one.
//!
//! Live facts are not here: who leads a group right now comes from that
//! group's Raft, liveness from gossip. The views in `cluster::view` combine
//! them with a topology.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::cluster::slot::SLOTS;

mod types;

pub use types::*;

/// The cluster topology. See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    epoch: u64,
    /// The next Raft id to hand out (ids are never reused: a removed
    /// node's id may still be in some group's log).
    next_raft_id: RaftId,
    /// Group ids below this have been used.
    next_group_id: GroupId,
    nodes: BTreeMap<NodeName, NodeInfo>,
    groups: BTreeMap<GroupId, GroupInfo>,
    /// Owner of every slot, 0 (the meta group, which owns none) for none:
    /// the O(1) slot → group table.
    slots: Vec<GroupId>,
}

impl Default for Topology {
    fn default() -> Self {
        Topology::new()
    }
}

impl Topology {
    /// The empty topology: epoch 0, no node, no group, no slot owned.
    pub fn new() -> Topology {
        Topology {
            epoch: 0,
            next_raft_id: 1,
            next_group_id: 1,
            nodes: BTreeMap::new(),
            groups: BTreeMap::new(),
            slots: vec![META_GROUP; usize::from(SLOTS)],
        }
    }

    /// The topology epoch: the number of changes applied.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The node named `name`.
    pub fn node(&self, name: &NodeName) -> Option<&NodeInfo> {
        self.nodes.get(name)
    }

    /// The node whose Raft id is `id` (nodes are few: a scan).
    pub fn node_by_raft_id(&self, id: RaftId) -> Option<&NodeInfo> {
        self.nodes.values().find(|n| n.raft_id == id)
    }

    /// Every node, by name.
    pub fn nodes(&self) -> impl Iterator<Item = &NodeInfo> + '_ {
        self.nodes.values()
    }

    /// The group `id`.
    pub fn group(&self, id: GroupId) -> Option<&GroupInfo> {
        self.groups.get(&id)
    }

    /// Every group, by id.
    pub fn groups(&self) -> impl Iterator<Item = &GroupInfo> + '_ {
        self.groups.values()
    }

    /// The memberships of `node`: (group, role), by group id.
    pub fn memberships(&self, node: &NodeName) -> Vec<(GroupId, MemberRole)> {
        self.groups
            .values()
            .filter_map(|g| g.member(node).map(|m| (g.id, m.role)))
            .collect()
    }

    /// The group owning `slot`, if any. O(1).
    pub fn slot_owner(&self, slot: u16) -> Option<GroupId> {
        match self.slots.get(usize::from(slot)) {
            Some(&g) if g != META_GROUP => Some(g),
            _ => None,
        }
    }

    /// Every maximal run of consecutive slots with one owner, by start slot.
    pub fn slot_runs(&self) -> Vec<(SlotRange, GroupId)> {
        runs(&self.slots)
    }

    /// The slot ranges `group` owns, by start slot.
    pub fn slot_ranges(&self, group: GroupId) -> Vec<SlotRange> {
        self.slot_runs()
            .into_iter()
            .filter(|&(_, g)| g == group)
            .map(|(r, _)| r)
            .collect()
    }

    /// Validates `change` against the current topology and applies it, or
    /// returns why not and changes nothing. A success bumps the epoch.
    pub fn apply(&mut self, change: TopologyChange) -> Result<(), TopologyError> {
        use TopologyChange as C;
        let epoch = self.epoch + 1;
        match change {
            C::AddNode { name, addr } => {
                addr.check()?;
                if self.nodes.contains_key(&name) {
                    return Err(TopologyError::NodeExists(name));
                }
                let raft_id = self.next_raft_id;
                self.next_raft_id += 1;
                let info = NodeInfo {
                    name: name.clone(),
                    raft_id,
                    addr,
                    flags: NodeFlags::default(),
                };
                self.nodes.insert(name, info);
            }
            C::SetNodeAddr { name, addr } => {
                addr.check()?;
                self.node_mut(&name)?.addr = addr;
            }
            C::SetNodeFlags { name, flags } => self.node_mut(&name)?.flags = flags,
            C::RemoveNode { name } => {
                if !self.nodes.contains_key(&name) {
                    return Err(TopologyError::UnknownNode(name));
                }
                // Check every group first so a refusal changes nothing.
                let mut changed = Vec::new();
                for g in self.groups.values() {
                    if g.member(&name).is_some() {
                        changed.push(self.checked(without_member(g, &name))?);
                    }
                }
                for mut g in changed {
                    g.epoch = epoch;
                    self.groups.insert(g.id, g);
                }
                self.nodes.remove(&name);
            }
            C::AddGroup {
                id,
                members,
                preferred_leader,
            } => {
                // The last id is refused too: nothing could follow it.
                let next = match id.checked_add(1) {
                    Some(next) if id != META_GROUP && id >= self.next_group_id => next,
                    _ => return Err(TopologyError::GroupIdUnavailable(id)),
                };
                let g = self.checked(GroupInfo {
                    id,
                    members,
                    preferred_leader,
                    epoch,
                })?;
                self.next_group_id = next;
                self.groups.insert(id, g);
            }
            C::RemoveGroup { id } => {
                self.group_ref(id)?;
                if self.slots.contains(&id) {
                    return Err(TopologyError::GroupOwnsSlots(id));
                }
                self.groups.remove(&id);
            }
            C::AddMember { group, member } => {
                let mut g = self.group_ref(group)?.clone();
                g.members.push(member);
                self.replace_group(g, epoch)?;
            }
            C::RemoveMember { group, node } => {
                let g = self.group_ref(group)?;
                if g.member(&node).is_none() {
                    return Err(TopologyError::NotAMember { group, node });
                }
                let g = without_member(g, &node);
                self.replace_group(g, epoch)?;
            }
            C::SetMemberRole { group, node, role } => {
                let mut g = self.group_ref(group)?.clone();
                let Some(m) = g.members.iter_mut().find(|m| m.node == node) else {
                    return Err(TopologyError::NotAMember { group, node });
                };
                m.role = role;
                if role != MemberRole::DataVoter && g.preferred_leader.as_ref() == Some(&node) {
                    g.preferred_leader = None;
                }
                self.replace_group(g, epoch)?;
            }
            C::SetPreferredLeader { group, node } => {
                let mut g = self.group_ref(group)?.clone();
                g.preferred_leader = node;
                self.replace_group(g, epoch)?;
            }
            C::AssignSlots { group, ranges } => {
                self.group_ref(group)?;
                let slots = distinct_slots(&ranges)?;
                if let Some(&s) = slots.iter().find(|&&s| self.slot_owner(s).is_some()) {
                    return Err(TopologyError::SlotBusy(s));
                }
                self.set_owner(&slots, group, epoch);
            }
            C::RemoveSlots { ranges } => {
                let slots = distinct_slots(&ranges)?;
                if let Some(&s) = slots.iter().find(|&&s| self.slot_owner(s).is_none()) {
                    return Err(TopologyError::SlotUnassigned(s));
                }
                let owners: BTreeSet<GroupId> =
                    slots.iter().filter_map(|&s| self.slot_owner(s)).collect();
                self.set_owner(&slots, META_GROUP, epoch);
                for g in owners {
                    self.touch(g, epoch);
                }
            }
            C::MoveSlots { from, to, ranges } => {
                self.group_ref(from)?;
                self.group_ref(to)?;
                if from == to {
                    return Err(TopologyError::SameGroup(from));
                }
                let slots = distinct_slots(&ranges)?;
                if let Some(&slot) = slots.iter().find(|&&s| self.slot_owner(s) != Some(from)) {
                    return Err(TopologyError::SlotNotOwned { slot, group: from });
                }
                self.set_owner(&slots, to, epoch);
                self.touch(from, epoch);
            }
        }
        self.epoch = epoch;
        Ok(())
    }

    /// Checks every invariant (what `apply` maintains; run on a decoded
    /// snapshot before it is trusted).
    pub fn validate(&self) -> Result<(), TopologyError> {
        let bad = |msg: String| Err(TopologyError::Inconsistent(msg));
        if self.slots.len() != usize::from(SLOTS) {
            return bad(format!("{} slots in the table", self.slots.len()));
        }
        let mut raft_ids = BTreeSet::new();
        for (name, n) in &self.nodes {
            if name != &n.name {
                return bad(format!("node {name} filed under another name"));
            }
            n.addr.check()?;
            if n.raft_id == 0 || n.raft_id >= self.next_raft_id || !raft_ids.insert(n.raft_id) {
                return bad(format!("node {name} has raft id {}", n.raft_id));
            }
        }
        for (&id, g) in &self.groups {
            if id != g.id || id == META_GROUP || id >= self.next_group_id {
                return bad(format!("group {} filed as {id}", g.id));
            }
            if g.epoch > self.epoch {
                return bad(format!("group {id} changed after the topology"));
            }
            self.checked(g.clone())?;
        }
        if let Some(g) = self
            .slots
            .iter()
            .find(|&&g| g != META_GROUP && !self.groups.contains_key(&g))
        {
            return bad(format!("slots owned by missing group {g}"));
        }
        Ok(())
    }

    fn node_mut(&mut self, name: &NodeName) -> Result<&mut NodeInfo, TopologyError> {
        self.nodes
            .get_mut(name)
            .ok_or_else(|| TopologyError::UnknownNode(name.clone()))
    }

    fn group_ref(&self, id: GroupId) -> Result<&GroupInfo, TopologyError> {
        self.groups.get(&id).ok_or(TopologyError::UnknownGroup(id))
    }

    /// `g` if it may exist in this topology: known, distinct member nodes,
    /// at least one data voter, preferred leader a data voter.
    fn checked(&self, g: GroupInfo) -> Result<GroupInfo, TopologyError> {
        let mut seen = BTreeSet::new();
        for m in &g.members {
            if !self.nodes.contains_key(&m.node) {
                return Err(TopologyError::UnknownNode(m.node.clone()));
            }
            if !seen.insert(&m.node) {
                return Err(TopologyError::DuplicateMember {
                    group: g.id,
                    node: m.node.clone(),
                });
            }
        }
        if g.with_role(MemberRole::DataVoter).next().is_none() {
            return Err(TopologyError::NoDataVoter(g.id));
        }
        if let Some(p) = &g.preferred_leader {
            if g.member(p).map(|m| m.role) != Some(MemberRole::DataVoter) {
                return Err(TopologyError::NotADataVoter {
                    group: g.id,
                    node: p.clone(),
                });
            }
        }
        Ok(g)
    }

    fn replace_group(&mut self, g: GroupInfo, epoch: u64) -> Result<(), TopologyError> {
        let mut g = self.checked(g)?;
        g.epoch = epoch;
        self.groups.insert(g.id, g);
        Ok(())
    }

    fn set_owner(&mut self, slots: &[u16], owner: GroupId, epoch: u64) {
        for &s in slots {
            self.slots[usize::from(s)] = owner;
        }
        self.touch(owner, epoch);
    }

    fn touch(&mut self, group: GroupId, epoch: u64) {
        if let Some(g) = self.groups.get_mut(&group) {
            g.epoch = epoch;
        }
    }
}

/// `g` without the membership on `node`; the preferred leader is cleared
/// if it was that node.
fn without_member(g: &GroupInfo, node: &NodeName) -> GroupInfo {
    let mut g = g.clone();
    g.members.retain(|m| &m.node != node);
    if g.preferred_leader.as_ref() == Some(node) {
        g.preferred_leader = None;
    }
    g
}

/// The slots of `ranges`, refused if empty or if a slot repeats.
fn distinct_slots(ranges: &[SlotRange]) -> Result<Vec<u16>, TopologyError> {
    let mut seen = vec![false; usize::from(SLOTS)];
    let mut out = Vec::new();
    for r in ranges {
        for s in r.slots() {
            if std::mem::replace(&mut seen[usize::from(s)], true) {
                return Err(TopologyError::SlotRepeated(s));
            }
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err(TopologyError::NoSlots);
    }
    Ok(out)
}

/// Maximal runs of equal owners in `table`, skipping unowned slots.
fn runs(table: &[GroupId]) -> Vec<(SlotRange, GroupId)> {
    let mut out: Vec<(SlotRange, GroupId)> = Vec::new();
    for (slot, &g) in (0u16..).zip(table) {
        if g == META_GROUP {
            continue;
        }
        match out.last_mut() {
            Some((r, last)) if *last == g && r.end + 1 == slot => r.end = slot,
            _ => out.push((
                SlotRange {
                    start: slot,
                    end: slot,
                },
                g,
            )),
        }
    }
    out
}

/// The snapshot form: slot ownership as runs (a handful instead of 16384
/// entries), nodes and groups as lists.
#[derive(Serialize)]
struct ReprRef<'a> {
    epoch: u64,
    next_raft_id: RaftId,
    next_group_id: GroupId,
    nodes: Vec<&'a NodeInfo>,
    groups: Vec<&'a GroupInfo>,
    slots: Vec<(SlotRange, GroupId)>,
}

#[derive(Deserialize)]
struct Repr {
    epoch: u64,
    next_raft_id: RaftId,
    next_group_id: GroupId,
    nodes: Vec<NodeInfo>,
    groups: Vec<GroupInfo>,
    slots: Vec<(SlotRange, GroupId)>,
}

impl Serialize for Topology {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ReprRef {
            epoch: self.epoch,
            next_raft_id: self.next_raft_id,
            next_group_id: self.next_group_id,
            nodes: self.nodes.values().collect(),
            groups: self.groups.values().collect(),
            slots: self.slot_runs(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Topology {
    /// Decodes and validates: a snapshot that breaks an invariant (or
    /// lists a node, group or slot twice) is refused.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let r = Repr::deserialize(d)?;
        let mut t = Topology {
            epoch: r.epoch,
            next_raft_id: r.next_raft_id,
            next_group_id: r.next_group_id,
            ..Topology::new()
        };
        let dup = |what: String| D::Error::custom(TopologyError::Inconsistent(what));
        for n in r.nodes {
            if let Some(n) = t.nodes.insert(n.name.clone(), n) {
                return Err(dup(format!("node {} listed twice", n.name)));
            }
        }
        for g in r.groups {
            if let Some(g) = t.groups.insert(g.id, g) {
                return Err(dup(format!("group {} listed twice", g.id)));
            }
        }
        for (range, g) in r.slots {
            for s in range.slots() {
                let owner = &mut t.slots[usize::from(s)];
                if *owner != META_GROUP || g == META_GROUP {
                    return Err(dup(format!("slot {s} listed twice or owned by group 0")));
                }
                *owner = g;
            }
        }
        t.validate().map_err(D::Error::custom)?;
        Ok(t)
    }
}

#[cfg(test)]
mod tests;
