//! Cluster concerns: hash slots, redirections, and the topology of cluster
//! mode.
//!
//! - `slot`, `redirect`: used by every mode today (a member that does not
//!   lead answers `-MOVED <slot> <leader>`).
//! - `topology`: the state machine the meta group (group 0) will replicate:
//!   nodes, data groups and their members, slot ownership, epoch.
//! - `placement`: the bootstrap layout of a new cluster (one group per
//!   node, contiguous slot ranges, members spread evenly).
//! - `view`: CLUSTER SLOTS / SHARDS / NODES rendered from a topology and
//!   the live leaders.
//!
//! Not wired yet (issue 5): the meta group's Raft, gossip, and the CLUSTER
//! commands that would use these; until then a replicated group owns
//! every slot.

pub mod placement;
pub mod redirect;
pub mod slot;
pub mod topology;
pub mod view;
