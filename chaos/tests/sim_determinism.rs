//! Same seed, same history: the group simulation reproduces bit for bit.
//!
//! NOT YET TRUE under CPU load, so the test is ignored in CI: with a build
//! running beside it, 3 of 4 runs saw the two histories of one seed diverge
//! (at lines 31–355); on an idle machine they match. Suspects: wall-clock
//! reads inside h2 (tonic's HTTP/2: keep-alive and flow-control timers)
//! and tokio's unseeded `select!`, which turmoil seeds only under
//! `--cfg tokio_unstable` (chaos/README.md, "Determinism"). A failing
//! seed still replays the same workload and fault schedule.
//!
//! `cargo test --release -p chaos --test sim_determinism -- --ignored`;
//! `SLOTRAFT_SIM_SEED=s` checks exactly seed s.

use chaos::sim::gap::run_gap;
use chaos::sim::{reporting, run_seed, seeds, Topology};

#[test]
#[ignore = "diverges under CPU load: h2 wall-clock timers / unseeded tokio select (see module doc)"]
fn same_seed_same_history() {
    // Two seeds per scenario, each run twice: every operation, its
    // simulated times, node and outcome, every leader change and every
    // fault must repeat exactly.
    let same = |what: &str, a: Vec<String>, b: Vec<String>, seed: u64| {
        if a != b {
            let at = a
                .iter()
                .zip(&b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            panic!(
                "{what} seed {seed} is not deterministic (SLOTRAFT_SIM_SEED={seed}): \
                 histories differ at line {at}:\n {:?}\n {:?}",
                a.get(at),
                b.get(at)
            );
        }
    };
    for seed in seeds(2).into_iter().take(2) {
        let run = |s| run_seed(&Topology::three(), s).0;
        let a = reporting("determinism", seed, run);
        let b = reporting("determinism", seed, run);
        same("3 nodes", a, b, seed);
        let run = |s| run_gap(s).1;
        let a = reporting("determinism", seed, run);
        let b = reporting("determinism", seed, run);
        same("witness gap", a, b, seed);
    }
}
