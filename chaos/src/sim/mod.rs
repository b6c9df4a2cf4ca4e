//! Deterministic simulation of one replicated group under turmoil, on the
//! node's own code: each turmoil host is a node assembled as the node
//! assembles itself (`group::host`), over raft-log on an in-memory disk
//! and the tonic cluster bus on turmoil TCP; clients go through `Engine`.
//!
//! [`run_seed`] runs the randomized workload with faults and checks the
//! history; [`gap`] drives the witness-gap scenario explicitly. Both are
//! reproduced bit for bit by their seed (chaos/README.md, "Determinism").

pub mod client;
pub mod gap;
pub mod member;
pub mod workload;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use raft_log::env::mem::MemEnv;
use slotraft::engine::Engine;
use slotraft::group::types::NodeId;

use crate::check::leaders;
use crate::check::linearizable;
use crate::check::list_append::{self, Append};
use crate::turmoil_bus::{host_name, Sockets, Wire};

pub use workload::run_seed;

/// Databases per keyspace (the node's default).
pub const DATABASES: usize = 16;
/// Leader heartbeat period, ms.
pub const HEARTBEAT_MS: u64 = 50;

/// Which nodes hold the group, and how.
#[derive(Clone, Debug)]
pub struct Topology {
    /// Data voters.
    pub data: Vec<NodeId>,
    /// Witnesses.
    pub witnesses: Vec<NodeId>,
    /// Snapshot after this many entries (0: never).
    pub snapshot_logs: u64,
}

impl Topology {
    /// Three nodes: data voters 1 and 2, witness 3.
    pub fn three() -> Topology {
        Topology {
            data: vec![1, 2],
            witnesses: vec![3],
            snapshot_logs: 64,
        }
    }

    /// Five nodes: data voters 1–4, witness 5.
    pub fn five() -> Topology {
        Topology {
            data: vec![1, 2, 3, 4],
            witnesses: vec![5],
            snapshot_logs: 64,
        }
    }

    /// Every member, data voters first.
    pub fn members(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.data.iter().chain(&self.witnesses).copied()
    }
}

/// State shared by the hosts, the clients and the driver.
#[derive(Default)]
pub struct World {
    /// Each node's disk; outlives the node's host across crashes.
    pub disks: HashMap<NodeId, MemEnv>,
    /// Running nodes' engines.
    pub live: BTreeMap<NodeId, Arc<Engine>>,
    /// Each node's bus streams (of its latest start), closed in a fixed
    /// order when it crashes.
    pub sockets: BTreeMap<NodeId, Arc<Sockets>>,
    /// What every node sent over the bus, digested.
    pub wire: Arc<Mutex<Wire>>,
    /// Observed (term, leader) pairs.
    pub leaders: Vec<(u64, NodeId)>,
    /// Register operations.
    pub registers: Vec<linearizable::Op>,
    /// List appends.
    pub appends: Vec<Append>,
    /// Lists read after healing.
    pub final_lists: BTreeMap<Vec<u8>, Vec<Vec<u8>>>,
    /// Writes refused before they were queued.
    pub refused: u64,
    /// The driver healed every fault.
    pub healed: bool,
    /// Clients that finished their operations.
    pub clients_done: u64,
    /// Human-readable history, compared between two runs of one seed.
    pub log: Vec<String>,
    /// Running nodes' doorbells for a graceful leader hand-off.
    pub handoffs: BTreeMap<NodeId, Arc<tokio::sync::Notify>>,
    /// Hand-offs that completed (another member leads).
    pub handed_over: usize,
}

impl World {
    /// Records a client's write for the checkers: `set` is a register
    /// write, anything else a list append. `complete` is `None` when the
    /// outcome is unknown.
    pub fn record_write(
        &mut self,
        cmd: &str,
        key: &[u8],
        val: &[u8],
        invoke: u64,
        complete: Option<u64>,
    ) {
        if cmd == "set" {
            self.registers.push(linearizable::Op {
                key: key.to_vec(),
                op: linearizable::RegOp::Write(val.to_vec()),
                invoke,
                complete,
            });
        } else {
            self.appends.push(Append {
                key: key.to_vec(),
                value: val.to_vec(),
                invoke,
                complete,
            });
        }
    }
}

/// The world as every task sees it.
pub type Shared = Arc<Mutex<World>>;

/// Crashes node `id`: clients lose it, its disk keeps only what was
/// synced, and its bus streams close in a fixed order ([`Sockets`]).
pub fn crash(sim: &mut turmoil::Sim<'_>, sh: &Shared, id: NodeId) {
    {
        let mut w = sh.lock().unwrap();
        w.live.remove(&id);
        w.handoffs.remove(&id);
        w.disks[&id].crash();
        if let Some(s) = w.sockets.get(&id) {
            s.crashing();
        }
    }
    sim.crash(host_name(id));
}

/// Simulated time, ns.
pub fn now_ns() -> u64 {
    turmoil::sim_elapsed().unwrap_or_default().as_nanos() as u64
}

/// The nodes' wall clock, unix ms: simulated time from a fixed origin.
pub fn unix_ms() -> i64 {
    1_700_000_000_000 + (now_ns() / 1_000_000) as i64
}

/// What one seed did, for the report line.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// Register operations recorded (writes and reads).
    pub register_ops: usize,
    /// Appends recorded, and how many were acknowledged.
    pub appends: usize,
    /// Acknowledged appends.
    pub acked: usize,
    /// Indeterminate writes (timed out or refused after queueing).
    pub indeterminate: usize,
    /// Writes refused before queueing.
    pub refused: u64,
    /// Faults injected, and crashes among them.
    pub faults: usize,
    /// Crashes among the faults.
    pub crashes: usize,
    /// Terms in which a leader was seen.
    pub terms: usize,
    /// Graceful leader hand-offs that completed.
    pub handed_over: usize,
}

/// Checks a finished run: registers linearizable, every acknowledged append
/// present once and in order, at most one leader per term. Panics on a
/// violation.
pub fn check(w: &World) {
    let dump = || {
        if std::env::var_os("SLOTRAFT_SIM_DUMP").is_some() {
            eprintln!("history:\n{}", w.log.join("\n"));
        }
    };
    if let Err(f) = linearizable::check(&w.registers) {
        dump();
        panic!(
            "registers not linearizable (gave up: {}) on key {:?}: best prefix {:?}\n{:#?}",
            f.gave_up,
            String::from_utf8_lossy(&f.key),
            f.best_prefix,
            f.ops
        );
    }
    if let Err(v) = list_append::check(&w.appends, &w.final_lists) {
        dump();
        panic!("list appends violated: {v:?}");
    }
    if let Err(v) = leaders::one_leader_per_term(w.leaders.iter().copied()) {
        dump();
        panic!("two leaders in one term: {v:?}");
    }
}

/// The seeds to run: `SLOTRAFT_SIM_SEED` alone (replaying one failure),
/// else `SLOTRAFT_SIM_SEEDS` (or `default`) consecutive seeds from a base:
/// `SLOTRAFT_SEED` if set (scripts/test.sh sets it, so a CI sweep can be
/// rerun whole), else fresh. The base is printed.
pub fn seeds(default: u64) -> Vec<u64> {
    if let Ok(s) = std::env::var("SLOTRAFT_SIM_SEED") {
        return vec![s.parse().expect("SLOTRAFT_SIM_SEED is a number")];
    }
    let n = std::env::var("SLOTRAFT_SIM_SEEDS")
        .ok()
        .map(|s| s.parse().expect("SLOTRAFT_SIM_SEEDS is a number"))
        .unwrap_or(default);
    let base: u64 = match std::env::var("SLOTRAFT_SEED") {
        Ok(s) => s.parse().expect("SLOTRAFT_SEED is a number"),
        Err(_) => rand::random(),
    };
    println!("seed base {base} (rerun the sweep with SLOTRAFT_SEED={base})");
    (0..n).map(|i| base.wrapping_add(i)).collect()
}

/// Runs `f(seed)`, naming the seed if it panics.
pub fn reporting<T>(what: &str, seed: u64, f: impl FnOnce(u64) -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(seed))) {
        Ok(v) => v,
        Err(e) => {
            eprintln!(
                "{what}: simulation seed {seed} FAILED (rerun with SLOTRAFT_SIM_SEED={seed})"
            );
            std::panic::resume_unwind(e)
        }
    }
}

/// Runs `f` with the tracing events that `filter` (an `EnvFilter`
/// directive, e.g. `turmoil=trace` for every packet) selects captured,
/// one line each, stamped with simulated time instead of wall time so two
/// runs of one seed can be diffed line by line.
pub fn traced<T>(filter: &str, f: impl FnOnce() -> T) -> (T, Vec<String>) {
    struct SimTime;
    impl tracing_subscriber::fmt::time::FormatTime for SimTime {
        fn format_time(
            &self,
            w: &mut tracing_subscriber::fmt::format::Writer<'_>,
        ) -> std::fmt::Result {
            // Outside a host's runtime (the driver crashing or restarting a
            // host) turmoil's clock would read tokio's fallback, the wall
            // clock; while turmoil itself is borrowed it has none.
            match turmoil::sim_elapsed() {
                Some(t) if tokio::runtime::Handle::try_current().is_ok() => {
                    write!(w, "{}", t.as_nanos())
                }
                _ => write!(w, "-"),
            }
        }
    }
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_timer(SimTime)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The simulation runs every host on this thread: a thread-local
    // subscriber sees all of it and nothing of other tests.
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8_lossy(&sink.0.lock().unwrap()).into_owned();
    (out, text.lines().map(str::to_owned).collect())
}
