//! Group-commit benchmark: append-to-durable throughput and latency for 1, 8
//! and 64 groups, against the raw floor of the same disk (4 KiB write +
//! fdatasync in a loop). A few rows are then repeated with the writer's hold
//! on and off (`group_commit_hold = 0`), interleaved, for comparison.
//!
//! Run: `cargo bench -p raft-log --bench wal -- [DIR] [SECONDS]`
//! DIR defaults to `target/raft-log-bench` (must not be tmpfs).

use std::io::Cursor;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId};
use raft_log::{GroupLog, LogStore, Options};

openraft::declare_raft_types!(
    /// Bench type config: byte-vector commands.
    pub BC: D = Vec<u8>, R = ()
);

const TMPFS_MAGIC: i64 = 0x0102_1994;

fn fs_type(dir: &Path) -> i64 {
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).expect("path");
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a valid out-pointer.
    let rc = unsafe { libc::statfs(c.as_ptr(), &mut st) };
    assert_eq!(rc, 0, "statfs {}", dir.display());
    st.f_type as i64
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64
}

/// 4 KiB write + fdatasync in a loop: returns (syncs/s, p50 µs, p99 µs).
fn raw_floor(dir: &Path, secs: f64) -> (f64, f64, f64) {
    let path = dir.join("raw-floor.dat");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)
        .expect("open raw file");
    let buf = vec![0xabu8; 4096];
    let mut lat = Vec::new();
    let start = Instant::now();
    let mut off = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        let t = Instant::now();
        f.write_all_at(&buf, off).expect("write");
        f.sync_data().expect("fdatasync");
        lat.push(t.elapsed().as_micros() as u32);
        off += 4096;
    }
    let rate = lat.len() as f64 / start.elapsed().as_secs_f64();
    lat.sort_unstable();
    let _ = std::fs::remove_file(&path);
    (rate, pct(&lat, 0.5), pct(&lat, 0.99))
}

struct Row {
    groups: u64,
    size: usize,
    in_flight: usize,
    hold: f64,
    rate: f64,
    p50: f64,
    p99: f64,
    per_sync: f64,
    held_per_sync: f64,
}

/// Each group appends one entry per append, keeping `in_flight` appends
/// outstanding (1 = openraft 0.9's wait-for-flush-then-continue).
/// `hold` is `Options::group_commit_hold`.
fn run(dir: &Path, groups: u64, size: usize, in_flight: usize, hold: f64, secs: f64) -> Row {
    let sub = dir.join(format!("wal-{groups}-{size}-{in_flight}"));
    let _ = std::fs::remove_dir_all(&sub);
    let opts = Options {
        group_commit_hold: hold,
        ..Options::default()
    };
    let store = LogStore::open(&sub, opts).expect("open");
    let before = store.stats();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let tasks: Vec<_> = (0..groups)
        .map(|g| {
            let log: GroupLog<BC> = store.group(g).expect("group");
            rt.spawn(async move {
                let mut lat = Vec::new();
                let mut pending = std::collections::VecDeque::new();
                let mut index = 1u64;
                loop {
                    while pending.len() < in_flight && Instant::now() < deadline {
                        let e = Entry::<BC> {
                            log_id: LogId::new(CommittedLeaderId::new(1, 0), index),
                            payload: EntryPayload::Normal(vec![7u8; size]),
                        };
                        index += 1;
                        let (tx, rx) = tokio::sync::oneshot::channel();
                        let t = Instant::now();
                        log.append_with([e], move |r| {
                            let _ = tx.send((r.is_ok(), t.elapsed()));
                        })
                        .expect("append");
                        pending.push_back(rx);
                    }
                    let Some(rx) = pending.pop_front() else { break };
                    let (ok, d) = rx.await.expect("callback");
                    assert!(ok, "append failed");
                    lat.push(d.as_micros() as u32);
                }
                lat
            })
        })
        .collect();
    let mut lat: Vec<u32> = rt.block_on(async {
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.expect("task"));
        }
        all
    });
    let elapsed = start.elapsed().as_secs_f64();
    let after = store.stats();
    lat.sort_unstable();
    let syncs = (after.syncs - before.syncs).max(1);
    let row = Row {
        groups,
        size,
        in_flight,
        hold,
        rate: lat.len() as f64 / elapsed,
        p50: pct(&lat, 0.5),
        p99: pct(&lat, 0.99),
        per_sync: lat.len() as f64 / syncs as f64,
        held_per_sync: (after.held - before.held).as_micros() as f64 / syncs as f64,
    };
    drop(store);
    let _ = std::fs::remove_dir_all(&sub);
    row
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let dir = args.first().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/raft-log-bench")
    });
    let secs: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2.0);
    std::fs::create_dir_all(&dir).expect("bench dir");
    let ft = fs_type(&dir);
    assert!(
        ft != TMPFS_MAGIC,
        "{} is tmpfs: fdatasync would be free; pick a real disk",
        dir.display()
    );
    println!(
        "dir {} (statfs f_type {:#x}), {secs} s per run",
        dir.display(),
        ft
    );

    let (raw, raw50, raw99) = raw_floor(&dir, secs);
    println!(
        "raw floor: 4 KiB write + fdatasync: {raw:.0}/s, p50 {raw50:.0} µs, p99 {raw99:.0} µs\n"
    );

    println!("| groups | entry | in flight/group | hold | appends/s | p50 µs | p99 µs | entries/fsync | held µs/fsync | rate / (raw × entries/fsync) |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let print = |r: Row| {
        println!(
            "| {} | {} B | {} | {} | {:.0} | {:.0} | {:.0} | {:.1} | {:.0} | {:.2} |",
            r.groups,
            r.size,
            r.in_flight,
            r.hold,
            r.rate,
            r.p50,
            r.p99,
            r.per_sync,
            r.held_per_sync,
            r.rate / (raw * r.per_sync)
        );
        std::io::stdout().flush().ok();
    };
    let default_hold = Options::default().group_commit_hold;
    for in_flight in [1usize, 8] {
        for size in [100usize, 1024] {
            for groups in [1u64, 8, 64] {
                print(run(&dir, groups, size, in_flight, default_hold, secs));
            }
        }
    }
    // Hold on against hold off, back to back and twice, so the load of a
    // shared machine drifts over both alike.
    println!("\nhold on vs off, interleaved:\n");
    for (groups, in_flight) in [(64u64, 1usize), (8, 1), (64, 8)] {
        for hold in [default_hold, 0.0, default_hold, 0.0] {
            print(run(&dir, groups, 100, in_flight, hold, secs));
        }
    }
}
