//! Control requests between the nodes of a group, beside Raft's own
//! messages: the pieces of leader transfer and witness purge that must run
//! on another node than the one deciding them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::group::transfer;
use crate::group::types::GroupRaft;
use crate::group::witness;

/// How long a control request may run on the receiving node.
pub const CONTROL_TIMEOUT: Duration = Duration::from_secs(5);

/// What one node asks of its member in a group on another node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Control {
    /// Campaign until leading in a term above `after_term`: the last step
    /// of a leader transfer, sent by the old leader to its chosen target.
    Campaign {
        /// The old leader's term.
        after_term: u64,
    },
    /// Every data voter has matched the log up to `upto`: a witness may
    /// purge below it (its log is what a lagging data voter is fed from).
    WitnessPurge {
        /// Lowest index matched by every data voter.
        upto: u64,
    },
}

/// Runs `req` on this node's member `raft`; the error is a description.
pub async fn handle(raft: &GroupRaft, req: Control) -> Result<(), String> {
    match req {
        Control::Campaign { after_term } => transfer::campaign(raft, after_term, CONTROL_TIMEOUT)
            .await
            .map_err(|e| e.to_string()),
        Control::WitnessPurge { upto } => witness::witness_purge(raft, upto, CONTROL_TIMEOUT)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
    }
}
