//! Witness members (DESIGN, "Witnesses"): a voter that persists vote and log
//! like any other, applies nothing, and may lead only to hand the log to a
//! lagging data voter.
//!
//! A witness runs the same [`GroupConfig`] as the data voters (openraft's
//! `Raft<C>` does not name its state machine, so a witness is a
//! [`GroupRaft`] too), started with:
//! - [`WitnessStateMachine`]: tracks the last applied log id and the
//!   membership, returns an empty [`Replies`] per entry, and snapshots only
//!   that metadata. Its snapshot data is [`snapshot::witness_data`], which
//!   a data member's `GroupStateMachine::install_snapshot` refuses
//!   (`SnapshotError::MetadataOnly`), so a data voter can never take it for
//!   an empty keyspace.
//! - [`witness_config`]: the data voters' config with automatic snapshots
//!   and policy purges off, and a later election timer.
//! - [`WitnessNetwork`] around its transport: it refuses to send a
//!   snapshot. A witness leading a group must never feed a data voter its
//!   metadata-only snapshot; with the purge gate below its log always
//!   covers what the data voters lack, so this is only a last guard (the
//!   data voter then waits for a data leader instead of being corrupted).
//!
//! Election timing. The witness keeps the data voters' `election_timeout_max`
//! and only raises `election_timeout_min` to just under it. Stretching the
//! whole timeout (say 3×) would be worse: openraft's leader lease is
//! `election_timeout_max`, and a voter refuses every vote while its lease
//! runs. A witness with a 3× lease would refuse the surviving data voter's
//! vote for 3× longer after the leader died (slowing every failover), and
//! when the witness leads, the data voter it hands over to needs its vote,
//! which it withholds for its lease after its election. With the same
//! maximum, a follower fires at `lease + timeout`, where the data voters
//! draw their timeout in `[min, max)` and the witness in `[max - (max -
//! min)/16, max)`: a data voter normally fires first, and the witness's
//! lease has run out by then so it grants. If the witness wins anyway, it
//! hands over (below), which costs the catch-up plus about two heartbeat
//! intervals (`transfer` explains why the lease does not delay it).
//!
//! Purge gate. A witness purges its log only below the index every data
//! voter has matched, so it can always hand entries on:
//! - [`witness_config`] sets `SnapshotPolicy::Never` and an unbounded
//!   `max_in_snapshot_log_to_keep`, so openraft never purges it by itself;
//! - the group's leader computes [`data_voters_matched`] from its
//!   replication metrics (the minimum matched index over every data voter,
//!   itself included) and the runtime hands the number to the witness's
//!   node, which calls [`witness_purge`]. That builds a metadata-only
//!   snapshot and calls `trigger().purge_log(upto)`; openraft purges only
//!   entries inside a snapshot, i.e. applied hence committed ones, so what
//!   is dropped is committed and held by every data voter. A stale number
//!   is still a lower bound (matched indexes of committed entries never go
//!   back). A witness that installed a data leader's snapshot (it lagged
//!   behind that leader's purge point) starts its log after that snapshot;
//!   if a data voter is behind it too, the data lives only on the other
//!   data voter and the group waits for it: two copies cannot do better.
//!
//! Handoff ([`witness_handoff`]). A witness that became leader waits until
//! a data voter has matched its whole log (openraft replicates to it as to
//! any follower), then transfers leadership to it (`transfer`). The gap
//! therefore lasts: the witness campaigns `lease + ~election_timeout_max`
//! after the dead leader's last heartbeat (one more `election_timeout_max`
//! if the data voter's failed campaigns pushed its term past the witness's
//! first try), then the catch-up and about two heartbeat intervals: about
//! `3 × election_timeout_max` in all (measured in `witness_tests`). The node
//! serves no client from a group in which it is the witness (`-TRYAGAIN`
//! while it leads); [`is_witness_leader`] tells the runtime when to run the
//! handoff.

use std::collections::BTreeSet;
use std::future::Future;
use std::io::{self, Cursor};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

// tokio's clock: the real one in the node, the simulated one under turmoil.
use tokio::time::Instant;

use openraft::error::{
    Fatal, InstallSnapshotError, RPCError, RaftError, ReplicationClosed, StreamingError,
    Unreachable,
};
use openraft::network::{Backoff, RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    BasicNode, Config, ConfigError, EntryPayload, ErrorSubject, ErrorVerb, LogId,
    RaftSnapshotBuilder, ServerState, SnapshotPolicy, StorageError, StoredMembership, Vote,
};
use parking_lot::Mutex;

use super::snapshot;
use super::snapshot_file::{io_err, Meta, SnapshotFile};
use super::transfer::{self, matched, Prepared, TransferError};
use super::types::{GroupConfig, GroupEntry, GroupRaft, NodeId, Replies};

type Membership = StoredMembership<NodeId, BasicNode>;

/// What a witness remembers of the entries it "applied".
#[derive(Default)]
struct Applied {
    last: Option<LogId<NodeId>>,
    membership: Membership,
}

impl Applied {
    /// What a snapshot found on disk says (nothing applied without one).
    fn load(found: Option<(Meta, Vec<u8>)>) -> io::Result<Applied> {
        let mut applied = Applied::default();
        if let Some((meta, data)) = found {
            if !snapshot::is_witness_data(&data) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a witness's directory holds a keyspace snapshot",
                ));
            }
            applied.last = meta.last_log_id;
            applied.membership = meta.last_membership;
        }
        Ok(applied)
    }
}

/// A witness's state machine: no keyspace, only the last applied log id and
/// the membership, and metadata-only snapshots in the group's directory.
#[derive(Clone)]
pub struct WitnessStateMachine {
    applied: Arc<Mutex<Applied>>,
    file: Arc<SnapshotFile>,
}

impl WitnessStateMachine {
    /// Opens the witness state of a group whose files live in `dir`
    /// (created if missing), from the snapshot found there if any.
    pub fn open(dir: impl AsRef<Path>) -> io::Result<Self> {
        let (file, found) = SnapshotFile::open(dir)?;
        Ok(WitnessStateMachine {
            applied: Arc::new(Mutex::new(Applied::load(found)?)),
            file: Arc::new(file),
        })
    }

    /// A fresh state for a rebuilt core, from the snapshot on disk as a
    /// restart would load it. Nothing else reads a witness's state, so the
    /// dead core keeps its own; only the file (whose lock orders writers)
    /// is shared.
    pub fn reload(&self) -> io::Result<Self> {
        Ok(WitnessStateMachine {
            applied: Arc::new(Mutex::new(Applied::load(self.file.load()?)?)),
            file: self.file.clone(),
        })
    }

    /// The id of the last applied entry.
    pub fn last_applied(&self) -> Option<LogId<NodeId>> {
        self.applied.lock().last
    }

    /// The metadata of the snapshot on disk, if any.
    pub fn snapshot_meta(&self) -> Option<Meta> {
        self.file.current()
    }

    /// How many snapshots this witness received from a leader since it was
    /// opened.
    pub fn snapshots_installed(&self) -> u64 {
        self.file.installed()
    }
}

/// Builds a witness's metadata-only snapshot.
pub struct WitnessSnapshotBuilder {
    sm: WitnessStateMachine,
}

impl RaftSnapshotBuilder<GroupConfig> for WitnessSnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<GroupConfig>, StorageError<NodeId>> {
        let (last_log_id, last_membership) = {
            let a = self.sm.applied.lock();
            (a.last, a.membership.clone())
        };
        let meta = Meta {
            snapshot_id: self.sm.file.next_id(&last_log_id),
            last_log_id,
            last_membership,
        };
        let data = snapshot::witness_data();
        self.sm.file.publish(meta, data)
    }
}

impl RaftStateMachine<GroupConfig> for WitnessStateMachine {
    type SnapshotBuilder = WitnessSnapshotBuilder;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<NodeId>>, Membership), StorageError<NodeId>> {
        let a = self.applied.lock();
        Ok((a.last, a.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Replies>, StorageError<NodeId>>
    where
        I: IntoIterator<Item = GroupEntry> + Send,
        I::IntoIter: Send,
    {
        let mut a = self.applied.lock();
        let mut out = Vec::new();
        for entry in entries {
            a.last = Some(entry.log_id);
            if let EntryPayload::Membership(m) = entry.payload {
                a.membership = Membership::new(Some(entry.log_id), m);
            }
            out.push(Replies::new());
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        WitnessSnapshotBuilder { sm: self.clone() }
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<NodeId>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    /// A witness that fell behind a data leader's purge point receives the
    /// leader's keyspace snapshot: it keeps the metadata and drops the
    /// keyspace.
    async fn install_snapshot(
        &mut self,
        meta: &Meta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<NodeId>> {
        let data = snapshot.into_inner();
        let subject = || ErrorSubject::Snapshot(Some(meta.signature()));
        if !snapshot::is_witness_data(&data) && !data.starts_with(snapshot::MAGIC) {
            let e = io::Error::new(io::ErrorKind::InvalidData, "not a group snapshot");
            return Err(io_err(ErrorVerb::Read, subject(), &e));
        }
        self.file.store(meta, &snapshot::witness_data())?;
        let mut a = self.applied.lock();
        a.last = meta.last_log_id;
        a.membership = meta.last_membership.clone();
        self.file.note_installed();
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<GroupConfig>>, StorageError<NodeId>> {
        self.file.current_snapshot()
    }
}

/// The witness's openraft config, derived from the data voters' `data`:
/// the same heartbeat and lease (`election_timeout_max`), an election
/// timeout drawn from the top sixteenth of the data voters' range (so a
/// data voter normally campaigns first), no automatic snapshots and no
/// policy-driven purge (only [`witness_purge`] purges). Fails only if
/// `data` itself is invalid.
pub fn witness_config(data: &Config) -> Result<Config, Box<ConfigError>> {
    let span = data
        .election_timeout_max
        .saturating_sub(data.election_timeout_min);
    let c = Config {
        election_timeout_min: data.election_timeout_max - (span / 16).max(1),
        snapshot_policy: SnapshotPolicy::Never,
        max_in_snapshot_log_to_keep: u64::MAX,
        ..data.clone()
    };
    c.validate().map_err(Box::new)
}

/// On a group's leader: the highest log index that every data voter (every
/// voter not in `witnesses`, the leader itself included) has matched, or
/// `None` if this member does not lead or some data voter's progress is not
/// known yet. The witness may purge up to it ([`witness_purge`]).
pub fn data_voters_matched(leader: &GroupRaft, witnesses: &BTreeSet<NodeId>) -> Option<u64> {
    let m = leader.metrics().borrow().clone();
    if m.state != ServerState::Leader {
        return None;
    }
    let voters: Vec<NodeId> = m.membership_config.membership().voter_ids().collect();
    voters
        .into_iter()
        .filter(|v| !witnesses.contains(v))
        .map(|v| matched(&m, v))
        .try_fold(u64::MAX, |low, i| i.map(|i| low.min(i)))
        .filter(|&low| low != u64::MAX)
}

/// On the witness: purges its log up to `upto` (from
/// [`data_voters_matched`]), building a metadata-only snapshot first if its
/// last one does not reach that far (openraft purges only inside a
/// snapshot). Returns the index it asked openraft to purge up to (`None`:
/// nothing to purge yet). openraft purges in the background; watch
/// `metrics().purged`.
pub async fn witness_purge(
    witness: &GroupRaft,
    upto: u64,
    timeout: Duration,
) -> Result<Option<u64>, TransferError> {
    let m = witness.metrics().borrow().clone();
    let applied = m.last_applied.map_or(0, |l| l.index);
    // Never beyond what this witness applied: its snapshot cannot cover more.
    let upto = upto.min(applied);
    if m.purged.is_some_and(|p| p.index >= upto) || m.last_applied.is_none() {
        return Ok(None);
    }
    if m.snapshot.is_none_or(|s| s.index < upto) {
        witness.trigger().snapshot().await?;
        witness
            .wait(Some(timeout))
            .metrics(
                |m| m.snapshot.is_some_and(|s| s.index >= upto),
                "witness snapshot reaches the purge point",
            )
            .await?;
    }
    witness.trigger().purge_log(upto).await?;
    Ok(Some(upto))
}

/// Whether `raft`, a witness, is leading its group (the runtime then runs
/// [`witness_handoff`] and answers clients `-TRYAGAIN`).
pub fn is_witness_leader(raft: &GroupRaft) -> bool {
    raft.metrics().borrow().state == ServerState::Leader
}

/// On a witness that leads: waits until some data voter has matched the
/// witness's whole log, prepares a leader transfer to it, calls
/// `request_campaign(target, term)` (the runtime asks the target's node to
/// run `transfer::campaign`; without it the target still elects itself
/// once its lease runs out), and waits until the target, or any data
/// voter, leads in a higher term. Returns the new leader and how long the
/// handoff took. On a timeout the witness is restored (it keeps leading
/// and may try again).
pub async fn witness_handoff<F, Fut>(
    witness: &GroupRaft,
    witnesses: &BTreeSet<NodeId>,
    timeout: Duration,
    request_campaign: F,
) -> Result<(NodeId, Duration), TransferError>
where
    F: FnOnce(NodeId, u64) -> Fut,
    Fut: Future<Output = ()>,
{
    let start = Instant::now();
    let m = witness.metrics().borrow().clone();
    if m.state != ServerState::Leader {
        return Err(TransferError::NotLeader(m.id));
    }
    let term = m.current_term;
    let data: Vec<NodeId> = m
        .membership_config
        .membership()
        .voter_ids()
        .filter(|v| !witnesses.contains(v))
        .collect();
    // openraft replicates to every follower; the first data voter to match
    // the whole log takes over.
    let caught_up = witness
        .wait(Some(timeout))
        .metrics(
            |m| {
                m.current_term != term
                    || m.last_log_index
                        .is_some_and(|l| data.iter().any(|&d| matched(m, d) == Some(l)))
            },
            "a data voter matches the witness's log",
        )
        .await?;
    if caught_up.current_term != term || caught_up.state != ServerState::Leader {
        return Err(TransferError::NotLeader(m.id));
    }
    let last = caught_up.last_log_index;
    let target = data
        .iter()
        .copied()
        .find(|&d| matched(&caught_up, d) == last)
        .expect("the condition found one");
    let left = timeout.saturating_sub(start.elapsed());
    let prepared: Prepared = transfer::prepare(witness, target, left).await?;
    request_campaign(target, prepared.term).await;
    let left = timeout.saturating_sub(start.elapsed());
    let new_leader = transfer::finish(witness, &prepared, left).await?;
    if witnesses.contains(&new_leader) {
        return Err(TransferError::LostTo(new_leader));
    }
    Ok((new_leader, start.elapsed()))
}

/// A transport factory for a witness: the wrapped one, except that it
/// never sends a snapshot (see the module doc).
pub struct WitnessNetwork<N> {
    inner: N,
}

impl<N> WitnessNetwork<N> {
    /// Wraps the witness's transport factory.
    pub fn new(inner: N) -> Self {
        WitnessNetwork { inner }
    }
}

impl<N: RaftNetworkFactory<GroupConfig>> RaftNetworkFactory<GroupConfig> for WitnessNetwork<N> {
    type Network = WitnessClient<N::Network>;

    async fn new_client(&mut self, target: NodeId, node: &BasicNode) -> Self::Network {
        WitnessClient {
            inner: self.inner.new_client(target, node).await,
        }
    }
}

/// A witness's connection to one member: votes and entries pass, snapshots
/// are refused.
pub struct WitnessClient<C> {
    inner: C,
}

/// Reported as unreachable so openraft backs off instead of retrying at
/// once.
fn refused() -> Unreachable {
    Unreachable::new(&io::Error::new(
        io::ErrorKind::Unsupported,
        "a witness never sends a snapshot",
    ))
}

type RpcResult<T, E = openraft::error::Infallible> =
    Result<T, RPCError<NodeId, BasicNode, RaftError<NodeId, E>>>;

impl<C: RaftNetwork<GroupConfig>> RaftNetwork<GroupConfig> for WitnessClient<C> {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<GroupConfig>,
        option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<NodeId>> {
        self.inner.append_entries(rpc, option).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> RpcResult<VoteResponse<NodeId>> {
        self.inner.vote(rpc, option).await
    }

    async fn install_snapshot(
        &mut self,
        _rpc: InstallSnapshotRequest<GroupConfig>,
        _option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<NodeId>, InstallSnapshotError> {
        Err(RPCError::Unreachable(refused()))
    }

    async fn full_snapshot(
        &mut self,
        _vote: Vote<NodeId>,
        _snapshot: Snapshot<GroupConfig>,
        _cancel: impl Future<Output = ReplicationClosed> + Send + 'static,
        _option: RPCOption,
    ) -> Result<SnapshotResponse<NodeId>, StreamingError<GroupConfig, Fatal<NodeId>>> {
        Err(StreamingError::Unreachable(refused()))
    }

    fn backoff(&self) -> Backoff {
        self.inner.backoff()
    }
}
