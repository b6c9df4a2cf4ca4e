//! Records: what a write becomes before it changes anything.
//!
//! A record carries the command as sent plus everything that makes its
//! effect deterministic: database, leader time, random seed, and the
//! client's protocol (some replies change shape with RESP3). [`apply`] is a
//! pure function of (keyspace, record): replaying the same records on two
//! fresh keyspaces gives identical keyspaces and replies. The Raft groups
//! put a durable, replicated log between creating a record and applying it.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::command::{table, Ctx, Handler};
use crate::errors;
use crate::keyspace::Keyspace;
use crate::resp::Frame;

/// A key a transaction watched, with the version it had then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Watched {
    /// Database of the key.
    pub db: usize,
    /// The key.
    pub key: Bytes,
    /// Version when watched; `None` if the key did not exist.
    pub version: Option<u64>,
}

/// What a record does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// One write command, as sent.
    Command(Vec<Bytes>),
    /// EXEC: the queued keyspace commands, applied as one unit unless a
    /// watched key changed.
    Exec {
        /// Queued commands in order.
        commands: Vec<Vec<Bytes>>,
        /// WATCHed keys and their versions.
        watched: Vec<Watched>,
    },
    /// Delete these keys of the record's database if they are expired at
    /// the record's time (lazy and active expiry, decided by the leader).
    Expire(Vec<Bytes>),
}

/// A write, ready to be logged and applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Selected database.
    pub db: usize,
    /// Leader's unix time in ms when the write was accepted.
    pub time_ms: i64,
    /// Random seed for the commands that draw (SPOP, SRANDMEMBER, ...).
    pub seed: u64,
    /// Reply shapes for RESP3.
    pub resp3: bool,
    /// The operation.
    pub op: Op,
    /// A blocked command run again after a wake-up (see `Ctx::retry`).
    pub retry: bool,
}

/// The result of applying a record. Serde only because openraft requires
/// it of a group's responses (`group::types`); it is never persisted.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Applied {
    /// One reply per command (EXEC: one array, or a null array if aborted).
    pub reply: Option<Frame>,
    /// Database selected after the record (SELECT inside EXEC moves it).
    pub db: usize,
    /// A blocking command found nothing and asked to wait.
    pub blocked: bool,
    /// Keys whose value changed, for blocked clients.
    pub touched: Vec<(usize, Bytes)>,
}

/// Applies `rec` to `ks`.
pub fn apply(ks: &mut Keyspace, rec: &Record) -> Applied {
    apply_tracked(ks, rec, true)
}

/// Applies `rec` to `ks`; `track_touched: false` may leave
/// [`Applied::touched`] incomplete (for when no client is blocked). The
/// keyspace and the reply are the same either way.
pub fn apply_tracked(ks: &mut Keyspace, rec: &Record, track_touched: bool) -> Applied {
    ks.seq += 1;
    let mut ctx = Ctx::for_write(ks, rec.db, rec.time_ms, rec.seed, rec.resp3);
    ctx.retry = rec.retry;
    ctx.track_touched = track_touched;
    let reply = match &rec.op {
        Op::Command(args) => Some(run(&mut ctx, args)),
        Op::Exec { commands, watched } => {
            if watched_changed(&mut ctx, watched) {
                Some(Frame::NullArray)
            } else {
                ctx.may_block = false;
                let replies = commands.iter().map(|args| run(&mut ctx, args)).collect();
                Some(Frame::Array(replies))
            }
        }
        Op::Expire(keys) => {
            for key in keys {
                // Deletes only if still expired at the record's time.
                ctx.exists(key);
            }
            None
        }
    };
    Applied {
        reply,
        db: ctx.db,
        blocked: ctx.blocked,
        touched: std::mem::take(&mut ctx.touched),
    }
}

/// Runs one keyspace command inside a record.
fn run(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let r = match table().resolve(args) {
        Ok(r) => r,
        Err(e) => return e,
    };
    match r.spec.handler {
        Handler::Data(f) => f(ctx, args),
        // Only keyspace commands are ever put in a record.
        _ => errors::unknown_command(args),
    }
}

/// True when a watched key changed (or appeared, or vanished) since WATCH.
fn watched_changed(ctx: &mut Ctx, watched: &[Watched]) -> bool {
    watched.iter().any(|w| {
        let now = ctx.entry_in(w.db, &w.key).map(|e| e.version);
        now != w.version
    })
}
