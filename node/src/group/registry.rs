//! The node's Raft groups by group id: what the cluster-bus service
//! dispatches incoming RPCs to.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use super::types::{GroupRaft, NodeId};

/// The node's own id and its `Raft` handle of every group it is a member
/// of. Cheap to clone: clones share the same map.
#[derive(Clone)]
pub struct Registry {
    node_id: NodeId,
    groups: Arc<RwLock<HashMap<u64, GroupRaft>>>,
}

impl Registry {
    /// An empty registry for node `node_id`.
    pub fn new(node_id: NodeId) -> Registry {
        Registry {
            node_id,
            groups: Arc::default(),
        }
    }

    /// The id of the node this registry belongs to.
    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    /// Registers group `group_id`'s Raft, returning the one it replaces.
    pub fn insert(&self, group_id: u64, raft: GroupRaft) -> Option<GroupRaft> {
        self.groups.write().insert(group_id, raft)
    }

    /// Unregisters group `group_id`: its RPCs are refused from now on.
    pub fn remove(&self, group_id: u64) -> Option<GroupRaft> {
        self.groups.write().remove(&group_id)
    }

    /// Group `group_id`'s Raft, if this node holds it.
    pub fn get(&self, group_id: u64) -> Option<GroupRaft> {
        self.groups.read().get(&group_id).cloned()
    }

    /// The ids of the groups registered, in no particular order.
    pub fn group_ids(&self) -> Vec<u64> {
        self.groups.read().keys().copied().collect()
    }
}
