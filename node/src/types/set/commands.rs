//! The single-set commands: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER,
//! SCARD, SMOVE and SSCAN, plus the typed lookups the other set command
//! modules share.
//!
//! Writes look their set up without marking the key modified and mark it
//! only when something changed, because a no-op (SADD of present members,
//! SREM of absent ones) must not invalidate a client's WATCH, as in Valkey.

use bytes::Bytes;

use super::{Elem, Set};
use crate::command::ctx::Kind;
use crate::command::{cmd, flags::*, CommandSpec, Ctx, Handler};
use crate::errors::{err, WRONGTYPE};
use crate::resp::Frame;
use crate::types::scan;

/// The set at `key` for a write, without marking the key modified:
/// `Ok(None)` when absent, `Err(WRONGTYPE)` for another type.
pub(super) fn lookup_write<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut Set>, Frame> {
    let db = ctx.db;
    match ctx.entry_in(db, key) {
        None => Ok(None),
        Some(e) => Set::of_mut(&mut e.value)
            .map(Some)
            .ok_or_else(|| err(WRONGTYPE)),
    }
}

/// The set at `key`, which the caller just checked exists.
pub(super) fn existing<'c>(ctx: &'c mut Ctx, key: &[u8]) -> &'c mut Set {
    match lookup_write(ctx, key) {
        Ok(Some(s)) => s,
        _ => unreachable!("the set was checked to exist"),
    }
}

/// Marks `key` as changed (WATCH versions, blocked-client wake-ups).
pub(super) fn modified(ctx: &mut Ctx, key: &[u8]) {
    let _ = ctx.get_mut(key);
}

/// SADD key member [member ...]
fn sadd(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let key = &args[1];
    let members = &args[2..];
    let limits = ctx.ks.limits;
    let exists = match lookup_write(ctx, key) {
        Ok(s) => s.is_some(),
        Err(e) => return e,
    };
    if !exists {
        let set = Set::with_hint(&members[0], members.len(), &limits);
        ctx.set(key.clone(), set.wrap());
    }
    let set = existing(ctx, key);
    if exists {
        set.reserve_for(members.len(), &limits);
    }
    let added = members
        .iter()
        .filter(|m| set.insert_arg(m, &limits))
        .count();
    if added > 0 {
        modified(ctx, key);
        ctx.dirty(added as u64);
    }
    Frame::int(added)
}

/// SREM key member [member ...]
fn srem(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let key = &args[1];
    let set = match lookup_write(ctx, key) {
        Ok(Some(s)) => s,
        Ok(None) => return Frame::Integer(0),
        Err(e) => return e,
    };
    let mut removed = 0;
    for m in &args[2..] {
        if set.remove(m) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    let now_empty = set.is_empty();
    if removed > 0 {
        if now_empty {
            ctx.delete(key);
        } else {
            modified(ctx, key);
        }
        ctx.dirty(removed);
    }
    Frame::int(removed)
}

/// SMEMBERS key
fn smembers(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match ctx.read::<Set>(&args[1]) {
        Ok(Some(s)) => s.reply(),
        Ok(None) => Frame::Set(Vec::new()),
        Err(e) => e,
    }
}

/// SISMEMBER key member
fn sismember(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match ctx.read::<Set>(&args[1]) {
        Ok(s) => Frame::Integer(s.is_some_and(|s| s.contains(&args[2])) as i64),
        Err(e) => e,
    }
}

/// SMISMEMBER key member [member ...]
fn smismember(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match ctx.read::<Set>(&args[1]) {
        Ok(s) => Frame::Array(
            args[2..]
                .iter()
                .map(|m| Frame::Integer(s.is_some_and(|s| s.contains(m)) as i64))
                .collect(),
        ),
        Err(e) => e,
    }
}

/// SCARD key
fn scard(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match ctx.read::<Set>(&args[1]) {
        Ok(s) => Frame::int(s.map_or(0, Set::len)),
        Err(e) => e,
    }
}

/// SMOVE source destination member
fn smove(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let (src, dst, member) = (&args[1], &args[2], &args[3]);
    let limits = ctx.ks.limits;
    // Valkey looks both up first; a missing source wins over a destination
    // of the wrong type.
    let src_state = lookup_write(ctx, src).map(|s| s.is_some());
    let dst_state = lookup_write(ctx, dst).map(|s| s.is_some());
    match src_state {
        Ok(false) => return Frame::Integer(0),
        Err(e) => return e,
        Ok(true) => {}
    }
    let dst_exists = match dst_state {
        Ok(x) => x,
        Err(e) => return e,
    };
    if src == dst {
        return Frame::Integer(existing(ctx, src).contains(member) as i64);
    }
    let set = existing(ctx, src);
    if !set.remove(member) {
        return Frame::Integer(0);
    }
    if set.is_empty() {
        ctx.delete(src);
    } else {
        modified(ctx, src);
    }
    ctx.dirty(1);
    if !dst_exists {
        ctx.set(dst.clone(), Set::with_hint(member, 1, &limits).wrap());
    }
    if existing(ctx, dst).insert_arg(member, &limits) {
        modified(ctx, dst);
        ctx.dirty(1);
    }
    Frame::Integer(1)
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
fn sscan(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    // Valkey checks the cursor, then the key, then the options.
    if let Err(e) = scan::parse(&args[..3], 2, false, false) {
        return e;
    }
    let set = match ctx.read::<Set>(&args[1]) {
        Ok(Some(s)) => s,
        Ok(None) => return scan::reply(0, Vec::new()),
        Err(e) => return e,
    };
    let opts = match scan::parse(args, 2, false, false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let mut items = Vec::new();
    let next = match set {
        // Compact encodings are returned whole, whatever the cursor.
        Set::Intset(_) | Set::Listpack(_) => {
            items.extend(
                set.iter()
                    .filter(|e| e.with_slice(|s| opts.matches(s)))
                    .map(Elem::frame),
            );
            0
        }
        Set::Table(d) => d.scan(opts.cursor, opts.count, |k, _| {
            if opts.matches(k) {
                items.push(Frame::Bulk(k.clone()));
            }
        }),
    };
    scan::reply(next, items)
}

pub(super) const SADD: CommandSpec = cmd(
    "sadd",
    -3,
    WRITE | DENYOOM | FAST,
    (1, 1, 1),
    Handler::Data(sadd),
)
.doc(
    "set",
    "Adds one or more members to a set. Creates the key if it doesn't exist.",
    "1.0.0",
);

pub(super) const SREM: CommandSpec = cmd("srem", -3, WRITE | FAST, (1, 1, 1), Handler::Data(srem))
    .doc(
        "set",
        "Removes one or more members from a set. Deletes the set if the last member was removed.",
        "1.0.0",
    );

pub(super) const SMEMBERS: CommandSpec =
    cmd("smembers", 2, READONLY, (1, 1, 1), Handler::Data(smembers)).doc(
        "set",
        "Returns all members of a set.",
        "1.0.0",
    );

pub(super) const SISMEMBER: CommandSpec = cmd(
    "sismember",
    3,
    READONLY | FAST,
    (1, 1, 1),
    Handler::Data(sismember),
)
.doc(
    "set",
    "Determines whether a member belongs to a set.",
    "1.0.0",
);

pub(super) const SMISMEMBER: CommandSpec = cmd(
    "smismember",
    -3,
    READONLY | FAST,
    (1, 1, 1),
    Handler::Data(smismember),
)
.doc(
    "set",
    "Determines whether multiple members belong to a set.",
    "6.2.0",
);

pub(super) const SCARD: CommandSpec =
    cmd("scard", 2, READONLY | FAST, (1, 1, 1), Handler::Data(scard)).doc(
        "set",
        "Returns the number of members in a set.",
        "1.0.0",
    );

pub(super) const SMOVE: CommandSpec =
    cmd("smove", 4, WRITE | FAST, (1, 2, 1), Handler::Data(smove)).doc(
        "set",
        "Moves a member from one set to another.",
        "1.0.0",
    );

pub(super) const SSCAN: CommandSpec = cmd("sscan", -3, READONLY, (1, 1, 1), Handler::Data(sscan))
    .doc("set", "Iterates over members of a set.", "2.8.0");
