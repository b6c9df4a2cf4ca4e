//! Whole-database commands: KEYS, SCAN, RANDOMKEY, DBSIZE, SWAPDB, FLUSHDB,
//! FLUSHALL.
//!
//! The listing commands hide keys that are logically expired but not yet
//! deleted, as Valkey does; DBSIZE counts them, as Valkey's does. Reads
//! never delete: SCAN and RANDOMKEY report the expired keys they meet
//! through `Ctx::exists`, which turns them into deletion records.

use bytes::Bytes;
use rand::Rng;

use super::parse_int32;
use crate::command::Ctx;
use crate::errors::{err, DB_OUT_OF_RANGE, SYNTAX};
use crate::resp::Frame;
use crate::types::scan;
use crate::util::glob_match;

/// True when `key` of the selected database is past its expiry time.
fn expired(ctx: &mut Ctx, key: &[u8]) -> bool {
    let now = ctx.now_ms;
    ctx.dbm().expires.get(key).is_some_and(|&at| at <= now)
}

pub(super) fn keys(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let pattern = &args[1];
    let all = pattern.as_ref() == b"*";
    let now = ctx.now_ms;
    let d = ctx.dbm();
    let out = d
        .entries
        .keys()
        .filter(|k| all || glob_match(pattern, k, false))
        .filter(|k| d.expires.get(k).is_none_or(|&at| at > now))
        .map(|k| Frame::Bulk(Bytes::copy_from_slice(k)))
        .collect();
    Frame::Array(out)
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub(super) fn scan(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let opts = match scan::parse(args, 1, true, false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let mut found: Vec<(Bytes, &'static str)> = Vec::new();
    let next = ctx.dbm().entries.scan(opts.cursor, opts.count, |k, e| {
        found.push((Bytes::copy_from_slice(k), e.value.type_name()))
    });
    let mut items = Vec::with_capacity(found.len());
    for (key, type_name) in found {
        if expired(ctx, &key) {
            ctx.exists(&key); // reports (read) or deletes (write) it
            continue;
        }
        if opts.type_name.as_deref().is_some_and(|t| t != type_name) || !opts.matches(&key) {
            continue;
        }
        items.push(Frame::Bulk(key));
    }
    scan::reply(next, items)
}

/// How many random draws RANDOMKEY makes before walking the table.
const RANDOM_TRIES: usize = 100;

pub(super) fn randomkey(ctx: &mut Ctx, _args: &[Bytes]) -> Frame {
    for _ in 0..RANDOM_TRIES {
        let n = ctx.dbm().len();
        if n == 0 {
            return Frame::Null;
        }
        let i = ctx.rng().gen_range(0..n);
        let key = Bytes::copy_from_slice(ctx.dbm().entries.at(i).0);
        if ctx.exists(&key) {
            return Frame::Bulk(key);
        }
    }
    // Mostly expired keys: walk from a random position for a live one.
    let n = ctx.dbm().len();
    if n == 0 {
        return Frame::Null;
    }
    let start = ctx.rng().gen_range(0..n);
    let now = ctx.now_ms;
    let d = ctx.dbm();
    (0..n)
        .map(|j| d.entries.at((start + j) % n).0)
        .find(|k| d.expires.get(k).is_none_or(|&at| at > now))
        .map_or(Frame::Null, |k| Frame::Bulk(Bytes::copy_from_slice(k)))
}

pub(super) fn dbsize(ctx: &mut Ctx, _args: &[Bytes]) -> Frame {
    Frame::int(ctx.dbm().len())
}

/// SWAPDB index1 index2
pub(super) fn swapdb(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let a = match parse_int32(&args[1], Some("ERR invalid first DB index")) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let b = match parse_int32(&args[2], Some("ERR invalid second DB index")) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let n = ctx.ks.dbs.len() as i64;
    if a < 0 || b < 0 || a >= n || b >= n {
        return err(DB_OUT_OF_RANGE);
    }
    let (a, b) = (a as usize, b as usize);
    if a != b {
        ctx.ks.dbs.swap(a, b);
        // Every key of both databases now holds another value: WATCH must
        // see them as changed and blocked clients must retry.
        let seq = ctx.ks.seq;
        for db in [a, b] {
            for e in ctx.ks.dbs[db].entries.values_mut() {
                e.version = seq;
            }
            let keys: Vec<Bytes> = ctx.ks.dbs[db]
                .entries
                .keys()
                .map(|k| Bytes::copy_from_slice(k))
                .collect();
            ctx.touched.extend(keys.into_iter().map(|k| (db, k)));
        }
    }
    ctx.dirty(1);
    Frame::ok()
}

/// Checks the optional `ASYNC | SYNC` argument of FLUSHDB/FLUSHALL.
fn flush_mode(args: &[Bytes]) -> Result<(), Frame> {
    match args.len() {
        1 => Ok(()),
        2 if args[1].eq_ignore_ascii_case(b"sync") || args[1].eq_ignore_ascii_case(b"async") => {
            Ok(())
        }
        _ => Err(err(SYNTAX)),
    }
}

fn flush(ctx: &mut Ctx, db: usize) -> u64 {
    let d = &mut ctx.ks.dbs[db];
    let n = d.len() as u64;
    d.entries.clear();
    d.expires.clear();
    n
}

pub(super) fn flushdb(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    if let Err(e) = flush_mode(args) {
        return e;
    }
    let db = ctx.db;
    let n = flush(ctx, db);
    ctx.dirty(n);
    Frame::ok()
}

pub(super) fn flushall(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    if let Err(e) = flush_mode(args) {
        return e;
    }
    let n = (0..ctx.ks.dbs.len()).map(|db| flush(ctx, db)).sum::<u64>();
    ctx.dirty(n + 1);
    Frame::ok()
}
