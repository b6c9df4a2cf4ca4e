//! The Raft transport over the cluster bus (gRPC, `slotraft-proto`'s
//! `RaftBus`): every group of a node talks to its peers over one HTTP/2
//! channel per peer node.
//!
//! - [`service`]: the server side. Requests name a group and the node they
//!   are meant for; the service checks the node id, finds the group in the
//!   [`Registry`](super::registry::Registry) and hands the decoded openraft
//!   request to its `Raft`.
//! - [`client`]: the sending side. [`PeerPool`] keeps one lazily connected
//!   channel per peer, addressed by its own address book; [`BusNetwork`] is
//!   the openraft network factory of one (group, node).
//! - [`control`]: requests between a group's nodes beside Raft's own
//!   (campaign for a leader transfer, witness purge).
//!
//! openraft's requests and responses cross the wire as bincode inside the
//! protobuf envelopes, so both sides must run the same openraft version and
//! the same record format.

pub mod client;
pub mod control;
pub mod service;

pub use client::{BusClient, BusNetwork, PeerPool};
pub use service::{bus_server, bus_transport, serve, serve_with_incoming_shutdown, BusService};

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The largest message either side sends or accepts (an AppendEntries
/// carrying many batches can be large; snapshots go in chunks).
pub const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// The size of one snapshot chunk when openraft's configuration does not
/// set one.
pub const SNAPSHOT_CHUNK_SIZE: usize = 1 << 20;

/// HTTP/2 flow-control windows: wide enough that a snapshot stream is not
/// throttled to one default 64 KiB window per round trip.
const STREAM_WINDOW: u32 = 8 << 20;
const CONNECTION_WINDOW: u32 = 16 << 20;

fn encode<T: Serialize>(value: &T) -> Bytes {
    // Serialising openraft's in-memory types into a Vec cannot fail: they
    // have no maps with non-string keys or custom failing impls.
    Bytes::from(bincode::serialize(value).expect("bincode serialises openraft types"))
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, bincode::Error> {
    bincode::deserialize(bytes)
}
