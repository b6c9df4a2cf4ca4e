//! Strings: GET/SET and their variants, multi-key MGET/MSET, in-place
//! edits (`range`), counters (`numeric`) and LCS (`lcs`).
//!
//! SET, SETEX, GETEX and friends share one option parser and one expiry
//! validator, because Valkey's errors depend on the order in which they
//! check things (option syntax first, then the expiry value, then the key).

mod encoding;
mod lcs;
mod numeric;
mod range;
#[cfg(test)]
mod wrongtype_tests;

use bytes::Bytes;

use crate::command::{cmd, flags::*, CommandSpec, Ctx, Handler};
use crate::errors::{err, wrong_arity, NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::keyspace::Value;
use crate::resp::Frame;
use crate::util::parse_i64;

pub use encoding::name as encoding_name;

/// The string at `key`: `Ok(None)` when absent, WRONGTYPE otherwise.
pub fn get_str(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Bytes>, Frame> {
    match ctx.get(key) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.clone())),
        Some(_) => Err(err(WRONGTYPE)),
    }
}

/// Re-evaluates the OBJECT ENCODING of `key` in database `db` after a write
/// that makes Valkey rebuild the object (see `encoding`).
pub fn settle_key(ctx: &mut Ctx, db: usize, key: &[u8]) {
    let d = &mut ctx.ks.dbs[db];
    let has_expire = d.expires.contains_key(key);
    if let Some(e) = d.entries.get_mut(key) {
        encoding::settle(key, e, has_expire);
    }
}

/// `ERR invalid expire time in '<cmd>' command`.
pub fn invalid_expire(cmd: &str) -> Frame {
    Frame::Error(format!("ERR invalid expire time in '{cmd}' command"))
}

fn bulk_or_null(v: Option<Bytes>) -> Frame {
    v.map(Frame::Bulk).unwrap_or(Frame::Null)
}

/// How an expiry argument is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// Seconds from now.
    Ex,
    /// Milliseconds from now.
    Px,
    /// Unix seconds.
    ExAt,
    /// Unix milliseconds.
    PxAt,
}

/// Options of SET and GETEX.
#[derive(Debug, Default)]
struct Ext {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    ifeq: Option<Bytes>,
    expire: Option<(Unit, Bytes)>,
}

/// Parses `args[from..]` as SET options (`for_set`) or GETEX options, with
/// Valkey's rules on which options exclude which (a repeated option is
/// fine, a conflicting one is a syntax error).
fn parse_ext(args: &[Bytes], from: usize, for_set: bool) -> Result<Ext, Frame> {
    let mut o = Ext::default();
    let mut i = from;
    while i < args.len() {
        let opt = args[i].to_ascii_uppercase();
        let next = args.get(i + 1);
        let unit = match opt.as_slice() {
            b"EX" => Some(Unit::Ex),
            b"PX" => Some(Unit::Px),
            b"EXAT" => Some(Unit::ExAt),
            b"PXAT" => Some(Unit::PxAt),
            _ => None,
        };
        let other_unit = |u: Unit| o.expire.as_ref().is_some_and(|(have, _)| *have != u);
        match (opt.as_slice(), unit) {
            (b"NX", _) if for_set && !o.xx && o.ifeq.is_none() => o.nx = true,
            (b"XX", _) if for_set && !o.nx && o.ifeq.is_none() => o.xx = true,
            (b"IFEQ", _) if for_set && !o.nx && !o.xx && o.ifeq.is_none() && next.is_some() => {
                o.ifeq = next.cloned();
                i += 1;
            }
            (b"GET", _) if for_set => o.get = true,
            (b"KEEPTTL", _) if for_set && o.expire.is_none() => o.keep_ttl = true,
            (b"PERSIST", _) if !for_set && o.expire.is_none() => o.persist = true,
            (_, Some(u)) if !o.keep_ttl && !o.persist && !other_unit(u) && next.is_some() => {
                o.expire = next.map(|n| (u, n.clone()));
                i += 1;
            }
            _ => return Err(err(SYNTAX)),
        }
        i += 1;
    }
    Ok(o)
}

/// Reads an expiry argument as an absolute unix time in ms, rejecting
/// non-positive values and overflow with `cmd`'s name in the error.
fn expire_at(now_ms: i64, unit: Unit, arg: &[u8], cmd: &str) -> Result<i64, Frame> {
    let n = parse_i64(arg).ok_or_else(|| err(NOT_INTEGER))?;
    let seconds = matches!(unit, Unit::Ex | Unit::ExAt);
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return Err(invalid_expire(cmd));
    }
    let ms = if seconds { n * 1000 } else { n };
    let at = match unit {
        Unit::Ex | Unit::Px => ms.checked_add(now_ms),
        Unit::ExAt | Unit::PxAt => Some(ms),
    };
    at.filter(|&t| t > 0).ok_or_else(|| invalid_expire(cmd))
}

/// The shared body of SET, SETNX, SETEX, PSETEX: `ok`/`abort` are the
/// replies when the value is stored / not stored (GET replaces both with
/// the old value).
fn set_generic(
    ctx: &mut Ctx,
    key: &Bytes,
    value: &Bytes,
    o: &Ext,
    at: Option<i64>,
    ok: Frame,
    abort: Frame,
) -> Frame {
    let old = if o.get {
        match get_str(ctx, key) {
            Ok(v) => Some(v),
            Err(e) => return e,
        }
    } else {
        None
    };
    let answer = |stored: Frame, old: Option<Option<Bytes>>| match old {
        Some(v) => bulk_or_null(v),
        None => stored,
    };
    let found = ctx.exists(key);
    if let Some(cmp) = &o.ifeq {
        let same = match ctx.get(key) {
            None => false,
            Some(Value::Str(s)) => s == cmp,
            Some(_) => return err(WRONGTYPE),
        };
        if !same {
            return answer(abort, old);
        }
    }
    if (o.nx && found) || (o.xx && !found) {
        return answer(abort, old);
    }
    let db = ctx.db;
    if let Some(at) = at.filter(|&t| t <= ctx.now_ms) {
        // Already expired: Valkey does not store it (and drops the old key).
        let _ = at;
        if found {
            ctx.delete(key);
        }
        ctx.dirty(1);
        return answer(ok, old);
    }
    ctx.set_in(db, key.clone(), Value::Str(value.clone()), o.keep_ttl);
    if let Some(at) = at {
        ctx.set_expire(key, at);
    }
    settle_key(ctx, db, key);
    ctx.dirty(1);
    answer(ok, old)
}

fn get(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match get_str(ctx, &args[1]) {
        Ok(v) => bulk_or_null(v),
        Err(e) => e,
    }
}

/// SET key value [NX | XX | IFEQ v] [GET] [EX s | PX ms | EXAT t | PXAT t | KEEPTTL]
fn set(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let o = match parse_ext(args, 3, true) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let at = match &o.expire {
        Some((unit, arg)) => match expire_at(ctx.now_ms, *unit, arg, "set") {
            Ok(t) => Some(t),
            Err(e) => return e,
        },
        None => None,
    };
    set_generic(ctx, &args[1], &args[2], &o, at, Frame::ok(), Frame::Null)
}

fn setnx(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let o = Ext {
        nx: true,
        ..Ext::default()
    };
    set_generic(
        ctx,
        &args[1],
        &args[2],
        &o,
        None,
        Frame::Integer(1),
        Frame::Integer(0),
    )
}

fn setex_with(ctx: &mut Ctx, args: &[Bytes], unit: Unit, name: &str) -> Frame {
    let at = match expire_at(ctx.now_ms, unit, &args[2], name) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let o = Ext::default();
    set_generic(
        ctx,
        &args[1],
        &args[3],
        &o,
        Some(at),
        Frame::ok(),
        Frame::Null,
    )
}

fn setex(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    setex_with(ctx, args, Unit::Ex, "setex")
}

fn psetex(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    setex_with(ctx, args, Unit::Px, "psetex")
}

fn getset(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let old = match get_str(ctx, &args[1]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    ctx.set(args[1].clone(), Value::Str(args[2].clone()));
    ctx.dirty(1);
    bulk_or_null(old)
}

fn getdel(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let old = match get_str(ctx, &args[1]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    if old.is_some() {
        ctx.delete(&args[1]);
        ctx.dirty(1);
    }
    bulk_or_null(old)
}

/// DELIFEQ key value (Valkey 9): deletes the key only while it holds exactly
/// `value` — the lock-release pattern without a script.
fn delifeq(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match get_str(ctx, &args[1]) {
        Ok(Some(v)) if v == args[2] => {
            ctx.delete(&args[1]);
            ctx.dirty(1);
            Frame::Integer(1)
        }
        Ok(_) => Frame::Integer(0),
        Err(e) => e,
    }
}

/// GETEX key [EX s | PX ms | EXAT t | PXAT t | PERSIST]
fn getex(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let o = match parse_ext(args, 2, false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let at = match &o.expire {
        Some((unit, arg)) => match expire_at(ctx.now_ms, *unit, arg, "getex") {
            Ok(t) => Some(t),
            Err(e) => return e,
        },
        None => None,
    };
    let key = &args[1];
    let value = match get_str(ctx, key) {
        Ok(Some(v)) => v,
        Ok(None) => return Frame::Null,
        Err(e) => return e,
    };
    if let Some(at) = at {
        // A past EXAT/PXAT deletes the key (set_expire does that).
        ctx.set_expire(key, at);
        let db = ctx.db;
        settle_key(ctx, db, key);
        ctx.dirty(1);
    } else if o.persist && ctx.persist(key) {
        ctx.dirty(1);
    }
    Frame::Bulk(value)
}

fn mget(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let out = args[1..]
        .iter()
        .map(|k| match ctx.get(k) {
            Some(Value::Str(s)) => Frame::Bulk(s.clone()),
            _ => Frame::Null,
        })
        .collect();
    Frame::Array(out)
}

fn mset_generic(ctx: &mut Ctx, args: &[Bytes], nx: bool, name: &str) -> Frame {
    if args.len().is_multiple_of(2) {
        return wrong_arity(name);
    }
    if nx && args[1..].iter().step_by(2).any(|k| ctx.exists(k)) {
        return Frame::Integer(0);
    }
    for pair in args[1..].chunks(2) {
        ctx.set(pair[0].clone(), Value::Str(pair[1].clone()));
    }
    ctx.dirty((args.len() as u64 - 1) / 2);
    if nx {
        Frame::Integer(1)
    } else {
        Frame::ok()
    }
}

fn mset(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    mset_generic(ctx, args, false, "mset")
}

fn msetnx(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    mset_generic(ctx, args, true, "msetnx")
}

/// The string commands.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("get", 2, READONLY | FAST, (1, 1, 1), Handler::Data(get))
        .doc("string", "Returns the string value of a key.", "1.0.0"),
    cmd("set", -3, WRITE | DENYOOM, (1, 1, 1), Handler::Data(set))
        .doc("string", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "1.0.0"),
    cmd("setnx", 3, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(setnx))
        .doc("string", "Set the string value of a key only when the key doesn't exist.", "1.0.0"),
    cmd("setex", 4, WRITE | DENYOOM, (1, 1, 1), Handler::Data(setex))
        .doc("string", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", "2.0.0"),
    cmd("psetex", 4, WRITE | DENYOOM, (1, 1, 1), Handler::Data(psetex))
        .doc("string", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", "2.6.0"),
    cmd("getset", 3, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(getset))
        .doc("string", "Returns the previous string value of a key after setting it to a new value.", "1.0.0"),
    cmd("getdel", 2, WRITE | FAST, (1, 1, 1), Handler::Data(getdel))
        .doc("string", "Returns the string value of a key after deleting the key.", "6.2.0"),
    cmd("delifeq", 3, WRITE | FAST, (1, 1, 1), Handler::Data(delifeq))
        .doc("string", "Deletes the key if its value matches the given string.", "9.0.0"),
    cmd("getex", -2, WRITE | FAST, (1, 1, 1), Handler::Data(getex))
        .doc("string", "Returns the string value of a key after setting its expiration time.", "6.2.0"),
    cmd("mget", -2, READONLY | FAST, (1, -1, 1), Handler::Data(mget))
        .doc("string", "Atomically returns the string values of one or more keys.", "1.0.0"),
    cmd("mset", -3, WRITE | DENYOOM, (1, -1, 2), Handler::Data(mset))
        .doc("string", "Atomically creates or modifies the string values of one or more keys.", "1.0.1"),
    cmd("msetnx", -3, WRITE | DENYOOM, (1, -1, 2), Handler::Data(msetnx))
        .doc("string", "Atomically modifies the string values of one or more keys only when all keys don't exist.", "1.0.1"),
    cmd("append", 3, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(range::append))
        .doc("string", "Appends a string to the value of a key. Creates the key if it doesn't exist.", "2.0.0"),
    cmd("strlen", 2, READONLY | FAST, (1, 1, 1), Handler::Data(range::strlen))
        .doc("string", "Returns the length of a string value.", "2.2.0"),
    cmd("getrange", 4, READONLY, (1, 1, 1), Handler::Data(range::getrange))
        .doc("string", "Returns a substring of the string stored at a key.", "2.4.0"),
    cmd("substr", 4, READONLY, (1, 1, 1), Handler::Data(range::getrange))
        .doc("string", "Returns a substring from a string value.", "1.0.0"),
    cmd("setrange", 4, WRITE | DENYOOM, (1, 1, 1), Handler::Data(range::setrange))
        .doc("string", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", "2.2.0"),
    cmd("incr", 2, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(numeric::incr))
        .doc("string", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "1.0.0"),
    cmd("decr", 2, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(numeric::decr))
        .doc("string", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "1.0.0"),
    cmd("incrby", 3, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(numeric::incrby))
        .doc("string", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "1.0.0"),
    cmd("decrby", 3, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(numeric::decrby))
        .doc("string", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", "1.0.0"),
    cmd("incrbyfloat", 3, WRITE | DENYOOM | FAST, (1, 1, 1), Handler::Data(numeric::incrbyfloat))
        .doc("string", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "2.6.0"),
    cmd("lcs", -3, READONLY, (1, 2, 1), Handler::Data(lcs::lcs))
        .doc("string", "Finds the longest common substring.", "7.0.0"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<Bytes> {
        s.split(' ')
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }

    #[test]
    fn option_conflicts() {
        assert!(parse_ext(&args("SET k v EX 1 EX 2"), 3, true).is_ok());
        assert!(parse_ext(&args("SET k v NX NX GET GET"), 3, true).is_ok());
        assert!(parse_ext(&args("SET k v EX 1 PX 2"), 3, true).is_err());
        assert!(parse_ext(&args("SET k v KEEPTTL EX 1"), 3, true).is_err());
        assert!(parse_ext(&args("SET k v NX XX"), 3, true).is_err());
        assert!(parse_ext(&args("SET k v IFEQ a NX"), 3, true).is_err());
        assert!(parse_ext(&args("SET k v EX"), 3, true).is_err());
        assert!(parse_ext(&args("GETEX k PERSIST EX 1"), 2, false).is_err());
        assert!(parse_ext(&args("GETEX k KEEPTTL"), 2, false).is_err());
        assert!(parse_ext(&args("GETEX k PERSIST PERSIST"), 2, false).is_ok());
    }

    #[test]
    fn expiry_values() {
        assert_eq!(expire_at(1000, Unit::Ex, b"2", "set"), Ok(3000));
        assert_eq!(expire_at(1000, Unit::PxAt, b"5", "set"), Ok(5));
        assert_eq!(
            expire_at(0, Unit::Ex, b"0", "set"),
            Err(invalid_expire("set"))
        );
        assert_eq!(
            expire_at(0, Unit::Ex, b"9223372036854776", "set"),
            Err(invalid_expire("set"))
        );
        assert_eq!(
            expire_at(10, Unit::Px, b"9223372036854775807", "set"),
            Err(invalid_expire("set"))
        );
        assert_eq!(expire_at(0, Unit::Px, b"x", "set"), Err(err(NOT_INTEGER)));
    }
}
