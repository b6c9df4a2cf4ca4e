//! Deterministic workloads and checkers for slotraft.
//!
//! Everything here is driven by one seed, so a failing run is reproduced by
//! rerunning its printed seed. Today it holds the record-history generator
//! that proves the state machine deterministic; the turmoil simulation of
//! Raft groups and clusters grows beside it.

pub mod check;
pub mod history;
pub mod sim_net;
