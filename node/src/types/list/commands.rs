//! List commands that read or edit one list in place: pushes, length,
//! ranges, indexes, LSET, LINSERT, LREM, LTRIM and LPOS.
//!
//! Argument errors come before the key lookup or after it exactly where
//! Valkey checks them (LRANGE parses its indexes first, LINDEX looks the
//! key up first), because the order decides which error a client sees.

use bytes::Bytes;

use super::{normalise_range, positive_arg, range_arg, End, List};
use crate::command::Ctx;
use crate::errors::{err, INDEX_OUT_OF_RANGE, NOT_INTEGER, NO_SUCH_KEY, SYNTAX};
use crate::resp::Frame;
use crate::util::parse_i64;

fn int_arg(arg: &[u8]) -> Result<i64, Frame> {
    parse_i64(arg).ok_or_else(|| err(NOT_INTEGER))
}

/// Pushes `args[2..]` at `end`; with `only_existing` (LPUSHX/RPUSHX) a
/// missing key is left alone and the reply is 0.
fn push(ctx: &mut Ctx, args: &[Bytes], end: End, only_existing: bool) -> Frame {
    let limits = ctx.ks.limits;
    let list = if only_existing {
        match ctx.write::<List>(&args[1]) {
            Ok(Some(l)) => l,
            Ok(None) => return Frame::Integer(0),
            Err(e) => return e,
        }
    } else {
        match ctx.write_or_create::<List>(&args[1], List::new) {
            Ok(l) => l,
            Err(e) => return e,
        }
    };
    for v in &args[2..] {
        list.push(end, v.clone());
    }
    list.update_encoding(&limits);
    let len = list.len();
    ctx.dirty((args.len() - 2) as u64);
    Frame::int(len)
}

/// `LPUSH key element [element ...]`
pub(super) fn lpush(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    push(ctx, args, End::Left, false)
}

/// `RPUSH key element [element ...]`
pub(super) fn rpush(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    push(ctx, args, End::Right, false)
}

/// `LPUSHX key element [element ...]`
pub(super) fn lpushx(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    push(ctx, args, End::Left, true)
}

/// `RPUSHX key element [element ...]`
pub(super) fn rpushx(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    push(ctx, args, End::Right, true)
}

/// `LLEN key`
pub(super) fn llen(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match ctx.read::<List>(&args[1]) {
        Ok(l) => Frame::int(l.map_or(0, List::len)),
        Err(e) => e,
    }
}

/// `LRANGE key start stop`
pub(super) fn lrange(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let (start, stop) = match (int_arg(&args[2]), int_arg(&args[3])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let list = match ctx.read::<List>(&args[1]) {
        Ok(Some(l)) => l,
        Ok(None) => return Frame::Array(Vec::new()),
        Err(e) => return e,
    };
    match normalise_range(start, stop, list.len()) {
        Some((a, b)) => Frame::bulks(list.iter().skip(a).take(b - a + 1).cloned()),
        None => Frame::Array(Vec::new()),
    }
}

/// Resolves a possibly negative index against `len`.
fn index_of(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 {
        index.checked_add(len as i64)?
    } else {
        index
    };
    (0..len as i64).contains(&i).then_some(i as usize)
}

/// `LINDEX key index`: the key is looked up before the index is parsed.
pub(super) fn lindex(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let list = match ctx.read::<List>(&args[1]) {
        Ok(Some(l)) => l,
        Ok(None) => return Frame::Null,
        Err(e) => return e,
    };
    let index = match parse_i64(&args[2]) {
        Some(i) => i,
        None => return err(NOT_INTEGER),
    };
    match index_of(index, list.len()).and_then(|i| list.get(i)) {
        Some(v) => Frame::Bulk(v.clone()),
        None => Frame::Null,
    }
}

/// `LSET key index element`
pub(super) fn lset(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let limits = ctx.ks.limits;
    let list = match ctx.write::<List>(&args[1]) {
        Ok(Some(l)) => l,
        Ok(None) => return err(NO_SUCH_KEY),
        Err(e) => return e,
    };
    let index = match parse_i64(&args[2]) {
        Some(i) => i,
        None => return err(NOT_INTEGER),
    };
    let Some(i) = index_of(index, list.len()) else {
        return err(INDEX_OUT_OF_RANGE);
    };
    list.set(i, args[3].clone());
    list.update_encoding(&limits);
    ctx.dirty(1);
    Frame::ok()
}

/// `LINSERT key BEFORE|AFTER pivot element`
pub(super) fn linsert(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let after = if args[2].eq_ignore_ascii_case(b"after") {
        true
    } else if args[2].eq_ignore_ascii_case(b"before") {
        false
    } else {
        return err(SYNTAX);
    };
    let limits = ctx.ks.limits;
    let list = match ctx.write::<List>(&args[1]) {
        Ok(Some(l)) => l,
        Ok(None) => return Frame::Integer(0),
        Err(e) => return e,
    };
    let Some(at) = list.position(&args[3]) else {
        return Frame::Integer(-1);
    };
    list.insert(if after { at + 1 } else { at }, args[4].clone());
    list.update_encoding(&limits);
    let len = list.len();
    ctx.dirty(1);
    Frame::int(len)
}

/// `LREM key count element`
pub(super) fn lrem(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let count = match int_arg(&args[2]) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let limits = ctx.ks.limits;
    let list = match ctx.write::<List>(&args[1]) {
        Ok(Some(l)) => l,
        Ok(None) => return Frame::Integer(0),
        Err(e) => return e,
    };
    let removed = list.remove_matching(&args[3], count);
    list.update_encoding(&limits);
    ctx.drop_if_empty::<List>(&args[1]);
    ctx.dirty(removed as u64);
    Frame::int(removed)
}

/// `LTRIM key start stop`
pub(super) fn ltrim(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let (start, stop) = match (int_arg(&args[2]), int_arg(&args[3])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let limits = ctx.ks.limits;
    let list = match ctx.write::<List>(&args[1]) {
        Ok(Some(l)) => l,
        Ok(None) => return Frame::ok(),
        Err(e) => return e,
    };
    let before = list.len();
    match normalise_range(start, stop, before) {
        Some((a, b)) => list.keep_range(a, b),
        None => list.keep_range(1, 0),
    }
    list.update_encoding(&limits);
    let removed = before - list.len();
    ctx.drop_if_empty::<List>(&args[1]);
    ctx.dirty(removed as u64);
    Frame::ok()
}

/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`
pub(super) fn lpos(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen: usize = 0;
    let mut i = 3;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        let opt = &args[i];
        if opt.eq_ignore_ascii_case(b"rank") && has_value {
            rank = match range_arg(&args[i + 1], -i64::MAX, i64::MAX, None) {
                Ok(r) => r,
                Err(e) => return e,
            };
            if rank == 0 {
                return err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
            }
        } else if opt.eq_ignore_ascii_case(b"count") && has_value {
            match positive_arg(&args[i + 1], Some("COUNT can't be negative")) {
                Ok(n) => count = Some(n as usize),
                Err(e) => return e,
            }
        } else if opt.eq_ignore_ascii_case(b"maxlen") && has_value {
            match positive_arg(&args[i + 1], Some("MAXLEN can't be negative")) {
                Ok(n) => maxlen = n as usize,
                Err(e) => return e,
            }
        } else {
            return err(SYNTAX);
        }
        i += 2;
    }
    let list = match ctx.read::<List>(&args[1]) {
        Ok(Some(l)) => l,
        Ok(None) if count.is_some() => return Frame::Array(Vec::new()),
        Ok(None) => return Frame::Null,
        Err(e) => return e,
    };
    let len = list.len();
    let scan = if maxlen == 0 { len } else { maxlen.min(len) };
    // Matches to skip before reporting (RANK 2 starts at the second match).
    let mut skip = rank.unsigned_abs() - 1;
    let want = match count {
        Some(0) => usize::MAX,
        Some(n) => n,
        None => 1,
    };
    let elem = &args[2];
    let mut found = Vec::new();
    let positions: Box<dyn Iterator<Item = usize>> = if rank > 0 {
        Box::new(0..scan)
    } else {
        Box::new((len - scan..len).rev())
    };
    for p in positions {
        if found.len() >= want {
            break;
        }
        if list.get(p).is_some_and(|v| v == elem) {
            if skip > 0 {
                skip -= 1;
            } else {
                found.push(p);
            }
        }
    }
    match count {
        Some(_) => Frame::Array(found.into_iter().map(Frame::int).collect()),
        None => found.first().map_or(Frame::Null, |&p| Frame::int(p)),
    }
}
