//! slotraft node: a Valkey-compatible server whose keyspace is a Raft
//! state machine.
//!
//! The path of a command: `server::connection` parses RESP (`resp`), the
//! `command` table resolves it, reads run on the `keyspace` directly, and
//! writes become `record`s that the `engine` applies — the seam where the
//! Raft log goes. `group` holds the replicated state machine (openraft over
//! `raft-log`), built and tested but not wired into the engine yet.

pub mod alloc;
pub mod cluster;
pub mod command;
pub mod config;
pub mod engine;
pub mod errors;
pub mod group;
pub mod keyspace;
mod keyspace_digest;
pub mod pubsub;
pub mod record;
pub mod resp;
pub mod server;
pub mod transaction;
pub mod types;
pub mod util;
