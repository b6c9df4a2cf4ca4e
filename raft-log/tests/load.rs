//! Many groups at once (group commit under concurrency) and space reclamation.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{ent, lid, TC};
use openraft::storage::RaftLogStorage;
use openraft::{EntryPayload, RaftLogReader};
use raft_log::env::mem::MemEnv;
use raft_log::{GroupLog, LogStore, Options};

const GROUPS: u64 = 64;
const APPENDS: u64 = 100;

/// 64 groups append concurrently from a multi-threaded runtime, pipelined as
/// openraft does (the next append is issued before the previous is durable).
/// Every callback completes, in order per group, and everything reads back.
#[test]
fn sixty_four_groups_append_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LogStore::open(dir.path(), Options::default()).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..GROUPS)
        .map(|g| {
            let log: GroupLog<TC> = store.group(g).unwrap();
            rt.spawn(async move {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                let mut next = 1;
                for k in 0..APPENDS {
                    let n = 1 + (g + k) % 3;
                    let batch: Vec<_> = (next..next + n)
                        .map(|i| ent(1, i, &format!("g{g}/{i}")))
                        .collect();
                    next += n;
                    let tx = tx.clone();
                    log.append_with(batch, move |r| {
                        r.expect("append durable");
                        tx.send(k).expect("receiver alive");
                    })
                    .unwrap();
                    if k % 7 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
                drop(tx);
                let mut order = Vec::new();
                while let Some(k) = rx.recv().await {
                    order.push(k);
                }
                assert_eq!(
                    order,
                    (0..APPENDS).collect::<Vec<_>>(),
                    "group {g}: callbacks out of order or missing"
                );
                (g, log, next - 1)
            })
        })
        .collect();
    let done: Vec<_> = rt.block_on(async {
        let mut v = Vec::new();
        for t in tasks {
            v.push(t.await.expect("task"));
        }
        v
    });
    let stats = store.stats();
    let appends = GROUPS * APPENDS;
    println!(
        "{appends} appends in {} syncs: {:.1} appends per fsync",
        stats.syncs,
        appends as f64 / stats.syncs.max(1) as f64
    );
    assert_eq!(stats.completions, appends);
    assert!(
        stats.syncs * 2 <= appends,
        "group commit did not batch: {} syncs for {appends} appends",
        stats.syncs
    );
    for (g, mut log, last) in done {
        let got = rt.block_on(log.try_get_log_entries(1..)).unwrap();
        assert_eq!(got.len() as u64, last, "group {g}");
        for (i, e) in got.iter().enumerate() {
            let want = format!("g{g}/{}", i + 1);
            assert!(
                matches!(&e.payload, EntryPayload::Normal(d) if *d == want),
                "group {g} entry {i}"
            );
        }
    }
}

/// Each group appends one entry, waits for its callback, appends again.
/// Returns the store's stats for those appends only.
fn one_in_flight(store: &LogStore, groups: u64, rounds: u64) -> raft_log::Stats {
    store.flush().unwrap();
    let before = store.stats();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..groups)
        .map(|g| {
            let log: GroupLog<TC> = store.group(g).unwrap();
            rt.spawn(async move {
                for i in 1..=rounds {
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    log.append_with([ent(1, i, "x")], move |r| {
                        let _ = tx.send(r.is_ok());
                    })
                    .unwrap();
                    assert!(rx.await.unwrap(), "group {g} append {i} failed");
                }
            })
        })
        .collect();
    rt.block_on(async {
        for t in tasks {
            t.await.expect("task");
        }
    });
    let after = store.stats();
    assert_eq!(after.completions - before.completions, groups * rounds);
    raft_log::Stats {
        syncs: after.syncs - before.syncs,
        completions: after.completions - before.completions,
        held: after.held - before.held,
        ..after
    }
}

/// openraft 0.9 semantics: 64 groups, each with one append in flight, the
/// next issued only after the previous one's callback. Without the writer's
/// hold they settle into two halves that take turns (32 per fdatasync); with
/// it, one fdatasync covers (nearly) all 64. The simulated fdatasync takes
/// 10 ms, so the hold may last 2.5 ms: ample time for 64 tasks to re-append
/// even on a loaded machine, and a round that misses it only costs one
/// smaller batch (the next hold waits for everyone again).
#[test]
fn one_append_in_flight_per_group_fills_batches_of_sixty_four() {
    let env = MemEnv::new();
    env.set_sync_latency(Duration::from_millis(10));
    let store =
        LogStore::open_with_env(Arc::new(env), Path::new("/wal"), Options::default()).unwrap();
    let s = one_in_flight(&store, GROUPS, 40);
    let per_sync = s.completions as f64 / s.syncs.max(1) as f64;
    println!(
        "{} appends, {} fdatasyncs: {per_sync:.1} per fdatasync; held {:?} in all",
        s.completions, s.syncs, s.held
    );
    assert!(
        per_sync >= 50.0,
        "{per_sync:.1} appends per fdatasync at 64 groups x 1 in flight (want >= 50)"
    );
}

/// A lone group is never held: after a batch that released one appender the
/// writer goes straight back to waiting for work, so one group's latency is
/// the plain fdatasync latency.
#[test]
fn a_single_group_is_never_held() {
    let env = MemEnv::new();
    env.set_sync_latency(Duration::from_millis(1));
    let store =
        LogStore::open_with_env(Arc::new(env), Path::new("/wal"), Options::default()).unwrap();
    let s = one_in_flight(&store, 1, 50);
    assert_eq!(s.syncs, 50, "one fdatasync per append");
    assert_eq!(
        s.held,
        Duration::ZERO,
        "the writer held a batch for one group"
    );
}

/// After purges, disk use comes back to within one segment of the live
/// data, including segments that only a lagging group's few entries held.
#[test]
fn purge_returns_space_to_within_one_segment_of_live_entries() {
    const SEG: u64 = 16 << 10;
    let env = MemEnv::new();
    let opts = Options {
        segment_bytes: SEG,
        cache_entries_per_group: 8,
        ..Options::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store =
        LogStore::open_with_env(Arc::new(env.clone()), Path::new("/wal"), opts.clone()).unwrap();
    let mut logs: Vec<GroupLog<TC>> = (0..8).map(|g| store.group(g).unwrap()).collect();
    let payload = "p".repeat(100);
    let lagging_last = 1000;
    rt.block_on(async {
        for i in 1..=2000u64 {
            for (g, log) in logs.iter_mut().enumerate() {
                // Group 0 lags: it stops at half-way, its entries sprinkled
                // thinly through the first half of the segments.
                if g == 0 && i > lagging_last {
                    continue;
                }
                openraft::storage::RaftLogStorageExt::blocking_append(log, [ent(1, i, &payload)])
                    .await
                    .unwrap();
            }
        }
        for (g, log) in logs.iter_mut().enumerate() {
            let upto = if g == 0 { lagging_last - 20 } else { 2000 };
            log.purge(lid(1, upto)).await.unwrap();
        }
    });
    let before = env.used_bytes();
    store.reclaim().unwrap();
    let (total, live) = store.disk_usage();
    let used = env.used_bytes();
    println!(
        "disk before reclaim {before} B, after {used} B; live records {live} B; segment {SEG} B"
    );
    assert_eq!(used, total, "accounting agrees with the disk");
    assert!(
        before > 20 * SEG,
        "the test must have written many segments"
    );
    assert!(
        used <= live + SEG,
        "disk use {used} B is not within one segment ({SEG} B) of live data ({live} B): {:?}",
        store.segments()
    );
    let stats = store.stats();
    assert!(
        stats.records_compacted > 0,
        "the lagging group's entries were compacted"
    );

    // Everything still reads back, and survives a reopen.
    let check = |logs: &mut Vec<GroupLog<TC>>| {
        rt.block_on(async {
            for (g, log) in logs.iter_mut().enumerate() {
                let st = log.get_log_state().await.unwrap();
                let got = log.try_get_log_entries(0..).await.unwrap();
                if g == 0 {
                    assert_eq!(st.last_purged_log_id, Some(lid(1, lagging_last - 20)));
                    assert_eq!(got.len(), 20);
                    assert_eq!(got[0].log_id.index, lagging_last - 19);
                } else {
                    assert_eq!(st.last_purged_log_id, Some(lid(1, 2000)), "group {g}");
                    assert_eq!(st.last_log_id, Some(lid(1, 2000)), "group {g}");
                    assert!(got.is_empty());
                }
            }
        })
    };
    check(&mut logs);
    drop(logs);
    drop(store);
    let store = LogStore::open_with_env(Arc::new(env.clone()), Path::new("/wal"), opts).unwrap();
    let mut logs: Vec<GroupLog<TC>> = (0..8).map(|g| store.group(g).unwrap()).collect();
    check(&mut logs);
}

/// `appendfsync no`: appends are acknowledged without any fdatasync (a crash
/// may lose them, which the docs say); a vote still forces one and carries
/// everything before it to disk.
#[test]
fn sync_mode_no_acknowledges_without_fsync_but_votes_are_durable() {
    let env = MemEnv::new();
    let opts = Options {
        sync: raft_log::SyncMode::No,
        ..Options::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store =
        LogStore::open_with_env(Arc::new(env.clone()), Path::new("/wal"), opts.clone()).unwrap();
    let mut log: GroupLog<TC> = store.group(5).unwrap();
    rt.block_on(async {
        for i in 1..=10 {
            openraft::storage::RaftLogStorageExt::blocking_append(&mut log, [ent(1, i, "fast")])
                .await
                .unwrap();
        }
    });
    assert_eq!(
        store.stats().syncs,
        0,
        "no fdatasync for appends in `no` mode"
    );
    let lost = env.durable_image();
    let crashed = LogStore::open_with_env(
        Arc::new(MemEnv::from_image(&lost)),
        Path::new("/wal"),
        opts.clone(),
    )
    .unwrap();
    let mut l2: GroupLog<TC> = crashed.group(5).unwrap();
    assert!(rt.block_on(l2.try_get_log_entries(0..)).unwrap().is_empty());

    rt.block_on(log.save_vote(&openraft::Vote::new(3, 1)))
        .unwrap();
    let kept = env.durable_image();
    let again =
        LogStore::open_with_env(Arc::new(MemEnv::from_image(&kept)), Path::new("/wal"), opts)
            .unwrap();
    let mut l3: GroupLog<TC> = again.group(5).unwrap();
    assert_eq!(rt.block_on(l3.try_get_log_entries(0..)).unwrap().len(), 10);
    assert_eq!(
        rt.block_on(l3.read_vote()).unwrap(),
        Some(openraft::Vote::new(3, 1))
    );
}
