//! SPOP and SRANDMEMBER: members drawn at random.
//!
//! Draws are positions in the set's storage order taken from the context's
//! generator, which a write gets from its record's seed: every replica that
//! applies the same SPOP to the same set pops the same members. The set is
//! borrowed from the keyspace while drawing, so each command derives its
//! own generator from the context's (one draw of it) rather than holding
//! the context's generator and the keyspace at once.

use std::collections::HashSet;

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::commands::{existing, lookup_write, modified};
use super::Set;
use crate::command::{cmd, flags::*, CommandSpec, Ctx, Handler};
use crate::errors::{err, NOT_INTEGER, POSITIVE, SYNTAX};
use crate::resp::Frame;
use crate::util::parse_i64;

/// Valkey rebuilds the set from the members it keeps when it pops at
/// least this many times as many as it keeps (`SPOP_MOVE_STRATEGY_MUL`);
/// the rebuild can shrink a hashtable back to a listpack.
const SPOP_MOVE_STRATEGY_MUL: usize = 5;

/// Repeated draws (negative SRANDMEMBER count) beyond this are refused: the
/// whole reply is built in memory, and a reply of billions of members
/// would take the node down (Valkey would stream it until the client dies).
const MAX_REPEATED_DRAWS: u64 = 1 << 24;

/// A generator for this command, seeded from the context's generator.
fn command_rng(ctx: &mut Ctx) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(ctx.rng().gen())
}

/// A position in `0..n` (`n > 0`), drawn the same way on every platform.
fn draw(rng: &mut ChaCha8Rng, n: usize) -> usize {
    rng.gen_range(0..n as u64) as usize
}

/// SPOP key [count]
fn spop(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match args.len() {
        2 => {}
        3 => return spop_count(ctx, args),
        _ => return err(SYNTAX),
    }
    let key = &args[1];
    let len = match lookup_write(ctx, key) {
        Ok(Some(s)) => s.len(),
        Ok(None) => return Frame::Null,
        Err(e) => return e,
    };
    let mut rng = command_rng(ctx);
    let set = existing(ctx, key);
    let member = set.remove_at(draw(&mut rng, len));
    if set.is_empty() {
        ctx.delete(key);
    } else {
        modified(ctx, key);
    }
    ctx.dirty(1);
    Frame::Bulk(member)
}

fn spop_count(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let key = &args[1];
    // Valkey gives the same error for a count that is not an integer.
    let count = match parse_i64(&args[2]) {
        Some(n) if n >= 0 => n as u64,
        _ => return err(POSITIVE),
    };
    let size = match lookup_write(ctx, key) {
        Ok(Some(s)) => s.len(),
        Ok(None) => return Frame::Set(Vec::new()),
        Err(e) => return e,
    };
    if count == 0 {
        return Frame::Set(Vec::new());
    }
    if count >= size as u64 {
        let reply = existing(ctx, key).reply();
        ctx.delete(key);
        ctx.dirty(size as u64);
        return reply;
    }
    let count = count as usize;
    let limits = ctx.ks.limits;
    let mut rng = command_rng(ctx);
    let set = existing(ctx, key);
    let popped: Vec<Frame> = (0..count)
        .map(|_| {
            let i = draw(&mut rng, set.len());
            Frame::Bulk(set.remove_at(i))
        })
        .collect();
    let remaining = size - count;
    if remaining * SPOP_MOVE_STRATEGY_MUL <= count && matches!(set, Set::Table(_)) {
        // Valkey keeps the few remaining members of a hashtable in a new
        // set that starts as a listpack.
        let mut rebuilt = Set::Listpack(Vec::with_capacity(remaining));
        for e in set.iter() {
            rebuilt.add(e, &limits);
        }
        *set = rebuilt;
    }
    modified(ctx, key);
    ctx.dirty(count as u64);
    Frame::Set(popped)
}

/// SRANDMEMBER key [count]
fn srandmember(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match args.len() {
        2 => {}
        3 => return srandmember_count(ctx, args),
        _ => return err(SYNTAX),
    }
    let mut rng = command_rng(ctx);
    match ctx.read::<Set>(&args[1]) {
        Ok(Some(s)) => s.elem_at(draw(&mut rng, s.len())).frame(),
        Ok(None) => Frame::Null,
        Err(e) => e,
    }
}

fn srandmember_count(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let (count, unique) = match parse_i64(&args[2]) {
        None => return err(NOT_INTEGER),
        Some(i64::MIN) => {
            return err(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            )
        }
        Some(n) => (n.unsigned_abs(), n >= 0),
    };
    let mut rng = command_rng(ctx);
    let set = match ctx.read::<Set>(&args[1]) {
        Ok(Some(s)) => s,
        Ok(None) => return Frame::Array(Vec::new()),
        Err(e) => return e,
    };
    if count == 0 {
        return Frame::Array(Vec::new());
    }
    let size = set.len();
    // Repeats allowed (or a single member): independent draws.
    if !unique || count == 1 {
        if count > MAX_REPEATED_DRAWS {
            return err("ERR value is out of range");
        }
        return Frame::Array(
            (0..count)
                .map(|_| set.elem_at(draw(&mut rng, size)).frame())
                .collect(),
        );
    }
    if count >= size as u64 {
        return Frame::Array(set.iter().map(|e| e.frame()).collect());
    }
    let count = count as usize;
    let mut picked: Vec<usize> = if count * 3 > size {
        // Close to the whole set: a partial shuffle of all positions.
        let mut all: Vec<usize> = (0..size).collect();
        for i in 0..count {
            let j = i + draw(&mut rng, size - i);
            all.swap(i, j);
        }
        all.truncate(count);
        all
    } else {
        // Few of many: draw until enough distinct positions.
        let mut seen = HashSet::with_capacity(count);
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let i = draw(&mut rng, size);
            if seen.insert(i) {
                out.push(i);
            }
        }
        out
    };
    if matches!(set, Set::Listpack(_)) {
        // Valkey samples a listpack in storage order.
        picked.sort_unstable();
    }
    Frame::Array(picked.into_iter().map(|i| set.elem_at(i).frame()).collect())
}

pub(super) const SPOP: CommandSpec = cmd("spop", -2, WRITE | FAST, (1, 1, 1), Handler::Data(spop))
    .doc(
        "set",
        "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.",
        "1.0.0",
    );

pub(super) const SRANDMEMBER: CommandSpec = cmd(
    "srandmember",
    -2,
    READONLY,
    (1, 1, 1),
    Handler::Data(srandmember),
)
.doc(
    "set",
    "Get one or multiple random members from a set",
    "1.0.0",
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Keyspace;

    fn ks_with_set(n: usize, prefix: &str) -> Keyspace {
        let mut ks = Keyspace::new(1);
        let members: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
        let mut args = vec!["sadd", "s"];
        args.extend(members.iter().map(String::as_str));
        run(&mut ks, 1, &args);
        ks
    }

    fn run(ks: &mut Keyspace, seed: u64, args: &[&str]) -> Frame {
        let args: Vec<Bytes> = args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        let mut ctx = Ctx::for_write(ks, 0, 0, seed, false);
        let f = crate::command::table()
            .all
            .iter()
            .find(|r| r.spec.name == std::str::from_utf8(&args[0]).unwrap())
            .map(|r| r.spec.handler)
            .unwrap();
        match f {
            Handler::Data(f) => f(&mut ctx, &args),
            _ => unreachable!(),
        }
    }

    #[test]
    fn spop_same_seed_same_members() {
        for (n, prefix) in [(300, "m"), (100, "m"), (400, "")] {
            for count in ["1", "7", "250"] {
                let mut a = ks_with_set(n, prefix);
                let mut b = ks_with_set(n, prefix);
                let ra = run(&mut a, 42, &["spop", "s", count]);
                let rb = run(&mut b, 42, &["spop", "s", count]);
                assert_eq!(ra, rb);
                assert_eq!(a.digest(), b.digest());
                let rc = run(&mut a, 7, &["spop", "s"]);
                let rd = run(&mut b, 7, &["spop", "s"]);
                assert_eq!(rc, rd);
                assert_eq!(a.digest(), b.digest());
            }
        }
    }

    #[test]
    fn spop_other_seed_other_members() {
        let mut a = ks_with_set(300, "m");
        let mut b = ks_with_set(300, "m");
        assert_ne!(
            run(&mut a, 1, &["spop", "s", "20"]),
            run(&mut b, 2, &["spop", "s", "20"])
        );
    }

    #[test]
    fn spop_almost_all_of_a_hashtable_leaves_a_listpack() {
        let mut ks = ks_with_set(300, "m");
        let Frame::Set(popped) = run(&mut ks, 3, &["spop", "s", "290"]) else {
            panic!("a set reply")
        };
        let distinct: HashSet<_> = popped.iter().map(|f| format!("{f:?}")).collect();
        assert_eq!(distinct.len(), 290);
        let left = ks.dbs[0].entries.get(b"s".as_slice()).unwrap();
        assert_eq!(left.value.encoding(), "listpack");
        let mut ks = ks_with_set(300, "m");
        run(&mut ks, 3, &["spop", "s", "200"]);
        let left = ks.dbs[0].entries.get(b"s".as_slice()).unwrap();
        assert_eq!(left.value.encoding(), "hashtable");
    }
}
