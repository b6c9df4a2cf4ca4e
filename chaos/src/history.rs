//! Random write histories across every data type.
//!
//! A history is a sequence of [`Record`]s as a leader would create them:
//! commands with their database, leader time and random seed, transactions
//! with watched keys, and expiry deletions. Keys come from a small pool so
//! that commands collide on keys and types (WRONGTYPE paths are exercised
//! too), and element counts sometimes cross the compact-encoding limits.

use bytes::Bytes;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use slotraft::record::{Op, Record, Watched};

/// Generates histories from a seed.
pub struct HistoryGen {
    rng: ChaCha8Rng,
    time_ms: i64,
    keys: usize,
}

fn b(s: impl Into<String>) -> Bytes {
    Bytes::from(s.into())
}

impl HistoryGen {
    /// A generator for `seed` over a pool of `keys` keys.
    pub fn new(seed: u64, keys: usize) -> HistoryGen {
        HistoryGen {
            rng: ChaCha8Rng::seed_from_u64(seed),
            time_ms: 1_700_000_000_000,
            keys,
        }
    }

    fn key(&mut self) -> String {
        format!("k{}", self.rng.gen_range(0..self.keys))
    }

    fn member(&mut self) -> String {
        match self.rng.gen_range(0..10) {
            // Integers keep sets as intsets; long members force hashtables.
            0..=3 => self.rng.gen_range(-20..200).to_string(),
            4..=8 => format!("m{}", self.rng.gen_range(0..150)),
            _ => "x".repeat(self.rng.gen_range(60..80)),
        }
    }

    fn int(&mut self) -> String {
        self.rng.gen_range(-5..20).to_string()
    }

    fn score(&mut self) -> String {
        match self.rng.gen_range(0..8) {
            0 => "-inf".into(),
            1 => "+inf".into(),
            2 => format!("{:.3}", self.rng.gen_range(-10.0..10.0)),
            _ => self.rng.gen_range(-10..10).to_string(),
        }
    }

    fn many(&mut self, n: usize, f: fn(&mut HistoryGen) -> Vec<String>) -> Vec<String> {
        (0..n).flat_map(|_| f(self)).collect()
    }

    /// One random write command.
    pub fn command(&mut self) -> Vec<Bytes> {
        let k = self.key();
        let k2 = self.key();
        let big = self.rng.gen_bool(0.05);
        let n = if big {
            self.rng.gen_range(100..200)
        } else {
            self.rng.gen_range(1..5)
        };
        let words: Vec<String> = match self.rng.gen_range(0..48) {
            0 => vec!["SET".into(), k, self.member()],
            1 => vec![
                "SET".into(),
                k,
                self.member(),
                "PX".into(),
                self.rng.gen_range(1..3000).to_string(),
            ],
            2 => vec!["INCR".into(), k],
            3 => vec!["INCRBYFLOAT".into(), k, self.score()],
            4 => vec!["APPEND".into(), k, self.member()],
            5 => vec![
                "SETRANGE".into(),
                k,
                self.rng.gen_range(0..20).to_string(),
                self.member(),
            ],
            6 => vec!["GETDEL".into(), k],
            7 => vec![
                "GETEX".into(),
                k,
                "EX".into(),
                self.rng.gen_range(1..5).to_string(),
            ],
            8 => vec!["MSET".into(), k, self.member(), k2, self.member()],
            9 => vec!["DEL".into(), k, k2],
            10 => vec!["EXPIRE".into(), k, self.rng.gen_range(-1..4).to_string()],
            11 => vec![
                "PEXPIRE".into(),
                k,
                self.rng.gen_range(1..4000).to_string(),
                "GT".into(),
            ],
            12 => vec!["PERSIST".into(), k],
            13 => vec!["RENAME".into(), k, k2],
            14 => vec!["COPY".into(), k, k2, "REPLACE".into()],
            15 => [vec!["LPUSH".into(), k], self.many(n, |g| vec![g.member()])].concat(),
            16 => [vec!["RPUSH".into(), k], self.many(n, |g| vec![g.member()])].concat(),
            17 => vec!["LPOP".into(), k, self.rng.gen_range(1..4).to_string()],
            18 => vec!["RPOP".into(), k],
            19 => vec!["LREM".into(), k, self.int(), self.member()],
            20 => vec![
                "LINSERT".into(),
                k,
                "BEFORE".into(),
                self.member(),
                self.member(),
            ],
            21 => vec!["LMOVE".into(), k, k2, "LEFT".into(), "RIGHT".into()],
            22 => vec!["LTRIM".into(), k, self.int(), self.int()],
            23 => [
                vec!["HSET".into(), k],
                self.many(n, |g| vec![g.member(), g.member()]),
            ]
            .concat(),
            24 => vec!["HDEL".into(), k, self.member()],
            25 => vec!["HINCRBY".into(), k, self.member(), self.int()],
            26 => vec!["HINCRBYFLOAT".into(), k, self.member(), self.score()],
            27 => [vec!["SADD".into(), k], self.many(n, |g| vec![g.member()])].concat(),
            28 => vec!["SREM".into(), k, self.member()],
            29 => vec!["SPOP".into(), k, self.rng.gen_range(1..4).to_string()],
            30 => vec!["SMOVE".into(), k, k2, self.member()],
            31 => vec!["SINTERSTORE".into(), k, k2, self.key()],
            32 => vec!["SUNIONSTORE".into(), k, k2, self.key()],
            33 => vec!["SDIFFSTORE".into(), k, k2, self.key()],
            34 => [
                vec!["ZADD".into(), k],
                self.many(n, |g| vec![g.score(), g.member()]),
            ]
            .concat(),
            35 => vec![
                "ZADD".into(),
                k,
                "GT".into(),
                "CH".into(),
                self.score(),
                self.member(),
            ],
            36 => vec!["ZINCRBY".into(), k, self.score(), self.member()],
            37 => vec!["ZREM".into(), k, self.member()],
            38 => vec!["ZPOPMIN".into(), k, self.rng.gen_range(1..3).to_string()],
            39 => vec![
                "ZUNIONSTORE".into(),
                k,
                "2".into(),
                k2,
                self.key(),
                "WEIGHTS".into(),
                "2".into(),
                "1".into(),
            ],
            40 => vec![
                "ZINTERSTORE".into(),
                k,
                "2".into(),
                k2,
                self.key(),
                "AGGREGATE".into(),
                "MAX".into(),
            ],
            41 => vec!["ZRANGESTORE".into(), k, k2, "0".into(), "-1".into()],
            42 => vec!["ZREMRANGEBYSCORE".into(), k, "-5".into(), "5".into()],
            43 => vec!["HSETNX".into(), k, self.member(), self.member()],
            44 => vec!["SELECT".into(), self.rng.gen_range(0..3).to_string()],
            45 => vec!["MOVE".into(), k, self.rng.gen_range(0..3).to_string()],
            46 => {
                if self.rng.gen_bool(0.05) {
                    vec!["FLUSHDB".into()]
                } else {
                    vec!["SWAPDB".into(), "0".into(), "1".into()]
                }
            }
            _ => vec!["RANDOMKEY".into()],
        };
        words.into_iter().map(b).collect()
    }

    /// The next record: mostly single commands, some transactions (with
    /// watched keys at guessed versions) and expiry deletions. Time moves
    /// forward by a few ms to a few seconds, so TTLs run out mid-history.
    pub fn record(&mut self) -> Record {
        self.time_ms += self.rng.gen_range(0..400);
        let db = *[0usize, 0, 0, 1, 2]
            .choose(&mut self.rng)
            .expect("not empty");
        let op = match self.rng.gen_range(0..20) {
            0 => Op::Exec {
                commands: (0..self.rng.gen_range(1..5))
                    .map(|_| self.command())
                    .collect(),
                watched: (0..self.rng.gen_range(0..2))
                    .map(|_| Watched {
                        db,
                        key: b(self.key()),
                        version: if self.rng.gen_bool(0.5) {
                            None
                        } else {
                            Some(self.rng.gen_range(0..50))
                        },
                    })
                    .collect(),
            },
            1 => Op::Expire((0..3).map(|_| b(self.key())).collect()),
            _ => Op::Command(self.command()),
        };
        Record {
            db,
            time_ms: self.time_ms,
            seed: self.rng.gen(),
            resp3: self.rng.gen_bool(0.3),
            retry: self.rng.gen_bool(0.05),
            op,
        }
    }
}
