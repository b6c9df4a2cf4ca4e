//! Hashes: packed field/value pairs ([`Listpack`], `listpack`) until it passes
//! `hash-max-listpack-entries` or `hash-max-listpack-value`, then a
//! [`Dict`] (`hashtable`). Like Valkey, a hash never converts back.
//!
//! The value type and the command table live here; [`commands`] holds the
//! field reads and writes, [`random`] the commands that walk or sample a
//! hash (HRANDFIELD, HSCAN).

mod commands;
mod random;

use bytes::Bytes;

use crate::command::{cmd, flags::*, CommandSpec, Handler};
use crate::keyspace::{Dict, EncodingLimits};
use crate::types::listpack::Listpack;

/// A hash value.
#[derive(Debug, Clone)]
pub enum Hash {
    /// Field, value, field, value... packed in insertion order.
    Listpack(Listpack),
    /// Hash table (boxed: keeps the handle of the common small hash at 24
    /// bytes).
    Table(Box<Dict<Bytes>>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Listpack(Listpack::new())
    }
}

/// Byte offset of `field`'s entry in a packed hash.
fn find_field(lp: &Listpack, field: &[u8]) -> Option<usize> {
    lp.entries()
        .step_by(2)
        .find(|(_, f)| *f == field)
        .map(|(at, _)| at)
}

impl Hash {
    /// An empty hash.
    pub fn new() -> Hash {
        Hash::default()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.len() / 2,
            Hash::Table(d) => d.len(),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Listpack(lp) => {
                let at = find_field(lp, field)?;
                let (_, value_at) = lp.entry_at(at);
                Some(lp.entry_at(value_at).0)
            }
            Hash::Table(d) => d.get(field).map(|v| v.as_ref()),
        }
    }

    /// Sets `field`; true when it is new.
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: &EncodingLimits) -> bool {
        if let Hash::Listpack(lp) = self {
            if field.len() > limits.hash_max_listpack_value
                || value.len() > limits.hash_max_listpack_value
            {
                self.convert();
            } else if let Some(at) = find_field(lp, field) {
                let (_, value_at) = lp.entry_at(at);
                lp.replace(value_at, value);
                return false;
            } else if lp.len() / 2 < limits.hash_max_listpack_entries {
                lp.push_all(&[field, value]);
                return true;
            } else {
                self.convert();
            }
        }
        match self {
            Hash::Table(d) => match d.get_mut(field) {
                Some(v) => {
                    *v = Bytes::copy_from_slice(value);
                    false
                }
                None => {
                    d.insert(Bytes::copy_from_slice(field), Bytes::copy_from_slice(value));
                    true
                }
            },
            Hash::Listpack(_) => unreachable!("converted above"),
        }
    }

    /// Removes `field`; true when it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => match find_field(lp, field) {
                Some(at) => {
                    lp.remove(at, 2);
                    true
                }
                None => false,
            },
            Hash::Table(d) => d.remove(field).is_some(),
        }
    }

    /// Converts to the `hashtable` encoding (no-op when already there).
    pub fn convert(&mut self) {
        if let Hash::Listpack(lp) = self {
            let mut d = Dict::with_capacity(lp.len() / 2 + 1);
            for (f, v) in self.iter() {
                d.insert(Bytes::copy_from_slice(f), Bytes::copy_from_slice(v));
            }
            *self = Hash::Table(Box::new(d));
        }
    }

    /// Field/value pairs in storage order (deterministic).
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match self {
            Hash::Listpack(lp) => {
                let mut it = lp.iter();
                Box::new(std::iter::from_fn(move || Some((it.next()?, it.next()?))))
            }
            Hash::Table(d) => Box::new(d.iter().map(|(f, v)| (f.as_ref(), v.as_ref()))),
        }
    }

    /// The name OBJECT ENCODING replies.
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }
}

/// The hash commands.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("hset", -4, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(commands::hset)).doc(
        "hash",
        "Creates or modifies the value of a field in a hash.",
        "2.0.0",
    ),
    cmd("hsetnx", 4, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(commands::hsetnx)).doc(
        "hash",
        "Sets the value of a field in a hash only when the field doesn't exist.",
        "2.0.0",
    ),
    cmd("hget", 3, READONLY | FAST, (1, 1, 1), Handler::Data(commands::hget)).doc(
        "hash",
        "Returns the value of a field in a hash.",
        "2.0.0",
    ),
    cmd("hmget", -3, READONLY | FAST, (1, 1, 1), Handler::Data(commands::hmget)).doc(
        "hash",
        "Returns the values of all fields in a hash.",
        "2.0.0",
    ),
    cmd("hmset", -4, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(commands::hmset)).doc(
        "hash",
        "Sets the values of multiple fields.",
        "2.0.0",
    ),
    cmd("hdel", -3, WRITE | FAST, (1, 1, 1), Handler::Data(commands::hdel)).doc(
        "hash",
        "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.",
        "2.0.0",
    ),
    cmd("hlen", 2, READONLY | FAST, (1, 1, 1), Handler::Data(commands::hlen)).doc(
        "hash",
        "Returns the number of fields in a hash.",
        "2.0.0",
    ),
    cmd("hstrlen", 3, READONLY | FAST, (1, 1, 1), Handler::Data(commands::hstrlen)).doc(
        "hash",
        "Returns the length of the value of a field.",
        "3.2.0",
    ),
    cmd("hexists", 3, READONLY | FAST, (1, 1, 1), Handler::Data(commands::hexists)).doc(
        "hash",
        "Determines whether a field exists in a hash.",
        "2.0.0",
    ),
    cmd("hkeys", 2, READONLY, (1, 1, 1), Handler::Data(commands::hkeys)).doc(
        "hash",
        "Returns all fields in a hash.",
        "2.0.0",
    ),
    cmd("hvals", 2, READONLY, (1, 1, 1), Handler::Data(commands::hvals)).doc(
        "hash",
        "Returns all values in a hash.",
        "2.0.0",
    ),
    cmd("hgetall", 2, READONLY, (1, 1, 1), Handler::Data(commands::hgetall)).doc(
        "hash",
        "Returns all fields and values in a hash.",
        "2.0.0",
    ),
    cmd("hincrby", 4, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(commands::hincrby)).doc(
        "hash",
        "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.",
        "2.0.0",
    ),
    cmd("hincrbyfloat", 4, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(commands::hincrbyfloat)).doc(
        "hash",
        "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.",
        "2.6.0",
    ),
    cmd("hrandfield", -2, READONLY, (1, 1, 1), Handler::Data(random::hrandfield)).doc(
        "hash",
        "Returns one or more random fields from a hash.",
        "6.2.0",
    ),
    cmd("hscan", -3, READONLY, (1, 1, 1), Handler::Data(random::hscan)).doc(
        "hash",
        "Iterates over fields and values of a hash.",
        "2.8.0",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_hash_is_packed() {
        let limits = EncodingLimits::default();
        let mut h = Hash::new();
        for i in 0..10 {
            let f = format!("field{i}");
            assert!(h.insert(f.as_bytes(), b"0123456789", &limits));
        }
        assert!(!h.insert(b"field3", b"x", &limits));
        assert_eq!(h.get(b"field3"), Some(&b"x"[..]));
        assert!(h.remove(b"field0"));
        assert!(!h.remove(b"field0"));
        assert_eq!(h.len(), 9);
        let Hash::Listpack(lp) = &h else {
            panic!("converted too early")
        };
        // 9 × (1+6) field bytes + 8 × (1+10) + (1+1) value bytes, no slack.
        assert_eq!(lp.heap_bytes(), 9 * 7 + 8 * 11 + 2);
        let fields: Vec<_> = h.iter().map(|(f, _)| f.to_vec()).collect();
        assert_eq!(fields[0], b"field1");
        assert_eq!(fields[8], b"field9");
    }

    #[test]
    fn converts_at_the_limits() {
        let limits = EncodingLimits {
            hash_max_listpack_entries: 4,
            ..EncodingLimits::default()
        };
        let mut h = Hash::new();
        for i in 0..4 {
            h.insert(format!("f{i}").as_bytes(), b"v", &limits);
        }
        assert_eq!(h.encoding(), "listpack");
        h.insert(b"f4", b"v", &limits);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 5);
        assert_eq!(h.get(b"f2"), Some(&b"v"[..]));

        let mut h = Hash::new();
        h.insert(b"f", &[b'x'; 65], &limits);
        assert_eq!(h.encoding(), "hashtable");
    }
}
