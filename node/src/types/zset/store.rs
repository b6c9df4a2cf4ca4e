//! The multi-key algebra: ZUNION, ZINTER, ZDIFF, their STORE forms and
//! ZINTERCARD, with WEIGHTS, AGGREGATE SUM|MIN|MAX and WITHSCORES. Plain
//! sets are accepted as sources, every member scoring 1, as in Valkey.
//!
//! Sources are borrowed from the keyspace, not copied: the keys are first
//! looked up one by one (which settles expiry and the type check, in
//! argument order, before any option is parsed — Valkey's order of
//! errors), then borrowed together for the computation. Results are
//! owned, sorted by (score, member), and either replied or stored.

use bytes::Bytes;

use super::pop::numkeys_keys;
use super::{Ranked, ZSet};
use crate::command::ctx::Kind;
use crate::command::Ctx;
use crate::errors::{err, NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::keyspace::{Dict, Value};
use crate::resp::Frame;
use crate::types::set::Set;
use crate::util::{parse_f64, parse_i64};

/// Stores `items` at `dst` (replacing whatever was there, TTL included),
/// or deletes `dst` when empty; replies the stored cardinality.
pub(super) fn store_result(ctx: &mut Ctx, dst: &Bytes, items: Vec<Ranked>) -> Frame {
    if items.is_empty() {
        if ctx.delete(dst) {
            ctx.dirty(1);
        }
        return Frame::Integer(0);
    }
    let n = items.len();
    let z = ZSet::from_items(items, &ctx.ks.limits);
    ctx.set(dst.clone(), z.wrap());
    ctx.dirty(1);
    Frame::int(n)
}

/// A source: a sorted set, or a set whose members all score 1.
#[derive(Clone, Copy)]
enum Src<'a> {
    Missing,
    Z(&'a ZSet),
    S(&'a Set),
}

impl Src<'_> {
    fn len(&self) -> usize {
        match self {
            Src::Missing => 0,
            Src::Z(z) => z.len(),
            Src::S(s) => s.len(),
        }
    }

    /// Members with scores; sorted sets from the highest down, as Valkey
    /// walks them (it only matters to the rounding of sums).
    fn items(&self) -> Vec<(Bytes, f64)> {
        match self {
            Src::Missing => Vec::new(),
            Src::Z(z) => z.iter().rev().map(|(m, s)| (m.clone(), s)).collect(),
            Src::S(s) => s.members().into_iter().map(|m| (m, 1.0)).collect(),
        }
    }

    fn find(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Missing => None,
            Src::Z(z) => z.score(m),
            Src::S(s) => s.contains(m).then_some(1.0),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    fn apply(self, acc: &mut f64, v: f64) {
        match self {
            Aggregate::Sum => {
                *acc += v;
                // inf + -inf: Valkey settles on 0.
                if acc.is_nan() {
                    *acc = 0.0;
                }
            }
            Aggregate::Min => {
                if v < *acc {
                    *acc = v
                }
            }
            Aggregate::Max => {
                if v > *acc {
                    *acc = v
                }
            }
        }
    }
}

/// Options after the keys.
struct Opts {
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
    limit: usize,
}

fn parse_opts(
    args: &[Bytes],
    mut j: usize,
    n: usize,
    op: Op,
    store: bool,
    card_only: bool,
) -> Result<Opts, Frame> {
    let mut o = Opts {
        weights: vec![1.0; n],
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let algebra = op != Op::Diff && !card_only;
    while j < args.len() {
        let remaining = args.len() - j;
        let opt = args[j].to_ascii_lowercase();
        match opt.as_slice() {
            b"weights" if algebra && remaining > n => {
                for (i, w) in args[j + 1..=j + n].iter().enumerate() {
                    o.weights[i] =
                        parse_f64(w).ok_or_else(|| err("ERR weight value is not a float"))?;
                }
                j += n + 1;
            }
            b"aggregate" if algebra && remaining >= 2 => {
                o.aggregate = match args[j + 1].to_ascii_lowercase().as_slice() {
                    b"sum" => Aggregate::Sum,
                    b"min" => Aggregate::Min,
                    b"max" => Aggregate::Max,
                    _ => return Err(err(SYNTAX)),
                };
                j += 2;
            }
            b"withscores" if !store && !card_only => {
                o.withscores = true;
                j += 1;
            }
            b"limit" if card_only && remaining >= 2 => {
                let l = parse_i64(&args[j + 1])
                    .filter(|l| *l >= 0)
                    .ok_or_else(|| err("ERR LIMIT can't be negative"))?;
                o.limit = l as usize;
                j += 2;
            }
            _ => return Err(err(SYNTAX)),
        }
    }
    Ok(o)
}

/// The computation over borrowed sources (`weights` index-aligned).
fn compute(srcs: &[(Src, f64)], op: Op, agg: Aggregate, card_limit: Option<usize>) -> Compute {
    let mut out = Vec::new();
    let mut card = 0usize;
    match op {
        Op::Inter if srcs[0].0.len() > 0 => {
            'members: for (m, s) in srcs[0].0.items() {
                let mut score = srcs[0].1 * s;
                if score.is_nan() {
                    score = 0.0;
                }
                for (src, w) in &srcs[1..] {
                    match src.find(&m) {
                        Some(v) => agg.apply(&mut score, v * w),
                        None => continue 'members,
                    }
                }
                match card_limit {
                    Some(limit) => {
                        card += 1;
                        if limit > 0 && card >= limit {
                            break;
                        }
                    }
                    None => out.push(Ranked { score, member: m }),
                }
            }
        }
        Op::Inter => {}
        Op::Union => {
            let mut acc: Dict<f64> = Dict::new();
            for (src, w) in srcs {
                for (m, s) in src.items() {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(&m) {
                        Some(a) => agg.apply(a, score),
                        None => {
                            acc.insert(m, score);
                        }
                    }
                }
            }
            out = acc
                .iter()
                .map(|(m, s)| Ranked {
                    score: *s,
                    member: m.clone(),
                })
                .collect();
        }
        Op::Diff => {
            for (m, s) in srcs[0].0.items() {
                if srcs[1..].iter().all(|(src, _)| src.find(&m).is_none()) {
                    out.push(Ranked {
                        score: s,
                        member: m,
                    });
                }
            }
        }
    }
    if card_limit.is_some() {
        Compute::Card(card)
    } else {
        out.sort_unstable();
        Compute::Items(out)
    }
}

enum Compute {
    Items(Vec<Ranked>),
    Card(usize),
}

/// The shared body; `args[at]` is numkeys.
fn generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    dst: Option<&Bytes>,
    at: usize,
    op: Op,
    card_only: bool,
) -> Frame {
    let Some(n) = parse_i64(&args[at]) else {
        return err(NOT_INTEGER);
    };
    if n < 1 {
        return Frame::Error(format!(
            "ERR at least 1 input key is needed for '{}' command",
            String::from_utf8_lossy(&args[0]).to_ascii_lowercase()
        ));
    }
    if n as u64 > (args.len() - (at + 1)) as u64 {
        return err(SYNTAX);
    }
    let n = n as usize;
    let keys = &args[at + 1..at + 1 + n];
    let mut live = Vec::with_capacity(n);
    for key in keys {
        match ctx.get(key) {
            None => live.push(false),
            Some(Value::ZSet(_) | Value::Set(_)) => live.push(true),
            Some(_) => return err(WRONGTYPE),
        }
    }
    let o = match parse_opts(args, at + 1 + n, n, op, dst.is_some(), card_only) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let result = {
        let db = &ctx.ks.dbs[ctx.db];
        let mut srcs: Vec<(Src, f64)> = keys
            .iter()
            .zip(&live)
            .zip(&o.weights)
            .map(|((k, live), w)| {
                let src = match db.entries.get(k).filter(|_| *live).map(|e| &e.value) {
                    Some(Value::ZSet(z)) => Src::Z(z),
                    Some(v) => Src::S(Set::of(v).expect("type checked above")),
                    None => Src::Missing,
                };
                (src, *w)
            })
            .collect();
        if op != Op::Diff {
            // Smallest first: the intersection walks the smallest input.
            srcs.sort_by_key(|(s, _)| s.len());
        }
        compute(&srcs, op, o.aggregate, card_only.then_some(o.limit))
    };
    match (result, dst) {
        (Compute::Card(c), _) => Frame::int(c),
        (Compute::Items(items), Some(dst)) => store_result(ctx, dst, items),
        (Compute::Items(items), None) => {
            let pairs = items.into_iter().map(|r| (r.member, r.score)).collect();
            if o.withscores {
                Frame::pairs(pairs, ctx.resp3)
            } else {
                Frame::bulks(pairs.into_iter().map(|(m, _)| m))
            }
        }
    }
}

/// `ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
pub fn zunion(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    generic(ctx, args, None, 1, Op::Union, false)
}

/// `ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
pub fn zinter(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    generic(ctx, args, None, 1, Op::Inter, false)
}

/// `ZDIFF numkeys key [key ...] [WITHSCORES]`
pub fn zdiff(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    generic(ctx, args, None, 1, Op::Diff, false)
}

/// `ZINTERCARD numkeys key [key ...] [LIMIT limit]`
pub fn zintercard(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    generic(ctx, args, None, 1, Op::Inter, true)
}

/// `ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]`
pub fn zunionstore(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    generic(ctx, args, Some(&args[1]), 2, Op::Union, false)
}

/// `ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]`
pub fn zinterstore(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    generic(ctx, args, Some(&args[1]), 2, Op::Inter, false)
}

/// `ZDIFFSTORE destination numkeys key [key ...]`
pub fn zdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    generic(ctx, args, Some(&args[1]), 2, Op::Diff, false)
}

/// Key positions of ZUNION/ZINTER/ZDIFF/ZINTERCARD (numkeys at 1).
pub fn numkeys_at_1(args: &[Bytes]) -> Option<Vec<usize>> {
    numkeys_keys(args, 1)
}

/// Key positions of the STORE forms: the destination, then the sources.
pub fn dest_and_numkeys(args: &[Bytes]) -> Option<Vec<usize>> {
    let mut keys = vec![1];
    keys.extend(numkeys_keys(args, 2)?);
    Some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::EncodingLimits;

    fn zset(items: &[(&str, f64)]) -> ZSet {
        let mut z = ZSet::new();
        for (m, s) in items {
            z.insert(
                Bytes::copy_from_slice(m.as_bytes()),
                *s,
                &EncodingLimits::default(),
            );
        }
        z
    }

    fn set(items: &[&str]) -> Set {
        let l = EncodingLimits::default();
        let mut s = Set::new_for(items[0].as_bytes(), &l);
        for m in items {
            s.insert(Bytes::copy_from_slice(m.as_bytes()), &l);
        }
        s
    }

    fn items(c: Compute) -> Vec<(String, f64)> {
        match c {
            Compute::Items(v) => v
                .into_iter()
                .map(|r| (String::from_utf8(r.member.to_vec()).unwrap(), r.score))
                .collect(),
            Compute::Card(_) => panic!("items expected"),
        }
    }

    #[test]
    fn sets_join_with_score_one() {
        let z = zset(&[("a", 2.0), ("b", 3.0)]);
        let s = set(&["b", "c", "7"]);
        let srcs = [(Src::Z(&z), 1.0), (Src::S(&s), 10.0)];
        assert_eq!(
            items(compute(&srcs, Op::Union, Aggregate::Sum, None)),
            [
                ("a".into(), 2.0),
                ("7".into(), 10.0),
                ("c".into(), 10.0),
                ("b".into(), 13.0)
            ]
        );
        assert_eq!(
            items(compute(&srcs, Op::Inter, Aggregate::Max, None)),
            [("b".into(), 10.0)]
        );
        let srcs = [(Src::S(&s), 1.0), (Src::Z(&z), 1.0)];
        assert_eq!(
            items(compute(&srcs, Op::Diff, Aggregate::Sum, None)),
            [("7".into(), 1.0), ("c".into(), 1.0)]
        );
        match compute(&srcs, Op::Inter, Aggregate::Sum, Some(0)) {
            Compute::Card(n) => assert_eq!(n, 1),
            Compute::Items(_) => panic!("card expected"),
        }
    }

    #[test]
    fn infinities_sum_to_zero() {
        let a = zset(&[("x", f64::INFINITY)]);
        let b = zset(&[("x", f64::NEG_INFINITY)]);
        let srcs = [(Src::Z(&a), 1.0), (Src::Z(&b), 1.0)];
        assert_eq!(
            items(compute(&srcs, Op::Union, Aggregate::Sum, None)),
            [("x".into(), 0.0)]
        );
        let srcs = [(Src::Z(&a), 0.0)];
        assert_eq!(
            items(compute(&srcs, Op::Union, Aggregate::Sum, None)),
            [("x".into(), 0.0)]
        );
    }
}
