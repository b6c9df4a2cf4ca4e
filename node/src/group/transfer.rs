//! Leader transfer, which openraft 0.9 lacks (DESIGN, "Witnesses": stop
//! heartbeats on the old leader, let the up-to-date target elect).
//!
//! The two halves run on different nodes, so they are separate calls:
//!
//! 1. On the old leader, [`prepare`]: disable its heartbeats and its own
//!    elections (`runtime_config().heartbeat(false)`, `.elect(false)`), then
//!    wait until the target has matched the leader's last log index. The
//!    runtime must stop proposing to the group meanwhile (clients get
//!    `-TRYAGAIN`): an entry appended after the match makes the target's
//!    log shorter than the leader's and every vote for it fails.
//! 2. On the target, [`campaign`] (the runtime delivers "campaign after
//!    term T" to the target's node): `trigger().elect()`, repeated until the
//!    target leads in a term above T or the time is up.
//! 3. On the old leader, [`finish`]: wait until it follows a new leader in
//!    a higher term, then re-enable heartbeats and elections. On a timeout
//!    it re-enables them too ([`abandon`]), so a failed transfer leaves the
//!    old leader leading as before (if it still can).
//!
//! How long it takes. openraft's leader lease is in the way: a voter
//! refuses every vote while its *committed* vote was touched less than
//! `election_timeout_max` ago (`Engine::handle_vote_req`). Followers touch
//! theirs on every heartbeat; the old leader touched its own when it was
//! elected. What gets around it: once the target campaigns, any
//! AppendEntries from the old leader is answered with the target's higher
//! vote, and the old leader steps down to that *uncommitted* vote, which is
//! not leased. So [`finish`] sends heartbeats (`trigger().heartbeat()`,
//! unaffected by `heartbeat(false)`) for its first lease, and
//! [`campaign`] starts a new round once the last one is over (or after
//! five heartbeats): in a group of three the old leader's vote is the one
//! the target needs, and the transfer costs the catch-up plus a few
//! heartbeat intervals, whatever the leases.
//! With five voters the target also needs a follower, whose lease runs
//! until one lease after the last heartbeat it got: the bound is then one
//! lease more.
//!
//! If the target never campaigns (its node cannot be reached), its own
//! election timer fires once its lease runs out (lease plus its election
//! timeout after the last heartbeat, and [`finish`]'s heartbeats stop after
//! one lease), so [`prepare`] followed by [`finish`] alone still hands
//! over within about three leases, only slower; give [`finish`] that much
//! time in that case.
//!
//! Not tested yet: the five-voter bound and the no-campaign fallback (the
//! tests run 2 data voters + 1 witness and always deliver the campaign).

use std::time::Duration;

// tokio's clock: the real one in the node, the simulated one under turmoil.
use tokio::time::Instant;

use openraft::error::Fatal;
use openraft::metrics::WaitError;
use openraft::{RaftMetrics, ServerState};

use super::types::{GroupRaft, NodeId};

type Metrics = RaftMetrics<NodeId, openraft::BasicNode>;

/// Why a transfer did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The member asked to hand over is not (or no longer) the leader.
    #[error("member {0} is not the leader")]
    NotLeader(NodeId),
    /// The target is not a voter of the group, or is the leader itself.
    #[error("member {0} cannot take over: not another voter")]
    BadTarget(NodeId),
    /// The step did not complete in time; the old leader was restored.
    #[error("leader transfer timed out: {0}")]
    Timeout(String),
    /// Another member won the election.
    #[error("member {0} won instead of the target")]
    LostTo(NodeId),
    /// The Raft core stopped.
    #[error("raft stopped: {0}")]
    Fatal(#[from] Fatal<NodeId>),
}

impl From<WaitError> for TransferError {
    fn from(e: WaitError) -> Self {
        match e {
            WaitError::Timeout(_, what) => TransferError::Timeout(what),
            WaitError::ShuttingDown => TransferError::Fatal(Fatal::Stopped),
        }
    }
}

/// A leader ready to hand over: heartbeats and elections off, `target`
/// matched the leader's log up to `last_index`.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The member that should campaign.
    pub target: NodeId,
    /// The leader's term; the target must win a higher one.
    pub term: u64,
    /// The leader's last log index, which the target has.
    pub last_index: u64,
}

/// The matched log index of `id` in a leader's metrics.
pub(crate) fn matched(m: &Metrics, id: NodeId) -> Option<u64> {
    m.replication.as_ref()?.get(&id)?.as_ref().map(|l| l.index)
}

fn leads(m: &Metrics) -> bool {
    m.state == ServerState::Leader && m.current_leader == Some(m.id)
}

/// Re-enables heartbeats and elections on a member [`prepare`] stopped.
/// Idempotent; safe on a member that is no longer the leader.
pub fn abandon(raft: &GroupRaft) {
    raft.runtime_config().heartbeat(true);
    raft.runtime_config().elect(true);
}

/// Leader side, first half: stops heartbeats and elections on `leader` and
/// waits (up to `timeout`) until `target` has matched its last log index.
/// On failure the leader is restored.
pub async fn prepare(
    leader: &GroupRaft,
    target: NodeId,
    timeout: Duration,
) -> Result<Prepared, TransferError> {
    let m = leader.metrics().borrow().clone();
    if !leads(&m) {
        return Err(TransferError::NotLeader(m.id));
    }
    let voter = m
        .membership_config
        .membership()
        .voter_ids()
        .any(|v| v == target);
    if !voter || target == m.id {
        return Err(TransferError::BadTarget(target));
    }
    let term = m.current_term;
    leader.runtime_config().heartbeat(false);
    leader.runtime_config().elect(false);
    let caught_up = leader
        .wait(Some(timeout))
        .metrics(
            |m| {
                !leads(m)
                    || m.current_term != term
                    || m.last_log_index
                        .is_some_and(|l| matched(m, target) == Some(l))
            },
            format!("member {target} matches the leader's log"),
        )
        .await;
    let m = match caught_up {
        Ok(m) => m,
        Err(e) => {
            abandon(leader);
            return Err(e.into());
        }
    };
    if !leads(&m) || m.current_term != term {
        abandon(leader);
        return Err(TransferError::NotLeader(m.id));
    }
    Ok(Prepared {
        target,
        term,
        last_index: m.last_log_index.unwrap_or(0),
    })
}

/// Target side: campaigns until this member leads in a term above
/// `after_term`, retrying while voters still refuse (leader lease), for at
/// most `timeout`.
pub async fn campaign(
    target: &GroupRaft,
    after_term: u64,
    timeout: Duration,
) -> Result<(), TransferError> {
    let deadline = Instant::now() + timeout;
    // Poll at the heartbeat interval, but start a new round only when the
    // last one is over (not a candidate any more) or has had time to finish:
    // a vote is fsync'ed by every voter before it answers, and a new round
    // bumps the term, so re-electing every heartbeat on a slow disk throws
    // away each round's grants before they arrive (seen: 50 terms in 5 s
    // and no leader).
    let retry = Duration::from_millis(target.config().heartbeat_interval.max(20));
    let round = (retry * 5).max(Duration::from_millis(250));
    let mut last_round: Option<Instant> = None;
    loop {
        let m = target.metrics().borrow().clone();
        if m.current_term > after_term {
            if leads(&m) {
                return Ok(());
            }
            if let Some(other) = m.current_leader.filter(|&l| l != m.id) {
                return Err(TransferError::LostTo(other));
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(TransferError::Timeout(format!(
                "member {} did not win a term above {after_term}",
                m.id
            )));
        }
        let round_over =
            m.state != ServerState::Candidate || last_round.is_none_or(|at| at.elapsed() >= round);
        if m.state != ServerState::Leader && round_over {
            target.trigger().elect().await?;
            last_round = Some(Instant::now());
        }
        let wait = retry.min(deadline - now);
        let res = target
            .wait(Some(wait))
            .metrics(
                |m| m.current_term > after_term && m.current_leader.is_some(),
                "a leader in a higher term",
            )
            .await;
        match res {
            Ok(_) | Err(WaitError::Timeout(..)) => {}
            Err(WaitError::ShuttingDown) => return Err(TransferError::Fatal(Fatal::Stopped)),
        }
    }
}

/// Leader side, second half: waits until the old leader follows a leader
/// of a term above the prepared one, then re-enables its heartbeats and
/// elections (also on a timeout). Returns the new leader.
///
/// For its first lease it also sends a heartbeat at every heartbeat
/// interval: once the target campaigns, its answer carries the higher
/// vote and the old leader steps down to an uncommitted vote, which is
/// not leased, so the target's next round wins without waiting for the
/// old leader's lease (see the module doc). After that it stays silent so
/// that a target that never got the campaign request still elects itself
/// when its own lease runs out.
pub async fn finish(
    leader: &GroupRaft,
    prepared: &Prepared,
    timeout: Duration,
) -> Result<NodeId, TransferError> {
    let res = wait_stepped_down(leader, prepared, timeout).await;
    abandon(leader);
    res
}

async fn wait_stepped_down(
    leader: &GroupRaft,
    prepared: &Prepared,
    timeout: Duration,
) -> Result<NodeId, TransferError> {
    let start = Instant::now();
    let deadline = start + timeout;
    let nudge_until = start + Duration::from_millis(leader.config().election_timeout_max);
    let retry = Duration::from_millis(leader.config().heartbeat_interval.max(20));
    let done = |m: &Metrics| {
        (m.current_term > prepared.term)
            .then_some(m.current_leader)
            .flatten()
            .filter(|&l| l != m.id)
    };
    loop {
        let m = leader.metrics().borrow().clone();
        if let Some(new_leader) = done(&m) {
            return Ok(new_leader);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(TransferError::Timeout(format!(
                "no new leader above term {} seen by member {}",
                prepared.term, m.id
            )));
        }
        if now < nudge_until && leads(&m) && m.current_term == prepared.term {
            leader.trigger().heartbeat().await?;
        }
        let res = leader
            .wait(Some(retry.min(deadline - now)))
            .metrics(|m| done(m).is_some(), "a new leader in a higher term")
            .await;
        match res {
            Ok(_) | Err(WaitError::Timeout(..)) => {}
            Err(WaitError::ShuttingDown) => return Err(TransferError::Fatal(Fatal::Stopped)),
        }
    }
}

/// In-process convenience (tests, a node leading and hosting the target):
/// [`prepare`] on `leader`, [`campaign`] on `target`, [`finish`]. Returns
/// how long the transfer took.
pub async fn transfer_leadership(
    leader: &GroupRaft,
    target: &GroupRaft,
    timeout: Duration,
) -> Result<Duration, TransferError> {
    let start = Instant::now();
    let target_id = target.metrics().borrow().id;
    let prepared = prepare(leader, target_id, timeout).await?;
    let left = timeout.saturating_sub(start.elapsed());
    let (won, new_leader) = tokio::join!(
        campaign(target, prepared.term, left),
        finish(leader, &prepared, left)
    );
    let new_leader = new_leader?;
    won?;
    if new_leader != target_id {
        return Err(TransferError::LostTo(new_leader));
    }
    Ok(start.elapsed())
}
