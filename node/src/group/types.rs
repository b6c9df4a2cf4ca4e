//! The openraft type configuration of a data group.
//!
//! One log entry carries a *batch* of records ([`Batch`]): openraft 0.9
//! appends one entry at a time per group, so filling an entry with every
//! write that arrived while the previous one was being made durable is what
//! turns one fdatasync into many acknowledged commands (DESIGN, write path
//! step 5). The response of an entry ([`Replies`]) is one [`Applied`] per
//! record, in the order of the batch: the leader hands each back to the
//! connection that proposed it. Followers compute the same values and drop
//! them.

use std::io::Cursor;

use crate::record::{Applied, Record};

/// The records of one log entry, applied in order.
pub type Batch = Vec<Record>;

/// What applying one entry produced: one result per record of its batch
/// (empty for blank and membership entries).
pub type Replies = Vec<Applied>;

/// A member's id inside a group (the node's numeric id for Raft).
pub type NodeId = u64;

openraft::declare_raft_types!(
    /// Type configuration of a slotraft data group.
    pub GroupConfig:
        D = Batch,
        R = Replies,
        NodeId = NodeId,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<GroupConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

/// A log entry of a data group.
pub type GroupEntry = openraft::Entry<GroupConfig>;

/// A data group's Raft handle.
pub type GroupRaft = openraft::Raft<GroupConfig>;
