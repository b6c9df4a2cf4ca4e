//! Type-independent key commands (DEL, EXISTS, TYPE, RENAME, COPY, MOVE,
//! TOUCH, ...), database-wide commands (`db`) and OBJECT (`object`).
//!
//! Commands that relocate a key (RENAME, MOVE, COPY) move or clone the
//! whole entry so the value keeps its time to live and, where Valkey keeps
//! the same object, its access bookkeeping.

mod db;
mod object;

use bytes::Bytes;

use crate::command::{cmd, flags::*, CommandSpec, Ctx, Handler};
use crate::errors::{err, DB_OUT_OF_RANGE, NOT_INTEGER, NO_SUCH_KEY, SYNTAX};
use crate::keyspace::Entry;
use crate::resp::Frame;
use crate::types::string::settle_key;
use crate::util::parse_i64;

/// `ERR source and destination objects are the same`.
const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// Parses a database index as Valkey's `getIntFromObjectOrReply`: an
/// integer in 32-bit range (`msg` replaces the default errors).
fn parse_int32(arg: &[u8], msg: Option<&str>) -> Result<i64, Frame> {
    let fail = |default: &str| err(msg.unwrap_or(default));
    let n = parse_i64(arg).ok_or_else(|| fail(NOT_INTEGER))?;
    if n < i32::MIN as i64 || n > i32::MAX as i64 {
        return Err(fail(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    Ok(n)
}

/// A database index that must name an existing database.
fn db_index(ctx: &Ctx, arg: &[u8]) -> Result<usize, Frame> {
    let n = parse_int32(arg, None)?;
    if n < 0 || n as usize >= ctx.ks.dbs.len() {
        return Err(err(DB_OUT_OF_RANGE));
    }
    Ok(n as usize)
}

/// Places `entry` at `key` in database `db` with expiry `expire`, as a
/// changed key (new version, wakes blocked clients).
fn place(ctx: &mut Ctx, db: usize, key: &Bytes, mut entry: Entry, expire: Option<i64>) {
    entry.version = ctx.ks.seq;
    let d = &mut ctx.ks.dbs[db];
    d.entries.insert(key.clone(), entry);
    match expire {
        Some(at) => d.expires.insert(key.clone(), at),
        None => d.expires.remove(key),
    };
    ctx.touched.push((db, key.clone()));
    settle_key(ctx, db, key);
}

fn del(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let n = args[1..].iter().filter(|k| ctx.delete(k)).count();
    ctx.dirty(n as u64);
    Frame::int(n)
}

fn exists(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    Frame::int(args[1..].iter().filter(|k| ctx.exists(k)).count())
}

fn touch(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    Frame::int(args[1..].iter().filter(|k| ctx.get(k).is_some()).count())
}

fn type_cmd(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let db = ctx.db;
    let name = ctx
        .entry_in(db, &args[1])
        .map_or("none", |e| e.value.type_name());
    Frame::Simple(name.into())
}

fn rename_generic(ctx: &mut Ctx, args: &[Bytes], nx: bool) -> Frame {
    let (src, dst) = (&args[1], &args[2]);
    let db = ctx.db;
    if !ctx.exists(src) {
        return err(NO_SUCH_KEY);
    }
    if src == dst {
        return if nx { Frame::Integer(0) } else { Frame::ok() };
    }
    let expire = ctx.expire_at(src);
    if ctx.exists(dst) {
        if nx {
            return Frame::Integer(0);
        }
        ctx.delete(dst);
    }
    let entry = ctx.ks.dbs[db].remove(src).expect("source exists");
    ctx.touched.push((db, src.clone()));
    place(ctx, db, dst, entry, expire);
    ctx.dirty(1);
    if nx {
        Frame::Integer(1)
    } else {
        Frame::ok()
    }
}

fn rename(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    rename_generic(ctx, args, true)
}

/// COPY source destination [DB destination-db] [REPLACE]
fn copy(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let (src, dst) = (&args[1], &args[2]);
    let src_db = ctx.db;
    let mut dst_db = src_db;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        match args[i].to_ascii_lowercase().as_slice() {
            b"replace" => replace = true,
            b"db" if i + 1 < args.len() => {
                match db_index(ctx, &args[i + 1]) {
                    Ok(d) => dst_db = d,
                    Err(e) => return e,
                }
                i += 1;
            }
            _ => return err(SYNTAX),
        }
        i += 1;
    }
    if src_db == dst_db && src == dst {
        return err(SAME_OBJECT);
    }
    let now = ctx.now_ms;
    let Some(value) = ctx.get(src).cloned() else {
        return Frame::Integer(0);
    };
    let expire = ctx.expire_at(src);
    let str_enc = ctx.ks.dbs[src_db].entries.get(src).map(|e| e.str_enc);
    if ctx.entry_in(dst_db, dst).is_some() {
        if !replace {
            return Frame::Integer(0);
        }
        ctx.delete_in(dst_db, dst);
    }
    // A deep copy is a new object: fresh access bookkeeping.
    let mut entry = Entry::new(value, 0, now);
    entry.str_enc = str_enc.unwrap_or_default();
    place(ctx, dst_db, dst, entry, expire);
    ctx.dirty(1);
    Frame::Integer(1)
}

/// MOVE key db
fn move_cmd(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let key = &args[1];
    let src_db = ctx.db;
    let dst_db = match db_index(ctx, &args[2]) {
        Ok(d) => d,
        Err(e) => return e,
    };
    if src_db == dst_db {
        return err(SAME_OBJECT);
    }
    if !ctx.exists(key) {
        return Frame::Integer(0);
    }
    let expire = ctx.expire_at(key);
    if ctx.entry_in(dst_db, key).is_some() {
        return Frame::Integer(0);
    }
    let entry = ctx.ks.dbs[src_db].remove(key).expect("key exists");
    ctx.touched.push((src_db, key.clone()));
    place(ctx, dst_db, key, entry, expire);
    ctx.dirty(1);
    Frame::Integer(1)
}

/// Key and database commands.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("del", -2, WRITE, (1, -1, 1), Handler::Data(del))
        .doc("generic", "Deletes one or more keys.", "1.0.0"),
    cmd("unlink", -2, WRITE | FAST, (1, -1, 1), Handler::Data(del))
        .doc("generic", "Asynchronously deletes one or more keys.", "4.0.0"),
    cmd("exists", -2, READONLY | FAST, (1, -1, 1), Handler::Data(exists))
        .doc("generic", "Determines whether one or more keys exist.", "1.0.0"),
    cmd("touch", -2, READONLY | FAST, (1, -1, 1), Handler::Data(touch)).doc(
        "generic",
        "Returns the number of existing keys out of those specified after updating the time they were last accessed.",
        "3.2.1",
    ),
    cmd("type", 2, READONLY | FAST, (1, 1, 1), Handler::Data(type_cmd))
        .doc("generic", "Determines the type of value stored at a key.", "1.0.0"),
    cmd("rename", 3, WRITE, (1, 2, 1), Handler::Data(rename))
        .doc("generic", "Renames a key and overwrites the destination.", "1.0.0"),
    cmd("renamenx", 3, WRITE | FAST, (1, 2, 1), Handler::Data(renamenx))
        .doc("generic", "Renames a key only when the target key name doesn't exist.", "1.0.0"),
    cmd("copy", -3, WRITE | DENYOOM, (1, 2, 1), Handler::Data(copy))
        .doc("generic", "Copies the value of a key to a new key.", "6.2.0"),
    cmd("move", 3, WRITE | FAST, (1, 1, 1), Handler::Data(move_cmd))
        .doc("generic", "Moves a key to another database.", "1.0.0"),
    cmd("keys", 2, READONLY, (0, 0, 0), Handler::Data(db::keys))
        .doc("generic", "Returns all key names that match a pattern.", "1.0.0")
        .acl(&["keyspace", "dangerous"]),
    cmd("scan", -2, READONLY, (0, 0, 0), Handler::Data(db::scan))
        .doc("generic", "Iterates over the key names in the database.", "2.8.0")
        .acl(&["keyspace"]),
    cmd("randomkey", 1, READONLY, (0, 0, 0), Handler::Data(db::randomkey))
        .doc("generic", "Returns a random key name from the database.", "1.0.0")
        .acl(&["keyspace"]),
    cmd("dbsize", 1, READONLY | FAST, (0, 0, 0), Handler::Data(db::dbsize))
        .doc("server", "Returns the number of keys in the database.", "1.0.0")
        .acl(&["keyspace"]),
    cmd("swapdb", 3, WRITE | FAST, (0, 0, 0), Handler::Data(db::swapdb))
        .doc("server", "Swaps two databases.", "4.0.0")
        .acl(&["keyspace", "dangerous"]),
    cmd("flushdb", -1, WRITE, (0, 0, 0), Handler::Data(db::flushdb))
        .doc("server", "Remove all keys from the current database.", "1.0.0")
        .acl(&["keyspace", "dangerous"]),
    cmd("flushall", -1, WRITE, (0, 0, 0), Handler::Data(db::flushall))
        .doc("server", "Removes all keys from all databases.", "1.0.0")
        .acl(&["keyspace", "dangerous"]),
    cmd("object", -2, 0, (0, 0, 0), Handler::Data(object::help))
        .doc("generic", "A container for object introspection commands.", "2.2.3")
        .subs(object::SUBCOMMANDS),
];
