//! Popping and moving list elements: LPOP/RPOP, LMOVE/RPOPLPUSH, LMPOP,
//! and the blocking BLPOP, BRPOP, BLMOVE, BRPOPLPUSH and BLMPOP.
//!
//! Blocking follows the convention at the end of `command/ctx.rs`: with
//! nothing to take, a handler marks the context blocked and returns the
//! reply the client gets on timeout; the connection waits for one of the
//! keys to change and runs the command again with `ctx.retry` set. Valkey
//! only wakes a blocked client when one of its keys holds a list, so a
//! retry that finds no list anywhere (say the key became a string) keeps
//! waiting instead of failing with WRONGTYPE.

use bytes::Bytes;

use super::{parse_end, positive_arg, range_arg, End, List};
use crate::command::Ctx;
use crate::errors::{err, wrong_arity, SYNTAX};
use crate::keyspace::Value;
use crate::resp::Frame;
use crate::types::scan::blocking_timeout;
use crate::util::parse_i64;

/// Pops up to `n` elements from the list at `key` (which must hold one),
/// keeping the encoding right and deleting the key once empty.
fn pop_n(ctx: &mut Ctx, key: &[u8], end: End, n: usize) -> Vec<Bytes> {
    let limits = ctx.ks.limits;
    let mut out = Vec::new();
    if let Ok(Some(list)) = ctx.write::<List>(key) {
        while out.len() < n {
            match list.pop(end) {
                Some(v) => out.push(v),
                None => break,
            }
        }
        list.update_encoding(&limits);
    }
    ctx.drop_if_empty::<List>(key);
    ctx.dirty(out.len() as u64);
    out
}

/// `LPOP`/`RPOP key [count]`
fn pop(ctx: &mut Ctx, args: &[Bytes], end: End, name: &str) -> Frame {
    if args.len() > 3 {
        return wrong_arity(name);
    }
    let count = match args.get(2).map(|a| positive_arg(a, None)).transpose() {
        Ok(c) => c,
        Err(e) => return e,
    };
    match ctx.read::<List>(&args[1]) {
        Ok(Some(_)) => {}
        Ok(None) if count.is_some() => return Frame::NullArray,
        Ok(None) => return Frame::Null,
        Err(e) => return e,
    }
    match count {
        None => pop_n(ctx, &args[1], end, 1)
            .pop()
            .map_or(Frame::Null, Frame::Bulk),
        Some(0) => Frame::Array(Vec::new()),
        Some(n) => Frame::bulks(pop_n(ctx, &args[1], end, n as usize)),
    }
}

/// `LPOP key [count]`
pub(super) fn lpop(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    pop(ctx, args, End::Left, "lpop")
}

/// `RPOP key [count]`
pub(super) fn rpop(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    pop(ctx, args, End::Right, "rpop")
}

/// Moves one element from `src` (at `from`) to `dst` (at `to`); a null
/// bulk when `src` is missing. Both keys are type-checked before anything
/// changes. The push happens before the source is dropped when empty, so a
/// one-element rotation (`src == dst`) keeps the key and its TTL.
fn move_one(ctx: &mut Ctx, src: &Bytes, dst: &Bytes, from: End, to: End) -> Frame {
    match ctx.read::<List>(src) {
        Ok(Some(_)) => {}
        Ok(None) => return Frame::Null,
        Err(e) => return e,
    }
    if let Err(e) = ctx.read::<List>(dst) {
        return e;
    }
    let limits = ctx.ks.limits;
    let Ok(Some(list)) = ctx.write::<List>(src) else {
        return Frame::Null;
    };
    let Some(v) = list.pop(from) else {
        return Frame::Null;
    };
    list.update_encoding(&limits);
    match ctx.write_or_create::<List>(dst, List::new) {
        Ok(d) => {
            d.push(to, v.clone());
            d.update_encoding(&limits);
        }
        Err(e) => return e,
    }
    ctx.drop_if_empty::<List>(src);
    ctx.dirty(1);
    Frame::Bulk(v)
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`
pub(super) fn lmove(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let (from, to) = match (parse_end(&args[3]), parse_end(&args[4])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    move_one(ctx, &args[1], &args[2], from, to)
}

/// `RPOPLPUSH source destination`
pub(super) fn rpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    move_one(ctx, &args[1], &args[2], End::Right, End::Left)
}

/// Parsed `numkeys key [key ...] LEFT|RIGHT [COUNT count]`.
struct MultiPop {
    keys: Vec<Bytes>,
    end: End,
    count: usize,
}

/// Parses the LMPOP arguments whose numkeys is at `at`, with Valkey's
/// errors and their order.
fn parse_multi_pop(args: &[Bytes], at: usize) -> Result<MultiPop, Frame> {
    let numkeys = range_arg(
        &args[at],
        1,
        i64::MAX,
        Some("numkeys should be greater than 0"),
    )? as u64;
    let where_at = (at as u64 + 1).saturating_add(numkeys);
    if where_at >= args.len() as u64 {
        return Err(err(SYNTAX));
    }
    let where_at = where_at as usize;
    let end = parse_end(&args[where_at])?;
    let mut count = None;
    let mut j = where_at + 1;
    while j < args.len() {
        if count.is_none() && args[j].eq_ignore_ascii_case(b"count") && j + 1 < args.len() {
            count = Some(range_arg(
                &args[j + 1],
                1,
                i64::MAX,
                Some("count should be greater than 0"),
            )?);
            j += 2;
        } else {
            return Err(err(SYNTAX));
        }
    }
    Ok(MultiPop {
        keys: args[at + 1..where_at].to_vec(),
        end,
        count: count.unwrap_or(1) as usize,
    })
}

/// The first of `keys` that holds a list; WRONGTYPE if a key of another
/// type comes first (missing keys are skipped).
fn first_list(ctx: &mut Ctx, keys: &[Bytes]) -> Result<Option<usize>, Frame> {
    for (i, k) in keys.iter().enumerate() {
        if ctx.read::<List>(k)?.is_some() {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// Pops from the first non-empty list of `keys`: `[key, [elements]]`, or
/// `None` when every key is missing.
fn multi_pop(
    ctx: &mut Ctx,
    keys: &[Bytes],
    end: End,
    count: usize,
) -> Result<Option<Frame>, Frame> {
    let Some(i) = first_list(ctx, keys)? else {
        return Ok(None);
    };
    let items = pop_n(ctx, &keys[i], end, count);
    Ok(Some(Frame::Array(vec![
        Frame::Bulk(keys[i].clone()),
        Frame::bulks(items),
    ])))
}

/// `LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`
pub(super) fn lmpop(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let p = match parse_multi_pop(args, 1) {
        Ok(p) => p,
        Err(e) => return e,
    };
    match multi_pop(ctx, &p.keys, p.end, p.count) {
        Ok(Some(reply)) => reply,
        Ok(None) => Frame::NullArray,
        Err(e) => e,
    }
}

/// Key positions of a `numkeys key...` command whose numkeys is at `at`.
fn numkeys_positions(args: &[Bytes], at: usize) -> Option<Vec<usize>> {
    let n = parse_i64(args.get(at)?)?;
    if n < 1 || (n as u64) >= (args.len() - at) as u64 {
        return None;
    }
    Some((at + 1..=at + n as usize).collect())
}

/// Key finder of LMPOP.
pub(super) fn lmpop_keys(args: &[Bytes]) -> Option<Vec<usize>> {
    numkeys_positions(args, 1)
}

/// Key finder of BLMPOP.
pub(super) fn blmpop_keys(args: &[Bytes]) -> Option<Vec<usize>> {
    numkeys_positions(args, 2)
}

/// Nothing to take: block when allowed (the connection retries), and in
/// any case answer what a timeout answers.
fn block(ctx: &mut Ctx, timeout_reply: Frame) -> Frame {
    if ctx.may_block {
        ctx.blocked = true;
    }
    timeout_reply
}

/// True on a retry that must keep waiting: none of `keys` holds a list
/// (Valkey wakes a blocked client only for a key of the type it waits on).
fn keep_waiting(ctx: &mut Ctx, keys: &[Bytes]) -> bool {
    ctx.retry
        && !keys
            .iter()
            .any(|k| matches!(ctx.get(k), Some(Value::List(_))))
}

/// BLPOP/BRPOP/BLMPOP once arguments are parsed: `[key, element]` for the
/// single pops (`count == None`), `[key, [elements]]` for BLMPOP.
fn blocking_pop(ctx: &mut Ctx, keys: &[Bytes], end: End, count: Option<usize>) -> Frame {
    if keep_waiting(ctx, keys) {
        return block(ctx, Frame::NullArray);
    }
    let Some(i) = (match first_list(ctx, keys) {
        Ok(i) => i,
        Err(e) => return e,
    }) else {
        return block(ctx, Frame::NullArray);
    };
    let items = pop_n(ctx, &keys[i], end, count.unwrap_or(1));
    let key = Frame::Bulk(keys[i].clone());
    let popped = match count {
        None => items.into_iter().next().map_or(Frame::Null, Frame::Bulk),
        Some(_) => Frame::bulks(items),
    };
    Frame::Array(vec![key, popped])
}

fn bpop(ctx: &mut Ctx, args: &[Bytes], end: End) -> Frame {
    if let Err(e) = blocking_timeout(&args[args.len() - 1]) {
        return e;
    }
    blocking_pop(ctx, &args[1..args.len() - 1], end, None)
}

/// `BLPOP key [key ...] timeout`
pub(super) fn blpop(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    bpop(ctx, args, End::Left)
}

/// `BRPOP key [key ...] timeout`
pub(super) fn brpop(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    bpop(ctx, args, End::Right)
}

/// `BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]`
pub(super) fn blmpop(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let p = match parse_multi_pop(args, 2) {
        Ok(p) => p,
        Err(e) => return e,
    };
    if let Err(e) = blocking_timeout(&args[1]) {
        return e;
    }
    blocking_pop(ctx, &p.keys, p.end, Some(p.count))
}

/// BLMOVE/BRPOPLPUSH once arguments are parsed.
fn blocking_move(ctx: &mut Ctx, args: &[Bytes], from: End, to: End, timeout: &[u8]) -> Frame {
    if let Err(e) = blocking_timeout(timeout) {
        return e;
    }
    let src = &args[1];
    if keep_waiting(ctx, std::slice::from_ref(src)) {
        return block(ctx, Frame::Null);
    }
    match ctx.read::<List>(src) {
        Ok(Some(_)) => move_one(ctx, src, &args[2], from, to),
        Ok(None) => block(ctx, Frame::Null),
        Err(e) => e,
    }
}

/// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`
pub(super) fn blmove(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let (from, to) = match (parse_end(&args[3]), parse_end(&args[4])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    blocking_move(ctx, args, from, to, &args[5])
}

/// `BRPOPLPUSH source destination timeout`
pub(super) fn brpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    blocking_move(ctx, args, End::Right, End::Left, &args[3])
}
