//! Single-key sorted-set commands: ZADD/ZINCRBY, ZREM, ZCARD, ZCOUNT,
//! ZLEXCOUNT, ZSCORE, ZMSCORE, ZRANK/ZREVRANK — and [`modify`], the one
//! way the write commands of this type change a value.
//!
//! Every command validates its arguments before looking at the key, as
//! Valkey does, so a malformed call fails the same way on a missing key.

use bytes::Bytes;

use super::range::{LexRange, ScoreRange};
use super::ZSet;
use crate::command::ctx::Kind;
use crate::command::Ctx;
use crate::errors::{err, wrong_arity, NOT_FLOAT, SYNTAX, WRONGTYPE};
use crate::keyspace::EncodingLimits;
use crate::resp::Frame;
use crate::util::parse_f64;

/// Runs `f` on the sorted set at `key` for writing. `f` returns its result
/// and how many changes it made; with none, the key's version is put back
/// so WATCH does not see a change (Valkey signals only real changes). With
/// some, they count as dirty and an emptied set is deleted.
/// `Ok(None)`: no such key; `Err`: WRONGTYPE.
pub(super) fn modify<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&mut ZSet, &EncodingLimits) -> (R, u64),
) -> Result<Option<R>, Frame> {
    let db = ctx.db;
    let version = match ctx.entry_in(db, key) {
        None => return Ok(None),
        Some(e) if ZSet::of(&e.value).is_none() => return Err(err(WRONGTYPE)),
        Some(e) => e.version,
    };
    let limits = ctx.ks.limits;
    let z = ctx.write::<ZSet>(key)?.expect("checked above");
    let (out, changes) = f(z, &limits);
    if changes == 0 {
        if let Some(e) = ctx.entry_in(db, key) {
            e.version = version;
        }
    } else {
        ctx.dirty(changes);
        ctx.drop_if_empty::<ZSet>(key);
    }
    Ok(Some(out))
}

/// Checks the type of `key` for a write command without counting a
/// keyspace hit or miss: `Ok(true)` when it holds a sorted set.
pub(super) fn zset_exists(ctx: &mut Ctx, key: &[u8]) -> Result<bool, Frame> {
    let db = ctx.db;
    match ctx.entry_in(db, key) {
        None => Ok(false),
        Some(e) if ZSet::of(&e.value).is_none() => Err(err(WRONGTYPE)),
        Some(_) => Ok(true),
    }
}

/// What ZADD's options ask for.
#[derive(Default)]
struct AddOpts {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// Outcome of one score-member pair.
enum Outcome {
    Added(f64),
    Updated(f64),
    Same(f64),
    Skipped,
    NaN,
}

fn add_one(z: &mut ZSet, o: &AddOpts, score: f64, m: &Bytes, l: &EncodingLimits) -> Outcome {
    match z.score(m) {
        Some(cur) => {
            if o.nx {
                return Outcome::Skipped;
            }
            let new = if o.incr { score + cur } else { score };
            if new.is_nan() {
                return Outcome::NaN;
            }
            if (o.lt && new >= cur) || (o.gt && new <= cur) {
                return Outcome::Skipped;
            }
            if new == cur {
                return Outcome::Same(new);
            }
            z.insert(m.clone(), new, l);
            Outcome::Updated(new)
        }
        None if o.xx => Outcome::Skipped,
        None => {
            z.insert(m.clone(), score, l);
            Outcome::Added(score)
        }
    }
}

/// ZADD and ZINCRBY (ZADD with INCR forced).
fn add_generic(ctx: &mut Ctx, args: &[Bytes], incr: bool) -> Frame {
    let mut o = AddOpts {
        incr,
        ..AddOpts::default()
    };
    let mut i = 2;
    while i < args.len() {
        match args[i].to_ascii_lowercase().as_slice() {
            b"nx" => o.nx = true,
            b"xx" => o.xx = true,
            b"gt" => o.gt = true,
            b"lt" => o.lt = true,
            b"ch" => o.ch = true,
            b"incr" => o.incr = true,
            _ => break,
        }
        i += 1;
    }
    let elements = args.len() - i;
    if elements == 0 || !elements.is_multiple_of(2) {
        return err(SYNTAX);
    }
    let n = elements / 2;
    if o.nx && o.xx {
        return err("ERR XX and NX options at the same time are not compatible");
    }
    if (o.nx && (o.gt || o.lt)) || (o.gt && o.lt) {
        return err("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if o.incr && n > 1 {
        return err("ERR INCR option supports a single increment-element pair");
    }
    let mut pairs = Vec::with_capacity(n);
    let mut max_len = 0;
    for p in args[i..].chunks(2) {
        let Some(score) = parse_f64(&p[0]) else {
            return err(NOT_FLOAT);
        };
        max_len = max_len.max(p[1].len());
        pairs.push((score, &p[1]));
    }
    let key = &args[1];
    let nothing = || {
        if o.incr {
            Frame::Null
        } else {
            Frame::Integer(0)
        }
    };
    match zset_exists(ctx, key) {
        Err(e) => return e,
        Ok(false) if o.xx => return nothing(),
        Ok(false) => {
            let z = ZSet::with_hint(n, max_len, &ctx.ks.limits);
            ctx.set(key.clone(), z.wrap());
        }
        Ok(true) => {}
    }
    let done = modify(ctx, key, |z, l| {
        z.maybe_convert(n, max_len, l);
        let (mut added, mut updated, mut last) = (0u64, 0u64, None);
        for (score, m) in &pairs {
            match add_one(z, &o, *score, m, l) {
                Outcome::Added(s) => (added, last) = (added + 1, Some(s)),
                Outcome::Updated(s) => (updated, last) = (updated + 1, Some(s)),
                Outcome::Same(s) => last = Some(s),
                Outcome::Skipped => {}
                Outcome::NaN => return (Err(()), added + updated),
            }
        }
        (Ok((added, updated, last)), added + updated)
    });
    match done {
        Err(e) => e,
        Ok(None) => nothing(),
        Ok(Some(Err(()))) => err("ERR resulting score is not a number (NaN)"),
        Ok(Some(Ok((_, _, last)))) if o.incr => last.map_or(Frame::Null, Frame::Double),
        Ok(Some(Ok((added, updated, _)))) => Frame::int(if o.ch { added + updated } else { added }),
    }
}

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`
pub fn zadd(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    add_generic(ctx, args, false)
}

/// `ZINCRBY key increment member`
pub fn zincrby(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    add_generic(ctx, args, true)
}

/// `ZREM key member [member ...]`
pub fn zrem(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let removed = modify(ctx, &args[1], |z, _| {
        let mut n = 0;
        for m in &args[2..] {
            if z.remove(m).is_some() {
                n += 1;
            }
            if z.is_empty() {
                break;
            }
        }
        (n, n)
    });
    match removed {
        Err(e) => e,
        Ok(n) => Frame::int(n.unwrap_or(0)),
    }
}

/// Reads the sorted set at `key`, or returns `$missing` from the handler.
macro_rules! read_or {
    ($ctx:expr, $key:expr, $missing:expr) => {
        match $ctx.read::<ZSet>($key) {
            Err(e) => return e,
            Ok(None) => return $missing,
            Ok(Some(z)) => z,
        }
    };
}
pub(super) use read_or;

/// `ZCARD key`
pub fn zcard(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let z = read_or!(ctx, &args[1], Frame::Integer(0));
    Frame::int(z.len())
}

/// `ZCOUNT key min max`
pub fn zcount(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let r = match ScoreRange::parse(&args[2], &args[3]) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let z = read_or!(ctx, &args[1], Frame::Integer(0));
    Frame::int(z.count_score(&r))
}

/// `ZLEXCOUNT key min max`
pub fn zlexcount(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let r = match LexRange::parse(&args[2], &args[3]) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let z = read_or!(ctx, &args[1], Frame::Integer(0));
    Frame::int(z.count_lex(&r))
}

/// `ZSCORE key member`
pub fn zscore(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let z = read_or!(ctx, &args[1], Frame::Null);
    z.score(&args[2]).map_or(Frame::Null, Frame::Double)
}

/// `ZMSCORE key member [member ...]`
pub fn zmscore(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let z = match ctx.read::<ZSet>(&args[1]) {
        Err(e) => return e,
        Ok(z) => z,
    };
    Frame::Array(
        args[2..]
            .iter()
            .map(|m| {
                z.and_then(|z| z.score(m))
                    .map_or(Frame::Null, Frame::Double)
            })
            .collect(),
    )
}

fn rank_generic(ctx: &mut Ctx, args: &[Bytes], rev: bool) -> Frame {
    if args.len() > 4 {
        return wrong_arity(&String::from_utf8_lossy(&args[0]));
    }
    let with_score = match args.get(3) {
        None => false,
        Some(a) if a.eq_ignore_ascii_case(b"withscore") => true,
        Some(_) => return err(SYNTAX),
    };
    let missing = if with_score {
        Frame::NullArray
    } else {
        Frame::Null
    };
    let z = read_or!(ctx, &args[1], missing.clone());
    match z.rank(&args[2]) {
        None => missing,
        Some((rank, score)) => {
            let rank = if rev { z.len() - 1 - rank } else { rank };
            if with_score {
                Frame::Array(vec![Frame::int(rank), Frame::Double(score)])
            } else {
                Frame::int(rank)
            }
        }
    }
}

/// `ZRANK key member [WITHSCORE]`
pub fn zrank(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    rank_generic(ctx, args, false)
}

/// `ZREVRANK key member [WITHSCORE]`
pub fn zrevrank(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    rank_generic(ctx, args, true)
}
