//! A follower frozen with SIGSTOP while the group writes past its purge
//! point catches up by snapshot when resumed. Replay with `SLOTRAFT_SEED=<n>`.

use std::time::Duration;

use cluster_tests::load::verify_acked;
use cluster_tests::{seed, ClusterBuilder, Load};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SECS: fn(u64) -> Duration = Duration::from_secs;
/// `--raft-snapshot-logs`: small, so the log is purged often.
const SNAPSHOT_LOGS: u64 = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_follower_catches_up_by_snapshot() {
    let name = "stopped_follower_catches_up_by_snapshot";
    let seed = seed(name);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut c = ClusterBuilder::group("snap", 3)
        .arg("raft-heartbeat-interval", 100)
        .arg("raft-election-timeout", 1000)
        .arg("raft-snapshot-logs", SNAPSHOT_LOGS)
        .start()
        .await;
    let leader = c.wait_leader(SECS(30), None).await;
    let followers: Vec<u64> = c.ids().into_iter().filter(|&id| id != leader).collect();
    let follower = followers[rng.gen_range(0..followers.len())];

    // Some data every member has, then freeze the follower.
    let load = Load::start(&c, 2, seed, SECS(20));
    load.wait_acked(50, SECS(60)).await;
    let warmup = load.stop().await;
    c.wait_converged(&c.ids(), SECS(60)).await;
    let before = c.info(follower).await;
    c.node(follower).stop();
    eprintln!(
        "{name}: SIGSTOP follower {follower} at applied {} snapshot {}",
        before.applied(),
        before.last_snapshot()
    );

    // Write until the leader's snapshots are far past what the follower
    // has: its log up to there is purged, so only a snapshot can bring the
    // follower back.
    let past = before.applied() + 5 * SNAPSHOT_LOGS;
    let load = Load::start(&c, 4, seed ^ 1, SECS(20));
    let at_leader = c
        .wait_info(
            leader,
            "snapshot past the stopped follower",
            SECS(180),
            |i| i.last_snapshot() >= past,
        )
        .await;
    let report = load.stop().await;
    let purged = at_leader
        .num("raft_purged_index")
        .expect("INFO replication has raft_purged_index");
    assert!(
        purged > before.applied(),
        "leader purged only up to {purged}; the follower has {}",
        before.applied()
    );
    let leader_snapshot = c.info(leader).await.last_snapshot();
    eprintln!(
        "{name}: leader snapshot at {leader_snapshot} after {} more writes; SIGCONT {follower}",
        report.acked.len()
    );

    c.node(follower).cont();
    let after = c
        .wait_info(follower, "snapshot installed", SECS(120), |i| {
            i.last_snapshot() >= leader_snapshot
        })
        .await;
    eprintln!(
        "{name}: follower {follower} snapshot {} -> {}",
        before.last_snapshot(),
        after.last_snapshot()
    );
    c.wait_converged(&c.ids(), SECS(120)).await;
    verify_acked(&c, &warmup.acked, SECS(60)).await;
    verify_acked(&c, &report.acked, SECS(60)).await;
}
