//! Transactions. MULTI queues commands on the connection; EXEC turns the
//! queued keyspace commands and the WATCHed key versions into one record,
//! so the whole transaction is applied as a unit (or not at all when a
//! watched key changed). The connection loop runs these commands.

use crate::command::{cmd, flags::*, CommandSpec, Handler};

const TX: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;

/// MULTI, EXEC, DISCARD, WATCH, UNWATCH.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("multi", 1, TX, (0, 0, 0), Handler::Connection).doc(
        "transactions",
        "Starts a transaction.",
        "1.2.0",
    ),
    cmd(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        (0, 0, 0),
        Handler::Connection,
    )
    .doc(
        "transactions",
        "Executes all commands in a transaction.",
        "1.2.0",
    ),
    cmd("discard", 1, TX, (0, 0, 0), Handler::Connection).doc(
        "transactions",
        "Discards a transaction.",
        "2.0.0",
    ),
    cmd("watch", -2, TX, (1, -1, 1), Handler::Connection).doc(
        "transactions",
        "Monitors changes to keys to determine the execution of a transaction.",
        "2.2.0",
    ),
    cmd("unwatch", 1, TX, (0, 0, 0), Handler::Connection).doc(
        "transactions",
        "Forgets about watched keys of a transaction.",
        "2.2.0",
    ),
];
