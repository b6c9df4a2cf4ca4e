//! How long a group snapshot holds the state machine's lock, for a keyspace
//! of N small strings (default 1,000,000): the pause every write and read
//! of the group sees while a snapshot is built (DESIGN: "Snapshots").
//!
//! `cargo run --release -p slotraft --example snapshot_pause [keys]`
//!
//! A measurement, not a test: it prints figures and asserts nothing.

use std::time::Instant;

use bytes::Bytes;
use slotraft::group::snapshot;
use slotraft::keyspace::Keyspace;
use slotraft::record::{apply, Op, Record};

fn main() {
    let keys: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mut ks = Keyspace::new(16);
    let load = Instant::now();
    for i in 0..keys {
        let rec = Record {
            db: 0,
            time_ms: 1_700_000_000_000,
            seed: i as u64,
            resp3: false,
            op: Op::Command(vec![
                Bytes::from_static(b"SET"),
                Bytes::from(format!("key:{i:010}")),
                Bytes::from(vec![b'x'; 100]),
            ]),
            retry: false,
        };
        apply(&mut ks, &rec);
    }
    println!(
        "loaded {keys} keys (100-byte values) in {:?}",
        load.elapsed()
    );
    for run in 1..=3 {
        // What the snapshot builder does under the lock: encode everything.
        let t = Instant::now();
        let data = snapshot::encode(&ks);
        let pause = t.elapsed();
        println!(
            "run {run}: encode under the lock {pause:?} ({} MiB)",
            data.len() >> 20
        );
        let t = Instant::now();
        let back = snapshot::decode(&data, ks.limits, Default::default()).expect("decode");
        println!(
            "run {run}: decode (install, outside the lock) {:?}",
            t.elapsed()
        );
        assert_eq!(back.digest(), ks.digest());
    }
}
