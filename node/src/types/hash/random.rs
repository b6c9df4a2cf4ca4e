//! Commands that sample or walk a whole hash: HRANDFIELD and HSCAN.
//!
//! Random picks go by storage position (`Hash::at`) with the context's
//! seeded generator, so a replica applying the same record draws the same
//! fields; HashMap iteration order never decides anything.

use bytes::Bytes;
use rand::Rng;

use super::Hash;
use crate::command::Ctx;
use crate::errors::{err, SYNTAX};
use crate::resp::Frame;
use crate::types::list::range_arg;
use crate::types::scan;

/// Field (and value) replies of HRANDFIELD: `[f, v]` pairs in RESP3 and a
/// flat `f, v, ...` array in RESP2 when `with_values`.
fn reply(pairs: Vec<(Bytes, Bytes)>, with_values: bool, resp3: bool) -> Frame {
    if !with_values {
        return Frame::bulks(pairs.into_iter().map(|(f, _)| f));
    }
    if resp3 {
        Frame::Array(
            pairs
                .into_iter()
                .map(|(f, v)| Frame::Array(vec![Frame::Bulk(f), Frame::Bulk(v)]))
                .collect(),
        )
    } else {
        Frame::Array(
            pairs
                .into_iter()
                .flat_map(|(f, v)| [Frame::Bulk(f), Frame::Bulk(v)])
                .collect(),
        )
    }
}

fn owned((f, v): (&[u8], &[u8])) -> (Bytes, Bytes) {
    (Bytes::copy_from_slice(f), Bytes::copy_from_slice(v))
}

/// The pairs at storage positions `picks`: a table indexes its slab, a
/// packed hash (at most a few hundred entries) is walked once.
fn pairs_at(h: &Hash, picks: &[usize]) -> Vec<(Bytes, Bytes)> {
    match h {
        Hash::Table(d) => picks
            .iter()
            .map(|&i| {
                let (f, v) = d.at(i);
                (f.clone(), v.clone())
            })
            .collect(),
        Hash::Listpack(_) => {
            let all: Vec<_> = h.iter().collect();
            picks.iter().map(|&i| owned(all[i])).collect()
        }
    }
}

/// `HRANDFIELD key [count [WITHVALUES]]`
pub(super) fn hrandfield(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    if args.len() == 2 {
        let len = match ctx.read::<Hash>(&args[1]) {
            Ok(Some(h)) => h.len(),
            Ok(None) => return Frame::Null,
            Err(e) => return e,
        };
        let i = ctx.rng().gen_range(0..len);
        return match ctx.read::<Hash>(&args[1]) {
            Ok(Some(h)) => Frame::Bulk(pairs_at(h, &[i]).swap_remove(0).0),
            _ => Frame::Null,
        };
    }
    let n = match range_arg(&args[2], -i64::MAX, i64::MAX, None) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let with_values = match args.len() {
        3 => false,
        4 if args[3].eq_ignore_ascii_case(b"withvalues") => true,
        _ => return err(SYNTAX),
    };
    if with_values && !(-i64::MAX / 2..=i64::MAX / 2).contains(&n) {
        return err("ERR value is out of range");
    }
    let resp3 = ctx.resp3;
    let len = match ctx.read::<Hash>(&args[1]) {
        Ok(Some(h)) => h.len(),
        Ok(None) => return Frame::Array(Vec::new()),
        Err(e) => return e,
    };
    if n == 0 {
        return Frame::Array(Vec::new());
    }
    let count = n.unsigned_abs();
    // Positions first (the generator borrows the context), values after.
    let picks: Option<Vec<usize>> = if n < 0 {
        // Repeats allowed: `count` independent draws.
        let rng = ctx.rng();
        Some((0..count).map(|_| rng.gen_range(0..len)).collect())
    } else if count >= len as u64 {
        None
    } else {
        Some(rand::seq::index::sample(ctx.rng(), len, count as usize).into_vec())
    };
    let Ok(Some(h)) = ctx.read::<Hash>(&args[1]) else {
        return Frame::Array(Vec::new());
    };
    let pairs = match picks {
        Some(p) => pairs_at(h, &p),
        None => h.iter().map(owned).collect(),
    };
    reply(pairs, with_values, resp3)
}

/// `HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]`: a listpack
/// hash is returned whole with cursor 0, as Valkey does.
pub(super) fn hscan(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    // The cursor is checked before the key, the options after it.
    if let Err(e) = scan::parse(&args[..3], 2, false, true) {
        return e;
    }
    let hash = match ctx.read::<Hash>(&args[1]) {
        Ok(Some(h)) => h,
        Ok(None) => return scan::reply(0, Vec::new()),
        Err(e) => return e,
    };
    let opts = match scan::parse(args, 2, false, true) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let mut items = Vec::new();
    let mut take = |f: &[u8], v: &[u8]| {
        if opts.matches(f) {
            items.push(Frame::Bulk(Bytes::copy_from_slice(f)));
            if !opts.no_values {
                items.push(Frame::Bulk(Bytes::copy_from_slice(v)));
            }
        }
    };
    let next = match hash {
        Hash::Listpack(_) => {
            for (f, v) in hash.iter() {
                take(f, v);
            }
            0
        }
        Hash::Table(d) => d.scan(opts.cursor, opts.count, |f, v| take(f, v)),
    };
    scan::reply(next, items)
}
