//! The cluster bus schema: protobuf messages and tonic services generated
//! from `proto/*.proto` at build time (protox + prost, no system `protoc`).
//!
//! [`raftbus`] carries Raft traffic between nodes: openraft's requests and
//! responses as bincode bytes inside envelopes that name the group, the
//! node the sender meant to reach and the sender. The service
//! implementation and the client pool live in the node crate
//! (`slotraft::group::network`); this crate only defines the wire.

/// Raft transport: `RaftBus` (AppendEntries, Vote, streamed
/// InstallSnapshot) and its messages.
pub mod raftbus {
    #![allow(missing_docs, clippy::all, clippy::pedantic)]
    tonic::include_proto!("slotraft.raftbus.v1");
}

pub use raftbus::raft_bus_client::RaftBusClient;
pub use raftbus::raft_bus_server::{RaftBus, RaftBusServer};
