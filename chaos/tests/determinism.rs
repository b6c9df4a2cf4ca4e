//! The state machine is deterministic: the same records applied to two
//! fresh keyspaces give identical replies and identical keyspaces, for long
//! random histories across every data type. Seeds are printed; rerun one
//! with `SLOTRAFT_SIM_SEED=<n> cargo test -p chaos --test determinism`
//! (`SLOTRAFT_SEED=<base>` reruns all eight).

use chaos::history::HistoryGen;
use chaos::sim::seeds;
use slotraft::keyspace::Keyspace;
use slotraft::record::apply;

#[test]
fn replaying_records_gives_identical_keyspaces_and_replies() {
    const RECORDS: usize = 20_000;
    for seed in seeds(8) {
        println!("seed {seed}");
        let mut gen = HistoryGen::new(seed, 24);
        let mut a = Keyspace::new(16);
        let mut b = Keyspace::new(16);
        let mut replies = 0;
        for i in 0..RECORDS {
            let rec = gen.record();
            let ra = apply(&mut a, &rec);
            let rb = apply(&mut b, &rec);
            assert_eq!(
                ra.reply, rb.reply,
                "seed {seed}: reply of record {i} differs: {rec:?}"
            );
            assert_eq!(ra.db, rb.db, "seed {seed}: db after record {i}");
            if ra.reply.is_some() {
                replies += 1;
            }
            if i % 1000 == 0 {
                assert_eq!(
                    a.digest(),
                    b.digest(),
                    "seed {seed}: keyspaces diverged at record {i}"
                );
            }
        }
        assert_eq!(
            a.digest(),
            b.digest(),
            "seed {seed}: final keyspaces differ"
        );
        let keys: usize = a.dbs.iter().map(|d| d.len()).sum();
        println!("seed {seed}: {RECORDS} records, {replies} replies, {keys} keys at the end");
    }
}

#[test]
fn a_copy_taken_midway_continues_identically() {
    // What a snapshot transfer needs: a cloned keyspace is as good as the
    // original for every record that follows.
    let seed = seeds(8)[0];
    println!("seed {seed}");
    let mut gen = HistoryGen::new(seed, 16);
    let mut a = Keyspace::new(16);
    for _ in 0..5_000 {
        apply(&mut a, &gen.record());
    }
    let mut b = a.clone();
    for i in 0..5_000 {
        let rec = gen.record();
        assert_eq!(
            apply(&mut a, &rec).reply,
            apply(&mut b, &rec).reply,
            "seed {seed}: record {i}"
        );
    }
    assert_eq!(a.digest(), b.digest());
}
