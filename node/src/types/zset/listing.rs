//! The ZRANGE family (ZRANGE with BYSCORE/BYLEX/REV/LIMIT/WITHSCORES,
//! ZRANGESTORE and the older ZREVRANGE, Z[REV]RANGEBYSCORE,
//! Z[REV]RANGEBYLEX) and the range removals ZREMRANGEBYRANK/SCORE/LEX.
//!
//! All the listing commands are one parser with the legacy commands
//! pinning the kind of range and the direction, as in Valkey: the option
//! a legacy command already fixes (REV for ZREVRANGEBYSCORE, BYLEX for
//! ZRANGEBYLEX) is then a syntax error, which falls out of that shape.

use bytes::Bytes;

use super::commands::{modify, read_or};
use super::range::{rank_window, LexRange, ScoreRange};
use super::store::store_result;
use super::{Pair, Ranked, ZSet};
use crate::command::Ctx;
use crate::errors::{err, NOT_INTEGER, SYNTAX};
use crate::resp::Frame;
use crate::util::parse_i64;

/// The kind of interval a listing uses.
#[derive(Clone, Copy, PartialEq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

/// A parsed interval.
enum Spec {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

impl Spec {
    fn parse(by: By, min: &[u8], max: &[u8]) -> Result<Spec, Frame> {
        Ok(match by {
            By::Auto | By::Rank => {
                let (Some(a), Some(b)) = (parse_i64(min), parse_i64(max)) else {
                    return Err(err(NOT_INTEGER));
                };
                Spec::Rank(a, b)
            }
            By::Score => Spec::Score(ScoreRange::parse(min, max)?),
            By::Lex => Spec::Lex(LexRange::parse(min, max)?),
        })
    }

    /// The selected members, in reply order.
    fn select(&self, z: &ZSet, rev: bool, offset: i64, limit: i64) -> Vec<Pair> {
        match self {
            Spec::Rank(a, b) => match rank_window(*a, *b, z.len()) {
                Some((start, stop)) => z.rank_range(start, stop, rev),
                None => Vec::new(),
            },
            Spec::Score(r) => z.score_range(r, rev, offset, limit),
            Spec::Lex(r) => z.lex_range(r, rev, offset, limit),
        }
    }
}

/// The shared body: `args[src]` is the source key, followed by the two
/// range ends and the options. `dst` is ZRANGESTORE's destination.
fn range_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    src: usize,
    dst: Option<&Bytes>,
    mut by: By,
    mut rev: Option<bool>,
) -> Frame {
    let (mut withscores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut j = src + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        let opt = args[j].to_ascii_lowercase();
        match opt.as_slice() {
            b"withscores" if dst.is_none() => withscores = true,
            b"limit" if left >= 2 => {
                let (Some(o), Some(l)) = (parse_i64(&args[j + 1]), parse_i64(&args[j + 2])) else {
                    return err(NOT_INTEGER);
                };
                (offset, limit) = (o, l);
                j += 2;
            }
            b"rev" if rev.is_none() => rev = Some(true),
            b"bylex" if by == By::Auto => by = By::Lex,
            b"byscore" if by == By::Auto => by = By::Score,
            _ => return err(SYNTAX),
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if by == By::Auto {
        by = By::Rank;
    }
    // Valkey tests the value, not the presence: `LIMIT 0 -1` passes.
    if limit != -1 && by == By::Rank {
        return err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    if withscores && by == By::Lex {
        return err("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    // Reversed score and lex ranges are written max first.
    let (min, max) = if rev && by != By::Rank {
        (&args[src + 2], &args[src + 1])
    } else {
        (&args[src + 1], &args[src + 2])
    };
    let spec = match Spec::parse(by, min, max) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let resp3 = ctx.resp3;
    match dst {
        None => {
            let z = read_or!(ctx, &args[src], Frame::Array(Vec::new()));
            let items = spec.select(z, rev, offset, limit);
            if withscores {
                Frame::pairs(items, resp3)
            } else {
                Frame::bulks(items.into_iter().map(|(m, _)| m))
            }
        }
        Some(dst) => {
            let items = match ctx.read::<ZSet>(&args[src]) {
                Err(e) => return e,
                Ok(None) => Vec::new(),
                Ok(Some(z)) => spec.select(z, rev, offset, limit),
            };
            let items = items
                .into_iter()
                .map(|(member, score)| Ranked { score, member })
                .collect();
            store_result(ctx, dst, items)
        }
    }
}

/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`
pub fn zrange(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    range_generic(ctx, args, 1, None, By::Auto, None)
}

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`
pub fn zrangestore(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    range_generic(ctx, args, 2, Some(&args[1]), By::Auto, None)
}

/// `ZREVRANGE key start stop [WITHSCORES]`
pub fn zrevrange(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    range_generic(ctx, args, 1, None, By::Rank, Some(true))
}

/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`
pub fn zrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    range_generic(ctx, args, 1, None, By::Score, Some(false))
}

/// `ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]`
pub fn zrevrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    range_generic(ctx, args, 1, None, By::Score, Some(true))
}

/// `ZRANGEBYLEX key min max [LIMIT offset count]`
pub fn zrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    range_generic(ctx, args, 1, None, By::Lex, Some(false))
}

/// `ZREVRANGEBYLEX key max min [LIMIT offset count]`
pub fn zrevrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    range_generic(ctx, args, 1, None, By::Lex, Some(true))
}

/// ZREMRANGEBY*: removes the members `spec` selects.
fn remove_range(ctx: &mut Ctx, key: &[u8], spec: Result<Spec, Frame>) -> Frame {
    let spec = match spec {
        Ok(s) => s,
        Err(e) => return e,
    };
    let removed = modify(ctx, key, |z, _| {
        let victims = spec.select(z, false, 0, -1);
        for (m, _) in &victims {
            z.remove(m);
        }
        (victims.len(), victims.len() as u64)
    });
    match removed {
        Err(e) => e,
        Ok(n) => Frame::int(n.unwrap_or(0)),
    }
}

/// `ZREMRANGEBYRANK key start stop`
pub fn zremrangebyrank(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let spec = Spec::parse(By::Rank, &args[2], &args[3]);
    remove_range(ctx, &args[1], spec)
}

/// `ZREMRANGEBYSCORE key min max`
pub fn zremrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let spec = Spec::parse(By::Score, &args[2], &args[3]);
    remove_range(ctx, &args[1], spec)
}

/// `ZREMRANGEBYLEX key min max`
pub fn zremrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let spec = Spec::parse(By::Lex, &args[2], &args[3]);
    remove_range(ctx, &args[1], spec)
}
