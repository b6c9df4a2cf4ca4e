//! Seed sweeps of the group simulation (`chaos::sim`) on 3 nodes (2 data +
//! 1 witness) and 5 nodes (4 data + 1 witness), and the witness-gap
//! scenario. The tests of this file run in parallel (one per core in CI);
//! same-seed determinism is in `sim_determinism.rs`, alone.
//!
//! `SLOTRAFT_SIM_SEEDS=n` runs n seeds per sweep; `SLOTRAFT_SIM_SEED=s`
//! runs exactly seed s everywhere; `SLOTRAFT_SEED=b` makes b the sweeps'
//! base seed. A failing seed prints itself.

use std::time::Instant;

use chaos::sim::gap::{gap_bound, run_gap};
use chaos::sim::{reporting, run_seed, seeds, Topology};

/// Seeds per sweep by default (sized so the suite stays within a few
/// minutes in release mode on two cores; see chaos/README.md).
const SEEDS_3: u64 = 160;
const SEEDS_5: u64 = 100;
const GAP_SEEDS: u64 = 20;

fn sweep(name: &str, topo: Topology, default: u64) {
    let t = Instant::now();
    let seeds = seeds(default);
    let mut handed_over = 0;
    for &seed in &seeds {
        let (_, s) = reporting(name, seed, |seed| run_seed(&topo, seed));
        println!("{name} seed {seed}: {s:?}");
        handed_over += s.handed_over;
    }
    println!(
        "{name}: {} seeds in {:?}, {handed_over} leader hand-offs",
        seeds.len(),
        t.elapsed()
    );
    // A sweep must exercise the hand-off, or its checks prove nothing of it.
    assert!(
        seeds.len() < 20 || handed_over > 0,
        "no graceful hand-off completed in {} seeds",
        seeds.len()
    );
}

#[test]
fn three_nodes_survive_partitions_loss_and_crashes() {
    sweep("3 nodes", Topology::three(), SEEDS_3);
}

#[test]
fn five_nodes_survive_partitions_loss_and_crashes() {
    sweep("5 nodes", Topology::five(), SEEDS_5);
}

#[test]
fn witness_gap_closes_within_the_bound() {
    let t = Instant::now();
    let mut worst = std::time::Duration::ZERO;
    let seeds = seeds(GAP_SEEDS);
    for &seed in &seeds {
        let (run, _) = reporting("witness gap", seed, run_gap);
        println!(
            "witness gap seed {seed}: {run:?} (bound {:?})",
            gap_bound(seed, 3)
        );
        worst = worst.max(run.gap);
    }
    println!(
        "witness gap: {} seeds in {:?}, longest gap {worst:?}",
        seeds.len(),
        t.elapsed()
    );
}
