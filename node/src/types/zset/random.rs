//! ZRANDMEMBER and ZSCAN: the two commands that pick members by storage
//! position rather than by order.
//!
//! Random picks draw positions from the context's seeded generator and
//! read them through [`ZSet::at`], so a given seed gives the same members
//! everywhere. The cases follow Valkey's (repeats allowed, the whole set,
//! a sample in storage order, a sample in draw order); only the shapes of
//! the replies and which members can come back are promised, not Valkey's
//! exact draws.

use bytes::Bytes;
use rand::seq::index::sample;
use rand::Rng;

use super::commands::read_or;
use super::{Pair, ZSet};
use crate::command::Ctx;
use crate::errors::{err, NOT_INTEGER, SYNTAX};
use crate::resp::Frame;
use crate::types::scan;
use crate::util::{format_double, glob_match, parse_i64};

/// `ZRANDMEMBER key [count [WITHSCORES]]`
pub fn zrandmember(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let mut rng = ctx.rng().clone();
    let resp3 = ctx.resp3;
    let Some(count_arg) = args.get(2) else {
        let picked = {
            let z = read_or!(ctx, &args[1], Frame::Null);
            z.at(rng.gen_range(0..z.len())).0.clone()
        };
        *ctx.rng() = rng;
        return Frame::Bulk(picked);
    };
    let Some(l) = parse_i64(count_arg) else {
        return err(NOT_INTEGER);
    };
    if l == i64::MIN {
        return err(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        );
    }
    let withscores = match args.get(3) {
        _ if args.len() > 4 => return err(SYNTAX),
        None => false,
        Some(a) if a.eq_ignore_ascii_case(b"withscores") => true,
        Some(_) => return err(SYNTAX),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return err("ERR value is out of range");
    }
    let picked = {
        let z = read_or!(ctx, &args[1], Frame::Array(Vec::new()));
        pick(z, l, &mut rng)
    };
    *ctx.rng() = rng;
    if withscores {
        Frame::pairs(picked, resp3)
    } else {
        Frame::bulks(picked.into_iter().map(|(m, _)| m))
    }
}

/// The members ZRANDMEMBER with count `l` returns.
fn pick(z: &ZSet, l: i64, rng: &mut impl Rng) -> Vec<Pair> {
    let size = z.len();
    let count = l.unsigned_abs() as usize;
    let at = |i: usize| {
        let (m, s) = z.at(i);
        (m.clone(), s)
    };
    if count == 0 {
        return Vec::new();
    }
    if l < 0 || count == 1 {
        return (0..count).map(|_| at(rng.gen_range(0..size))).collect();
    }
    if count >= size {
        // The whole set, walked from the highest score down as Valkey does.
        return z.iter().rev().map(|(m, s)| (m.clone(), s)).collect();
    }
    let mut positions = sample(rng, size, count).into_vec();
    // A listpack, or a sample of a third or more of the set, comes back in
    // storage order; a small sample of a big set in draw order.
    if matches!(z, ZSet::Listpack(_)) || count * 3 > size {
        positions.sort_unstable();
    }
    positions.into_iter().map(at).collect()
}

/// `ZSCAN key cursor [MATCH pattern] [COUNT count] [NOSCORES]`
pub fn zscan(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    // The cursor is checked first, then the key, then the options.
    let cursor = match scan::parse(&args[..3], 2, false, false) {
        Ok(a) => a.cursor,
        Err(e) => return e,
    };
    let z = read_or!(ctx, &args[1], scan::reply(0, Vec::new()));
    let (mut pattern, mut count, mut no_scores) = (None, 10usize, false);
    let mut i = 3;
    while i < args.len() {
        let opt = args[i].to_ascii_lowercase();
        let has_value = i + 1 < args.len();
        match opt.as_slice() {
            b"count" if has_value => {
                let Some(n) = parse_i64(&args[i + 1]) else {
                    return err(NOT_INTEGER);
                };
                if n < 1 {
                    return err(SYNTAX);
                }
                count = n as usize;
                i += 2;
            }
            b"match" if has_value => {
                pattern = Some(&args[i + 1]);
                i += 2;
            }
            b"noscores" => {
                no_scores = true;
                i += 1;
            }
            b"novalues" => return err("ERR NOVALUES option can only be used in HSCAN"),
            _ => return err(SYNTAX),
        }
    }
    let mut items = Vec::new();
    let next = z.scan(cursor, count, |m, s| {
        if pattern.is_none_or(|p| glob_match(p, m, false)) {
            items.push(Frame::Bulk(m.clone()));
            if !no_scores {
                items.push(Frame::bulk(format_double(s)));
            }
        }
    });
    scan::reply(next, items)
}
