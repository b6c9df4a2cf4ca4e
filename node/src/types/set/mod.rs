//! Sets: a sorted vector of integers (`intset`) while every member is an
//! integer and the set is small, a small vector (`listpack`) while small,
//! else a [`Dict`] (`hashtable`).
//!
//! The encoding is visible to clients (OBJECT ENCODING) and, through the
//! storage order, in the order of SMEMBERS and friends (an intset replies
//! in ascending numeric order). So every conversion here follows Valkey's
//! rules step by step: the size hint at creation (`SADD` with many members
//! starts as a hashtable), the conversion of an intset that grew past
//! `set-max-intset-entries` straight to a hashtable, and, like Valkey, no
//! way back to a smaller encoding except where a command rebuilds the set
//! (SINTERSTORE, SPOP with a large count).
//!
//! The commands live in submodules: [`commands`] (members, SSCAN, SMOVE),
//! [`random`] (SPOP, SRANDMEMBER) and [`algebra`] (SINTER, SUNION, SDIFF
//! and their STORE and CARD forms).

mod algebra;
mod commands;
mod random;

use bytes::Bytes;

use crate::command::CommandSpec;
use crate::keyspace::{Dict, EncodingLimits};
use crate::resp::Frame;
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

/// One member as the set stores it: an intset holds integers, the other
/// encodings hold bytes. Iterating and testing membership through `Elem`
/// avoids formatting integers that are only compared with other integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem<'a> {
    /// A member of an intset.
    Int(i64),
    /// A member stored as bytes.
    Str(&'a Bytes),
}

fn int_bytes(i: i64) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(i).as_bytes())
}

impl Elem<'_> {
    /// The member as bytes (integers in decimal).
    pub fn to_bytes(self) -> Bytes {
        match self {
            Elem::Int(i) => int_bytes(i),
            Elem::Str(b) => b.clone(),
        }
    }

    /// The member as a bulk string reply.
    pub fn frame(self) -> Frame {
        Frame::Bulk(self.to_bytes())
    }

    /// Runs `f` on the member's bytes without allocating.
    fn with_slice<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Elem::Int(i) => f(itoa::Buffer::new().format(i).as_bytes()),
            Elem::Str(b) => f(b),
        }
    }

    /// The member's integer value, if it is one (Valkey's `string2ll`).
    fn as_int(self) -> Option<i64> {
        match self {
            Elem::Int(i) => Some(i),
            Elem::Str(b) => parse_i64(b),
        }
    }
}

/// Iterator over a set's members in storage order.
pub struct Iter<'a> {
    set: &'a Set,
    pos: usize,
    len: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Elem<'a>;

    fn next(&mut self) -> Option<Elem<'a>> {
        if self.pos >= self.len {
            return None;
        }
        let e = self.set.elem_at(self.pos);
        self.pos += 1;
        Some(e)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.len - self.pos;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// The intset size limit (Valkey caps it at 2^30 whatever the config says).
fn max_intset(limits: &EncodingLimits) -> usize {
    limits.set_max_intset_entries.min(1 << 30)
}

impl Set {
    /// An empty set for about `hint` members, the first being `first`,
    /// encoded as Valkey's `setTypeCreate` would: an intset if `first` is an
    /// integer and the hint fits an intset, else a listpack if the hint fits
    /// one, else a hashtable.
    pub fn with_hint(first: &[u8], hint: usize, limits: &EncodingLimits) -> Set {
        if parse_i64(first).is_some() && hint <= max_intset(limits) {
            Set::Intset(Vec::new())
        } else if hint <= limits.set_max_listpack_entries {
            Set::Listpack(Vec::new())
        } else {
            Set::Table(Dict::with_capacity(hint))
        }
    }

    /// An empty set for one first member `first`.
    pub fn new_for(first: &[u8], limits: &EncodingLimits) -> Set {
        Set::with_hint(first, 1, limits)
    }

    /// Converts to a hashtable ahead of adding about `hint` members when a
    /// compact encoding could not hold that many (Valkey's
    /// `setTypeMaybeConvert`, which SADD applies to an existing set).
    pub fn reserve_for(&mut self, hint: usize, limits: &EncodingLimits) {
        let too_many = match self {
            Set::Intset(_) => hint > max_intset(limits),
            Set::Listpack(_) => hint > limits.set_max_listpack_entries,
            Set::Table(_) => false,
        };
        if too_many {
            self.convert_to_table(hint);
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

    /// True when `e` (a member of another set) is a member of this one.
    pub fn contains_elem(&self, e: Elem) -> bool {
        match (self, e) {
            (Set::Intset(v), e) => e.as_int().is_some_and(|i| v.binary_search(&i).is_ok()),
            (_, Elem::Str(b)) => self.contains(b),
            (_, e) => e.with_slice(|s| self.contains(s)),
        }
    }

    /// Adds `m` (stored as given); true when it is new.
    pub fn insert(&mut self, m: Bytes, limits: &EncodingLimits) -> bool {
        self.add_inner(Elem::Str(&m), limits, false)
    }

    /// Adds `m`, a request argument; true when it is new. A stored member
    /// is copied out, because an argument shares the connection's read
    /// buffer and would keep all of it alive for as long as it is stored.
    pub fn insert_arg(&mut self, m: &Bytes, limits: &EncodingLimits) -> bool {
        self.add_inner(Elem::Str(m), limits, true)
    }

    /// Adds `e`, converting the encoding where Valkey would; true when new.
    pub fn add(&mut self, e: Elem, limits: &EncodingLimits) -> bool {
        self.add_inner(e, limits, false)
    }

    fn add_inner(&mut self, e: Elem, limits: &EncodingLimits, detach: bool) -> bool {
        let stored = |e: Elem| match e {
            Elem::Str(b) if detach => Bytes::copy_from_slice(b),
            e => e.to_bytes(),
        };
        if let Set::Intset(v) = self {
            if let Some(i) = e.as_int() {
                let Err(pos) = v.binary_search(&i) else {
                    return false;
                };
                v.insert(pos, i);
                // An intset that grew too big becomes a hashtable, never a
                // listpack (Valkey's `maybeConvertIntset`).
                if v.len() > max_intset(limits) {
                    self.convert_to_table(0);
                }
                return true;
            }
            // A non-integer: a listpack if everything fits one, else a
            // hashtable. Valkey also checks the widest integer (at most 20
            // bytes) against `set-max-listpack-value`.
            let len = e.with_slice(|s| s.len());
            let widest = v
                .first()
                .into_iter()
                .chain(v.last())
                .map(|&i| itoa::Buffer::new().format(i).len())
                .max()
                .unwrap_or(0);
            if v.len() < limits.set_max_listpack_entries
                && len <= limits.set_max_listpack_value
                && widest <= limits.set_max_listpack_value
            {
                let mut members: Vec<Bytes> = Vec::with_capacity(v.len() + 1);
                members.extend(v.iter().map(|&i| int_bytes(i)));
                members.push(stored(e));
                *self = Set::Listpack(members);
                return true;
            }
            let n = v.len() + 1;
            self.convert_to_table(n);
        }
        if let Set::Listpack(v) = self {
            let (present, len) = e.with_slice(|s| (v.iter().any(|x| x.as_ref() == s), s.len()));
            if present {
                return false;
            }
            if v.len() < limits.set_max_listpack_entries && len <= limits.set_max_listpack_value {
                v.push(stored(e));
                return true;
            }
            let n = v.len() + 1;
            self.convert_to_table(n);
        }
        match self {
            Set::Table(d) => {
                if e.with_slice(|s| d.contains_key(s)) {
                    return false;
                }
                d.insert(stored(e), ());
                true
            }
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

    /// Removes `e` (a member of another set); true when it was a member.
    pub fn remove_elem(&mut self, e: Elem) -> bool {
        match (&mut *self, e) {
            (Set::Intset(v), e) => match e.as_int().map(|i| v.binary_search(&i)) {
                Some(Ok(pos)) => {
                    v.remove(pos);
                    true
                }
                _ => false,
            },
            (_, Elem::Str(b)) => self.remove(b),
            (_, e) => e.with_slice(|s| self.remove(s)),
        }
    }

    /// Removes and returns the member at storage position `i` (`i < len()`).
    pub fn remove_at(&mut self, i: usize) -> Bytes {
        match self {
            Set::Intset(v) => int_bytes(v.remove(i)),
            Set::Listpack(v) => v.remove(i),
            Set::Table(d) => {
                let key = d.at(i).0.clone();
                d.remove(&key);
                key
            }
        }
    }

    /// Rebuilds as a hashtable sized for `cap` members (at least the
    /// current ones), keeping the storage order of the members.
    fn convert_to_table(&mut self, cap: usize) {
        if matches!(self, Set::Table(_)) {
            return;
        }
        let mut d = Dict::with_capacity(cap.max(self.len()));
        for e in self.iter() {
            d.insert(e.to_bytes(), ());
        }
        *self = Set::Table(d);
    }

    /// Becomes an intset if every member is an integer and there are few
    /// enough of them (Valkey's `maybeConvertToIntset`, which SINTERSTORE
    /// applies to its result).
    pub fn maybe_to_intset(&mut self, limits: &EncodingLimits) {
        if matches!(self, Set::Intset(_)) || self.len() > max_intset(limits) {
            return;
        }
        let ints: Option<Vec<i64>> = self.iter().map(Elem::as_int).collect();
        if let Some(mut ints) = ints {
            ints.sort_unstable();
            *self = Set::Intset(ints);
        }
    }

    /// Iterates the members in storage order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            set: self,
            pos: 0,
            len: self.len(),
        }
    }

    /// The member at storage position `i` (`i < len()`), without copying.
    pub fn elem_at(&self, i: usize) -> Elem<'_> {
        match self {
            Set::Intset(v) => Elem::Int(v[i]),
            Set::Listpack(v) => Elem::Str(&v[i]),
            Set::Table(d) => Elem::Str(d.at(i).0),
        }
    }

    /// All members in storage order (deterministic).
    pub fn members(&self) -> Vec<Bytes> {
        self.iter().map(Elem::to_bytes).collect()
    }

    /// The member at storage position `i` (`i < len()`), for seeded draws.
    pub fn at(&self, i: usize) -> Bytes {
        self.elem_at(i).to_bytes()
    }

    /// The members as a RESP3 set reply (an array in RESP2).
    pub fn reply(&self) -> Frame {
        Frame::Set(self.iter().map(Elem::frame).collect())
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
pub const COMMANDS: &[CommandSpec] = &[
    commands::SADD,
    commands::SREM,
    commands::SMEMBERS,
    commands::SISMEMBER,
    commands::SMISMEMBER,
    commands::SCARD,
    commands::SMOVE,
    commands::SSCAN,
    random::SPOP,
    random::SRANDMEMBER,
    algebra::SINTER,
    algebra::SINTERCARD,
    algebra::SINTERSTORE,
    algebra::SUNION,
    algebra::SUNIONSTORE,
    algebra::SDIFF,
    algebra::SDIFFSTORE,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn limits() -> EncodingLimits {
        EncodingLimits::default()
    }

    #[test]
    fn intset_grows_to_hashtable_past_512() {
        let l = limits();
        let mut s = Set::new_for(b"1", &l);
        for i in 0..512 {
            assert!(s.insert(b(&i.to_string()), &l));
        }
        assert_eq!(s.encoding(), "intset");
        assert!(!s.insert(b("7"), &l));
        assert!(s.insert(b("512"), &l));
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 513);
    }

    #[test]
    fn intset_to_listpack_on_string_then_hashtable() {
        let l = limits();
        let mut s = Set::new_for(b"3", &l);
        s.insert(b("3"), &l);
        s.insert(b("-1"), &l);
        assert_eq!(s.members(), vec![b("-1"), b("3")]);
        s.insert(b("a"), &l);
        assert_eq!(s.encoding(), "listpack");
        assert_eq!(s.members(), vec![b("-1"), b("3"), b("a")]);
        assert!(s.contains(b"3") && s.contains_elem(Elem::Int(-1)));
        s.insert(b(&"x".repeat(65)), &l);
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 4);
    }

    #[test]
    fn intset_with_128_members_and_a_string_is_a_hashtable() {
        let l = limits();
        let mut s = Set::new_for(b"1", &l);
        for i in 0..128 {
            s.insert(b(&i.to_string()), &l);
        }
        s.insert(b("a"), &l);
        assert_eq!(s.encoding(), "hashtable");
        let mut s = Set::new_for(b"1", &l);
        for i in 0..127 {
            s.insert(b(&i.to_string()), &l);
        }
        s.insert(b("a"), &l);
        assert_eq!(s.encoding(), "listpack");
        s.insert(b("b"), &l);
        assert_eq!(s.encoding(), "hashtable");
    }

    #[test]
    fn creation_follows_the_size_hint() {
        let l = limits();
        assert_eq!(Set::with_hint(b"1", 512, &l).encoding(), "intset");
        assert_eq!(Set::with_hint(b"1", 513, &l).encoding(), "hashtable");
        assert_eq!(Set::with_hint(b"a", 128, &l).encoding(), "listpack");
        assert_eq!(Set::with_hint(b"a", 129, &l).encoding(), "hashtable");
        assert_eq!(Set::with_hint(b"01", 1, &l).encoding(), "listpack");
        let mut s = Set::with_hint(b"a", 1, &l);
        s.insert(b("a"), &l);
        s.reserve_for(129, &l);
        assert_eq!(s.encoding(), "hashtable");
    }

    #[test]
    fn non_canonical_integers_are_strings() {
        let l = limits();
        let mut s = Set::new_for(b"1", &l);
        s.insert(b("1"), &l);
        assert!(s.insert(b("01"), &l));
        assert_eq!(s.encoding(), "listpack");
        assert!(s.contains(b"01") && s.contains(b"1") && !s.contains(b"+1"));
        assert!(s.remove_elem(Elem::Int(1)));
        assert_eq!(s.members(), vec![b("01")]);
    }

    #[test]
    fn maybe_to_intset_only_for_integers() {
        let l = limits();
        let mut s = Set::Listpack(vec![b("5"), b("-2")]);
        s.maybe_to_intset(&l);
        assert_eq!(s.encoding(), "intset");
        assert_eq!(s.members(), vec![b("-2"), b("5")]);
        let mut s = Set::Listpack(vec![b("5"), b("x")]);
        s.maybe_to_intset(&l);
        assert_eq!(s.encoding(), "listpack");
    }
}
