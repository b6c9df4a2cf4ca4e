//! Shared test fixtures: a type config, entry builders, and a tiny in-memory
//! state machine (openraft's conformance suite needs one beside the log).

#![allow(dead_code)]

use std::io::Cursor;
use std::sync::Arc;

use openraft::storage::{RaftStateMachine, Snapshot, SnapshotMeta};
use openraft::{
    CommittedLeaderId, Entry, EntryPayload, LogId, RaftSnapshotBuilder, StorageError,
    StoredMembership,
};
use parking_lot::Mutex;

openraft::declare_raft_types!(
    /// Test type config: string commands, u64 node ids.
    pub TC
);

/// Log id with node 0 as leader.
pub fn lid(term: u64, index: u64) -> LogId<u64> {
    LogId::new(CommittedLeaderId::new(term, 0), index)
}

/// A normal entry carrying `data`.
pub fn ent(term: u64, index: u64, data: &str) -> Entry<TC> {
    Entry {
        log_id: lid(term, index),
        payload: EntryPayload::Normal(data.to_string()),
    }
}

#[derive(Default)]
struct SmState {
    last_applied: Option<LogId<u64>>,
    membership: StoredMembership<u64, openraft::BasicNode>,
    snapshot: Option<(SnapshotMeta<u64, openraft::BasicNode>, Vec<u8>)>,
    snapshots_built: u64,
}

/// A state machine that only tracks what openraft's suite looks at.
#[derive(Clone, Default)]
pub struct TinySm {
    state: Arc<Mutex<SmState>>,
}

impl RaftSnapshotBuilder<TC> for TinySm {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TC>, StorageError<u64>> {
        let mut s = self.state.lock();
        s.snapshots_built += 1;
        let data = serde_json_free_encode(&s.last_applied, &s.membership);
        let meta = SnapshotMeta {
            last_log_id: s.last_applied,
            last_membership: s.membership.clone(),
            snapshot_id: format!("snap-{}", s.snapshots_built),
        };
        s.snapshot = Some((meta.clone(), data.clone()));
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}

fn serde_json_free_encode(
    applied: &Option<LogId<u64>>,
    m: &StoredMembership<u64, openraft::BasicNode>,
) -> Vec<u8> {
    bincode::serialize(&(applied, m)).expect("encode snapshot")
}

impl RaftStateMachine<TC> for TinySm {
    type SnapshotBuilder = Self;

    async fn applied_state(
        &mut self,
    ) -> Result<
        (
            Option<LogId<u64>>,
            StoredMembership<u64, openraft::BasicNode>,
        ),
        StorageError<u64>,
    > {
        let s = self.state.lock();
        Ok((s.last_applied, s.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<String>, StorageError<u64>>
    where
        I: IntoIterator<Item = Entry<TC>> + Send,
    {
        let mut s = self.state.lock();
        let mut out = Vec::new();
        for e in entries {
            s.last_applied = Some(e.log_id);
            if let EntryPayload::Membership(m) = &e.payload {
                s.membership = StoredMembership::new(Some(e.log_id), m.clone());
            }
            out.push(String::new());
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<u64>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, openraft::BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<u64>> {
        let data = snapshot.into_inner();
        let (applied, m): (
            Option<LogId<u64>>,
            StoredMembership<u64, openraft::BasicNode>,
        ) = bincode::deserialize(&data).expect("decode snapshot");
        let mut s = self.state.lock();
        s.last_applied = applied;
        s.membership = m;
        s.snapshot = Some((meta.clone(), data));
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TC>>, StorageError<u64>> {
        let s = self.state.lock();
        Ok(s.snapshot.as_ref().map(|(meta, data)| Snapshot {
            meta: meta.clone(),
            snapshot: Box::new(Cursor::new(data.clone())),
        }))
    }
}
