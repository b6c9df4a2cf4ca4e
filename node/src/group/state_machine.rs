//! A data group's state machine: the keyspace, advanced by committed log
//! entries, plus its durable snapshot.
//!
//! `apply` runs [`record::apply`] for every record of every entry in log
//! order and returns what each produced; on the leader that is the reply
//! the proposing connection waits for. The keyspace, the last applied log
//! id and the membership sit behind one lock so a snapshot is a consistent
//! cut of all three.
//!
//! Durability: the keyspace itself lives in memory. What survives a restart
//! is the latest snapshot (one file in the group's directory, replaced
//! atomically by write-to-temp, fsync, rename, fsync of the directory) plus
//! the group's Raft log; openraft re-applies the committed entries after the
//! snapshot on start-up. So a restart is "load snapshot, replay log".
//!
//! Known limit of this first step: a snapshot is encoded under the lock, so
//! its pause grows with the keyspace. DESIGN asks for an incremental,
//! copy-before-write snapshot; the format (one frame per key, see
//! `snapshot.rs`) is shaped for it.

use std::io::{self, Cursor};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    BasicNode, EntryPayload, ErrorSubject, ErrorVerb, LogId, RaftSnapshotBuilder, StorageError,
    StoredMembership,
};
use parking_lot::Mutex;

use super::snapshot;
use super::snapshot_file::{io_err, Meta, SnapshotFile};
use super::types::{GroupConfig, GroupEntry, NodeId, Replies};
use crate::keyspace::{EncodingLimits, Keyspace};
use crate::record;

type Membership = StoredMembership<NodeId, BasicNode>;

/// What the state machine's lock guards.
struct State {
    keyspace: Keyspace,
    last_applied: Option<LogId<NodeId>>,
    membership: Membership,
    /// Which core may change the state: bumped by [`GroupStateMachine::reload`].
    epoch: u64,
}

/// A data group's state machine. Cloning gives another handle on the same
/// state (the node keeps one to serve reads; openraft owns another).
#[derive(Clone)]
pub struct GroupStateMachine {
    state: Arc<Mutex<State>>,
    file: Arc<SnapshotFile>,
    /// Clients of this member blocked on keys (BLPOP...). Only while there
    /// are some does apply collect the keys each write touched: they are
    /// what wakes them, and collecting them costs every write.
    blocked: Arc<AtomicUsize>,
    /// The state's epoch, readable without the state's lock (which an
    /// apply holds for a whole entry): reads take it before confirming.
    /// Written under the lock by `reload`.
    current_epoch: Arc<AtomicU64>,
    /// The epoch this handle was made for: once the state is reloaded for
    /// a rebuilt core, the dead core's handle (its state machine worker may
    /// still be mid-apply) can no longer change it.
    epoch: u64,
}

impl GroupStateMachine {
    /// Opens the state machine of a group whose files live in `dir`
    /// (created if missing): an empty keyspace of `databases` databases, or
    /// the one in the snapshot found there.
    pub fn open(
        dir: impl AsRef<Path>,
        databases: usize,
        limits: EncodingLimits,
    ) -> io::Result<Self> {
        let (file, found) = SnapshotFile::open(dir)?;
        let mut keyspace = Keyspace::new(databases);
        keyspace.limits = limits;
        let state = State::load(keyspace, found)?;
        Ok(GroupStateMachine {
            state: Arc::new(Mutex::new(state)),
            file: Arc::new(file),
            blocked: Arc::default(),
            current_epoch: Arc::default(),
            epoch: 0,
        })
    }

    /// Reloads the state from the snapshot on disk, as a restart would, for
    /// a core rebuilt after the last one died (openraft replays the log
    /// after it). Returns the handle the new core must be given; handles
    /// made earlier (the dead core's) can read but no longer apply or
    /// install. This handle's clones (the node's reader) see the reloaded
    /// state, and blocked clients stay counted.
    pub fn reload(&self) -> io::Result<GroupStateMachine> {
        let found = self.file.load()?;
        let (databases, limits, stats) = {
            let st = self.state.lock();
            let ks = &st.keyspace;
            (ks.dbs.len(), ks.limits, ks.stats)
        };
        let mut keyspace = Keyspace::new(databases);
        keyspace.limits = limits;
        // Decoded before the lock is taken: a big snapshot takes a while.
        let mut fresh = State::load(keyspace, found)?;
        fresh.keyspace.stats = stats;
        let mut st = self.state.lock();
        fresh.epoch = st.epoch + 1;
        *st = fresh;
        self.current_epoch.store(st.epoch, Ordering::Release);
        Ok(GroupStateMachine {
            epoch: st.epoch,
            ..self.clone()
        })
    }

    /// The count of blocked clients the engine keeps (see `blocked`). A
    /// client counts itself before its retry record is proposed, so every
    /// write applied after that record reports its keys.
    pub fn blocked_clients(&self) -> Arc<AtomicUsize> {
        self.blocked.clone()
    }

    /// Runs `f` on the applied keyspace.
    pub fn with_keyspace<R>(&self, f: impl FnOnce(&mut Keyspace) -> R) -> R {
        f(&mut self.state.lock().keyspace)
    }

    /// The state's epoch: one more at each [`GroupStateMachine::reload`].
    pub fn epoch(&self) -> u64 {
        self.current_epoch.load(Ordering::Acquire)
    }

    /// Runs `f` on the applied keyspace if it was not reloaded since
    /// `epoch` (`None` if it was). A read confirmed against the state of a
    /// core that then died must not run on the reloaded state, which is
    /// back at the snapshot until the new core has replayed the log.
    pub fn with_keyspace_at<R>(&self, epoch: u64, f: impl FnOnce(&mut Keyspace) -> R) -> Option<R> {
        let mut st = self.state.lock();
        (st.epoch == epoch).then(|| f(&mut st.keyspace))
    }

    /// The id of the last applied entry.
    pub fn last_applied(&self) -> Option<LogId<NodeId>> {
        self.state.lock().last_applied
    }

    /// The digest of the applied keyspace (equal on converged members).
    pub fn digest(&self) -> [u8; 20] {
        self.state.lock().keyspace.digest()
    }

    /// How many snapshots this member received from a leader since it was
    /// opened.
    pub fn snapshots_installed(&self) -> u64 {
        self.file.installed()
    }

    /// The metadata of the snapshot on disk, if any.
    pub fn snapshot_meta(&self) -> Option<Meta> {
        self.file.current()
    }
}

impl State {
    /// The state in a snapshot found on disk, or `empty` (epoch 0).
    fn load(empty: Keyspace, found: Option<(Meta, Vec<u8>)>) -> io::Result<State> {
        let Some((meta, data)) = found else {
            return Ok(State {
                keyspace: empty,
                last_applied: None,
                membership: Membership::default(),
                epoch: 0,
            });
        };
        // A witness's metadata-only snapshot is refused here too.
        let ks = snapshot::decode(&data, empty.limits, Default::default())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Ok(State {
            keyspace: ks,
            last_applied: meta.last_log_id,
            membership: meta.last_membership,
            epoch: 0,
        })
    }
}

/// The error a superseded core's state machine handle answers with.
fn superseded(subject: ErrorSubject<NodeId>) -> StorageError<NodeId> {
    let e = io::Error::other("the state machine was reloaded for a rebuilt core");
    io_err(ErrorVerb::Write, subject, &e)
}

/// Builds a snapshot of the state at the moment it is called.
pub struct GroupSnapshotBuilder {
    sm: GroupStateMachine,
}

impl RaftSnapshotBuilder<GroupConfig> for GroupSnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<GroupConfig>, StorageError<NodeId>> {
        let (data, last_log_id, last_membership) = {
            let st = self.sm.state.lock();
            (
                snapshot::encode(&st.keyspace),
                st.last_applied,
                st.membership.clone(),
            )
        };
        let snapshot_id = self.sm.file.next_id(&last_log_id);
        let meta = Meta {
            last_log_id,
            last_membership,
            snapshot_id,
        };
        self.sm.file.publish(meta, data)
    }
}

impl RaftStateMachine<GroupConfig> for GroupStateMachine {
    type SnapshotBuilder = GroupSnapshotBuilder;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<NodeId>>, Membership), StorageError<NodeId>> {
        let st = self.state.lock();
        Ok((st.last_applied, st.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Replies>, StorageError<NodeId>>
    where
        I: IntoIterator<Item = GroupEntry> + Send,
        I::IntoIter: Send,
    {
        let mut st = self.state.lock();
        if st.epoch != self.epoch {
            return Err(superseded(ErrorSubject::StateMachine));
        }
        let mut out = Vec::new();
        // Once per call: a client counts itself before its retry record
        // is proposed, so it cannot be missed within one call.
        let track = self.blocked.load(Ordering::SeqCst) > 0;
        for entry in entries {
            st.last_applied = Some(entry.log_id);
            let replies = match entry.payload {
                EntryPayload::Blank => Vec::new(),
                EntryPayload::Normal(batch) => batch
                    .iter()
                    .map(|rec| record::apply_tracked(&mut st.keyspace, rec, track))
                    .collect(),
                EntryPayload::Membership(m) => {
                    st.membership = Membership::new(Some(entry.log_id), m);
                    Vec::new()
                }
            };
            out.push(replies);
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        GroupSnapshotBuilder { sm: self.clone() }
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<NodeId>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &Meta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<NodeId>> {
        let data = snapshot.into_inner();
        let subject = || ErrorSubject::Snapshot(Some(meta.signature()));
        // Decode fully before touching anything: a bad snapshot leaves the
        // state machine as it was.
        let (limits, stats) = {
            let st = self.state.lock();
            if st.epoch != self.epoch {
                return Err(superseded(subject()));
            }
            (st.keyspace.limits, st.keyspace.stats)
        };
        let ks = snapshot::decode(&data, limits, stats)
            .map_err(|e| io_err(ErrorVerb::Read, subject(), &e))?;
        self.file.store(meta, &data)?;
        let mut st = self.state.lock();
        if st.epoch != self.epoch {
            return Err(superseded(subject()));
        }
        st.keyspace = ks;
        st.last_applied = meta.last_log_id;
        st.membership = meta.last_membership.clone();
        self.file.note_installed();
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<GroupConfig>>, StorageError<NodeId>> {
        self.file.current_snapshot()
    }
}

#[cfg(test)]
#[path = "state_machine_tests.rs"]
mod tests;
