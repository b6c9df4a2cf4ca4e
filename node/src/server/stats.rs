//! Counters for INFO and the slow log.

use std::collections::VecDeque;
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
    /// Per command, indexed like the command table.
    pub commands: Vec<CommandStats>,
}

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
            commands: (0..ncommands).map(|_| CommandStats::default()).collect(),
        }
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
        ] {
            c.store(0, Ordering::Relaxed);
        }
        for c in &self.commands {
            c.calls.store(0, Ordering::Relaxed);
            c.usec.store(0, Ordering::Relaxed);
            c.rejected.store(0, Ordering::Relaxed);
            c.failed.store(0, Ordering::Relaxed);
        }
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
