//! The keyspace: databases of keys, their values and expiry times.
//!
//! This is the state machine's state. It changes only while a record is
//! applied (see `record.rs`); reads look at it between applies. Fields that
//! are local bookkeeping (access times, hit counters) are marked as such and
//! are not part of the replicated state or its digest.

pub mod dict;

use bytes::Bytes;

pub use dict::Dict;

use crate::types::{hash::Hash, list::List, set::Set, zset::ZSet};

/// A value stored at a key.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string (Valkey reports `int`, `embstr` or `raw` by content).
    Str(Bytes),
    /// A list.
    List(Box<List>),
    /// A hash.
    Hash(Box<Hash>),
    /// A set.
    Set(Box<Set>),
    /// A sorted set.
    ZSet(Box<ZSet>),
}

impl Value {
    /// The name TYPE replies.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// The name OBJECT ENCODING replies.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => {
                if s.len() <= 20 && crate::util::parse_i64(s).is_some() {
                    "int"
                } else if s.len() <= 44 {
                    "embstr"
                } else {
                    "raw"
                }
            }
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }
}

/// A key's value and its bookkeeping.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Apply sequence number of the last change (WATCH compares it).
    pub version: u64,
    /// Local: seconds (keyspace clock) of the last access, for OBJECT IDLETIME.
    pub access: u32,
    /// Local: access counter for OBJECT FREQ.
    pub freq: u8,
}

/// One numbered database.
#[derive(Debug, Default, Clone)]
pub struct Db {
    /// Keys and values.
    pub entries: Dict<Entry>,
    /// Keys that have a time to live, and when (unix ms) they expire.
    pub expires: Dict<i64>,
}

impl Db {
    /// Number of keys (including logically expired ones not yet deleted).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the database has no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes a key and its expiry.
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let e = self.entries.remove(key)?;
        self.expires.remove(key);
        Some(e)
    }
}

/// Size thresholds at which compact encodings convert to full ones. They
/// are configuration (`hash-max-listpack-entries`, ...), and part of the
/// state machine's input: every replica must use the same values.
#[derive(Debug, Clone, Copy)]
pub struct EncodingLimits {
    /// `hash-max-listpack-entries`
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value`
    pub hash_max_listpack_value: usize,
    /// `set-max-intset-entries`
    pub set_max_intset_entries: usize,
    /// `set-max-listpack-entries`
    pub set_max_listpack_entries: usize,
    /// `set-max-listpack-value`
    pub set_max_listpack_value: usize,
    /// `zset-max-listpack-entries`
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value`
    pub zset_max_listpack_value: usize,
    /// `list-max-listpack-size` (negative: size class in KiB, as Valkey's).
    pub list_max_listpack_size: i64,
}

impl Default for EncodingLimits {
    fn default() -> Self {
        EncodingLimits {
            hash_max_listpack_entries: 128,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
        }
    }
}

/// Counters of the keyspace that INFO reports.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyspaceStats {
    /// Keys deleted because they expired.
    pub expired_keys: u64,
    /// Local: successful key lookups by reads.
    pub hits: u64,
    /// Local: failed key lookups by reads.
    pub misses: u64,
    /// Writes applied since start (INFO `rdb_changes_since_last_save`).
    pub dirty: u64,
}

/// All databases of a group's state machine.
#[derive(Debug, Clone)]
pub struct Keyspace {
    /// The numbered databases.
    pub dbs: Vec<Db>,
    /// Apply sequence: bumped per applied command; versions keys for WATCH.
    pub seq: u64,
    /// Encoding thresholds.
    pub limits: EncodingLimits,
    /// Counters.
    pub stats: KeyspaceStats,
}

impl Keyspace {
    /// A keyspace with `databases` empty databases.
    pub fn new(databases: usize) -> Keyspace {
        Keyspace {
            dbs: (0..databases).map(|_| Db::default()).collect(),
            seq: 0,
            limits: EncodingLimits::default(),
            stats: KeyspaceStats::default(),
        }
    }

    /// A digest of the replicated state: databases, keys, values, expiry
    /// times; not local bookkeeping. Equal digests mean equal keyspaces.
    pub fn digest(&self) -> [u8; 20] {
        crate::keyspace_digest::digest(self)
    }
}
