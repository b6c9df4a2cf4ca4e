//! The engine: where commands meet the keyspace.
//!
//! Writes become [`Record`]s and go through [`Engine::submit`], the one
//! place where the keyspace changes: the record is proposed to the node's
//! Raft group, and the reply is what applying it produced once a quorum has
//! it durable (a standalone node is a one-member group over its own log).
//! Reads run on the applied keyspace once the group confirms this member
//! still leads, and turn the expired keys they meet into deletion records.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use parking_lot::Mutex;
use rand::Rng;
use tokio::sync::Notify;

use crate::command::{Ctx, DataFn};
use crate::group::runtime::{Group, Pending, Refused};
use crate::keyspace::Keyspace;
use crate::record::{Applied, Op, Record, Watched};
use crate::resp::Frame;

/// Unix time in milliseconds.
pub fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The node's (single, for now) group and the wake-ups of blocked clients.
pub struct Engine {
    group: Arc<Group>,
    /// What a witness reports as its keyspace: it keeps none.
    empty: Mutex<Keyspace>,
    /// Blocked clients wait on the keys they block on.
    waiters: Mutex<HashMap<(usize, Bytes), Arc<Notify>>>,
    waiting: Arc<AtomicUsize>,
    /// Unix ms for reads and expiry: [`unix_ms`], or a simulated clock.
    clock: fn() -> i64,
}

impl Engine {
    /// An engine over `group`'s keyspace.
    pub fn new(group: Arc<Group>, databases: usize) -> Engine {
        Engine::with_clock(group, databases, unix_ms)
    }

    /// An engine whose reads and expiry take the time from `clock` (unix
    /// ms): a simulation passes its own, since a read stamps the keys it
    /// touches with their access time and snapshots carry it.
    pub fn with_clock(group: Arc<Group>, databases: usize, clock: fn() -> i64) -> Engine {
        // The state machine reports touched keys only while this count is
        // above zero.
        let waiting = match &group.data {
            Some(sm) => sm.blocked_clients(),
            None => Arc::default(),
        };
        Engine {
            group,
            empty: Mutex::new(Keyspace::new(databases)),
            waiters: Mutex::new(HashMap::new()),
            waiting,
            clock,
        }
    }

    /// Makes a record for a write issued now.
    pub fn record(db: usize, resp3: bool, op: Op) -> Record {
        Record {
            db,
            time_ms: unix_ms(),
            seed: rand::thread_rng().gen(),
            resp3,
            op,
            retry: false,
        }
    }

    /// The group this engine serves.
    pub fn group(&self) -> &Arc<Group> {
        &self.group
    }

    /// Proposes a write record, waits until it is applied, and wakes
    /// clients blocked on the keys it changed.
    pub async fn submit(&self, rec: Record) -> Result<Applied, Refused> {
        self.finish(self.group.enqueue(rec)?).await
    }

    /// Queues a write record without waiting (a pipeline queues its writes
    /// back to back so they share entries); [`Engine::finish`] waits for it.
    pub fn enqueue(&self, rec: Record) -> Result<Pending, Refused> {
        self.group.enqueue(rec)
    }

    /// Waits for a queued write and wakes clients blocked on its keys.
    pub async fn finish(&self, pending: Pending) -> Result<Applied, Refused> {
        let applied = pending.wait().await?;
        self.wake(&applied.touched);
        Ok(applied)
    }

    /// Runs a read command on the applied keyspace once this member's
    /// leadership is confirmed; returns the reply and the selected database
    /// afterwards. Expired keys it met are deleted through a record.
    pub async fn read(
        &self,
        f: DataFn,
        db: usize,
        args: &[Bytes],
        resp3: bool,
    ) -> Result<(Frame, usize), Refused> {
        let epoch = self.read_epoch();
        self.group.confirm_read().await?;
        let (reply, db_after, expired) = self.with_keyspace_at(epoch, |ks| {
            let mut ctx = Ctx::for_read(ks, db, (self.clock)(), resp3);
            let reply = f(&mut ctx, args);
            (reply, ctx.db, std::mem::take(&mut ctx.expired))
        })?;
        if !expired.is_empty() {
            self.expire_keys(expired).await;
        }
        Ok((reply, db_after))
    }

    /// Proposes deletion records for keys found expired.
    pub async fn expire_keys(&self, mut expired: Vec<(usize, Bytes)>) {
        expired.sort();
        expired.dedup();
        let mut by_db: HashMap<usize, Vec<Bytes>> = HashMap::new();
        for (db, key) in expired {
            by_db.entry(db).or_default().push(key);
        }
        for (db, keys) in by_db {
            // Best effort: a member that lost leadership leaves expiry to
            // the new leader, and a read past a lazily-expired key still
            // sees it expired (the read path checks the TTL itself).
            let rec = Record {
                time_ms: (self.clock)(),
                ..Engine::record(db, false, Op::Expire(keys))
            };
            let _ = self.submit(rec).await;
        }
    }

    /// One active-expiry pass: samples keys with a TTL in every database
    /// and deletes (through records) those that are due. Returns how many
    /// it found due, so the caller can repeat while many are.
    pub async fn active_expire_cycle(&self, samples_per_db: usize) -> usize {
        // Only the leader decides expiry; followers never expire on their own.
        if !self.group.is_leader() || self.group.is_witness() {
            return 0;
        }
        let now = (self.clock)();
        let mut due = Vec::new();
        self.with_keyspace(|ks| {
            let mut rng = rand::thread_rng();
            for (dbi, db) in ks.dbs.iter().enumerate() {
                let n = db.expires.len();
                if n == 0 {
                    continue;
                }
                for _ in 0..samples_per_db.min(n) {
                    let (key, &at) = db.expires.at(rng.gen_range(0..n));
                    if at <= now {
                        due.push((dbi, key.clone()));
                    }
                }
            }
        });
        let found = due.len();
        self.expire_keys(due).await;
        found
    }

    /// The version WATCH records for `key` (None: absent or expired), read
    /// on the confirmed leader like any read.
    pub async fn watch(&self, db: usize, key: &Bytes) -> Result<Watched, Refused> {
        let epoch = self.read_epoch();
        self.group.confirm_read().await?;
        let version = self.with_keyspace_at(epoch, |ks| {
            let mut ctx = Ctx::for_read(ks, db, (self.clock)(), false);
            ctx.entry_in(db, key).map(|e| e.version)
        })?;
        Ok(Watched {
            db,
            key: key.clone(),
            version,
        })
    }

    /// Runs `f` with the applied keyspace locked (INFO, DEBUG, DBSIZE, ...);
    /// a witness has none and shows an empty one.
    pub fn with_keyspace<R>(&self, f: impl FnOnce(&mut Keyspace) -> R) -> R {
        match &self.group.data {
            Some(sm) => sm.with_keyspace(f),
            None => f(&mut self.empty.lock()),
        }
    }

    /// The keyspace's epoch before a read is confirmed (see
    /// [`Engine::with_keyspace_at`]).
    fn read_epoch(&self) -> Option<u64> {
        self.group.data.as_ref().map(|sm| sm.epoch())
    }

    /// [`Engine::with_keyspace`] for a read confirmed after `epoch` was
    /// taken: refused if a rebuilt core reloaded the keyspace meanwhile
    /// (it is back at the last snapshot until the log is replayed).
    fn with_keyspace_at<R>(
        &self,
        epoch: Option<u64>,
        f: impl FnOnce(&mut Keyspace) -> R,
    ) -> Result<R, Refused> {
        match (&self.group.data, epoch) {
            (Some(sm), Some(epoch)) => sm.with_keyspace_at(epoch, f).ok_or(Refused::Restarting),
            _ => Ok(self.with_keyspace(f)),
        }
    }

    /// A handle to wait for a change of any of `keys` (db, key). Take it
    /// *before* trying the command, so a change in between is not missed.
    pub fn waiter(&self, keys: &[(usize, Bytes)]) -> Waiter<'_> {
        let mut w = self.waiters.lock();
        // One Notify per key, shared by every client blocked on that key.
        let notifies = keys
            .iter()
            .map(|k| {
                w.entry(k.clone())
                    .or_insert_with(|| Arc::new(Notify::new()))
                    .clone()
            })
            .collect();
        self.waiting.fetch_add(1, Ordering::SeqCst);
        Waiter {
            engine: self,
            keys: keys.to_vec(),
            notifies,
        }
    }

    fn wake(&self, touched: &[(usize, Bytes)]) {
        if self.waiting.load(Ordering::SeqCst) == 0 || touched.is_empty() {
            return;
        }
        let w = self.waiters.lock();
        for k in touched {
            if let Some(n) = w.get(k) {
                n.notify_waiters();
            }
        }
    }
}

/// A registration to be woken when one of some keys changes.
pub struct Waiter<'a> {
    engine: &'a Engine,
    keys: Vec<(usize, Bytes)>,
    notifies: Vec<Arc<Notify>>,
}

impl Waiter<'_> {
    /// Futures that complete on the next change; create them before the
    /// attempt whose failure makes the caller wait.
    pub fn notified(&self) -> Vec<std::pin::Pin<Box<tokio::sync::futures::Notified<'_>>>> {
        self.notifies
            .iter()
            .map(|n| {
                let mut f = Box::pin(n.notified());
                f.as_mut().enable();
                f
            })
            .collect()
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        let mut w = self.engine.waiters.lock();
        for (k, n) in self.keys.iter().zip(&self.notifies) {
            // Remove the shared Notify once nobody else holds it.
            if Arc::strong_count(n) <= 2 {
                w.remove(k);
            }
        }
        self.engine.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}
