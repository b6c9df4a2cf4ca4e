//! The keyspace: databases of keys, their values and expiry times.
//!
//! This is the state machine's state. It changes only while a record is
//! applied (see `record.rs`); reads look at it between applies. Fields that
//! are local bookkeeping (access times, hit counters) are marked as such and
//! are not part of the replicated state or its digest.

pub mod dict;

use bytes::Bytes;

pub use dict::{Dict, DictKey};

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

/// How a string value is stored, where its content alone does not say
/// (OBJECT ENCODING). Valkey keeps a string changed in place (APPEND,
/// SETRANGE) as `raw` for good, never integer-encodes an INCRBYFLOAT
/// result, and never re-embeds a string that once outgrew its embedded
/// allocation. Deterministic: it follows from the commands applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StrEncoding {
    /// As a fresh SET stores it: `int` if it reads as an integer, else
    /// `embstr` while it fits the embedded allocation, else `raw`.
    #[default]
    Auto,
    /// Never `int` (INCRBYFLOAT): `embstr` while it fits, else `raw`.
    NoInt,
    /// Always `raw`.
    Raw,
}

/// Largest key or string value [`detach`] copies.
const DETACH_MAX: usize = 32 * 1024;

/// `b` in a form fit to keep in the keyspace. Command arguments are shared
/// with the record that carries them, and keeping a clone of a shared
/// `Bytes` costs a 24-byte reference-count block besides the data (48 B
/// per `SET`, a fifth of a small string key's cost). A small one is
/// therefore copied into an allocation of its own; a large one (the
/// parser's zero-copy arguments) is kept as is, where a copy would cost
/// more than the block it saves.
pub fn detach(b: Bytes) -> Bytes {
    if b.len() <= DETACH_MAX && !b.is_unique() {
        Bytes::copy_from_slice(&b)
    } else {
        b
    }
}

/// Valkey's initial LFU counter of a new key.
pub const LFU_INIT_VAL: u8 = 5;
/// `lfu-log-factor` default.
const LFU_LOG_FACTOR: f64 = 10.0;
/// `lfu-decay-time` default, in minutes.
const LFU_DECAY_MINUTES: u64 = 1;

/// A key's value and its bookkeeping.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Apply sequence number of the last change (WATCH compares it).
    pub version: u64,
    /// Local: unix seconds of the last access, for OBJECT IDLETIME (and
    /// the LFU decay clock).
    pub access: u32,
    /// Local: logarithmic access counter for OBJECT FREQ.
    pub freq: u8,
    /// String storage detail for OBJECT ENCODING.
    pub str_enc: StrEncoding,
}

impl Entry {
    /// A fresh entry created at `now_ms`.
    pub fn new(value: Value, version: u64, now_ms: i64) -> Entry {
        let value = match value {
            Value::Str(s) => Value::Str(detach(s)),
            v => v,
        };
        Entry {
            value,
            version,
            access: secs(now_ms),
            freq: LFU_INIT_VAL,
            str_enc: StrEncoding::Auto,
        }
    }

    /// Records an access at `now_ms`: the idle clock restarts. Only under
    /// an LFU `maxmemory-policy` (`lfu`) does the counter change: it decays
    /// by the minutes since the last access, then grows with probability
    /// 1/((counter-5)*10+1), as Valkey's LFU does — a random draw that the
    /// hot path of every other policy does not pay for, and that OBJECT
    /// FREQ only reports under LFU anyway. Local bookkeeping: never part of
    /// a reply to a write or of the digest.
    pub fn touch(&mut self, now_ms: i64, lfu: bool) {
        if lfu {
            let mut counter = self.lfu_freq(now_ms);
            if counter < 255 {
                let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
                if rand::random::<f64>() < 1.0 / (base * LFU_LOG_FACTOR + 1.0) {
                    counter += 1;
                }
            }
            self.freq = counter;
        }
        self.access = secs(now_ms);
    }

    /// Seconds since the last access (OBJECT IDLETIME).
    pub fn idle_secs(&self, now_ms: i64) -> u64 {
        secs(now_ms).saturating_sub(self.access) as u64
    }

    /// The LFU counter decayed to `now_ms` (OBJECT FREQ).
    pub fn lfu_freq(&self, now_ms: i64) -> u8 {
        let periods = self.idle_secs(now_ms) / 60 / LFU_DECAY_MINUTES;
        self.freq.saturating_sub(periods.min(255) as u8)
    }
}

fn secs(ms: i64) -> u32 {
    (ms.max(0) / 1000).min(u32::MAX as i64) as u32
}

/// One numbered database.
#[derive(Debug, Default, Clone)]
pub struct Db {
    /// Keys and values.
    pub entries: Dict<Entry, Box<[u8]>>,
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
    /// `proto-max-bulk-len`: the largest string APPEND/SETRANGE may build.
    pub proto_max_bulk_len: u64,
    /// Local, not replicated: `maxmemory-policy` is an LFU one (OBJECT
    /// FREQ works and OBJECT IDLETIME refuses, as in Valkey).
    pub maxmemory_lfu: bool,
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
            proto_max_bulk_len: 512 * 1024 * 1024,
            maxmemory_lfu: false,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_bytes_are_not_shared_with_the_arguments() {
        let args = [Bytes::copy_from_slice(b"k"), Bytes::from(vec![b'v'; 100])];
        let e = Entry::new(Value::Str(args[1].clone()), 1, 0);
        let Value::Str(v) = &e.value else {
            unreachable!()
        };
        assert!(v.is_unique() && args[1].is_unique());
        let mut d = Dict::new();
        d.insert(args[0].clone(), ());
        assert!(d.keys().all(Bytes::is_unique) && args[0].is_unique());
        // Large values are the parser's zero-copy slices: kept shared.
        let big = Bytes::from(vec![0u8; DETACH_MAX + 1]);
        assert!(!detach(big.clone()).is_unique());
    }
}
