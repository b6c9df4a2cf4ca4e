//! One group's view of the shared log: openraft's `RaftLogStorage`.
//!
//! A [`GroupLog`] is a cheap, cloneable handle (the store plus a group id).
//! It is generic over the openraft type configuration so the node can plug in
//! its own: entries, votes and log ids are serde-encoded with bincode here, at
//! the edge, and the store below only ever sees bytes. This is also the one
//! place where the crate's errors become openraft's `StorageError`.

use std::fmt::Debug;
use std::io;
use std::marker::PhantomData;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{
    AnyError, ErrorSubject, ErrorVerb, LogId, OptionalSend, RaftLogId, RaftLogReader,
    RaftTypeConfig, StorageError, StorageIOError, Vote,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::memtable::Loc;
use crate::record::Kind;
use crate::store::{Inner, Shared};

/// The log of one Raft group, backed by the node-wide write-ahead log.
pub struct GroupLog<C: RaftTypeConfig> {
    shared: Arc<Shared>,
    group: u64,
    _c: PhantomData<fn() -> C>,
}

impl<C: RaftTypeConfig> Clone for GroupLog<C> {
    fn clone(&self) -> Self {
        GroupLog {
            shared: self.shared.clone(),
            group: self.group,
            _c: PhantomData,
        }
    }
}

fn encode<T: Serialize>(v: &T) -> Result<Arc<[u8]>> {
    bincode::serialize(v)
        .map(Into::into)
        .map_err(|e| Error::Codec(e.to_string()))
}

fn decode<T: DeserializeOwned>(b: &[u8]) -> Result<T> {
    bincode::deserialize(b).map_err(|e| Error::Codec(e.to_string()))
}

fn storage_err<C: RaftTypeConfig>(
    verb: ErrorVerb,
    subject: ErrorSubject<C::NodeId>,
    e: Error,
) -> StorageError<C::NodeId> {
    StorageError::IO {
        source: StorageIOError::new(subject, verb, AnyError::new(&e)),
    }
}

impl<C> GroupLog<C>
where
    C: RaftTypeConfig,
{
    pub(crate) fn new(shared: Arc<Shared>, group: u64) -> Self {
        GroupLog {
            shared,
            group,
            _c: PhantomData,
        }
    }

    /// The group this handle belongs to.
    pub fn group_id(&self) -> u64 {
        self.group
    }

    /// Queues a record; the caller kicks the writer once the lock is gone.
    fn push_one(
        &self,
        inner: &mut Inner,
        kind: Kind,
        index: u64,
        payload: Arc<[u8]>,
    ) -> Result<Loc> {
        self.shared.push(inner, kind, self.group, index, payload)
    }
}

impl<C> GroupLog<C>
where
    C: RaftTypeConfig,
    C::Entry: Serialize + DeserializeOwned,
{
    /// Appends `entries` (which must continue the log without a gap) and
    /// calls `on_durable` once they are durable (per the sync mode) or the
    /// log has failed. The entries are readable as soon as this returns.
    pub fn append_with<I>(
        &self,
        entries: I,
        on_durable: impl FnOnce(io::Result<()>) + Send + 'static,
    ) -> Result<()>
    where
        I: IntoIterator<Item = C::Entry>,
    {
        let encoded: Vec<(u64, Arc<[u8]>)> = entries
            .into_iter()
            .map(|e| Ok((e.get_log_id().index, encode(&e)?)))
            .collect::<Result<_>>()?;
        let mut inner = self.shared.inner.lock();
        inner.check_usable()?;
        let next = inner.mem.groups.entry(self.group).or_default().next_index();
        for w in encoded.windows(2) {
            if w[1].0 != w[0].0 + 1 {
                return Err(Error::Invalid(format!(
                    "group {}: entries of one append are not consecutive ({} then {})",
                    self.group, w[0].0, w[1].0
                )));
            }
        }
        if let (Some(n), Some((first, _))) = (next, encoded.first()) {
            if *first < n {
                // An overwrite: make the implied truncation explicit, so that
                // purge knows this segment hides older entries.
                self.shared.push(
                    &mut inner,
                    Kind::Truncate,
                    self.group,
                    *first,
                    Arc::from(&[][..]),
                )?;
            } else if *first > n {
                // openraft never does this; its conformance suite does. Such a
                // log reports a hole when reopened.
                tracing::warn!(
                    group = self.group,
                    first,
                    expected = n,
                    "non-contiguous append"
                );
            }
        }
        if !encoded.is_empty() {
            self.shared.push_unit(&mut inner, self.group, encoded)?;
        }
        inner.queue.done.push(Box::new(on_durable));
        let keep = self.shared.opts.cache_entries_per_group;
        let written = inner.written;
        inner
            .mem
            .evict(self.group, keep, |loc| Inner::is_written(written, loc));
        let wake = inner.queue.done.len() >= inner.wake_at;
        drop(inner);
        if wake {
            self.shared.kick();
        }
        Ok(())
    }

    fn read_range(&self, start: u64, end: u64) -> Result<Vec<C::Entry>> {
        let plan: Vec<_> = {
            let inner = self.shared.inner.lock();
            let Some(g) = inner.mem.groups.get(&self.group) else {
                return Ok(Vec::new());
            };
            g.entries
                .range(start..end)
                .map(|(_, s)| match &s.payload {
                    Some(p) => Ok(p.clone()),
                    None => Err((s.loc, inner.mem.segments[&s.loc.seg].file.clone())),
                })
                .collect()
        };
        plan.into_iter()
            .map(|p| match p {
                Ok(bytes) => decode(&bytes),
                Err((loc, file)) => {
                    decode(&self.shared.read_payload(file.as_ref(), loc, self.group)?)
                }
            })
            .collect()
    }

    fn last_entry_log_id(&self) -> Result<Option<LogId<C::NodeId>>> {
        let last = {
            let inner = self.shared.inner.lock();
            inner
                .mem
                .groups
                .get(&self.group)
                .and_then(|g| g.entries.last_key_value().map(|(i, _)| *i))
        };
        Ok(match last {
            Some(i) => self
                .read_range(i, i + 1)?
                .first()
                .map(|e| e.get_log_id().clone()),
            None => None,
        })
    }
}

fn bounds(range: &impl RangeBounds<u64>) -> (u64, u64) {
    let start = match range.start_bound() {
        Bound::Included(s) => *s,
        Bound::Excluded(s) => s.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(e) => e.saturating_add(1),
        Bound::Excluded(e) => *e,
        Bound::Unbounded => u64::MAX,
    };
    (start, end.max(start))
}

impl<C> RaftLogReader<C> for GroupLog<C>
where
    C: RaftTypeConfig,
    C::Entry: Serialize + DeserializeOwned,
{
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<C::Entry>, StorageError<C::NodeId>> {
        let (start, end) = bounds(&range);
        self.read_range(start, end)
            .map_err(|e| storage_err::<C>(ErrorVerb::Read, ErrorSubject::Logs, e))
    }
}

impl<C> RaftLogStorage<C> for GroupLog<C>
where
    C: RaftTypeConfig,
    C::Entry: Serialize + DeserializeOwned,
{
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<C>, StorageError<C::NodeId>> {
        let err = |e| storage_err::<C>(ErrorVerb::Read, ErrorSubject::Logs, e);
        let purged = {
            let inner = self.shared.inner.lock();
            inner
                .mem
                .groups
                .get(&self.group)
                .and_then(|g| g.purged.as_ref().map(|(_, m)| m.bytes.clone()))
        };
        let last_purged_log_id: Option<LogId<C::NodeId>> =
            purged.map(|b| decode(&b)).transpose().map_err(err)?;
        let last = self.last_entry_log_id().map_err(err)?;
        Ok(LogState {
            last_log_id: last.or(last_purged_log_id.clone()),
            last_purged_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<C::NodeId>) -> Result<(), StorageError<C::NodeId>> {
        let err = |e| storage_err::<C>(ErrorVerb::Write, ErrorSubject::Vote, e);
        let payload = encode(vote).map_err(err)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        {
            let mut inner = self.shared.inner.lock();
            inner.check_usable().map_err(err)?;
            self.push_one(&mut inner, Kind::Vote, 0, payload)
                .map_err(err)?;
            inner.queue.force_sync = true;
            inner.queue.done.push(Box::new(move |r| {
                let _ = tx.send(r);
            }));
        }
        self.shared.kick();
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(err(Error::Fatal(e.to_string()))),
            Err(_) => Err(err(Error::Closed)),
        }
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<C::NodeId>>, StorageError<C::NodeId>> {
        let bytes = {
            let inner = self.shared.inner.lock();
            inner
                .mem
                .groups
                .get(&self.group)
                .and_then(|g| g.vote.as_ref().map(|m| m.bytes.clone()))
        };
        bytes
            .map(|b| decode(&b))
            .transpose()
            .map_err(|e| storage_err::<C>(ErrorVerb::Read, ErrorSubject::Vote, e))
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogId<C::NodeId>>,
    ) -> Result<(), StorageError<C::NodeId>> {
        let err = |e| storage_err::<C>(ErrorVerb::Write, ErrorSubject::Store, e);
        let payload = encode(&committed).map_err(err)?;
        let mut inner = self.shared.inner.lock();
        inner.check_usable().map_err(err)?;
        self.push_one(&mut inner, Kind::Committed, 0, payload)
            .map_err(err)?;
        drop(inner);
        self.shared.kick();
        Ok(())
    }

    async fn read_committed(
        &mut self,
    ) -> Result<Option<LogId<C::NodeId>>, StorageError<C::NodeId>> {
        let bytes = {
            let inner = self.shared.inner.lock();
            inner
                .mem
                .groups
                .get(&self.group)
                .and_then(|g| g.committed.as_ref().map(|m| m.bytes.clone()))
        };
        match bytes {
            Some(b) => {
                decode(&b).map_err(|e| storage_err::<C>(ErrorVerb::Read, ErrorSubject::Store, e))
            }
            None => Ok(None),
        }
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<C>,
    ) -> Result<(), StorageError<C::NodeId>>
    where
        I: IntoIterator<Item = C::Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        self.append_with(entries, move |r| callback.log_io_completed(r))
            .map_err(|e| storage_err::<C>(ErrorVerb::Write, ErrorSubject::Logs, e))
    }

    async fn truncate(&mut self, log_id: LogId<C::NodeId>) -> Result<(), StorageError<C::NodeId>> {
        let err = |e| storage_err::<C>(ErrorVerb::Delete, ErrorSubject::Logs, e);
        let mut inner = self.shared.inner.lock();
        inner.check_usable().map_err(err)?;
        tracing::debug!(group = self.group, %log_id, "truncate");
        self.push_one(&mut inner, Kind::Truncate, log_id.index, Arc::from(&[][..]))
            .map_err(err)?;
        inner.gc_wanted = true;
        drop(inner);
        self.shared.kick();
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<C::NodeId>) -> Result<(), StorageError<C::NodeId>> {
        let err = |e| storage_err::<C>(ErrorVerb::Delete, ErrorSubject::Logs, e);
        let payload = encode(&log_id).map_err(err)?;
        let mut inner = self.shared.inner.lock();
        inner.check_usable().map_err(err)?;
        tracing::debug!(group = self.group, %log_id, "purge");
        self.push_one(&mut inner, Kind::Purge, log_id.index, payload)
            .map_err(err)?;
        inner.gc_wanted = true;
        drop(inner);
        self.shared.kick();
        Ok(())
    }
}
