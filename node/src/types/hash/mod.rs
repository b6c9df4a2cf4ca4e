//! Hashes: a small vector of field/value pairs (`listpack`) until it passes
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

/// A hash value.
#[derive(Debug, Clone)]
pub enum Hash {
    /// Insertion-ordered pairs.
    Listpack(Vec<(Bytes, Bytes)>),
    /// Hash table.
    Table(Dict<Bytes>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Listpack(Vec::new())
    }
}

impl Hash {
    /// An empty hash.
    pub fn new() -> Hash {
        Hash::default()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(v) => v.len(),
            Hash::Table(d) => d.len(),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&Bytes> {
        match self {
            Hash::Listpack(v) => v.iter().find(|(f, _)| f.as_ref() == field).map(|(_, v)| v),
            Hash::Table(d) => d.get(field),
        }
    }

    /// Sets `field`; true when it is new.
    pub fn insert(&mut self, field: Bytes, value: Bytes, limits: &EncodingLimits) -> bool {
        if let Hash::Listpack(v) = self {
            if field.len() > limits.hash_max_listpack_value
                || value.len() > limits.hash_max_listpack_value
            {
                self.convert();
            } else if let Some(slot) = v.iter_mut().find(|(f, _)| *f == field) {
                slot.1 = value;
                return false;
            } else if v.len() < limits.hash_max_listpack_entries {
                v.push((field, value));
                return true;
            } else {
                self.convert();
            }
        }
        match self {
            Hash::Table(d) => d.insert(field, value).is_none(),
            Hash::Listpack(_) => unreachable!("converted above"),
        }
    }

    /// Removes `field`; true when it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(v) => match v.iter().position(|(f, _)| f.as_ref() == field) {
                Some(i) => {
                    v.remove(i);
                    true
                }
                None => false,
            },
            Hash::Table(d) => d.remove(field).is_some(),
        }
    }

    /// Converts to the `hashtable` encoding (no-op when already there).
    pub fn convert(&mut self) {
        if let Hash::Listpack(v) = self {
            let mut d = Dict::with_capacity(v.len() + 1);
            for (f, val) in v.drain(..) {
                d.insert(f, val);
            }
            *self = Hash::Table(d);
        }
    }

    /// Field/value pairs in storage order (deterministic).
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&Bytes, &Bytes)> + '_> {
        match self {
            Hash::Listpack(v) => Box::new(v.iter().map(|(f, v)| (f, v))),
            Hash::Table(d) => Box::new(d.iter()),
        }
    }

    /// The pair at storage position `i` (`i < len()`), for seeded draws.
    pub fn at(&self, i: usize) -> (&Bytes, &Bytes) {
        match self {
            Hash::Listpack(v) => (&v[i].0, &v[i].1),
            Hash::Table(d) => d.at(i),
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
