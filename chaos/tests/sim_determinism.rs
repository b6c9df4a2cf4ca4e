//! Same seed, same history: the group simulation reproduces bit for bit,
//! whatever else runs on the machine.
//!
//! Two seeds per scenario (the random run with faults, the witness gap),
//! each run twice at once on two threads of this process. Compared: every operation with its
//! simulated invocation and completion times, node and outcome, every
//! leader change, fault and step, and a digest of every byte written onto
//! the bus with its simulated time (`turmoil_bus::Wire`).
//!
//! What makes it hold (chaos/README.md, "Determinism"): turmoil's rng and
//! the clients' and driver's ChaCha8 are seeded; `--cfg tokio_unstable`
//! (`.cargo/config.toml`) lets turmoil seed each host's tokio rng, which
//! unbiased `select!` draws from; a crash closes the host's streams in
//! address order, not in tokio's task-id order; h2 remembers reset streams
//! for the whole run instead of one second of wall time; bus responses
//! carry a fixed `date`; the engine reads the simulated clock; openraft's
//! election timeout range is one millisecond wide.
//!
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

/// Runs `seed` twice through `run`, at once on two threads (so each run
/// has the other beside it, as a sweep's seed has the other sweeps);
/// panics where the two differ.
fn twice(what: &str, seed: u64, run: impl Fn(u64) -> Vec<String> + Sync) {
    let filter = std::env::var("SLOTRAFT_SIM_EVENTS").ok();
    let once = || {
        let go = || reporting("determinism", seed, &run);
        match &filter {
            Some(f) => traced(f, go),
            None => (go(), Vec::new()),
        }
    };
    let ((a, events_a), (b, events_b)) = std::thread::scope(|s| {
        let a = s.spawn(once);
        let b = s.spawn(once);
        let join = |h: std::thread::ScopedJoinHandle<'_, _>| {
            h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
        };
        (join(a), join(b))
    });
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
fn same_seed_same_history() {
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
