//! The keyspace snapshot format: a keyspace written so that restoring it
//! rebuilds the *same layout*, not just the same data.
//!
//! Layout matters because "random" commands (SPOP, RANDOMKEY, HRANDFIELD,
//! ...) pick elements by storage position, and SCAN walks buckets: a member
//! restored from a snapshot must draw what its peers draw for the same seed.
//! So every [`Dict`] is written in slab order with its bucket count and is
//! restored by inserting in that order into a table of that many buckets
//! (`Dict::with_layout`), which gives back the identical slab, chains and
//! SCAN order. Encodings are written explicitly (listpack vs hashtable,
//! intset, quicklist, skiplist, a string's stored form), because they have
//! hysteresis and are not a function of the contents: OBJECT ENCODING must
//! agree after a restore.
//!
//! Format, version 1 (integers little-endian; every frame is a `u64` length
//! then that many bytes of bincode 1.x):
//!
//! ```text
//! magic "SRKSNAP1" (8 B) | version u32
//! frame Header { databases, seq, dbs }            -- dbs: non-empty databases
//! per non-empty database:
//!   frame DbHeader { index, entries, entry_buckets, expires, expire_buckets }
//!   `entries` frames EntryImage        -- Db::entries in slab order
//!   `expires` frames (key, at_ms)      -- Db::expires in slab order
//! trailer: xxh3-64 of every byte before it (u64)
//! ```
//!
//! One frame per key keeps frames small and lets a later incremental writer
//! (DESIGN, "Snapshots": serialize while serving) emit keys one at a time.
//! Local bookkeeping travels too (access time, LFU counter) so a restored
//! member's OBJECT IDLETIME/FREQ stay plausible; it is not replicated state.
//! Encoding limits and counters are local configuration and are kept from
//! the keyspace being replaced.

use std::collections::{BTreeSet, VecDeque};

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::keyspace::{
    Db, Dict, DictKey, EncodingLimits, Entry, Keyspace, KeyspaceStats, StrEncoding, Value,
};
use crate::types::listpack::Listpack;
use crate::types::{hash::Hash, list::List, set::Set, zset::Ranked, zset::ZSet};

/// First bytes of every keyspace snapshot.
pub const MAGIC: &[u8; 8] = b"SRKSNAP1";
/// Format version written by [`encode`].
pub const VERSION: u32 = 1;
/// First bytes of a witness's metadata-only snapshot. It is distinct from
/// [`MAGIC`] so that a data member can never take one for a keyspace
/// (an empty keyspace would silently drop every key): [`decode`] refuses
/// it with [`SnapshotError::MetadataOnly`].
pub const WITNESS_MAGIC: &[u8; 8] = b"SRWSNAP1";

/// The data of a witness's snapshot: its magic and the format version.
/// Everything a witness keeps is in the snapshot's metadata.
pub fn witness_data() -> Vec<u8> {
    let mut out = WITNESS_MAGIC.to_vec();
    out.extend_from_slice(&VERSION.to_le_bytes());
    out
}

/// Whether `bytes` is a witness's metadata-only snapshot.
pub fn is_witness_data(bytes: &[u8]) -> bool {
    bytes.starts_with(WITNESS_MAGIC)
}

/// Why a snapshot could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A witness's metadata-only snapshot: it holds no keyspace.
    #[error("a witness's metadata-only snapshot holds no keyspace")]
    MetadataOnly,
    /// Not a keyspace snapshot, or from a newer version.
    #[error("not a keyspace snapshot of version {VERSION}: {0}")]
    Format(String),
    /// The trailer checksum does not match the contents.
    #[error("keyspace snapshot checksum mismatch")]
    Checksum,
    /// The contents do not describe a valid keyspace.
    #[error("invalid keyspace snapshot: {0}")]
    Invalid(String),
}

#[derive(Serialize, Deserialize)]
struct Header {
    databases: u32,
    seq: u64,
    dbs: u32,
}

#[derive(Serialize, Deserialize)]
struct DbHeader {
    index: u32,
    entries: u64,
    entry_buckets: u64,
    expires: u64,
    expire_buckets: u64,
}

#[derive(Serialize, Deserialize)]
struct EntryImage {
    key: Bytes,
    version: u64,
    access: u32,
    freq: u8,
    str_enc: StrEncImage,
    value: ValueImage,
}

#[derive(Serialize, Deserialize)]
enum StrEncImage {
    Auto,
    NoInt,
    Raw,
}

/// A value with its encoding. Hashed encodings carry their bucket count
/// and list their contents in slab order.
#[derive(Serialize, Deserialize)]
enum ValueImage {
    Str(Bytes),
    List {
        quicklist: bool,
        items: Vec<Bytes>,
    },
    HashListpack(Vec<(Bytes, Bytes)>),
    HashTable {
        buckets: u64,
        pairs: Vec<(Bytes, Bytes)>,
    },
    SetIntset(Vec<i64>),
    SetListpack(Vec<Bytes>),
    SetTable {
        buckets: u64,
        members: Vec<Bytes>,
    },
    ZSetListpack(Vec<(Bytes, f64)>),
    ZSetSkiplist {
        buckets: u64,
        members: Vec<(Bytes, f64)>,
    },
}

fn frame<T: Serialize>(out: &mut Vec<u8>, v: &T) {
    let len = bincode::serialized_size(v).expect("snapshot images always serialize");
    out.extend_from_slice(&len.to_le_bytes());
    bincode::serialize_into(&mut *out, v).expect("writing to a Vec cannot fail");
}

fn image_of(value: &Value) -> ValueImage {
    match value {
        Value::Str(s) => ValueImage::Str(s.clone()),
        Value::List(l) => ValueImage::List {
            quicklist: l.encoding() == "quicklist",
            items: l.iter().cloned().collect(),
        },
        Value::Hash(h) => match h.as_ref() {
            Hash::Listpack(_) => ValueImage::HashListpack(
                h.iter()
                    .map(|(f, v)| (Bytes::copy_from_slice(f), Bytes::copy_from_slice(v)))
                    .collect(),
            ),
            Hash::Table(d) => ValueImage::HashTable {
                buckets: d.bucket_count() as u64,
                pairs: d.iter().map(|(f, v)| (f.clone(), v.clone())).collect(),
            },
        },
        Value::Set(s) => match s.as_ref() {
            Set::Intset(v) => ValueImage::SetIntset(v.clone()),
            Set::Listpack(v) => ValueImage::SetListpack(v.clone()),
            Set::Table(d) => ValueImage::SetTable {
                buckets: d.bucket_count() as u64,
                members: d.keys().cloned().collect(),
            },
        },
        Value::ZSet(z) => match z.as_ref() {
            ZSet::Listpack(v) => {
                ValueImage::ZSetListpack(v.iter().map(|r| (r.member.clone(), r.score)).collect())
            }
            ZSet::Skiplist { scores, .. } => ValueImage::ZSetSkiplist {
                buckets: scores.bucket_count() as u64,
                members: scores.iter().map(|(m, s)| (m.clone(), *s)).collect(),
            },
        },
    }
}

/// Writes `ks` in the snapshot format (see the module doc).
pub fn encode(ks: &Keyspace) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    let dbs = ks.dbs.iter().filter(|db| !db.is_empty()).count();
    frame(
        &mut out,
        &Header {
            databases: ks.dbs.len() as u32,
            seq: ks.seq,
            dbs: dbs as u32,
        },
    );
    for (index, db) in ks.dbs.iter().enumerate().filter(|(_, db)| !db.is_empty()) {
        frame(
            &mut out,
            &DbHeader {
                index: index as u32,
                entries: db.entries.len() as u64,
                entry_buckets: db.entries.bucket_count() as u64,
                expires: db.expires.len() as u64,
                expire_buckets: db.expires.bucket_count() as u64,
            },
        );
        for (key, e) in db.entries.iter() {
            frame(
                &mut out,
                &EntryImage {
                    key: Bytes::copy_from_slice(key),
                    version: e.version,
                    access: e.access,
                    freq: e.freq,
                    str_enc: match e.str_enc {
                        StrEncoding::Auto => StrEncImage::Auto,
                        StrEncoding::NoInt => StrEncImage::NoInt,
                        StrEncoding::Raw => StrEncImage::Raw,
                    },
                    value: image_of(&e.value),
                },
            );
        }
        for (key, at) in db.expires.iter() {
            frame(&mut out, &(key.clone(), *at));
        }
    }
    let sum = xxh3_64(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// Reads frames from a checksummed body.
struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn next<T: DeserializeOwned>(&mut self, what: &str) -> Result<T, SnapshotError> {
        let invalid = |m: String| SnapshotError::Invalid(format!("{what}: {m}"));
        if self.rest.len() < 8 {
            return Err(invalid("truncated frame length".into()));
        }
        let len = u64::from_le_bytes(self.rest[..8].try_into().expect("8 bytes"));
        let body = &self.rest[8..];
        if len > body.len() as u64 {
            return Err(invalid(format!("frame of {len} bytes past the end")));
        }
        let (this, rest) = body.split_at(len as usize);
        self.rest = rest;
        bincode::deserialize(this).map_err(|e| invalid(e.to_string()))
    }
}

/// A table of `buckets` buckets for `len` entries, checked first.
fn table<V, K: DictKey>(len: usize, buckets: u64, what: &str) -> Result<Dict<V, K>, SnapshotError> {
    let ok = if len == 0 {
        buckets == 0 || buckets.is_power_of_two()
    } else {
        buckets.is_power_of_two() && buckets >= len as u64
    };
    if !ok || buckets > u32::MAX as u64 {
        return Err(SnapshotError::Invalid(format!(
            "{what}: {buckets} buckets for {len} entries"
        )));
    }
    Ok(Dict::with_layout(len, buckets as usize))
}

/// Inserts `items` in order into a table of the recorded size.
fn fill<V>(
    buckets: u64,
    items: impl ExactSizeIterator<Item = (Bytes, V)>,
    what: &str,
) -> Result<Dict<V>, SnapshotError> {
    let mut d = table(items.len(), buckets, what)?;
    for (k, v) in items {
        if d.insert(k, v).is_some() {
            return Err(SnapshotError::Invalid(format!("{what}: duplicate key")));
        }
    }
    Ok(d)
}

fn check_score(s: f64) -> Result<f64, SnapshotError> {
    if s.is_nan() {
        return Err(SnapshotError::Invalid("NaN score".into()));
    }
    Ok(s)
}

fn value_of(img: ValueImage) -> Result<Value, SnapshotError> {
    Ok(match img {
        ValueImage::Str(s) => Value::Str(s),
        ValueImage::List { quicklist, items } => {
            Value::List(Box::new(List::from_parts(VecDeque::from(items), quicklist)))
        }
        ValueImage::HashListpack(v) => {
            let mut lp = Listpack::new();
            for (f, val) in &v {
                lp.push_all(&[f, val]);
            }
            Value::Hash(Box::new(Hash::Listpack(lp)))
        }
        ValueImage::HashTable { buckets, pairs } => Value::Hash(Box::new(Hash::Table(Box::new(
            fill(buckets, pairs.into_iter(), "hash")?,
        )))),
        ValueImage::SetIntset(v) => {
            if v.windows(2).any(|w| w[0] >= w[1]) {
                return Err(SnapshotError::Invalid("intset not sorted".into()));
            }
            Value::Set(Box::new(Set::Intset(v)))
        }
        ValueImage::SetListpack(v) => Value::Set(Box::new(Set::Listpack(v))),
        ValueImage::SetTable { buckets, members } => Value::Set(Box::new(Set::Table(fill(
            buckets,
            members.into_iter().map(|m| (m, ())),
            "set",
        )?))),
        ValueImage::ZSetListpack(v) => {
            let items = v
                .into_iter()
                .map(|(member, s)| {
                    Ok(Ranked {
                        score: check_score(s)?,
                        member,
                    })
                })
                .collect::<Result<Vec<_>, SnapshotError>>()?;
            if items.windows(2).any(|w| w[0] >= w[1]) {
                return Err(SnapshotError::Invalid("zset listpack not in order".into()));
            }
            Value::ZSet(Box::new(ZSet::Listpack(items)))
        }
        ValueImage::ZSetSkiplist { buckets, members } => {
            for (_, s) in &members {
                check_score(*s)?;
            }
            let scores = fill(buckets, members.into_iter(), "zset")?;
            // The order shares each member's bytes with the score table.
            let order: BTreeSet<Ranked> = scores
                .iter()
                .map(|(m, s)| Ranked {
                    score: *s,
                    member: m.clone(),
                })
                .collect();
            Value::ZSet(Box::new(ZSet::Skiplist { scores, order }))
        }
    })
}

fn read_db(r: &mut Reader<'_>, h: &DbHeader) -> Result<Db, SnapshotError> {
    let mut entries = table(h.entries as usize, h.entry_buckets, "keys")?;
    for _ in 0..h.entries {
        let img: EntryImage = r.next("key")?;
        let entry = Entry {
            value: value_of(img.value)?,
            version: img.version,
            access: img.access,
            freq: img.freq,
            str_enc: match img.str_enc {
                StrEncImage::Auto => StrEncoding::Auto,
                StrEncImage::NoInt => StrEncoding::NoInt,
                StrEncImage::Raw => StrEncoding::Raw,
            },
        };
        if entries.insert(img.key, entry).is_some() {
            return Err(SnapshotError::Invalid("duplicate key".into()));
        }
    }
    let mut expires = table(h.expires as usize, h.expire_buckets, "expires")?;
    for _ in 0..h.expires {
        let (key, at): (Bytes, i64) = r.next("expire")?;
        if !entries.contains_key(&key) {
            return Err(SnapshotError::Invalid("expiry of a missing key".into()));
        }
        if expires.insert(key, at).is_some() {
            return Err(SnapshotError::Invalid("duplicate expiry".into()));
        }
    }
    Ok(Db { entries, expires })
}

/// Reads a snapshot written by [`encode`]. The result uses `limits` and
/// `stats` (local configuration and counters, not part of a snapshot).
pub fn decode(
    bytes: &[u8],
    limits: EncodingLimits,
    stats: KeyspaceStats,
) -> Result<Keyspace, SnapshotError> {
    if is_witness_data(bytes) {
        return Err(SnapshotError::MetadataOnly);
    }
    if bytes.len() < MAGIC.len() + 4 + 8 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(SnapshotError::Format("bad magic".into()));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != VERSION {
        return Err(SnapshotError::Format(format!("version {version}")));
    }
    let (body, trailer) = bytes.split_at(bytes.len() - 8);
    if xxh3_64(body) != u64::from_le_bytes(trailer.try_into().expect("8 bytes")) {
        return Err(SnapshotError::Checksum);
    }
    let mut r = Reader { rest: &body[12..] };
    let h: Header = r.next("header")?;
    if h.databases == 0 || h.databases > 1 << 16 || h.dbs > h.databases {
        return Err(SnapshotError::Invalid(format!(
            "{} non-empty of {} databases",
            h.dbs, h.databases
        )));
    }
    let mut ks = Keyspace::new(h.databases as usize);
    ks.seq = h.seq;
    ks.limits = limits;
    ks.stats = stats;
    for _ in 0..h.dbs {
        let dh: DbHeader = r.next("database header")?;
        let slot = ks
            .dbs
            .get_mut(dh.index as usize)
            .ok_or_else(|| SnapshotError::Invalid(format!("database {} out of range", dh.index)))?;
        if !slot.is_empty() {
            return Err(SnapshotError::Invalid(format!(
                "database {} twice",
                dh.index
            )));
        }
        *slot = read_db(&mut r, &dh)?;
    }
    if !r.rest.is_empty() {
        return Err(SnapshotError::Invalid(format!(
            "{} bytes after the last database",
            r.rest.len()
        )));
    }
    Ok(ks)
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
