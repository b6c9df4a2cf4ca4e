//! Time to live: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX/XX/GT/LT),
//! TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST.
//!
//! Every time is computed from `ctx.now_ms`, the record's time, so that
//! replicas applying the same record set the same absolute expiry. A time
//! already past deletes the key at once, as Valkey's EXPIRE does.

use bytes::Bytes;

use crate::command::{cmd, flags::*, CommandSpec, Ctx, Handler};
use crate::errors::{err, sanitize, NOT_INTEGER};
use crate::resp::Frame;
use crate::types::string::{invalid_expire, settle_key};
use crate::util::parse_i64;

/// The NX/XX/GT/LT conditions of the EXPIRE family.
#[derive(Debug, Default)]
struct Cond {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_cond(args: &[Bytes]) -> Result<Cond, Frame> {
    let mut c = Cond::default();
    for a in args {
        match a.to_ascii_lowercase().as_slice() {
            b"nx" => c.nx = true,
            b"xx" => c.xx = true,
            b"gt" => c.gt = true,
            b"lt" => c.lt = true,
            _ => {
                return Err(Frame::Error(sanitize(format!(
                    "ERR Unsupported option {}",
                    String::from_utf8_lossy(a)
                ))))
            }
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(err(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if c.gt && c.lt {
        return Err(err(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(c)
}

/// True when the condition lets `when` replace the current expiry `cur`
/// (`None`: no expiry, which GT treats as infinite).
fn allowed(c: &Cond, cur: Option<i64>, when: i64) -> bool {
    !((c.nx && cur.is_some())
        || (c.xx && cur.is_none())
        || (c.gt && cur.is_none_or(|t| when <= t))
        || (c.lt && cur.is_some_and(|t| when >= t)))
}

/// The shared body: `relative` adds the record's time, `seconds` scales.
fn expire_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    relative: bool,
    seconds: bool,
    name: &str,
) -> Frame {
    let cond = match parse_cond(&args[3..]) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let Some(mut when) = parse_i64(&args[2]) else {
        return err(NOT_INTEGER);
    };
    if seconds {
        match when.checked_mul(1000) {
            Some(ms) => when = ms,
            None => return invalid_expire(name),
        }
    }
    if relative {
        match when.checked_add(ctx.now_ms) {
            Some(at) => when = at,
            None => return invalid_expire(name),
        }
    }
    let key = &args[1];
    if !ctx.exists(key) {
        return Frame::Integer(0);
    }
    if !allowed(&cond, ctx.expire_at(key), when) {
        return Frame::Integer(0);
    }
    ctx.set_expire(key, when);
    let db = ctx.db;
    settle_key(ctx, db, key);
    ctx.dirty(1);
    Frame::Integer(1)
}

fn expire(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    expire_generic(ctx, args, true, true, "expire")
}

fn pexpire(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    expire_generic(ctx, args, true, false, "pexpire")
}

fn expireat(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    expire_generic(ctx, args, false, true, "expireat")
}

fn pexpireat(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    expire_generic(ctx, args, false, false, "pexpireat")
}

/// TTL and friends: -2 absent, -1 no expiry; seconds are rounded.
fn ttl_generic(ctx: &mut Ctx, args: &[Bytes], ms: bool, absolute: bool) -> Frame {
    let key = &args[1];
    if !ctx.exists(key) {
        return Frame::Integer(-2);
    }
    let Some(at) = ctx.expire_at(key) else {
        return Frame::Integer(-1);
    };
    let t = if absolute {
        at
    } else {
        (at - ctx.now_ms).max(0)
    };
    Frame::Integer(if ms { t } else { (t + 500) / 1000 })
}

fn ttl(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    ttl_generic(ctx, args, false, false)
}

fn pttl(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    ttl_generic(ctx, args, true, false)
}

fn expiretime(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    ttl_generic(ctx, args, false, true)
}

fn pexpiretime(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    ttl_generic(ctx, args, true, true)
}

fn persist(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let key = &args[1];
    if !ctx.exists(key) || !ctx.persist(key) {
        return Frame::Integer(0);
    }
    ctx.touched.push((ctx.db, key.clone()));
    ctx.dirty(1);
    Frame::Integer(1)
}

/// The expiry commands.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("expire", -3, WRITE | FAST, (1, 1, 1), Handler::Data(expire)).doc(
        "generic",
        "Sets the expiration time of a key in seconds.",
        "1.0.0",
    ),
    cmd(
        "pexpire",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        Handler::Data(pexpire),
    )
    .doc(
        "generic",
        "Sets the expiration time of a key in milliseconds.",
        "2.6.0",
    ),
    cmd(
        "expireat",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        Handler::Data(expireat),
    )
    .doc(
        "generic",
        "Sets the expiration time of a key to a Unix timestamp.",
        "1.2.0",
    ),
    cmd(
        "pexpireat",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        Handler::Data(pexpireat),
    )
    .doc(
        "generic",
        "Sets the expiration time of a key to a Unix milliseconds timestamp.",
        "2.6.0",
    ),
    cmd("ttl", 2, READONLY | FAST, (1, 1, 1), Handler::Data(ttl)).doc(
        "generic",
        "Returns the expiration time in seconds of a key.",
        "1.0.0",
    ),
    cmd("pttl", 2, READONLY | FAST, (1, 1, 1), Handler::Data(pttl)).doc(
        "generic",
        "Returns the expiration time in milliseconds of a key.",
        "2.6.0",
    ),
    cmd(
        "expiretime",
        2,
        READONLY | FAST,
        (1, 1, 1),
        Handler::Data(expiretime),
    )
    .doc(
        "generic",
        "Returns the expiration time of a key as a Unix timestamp.",
        "7.0.0",
    ),
    cmd(
        "pexpiretime",
        2,
        READONLY | FAST,
        (1, 1, 1),
        Handler::Data(pexpiretime),
    )
    .doc(
        "generic",
        "Returns the expiration time of a key as a Unix milliseconds timestamp.",
        "7.0.0",
    ),
    cmd(
        "persist",
        2,
        WRITE | FAST,
        (1, 1, 1),
        Handler::Data(persist),
    )
    .doc("generic", "Removes the expiration time of a key.", "2.2.0"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions() {
        let c = |s: &str| Cond {
            nx: s.contains('n'),
            xx: s.contains('x'),
            gt: s.contains('g'),
            lt: s.contains('l'),
        };
        assert!(allowed(&c("n"), None, 5));
        assert!(!allowed(&c("n"), Some(1), 5));
        assert!(!allowed(&c("x"), None, 5));
        assert!(!allowed(&c("g"), None, 5));
        assert!(allowed(&c("g"), Some(4), 5));
        assert!(!allowed(&c("g"), Some(5), 5));
        assert!(allowed(&c("l"), None, 5));
        assert!(!allowed(&c("l"), Some(5), 5));
        assert!(allowed(&c("xl"), Some(6), 5));
    }
}
