//! Counters: INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT.
//!
//! The value stays a decimal string (that is what GET returns); a counter
//! keeps the key's time to live, as Valkey's in-place update does.

use bytes::Bytes;

use super::{get_str, settle_key};
use crate::command::Ctx;
use crate::errors::{err, NOT_FLOAT, NOT_INTEGER, OVERFLOW};
use crate::keyspace::{StrEncoding, Value};
use crate::resp::Frame;
use crate::util::{format_human_double, parse_f64, parse_i64};

fn incr_by(ctx: &mut Ctx, key: &Bytes, delta: i64) -> Frame {
    let old = match get_str(ctx, key) {
        Ok(None) => 0,
        Ok(Some(s)) => match parse_i64(&s) {
            Some(n) => n,
            None => return err(NOT_INTEGER),
        },
        Err(e) => return e,
    };
    let Some(new) = old.checked_add(delta) else {
        return err(OVERFLOW);
    };
    let db = ctx.db;
    ctx.set_in(
        db,
        key.clone(),
        Value::Str(Bytes::from(new.to_string())),
        true,
    );
    ctx.dirty(1);
    Frame::Integer(new)
}

fn increment(arg: &[u8]) -> Result<i64, Frame> {
    parse_i64(arg).ok_or_else(|| err(NOT_INTEGER))
}

pub(super) fn incr(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    incr_by(ctx, &args[1], 1)
}

pub(super) fn decr(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    incr_by(ctx, &args[1], -1)
}

pub(super) fn incrby(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match increment(&args[2]) {
        Ok(n) => incr_by(ctx, &args[1], n),
        Err(e) => e,
    }
}

pub(super) fn decrby(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match increment(&args[2]) {
        Ok(i64::MIN) => err("ERR decrement would overflow"),
        Ok(n) => incr_by(ctx, &args[1], -n),
        Err(e) => e,
    }
}

pub(super) fn incrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let key = &args[1];
    // Valkey checks the type, then the stored value, then the increment.
    let old = match get_str(ctx, key) {
        Ok(None) => 0.0,
        Ok(Some(s)) => match parse_f64(&s) {
            Some(v) => v,
            None => return err(NOT_FLOAT),
        },
        Err(e) => return e,
    };
    let Some(incr) = parse_f64(&args[2]) else {
        return err(NOT_FLOAT);
    };
    let new = old + incr;
    if !new.is_finite() {
        return err("ERR increment would produce NaN or Infinity");
    }
    let text = Bytes::from(format_human_double(new));
    let db = ctx.db;
    ctx.set_in(db, key.clone(), Value::Str(text.clone()), true);
    if let Some(e) = ctx.ks.dbs[db].entries.get_mut(key) {
        // Stored as a plain string, never integer-encoded (even "2").
        e.str_enc = StrEncoding::NoInt;
    }
    settle_key(ctx, db, key);
    ctx.dirty(1);
    Frame::Bulk(text)
}
