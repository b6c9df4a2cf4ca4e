//! Counters for INFO and the slow log.
//!
//! Counters are atomics bumped by the connection tasks without locks; the
//! per-second rates INFO shows come from [`InstantMetric`], sampled by a
//! background task every 100 ms over the last 16 samples, as Valkey does.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use parking_lot::Mutex;

/// Per-command counters (INFO commandstats).
#[derive(Debug, Default)]
pub struct CommandStats {
    /// Successful and failed calls.
    pub calls: AtomicU64,
    /// Total microseconds.
    pub usec: AtomicU64,
    /// Rejected before running (arity, auth, ...).
    pub rejected: AtomicU64,
    /// Ran and replied an error.
    pub failed: AtomicU64,
}

/// Server-wide counters.
#[derive(Debug)]
pub struct Stats {
    /// Accepted connections.
    pub connections_received: AtomicU64,
    /// Refused for maxclients.
    pub rejected_connections: AtomicU64,
    /// Commands processed.
    pub commands_processed: AtomicU64,
    /// Bytes read from clients.
    pub net_input_bytes: AtomicU64,
    /// Bytes written to clients.
    pub net_output_bytes: AtomicU64,
    /// Error replies sent.
    pub error_replies: AtomicU64,
    /// Clients closed for exceeding `client-query-buffer-limit`.
    pub qbuf_limit_disconnections: AtomicU64,
    /// Highest RSS seen (INFO `used_memory_peak`).
    pub peak_memory: AtomicU64,
    /// Per command, indexed like the command table.
    pub commands: Vec<CommandStats>,
    /// Error replies by error code (INFO errorstats).
    pub errors: Mutex<BTreeMap<String, u64>>,
    /// Commands per second.
    pub ops_per_sec: InstantMetric,
    /// Input bytes per second.
    pub input_per_sec: InstantMetric,
    /// Output bytes per second.
    pub output_per_sec: InstantMetric,
}

/// Distinct error codes errorstats tracks at most (Valkey's limit); later
/// new codes still count in `total_error_replies`.
const ERROR_CODES_MAX: usize = 128;

impl Stats {
    /// Zeroed counters for `ncommands` table entries.
    pub fn new(ncommands: usize) -> Stats {
        Stats {
            connections_received: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            commands_processed: AtomicU64::new(0),
            net_input_bytes: AtomicU64::new(0),
            net_output_bytes: AtomicU64::new(0),
            error_replies: AtomicU64::new(0),
            qbuf_limit_disconnections: AtomicU64::new(0),
            peak_memory: AtomicU64::new(0),
            commands: (0..ncommands).map(|_| CommandStats::default()).collect(),
            errors: Mutex::new(BTreeMap::new()),
            ops_per_sec: InstantMetric::default(),
            input_per_sec: InstantMetric::default(),
            output_per_sec: InstantMetric::default(),
        }
    }

    /// Counts an error reply: in `total_error_replies` and by its code
    /// (the first word, `ERR`, `WRONGTYPE`, ...).
    pub fn error_reply(&self, text: &str) {
        self.error_replies.fetch_add(1, Ordering::Relaxed);
        let code = match text.find(' ') {
            Some(i) if i <= 32 => &text[..i],
            _ => "ERR",
        };
        let mut errors = self.errors.lock();
        if let Some(n) = errors.get_mut(code) {
            *n += 1;
        } else if errors.len() < ERROR_CODES_MAX {
            errors.insert(code.to_string(), 1);
        }
    }

    /// Takes one sample of the rates (called every 100 ms).
    pub fn sample(&self) {
        let now = std::time::Instant::now();
        self.ops_per_sec
            .sample(now, self.commands_processed.load(Ordering::Relaxed));
        self.input_per_sec
            .sample(now, self.net_input_bytes.load(Ordering::Relaxed));
        self.output_per_sec
            .sample(now, self.net_output_bytes.load(Ordering::Relaxed));
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        for c in [
            &self.connections_received,
            &self.rejected_connections,
            &self.commands_processed,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.error_replies,
            &self.qbuf_limit_disconnections,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        for c in &self.commands {
            c.calls.store(0, Ordering::Relaxed);
            c.usec.store(0, Ordering::Relaxed);
            c.rejected.store(0, Ordering::Relaxed);
            c.failed.store(0, Ordering::Relaxed);
        }
        self.errors.lock().clear();
    }
}

/// Samples kept per rate.
const METRIC_SAMPLES: usize = 16;

/// A per-second rate averaged over the last [`METRIC_SAMPLES`] samples
/// (Valkey's `instantaneous_*` metrics).
#[derive(Debug, Default)]
pub struct InstantMetric {
    state: Mutex<MetricState>,
}

#[derive(Debug, Default)]
struct MetricState {
    last: Option<(std::time::Instant, u64)>,
    samples: [u64; METRIC_SAMPLES],
    next: usize,
}

impl InstantMetric {
    /// Records the counter's value at `now`.
    pub fn sample(&self, now: std::time::Instant, value: u64) {
        let mut s = self.state.lock();
        if let Some((then, before)) = s.last {
            let ms = now.duration_since(then).as_millis() as u64;
            // A counter reset (CONFIG RESETSTAT) reads as no activity.
            let delta = value.saturating_sub(before);
            let rate = (delta * 1000).checked_div(ms).unwrap_or(0);
            let i = s.next;
            s.samples[i] = rate;
            s.next = (i + 1) % METRIC_SAMPLES;
        }
        s.last = Some((now, value));
    }

    /// The average rate per second.
    pub fn get(&self) -> u64 {
        let s = self.state.lock();
        s.samples.iter().sum::<u64>() / METRIC_SAMPLES as u64
    }
}

/// One slow-log entry.
#[derive(Debug, Clone)]
pub struct SlowEntry {
    /// Increasing id.
    pub id: u64,
    /// Unix seconds.
    pub time: i64,
    /// Microseconds taken.
    pub micros: u64,
    /// Arguments (Valkey truncates to 32 args, 128 bytes each).
    pub args: Vec<Bytes>,
    /// Client address.
    pub addr: String,
    /// Client name.
    pub name: String,
}

/// SLOWLOG: the most recent slow commands.
#[derive(Debug, Default)]
pub struct SlowLog {
    entries: Mutex<VecDeque<SlowEntry>>,
    next_id: AtomicU64,
}

impl SlowLog {
    /// Records a command that took `micros`, keeping at most `max` entries.
    pub fn push(&self, mut e: SlowEntry, max: usize) {
        e.id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if e.args.len() > 32 {
            let more = e.args.len() - 31;
            e.args.truncate(31);
            e.args
                .push(Bytes::from(format!("... ({more} more arguments)")));
        }
        for a in e.args.iter_mut() {
            if a.len() > 128 {
                let more = a.len() - 128;
                let mut v = a[..128].to_vec();
                v.extend_from_slice(format!("... ({more} more bytes)").as_bytes());
                *a = Bytes::from(v);
            }
        }
        let mut q = self.entries.lock();
        q.push_front(e);
        while q.len() > max {
            q.pop_back();
        }
    }

    /// Newest first, at most `n`.
    pub fn get(&self, n: usize) -> Vec<SlowEntry> {
        self.entries.lock().iter().take(n).cloned().collect()
    }

    /// Entries kept.
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// SLOWLOG RESET.
    pub fn reset(&self) {
        self.entries.lock().clear();
    }
}
