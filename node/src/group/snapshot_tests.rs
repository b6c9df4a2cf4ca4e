//! Snapshot round trips: same data, same layout, same encodings, same
//! seeded draws afterwards; damaged snapshots are refused.

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::group::test_seed;
use crate::record::{apply, Op, Record};
use crate::resp::Frame;

const T0: i64 = 1_700_000_000_000;

fn cmd(db: usize, seed: u64, args: &[&str]) -> Record {
    Record {
        db,
        time_ms: T0,
        seed,
        resp3: false,
        op: Op::Command(args.iter().map(|a| Bytes::from(a.to_string())).collect()),
        retry: false,
    }
}

fn run(ks: &mut Keyspace, db: usize, seed: u64, args: &[&str]) -> Option<Frame> {
    apply(ks, &cmd(db, seed, args)).reply
}

/// A random history over every value type and encoding, in two databases.
fn random_keyspace(seed: u64) -> Keyspace {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut ks = Keyspace::new(16);
    let big = "x".repeat(70);
    for _ in 0..6000 {
        let db = if rng.gen_bool(0.7) { 0 } else { 3 };
        let k = format!("k{}", rng.gen_range(0..10));
        let n = rng.gen_range(0..400).to_string();
        let s = rng.gen::<u64>();
        let args: Vec<String> = match rng.gen_range(0..16) {
            0 => vec!["set".into(), format!("s{k}"), n],
            1 => vec!["append".into(), format!("s{k}"), "tail".into()],
            2 => vec!["incrbyfloat".into(), format!("f{k}"), "1.5".into()],
            3 => vec!["sadd".into(), format!("i{k}"), n],
            4 => vec!["sadd".into(), format!("m{k}"), format!("m{n}")],
            5 => vec!["srem".into(), format!("m{k}"), format!("m{n}")],
            6 => vec!["hset".into(), format!("h{k}"), format!("f{n}"), n],
            7 => vec!["hset".into(), format!("h{k}"), format!("f{n}"), big.clone()],
            8 => vec!["hdel".into(), format!("h{k}"), format!("f{n}")],
            9 => vec![
                "rpush".into(),
                format!("l{k}"),
                "w".repeat(400),
                "v".repeat(400),
                n,
            ],
            10 => vec!["lpop".into(), format!("l{k}")],
            11 => vec!["zadd".into(), format!("z{k}"), n.clone(), format!("z{n}")],
            12 => vec!["zrem".into(), format!("z{k}"), format!("z{n}")],
            13 => vec!["del".into(), format!("m{k}"), format!("s{k}")],
            14 => vec!["expire".into(), format!("h{k}"), "100000".into()],
            _ => vec!["spop".into(), format!("m{k}")],
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&mut ks, db, s, &args);
    }
    ks
}

fn round_trip(ks: &Keyspace) -> Keyspace {
    decode(&encode(ks), ks.limits, ks.stats).expect("decode")
}

/// Everything that must be identical after a restore, beyond the digest.
fn assert_same_layout(a: &Keyspace, b: &Keyspace) {
    assert_eq!(a.digest(), b.digest());
    assert_eq!(a.seq, b.seq);
    assert_eq!(a.dbs.len(), b.dbs.len());
    for (da, db) in a.dbs.iter().zip(&b.dbs) {
        assert_eq!(da.entries.bucket_count(), db.entries.bucket_count());
        assert_eq!(da.expires.bucket_count(), db.expires.bucket_count());
        let ka: Vec<_> = da.entries.keys().collect();
        let kb: Vec<_> = db.entries.keys().collect();
        assert_eq!(ka, kb, "slab order of keys");
        let ea: Vec<_> = da.expires.iter().collect();
        let eb: Vec<_> = db.expires.iter().collect();
        assert_eq!(ea, eb, "slab order of expiries");
        for ((key, x), (_, y)) in da.entries.iter().zip(db.entries.iter()) {
            assert_eq!(
                x.value.encoding(),
                y.value.encoding(),
                "encoding of {key:?}"
            );
            assert_eq!(x.version, y.version);
            assert_eq!(x.str_enc, y.str_enc);
            match (&x.value, &y.value) {
                (Value::Set(p), Value::Set(q)) => assert_eq!(p.members(), q.members()),
                (Value::Hash(p), Value::Hash(q)) => {
                    assert!(p.iter().eq(q.iter()), "hash order of {key:?}")
                }
                (Value::ZSet(p), Value::ZSet(q)) => {
                    for i in 0..p.len() {
                        assert_eq!(p.at(i), q.at(i), "zset storage order of {key:?}");
                    }
                }
                _ => {}
            }
        }
    }
}

/// OBJECT ENCODING of every key, as clients see it, run on a copy.
fn object_encodings(ks: &Keyspace) -> Vec<(usize, Bytes, Option<Frame>)> {
    let mut copy = ks.clone();
    let keys: Vec<(usize, Bytes)> = ks
        .dbs
        .iter()
        .enumerate()
        .flat_map(|(i, d)| {
            d.entries
                .keys()
                .map(move |k| (i, Bytes::copy_from_slice(k)))
        })
        .collect();
    keys.into_iter()
        .map(|(db, key)| {
            let k = String::from_utf8(key.to_vec()).unwrap();
            let enc = run(&mut copy, db, 0, &["object", "encoding", &k]);
            (db, key, enc)
        })
        .collect()
}

#[test]
fn round_trip_keeps_data_layout_and_encodings() {
    let seed = test_seed();
    let ks = random_keyspace(seed);
    let restored = round_trip(&ks);
    assert_same_layout(&ks, &restored);
    let before = object_encodings(&ks);
    assert_eq!(before, object_encodings(&restored), "seed {seed}");
    // The history reaches every encoding the format distinguishes but
    // skiplist (see the next test).
    let seen: std::collections::BTreeSet<String> = before
        .iter()
        .map(|(_, _, f)| match f {
            Some(Frame::Bulk(b)) => String::from_utf8(b.to_vec()).unwrap(),
            other => panic!("OBJECT ENCODING replied {other:?}"),
        })
        .collect();
    for enc in [
        "int",
        "embstr",
        "raw",
        "listpack",
        "quicklist",
        "hashtable",
        "intset",
    ] {
        assert!(seen.contains(enc), "seed {seed}: no {enc} in {seen:?}");
    }
    assert!(!ks.dbs[3].is_empty() && !ks.dbs[0].expires.is_empty());
}

#[test]
fn seeded_draws_agree_after_restore() {
    let seed = test_seed();
    let mut a = random_keyspace(seed);
    // A large sorted set (skiplist) and a large set, hash and keyspace.
    for i in 0..300 {
        run(
            &mut a,
            0,
            0,
            &["zadd", "bigz", &i.to_string(), &format!("m{i}")],
        );
        run(&mut a, 0, 0, &["sadd", "bigs", &format!("s{i}")]);
    }
    for i in (0..300).step_by(7) {
        run(&mut a, 0, 0, &["zrem", "bigz", &format!("m{i}")]);
        run(&mut a, 0, 0, &["srem", "bigs", &format!("s{i}")]);
    }
    assert_eq!(
        a.dbs[0]
            .entries
            .get(b"bigz".as_ref())
            .unwrap()
            .value
            .encoding(),
        "skiplist"
    );
    let mut b = round_trip(&a);
    assert_same_layout(&a, &b);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    for step in 0..400 {
        let s = rng.gen::<u64>();
        let k = format!("k{}", rng.gen_range(0..10));
        let args: Vec<String> = match step % 8 {
            0 => vec!["randomkey".into()],
            1 => vec!["spop".into(), "bigs".into()],
            2 => vec!["srandmember".into(), "bigs".into(), "-5".into()],
            3 => vec![
                "zrandmember".into(),
                "bigz".into(),
                "3".into(),
                "withscores".into(),
            ],
            4 => vec!["hrandfield".into(), format!("h{k}"), "4".into()],
            5 => vec!["spop".into(), format!("m{k}")],
            6 => vec![
                "scan".into(),
                rng.gen_range(0..64).to_string(),
                "count".into(),
                "5".into(),
            ],
            _ => vec![
                "sscan".into(),
                "bigs".into(),
                rng.gen_range(0..64).to_string(),
            ],
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let db = if step % 3 == 0 { 3 } else { 0 };
        let ra = run(&mut a, db, s, &args);
        let rb = run(&mut b, db, s, &args);
        assert_eq!(ra, rb, "seed {seed}: step {step} {args:?}");
    }
    assert_eq!(a.digest(), b.digest());
}

#[test]
fn list_encoding_hysteresis_survives() {
    let mut ks = Keyspace::new(16);
    let big = "y".repeat(3000);
    for _ in 0..4 {
        run(&mut ks, 0, 0, &["rpush", "l", &big]);
    }
    assert_eq!(
        ks.dbs[0]
            .entries
            .get(b"l".as_ref())
            .unwrap()
            .value
            .encoding(),
        "quicklist"
    );
    // Between half and the full limit: still a quicklist (hysteresis), though
    // a fresh list with these items would be a listpack.
    run(&mut ks, 0, 0, &["rpop", "l"]);
    let restored = round_trip(&ks);
    let e = restored.dbs[0].entries.get(b"l".as_ref()).unwrap();
    assert_eq!(e.value.encoding(), "quicklist");
}

#[test]
fn empty_keyspace_round_trips() {
    let ks = Keyspace::new(16);
    let r = round_trip(&ks);
    assert_eq!(r.dbs.len(), 16);
    assert_eq!(r.digest(), [0; 20]);
}

#[test]
fn damage_is_refused() {
    let seed = test_seed();
    let ks = random_keyspace(seed);
    let good = encode(&ks);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..200 {
        let mut bad = good.clone();
        let i = rng.gen_range(0..bad.len());
        bad[i] ^= 1 << rng.gen_range(0..8);
        assert!(decode(&bad, ks.limits, ks.stats).is_err(), "flip at {i}");
    }
    for cut in [0, 7, 12, 20, good.len() / 2, good.len() - 1] {
        assert!(
            decode(&good[..cut], ks.limits, ks.stats).is_err(),
            "cut at {cut}"
        );
    }
    let mut other_version = good.clone();
    other_version[8] = 9;
    assert!(matches!(
        decode(&other_version, ks.limits, ks.stats),
        Err(SnapshotError::Format(_))
    ));
}
