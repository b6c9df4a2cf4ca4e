//! Hash field commands: set, get, delete, count and increment fields.
//!
//! Valkey parses numeric arguments before it looks the key up (HINCRBY's
//! increment) and checks the pair count before anything else (HSET), so
//! the handlers follow that order to fail with the same error first.

use bytes::Bytes;

use super::Hash;
use crate::command::Ctx;
use crate::errors::{err, wrong_arity, NOT_FLOAT, NOT_INTEGER, OVERFLOW};
use crate::resp::Frame;
use crate::util::{format_human_double, parse_f64, parse_i64};

/// A bulk reply copying `b` out of the hash.
fn bulk(b: &[u8]) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(b))
}

/// Sets the pairs `args[2..]`; returns how many fields were new.
fn set_pairs(ctx: &mut Ctx, args: &[Bytes]) -> Result<usize, Frame> {
    let limits = ctx.ks.limits;
    let hash = ctx.write_or_create::<Hash>(&args[1], Hash::new)?;
    // Like Valkey, a write bringing more pairs than a listpack may hold
    // converts up front, even if some fields repeat.
    if (args.len() - 2) / 2 > limits.hash_max_listpack_entries {
        hash.convert();
    }
    let mut added = 0;
    for pair in args[2..].chunks_exact(2) {
        if hash.insert(&pair[0], &pair[1], &limits) {
            added += 1;
        }
    }
    ctx.dirty(((args.len() - 2) / 2) as u64);
    Ok(added)
}

/// `HSET key field value [field value ...]`
pub(super) fn hset(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    if args.len() % 2 == 1 {
        return wrong_arity("hset");
    }
    set_pairs(ctx, args).map_or_else(|e| e, Frame::int)
}

/// `HMSET key field value [field value ...]`
pub(super) fn hmset(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    if args.len() % 2 == 1 {
        return wrong_arity("hmset");
    }
    set_pairs(ctx, args).map_or_else(|e| e, |_| Frame::ok())
}

/// `HSETNX key field value`
pub(super) fn hsetnx(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let limits = ctx.ks.limits;
    let hash = match ctx.write_or_create::<Hash>(&args[1], Hash::new) {
        Ok(h) => h,
        Err(e) => return e,
    };
    if hash.get(&args[2]).is_some() {
        return Frame::Integer(0);
    }
    hash.insert(&args[2], &args[3], &limits);
    ctx.dirty(1);
    Frame::Integer(1)
}

/// `HGET key field`
pub(super) fn hget(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match ctx.read::<Hash>(&args[1]) {
        Ok(h) => h.and_then(|h| h.get(&args[2])).map_or(Frame::Null, bulk),
        Err(e) => e,
    }
}

/// `HMGET key field [field ...]`
pub(super) fn hmget(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match ctx.read::<Hash>(&args[1]) {
        Ok(h) => Frame::Array(
            args[2..]
                .iter()
                .map(|f| h.and_then(|h| h.get(f)).map_or(Frame::Null, bulk))
                .collect(),
        ),
        Err(e) => e,
    }
}

/// `HDEL key field [field ...]`
pub(super) fn hdel(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let hash = match ctx.write::<Hash>(&args[1]) {
        Ok(Some(h)) => h,
        Ok(None) => return Frame::Integer(0),
        Err(e) => return e,
    };
    let mut removed = 0;
    for f in &args[2..] {
        if hash.remove(f) {
            removed += 1;
        }
        if hash.is_empty() {
            break;
        }
    }
    ctx.drop_if_empty::<Hash>(&args[1]);
    ctx.dirty(removed);
    Frame::int(removed)
}

/// `HLEN key`
pub(super) fn hlen(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match ctx.read::<Hash>(&args[1]) {
        Ok(h) => Frame::int(h.map_or(0, Hash::len)),
        Err(e) => e,
    }
}

/// `HSTRLEN key field`
pub(super) fn hstrlen(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match ctx.read::<Hash>(&args[1]) {
        Ok(h) => Frame::int(h.and_then(|h| h.get(&args[2])).map_or(0, <[u8]>::len)),
        Err(e) => e,
    }
}

/// `HEXISTS key field`
pub(super) fn hexists(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match ctx.read::<Hash>(&args[1]) {
        Ok(h) => Frame::int(h.and_then(|h| h.get(&args[2])).is_some() as i64),
        Err(e) => e,
    }
}

/// `HKEYS key`
pub(super) fn hkeys(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match ctx.read::<Hash>(&args[1]) {
        Ok(h) => Frame::bulks(
            h.into_iter()
                .flat_map(|h| h.iter().map(|(f, _)| Bytes::copy_from_slice(f))),
        ),
        Err(e) => e,
    }
}

/// `HVALS key`
pub(super) fn hvals(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match ctx.read::<Hash>(&args[1]) {
        Ok(h) => Frame::bulks(
            h.into_iter()
                .flat_map(|h| h.iter().map(|(_, v)| Bytes::copy_from_slice(v))),
        ),
        Err(e) => e,
    }
}

/// `HGETALL key`: a map (RESP3) or a flat array of field, value (RESP2).
pub(super) fn hgetall(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match ctx.read::<Hash>(&args[1]) {
        Ok(h) => Frame::Map(
            h.into_iter()
                .flat_map(|h| h.iter())
                .map(|(f, v)| (bulk(f), bulk(v)))
                .collect(),
        ),
        Err(e) => e,
    }
}

/// `HINCRBY key field increment`
pub(super) fn hincrby(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let Some(incr) = parse_i64(&args[3]) else {
        return err(NOT_INTEGER);
    };
    let limits = ctx.ks.limits;
    let hash = match ctx.write_or_create::<Hash>(&args[1], Hash::new) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let current = match hash.get(&args[2]) {
        None => 0,
        Some(v) => match parse_i64(v) {
            Some(n) => n,
            None => return err("ERR hash value is not an integer"),
        },
    };
    let Some(new) = current.checked_add(incr) else {
        return err(OVERFLOW);
    };
    hash.insert(
        &args[2],
        itoa::Buffer::new().format(new).as_bytes(),
        &limits,
    );
    ctx.dirty(1);
    Frame::Integer(new)
}

/// `HINCRBYFLOAT key field increment`: the result is stored and returned
/// in Valkey's human format (no exponent).
pub(super) fn hincrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let Some(incr) = parse_f64(&args[3]) else {
        return err(NOT_FLOAT);
    };
    if !incr.is_finite() {
        return err("ERR value is NaN or Infinity");
    }
    let limits = ctx.ks.limits;
    let hash = match ctx.write_or_create::<Hash>(&args[1], Hash::new) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let current = match hash.get(&args[2]) {
        None => 0.0,
        Some(v) => match parse_f64(v) {
            Some(n) => n,
            None => return err("ERR hash value is not a float"),
        },
    };
    let new = current + incr;
    if !new.is_finite() {
        return err("ERR increment would produce NaN or Infinity");
    }
    let text = Bytes::from(format_human_double(new));
    hash.insert(&args[2], &text, &limits);
    ctx.dirty(1);
    Frame::Bulk(text)
}
