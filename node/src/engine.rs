//! The engine: where commands meet the keyspace.
//!
//! Writes become [`Record`]s and go through [`Engine::submit`], the one
//! place where the keyspace changes. In standalone mode submit applies the
//! record at once; the Raft groups replace its body with "propose to the
//! group's log, wait for commit, apply", leaving callers unchanged. Reads
//! run on the applied keyspace under the same lock, and turn the expired
//! keys they meet into deletion records.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use parking_lot::Mutex;
use rand::Rng;
use tokio::sync::Notify;

use crate::command::{Ctx, DataFn};
use crate::keyspace::Keyspace;
use crate::record::{apply_tracked, Applied, Op, Record, Watched};
use crate::resp::Frame;

/// Unix time in milliseconds.
pub fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The keyspace of the node's (single, for now) group and its wake-ups.
pub struct Engine {
    keyspace: Mutex<Keyspace>,
    /// Blocked clients wait on the keys they block on.
    waiters: Mutex<HashMap<(usize, Bytes), Arc<Notify>>>,
    waiting: AtomicUsize,
}

impl Engine {
    /// An engine over an empty keyspace with `databases` databases.
    pub fn new(databases: usize) -> Engine {
        Engine {
            keyspace: Mutex::new(Keyspace::new(databases)),
            waiters: Mutex::new(HashMap::new()),
            waiting: AtomicUsize::new(0),
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

    /// Applies a write record and wakes clients blocked on the keys it
    /// changed. (The Raft groups make this: propose, commit, apply.)
    pub fn submit(&self, rec: Record) -> Applied {
        let applied = {
            let mut ks = self.keyspace.lock();
            // Read under the keyspace lock: a blocked client registers
            // (waiter(), `waiting` += 1) before it retries its command under
            // this lock, so either this write sees it waiting or its retry
            // sees this write. Without waiters, skip collecting the keys.
            let track = self.waiting.load(Ordering::SeqCst) > 0;
            apply_tracked(&mut ks, &rec, track)
        };
        self.wake(&applied.touched);
        applied
    }

    /// Runs a read command on the applied keyspace; returns the reply and
    /// the selected database afterwards. Expired keys it met are deleted
    /// through a record.
    pub fn read(&self, f: DataFn, db: usize, args: &[Bytes], resp3: bool) -> (Frame, usize) {
        let (reply, db_after, expired) = {
            let mut ks = self.keyspace.lock();
            let mut ctx = Ctx::for_read(&mut ks, db, unix_ms(), resp3);
            let reply = f(&mut ctx, args);
            (reply, ctx.db, std::mem::take(&mut ctx.expired))
        };
        self.expire_keys(expired);
        (reply, db_after)
    }

    /// Proposes deletion records for keys found expired.
    pub fn expire_keys(&self, mut expired: Vec<(usize, Bytes)>) {
        expired.sort();
        expired.dedup();
        let mut by_db: HashMap<usize, Vec<Bytes>> = HashMap::new();
        for (db, key) in expired {
            by_db.entry(db).or_default().push(key);
        }
        for (db, keys) in by_db {
            self.submit(Engine::record(db, false, Op::Expire(keys)));
        }
    }

    /// One active-expiry pass: samples keys with a TTL in every database
    /// and deletes (through records) those that are due. Returns how many
    /// it found due, so the caller can repeat while many are.
    pub fn active_expire_cycle(&self, samples_per_db: usize) -> usize {
        let now = unix_ms();
        let mut due = Vec::new();
        {
            let ks = self.keyspace.lock();
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
        }
        let found = due.len();
        self.expire_keys(due);
        found
    }

    /// The version WATCH records for `key` (None: absent or expired).
    pub fn watch(&self, db: usize, key: &Bytes) -> Watched {
        let mut ks = self.keyspace.lock();
        let mut ctx = Ctx::for_read(&mut ks, db, unix_ms(), false);
        let version = ctx.entry_in(db, key).map(|e| e.version);
        Watched {
            db,
            key: key.clone(),
            version,
        }
    }

    /// Runs `f` with the keyspace locked (INFO, DEBUG, DBSIZE, ...).
    pub fn with_keyspace<R>(&self, f: impl FnOnce(&mut Keyspace) -> R) -> R {
        f(&mut self.keyspace.lock())
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
