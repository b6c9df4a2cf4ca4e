//! Hashes: a small vector of field/value pairs (`listpack`) until it passes
//! `hash-max-listpack-entries` or `hash-max-listpack-value`, then a
//! [`Dict`] (`hashtable`). Like Valkey, a hash never converts back.

use bytes::Bytes;

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

    fn convert(&mut self) {
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

/// The commands of this type.
pub const COMMANDS: &[crate::command::CommandSpec] = &[];
