//! Lists: a deque of byte strings, reported as `listpack` while small and
//! `quicklist` past `list-max-listpack-size`, with Valkey's hysteresis
//! (converted back only when it shrinks to half the limit).
//!
//! The value type and the command table live here; the handlers are split
//! by what they touch: [`commands`] reads and edits one list in place,
//! [`moves`] pops and moves elements between lists, including the blocking
//! variants that wait for a list to be filled.

mod commands;
mod moves;

use std::collections::VecDeque;

use bytes::Bytes;

use crate::command::{cmd, flags::*, CommandSpec, Handler};
use crate::errors::{err, NOT_INTEGER};
use crate::keyspace::EncodingLimits;
use crate::resp::Frame;
use crate::util::parse_i64;

/// A list value.
#[derive(Debug, Clone, Default)]
pub struct List {
    items: VecDeque<Bytes>,
    /// Sum of the elements' listpack entry sizes (see [`entry_size`]), for
    /// the size-based listpack limit.
    bytes: usize,
    quicklist: bool,
}

impl List {
    /// An empty list.
    pub fn new() -> List {
        List::default()
    }

    /// A list of `items` kept in the given encoding, as a snapshot stored
    /// it (the encoding has hysteresis, so it is not a function of the
    /// items alone).
    pub fn from_parts(items: VecDeque<Bytes>, quicklist: bool) -> List {
        let bytes = items.iter().map(|b| entry_size(b)).sum();
        List {
            items,
            bytes,
            quicklist,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty (an empty list is deleted from the keyspace).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Elements, head first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Bytes> + ExactSizeIterator {
        self.items.iter()
    }

    /// Element at `i` (0 = head).
    pub fn get(&self, i: usize) -> Option<&Bytes> {
        self.items.get(i)
    }

    /// Pushes at the head.
    pub fn push_front(&mut self, v: Bytes) {
        self.bytes += entry_size(&v);
        self.items.push_front(v);
    }

    /// Pushes at the tail.
    pub fn push_back(&mut self, v: Bytes) {
        self.bytes += entry_size(&v);
        self.items.push_back(v);
    }

    /// Pops the head.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        let v = self.items.pop_front()?;
        self.bytes -= entry_size(&v);
        Some(v)
    }

    /// Pops the tail.
    pub fn pop_back(&mut self) -> Option<Bytes> {
        let v = self.items.pop_back()?;
        self.bytes -= entry_size(&v);
        Some(v)
    }

    /// Replaces element `i`.
    pub fn set(&mut self, i: usize, v: Bytes) {
        self.bytes += entry_size(&v);
        let old = std::mem::replace(&mut self.items[i], v);
        self.bytes -= entry_size(&old);
    }

    /// Inserts at position `i`.
    pub fn insert(&mut self, i: usize, v: Bytes) {
        self.bytes += entry_size(&v);
        self.items.insert(i, v);
    }

    /// Removes element `i`.
    pub fn remove(&mut self, i: usize) -> Option<Bytes> {
        let v = self.items.remove(i)?;
        self.bytes -= entry_size(&v);
        Some(v)
    }

    /// Keeps only elements `start..=end` (indexes already normalised).
    pub fn keep_range(&mut self, start: usize, end: usize) {
        if start > end || start >= self.items.len() {
            self.items.clear();
            self.bytes = 0;
            return;
        }
        self.items.truncate(end + 1);
        self.items.drain(..start);
        self.bytes = self.items.iter().map(|b| entry_size(b)).sum();
    }

    /// Keeps only the elements for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Bytes) -> bool) {
        self.items.retain(|b| keep(b));
        self.bytes = self.items.iter().map(|b| entry_size(b)).sum();
    }

    /// Removes up to `count` elements equal to `elem` (LREM): from the head
    /// when `count > 0`, from the tail when `count < 0`, all when 0.
    /// Returns how many were removed.
    pub fn remove_matching(&mut self, elem: &[u8], count: i64) -> usize {
        let limit = if count == 0 {
            usize::MAX
        } else {
            count.unsigned_abs().min(usize::MAX as u64) as usize
        };
        let n = self.items.len();
        let mut drop = vec![false; n];
        let mut removed = 0;
        let order: Box<dyn Iterator<Item = usize>> = if count < 0 {
            Box::new((0..n).rev())
        } else {
            Box::new(0..n)
        };
        for i in order {
            if removed == limit {
                break;
            }
            if self.items[i].as_ref() == elem {
                drop[i] = true;
                removed += 1;
            }
        }
        if removed > 0 {
            let mut i = 0;
            self.retain(|_| {
                i += 1;
                !drop[i - 1]
            });
        }
        removed
    }

    /// Position of the first element equal to `elem`, from the head.
    pub fn position(&self, elem: &[u8]) -> Option<usize> {
        self.items.iter().position(|b| b.as_ref() == elem)
    }

    /// True when the list fits one listpack node under `list-max-listpack-size`
    /// with the limits divided by `factor` (2 when checking whether to
    /// shrink back, Valkey's hysteresis).
    fn fits_listpack(&self, limits: &EncodingLimits, factor: usize) -> bool {
        let limit = limits.list_max_listpack_size;
        let size = LISTPACK_OVERHEAD + self.bytes;
        if limit >= 0 {
            // A count limit (0 means 1), plus an 8 KiB safety limit on growth.
            let count = (limit as usize).max(1);
            self.items.len() * factor <= count && (factor > 1 || size <= SIZE_SAFETY_LIMIT)
        } else {
            // -1..-5 → 4, 8, 16, 32, 64 KiB, as Valkey's size classes.
            let class = (-limit).clamp(1, 5) as u32;
            let max = 4096usize << (class - 1);
            size * factor <= max
        }
    }

    /// Re-evaluates the encoding after a change.
    pub fn update_encoding(&mut self, limits: &EncodingLimits) {
        if !self.quicklist && !self.fits_listpack(limits, 1) {
            self.quicklist = true;
        } else if self.quicklist && self.fits_listpack(limits, 2) {
            self.quicklist = false;
        }
    }

    /// The name OBJECT ENCODING replies.
    pub fn encoding(&self) -> &'static str {
        if self.quicklist {
            "quicklist"
        } else {
            "listpack"
        }
    }
}

/// Listpack header (total bytes, count) plus its end byte.
const LISTPACK_OVERHEAD: usize = 7;

/// Valkey's size cap on a count-limited listpack node.
const SIZE_SAFETY_LIMIT: usize = 8192;

/// Bytes one element takes in a listpack: its encoding header and payload
/// (integers are stored compactly), plus the back-length that lets the
/// listpack be walked backwards. This keeps the size-based conversion to
/// `quicklist` close to where Valkey makes it.
fn entry_size(v: &[u8]) -> usize {
    let body = match parse_i64(v) {
        Some(n) if (0..=127).contains(&n) => 1,
        Some(n) if (-4096..4096).contains(&n) => 2,
        Some(n) if i16::try_from(n).is_ok() => 3,
        Some(n) if (-(1 << 23)..(1 << 23)).contains(&n) => 4,
        Some(n) if i32::try_from(n).is_ok() => 5,
        Some(_) => 9,
        None if v.len() < 64 => 1 + v.len(),
        None if v.len() < 4096 => 2 + v.len(),
        None => 5 + v.len(),
    };
    let back = match body {
        0..=127 => 1,
        128..=16383 => 2,
        16384..=2097151 => 3,
        2097152..=268435455 => 4,
        _ => 5,
    };
    body + back
}

/// Which end of a list an operation works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The head (`LEFT`).
    Left,
    /// The tail (`RIGHT`).
    Right,
}

impl List {
    /// Pops from `end`.
    pub fn pop(&mut self, end: End) -> Option<Bytes> {
        match end {
            End::Left => self.pop_front(),
            End::Right => self.pop_back(),
        }
    }

    /// Pushes at `end`.
    pub fn push(&mut self, end: End, v: Bytes) {
        match end {
            End::Left => self.push_front(v),
            End::Right => self.push_back(v),
        }
    }
}

/// Parses `LEFT`/`RIGHT` (any case); anything else is a syntax error.
pub(crate) fn parse_end(arg: &[u8]) -> Result<End, Frame> {
    if arg.eq_ignore_ascii_case(b"left") {
        Ok(End::Left)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Ok(End::Right)
    } else {
        Err(err(crate::errors::SYNTAX))
    }
}

/// Parses an integer argument that must lie in `min..=max`, with Valkey's
/// wording: `msg` (when given) replaces both the not-an-integer and the
/// out-of-range error, as Valkey's `getRangeLongFromObjectOrReply` does.
pub(crate) fn range_arg(arg: &[u8], min: i64, max: i64, msg: Option<&str>) -> Result<i64, Frame> {
    let fail = |default: String| Frame::Error(msg.map(|m| format!("ERR {m}")).unwrap_or(default));
    let n = parse_i64(arg).ok_or_else(|| fail(NOT_INTEGER.to_string()))?;
    if n < min || n > max {
        return Err(fail(format!(
            "ERR value is out of range, value must between {min} and {max}"
        )));
    }
    Ok(n)
}

/// A non-negative count (LPOP/RPOP), Valkey's `getPositiveLongFromObjectOrReply`.
pub(crate) fn positive_arg(arg: &[u8], msg: Option<&str>) -> Result<i64, Frame> {
    range_arg(
        arg,
        0,
        i64::MAX,
        Some(msg.unwrap_or("value is out of range, must be positive")),
    )
}

/// Normalises an `LRANGE`/`LTRIM` range over a list of `len` elements:
/// `None` when it selects nothing, else inclusive `(start, end)`.
pub(crate) fn normalise_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { start + len } else { start };
    let mut end = if end < 0 { end + len } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

/// The list commands.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("lpush", -3, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(commands::lpush)).doc(
        "list",
        "Prepends one or more elements to a list. Creates the key if it doesn't exist.",
        "1.0.0",
    ),
    cmd("rpush", -3, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(commands::rpush)).doc(
        "list",
        "Appends one or more elements to a list. Creates the key if it doesn't exist.",
        "1.0.0",
    ),
    cmd("lpushx", -3, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(commands::lpushx)).doc(
        "list",
        "Prepends one or more elements to a list only when the list exists.",
        "2.2.0",
    ),
    cmd("rpushx", -3, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(commands::rpushx)).doc(
        "list",
        "Appends an element to a list only when the list exists.",
        "2.2.0",
    ),
    cmd("lpop", -2, WRITE | FAST, (1, 1, 1), Handler::Data(moves::lpop)).doc(
        "list",
        "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.",
        "1.0.0",
    ),
    cmd("rpop", -2, WRITE | FAST, (1, 1, 1), Handler::Data(moves::rpop)).doc(
        "list",
        "Returns and removes the last elements of a list. Deletes the list if the last element was popped.",
        "1.0.0",
    ),
    cmd("llen", 2, READONLY | FAST, (1, 1, 1), Handler::Data(commands::llen)).doc(
        "list",
        "Returns the length of a list.",
        "1.0.0",
    ),
    cmd("lrange", 4, READONLY, (1, 1, 1), Handler::Data(commands::lrange)).doc(
        "list",
        "Returns a range of elements from a list.",
        "1.0.0",
    ),
    cmd("lindex", 3, READONLY, (1, 1, 1), Handler::Data(commands::lindex)).doc(
        "list",
        "Returns an element from a list by its index.",
        "1.0.0",
    ),
    cmd("lset", 4, WRITE | DENYOOM, (1, 1, 1), Handler::Data(commands::lset)).doc(
        "list",
        "Sets the value of an element in a list by its index.",
        "1.0.0",
    ),
    cmd("linsert", 5, WRITE | DENYOOM, (1, 1, 1), Handler::Data(commands::linsert)).doc(
        "list",
        "Inserts an element before or after another element in a list.",
        "2.2.0",
    ),
    cmd("lrem", 4, WRITE, (1, 1, 1), Handler::Data(commands::lrem)).doc(
        "list",
        "Removes elements from a list. Deletes the list if the last element was removed.",
        "1.0.0",
    ),
    cmd("ltrim", 4, WRITE, (1, 1, 1), Handler::Data(commands::ltrim)).doc(
        "list",
        "Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
        "1.0.0",
    ),
    cmd("lpos", -3, READONLY, (1, 1, 1), Handler::Data(commands::lpos)).doc(
        "list",
        "Returns the index of matching elements in a list.",
        "6.0.6",
    ),
    cmd("lmove", 5, WRITE | DENYOOM, (1, 2, 1), Handler::Data(moves::lmove)).doc(
        "list",
        "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.",
        "6.2.0",
    ),
    cmd("rpoplpush", 3, WRITE | DENYOOM, (1, 2, 1), Handler::Data(moves::rpoplpush)).doc(
        "list",
        "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.",
        "1.2.0",
    ),
    cmd("lmpop", -4, WRITE, (0, 0, 0), Handler::Data(moves::lmpop))
        .movable(moves::lmpop_keys)
        .doc(
            "list",
            "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.",
            "7.0.0",
        ),
    cmd("blpop", -3, WRITE | BLOCKING, (1, -2, 1), Handler::Data(moves::blpop)).doc(
        "list",
        "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
        "2.0.0",
    ),
    cmd("brpop", -3, WRITE | BLOCKING, (1, -2, 1), Handler::Data(moves::brpop)).doc(
        "list",
        "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
        "2.0.0",
    ),
    cmd("brpoplpush", 4, WRITE | DENYOOM | BLOCKING, (1, 2, 1), Handler::Data(moves::brpoplpush)).doc(
        "list",
        "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.",
        "2.2.0",
    ),
    cmd("blmove", 6, WRITE | DENYOOM | BLOCKING, (1, 2, 1), Handler::Data(moves::blmove)).doc(
        "list",
        "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.",
        "6.2.0",
    ),
    cmd("blmpop", -5, WRITE | BLOCKING, (0, 0, 0), Handler::Data(moves::blmpop))
        .movable(moves::blmpop_keys)
        .doc(
            "list",
            "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
            "7.0.0",
        ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn list_of(items: &[&str]) -> List {
        let mut l = List::new();
        for i in items {
            l.push_back(Bytes::copy_from_slice(i.as_bytes()));
        }
        l
    }

    #[test]
    fn listpack_entry_sizes() {
        assert_eq!(entry_size(b"5"), 2);
        assert_eq!(entry_size(b"-1"), 3);
        assert_eq!(entry_size(b"1000"), 3);
        assert_eq!(entry_size(b"100000"), 5);
        assert_eq!(entry_size(b"9223372036854775807"), 10);
        assert_eq!(entry_size(b"hello"), 7);
        assert_eq!(entry_size(&[b'x'; 100]), 103);
        assert_eq!(entry_size(&[b'x'; 5000]), 5007);
    }

    #[test]
    fn size_limit_converts_with_hysteresis() {
        let limits = EncodingLimits::default(); // -2: 8 KiB
        let mut l = list_of(&["a", "b"]);
        l.update_encoding(&limits);
        assert_eq!(l.encoding(), "listpack");
        l.push_back(Bytes::from(vec![b'x'; 8192]));
        l.update_encoding(&limits);
        assert_eq!(l.encoding(), "quicklist");
        l.pop_back();
        l.push_back(Bytes::from(vec![b'x'; 5000]));
        l.update_encoding(&limits);
        // Fits 8 KiB but not half of it: stays a quicklist.
        assert_eq!(l.encoding(), "quicklist");
        l.pop_back();
        l.update_encoding(&limits);
        assert_eq!(l.encoding(), "listpack");
    }

    #[test]
    fn count_limit_converts_with_hysteresis() {
        let limits = EncodingLimits {
            list_max_listpack_size: 4,
            ..EncodingLimits::default()
        };
        let mut l = list_of(&["1", "2", "3", "4"]);
        l.update_encoding(&limits);
        assert_eq!(l.encoding(), "listpack");
        l.push_back(Bytes::from_static(b"5"));
        l.update_encoding(&limits);
        assert_eq!(l.encoding(), "quicklist");
        l.pop_back();
        l.pop_back();
        l.update_encoding(&limits);
        assert_eq!(l.encoding(), "quicklist");
        l.pop_back();
        l.update_encoding(&limits);
        assert_eq!(l.encoding(), "listpack");
    }

    #[test]
    fn ranges_normalise_like_valkey() {
        assert_eq!(normalise_range(0, -1, 5), Some((0, 4)));
        assert_eq!(normalise_range(-100, 100, 5), Some((0, 4)));
        assert_eq!(normalise_range(3, 1, 5), None);
        assert_eq!(normalise_range(5, 10, 5), None);
        assert_eq!(normalise_range(-2, -1, 5), Some((3, 4)));
        assert_eq!(normalise_range(0, 0, 0), None);
        assert_eq!(normalise_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
    }

    #[test]
    fn remove_matching_by_direction() {
        let items = ["a", "b", "a", "c", "a"];
        let mut l = list_of(&items);
        assert_eq!(l.remove_matching(b"a", 2), 2);
        assert_eq!(l.iter().collect::<Vec<_>>(), vec!["b", "c", "a"]);
        let mut l = list_of(&items);
        assert_eq!(l.remove_matching(b"a", -2), 2);
        assert_eq!(l.iter().collect::<Vec<_>>(), vec!["a", "b", "c"]);
        let mut l = list_of(&items);
        assert_eq!(l.remove_matching(b"a", 0), 3);
        assert_eq!(l.len(), 2);
        assert_eq!(l.remove_matching(b"z", 0), 0);
        assert_eq!(l.bytes, entry_size(b"b") + entry_size(b"c"));
    }
}
