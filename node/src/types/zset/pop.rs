//! Popping members by score: ZPOPMIN/ZPOPMAX, their blocking forms
//! BZPOPMIN/BZPOPMAX, and the multi-key ZMPOP/BZMPOP.
//!
//! The reply shapes differ by command and protocol exactly as in Valkey:
//! ZPOP* is flat in RESP2 (and in RESP3 without COUNT), nested pairs in
//! RESP3 with COUNT; BZPOP* is a flat `[key, member, score]`; the MPOP
//! commands always nest `[key, [[member, score], ...]]`.
//!
//! Blocking follows the convention at the end of `command/ctx.rs`: with
//! nothing to pop, the handler sets `ctx.blocked` and returns the timeout
//! reply (a null array); the connection waits on the keys and retries.

use bytes::Bytes;

use super::commands::modify;
use super::{Pair, ZSet};
use crate::command::ctx::Kind;
use crate::command::Ctx;
use crate::errors::{err, POSITIVE, SYNTAX, WRONGTYPE};
use crate::resp::Frame;
use crate::types::scan::blocking_timeout;
use crate::util::parse_i64;

/// What to do with a key while looking for something to pop.
enum Probe {
    Missing,
    Empty,
    Ready,
}

fn probe(ctx: &mut Ctx, key: &[u8]) -> Result<Probe, Frame> {
    let db = ctx.db;
    match ctx.entry_in(db, key) {
        None => Ok(Probe::Missing),
        Some(e) => match ZSet::of(&e.value) {
            None => Err(err(WRONGTYPE)),
            Some(z) if z.is_empty() => Ok(Probe::Empty),
            Some(_) => Ok(Probe::Ready),
        },
    }
}

/// Pops up to `count` members from the existing sorted set at `key`.
fn pop_n(ctx: &mut Ctx, key: &[u8], max: bool, count: usize) -> Result<Vec<Pair>, Frame> {
    let popped = modify(ctx, key, |z, _| {
        let n = count.min(z.len());
        let items: Vec<Pair> = (0..n).filter_map(|_| z.pop(max)).collect();
        let changes = items.len() as u64;
        (items, changes)
    })?;
    Ok(popped.unwrap_or_default())
}

fn zpop_generic(ctx: &mut Ctx, args: &[Bytes], max: bool) -> Frame {
    if args.len() > 3 {
        return err(SYNTAX);
    }
    // A non-integer count fails with the range error, as in Valkey.
    let count = match args.get(2).map(|a| parse_i64(a).filter(|n| *n >= 0)) {
        None => None,
        Some(None) => return err(POSITIVE),
        Some(Some(n)) => Some(n as usize),
    };
    let key = &args[1];
    match probe(ctx, key) {
        Err(e) => return e,
        Ok(Probe::Missing) => return Frame::Array(Vec::new()),
        Ok(_) if count == Some(0) => return Frame::Array(Vec::new()),
        Ok(_) => {}
    }
    match pop_n(ctx, key, max, count.unwrap_or(1)) {
        Err(e) => e,
        Ok(items) => Frame::pairs(items, ctx.resp3 && count.is_some()),
    }
}

/// `ZPOPMIN key [count]`
pub fn zpopmin(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    zpop_generic(ctx, args, false)
}

/// `ZPOPMAX key [count]`
pub fn zpopmax(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    zpop_generic(ctx, args, true)
}

/// Pops from the first of `keys` holding members; blocks (or times out at
/// once when it may not block) when none does. `reply` shapes a pop.
fn pop_first_ready(
    ctx: &mut Ctx,
    keys: &[Bytes],
    max: bool,
    count: usize,
    reply: impl FnOnce(&Bytes, Vec<Pair>) -> Frame,
) -> Frame {
    for key in keys {
        match probe(ctx, key) {
            Err(e) => return e,
            Ok(Probe::Missing | Probe::Empty) => continue,
            Ok(Probe::Ready) => {
                return match pop_n(ctx, key, max, count) {
                    Err(e) => e,
                    Ok(items) => reply(key, items),
                }
            }
        }
    }
    if ctx.may_block {
        ctx.blocked = true;
    }
    Frame::NullArray
}

fn bzpop_generic(ctx: &mut Ctx, args: &[Bytes], max: bool) -> Frame {
    if let Err(e) = blocking_timeout(&args[args.len() - 1]) {
        return e;
    }
    pop_first_ready(ctx, &args[1..args.len() - 1], max, 1, |key, items| {
        let mut out = vec![Frame::Bulk(key.clone())];
        for (m, s) in items {
            out.push(Frame::Bulk(m));
            out.push(Frame::Double(s));
        }
        Frame::Array(out)
    })
}

/// `BZPOPMIN key [key ...] timeout`
pub fn bzpopmin(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    bzpop_generic(ctx, args, false)
}

/// `BZPOPMAX key [key ...] timeout`
pub fn bzpopmax(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    bzpop_generic(ctx, args, true)
}

/// Parsed `numkeys key... MIN|MAX [COUNT n]` starting at `args[at]`.
struct MpopArgs {
    keys: std::ops::Range<usize>,
    max: bool,
    count: usize,
}

fn parse_mpop(args: &[Bytes], at: usize) -> Result<MpopArgs, Frame> {
    let numkeys = parse_i64(&args[at])
        .filter(|n| *n >= 1)
        .ok_or_else(|| err("ERR numkeys should be greater than 0"))? as usize;
    let where_at = at
        .checked_add(numkeys)
        .map(|i| i + 1)
        .filter(|i| *i < args.len())
        .ok_or_else(|| err(SYNTAX))?;
    let max = match args[where_at].to_ascii_lowercase().as_slice() {
        b"min" => false,
        b"max" => true,
        _ => return Err(err(SYNTAX)),
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < args.len() {
        if count.is_none() && args[j].eq_ignore_ascii_case(b"count") && j + 1 < args.len() {
            j += 1;
            let n = parse_i64(&args[j])
                .filter(|n| *n >= 1)
                .ok_or_else(|| err("ERR count should be greater than 0"))?;
            count = Some(n as usize);
        } else {
            return Err(err(SYNTAX));
        }
        j += 1;
    }
    Ok(MpopArgs {
        keys: at + 1..where_at,
        max,
        count: count.unwrap_or(1),
    })
}

fn mpop_reply(key: &Bytes, items: Vec<Pair>) -> Frame {
    Frame::Array(vec![Frame::Bulk(key.clone()), Frame::pairs(items, true)])
}

/// `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`
pub fn zmpop(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let p = match parse_mpop(args, 1) {
        Ok(p) => p,
        Err(e) => return e,
    };
    // Like ZPOP: the first key that exists is the one popped from.
    for key in &args[p.keys] {
        match probe(ctx, key) {
            Err(e) => return e,
            Ok(Probe::Missing) => continue,
            Ok(_) => {
                return match pop_n(ctx, key, p.max, p.count) {
                    Err(e) => e,
                    Ok(items) => mpop_reply(key, items),
                }
            }
        }
    }
    Frame::NullArray
}

/// `BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]`
pub fn bzmpop(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let p = match parse_mpop(args, 2) {
        Ok(p) => p,
        Err(e) => return e,
    };
    if let Err(e) = blocking_timeout(&args[1]) {
        return e;
    }
    pop_first_ready(ctx, &args[p.keys], p.max, p.count, mpop_reply)
}

/// The key positions of `numkeys key...` with numkeys at `args[at]`.
pub(super) fn numkeys_keys(args: &[Bytes], at: usize) -> Option<Vec<usize>> {
    let n = parse_i64(args.get(at)?).filter(|n| *n >= 1)? as usize;
    (at + n < args.len()).then(|| (at + 1..=at + n).collect())
}

/// Key positions of ZMPOP.
pub fn zmpop_keys(args: &[Bytes]) -> Option<Vec<usize>> {
    numkeys_keys(args, 1)
}

/// Key positions of BZMPOP.
pub fn bzmpop_keys(args: &[Bytes]) -> Option<Vec<usize>> {
    numkeys_keys(args, 2)
}
