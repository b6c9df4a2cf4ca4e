//! What a client hears when this member cannot serve its command: the
//! redirections of Valkey's cluster protocol, so cluster clients follow the
//! group's leader unchanged.

use std::time::Duration;

use crate::errors::err;
use crate::group::runtime::{Group, Refused};
use crate::resp::Frame;

/// How long a command waits for an election before the client is told to
/// retry; a little over one election so a failover is mostly invisible.
pub const LEADER_WAIT: Duration = Duration::from_millis(2500);

/// The reply for a command on `slot` refused with `why`:
/// - another member leads: `-MOVED <slot> <host:port>` of the leader;
/// - no leader yet: wait up to [`LEADER_WAIT`] for one, then MOVED to it,
///   `-TRYAGAIN` if this member became leader meanwhile (the client
///   retries here), or `-CLUSTERDOWN` if none was elected;
/// - this member is the witness and leads (handing over): `-TRYAGAIN`;
/// - the group's core died and is being rebuilt: `-TRYAGAIN`.
pub async fn refusal(group: &Group, why: Refused, slot: u16) -> Frame {
    let leader = match why {
        Refused::NotLeader(Some((_, addr))) => return moved(slot, &addr),
        Refused::Fatal(msg) => return Frame::Error(format!("ERR {msg}")),
        Refused::Restarting => {
            return err(&format!(
                "TRYAGAIN group {} is restarting after a failure, retry the command",
                group.id
            ))
        }
        Refused::NotLeader(None) | Refused::Witness => {
            group.wait_leader(LEADER_WAIT).await;
            group.status()
        }
    };
    match (leader.leader, leader.leader_addr) {
        (Some(id), Some(addr)) if id != group.node_id => moved(slot, &addr),
        (Some(_), _) => err("TRYAGAIN the group's leader is changing, retry the command"),
        (None, _) => err("CLUSTERDOWN The cluster is down"),
    }
}

fn moved(slot: u16, addr: &str) -> Frame {
    Frame::Error(format!("MOVED {slot} {addr}"))
}
