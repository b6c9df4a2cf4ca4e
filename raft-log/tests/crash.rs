//! Crash consistency, corruption and I/O faults, on the in-memory fault
//! injecting file system (and real files for the bit-flip tests).
//!
//! A model of each group's log is kept next to the real one. After a crash
//! (the disk cut at every byte of the last writes, or every unsynced write
//! dropped) the log is reopened and every group must equal the model after
//! some prefix of its operations, no shorter than the last acknowledged one:
//! acknowledged entries are present and identical, and nothing is half there.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{mpsc, Arc};

use common::{ent, lid, TC};
use openraft::storage::RaftLogStorage;
use openraft::{EntryPayload, RaftLogReader};
use raft_log::env::mem::{apply_prefix, MemEnv};
use raft_log::{Error, GroupLog, LogStore, Options, WriterMode};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const GROUPS: u64 = 4;

/// What a group's log should be: entries (index → data) and last purged index.
#[derive(Clone, Debug, PartialEq, Default)]
struct Model {
    entries: BTreeMap<u64, (u64, String)>,
    purged: Option<u64>,
}

/// The run so far: each group's history of model states.
struct History {
    states: Vec<Vec<Model>>,
    /// Per group: history position reached by the last acknowledged op.
    acked: Vec<usize>,
    term: u64,
    counter: u64,
}

impl History {
    fn new() -> Self {
        History {
            states: vec![vec![Model::default()]; GROUPS as usize],
            acked: vec![0; GROUPS as usize],
            term: 1,
            counter: 0,
        }
    }
    fn cur(&self, g: u64) -> &Model {
        self.states[g as usize].last().expect("non-empty")
    }
}

fn opts(mode: WriterMode) -> Options {
    Options {
        writer: mode,
        segment_bytes: 2048,
        cache_entries_per_group: 3,
        ..Options::default()
    }
}

/// Issues one random operation on a random group; appends report their
/// acknowledgement (group, history position) on `acks`.
fn random_op(
    rt: &tokio::runtime::Runtime,
    rng: &mut ChaCha8Rng,
    logs: &mut [GroupLog<TC>],
    h: &mut History,
    acks: &mpsc::Sender<(u64, usize, bool)>,
) {
    let g = rng.gen_range(0..GROUPS);
    let cur = h.cur(g).clone();
    let next = cur
        .entries
        .keys()
        .next_back()
        .map(|i| i + 1)
        .or(cur.purged.map(|p| p + 1))
        .unwrap_or(1);
    let log = &mut logs[g as usize];
    let roll = rng.gen_range(0..100);
    let mut m = cur.clone();
    if roll < 70 || cur.entries.is_empty() && roll < 90 {
        let n = rng.gen_range(1..4);
        if rng.gen_bool(0.05) {
            h.term += 1;
        }
        let mut batch = Vec::new();
        for i in next..next + n {
            h.counter += 1;
            let data = format!(
                "g{g}-i{i}-c{}-{}",
                h.counter,
                "x".repeat(rng.gen_range(0..60))
            );
            m.entries.insert(i, (h.term, data.clone()));
            batch.push(ent(h.term, i, &data));
        }
        h.states[g as usize].push(m);
        let pos = h.states[g as usize].len() - 1;
        let tx = acks.clone();
        log.append_with(batch, move |r| {
            let _ = tx.send((g, pos, r.is_ok()));
        })
        .expect("append accepted");
    } else if roll < 85 && !cur.entries.is_empty() {
        let first = *cur.entries.keys().next().expect("non-empty");
        let at = rng.gen_range(first..next);
        m.entries.split_off(&at);
        h.states[g as usize].push(m);
        rt.block_on(log.truncate(lid(1, at))).expect("truncate");
    } else {
        let upto = match cur.entries.keys().next() {
            Some(&first) => rng.gen_range(first..next + 1),
            None => next,
        };
        let upto = upto.max(cur.purged.unwrap_or(0));
        m.entries = m.entries.split_off(&(upto + 1));
        m.purged = Some(upto);
        h.states[g as usize].push(m);
        rt.block_on(log.purge(lid(1, upto))).expect("purge");
    }
}

/// Reads a group's whole log back as a model.
fn read_model(rt: &tokio::runtime::Runtime, log: &mut GroupLog<TC>) -> Model {
    rt.block_on(async {
        let st = log.get_log_state().await.expect("log state");
        let entries = log.try_get_log_entries(0..).await.expect("read entries");
        let entries = entries
            .into_iter()
            .map(|e| {
                let data = match e.payload {
                    EntryPayload::Normal(d) => d,
                    other => panic!("unexpected payload {other:?}"),
                };
                (e.log_id.index, (e.log_id.leader_id.term, data))
            })
            .collect();
        Model {
            entries,
            purged: st.last_purged_log_id.map(|l| l.index),
        }
    })
}

/// Opens `env` and checks every group against its history from position
/// `from` (inclusive) on.
fn check_recovered(
    mode: WriterMode,
    rt: &tokio::runtime::Runtime,
    env: MemEnv,
    h: &History,
    from: &[usize],
    what: &str,
) {
    let store = LogStore::open_with_env(Arc::new(env), Path::new("/wal"), opts(mode))
        .unwrap_or_else(|e| panic!("{what}: reopen failed: {e}"));
    for g in 0..GROUPS {
        let mut log = store
            .group::<TC>(g)
            .unwrap_or_else(|e| panic!("{what}: group {g}: {e}"));
        let got = read_model(rt, &mut log);
        let hist = &h.states[g as usize];
        let ok = hist[from[g as usize]..].contains(&got);
        if !ok {
            let brief = |m: &Model| {
                format!(
                    "purged {:?}, entries {:?}",
                    m.purged,
                    m.entries
                        .iter()
                        .map(|(i, (t, d))| (*i, *t, d.len()))
                        .collect::<Vec<_>>()
                )
            };
            let cands: Vec<String> = hist[from[g as usize]..].iter().map(brief).collect();
            panic!(
                "{what}: group {g} recovered a state that is no prefix of its history \
                 (from position {}):\n got: {}\n candidates:\n  {}",
                from[g as usize],
                brief(&got),
                cands.join("\n  ")
            );
        }
    }
}

fn drain_acks(rx: &mpsc::Receiver<(u64, usize, bool)>, h: &mut History, block_for: usize) {
    for _ in 0..block_for {
        let (g, pos, ok) = rx.recv().expect("ack");
        assert!(ok, "append failed");
        h.acked[g as usize] = h.acked[g as usize].max(pos);
    }
    while let Ok((g, pos, ok)) = rx.try_recv() {
        if ok {
            h.acked[g as usize] = h.acked[g as usize].max(pos);
        }
    }
}

fn seed() -> u64 {
    let seed = std::env::var("RAFT_LOG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    println!("seed = {seed} (rerun with RAFT_LOG_SEED={seed})");
    seed
}

fn torn_last_batch_at_every_byte_recovers_a_prefix(mode: WriterMode) {
    let seed = seed();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let env = MemEnv::new();
    let store =
        LogStore::open_with_env(Arc::new(env.clone()), Path::new("/wal"), opts(mode)).unwrap();
    let mut logs: Vec<GroupLog<TC>> = (0..GROUPS).map(|g| store.group(g).unwrap()).collect();
    let mut h = History::new();
    let (tx, rx) = mpsc::channel();

    for _ in 0..120 {
        random_op(&rt, &mut rng, &mut logs, &mut h, &tx);
    }
    store.flush().unwrap();
    drain_acks(&rx, &mut h, 0);
    let before: Vec<usize> = (0..GROUPS as usize)
        .map(|g| h.states[g].len() - 1)
        .collect();

    env.start_write_log();
    let base = env.written_image();
    let mut appends = 0;
    for _ in 0..10 {
        let n = h.states.iter().map(Vec::len).sum::<usize>();
        random_op(&rt, &mut rng, &mut logs, &mut h, &tx);
        let _ = n;
        appends += 1;
    }
    store.flush().unwrap();
    store.reclaim().unwrap();
    let _ = appends;
    let ops = env.take_write_log();
    let total: usize = ops.iter().map(|o| o.bytes.len()).sum();
    println!(
        "last writes: {} ops, {total} bytes; reopening at every byte",
        ops.len()
    );
    drain_acks(&rx, &mut h, 0);
    let after: Vec<usize> = (0..GROUPS as usize)
        .map(|g| h.states[g].len() - 1)
        .collect();

    for cut in 0..=total {
        let img = apply_prefix(&base, &ops, cut);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check_recovered(
                mode,
                &rt,
                MemEnv::from_image(&img),
                &h,
                &before,
                &format!("cut at byte {cut}"),
            )
        }));
        if let Err(e) = r {
            dump(&ops, &img);
            std::panic::resume_unwind(e);
        }
    }
    // With every byte there, every group is exactly at its final state.
    let full = apply_prefix(&base, &ops, total);
    check_recovered(mode, &rt, MemEnv::from_image(&full), &h, &after, "no cut");
}

fn dropping_unsynced_writes_keeps_every_acknowledged_entry(mode: WriterMode) {
    let seed = seed();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for round in 0..40 {
        let env = MemEnv::new();
        let store =
            LogStore::open_with_env(Arc::new(env.clone()), Path::new("/wal"), opts(mode)).unwrap();
        let mut logs: Vec<GroupLog<TC>> = (0..GROUPS).map(|g| store.group(g).unwrap()).collect();
        let mut h = History::new();
        let (tx, rx) = mpsc::channel();
        let ops = rng.gen_range(5..150);
        let crash_at = rng.gen_range(0..ops);
        for i in 0..ops {
            if i == crash_at {
                env.crash();
            }
            if i >= crash_at {
                break;
            }
            random_op(&rt, &mut rng, &mut logs, &mut h, &tx);
        }
        drop(logs);
        drop(store);
        drain_acks(&rx, &mut h, 0);
        let img = env.durable_image();
        let acked = h.acked.clone();
        check_recovered(
            mode,
            &rt,
            MemEnv::from_image(&img),
            &h,
            &acked,
            &format!("round {round}"),
        );
    }
}

/// Writes a few sealed segments of several groups on real files.
fn fill_disk_store(dir: &Path, opts: Options) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = LogStore::open(dir, opts).unwrap();
    for g in 0..GROUPS {
        let mut log = store.group::<TC>(g).unwrap();
        rt.block_on(async {
            for i in 1..=20 {
                openraft::storage::RaftLogStorageExt::blocking_append(
                    &mut log,
                    [ent(1, i, &format!("v{g}{i}"))],
                )
                .await
                .unwrap();
            }
        });
    }
}

fn segments(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    v.sort();
    v
}

/// Offsets and groups of the records in a segment file.
fn records(bytes: &[u8]) -> Vec<(usize, raft_log::record::Header)> {
    let mut off = raft_log::record::FILE_HEADER_LEN as usize;
    let mut out = Vec::new();
    while off < bytes.len() {
        let h = raft_log::record::decode_header(&bytes[off..]).expect("valid header");
        out.push((off, h));
        off += h.total_len() as usize;
    }
    out
}

fn bit_flip_in_sealed_payload_fails_that_group_with_file_and_offset(mode: WriterMode) {
    let dir = tempfile::tempdir().unwrap();
    fill_disk_store(dir.path(), opts(mode));
    let segs = segments(dir.path());
    assert!(segs.len() >= 3, "want sealed segments, got {}", segs.len());
    let victim = &segs[1];
    let mut bytes = std::fs::read(victim).unwrap();
    let (off, h) = records(&bytes)
        .into_iter()
        .find(|(_, h)| h.len > 0)
        .expect("a record with payload");
    let flip_at = off + raft_log::record::RECORD_HEADER_LEN + h.len as usize / 2;
    bytes[flip_at] ^= 0x10;
    std::fs::write(victim, &bytes).unwrap();

    let store = LogStore::open(dir.path(), opts(mode)).expect("store opens; damage is per group");
    let err = match store.group::<TC>(h.group) {
        Ok(_) => panic!("group {} opened despite a corrupt record", h.group),
        Err(e) => e,
    };
    let msg = err.to_string();
    println!("{msg}");
    assert!(matches!(err, Error::Corrupt { .. }), "{msg}");
    let name = victim.file_name().unwrap().to_str().unwrap();
    assert!(msg.contains(name), "error names the file: {msg}");
    assert!(
        msg.contains(&format!("offset {off}")),
        "error names the offset: {msg}"
    );
    for g in (0..GROUPS).filter(|g| *g != h.group) {
        store.group::<TC>(g).expect("undamaged groups still open");
    }
}

fn bit_flip_in_sealed_header_fails_the_open_with_file_and_offset(mode: WriterMode) {
    let dir = tempfile::tempdir().unwrap();
    fill_disk_store(dir.path(), opts(mode));
    let segs = segments(dir.path());
    let victim = &segs[1];
    let mut bytes = std::fs::read(victim).unwrap();
    let (off, _) = records(&bytes)[1];
    bytes[off + 9] ^= 0x01; // inside the group id
    std::fs::write(victim, &bytes).unwrap();
    let err = match LogStore::open(dir.path(), opts(mode)) {
        Ok(_) => panic!("opened despite a corrupt header"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(
        matches!(err, Error::Corrupt { offset, .. } if offset == off as u64),
        "{msg}"
    );
    assert!(
        msg.contains(victim.file_name().unwrap().to_str().unwrap()),
        "{msg}"
    );
}

fn damage_mid_last_segment_is_corruption_not_a_torn_tail(mode: WriterMode) {
    let dir = tempfile::tempdir().unwrap();
    let big = Options {
        segment_bytes: 1 << 20,
        ..opts(mode)
    };
    fill_disk_store(dir.path(), big);
    let segs = segments(dir.path());
    // The newest segment is the empty one opened last; take the last with records.
    let victim = segs
        .iter()
        .rev()
        .find(|p| std::fs::metadata(p).unwrap().len() > 16)
        .unwrap();
    let last = segs.last().unwrap();
    if victim != last {
        std::fs::remove_file(last).unwrap();
    }
    let mut bytes = std::fs::read(victim).unwrap();
    let recs = records(&bytes);
    assert!(recs.len() >= 3);
    let (off, _) = recs[0];
    bytes[off + 2] ^= 0x40; // header of the first record; valid ones follow
    std::fs::write(victim, &bytes).unwrap();
    assert!(matches!(
        LogStore::open(dir.path(), opts(mode)),
        Err(Error::Corrupt { .. })
    ));
}

fn fsync_error_is_fatal_and_acknowledged_entries_survive(mode: WriterMode) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let env = MemEnv::new();
    let store =
        LogStore::open_with_env(Arc::new(env.clone()), Path::new("/wal"), opts(mode)).unwrap();
    let mut log = store.group::<TC>(1).unwrap();
    rt.block_on(async {
        use openraft::storage::RaftLogStorageExt;
        for i in 1..=5 {
            log.blocking_append([ent(1, i, "ok")]).await.unwrap();
        }
        env.fail_next_sync();
        let r = log.blocking_append([ent(1, 6, "lost")]).await;
        assert!(
            r.is_err(),
            "an append whose fsync failed must not be acknowledged"
        );
        let r = log.blocking_append([ent(1, 7, "after")]).await;
        assert!(r.is_err(), "the log must refuse work after a failed fsync");
    });
    assert!(store.fatal_error().is_some());
    drop(log);
    drop(store);
    let rt2 = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let reopened = LogStore::open_with_env(
        Arc::new(MemEnv::from_image(&env.durable_image())),
        Path::new("/wal"),
        opts(mode),
    )
    .unwrap();
    let mut log = reopened.group::<TC>(1).unwrap();
    let m = read_model(&rt2, &mut log);
    assert_eq!(
        m.entries.keys().copied().collect::<Vec<_>>()[..5],
        [1, 2, 3, 4, 5]
    );
}

fn enospc_mid_write_is_fatal_and_recovery_cuts_the_torn_tail(mode: WriterMode) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let env = MemEnv::new();
    let store =
        LogStore::open_with_env(Arc::new(env.clone()), Path::new("/wal"), opts(mode)).unwrap();
    let mut log = store.group::<TC>(9).unwrap();
    rt.block_on(async {
        use openraft::storage::RaftLogStorageExt;
        for i in 1..=3 {
            log.blocking_append([ent(1, i, "fits")]).await.unwrap();
        }
        env.space_left(50);
        let r = log.blocking_append([ent(1, 4, &"y".repeat(200))]).await;
        let e = r.expect_err("append must fail on ENOSPC");
        println!("{e}");
    });
    assert!(
        store.fatal_error().unwrap().contains("No space left"),
        "{:?}",
        store.fatal_error()
    );
    drop(log);
    drop(store);
    // Even the unsynced partial record is on "disk" here: recovery must cut it.
    let img = env.written_image();
    let reopened = LogStore::open_with_env(
        Arc::new(MemEnv::from_image(&img)),
        Path::new("/wal"),
        opts(mode),
    )
    .unwrap();
    let mut log = reopened.group::<TC>(9).unwrap();
    let m = read_model(&rt, &mut log);
    assert_eq!(m.entries.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
}

/// Every scenario runs twice: with the writer thread and with inline writes
/// (the simulation's mode); both must keep the same promises.
macro_rules! in_both_writer_modes {
    ($($name:ident),* $(,)?) => {
        mod thread {
            use raft_log::WriterMode;
            $(#[test]
            fn $name() {
                super::$name(WriterMode::Thread)
            })*
        }
        mod inline {
            use raft_log::WriterMode;
            $(#[test]
            fn $name() {
                super::$name(WriterMode::Inline)
            })*
        }
    };
}

in_both_writer_modes!(
    torn_last_batch_at_every_byte_recovers_a_prefix,
    dropping_unsynced_writes_keeps_every_acknowledged_entry,
    bit_flip_in_sealed_payload_fails_that_group_with_file_and_offset,
    bit_flip_in_sealed_header_fails_the_open_with_file_and_offset,
    damage_mid_last_segment_is_corruption_not_a_torn_tail,
    fsync_error_is_fatal_and_acknowledged_entries_survive,
    enospc_mid_write_is_fatal_and_recovery_cuts_the_torn_tail,
);

/// Inline mode does the work on the caller: the completion has run and the
/// bytes are durable by the time `append_with` returns (no thread to wait for).
#[test]
fn inline_append_is_durable_when_append_returns() {
    let env = MemEnv::new();
    let store = LogStore::open_with_env(
        Arc::new(env.clone()),
        Path::new("/wal"),
        opts(WriterMode::Inline),
    )
    .unwrap();
    let log = store.group::<TC>(2).unwrap();
    let (tx, rx) = mpsc::channel();
    log.append_with([ent(1, 1, "now")], move |r| tx.send(r.is_ok()).unwrap())
        .unwrap();
    assert_eq!(rx.try_recv(), Ok(true), "completion ran before return");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let crashed = LogStore::open_with_env(
        Arc::new(MemEnv::from_image(&env.durable_image())),
        Path::new("/wal"),
        opts(WriterMode::Inline),
    )
    .unwrap();
    let m = read_model(&rt, &mut crashed.group::<TC>(2).unwrap());
    assert_eq!(m.entries.keys().copied().collect::<Vec<_>>(), [1]);
}

/// Prints the writes and the records of an image (on failure only).
fn dump(ops: &[raft_log::env::mem::WriteOp], img: &raft_log::env::mem::Image) {
    for o in ops {
        println!("write {:?} @{} +{}", o.path, o.offset, o.bytes.len());
    }
    for (p, b) in img {
        println!("file {:?} len {}", p, b.len());
        let mut off = 16;
        while off < b.len() {
            match raft_log::record::decode_header(&b[off..]) {
                Ok(h) => {
                    println!(
                        "  @{off} {:?} g{} i{} f{} len {}",
                        h.kind,
                        h.group,
                        h.index,
                        h.flags,
                        h.total_len()
                    );
                    off += h.total_len() as usize;
                }
                Err(e) => {
                    println!("  @{off} {e:?}");
                    break;
                }
            }
        }
    }
}
