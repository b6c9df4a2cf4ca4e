//! Time to live: EXPIRE and friends, TTL, PERSIST.

/// The expiry commands.
pub const COMMANDS: &[crate::command::CommandSpec] = &[];
