//! OBJECT ENCODING / REFCOUNT / IDLETIME / FREQ / HELP.
//!
//! OBJECT looks keys up without touching them (the access bookkeeping it
//! reports must not change by being looked at). Idle time and frequency are
//! local bookkeeping of this node (see `keyspace::Entry`); which of the two
//! is "tracked" follows `maxmemory-policy`, with Valkey's errors.

use bytes::Bytes;

use crate::command::{cmd, flags::*, CommandSpec, Ctx, Handler};
use crate::errors::err;
use crate::keyspace::Entry;
use crate::resp::Frame;
use crate::types::string::encoding_name;

/// Runs `f` on the live entry at `args[2]`, or replies null.
fn with_entry(ctx: &mut Ctx, args: &[Bytes], f: impl FnOnce(&Entry, bool, i64) -> Frame) -> Frame {
    let db = ctx.db;
    let key = &args[2];
    let has_expire = ctx.ks.dbs[db].expires.contains_key(key);
    let now = ctx.now_ms;
    match ctx.entry_in(db, key) {
        Some(e) => f(e, has_expire, now),
        None => Frame::Null,
    }
}

fn encoding(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let key = args[2].clone();
    with_entry(ctx, args, |e, exp, _| {
        Frame::bulk(encoding_name(&key, e, exp))
    })
}

fn refcount(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    // Valkey 9 embeds the key in every stored value, so none is shared.
    with_entry(ctx, args, |_, _, _| Frame::Integer(1))
}

fn idletime(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let lfu = ctx.ks.limits.maxmemory_lfu;
    with_entry(ctx, args, |e, _, now| {
        if lfu {
            return err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
        }
        Frame::int(e.idle_secs(now))
    })
}

fn freq(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let lfu = ctx.ks.limits.maxmemory_lfu;
    with_entry(ctx, args, |e, _, now| {
        if !lfu {
            return err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
        }
        Frame::int(e.lfu_freq(now))
    })
}

/// OBJECT HELP.
pub(super) fn help(_ctx: &mut Ctx, _args: &[Bytes]) -> Frame {
    crate::server::admin::help(
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    )
}

/// OBJECT's subcommands.
pub(super) const SUBCOMMANDS: &[CommandSpec] = &[
    cmd("encoding", 3, READONLY, (2, 2, 1), Handler::Data(encoding)).doc(
        "generic",
        "Returns the internal encoding of a Valkey object.",
        "2.2.3",
    ),
    cmd("freq", 3, READONLY, (2, 2, 1), Handler::Data(freq)).doc(
        "generic",
        "Returns the logarithmic access frequency counter of a Valkey object.",
        "4.0.0",
    ),
    cmd("help", 2, LOADING | STALE, (0, 0, 0), Handler::Data(help))
        .doc(
            "generic",
            "Returns helpful text about the different subcommands.",
            "6.2.0",
        )
        .acl(&["keyspace"]),
    cmd("idletime", 3, READONLY, (2, 2, 1), Handler::Data(idletime)).doc(
        "generic",
        "Returns the time since the last access to a Valkey object.",
        "2.2.3",
    ),
    cmd("refcount", 3, READONLY, (2, 2, 1), Handler::Data(refcount)).doc(
        "generic",
        "Returns the reference count of a value of a key.",
        "2.2.3",
    ),
];
