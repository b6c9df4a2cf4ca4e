//! Raft groups: a keyspace replicated by openraft over the node's
//! write-ahead log (`raft-log`).
//!
//! Not wired into the server yet: the running node still applies writes
//! directly in `Engine::submit`. This module is the replicated half that
//! will replace that body:
//!
//! - [`types`]: the openraft type config. An entry carries a batch of
//!   [`Record`](crate::record::Record)s; its response is one
//!   [`Applied`](crate::record::Applied) per record.
//! - [`state_machine`]: applies committed entries to the keyspace with
//!   `record::apply`, builds and installs snapshots, reloads the latest
//!   snapshot on start-up.
//! - [`snapshot`]: the keyspace snapshot format, which preserves storage
//!   (slab) order and encodings so seeded draws agree after a restore.
//! - [`local`]: an in-process transport (calls the target `Raft` directly)
//!   for tests and simulations.
//! - [`registry`]: the node's groups by id, which the bus dispatches to.
//! - [`network`]: the Raft transport over the cluster bus (tonic,
//!   `slotraft-proto`): the `RaftBus` server and the per-peer client pool.
//! - [`witness`]: the witness member (no-op state machine, metadata-only
//!   snapshots, purge gated on the data voters, handoff when it leads).
//! - [`transfer`]: leader transfer (stop heartbeats, the up-to-date target
//!   campaigns).
//!
//! How `Engine::submit` becomes replicated (the next step): the leader turns
//! the write into a `Record` exactly as today, adds it to the group's open
//! batch and awaits its slot in the entry's response. A batcher task calls
//! `Raft::client_write(batch)`; openraft appends the entry to the leader's
//! log (one fdatasync shared with every group on the node), replicates it,
//! commits it on a quorum, and the state machine applies it on every data
//! member. The leader's apply result for that entry comes back from
//! `client_write`, and the batcher hands record *i*'s `Applied` to waiter
//! *i* (reply, selected db, blocked flag, touched keys for wake-ups).
//! Nothing is executed before commit; a non-leader answers `-MOVED`.
//!
//! Left for later steps:
//! - proposal batching (fill the next entry while one is in flight);
//! - running the witness's purge and handoff from the group runtime (the
//!   functions are in [`witness`]; the runtime carries the leader's
//!   matched index to the witness's node and a campaign request to the
//!   transfer target's node);
//! - read confirmation (coalesced `ensure_linearizable`, then a lease);
//! - incremental snapshots that do not pause writes (see `state_machine`);
//! - wiring into `Engine`, the server, INFO and CLUSTER commands.

pub mod host;
pub mod local;
pub mod network;
pub mod registry;
pub mod runtime;
pub mod snapshot;
mod snapshot_file;
pub mod state_machine;
pub mod transfer;
pub mod types;
pub mod witness;

#[cfg(test)]
mod cluster_tests;
#[cfg(test)]
mod network_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod witness_tests;

/// A test seed from `SLOTRAFT_SEED` or fresh, printed so a failure can be
/// replayed.
#[cfg(test)]
pub(crate) fn test_seed() -> u64 {
    let seed = match std::env::var("SLOTRAFT_SEED") {
        Ok(s) => s.parse().expect("SLOTRAFT_SEED is a number"),
        Err(_) => rand::random(),
    };
    println!("seed {seed} (rerun with SLOTRAFT_SEED={seed})");
    seed
}
