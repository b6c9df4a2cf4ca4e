//! Raft groups: a keyspace replicated by openraft over the node's
//! write-ahead log (`raft-log`), and the runtime that puts it between a
//! client's command and the keyspace (`Engine::submit` proposes here).
//!
//! - [`types`]: the openraft type config. An entry carries a batch of
//!   [`Record`](crate::record::Record)s; its response is one
//!   [`Applied`](crate::record::Applied) per record.
//! - [`runtime`]: a running group: proposal batching (one entry in flight,
//!   the next filling), coalesced read confirmation, status for INFO.
//! - [`host`]: opening the node's log and group from its configuration,
//!   bootstrap, the cluster bus, witness duties, leader hand-off.
//! - [`member`]: what a member's core is made of (the node's log, the
//!   state machine, id, config and transport), to open it and reopen it.
//! - [`supervisor`]: rebuilds a member whose openraft core died, from
//!   storage, with backoff; counts it.
//! - [`state_machine`]: applies committed entries to the keyspace with
//!   `record::apply`, builds and installs snapshots, reloads the latest
//!   snapshot on start-up.
//! - [`snapshot`]: the keyspace snapshot format, which preserves storage
//!   (slab) order and encodings so seeded draws agree after a restore.
//! - [`local`]: an in-process transport (calls the target `Raft` directly)
//!   for tests and the standalone group.
//! - [`registry`]: the node's groups by id, which the bus dispatches to.
//! - [`network`]: the Raft transport over the cluster bus (tonic,
//!   `slotraft-proto`): the `RaftBus` server, the per-peer client pool and
//!   control requests (campaign, witness purge).
//! - [`witness`]: the witness member (no-op state machine, metadata-only
//!   snapshots, purge gated on the data voters, handoff when it leads).
//! - [`transfer`]: leader transfer (stop heartbeats, the up-to-date target
//!   campaigns).
//!
//! Still to come: incremental snapshots that do not pause writes (see
//! `state_machine`), a leader lease for reads, and many groups per node
//! (cluster mode).

pub mod host;
pub mod local;
pub mod member;
pub mod network;
pub mod registry;
pub mod runtime;
pub mod snapshot;
mod snapshot_file;
pub mod state_machine;
pub mod supervisor;
pub mod transfer;
pub mod types;
pub mod witness;

#[cfg(test)]
mod cluster_tests;
#[cfg(test)]
mod network_tests;
#[cfg(test)]
mod supervisor_tests;
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
