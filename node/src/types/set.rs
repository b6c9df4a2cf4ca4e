//! Sets: a sorted vector of integers (`intset`) while every member is an
//! integer and the set is small, a small vector (`listpack`) while small,
//! else a [`Dict`] (`hashtable`). Conversions follow Valkey's thresholds
//! and, like Valkey, never go back to a smaller encoding.

use bytes::Bytes;

use crate::keyspace::{Dict, EncodingLimits};
use crate::util::parse_i64;

/// A set value.
#[derive(Debug, Clone)]
pub enum Set {
    /// Sorted integers.
    Intset(Vec<i64>),
    /// Insertion-ordered members.
    Listpack(Vec<Bytes>),
    /// Hash table.
    Table(Dict<()>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Intset(Vec::new())
    }
}

fn int_bytes(i: i64) -> Bytes {
    Bytes::from(itoa::Buffer::new().format(i).to_owned())
}

impl Set {
    /// An empty set, encoded for a first member `first` as Valkey would.
    pub fn new_for(first: &[u8], limits: &EncodingLimits) -> Set {
        if parse_i64(first).is_some() && limits.set_max_intset_entries > 0 {
            Set::Intset(Vec::new())
        } else if limits.set_max_listpack_entries > 0
            && first.len() <= limits.set_max_listpack_value
        {
            Set::Listpack(Vec::new())
        } else {
            Set::Table(Dict::new())
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            Set::Intset(v) => v.len(),
            Set::Listpack(v) => v.len(),
            Set::Table(d) => d.len(),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when `m` is a member.
    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Intset(v) => parse_i64(m).is_some_and(|i| v.binary_search(&i).is_ok()),
            Set::Listpack(v) => v.iter().any(|x| x.as_ref() == m),
            Set::Table(d) => d.contains_key(m),
        }
    }

    /// Adds `m`; true when it is new.
    pub fn insert(&mut self, m: Bytes, limits: &EncodingLimits) -> bool {
        if let Set::Intset(v) = self {
            if let Some(i) = parse_i64(&m) {
                match v.binary_search(&i) {
                    Ok(_) => return false,
                    Err(pos) => {
                        if v.len() < limits.set_max_intset_entries {
                            v.insert(pos, i);
                            return true;
                        }
                    }
                }
            }
            self.convert_from_intset(limits, &m);
        }
        if let Set::Listpack(v) = self {
            if v.contains(&m) {
                return false;
            }
            if v.len() < limits.set_max_listpack_entries && m.len() <= limits.set_max_listpack_value
            {
                v.push(m);
                return true;
            }
            self.convert_to_table();
        }
        match self {
            Set::Table(d) => d.insert(m, ()).is_none(),
            _ => unreachable!("converted above"),
        }
    }

    /// Removes `m`; true when it was a member.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Intset(v) => match parse_i64(m).map(|i| v.binary_search(&i)) {
                Some(Ok(pos)) => {
                    v.remove(pos);
                    true
                }
                _ => false,
            },
            Set::Listpack(v) => match v.iter().position(|x| x.as_ref() == m) {
                Some(pos) => {
                    v.remove(pos);
                    true
                }
                None => false,
            },
            Set::Table(d) => d.remove(m).is_some(),
        }
    }

    fn convert_from_intset(&mut self, limits: &EncodingLimits, incoming: &[u8]) {
        let Set::Intset(v) = self else { return };
        let fits = v.len() < limits.set_max_listpack_entries
            && incoming.len() <= limits.set_max_listpack_value;
        let members: Vec<Bytes> = v.iter().map(|&i| int_bytes(i)).collect();
        if fits {
            *self = Set::Listpack(members);
        } else {
            let mut d = Dict::with_capacity(members.len() + 1);
            for m in members {
                d.insert(m, ());
            }
            *self = Set::Table(d);
        }
    }

    fn convert_to_table(&mut self) {
        let members = self.members();
        let mut d = Dict::with_capacity(members.len() + 1);
        for m in members {
            d.insert(m, ());
        }
        *self = Set::Table(d);
    }

    /// All members in storage order (deterministic).
    pub fn members(&self) -> Vec<Bytes> {
        match self {
            Set::Intset(v) => v.iter().map(|&i| int_bytes(i)).collect(),
            Set::Listpack(v) => v.clone(),
            Set::Table(d) => d.keys().cloned().collect(),
        }
    }

    /// The member at storage position `i` (`i < len()`), for seeded draws.
    pub fn at(&self, i: usize) -> Bytes {
        match self {
            Set::Intset(v) => int_bytes(v[i]),
            Set::Listpack(v) => v[i].clone(),
            Set::Table(d) => d.at(i).0.clone(),
        }
    }

    /// The name OBJECT ENCODING replies.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Listpack(_) => "listpack",
            Set::Table(_) => "hashtable",
        }
    }
}

/// The commands of this type.
pub const COMMANDS: &[crate::command::CommandSpec] = &[];
