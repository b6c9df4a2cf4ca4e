//! Strings: GET, SET and the rest of the string commands.

use bytes::Bytes;

use crate::command::{cmd, flags::*, CommandSpec, Ctx, Handler};
use crate::errors::{err, SYNTAX, WRONGTYPE};
use crate::keyspace::Value;
use crate::resp::Frame;
use crate::util::parse_i64;

/// The string at `key`: `Ok(None)` when absent, WRONGTYPE otherwise.
pub fn get_str(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Bytes>, Frame> {
    match ctx.get(key) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.clone())),
        Some(_) => Err(err(WRONGTYPE)),
    }
}

fn get(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match get_str(ctx, &args[1]) {
        Ok(Some(s)) => Frame::Bulk(s),
        Ok(None) => Frame::Null,
        Err(e) => e,
    }
}

/// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL]
fn set(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let (key, value) = (&args[1], &args[2]);
    let mut nx = false;
    let mut xx = false;
    let mut want_get = false;
    let mut keep_ttl = false;
    let mut expire_at: Option<i64> = None;
    let mut i = 3;
    while i < args.len() {
        let opt = args[i].to_ascii_uppercase();
        let has_next = i + 1 < args.len();
        match opt.as_slice() {
            b"NX" if !xx => nx = true,
            b"XX" if !nx => xx = true,
            b"GET" => want_get = true,
            b"KEEPTTL" if expire_at.is_none() => keep_ttl = true,
            b"EX" | b"PX" | b"EXAT" | b"PXAT" if has_next && !keep_ttl && expire_at.is_none() => {
                i += 1;
                let Some(n) = parse_i64(&args[i]) else {
                    return err(crate::errors::NOT_INTEGER);
                };
                let at = match opt.as_slice() {
                    b"EX" => n
                        .checked_mul(1000)
                        .and_then(|ms| ms.checked_add(ctx.now_ms)),
                    b"PX" => n.checked_add(ctx.now_ms),
                    b"EXAT" => n.checked_mul(1000),
                    _ => Some(n),
                };
                match at {
                    Some(at) if n > 0 => expire_at = Some(at),
                    _ => return err("ERR invalid expire time in 'set' command"),
                }
            }
            _ => return err(SYNTAX),
        }
        i += 1;
    }
    let old = if want_get {
        match get_str(ctx, key) {
            Ok(v) => Some(v),
            Err(e) => return e,
        }
    } else {
        None
    };
    let exists = ctx.exists(key);
    if (nx && exists) || (xx && !exists) {
        return match old {
            Some(v) => v.map(Frame::Bulk).unwrap_or(Frame::Null),
            None => Frame::Null,
        };
    }
    let db = ctx.db;
    ctx.set_in(db, key.clone(), Value::Str(value.clone()), keep_ttl);
    if let Some(at) = expire_at {
        ctx.set_expire(key, at);
    }
    ctx.dirty(1);
    match old {
        Some(v) => v.map(Frame::Bulk).unwrap_or(Frame::Null),
        None => Frame::ok(),
    }
}

/// The string commands.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("get", 2, READONLY | FAST, (1, 1, 1), Handler::Data(get))
        .doc("string", "Returns the string value of a key.", "1.0.0"),
    cmd("set", -3, WRITE | DENYOOM, (1, 1, 1), Handler::Data(set))
        .doc("string", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "1.0.0"),
];
