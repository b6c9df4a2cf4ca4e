//! Harness for real-process tests of slotraft: start several `slotraft`
//! processes on loopback as one Raft group, signal them (SIGKILL, SIGSTOP,
//! SIGCONT, SIGTERM), restart them with the same arguments, and drive them
//! with the `redis` crate's async client, following `-MOVED` redirects the
//! way a cluster-aware client would.
//!
//! Every process is killed when its [`Cluster`] drops, also when the test
//! panics; on a panic the node logs are printed and their directory kept.
//! Waits poll a condition with a deadline, never a fixed sleep.

pub mod bin;
pub mod client;
pub mod cluster;
pub mod load;
pub mod process;

pub use client::{RaftInfo, RoutedClient};
pub use cluster::{Cluster, ClusterBuilder};
pub use load::{Load, LoadReport};
pub use process::Node;

/// The test seed: `SLOTRAFT_SEED` if set, else a random one. Printed so a
/// failing run can be replayed with the same key names, values and choices.
pub fn seed(test: &str) -> u64 {
    let seed = match std::env::var("SLOTRAFT_SEED") {
        Ok(s) => s.parse().expect("SLOTRAFT_SEED must be a number"),
        Err(_) => rand::random::<u32>() as u64,
    };
    eprintln!("{test}: SLOTRAFT_SEED={seed}");
    seed
}
