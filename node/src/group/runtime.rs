//! A group as the node runs it: the `Raft`, its state machine, the proposal
//! batcher and the read gate.
//!
//! Writes: a connection hands its [`Record`] to [`Group::enqueue`], which
//! queues it for the batcher task. The batcher takes everything queued into
//! one entry (DESIGN, write path step 5: while entries are in flight the
//! next one fills) and hands it to openraft with `client_write_ff`, which
//! keeps submission order = log order. When the entry is applied on this
//! member (it leads), record *i*'s [`Applied`] goes back to waiter *i*. At
//! most [`MAX_IN_FLIGHT`] entries are outstanding, so under load entries
//! carry many records and one fdatasync serves them all.
//!
//! Reads: [`Group::confirm_read`] makes sure this member still leads before
//! a read runs on its applied keyspace. One confirmation round serves every
//! read that asked before the round was sent (a generation counter), so a
//! burst of reads costs one round to the voters. A group whose only voter
//! is this member skips the round: nobody else can have been elected.
//!
//! The core: the `Raft` can be replaced while the `Group` lives on. Its
//! tasks and callers take the current one from a watch channel, the
//! metrics watcher reports the core's death ([`Group::core_down`]), and the
//! supervisor (`supervisor.rs`) swaps a rebuilt core in
//! ([`Group::replace_core`]). While a supervised group is down, new work is
//! refused with [`Refused::Restarting`].

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use openraft::error::{CheckIsLeaderError, ClientWriteError, Fatal, ForwardToLeader, RaftError};
use openraft::{BasicNode, RaftMetrics, ServerState};
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot, watch, OwnedSemaphorePermit, Semaphore};
use tracing::{error, info, warn};

use super::state_machine::GroupStateMachine;
use super::types::{GroupRaft, NodeId};
use crate::record::{Applied, Record};

/// Entries handed to openraft and not yet applied, per group. One: while
/// it is made durable (and replicated) the next fills. openraft appends a
/// group's entries one at a time, each with its own fdatasync, so more
/// entries in flight only split the same clients over more fsyncs
/// (measured: SET -c 50 standalone, 11.4k/s with 1, 8.4k/s with 2, 1.1k/s
/// with 8).
pub const MAX_IN_FLIGHT: usize = 1;
/// The longest the batcher holds an entry open for the clients the last
/// entry answered (see `batcher`).
const MAX_HOLD: Duration = Duration::from_millis(2);
/// Records per entry at most (bounds entry size and apply latency).
const MAX_BATCH_RECORDS: usize = 4096;
/// Payload bytes per entry at most (raft-log takes up to 256 MiB).
const MAX_BATCH_BYTES: usize = 16 << 20;

/// Why a proposal or a read was not served here.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// Another member leads (its id and client address, when known), or
    /// no leader is known (`None`).
    NotLeader(Option<(NodeId, String)>),
    /// This member is the group's witness: it never serves clients.
    Witness,
    /// The group cannot serve (stopped, storage failed).
    Fatal(String),
    /// The group's Raft core stopped on a failure and its supervisor is
    /// rebuilding it from storage: the command was not applied; retry.
    Restarting,
}

struct Proposal {
    record: Record,
    reply: oneshot::Sender<Result<Applied, Refused>>,
}

/// A queued proposal's outcome, to be awaited.
pub struct Pending(oneshot::Receiver<Result<Applied, Refused>>);

impl Pending {
    /// Waits until the record is applied here (or refused).
    pub async fn wait(self) -> Result<Applied, Refused> {
        self.0
            .await
            .unwrap_or_else(|_| Err(Refused::Fatal("group stopped".into())))
    }
}

/// What the node reports about a group (INFO, CLUSTER GROUPS).
#[derive(Debug, Clone, Default)]
pub struct GroupStatus {
    /// `leader`, `follower`, `candidate`, `learner` or `shutdown`.
    pub state: &'static str,
    /// Current term.
    pub term: u64,
    /// Leader's member id, if known.
    pub leader: Option<NodeId>,
    /// Leader's client address, if known.
    pub leader_addr: Option<String>,
    /// Index of the last entry in the log.
    pub last_log_index: u64,
    /// Index of the last applied entry.
    pub applied_index: u64,
    /// Index covered by the last snapshot.
    pub snapshot_index: u64,
    /// Index below which the log is purged.
    pub purged_index: u64,
    /// Voters of the group.
    pub voters: Vec<NodeId>,
    /// Times the core was rebuilt after it died.
    pub restarts: u64,
    /// Rebuild attempts that failed (each retried after a backoff).
    pub failed_restarts: u64,
}

/// The current core: its generation (0 as started, one more per rebuild)
/// and its `Raft`.
pub type CoreRef = (u64, GroupRaft);

/// How a core ended: its generation and openraft's reason
/// (`Fatal::Stopped` when it was shut down on purpose, `Fatal::Panicked`
/// when its task ended without saying).
pub type CoreDown = (u64, Fatal<NodeId>);

/// What the group's tasks and its supervisor share about the core's life.
#[derive(Default)]
struct Health {
    /// A supervisor rebuilds this group's core when it dies.
    supervised: AtomicBool,
    /// The core is down and being rebuilt.
    restarting: AtomicBool,
    restarts: AtomicU64,
    failed_restarts: AtomicU64,
}

impl Health {
    /// What a call refused by a stopped core answers: a supervised group
    /// will be back, so the client should retry.
    fn core_stopped(&self, fatal: &Fatal<NodeId>) -> Refused {
        if self.supervised.load(Ordering::Acquire) {
            Refused::Restarting
        } else {
            Refused::Fatal(fatal.to_string())
        }
    }
}

/// One Raft group hosted on this node.
pub struct Group {
    /// The group's id (0 is the meta group; the standalone group is 1).
    pub id: u64,
    /// This node's member id.
    pub node_id: NodeId,
    /// The state machine, `None` when this member is the group's witness.
    /// A rebuilt core reloads it in place (see `GroupStateMachine::reload`).
    pub data: Option<GroupStateMachine>,
    /// The current openraft core; the tasks hold receivers, so they end
    /// when the group is dropped.
    core: watch::Sender<CoreRef>,
    /// The last core that stopped, as the metrics watcher saw it.
    down: watch::Sender<Option<CoreDown>>,
    health: Arc<Health>,
    proposals: mpsc::UnboundedSender<Proposal>,
    reads: ReadGate,
    /// This member leads and is the group's only voter (reads need no round).
    sole_leader: AtomicBool,
    /// Refuse new proposals (leader transfer, shutdown in progress).
    draining: Arc<AtomicBool>,
    /// Entries in flight: the batcher holds a permit per entry until it is
    /// applied; [`Group::drain`] takes them all to stop it.
    in_flight: Arc<Semaphore>,
    /// Log index of the last entry the batcher saw applied.
    last_applied: Arc<AtomicU64>,
}

/// Proposals stopped on a leader ([`Group::drain`]): nothing is in flight
/// and the batcher proposes nothing more until this is dropped
/// ([`Group::resume`]), also when the hand-off holding it is cancelled.
pub struct Drained {
    draining: Arc<AtomicBool>,
    _permits: OwnedSemaphorePermit,
}

impl Drop for Drained {
    fn drop(&mut self) {
        // Before the permits go, so the batcher never proposes while
        // new writes are still refused.
        self.draining.store(false, Ordering::Release);
    }
}

impl Group {
    /// Wraps a started `Raft` and spawns the batcher and the metrics watcher.
    pub fn start(
        id: u64,
        node_id: NodeId,
        raft: GroupRaft,
        data: Option<GroupStateMachine>,
    ) -> Arc<Group> {
        let (tx, rx) = mpsc::unbounded_channel();
        let (core, _) = watch::channel((0, raft));
        let health = Arc::new(Health::default());
        let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let last_applied = Arc::new(AtomicU64::new(0));
        let group = Arc::new(Group {
            id,
            node_id,
            data,
            down: watch::channel(None).0,
            health: health.clone(),
            proposals: tx,
            reads: ReadGate::new(),
            sole_leader: AtomicBool::new(false),
            draining: Arc::new(AtomicBool::new(false)),
            in_flight: in_flight.clone(),
            last_applied: last_applied.clone(),
            core,
        });
        tokio::spawn(batcher(
            group.core.subscribe(),
            health.clone(),
            rx,
            in_flight,
            last_applied,
        ));
        tokio::spawn(read_confirmer(
            group.core.subscribe(),
            health,
            group.reads.clone(),
        ));
        tokio::spawn(watch_metrics(
            Arc::downgrade(&group),
            group.core.subscribe(),
        ));
        group
    }

    /// The current openraft core (a cheap handle; a rebuild replaces it).
    pub fn raft(&self) -> GroupRaft {
        self.core.borrow().1.clone()
    }

    /// The current core's generation: 0 as started, one more per rebuild.
    pub fn generation(&self) -> u64 {
        self.core.borrow().0
    }

    /// Follows the current core (the value changes at each rebuild).
    pub fn core_changes(&self) -> watch::Receiver<CoreRef> {
        self.core.subscribe()
    }

    /// Follows how cores ended: set when the metrics watcher sees the
    /// current core stop.
    pub fn core_down(&self) -> watch::Receiver<Option<CoreDown>> {
        self.down.subscribe()
    }

    /// Swaps a rebuilt core in: the batcher, the read gate and the metrics
    /// watcher use it from now on, and the group serves again. Returns the
    /// new generation.
    pub(crate) fn replace_core(&self, raft: GroupRaft) -> u64 {
        self.sole_leader.store(false, Ordering::Release);
        // Counted and serving before the swap is published: whoever sees
        // the new generation sees the group up. (A command that slips in
        // before the swap meets the dead core and is told to retry.)
        self.health.restarts.fetch_add(1, Ordering::Relaxed);
        self.health.restarting.store(false, Ordering::Release);
        let mut generation = 0;
        self.core.send_modify(|c| {
            c.0 += 1;
            c.1 = raft;
            generation = c.0;
        });
        generation
    }

    /// Marks the group supervised (a dead core comes back: callers are told
    /// to retry) or not (the node is stopping: a dead core stays dead).
    pub(crate) fn set_supervised(&self, on: bool) {
        self.health.supervised.store(on, Ordering::Release);
    }

    /// Marks the core down and being rebuilt: new work is refused with
    /// [`Refused::Restarting`] until [`Group::replace_core`].
    pub(crate) fn set_restarting(&self) {
        self.sole_leader.store(false, Ordering::Release);
        self.health.restarting.store(true, Ordering::Release);
    }

    /// Counts a rebuild attempt that failed.
    pub(crate) fn note_failed_restart(&self) {
        self.health.failed_restarts.fetch_add(1, Ordering::Relaxed);
    }

    fn restarting(&self) -> bool {
        self.health.restarting.load(Ordering::Acquire)
    }

    /// True when this member is the group's witness.
    pub fn is_witness(&self) -> bool {
        self.data.is_none()
    }

    /// Queues `record` for the next entry without waiting: records queued
    /// one after the other are applied in that order. A pipeline of writes
    /// queues them all, then waits for each.
    pub fn enqueue(&self, record: Record) -> Result<Pending, Refused> {
        if self.is_witness() {
            return Err(Refused::Witness);
        }
        if self.draining.load(Ordering::Acquire) {
            return Err(Refused::NotLeader(None));
        }
        if self.restarting() {
            return Err(Refused::Restarting);
        }
        let (tx, rx) = oneshot::channel();
        self.proposals
            .send(Proposal { record, reply: tx })
            .map_err(|_| Refused::Fatal("group stopped".into()))?;
        Ok(Pending(rx))
    }

    /// Returns once a read may run on this member's applied keyspace and
    /// see every write acknowledged before the call.
    pub async fn confirm_read(&self) -> Result<(), Refused> {
        if self.is_witness() {
            return Err(Refused::Witness);
        }
        if self.restarting() {
            return Err(Refused::Restarting);
        }
        if self.sole_leader.load(Ordering::Acquire) {
            return Ok(());
        }
        self.reads.confirm().await
    }

    /// Stops proposing, for a leader transfer: new writes are refused, and
    /// once this returns every entry handed to openraft has been applied,
    /// openraft's metrics show it, and nothing more will be proposed until
    /// [`Group::resume`]. A transfer needs this barrier, not just the
    /// refusal: an entry proposed (or not yet in the metrics) when the
    /// transfer checks that the target matched the leader's log leaves the
    /// target one entry short, and every voter that has the entry refuses
    /// it (seen: SIGTERM hand-offs under load that waited for an
    /// election). `None` if that takes longer than `timeout` (no quorum);
    /// proposals are accepted again then.
    pub async fn drain(&self, timeout: Duration) -> Option<Drained> {
        self.draining.store(true, Ordering::Release);
        let settled = async {
            let permits = self
                .in_flight
                .clone()
                .acquire_many_owned(MAX_IN_FLIGHT as u32)
                .await
                .expect("the in-flight semaphore is never closed");
            // The client hears of an apply before the metrics do.
            let applied = self.last_applied.load(Ordering::Acquire);
            self.raft()
                .wait(None)
                .applied_index_at_least(Some(applied), "the last proposal in the metrics")
                .await
                .ok()?;
            Some(Drained {
                draining: self.draining.clone(),
                _permits: permits,
            })
        };
        match tokio::time::timeout(timeout, settled).await {
            Ok(Some(drained)) => Some(drained),
            _ => {
                self.draining.store(false, Ordering::Release);
                None
            }
        }
    }

    /// Accepts proposals again after [`Group::drain`]. What was queued
    /// meanwhile is proposed now (and refused if this member no longer
    /// leads).
    pub fn resume(&self, drained: Drained) {
        drop(drained);
    }

    /// True while this member leads the group.
    pub fn is_leader(&self) -> bool {
        self.raft().metrics().borrow().state == ServerState::Leader
    }

    /// The group's state as openraft's metrics show it now.
    pub fn status(&self) -> GroupStatus {
        let m = self.raft().metrics();
        let m = m.borrow();
        let membership = m.membership_config.membership();
        GroupStatus {
            state: match m.state {
                ServerState::Leader => "leader",
                ServerState::Follower => "follower",
                ServerState::Candidate => "candidate",
                ServerState::Learner => "learner",
                ServerState::Shutdown => "shutdown",
            },
            term: m.current_term,
            leader: m.current_leader,
            leader_addr: m
                .current_leader
                .and_then(|l| membership.get_node(&l).map(|n| n.addr.clone())),
            last_log_index: m.last_log_index.unwrap_or(0),
            applied_index: m.last_applied.map_or(0, |l| l.index),
            snapshot_index: m.snapshot.map_or(0, |l| l.index),
            purged_index: m.purged.map_or(0, |l| l.index),
            voters: membership.voter_ids().collect(),
            restarts: self.health.restarts.load(Ordering::Relaxed),
            failed_restarts: self.health.failed_restarts.load(Ordering::Relaxed),
        }
    }

    /// Waits until some member is known to lead (or `timeout` passes);
    /// returns the leader's id.
    pub async fn wait_leader(&self, timeout: Duration) -> Option<NodeId> {
        let m = self
            .raft()
            .wait(Some(timeout))
            .metrics(|m| m.current_leader.is_some(), "a leader is known")
            .await
            .ok()?;
        m.current_leader
    }
}

fn not_leader(f: ForwardToLeader<NodeId, BasicNode>) -> Refused {
    Refused::NotLeader(f.leader_id.zip(f.leader_node.map(|n| n.addr)))
}

/// Rough payload size of a record, to bound entries.
fn record_bytes(r: &Record) -> usize {
    use crate::record::Op;
    let args = |a: &[bytes::Bytes]| a.iter().map(|b| b.len() + 8).sum::<usize>();
    64 + match &r.op {
        Op::Command(a) => args(a),
        Op::Exec { commands, watched } => {
            commands.iter().map(|c| args(c)).sum::<usize>()
                + watched.iter().map(|w| w.key.len() + 24).sum::<usize>()
        }
        Op::Expire(keys) => args(keys),
    }
}

/// What the batcher learned from the last entry that completed: how many
/// proposals it answered and how long it took from hand-off to apply.
#[derive(Default, Clone, Copy)]
struct LastEntry {
    answered: usize,
    took: Duration,
}

/// Turns queued proposals into entries: one entry takes everything queued
/// when an in-flight slot frees up.
///
/// The hold: when an entry completes, the clients it answered send their
/// next commands a few tens of microseconds later. Taking the queue at once
/// would leave them for the entry after, and the clients would settle into
/// two cohorts that alternate, each entry (and fdatasync) serving half of
/// them. So if fewer proposals are queued than the last entry answered, the
/// batcher waits for them up to a quarter of that entry's latency (as
/// raft-log's group-commit hold does for appends): at most a quarter more
/// latency, for up to twice the records per fdatasync.
async fn batcher(
    cores: watch::Receiver<CoreRef>,
    health: Arc<Health>,
    mut rx: mpsc::UnboundedReceiver<Proposal>,
    slots: Arc<Semaphore>,
    last_applied: Arc<AtomicU64>,
) {
    let last = Arc::new(Mutex::new(LastEntry::default()));
    while let Some(first) = rx.recv().await {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let mut batch = Batch::new(first);
        batch.take_queued(&mut rx);
        let LastEntry { answered, took } = *last.lock();
        if batch.waiters.len() < answered {
            let deadline = tokio::time::Instant::now() + (took / 4).min(MAX_HOLD);
            while batch.waiters.len() < answered && !batch.full() {
                tokio::select! {
                    p = rx.recv() => match p {
                        Some(p) => batch.push(p),
                        None => break,
                    },
                    _ = tokio::time::sleep_until(deadline) => break,
                }
                batch.take_queued(&mut rx);
            }
        }
        let Batch {
            records, waiters, ..
        } = batch;
        // tokio's clock, not the OS's: under a simulation the hold must
        // follow simulated time, or runs of one seed diverge.
        let started = tokio::time::Instant::now();
        let raft = cores.borrow().1.clone();
        match raft.client_write_ff(records).await {
            Ok(done) => {
                let last = last.clone();
                let last_applied = last_applied.clone();
                tokio::spawn(async move {
                    let result = done.await;
                    *last.lock() = LastEntry {
                        answered: waiters.len(),
                        took: started.elapsed(),
                    };
                    if let Ok(Ok(resp)) = &result {
                        // Before the permit goes: `drain` reads it then.
                        last_applied.fetch_max(resp.log_id.index, Ordering::AcqRel);
                    }
                    drop(permit);
                    match result {
                        Ok(Ok(resp)) => {
                            let mut applied = resp.data.into_iter();
                            for w in waiters {
                                let _ = w.send(applied.next().ok_or_else(|| {
                                    Refused::Fatal("entry applied without a reply".into())
                                }));
                            }
                        }
                        Ok(Err(ClientWriteError::ForwardToLeader(f))) => {
                            fan_out_err(waiters, not_leader(f))
                        }
                        Ok(Err(e)) => fan_out_err(waiters, Refused::Fatal(e.to_string())),
                        // The responder was dropped before the entry's
                        // fate was known: the core died (the entry may
                        // still be in its log, and come back with it) or
                        // leadership was lost.
                        Err(_) if core_stopped(&raft) => fan_out_err(
                            waiters,
                            Refused::Fatal(
                                "the group's Raft core stopped before the write was known \
                                 to be applied: it may or may not have been"
                                    .into(),
                            ),
                        ),
                        Err(_) => fan_out_err(waiters, Refused::NotLeader(None)),
                    }
                });
            }
            // Refused before it reached the log: never applied.
            Err(fatal) => fan_out_err(waiters, health.core_stopped(&fatal)),
        }
    }
}

/// True once `raft`'s core has stopped: it reports that in its metrics,
/// and drops their sender when its task ends (a panic says nothing else).
fn core_stopped(raft: &GroupRaft) -> bool {
    let m = raft.metrics();
    m.has_changed().is_err() || m.borrow().running_state.is_err()
}

type Waiter = oneshot::Sender<Result<Applied, Refused>>;

fn fan_out_err(waiters: Vec<Waiter>, e: Refused) {
    for w in waiters {
        let _ = w.send(Err(e.clone()));
    }
}

/// The entry being filled.
struct Batch {
    records: Vec<Record>,
    waiters: Vec<Waiter>,
    bytes: usize,
}

impl Batch {
    fn new(first: Proposal) -> Batch {
        let mut b = Batch {
            records: Vec::new(),
            waiters: Vec::new(),
            bytes: 0,
        };
        b.push(first);
        b
    }

    fn push(&mut self, p: Proposal) {
        self.bytes += record_bytes(&p.record);
        self.records.push(p.record);
        self.waiters.push(p.reply);
    }

    fn full(&self) -> bool {
        self.records.len() >= MAX_BATCH_RECORDS || self.bytes >= MAX_BATCH_BYTES
    }

    /// Adds what is queued now, up to the entry's limits.
    fn take_queued(&mut self, rx: &mut mpsc::UnboundedReceiver<Proposal>) {
        while !self.full() {
            let Ok(p) = rx.try_recv() else { break };
            self.push(p);
        }
    }
}

/// Coalesced leadership confirmation: readers take a ticket; a confirmer
/// task runs one round for every ticket taken before the round started.
#[derive(Clone)]
struct ReadGate {
    inner: Arc<ReadGateInner>,
}

struct ReadGateInner {
    /// Tickets handed out.
    requested: AtomicU64,
    wake: tokio::sync::Notify,
    /// (highest ticket served, its outcome).
    done: watch::Sender<(u64, Result<(), Refused>)>,
}

impl ReadGate {
    fn new() -> ReadGate {
        ReadGate {
            inner: Arc::new(ReadGateInner {
                requested: AtomicU64::new(0),
                wake: tokio::sync::Notify::new(),
                done: watch::channel((0, Ok(()))).0,
            }),
        }
    }

    async fn confirm(&self) -> Result<(), Refused> {
        let mut rx = self.inner.done.subscribe();
        let ticket = self.inner.requested.fetch_add(1, Ordering::AcqRel) + 1;
        self.inner.wake.notify_one();
        let outcome = match rx.wait_for(|(served, _)| *served >= ticket).await {
            Ok(v) => v.1.clone(),
            Err(_) => Err(Refused::Fatal("group stopped".into())),
        };
        outcome
    }
}

async fn read_confirmer(mut cores: watch::Receiver<CoreRef>, health: Arc<Health>, gate: ReadGate) {
    let inner = &gate.inner;
    loop {
        let served = inner.done.borrow().0;
        if inner.requested.load(Ordering::Acquire) <= served {
            tokio::select! {
                _ = inner.wake.notified() => {}
                // A new core, or the group is gone (the sender dropped).
                changed = cores.changed() => if changed.is_err() { return },
            }
            continue;
        }
        // Every ticket up to here was taken before this round is sent.
        let upto = inner.requested.load(Ordering::Acquire);
        let raft = cores.borrow_and_update().1.clone();
        let outcome = match raft.ensure_linearizable().await {
            Ok(_) => Ok(()),
            Err(RaftError::APIError(CheckIsLeaderError::ForwardToLeader(f))) => Err(not_leader(f)),
            Err(RaftError::APIError(e)) => {
                warn!(%e, "read confirmation failed");
                Err(Refused::NotLeader(None))
            }
            Err(RaftError::Fatal(e)) => Err(health.core_stopped(&e)),
        };
        let _ = inner.done.send_replace((upto, outcome));
    }
}

/// Follows the current core's metrics (see [`follow_metrics`]); when a
/// core stops, reports it in `down` and waits for the next one.
async fn watch_metrics(group: std::sync::Weak<Group>, mut cores: watch::Receiver<CoreRef>) {
    loop {
        // Only the metrics are kept: the core itself is not held alive.
        let (generation, metrics) = {
            let c = cores.borrow_and_update();
            (c.0, c.1.metrics())
        };
        let Some(fatal) = follow_metrics(&group, metrics).await else {
            return;
        };
        {
            let Some(g) = group.upgrade() else { return };
            g.sole_leader.store(false, Ordering::Release);
            if matches!(fatal, Fatal::Stopped) {
                info!(group = g.id, generation, "raft core stopped");
            } else if !g.health.supervised.load(Ordering::Acquire) {
                // A supervisor logs it with what it does about it.
                error!(group = g.id, generation, reason = %fatal, "raft core died");
            }
            g.down.send_replace(Some((generation, fatal)));
        }
        // A supervisor swaps a new core in only after this one died.
        if cores.changed().await.is_err() {
            return;
        }
    }
}

/// Keeps `sole_leader` in step with one core's metrics and logs state
/// changes, until the core stops (returns why) or the group is dropped
/// (`None`). Runs on every metrics change (each applied entry), so it
/// reads in place and allocates nothing.
///
/// A sole leader skips the read round only once it has applied an entry
/// of its own term: every entry committed before it is then applied. A
/// core that was just rebuilt (or restarted) may lead before it has
/// re-applied everything acknowledged, when the committed index on disk
/// lagged the last acknowledgement.
async fn follow_metrics(
    group: &std::sync::Weak<Group>,
    mut rx: watch::Receiver<RaftMetrics<NodeId, BasicNode>>,
) -> Option<Fatal<NodeId>> {
    let mut last_state = None;
    loop {
        {
            let g = group.upgrade()?;
            let m = rx.borrow_and_update();
            if let Err(fatal) = &m.running_state {
                return Some(fatal.clone());
            }
            let alone = m
                .membership_config
                .membership()
                .voter_ids()
                .eq(std::iter::once(g.node_id));
            let caught_up = m
                .last_applied
                .is_some_and(|l| l.leader_id.term == m.current_term);
            g.sole_leader.store(
                m.state == ServerState::Leader && alone && caught_up,
                Ordering::Release,
            );
            if last_state != Some(m.state) {
                info!(group = g.id, state = ?m.state, term = m.current_term, leader = ?m.current_leader, "raft state");
                last_state = Some(m.state);
            }
        }
        if rx.changed().await.is_err() {
            // The core's task ended. It reports a stop in its metrics
            // first; without that report it panicked.
            return Some(match &rx.borrow().running_state {
                Err(fatal) => fatal.clone(),
                Ok(()) => Fatal::Panicked,
            });
        }
    }
}
