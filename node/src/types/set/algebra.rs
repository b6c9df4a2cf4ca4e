//! Set algebra: SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE,
//! SDIFF and SDIFFSTORE.
//!
//! The results are built as a [`Set`] through the same insertions Valkey
//! makes, in the same order and starting from the same encoding, because
//! the stored result's encoding (OBJECT ENCODING) and the reply order (an
//! intset result replies in ascending order) follow from them. That is
//! why SDIFF keeps Valkey's choice between its two algorithms: subtracting
//! from a copy of the first set leaves a hashtable where filtering it would
//! have built a listpack.

use bytes::Bytes;

use super::{Elem, Set};
use crate::command::{cmd, flags::*, CommandSpec, Ctx, Handler};
use crate::errors::{err, SYNTAX};
use crate::keyspace::{Db, EncodingLimits, Value};
use crate::resp::Frame;
use crate::util::parse_i64;

/// Checks every key (in order, stopping at the first of another type) and
/// says which hold a set. Expired keys count as absent.
fn present(ctx: &mut Ctx, keys: &[Bytes]) -> Result<Vec<bool>, Frame> {
    keys.iter()
        .map(|k| ctx.read::<Set>(k).map(|s| s.is_some()))
        .collect()
}

/// The sets at `keys` (`None` for absent ones), after [`present`] checked
/// them; borrowed from the database all at once.
fn sets<'d>(db: &'d Db, keys: &[Bytes], present: &[bool]) -> Vec<Option<&'d Set>> {
    keys.iter()
        .zip(present)
        .map(|(k, &here)| {
            let e = db.entries.get(k).filter(|_| here)?;
            match &e.value {
                Value::Set(s) => Some(&**s),
                _ => None,
            }
        })
        .collect()
}

/// What an intersection produces.
enum InterOut {
    /// The members (SINTER).
    Reply,
    /// Only how many, stopping at a limit if not 0 (SINTERCARD).
    Count(usize),
    /// The members as a set to store (SINTERSTORE).
    Store,
}

/// The result of an intersection: a reply or a set to store.
enum InterResult {
    Reply(Frame),
    Store(Set),
}

/// Intersects `sets` (all present): walks the smallest and keeps what every
/// other holds.
fn intersect(mut sets: Vec<&Set>, out: InterOut, limits: &EncodingLimits) -> InterResult {
    sets.sort_by_key(|s| s.len());
    let first = sets[0];
    let others: Vec<&Set> = sets[1..]
        .iter()
        .copied()
        .filter(|s| !std::ptr::eq(*s, first))
        .collect();
    let common = first
        .iter()
        .filter(|e| others.iter().all(|s| s.contains_elem(*e)));
    match out {
        InterOut::Reply => InterResult::Reply(Frame::Set(common.map(Elem::frame).collect())),
        InterOut::Count(limit) => {
            let n = if limit > 0 {
                common.take(limit).count()
            } else {
                common.count()
            };
            InterResult::Reply(Frame::int(n))
        }
        InterOut::Store => {
            // Valkey starts from an intset when the smallest set is one,
            // else from a listpack, and makes an all-integer result an
            // intset at the end if it fits.
            let mut dst = match first {
                Set::Intset(_) => Set::Intset(Vec::new()),
                _ => Set::Listpack(Vec::new()),
            };
            let mut only_integers = true;
            for e in common {
                only_integers &= e.as_int().is_some();
                dst.add(e, limits);
            }
            if only_integers {
                dst.maybe_to_intset(limits);
            }
            InterResult::Store(dst)
        }
    }
}

/// Stores `result` at `dst` (replacing any value and its TTL), or deletes
/// `dst` when the result is empty; replies the result's size.
fn store(ctx: &mut Ctx, dst: &Bytes, result: Set) -> Frame {
    let n = result.len();
    if n > 0 {
        ctx.set(dst.clone(), Value::Set(Box::new(result)));
        ctx.dirty(1);
    } else if ctx.delete(dst) {
        ctx.dirty(1);
    }
    Frame::int(n)
}

/// SINTER, SINTERCARD and SINTERSTORE over `keys`.
fn inter_generic(ctx: &mut Ctx, keys: &[Bytes], out: InterOut, dst: Option<&Bytes>) -> Frame {
    let here = match present(ctx, keys) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let limits = ctx.ks.limits;
    let result = if here.iter().all(|&p| p) {
        let db = &ctx.ks.dbs[ctx.db];
        let all = sets(db, keys, &here).into_iter().flatten().collect();
        intersect(all, out, &limits)
    } else {
        // An absent key is an empty set: so is the intersection.
        match out {
            InterOut::Reply => InterResult::Reply(Frame::Set(Vec::new())),
            InterOut::Count(_) => InterResult::Reply(Frame::Integer(0)),
            InterOut::Store => InterResult::Store(Set::default()),
        }
    };
    match (result, dst) {
        (InterResult::Store(set), Some(dst)) => store(ctx, dst, set),
        (InterResult::Reply(f), _) => f,
        (InterResult::Store(_), None) => unreachable!("a store has a destination"),
    }
}

/// SINTER key [key ...]
fn sinter(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    inter_generic(ctx, &args[1..], InterOut::Reply, None)
}

/// SINTERSTORE destination key [key ...]
fn sinterstore(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    inter_generic(ctx, &args[2..], InterOut::Store, Some(&args[1]))
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let numkeys = match parse_i64(&args[1]) {
        Some(n) if n >= 1 => n as u64,
        _ => return err("ERR numkeys should be greater than 0"),
    };
    if numkeys > (args.len() - 2) as u64 {
        return err("ERR Number of keys can't be greater than number of args");
    }
    let end = 2 + numkeys as usize;
    let mut limit = 0usize;
    let mut i = end;
    while i < args.len() {
        if args[i].eq_ignore_ascii_case(b"limit") && i + 1 < args.len() {
            match parse_i64(&args[i + 1]) {
                Some(n) if n >= 0 => limit = usize::try_from(n).unwrap_or(usize::MAX),
                _ => return err("ERR LIMIT can't be negative"),
            }
            i += 2;
        } else {
            return err(SYNTAX);
        }
    }
    inter_generic(ctx, &args[2..end], InterOut::Count(limit), None)
}

/// Key positions of SINTERCARD: the `numkeys` keys after it (none when
/// `numkeys` is malformed; the command then fails with its own error).
fn sintercard_keys(args: &[Bytes]) -> Option<Vec<usize>> {
    let n = parse_i64(args.get(1)?)?;
    if n < 1 || n as u64 > args.len().saturating_sub(2) as u64 {
        return None;
    }
    Some((2..2 + n as usize).collect())
}

/// Union or difference.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Diff,
}

/// Computes the union or difference of `sets` (`None`: absent key) as
/// Valkey builds it: into a set that starts as an intset.
fn union_diff(sets: &[Option<&Set>], keys: &[Bytes], op: Op, limits: &EncodingLimits) -> Set {
    let mut dst = Set::default();
    match op {
        Op::Union => {
            for s in sets.iter().flatten() {
                for e in s.iter() {
                    dst.add(e, limits);
                }
            }
        }
        Op::Diff => {
            let Some(first) = sets[0] else {
                return dst;
            };
            // The first key again among the others: the difference is empty.
            let same = keys[1..]
                .iter()
                .zip(&sets[1..])
                .any(|(k, s)| s.is_some() && *k == keys[0]);
            if same {
                return dst;
            }
            let present = sets.iter().flatten().count();
            let filter_work = first.len() * present / 2;
            let subtract_work: usize = sets.iter().flatten().map(|s| s.len()).sum();
            if filter_work <= subtract_work {
                // Keep the members of the first set no other set holds.
                for e in first.iter() {
                    if !sets[1..].iter().flatten().any(|s| s.contains_elem(e)) {
                        dst.add(e, limits);
                    }
                }
            } else {
                // Copy the first set, then remove every other set's members.
                for e in first.iter() {
                    dst.add(e, limits);
                }
                for s in sets[1..].iter().flatten() {
                    for e in s.iter() {
                        dst.remove_elem(e);
                    }
                    if dst.is_empty() {
                        break;
                    }
                }
            }
        }
    }
    dst
}

/// SUNION, SDIFF and their STORE forms over `keys`.
fn union_diff_generic(ctx: &mut Ctx, keys: &[Bytes], op: Op, dst: Option<&Bytes>) -> Frame {
    let here = match present(ctx, keys) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let limits = ctx.ks.limits;
    let result = {
        let db = &ctx.ks.dbs[ctx.db];
        union_diff(&sets(db, keys, &here), keys, op, &limits)
    };
    match dst {
        Some(dst) => store(ctx, dst, result),
        None => result.reply(),
    }
}

/// SUNION key [key ...]
fn sunion(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    union_diff_generic(ctx, &args[1..], Op::Union, None)
}

/// SUNIONSTORE destination key [key ...]
fn sunionstore(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    union_diff_generic(ctx, &args[2..], Op::Union, Some(&args[1]))
}

/// SDIFF key [key ...]
fn sdiff(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    union_diff_generic(ctx, &args[1..], Op::Diff, None)
}

/// SDIFFSTORE destination key [key ...]
fn sdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    union_diff_generic(ctx, &args[2..], Op::Diff, Some(&args[1]))
}

pub(super) const SINTER: CommandSpec =
    cmd("sinter", -2, READONLY, (1, -1, 1), Handler::Data(sinter)).doc(
        "set",
        "Returns the intersect of multiple sets.",
        "1.0.0",
    );

pub(super) const SINTERCARD: CommandSpec = cmd(
    "sintercard",
    -3,
    READONLY,
    (0, 0, 0),
    Handler::Data(sintercard),
)
.movable(sintercard_keys)
.doc(
    "set",
    "Returns the number of members of the intersect of multiple sets.",
    "7.0.0",
);

pub(super) const SINTERSTORE: CommandSpec = cmd(
    "sinterstore",
    -3,
    WRITE | DENYOOM,
    (1, -1, 1),
    Handler::Data(sinterstore),
)
.doc(
    "set",
    "Stores the intersect of multiple sets in a key.",
    "1.0.0",
);

pub(super) const SUNION: CommandSpec =
    cmd("sunion", -2, READONLY, (1, -1, 1), Handler::Data(sunion)).doc(
        "set",
        "Returns the union of multiple sets.",
        "1.0.0",
    );

pub(super) const SUNIONSTORE: CommandSpec = cmd(
    "sunionstore",
    -3,
    WRITE | DENYOOM,
    (1, -1, 1),
    Handler::Data(sunionstore),
)
.doc(
    "set",
    "Stores the union of multiple sets in a key.",
    "1.0.0",
);

pub(super) const SDIFF: CommandSpec = cmd("sdiff", -2, READONLY, (1, -1, 1), Handler::Data(sdiff))
    .doc("set", "Returns the difference of multiple sets.", "1.0.0");

pub(super) const SDIFFSTORE: CommandSpec = cmd(
    "sdiffstore",
    -3,
    WRITE | DENYOOM,
    (1, -1, 1),
    Handler::Data(sdiffstore),
)
.doc(
    "set",
    "Stores the difference of multiple sets in a key.",
    "1.0.0",
);

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn set_of(members: &[&str]) -> Set {
        let l = EncodingLimits::default();
        let mut s = Set::with_hint(members[0].as_bytes(), members.len(), &l);
        for m in members {
            s.insert(b(m), &l);
        }
        s
    }

    #[test]
    fn sinterstore_of_hashtables_with_integers_is_an_intset() {
        let l = EncodingLimits::default();
        let nums: Vec<String> = (0..200).map(|i| i.to_string()).collect();
        let mut big: Vec<&str> = nums.iter().map(String::as_str).collect();
        big.push("x");
        let a = set_of(&big);
        let b = set_of(&big);
        assert_eq!(a.encoding(), "hashtable");
        let InterResult::Store(r) = intersect(vec![&a, &b], InterOut::Store, &l) else {
            panic!()
        };
        assert_eq!(r.encoding(), "hashtable");
        let c = set_of(&big[..150]);
        let InterResult::Store(r) = intersect(vec![&a, &c], InterOut::Store, &l) else {
            panic!()
        };
        assert_eq!((r.encoding(), r.len()), ("intset", 150));
    }

    #[test]
    fn sdiff_by_subtraction_keeps_the_big_encoding() {
        let l = EncodingLimits::default();
        let names: Vec<String> = (0..200).map(|i| format!("m{i}")).collect();
        let all: Vec<&str> = names.iter().map(String::as_str).collect();
        let first = set_of(&all);
        let most = set_of(&all[..190]);
        let tiny: Vec<Set> = (0..4).map(|i| set_of(&[all[i]])).collect();
        let keys: Vec<Bytes> = (0..6).map(|i| b(&format!("k{i}"))).collect();
        // 200 * 6 / 2 > 200 + 190 + 4: subtraction, hashtable of 10.
        let mut sets = vec![Some(&first), Some(&most)];
        sets.extend(tiny.iter().map(Some));
        let r = union_diff(&sets, &keys, Op::Diff, &l);
        assert_eq!((r.encoding(), r.len()), ("hashtable", 10));
        // Two sets: filtering, listpack of 10.
        let r = union_diff(&sets[..2], &keys[..2], Op::Diff, &l);
        assert_eq!((r.encoding(), r.len()), ("listpack", 10));
    }

    #[test]
    fn union_of_intsets_is_sorted() {
        let l = EncodingLimits::default();
        let a = set_of(&["5", "1"]);
        let c = set_of(&["3", "-7"]);
        let keys = [b("a"), b("z"), b("c")];
        let r = union_diff(&[Some(&a), None, Some(&c)], &keys, Op::Union, &l);
        assert_eq!(r.members(), vec![b("-7"), b("1"), b("3"), b("5")]);
        assert_eq!(r.encoding(), "intset");
    }
}
