//! The randomized run: clients issue register writes/reads and list
//! appends while the driver injects faults; then everything heals, the
//! final state is read through the request path and the history checked.
//!
//! Faults, one every 100–700 ms of simulated time during [`CHAOS_FOR`]:
//! partition of a pair, one-way partition, held link (delivery delayed
//! until released), message latency up to 120 ms with loss up to 2 %
//! (loss breaks turmoil TCP connections, so the bus reconnects), repair of
//! every link, crash of a node (its disk drops unsynced writes) and
//! restart, a graceful leader hand-off (as on SIGTERM, but the old leader
//! keeps running). At most a minority of the nodes is down at once.

use std::collections::BTreeSet;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use slotraft::group::types::NodeId;

use super::client::{self, Conn, Outcome};
use super::member::run_member;
use super::{check, crash, now_ns, Shared, Summary, Topology};
use crate::check::linearizable::{self, RegOp};
use crate::turmoil_bus::host_name;

const CLIENTS: u64 = 3;
const OPS_PER_CLIENT: u64 = 120;
const REGISTERS: u64 = 4;
const LISTS: u64 = 2;
/// Faults are injected until this much simulated time has passed.
pub const CHAOS_FOR: Duration = Duration::from_secs(10);

async fn client(sh: Shared, topo: Topology, seed: u64, c: u64) -> turmoil::Result {
    let mut conn = Conn::new(&topo, seed, c);
    let mut n = 0;
    while n < OPS_PER_CLIENT {
        let Some(engine) = conn.engine(&sh) else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        n += 1;
        let node = conn.target();
        let invoke = now_ns();
        let roll = conn.rng.gen_range(0..10);
        if (4..7).contains(&roll) {
            let key = format!("r{}", conn.rng.gen_range(0..REGISTERS));
            let got = conn
                .read(&engine, &["get", &key])
                .await
                .map(client::register);
            let complete = now_ns();
            let mut w = sh.lock().unwrap();
            w.log
                .push(format!("{invoke} {complete} n{node} get {key} {got:?}"));
            if let Some(v) = got {
                w.registers.push(linearizable::Op {
                    key: key.into_bytes(),
                    op: RegOp::Read(v),
                    invoke,
                    complete: Some(complete),
                });
            }
        } else {
            let (cmd, key) = if roll < 4 {
                ("set", format!("r{}", conn.rng.gen_range(0..REGISTERS)))
            } else {
                ("rpush", format!("l{}", conn.rng.gen_range(0..LISTS)))
            };
            let val = format!("c{c}-{n}");
            let out = conn.write(&engine, &[cmd, &key, &val]).await;
            let complete = now_ns();
            let mut w = sh.lock().unwrap();
            w.log.push(format!(
                "{invoke} {complete} n{node} {cmd} {key} {val} {}",
                out.tag()
            ));
            let complete = match out {
                Outcome::Ok(_) => Some(complete),
                Outcome::Maybe(_) => None,
                Outcome::NotDone(_) => {
                    w.refused += 1;
                    continue;
                }
            };
            w.record_write(cmd, key.as_bytes(), val.as_bytes(), invoke, complete);
        }
        tokio::time::sleep(Duration::from_millis(conn.rng.gen_range(0..40))).await;
    }
    sh.lock().unwrap().clients_done += 1;
    if c != 0 {
        return Ok(());
    }
    // Client 0 reads the final state once everything has healed.
    while !(sh.lock().unwrap().healed && sh.lock().unwrap().clients_done == CLIENTS) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let keys = (0..REGISTERS)
        .map(|k| format!("r{k}"))
        .chain((0..LISTS).map(|k| format!("l{k}")));
    for key in keys {
        read_final(&sh, &mut conn, &key).await;
    }
    Ok(())
}

/// Reads `key` through the request path after healing, retrying (and
/// following redirects) for up to 20 s of simulated time.
pub async fn read_final(sh: &Shared, conn: &mut Conn, key: &str) {
    let deadline = now_ns() + Duration::from_secs(20).as_nanos() as u64;
    loop {
        assert!(
            now_ns() < deadline,
            "no leader could serve a read after healing"
        );
        let Some(engine) = conn.engine(sh) else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let invoke = now_ns();
        let is_list = key.starts_with('l');
        let args: &[&str] = if is_list {
            &["lrange", key, "0", "-1"]
        } else {
            &["get", key]
        };
        let Some(reply) = conn.read(&engine, args).await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let complete = now_ns();
        let mut w = sh.lock().unwrap();
        w.log
            .push(format!("{invoke} {complete} final {key} {reply:?}"));
        if is_list {
            w.final_lists
                .insert(key.as_bytes().to_vec(), client::list(reply));
        } else {
            w.registers.push(linearizable::Op {
                key: key.as_bytes().to_vec(),
                op: RegOp::Read(client::register(reply)),
                invoke,
                complete: Some(complete),
            });
        }
        return;
    }
}

/// Repairs and releases every link between `hosts`.
pub fn heal_links(sim: &mut turmoil::Sim<'_>, hosts: &[String]) {
    for a in hosts {
        for b in hosts {
            if a < b {
                sim.repair(a.as_str(), b.as_str());
                sim.release(a.as_str(), b.as_str());
            }
        }
    }
}

/// A turmoil simulation tuned for the bus: 1 ms ticks, 1–5 ms latency.
pub fn builder(seed: u64) -> turmoil::Sim<'static> {
    // Turmoil seeds each host's tokio runtime (the rng of unbiased
    // `select!`, in openraft, tonic, ours) only under this cfg.
    if !cfg!(tokio_unstable) {
        panic!(
            "built without --cfg tokio_unstable, so runs would not repeat: \
             .cargo/config.toml sets it, a RUSTFLAGS variable replaces it"
        );
    }
    turmoil::Builder::new()
        .rng_seed(seed)
        .simulation_duration(Duration::from_secs(120))
        .tick_duration(Duration::from_millis(1))
        .min_message_latency(Duration::from_millis(1))
        .max_message_latency(Duration::from_millis(5))
        .build()
}

/// Runs one seed on `topo` and checks it; returns its history log (for the
/// determinism check) and a summary.
pub fn run_seed(topo: &Topology, seed: u64) -> (Vec<String>, Summary) {
    let dir = tempfile::tempdir().expect("tempdir");
    let sh: Shared = Shared::default();
    let mut sim = builder(seed);
    let members: Vec<NodeId> = topo.members().collect();
    for &id in &members {
        let (sh, dir, topo) = (sh.clone(), dir.path().to_path_buf(), topo.clone());
        sim.host(host_name(id), move || {
            run_member(sh.clone(), topo.clone(), seed, id, dir.clone())
        });
    }
    for c in 0..CLIENTS {
        sim.client(
            format!("client{c}"),
            client(sh.clone(), topo.clone(), seed, c),
        );
    }

    let hosts: Vec<String> = members.iter().map(|&m| host_name(m)).collect();
    let max_down = (members.len() - 1) / 2;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xFA_0175);
    let mut next_fault = Duration::from_millis(rng.gen_range(200..800));
    let mut crashed: BTreeSet<NodeId> = BTreeSet::new();
    let mut healed = false;
    let (mut faults, mut crashes) = (0, 0);
    loop {
        if sim
            .step()
            .unwrap_or_else(|e| panic!("simulation failed: {e}"))
        {
            break;
        }
        let now = sim.elapsed();
        if healed {
            continue;
        }
        if now >= CHAOS_FOR {
            heal_links(&mut sim, &hosts);
            sim.set_fail_rate(0.0);
            sim.set_max_message_latency(Duration::from_millis(5));
            for id in std::mem::take(&mut crashed) {
                sim.bounce(host_name(id));
            }
            healed = true;
            sh.lock().unwrap().healed = true;
        } else if now >= next_fault {
            next_fault = now + Duration::from_millis(rng.gen_range(100..700));
            let a = &hosts[rng.gen_range(0..hosts.len())];
            let b = &hosts[rng.gen_range(0..hosts.len())];
            let what = rng.gen_range(0..9);
            match what {
                0 if a != b => sim.partition(a.as_str(), b.as_str()),
                1 if a != b => sim.partition_oneway(a.as_str(), b.as_str()),
                2 if a != b => sim.hold(a.as_str(), b.as_str()),
                3 => {
                    sim.set_max_message_latency(Duration::from_millis(rng.gen_range(5..120)));
                    sim.set_fail_rate(rng.gen_range(0.0..0.02));
                }
                4 => heal_links(&mut sim, &hosts),
                5 | 6 if crashed.len() < max_down => {
                    // Crash: the disk keeps only what was synced.
                    let id = members[rng.gen_range(0..members.len())];
                    if crashed.insert(id) {
                        crash(&mut sim, &sh, id);
                        crashes += 1;
                    }
                }
                7 => {
                    if let Some(id) = crashed.pop_first() {
                        sim.bounce(host_name(id));
                    }
                }
                8 => {
                    for bell in sh.lock().unwrap().handoffs.values() {
                        bell.notify_one();
                    }
                }
                _ => {}
            }
            faults += 1;
            sh.lock()
                .unwrap()
                .log
                .push(format!("{} fault {what} {a} {b}", now.as_nanos()));
        }
    }

    let mut w = sh.lock().unwrap();
    check(&w);
    let wire = w.wire.lock().unwrap().to_string();
    w.log.push(wire);
    let acked = w.appends.iter().filter(|a| a.complete.is_some()).count();
    assert!(
        acked > 0,
        "no append was acknowledged: the run proved nothing"
    );
    let summary = Summary {
        register_ops: w.registers.len(),
        appends: w.appends.len(),
        acked,
        indeterminate: w.appends.iter().filter(|a| a.complete.is_none()).count()
            + w.registers.iter().filter(|o| o.complete.is_none()).count(),
        refused: w.refused,
        faults,
        crashes,
        terms: w.leaders.iter().map(|l| l.0).collect::<BTreeSet<_>>().len(),
        handed_over: w.handed_over,
    };
    (w.log.clone(), summary)
}
