//! Deterministic workloads and checkers for slotraft.
//!
//! Everything here is driven by one seed, so a failing run is reproduced by
//! rerunning its printed seed: the record-history generator that proves
//! the state machine deterministic, the history checkers, and the turmoil
//! simulation of a replicated group on the node's own code.

pub mod check;
pub mod history;
pub mod sim;
pub mod turmoil_bus;
