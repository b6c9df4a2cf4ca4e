//! The context a keyspace command runs in.
//!
//! For a write, the context comes from a record: its database, its time and
//! its random seed, so that applying the same record to the same keyspace
//! gives the same result on every replica. For a read it carries the
//! current time and may not change anything: a key found expired is hidden
//! and reported in [`Ctx::expired`] so the caller can propose its deletion
//! as a record.

use bytes::Bytes;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::errors::WRONGTYPE;
use crate::keyspace::{Db, Entry, Keyspace, Value};
use crate::resp::Frame;
use crate::types::{hash::Hash, list::List, set::Set, zset::ZSet};

/// Execution context of one keyspace command.
pub struct Ctx<'a> {
    /// The keyspace.
    pub ks: &'a mut Keyspace,
    /// The selected database.
    pub db: usize,
    /// Unix time in ms: the record's time for writes, now for reads.
    pub now_ms: i64,
    /// True while applying a record (may change the keyspace).
    pub writing: bool,
    /// The client speaks RESP3 (some replies change shape).
    pub resp3: bool,
    /// True when a blocking command may block (not inside EXEC).
    pub may_block: bool,
    /// Set by a blocking command that found nothing to take.
    pub blocked: bool,
    /// True when a blocked command runs again after one of its keys
    /// changed. Valkey serves a blocked client only once a key holds the
    /// type it waits for, so such a retry keeps waiting (instead of
    /// failing with WRONGTYPE) while none does.
    pub retry: bool,
    /// Read path: keys found expired, to be deleted by a record.
    pub expired: Vec<(usize, Bytes)>,
    /// Keys whose value changed (wake blocked clients).
    pub touched: Vec<(usize, Bytes)>,
    /// Whether the ctx's own accessors record keys in `touched`. The engine
    /// turns it off while no client is blocked: copying the key on every
    /// write was a measurable cost, and nobody would be woken anyway.
    /// (Handlers that push to `touched` themselves may still do so.)
    pub track_touched: bool,
    seed: u64,
    rng: Option<ChaCha8Rng>,
}

/// A value type that lives at a key.
pub trait Kind: Sized {
    /// The type's view of a value, if it is of this type.
    fn of(v: &Value) -> Option<&Self>;
    /// Mutable view.
    fn of_mut(v: &mut Value) -> Option<&mut Self>;
    /// Wraps a new value.
    fn wrap(self) -> Value;
    /// True when empty (empty containers are deleted).
    fn empty(&self) -> bool;
}

macro_rules! kind {
    ($t:ty, $variant:ident) => {
        impl Kind for $t {
            fn of(v: &Value) -> Option<&Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            fn of_mut(v: &mut Value) -> Option<&mut Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            fn wrap(self) -> Value {
                Value::$variant(Box::new(self))
            }
            fn empty(&self) -> bool {
                self.is_empty()
            }
        }
    };
}

kind!(List, List);
kind!(Hash, Hash);
kind!(Set, Set);
kind!(ZSet, ZSet);

impl<'a> Ctx<'a> {
    /// A context for applying a record.
    pub fn for_write(
        ks: &'a mut Keyspace,
        db: usize,
        now_ms: i64,
        seed: u64,
        resp3: bool,
    ) -> Ctx<'a> {
        Ctx {
            ks,
            db,
            now_ms,
            writing: true,
            resp3,
            may_block: true,
            blocked: false,
            retry: false,
            expired: Vec::new(),
            touched: Vec::new(),
            track_touched: true,
            seed,
            rng: None,
        }
    }

    /// A context for a read at time `now_ms`. A read is not replicated, so
    /// its draws (SRANDMEMBER, RANDOMKEY, ...) use a fresh seed each time.
    pub fn for_read(ks: &'a mut Keyspace, db: usize, now_ms: i64, resp3: bool) -> Ctx<'a> {
        let mut c = Ctx::for_write(ks, db, now_ms, rand::random(), resp3);
        c.writing = false;
        c
    }

    /// The record's random generator (seeded by the record).
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        let seed = self.seed;
        self.rng
            .get_or_insert_with(|| ChaCha8Rng::seed_from_u64(seed))
    }

    /// The selected database.
    pub fn dbm(&mut self) -> &mut Db {
        &mut self.ks.dbs[self.db]
    }

    /// Database `i`.
    pub fn db_at(&mut self, i: usize) -> &mut Db {
        &mut self.ks.dbs[i]
    }

    /// Handles expiry of `key` in database `db`: true when it is (now)
    /// absent because it expired.
    fn expire_if_due(&mut self, db: usize, key: &[u8]) -> bool {
        let d = &mut self.ks.dbs[db];
        if d.expires.is_empty() {
            return false;
        }
        match d.expires.get(key) {
            Some(&at) if at <= self.now_ms => {
                if self.writing {
                    d.remove(key);
                    self.ks.stats.expired_keys += 1;
                } else {
                    self.expired.push((db, Bytes::copy_from_slice(key)));
                }
                true
            }
            _ => false,
        }
    }

    /// The entry at `key` in database `db`, if present and not expired.
    pub fn entry_in(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        if self.expire_if_due(db, key) {
            return None;
        }
        self.ks.dbs[db].entries.get_mut(key)
    }

    /// The value at `key`, if present and not expired (counts hits/misses
    /// and records the access for OBJECT IDLETIME/FREQ).
    pub fn get(&mut self, key: &[u8]) -> Option<&Value> {
        let db = self.db;
        let now = self.now_ms;
        let lfu = self.ks.limits.maxmemory_lfu;
        let found = match self.entry_in(db, key) {
            Some(e) => {
                e.touch(now, lfu);
                true
            }
            None => false,
        };
        if found {
            self.ks.stats.hits += 1;
        } else {
            self.ks.stats.misses += 1;
        }
        self.ks.dbs[db]
            .entries
            .get(key)
            .map(|e| &e.value)
            .filter(|_| found)
    }

    /// True when `key` exists (not expired) in the selected database.
    pub fn exists(&mut self, key: &[u8]) -> bool {
        let db = self.db;
        self.entry_in(db, key).is_some()
    }

    /// The value at `key` for changing it: marks the key modified.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Value> {
        debug_assert!(self.writing, "reads never change the keyspace");
        let db = self.db;
        let seq = self.ks.seq;
        let now = self.now_ms;
        let lfu = self.ks.limits.maxmemory_lfu;
        if self.track_touched {
            self.touched.push((db, Bytes::copy_from_slice(key)));
        }
        let e = self.entry_in(db, key)?;
        e.version = seq;
        e.touch(now, lfu);
        Some(&mut e.value)
    }

    /// Typed read: `Ok(None)` when absent, `Err(WRONGTYPE)` for another type.
    pub fn read<T: Kind>(&mut self, key: &[u8]) -> Result<Option<&T>, Frame> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => T::of(v)
                .map(Some)
                .ok_or_else(|| Frame::Error(WRONGTYPE.into())),
        }
    }

    /// Typed write access to an existing value.
    pub fn write<T: Kind>(&mut self, key: &[u8]) -> Result<Option<&mut T>, Frame> {
        match self.get_mut(key) {
            None => Ok(None),
            Some(v) => T::of_mut(v)
                .map(Some)
                .ok_or_else(|| Frame::Error(WRONGTYPE.into())),
        }
    }

    /// Typed write access, creating the value with `make` when absent.
    pub fn write_or_create<T: Kind>(
        &mut self,
        key: &Bytes,
        make: impl FnOnce() -> T,
    ) -> Result<&mut T, Frame> {
        if !self.exists(key) {
            self.set(key.clone(), make().wrap());
        }
        match self.get_mut(key) {
            Some(v) => T::of_mut(v).ok_or_else(|| Frame::Error(WRONGTYPE.into())),
            None => unreachable!("just created"),
        }
    }

    /// Deletes `key` if its container became empty (Valkey never keeps
    /// empty collections).
    pub fn drop_if_empty<T: Kind>(&mut self, key: &[u8]) {
        let db = self.db;
        let empty = self.ks.dbs[db]
            .entries
            .get(key)
            .and_then(|e| T::of(&e.value))
            .is_some_and(|t| t.empty());
        if empty {
            self.ks.dbs[db].remove(key);
        }
    }

    /// Stores `value` at `key`, clearing any time to live (as SET does).
    pub fn set(&mut self, key: Bytes, value: Value) {
        let db = self.db;
        self.set_in(db, key, value, false);
    }

    /// Stores `value` at `key` in database `db`; keeps the TTL if `keep_ttl`.
    pub fn set_in(&mut self, db: usize, key: Bytes, value: Value, keep_ttl: bool) {
        debug_assert!(self.writing, "reads never change the keyspace");
        self.expire_if_due(db, &key);
        let seq = self.ks.seq;
        let d = &mut self.ks.dbs[db];
        if !keep_ttl {
            d.expires.remove(&key);
        }
        if self.track_touched {
            self.touched.push((db, key.clone()));
        }
        let mut entry = Entry::new(value, seq, self.now_ms);
        // An overwrite keeps the key's access frequency, as Valkey's does.
        if let Some(old) = d.entries.get(&key) {
            entry.freq = old.freq;
        }
        d.entries.insert(key, entry);
    }

    /// Deletes `key` from the selected database; true if it existed.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let db = self.db;
        self.delete_in(db, key)
    }

    /// Deletes `key` from database `db`; true if it existed (and was live).
    pub fn delete_in(&mut self, db: usize, key: &[u8]) -> bool {
        debug_assert!(self.writing, "reads never change the keyspace");
        if self.expire_if_due(db, key) {
            return false;
        }
        if self.track_touched {
            self.touched.push((db, Bytes::copy_from_slice(key)));
        }
        self.ks.dbs[db].remove(key).is_some()
    }

    /// Expiry time (unix ms) of a live `key`, if it has one.
    pub fn expire_at(&mut self, key: &[u8]) -> Option<i64> {
        let db = self.db;
        self.ks.dbs[db].expires.get(key).copied()
    }

    /// Sets the expiry time of an existing `key`; a time already past
    /// deletes the key (as Valkey's EXPIRE with a past time does).
    pub fn set_expire(&mut self, key: &[u8], at_ms: i64) {
        debug_assert!(self.writing, "reads never change the keyspace");
        let db = self.db;
        if at_ms <= self.now_ms {
            self.delete_in(db, key);
            return;
        }
        let seq = self.ks.seq;
        let d = &mut self.ks.dbs[db];
        let Some((k, _)) = d.entries.get_key_value(key) else {
            return;
        };
        let k = k.clone();
        if let Some(e) = d.entries.get_mut(key) {
            e.version = seq;
        }
        d.expires.insert(k, at_ms);
        self.touched.push((db, Bytes::copy_from_slice(key)));
    }

    /// Removes the time to live of `key`; true if it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        let db = self.db;
        let removed = self.ks.dbs[db].expires.remove(key).is_some();
        if removed {
            if let Some(e) = self.ks.dbs[db].entries.get_mut(key) {
                e.version = self.ks.seq;
            }
        }
        removed
    }

    /// Marks the write as changing the dataset (INFO counters).
    pub fn dirty(&mut self, n: u64) {
        self.ks.stats.dirty += n;
    }
}

// Blocking commands (BLPOP, BZPOPMIN, ...) follow one convention: when
// there is nothing to take and `ctx.may_block` is true, the handler sets
// `ctx.blocked = true` and returns the reply to send if the wait times out
// (a null array for the BLPOP family, a null bulk for BLMOVE). The
// connection then waits for one of the command's keys to change and
// submits the command again. Inside EXEC `may_block` is false and the
// handler returns that timeout reply at once, as Valkey does. A retry has
// `ctx.retry` set: a handler keeps waiting (blocked again) unless one of its
// keys holds the type it pops from.
