//! A write load of unique keys from several tasks, each following redirects
//! through failovers, and the check that every acknowledged write reads back.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redis::Value;
use tokio::task::JoinHandle;

use crate::client::{CallError, RouteStats, RoutedClient};
use crate::cluster::Cluster;

/// Pause before resending a write that got an error reply (a retry interval).
const REPLY_ERROR_PAUSE: Duration = Duration::from_millis(20);

/// Running writer tasks.
pub struct Load {
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicU64>,
    last_error: Arc<Mutex<Option<String>>>,
    writers: Vec<JoinHandle<Writer>>,
}

/// What one writer task did.
struct Writer {
    acked: Vec<(String, String)>,
    stats: RouteStats,
    error_replies: u64,
    timeouts: u64,
}

/// What the whole load did.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Every acknowledged `SET key value`, in no particular order.
    pub acked: Vec<(String, String)>,
    /// Redirects and retries, summed over writers.
    pub stats: RouteStats,
    /// Error replies seen (each write was retried after one).
    pub error_replies: u64,
    /// Writes whose deadline passed (outcome unknown; retried).
    pub timeouts: u64,
}

impl Load {
    /// Starts `writers` tasks writing `SET ct:<seed>:<writer>:<i> <random>`
    /// in a loop; a write is retried (same key, same value, so a repeat is
    /// harmless) until acknowledged, each attempt bounded by `op_deadline`.
    pub fn start(cluster: &Cluster, writers: usize, seed: u64, op_deadline: Duration) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicU64::new(0));
        let last_error = Arc::new(Mutex::new(None));
        let handles = (0..writers)
            .map(|w| {
                let client = cluster.client(w);
                let (stop, acked, last_error) = (stop.clone(), acked.clone(), last_error.clone());
                tokio::spawn(write_loop(
                    client,
                    seed,
                    w,
                    op_deadline,
                    stop,
                    acked,
                    last_error,
                ))
            })
            .collect();
        Load {
            stop,
            acked,
            last_error,
            writers: handles,
        }
    }

    /// Writes acknowledged so far.
    pub fn acked(&self) -> u64 {
        self.acked.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` writes are acknowledged; panics at the
    /// deadline with the last error the writers saw. Returns the time taken.
    pub async fn wait_acked(&self, n: u64, timeout: Duration) -> Duration {
        let start = Instant::now();
        while self.acked() < n {
            assert!(
                start.elapsed() < timeout,
                "only {} of {n} writes acknowledged within {timeout:?}; last error: {:?}",
                self.acked(),
                self.last_error.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        start.elapsed()
    }

    /// Stops the writers (each finishes its current write) and reports.
    pub async fn stop(self) -> LoadReport {
        self.stop.store(true, Ordering::SeqCst);
        let mut report = LoadReport::default();
        for h in self.writers {
            let w = h.await.expect("writer task panicked");
            report.acked.extend(w.acked);
            report.stats.moved += w.stats.moved;
            report.stats.try_again += w.stats.try_again;
            report.stats.io += w.stats.io;
            report.error_replies += w.error_replies;
            report.timeouts += w.timeouts;
        }
        report
    }
}

/// A seeded random printable value of 1..=64 bytes.
pub fn value(rng: &mut ChaCha8Rng) -> String {
    let len = rng.gen_range(1..=64);
    (0..len)
        .map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)]))
        .collect()
}

async fn write_loop(
    mut client: RoutedClient,
    seed: u64,
    writer: usize,
    op_deadline: Duration,
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicU64>,
    last_error: Arc<Mutex<Option<String>>>,
) -> Writer {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (writer as u64).wrapping_mul(0x9e37_79b9));
    let mut out = Writer {
        acked: Vec::new(),
        stats: RouteStats::default(),
        error_replies: 0,
        timeouts: 0,
    };
    let mut i = 0u64;
    'keys: while !stop.load(Ordering::SeqCst) {
        let key = format!("ct:{seed}:{writer}:{i}");
        let val = value(&mut rng);
        let mut cmd = redis::cmd("SET");
        cmd.arg(&key).arg(&val);
        loop {
            match client.call(&cmd, Instant::now() + op_deadline).await {
                Ok(Value::Okay) => break,
                Ok(other) => panic!("SET {key}: unexpected reply {other:?}"),
                Err(e) => {
                    match e {
                        CallError::Reply(_) => out.error_replies += 1,
                        CallError::Timeout(_) => out.timeouts += 1,
                    }
                    *last_error.lock().unwrap() = Some(format!("SET {key}: {e}"));
                    if stop.load(Ordering::SeqCst) {
                        break 'keys;
                    }
                    tokio::time::sleep(REPLY_ERROR_PAUSE).await;
                }
            }
        }
        out.acked.push((key, val));
        acked.fetch_add(1, Ordering::SeqCst);
        i += 1;
    }
    out.stats = client.stats;
    out
}

/// Reads every acknowledged key through the leader (8 readers) and panics
/// listing the keys that are missing or hold another value.
pub async fn verify_acked(cluster: &Cluster, acked: &[(String, String)], timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let acked: Arc<Vec<(String, String)>> = Arc::new(acked.to_vec());
    let readers = 8;
    let tasks: Vec<_> = (0..readers)
        .map(|r| {
            let acked = acked.clone();
            let mut client = cluster.client(r);
            tokio::spawn(async move {
                let mut bad = Vec::new();
                for (key, want) in acked.iter().skip(r).step_by(readers) {
                    let got = client.call(redis::cmd("GET").arg(key), deadline).await;
                    match got {
                        Ok(Value::BulkString(b)) if b == want.as_bytes() => {}
                        other => bad.push(format!("{key}: want {want:?}, got {other:?}")),
                    }
                }
                bad
            })
        })
        .collect();
    let mut bad = Vec::new();
    for t in tasks {
        bad.extend(t.await.expect("reader task panicked"));
    }
    assert!(
        bad.is_empty(),
        "{} of {} acknowledged writes not readable, e.g. {:?}",
        bad.len(),
        acked.len(),
        &bad[..bad.len().min(10)]
    );
}
