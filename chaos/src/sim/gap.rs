//! The witness gap (DESIGN, "Witnesses"), driven explicitly on 2 data
//! voters + 1 witness: hold the data follower's traffic, write (the leader
//! and the witness acknowledge), crash the leader, release the follower.
//! The witness then holds entries the surviving data voter lacks, so it
//! must lead, feed the data voter, and hand leadership over. Checked: the
//! data voter leads within [`gap_bound`] of the release, every
//! acknowledged write is present, the usual checkers pass.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use slotraft::group::types::NodeId;

use super::client::{Conn, Outcome};
use super::member::{election_ms, run_member};
use super::workload::{builder, heal_links, read_final};
use super::{check, crash, now_ns, Shared, Topology};
use crate::turmoil_bus::host_name;

/// Appends (and register writes) in each phase.
const WRITES: u64 = 10;

/// A step the scenario asks the driver (which owns the `Sim`) to take.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    Hold(NodeId),
    Crash(NodeId),
    Release(NodeId),
    Restart(NodeId),
}

#[derive(Default)]
struct Ctl {
    asked: Option<Step>,
    done: bool,
    /// (leader, follower, release time, time the follower led), in ns.
    outcome: Option<(NodeId, NodeId, u64, u64)>,
}

type SharedCtl = Arc<Mutex<Ctl>>;

/// What one run of the scenario measured.
#[derive(Debug, Clone, Copy)]
pub struct GapRun {
    /// The data leader that was crashed.
    pub crashed: NodeId,
    /// The data voter that took over.
    pub successor: NodeId,
    /// From the release of the follower's traffic until it led.
    pub gap: Duration,
}

/// How long the data voter may take to lead after the release: the
/// witness campaigns a lease plus its election timeout after the leader's
/// last heartbeat (one more timeout if the data voter's failed campaigns
/// raised the term first), then hands over (its duties tick every five
/// heartbeats, the catch-up, about two heartbeats): `witness.rs`'s "about
/// 3 × election_timeout_max", plus one second of slack.
pub fn gap_bound(seed: u64, witness: NodeId) -> Duration {
    Duration::from_millis(3 * (election_ms(seed, witness) + 1) + 1000)
}

async fn ask(ctl: &SharedCtl, step: Step) {
    {
        let mut c = ctl.lock().unwrap();
        c.asked = Some(step);
        c.done = false;
    }
    while !ctl.lock().unwrap().done {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Writes `WRITES` appends to `l0` and register writes to `r0` through
/// `conn`'s node, recording them; with `must_ack`, each must be
/// acknowledged (else retried at the redirect until 20 s pass).
async fn writes(sh: &Shared, conn: &mut Conn, tag: &str, must_ack: bool) {
    let deadline = now_ns() + Duration::from_secs(20).as_nanos() as u64;
    let mut n = 0;
    while n < WRITES {
        assert!(
            now_ns() < deadline,
            "{tag}: writes not acknowledged in time"
        );
        let Some(engine) = conn.engine(sh) else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        for (cmd, key) in [("rpush", "l0"), ("set", "r0")] {
            let val = format!("{tag}-{n}");
            let invoke = now_ns();
            let out = conn.write(&engine, &[cmd, key, &val]).await;
            let complete = match out {
                Outcome::Ok(_) => Some(now_ns()),
                Outcome::Maybe(_) => None,
                Outcome::NotDone(_) => continue,
            };
            assert!(
                !must_ack || complete.is_some(),
                "{tag}: {cmd} {val} not acknowledged: {out:?}"
            );
            let mut w = sh.lock().unwrap();
            w.log
                .push(format!("{invoke} {complete:?} {cmd} {key} {val}"));
            w.record_write(cmd, key.as_bytes(), val.as_bytes(), invoke, complete);
        }
        n += 1;
    }
}

fn status(sh: &Shared, id: NodeId) -> Option<slotraft::group::runtime::GroupStatus> {
    let e = sh.lock().unwrap().live.get(&id).cloned();
    e.map(|e| e.group().status())
}

async fn scenario(sh: Shared, ctl: SharedCtl, topo: Topology, seed: u64) -> turmoil::Result {
    // A data voter leads and everything is replicated.
    let leader = loop {
        let l = topo
            .data
            .iter()
            .copied()
            .find(|&d| status(&sh, d).is_some_and(|s| s.state == "leader"));
        if let Some(l) = l {
            break l;
        }
        assert!(now_ns() < 20_000_000_000, "no data leader elected");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let follower = *topo.data.iter().find(|&&d| d != leader).expect("2 data");
    let mut conn = Conn::new(&topo, seed, 0);
    conn.go_to(leader);
    writes(&sh, &mut conn, "before", true).await;

    // Only the leader and the witness acknowledge the next writes.
    ask(&ctl, Step::Hold(follower)).await;
    conn.go_to(leader);
    writes(&sh, &mut conn, "held", true).await;
    let (l, f) = (status(&sh, leader).unwrap(), status(&sh, follower).unwrap());
    assert!(
        f.last_log_index < l.last_log_index,
        "the follower was not held back: {f:?} vs {l:?}"
    );

    ask(&ctl, Step::Crash(leader)).await;
    ask(&ctl, Step::Release(follower)).await;
    let released = now_ns();
    while status(&sh, follower).is_none_or(|s| s.state != "leader") {
        assert!(
            now_ns() - released < 30_000_000_000,
            "the data voter never led"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let led = now_ns();
    ctl.lock().unwrap().outcome = Some((leader, follower, released, led));

    conn.go_to(follower);
    writes(&sh, &mut conn, "after", true).await;
    ask(&ctl, Step::Restart(leader)).await;
    sh.lock().unwrap().healed = true;
    for key in ["r0", "l0"] {
        read_final(&sh, &mut conn, key).await;
    }
    Ok(())
}

/// Runs the scenario for `seed`; checks it and returns what it measured.
pub fn run_gap(seed: u64) -> (GapRun, Vec<String>) {
    let topo = Topology {
        snapshot_logs: 0,
        ..Topology::three()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let sh: Shared = Shared::default();
    let ctl: SharedCtl = SharedCtl::default();
    let mut sim = builder(seed);
    let members: Vec<NodeId> = topo.members().collect();
    for &id in &members {
        let (sh, dir, topo) = (sh.clone(), dir.path().to_path_buf(), topo.clone());
        sim.host(host_name(id), move || {
            run_member(sh.clone(), topo.clone(), seed, id, dir.clone())
        });
    }
    sim.client(
        "client",
        scenario(sh.clone(), ctl.clone(), topo.clone(), seed),
    );
    let hosts: Vec<String> = members.iter().map(|&m| host_name(m)).collect();
    loop {
        if sim
            .step()
            .unwrap_or_else(|e| panic!("simulation failed: {e}"))
        {
            break;
        }
        let mut c = ctl.lock().unwrap();
        let Some(step) = c.asked.take() else { continue };
        match step {
            Step::Hold(f) => {
                for h in hosts.iter().filter(|h| **h != host_name(f)) {
                    sim.hold(host_name(f), h.as_str());
                }
            }
            Step::Crash(l) => crash(&mut sim, &sh, l),
            Step::Release(_) => heal_links(&mut sim, &hosts),
            Step::Restart(l) => sim.bounce(host_name(l)),
        }
        sh.lock()
            .unwrap()
            .log
            .push(format!("{} step {step:?}", now_ns_of(&sim)));
        c.done = true;
    }
    let mut w = sh.lock().unwrap();
    check(&w);
    let wire = w.wire.lock().unwrap().to_string();
    w.log.push(wire);
    let (crashed, successor, released, led) = ctl
        .lock()
        .unwrap()
        .outcome
        .expect("the scenario ran to the end");
    let run = GapRun {
        crashed,
        successor,
        gap: Duration::from_nanos(led - released),
    };
    let witness = topo.witnesses[0];
    assert!(
        run.gap <= gap_bound(seed, witness),
        "the data voter led {:?} after the release, over the bound {:?}",
        run.gap,
        gap_bound(seed, witness)
    );
    assert!(
        w.leaders.iter().any(|&(_, l)| l == witness),
        "the witness never led: the scenario did not open the gap"
    );
    (run, w.log.clone())
}

fn now_ns_of(sim: &turmoil::Sim<'_>) -> u128 {
    sim.elapsed().as_nanos()
}
