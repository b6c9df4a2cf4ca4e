//! Cluster concerns shared by every mode: hash slots and redirections.
//!
//! Cluster mode proper (gossip, the meta group, the slot map) arrives with
//! issue 5; until then a replicated group owns every slot, and a member
//! that does not lead redirects clients with `-MOVED <slot> <leader>`.

pub mod redirect;
pub mod slot;
