//! Checkers over histories observed by a simulation's clients.
//!
//! Times are whatever monotonic clock the simulation uses (turmoil's elapsed
//! time in nanoseconds); only their order matters. An operation whose outcome
//! the client does not know (a timeout, a lost connection, an error that may
//! have come after the write was proposed) is *indeterminate*: it has no
//! completion time, it may have taken effect at any point after its
//! invocation, or never.

pub mod leaders;
pub mod linearizable;
pub mod list_append;
