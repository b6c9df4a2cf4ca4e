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
//! `SLOTRAFT_SIM_SEED=s` checks exactly seed s. `SLOTRAFT_SIM_EVENTS=f`
//! (an `EnvFilter` directive such as `turmoil=trace`, every packet with
//! its bytes) also captures those tracing events with simulated
//! timestamps, compares them and, where they differ, writes both runs'
//! events to the temp directory and names the first differing line.

use chaos::sim::gap::run_gap;
use chaos::sim::{reporting, run_seed, seeds, traced, Topology};

/// The first line at which `a` and `b` differ, if they do.
fn first_difference(a: &[String], b: &[String]) -> Option<usize> {
    let at = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    (a.len() != b.len() || at < a.len()).then_some(at)
}

/// Runs `seed` twice through `run`; panics where the two differ.
fn twice(what: &str, seed: u64, run: impl Fn(u64) -> Vec<String>) {
    let filter = std::env::var("SLOTRAFT_SIM_EVENTS").ok();
    let once = || {
        let go = || reporting("determinism", seed, &run);
        match &filter {
            Some(f) => traced(f, go),
            None => (go(), Vec::new()),
        }
    };
    let (a, events_a) = once();
    let (b, events_b) = once();
    let mut why = String::new();
    if let Some(at) = first_difference(&events_a, &events_b) {
        let name = |run: &str| {
            std::env::temp_dir().join(format!(
                "slotraft-sim-{}-{seed}-{run}.log",
                what.replace(' ', "-")
            ))
        };
        for (run, events) in [("a", &events_a), ("b", &events_b)] {
            std::fs::write(name(run), events.join("\n")).expect("write the events");
        }
        why += &format!(
            "events differ at line {at} (all in {} and {}):\n {:?}\n {:?}\n",
            name("a").display(),
            name("b").display(),
            events_a.get(at),
            events_b.get(at)
        );
    }
    if let Some(at) = first_difference(&a, &b) {
        why += &format!(
            "histories differ at line {at}:\n {:?}\n {:?}\n",
            a.get(at),
            b.get(at)
        );
    }
    assert!(
        why.is_empty(),
        "{what} seed {seed} is not deterministic (SLOTRAFT_SIM_SEED={seed}): {why}"
    );
}

#[test]
#[ignore = "diverges under CPU load: h2 wall-clock timers / unseeded tokio select (see module doc)"]
fn same_seed_same_history() {
    // Two seeds per scenario, each run twice: every operation, its
    // simulated times, node and outcome, every leader change and every
    // fault must repeat exactly.
    for seed in seeds(2).into_iter().take(2) {
        twice("3 nodes", seed, |s| run_seed(&Topology::three(), s).0);
        twice("witness gap", seed, |s| run_gap(s).1);
    }
}

#[test]
fn first_difference_names_the_first_differing_line() {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(first_difference(&v(&["a", "b"]), &v(&["a", "b"])), None);
    assert_eq!(first_difference(&v(&["a", "b"]), &v(&["a", "c"])), Some(1));
    assert_eq!(first_difference(&v(&["a"]), &v(&["a", "b"])), Some(1));
    assert_eq!(first_difference(&v(&["a", "b"]), &v(&["a"])), Some(1));
}
