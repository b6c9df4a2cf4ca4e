//! The write path of a connection: a pipeline's plain writes are queued
//! with the group as they are parsed (so they share entries), each reply
//! is awaited in its turn, and a blocking command that blocked waits for a
//! change of its keys and retries.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;

use super::{sleep_until, Connection};
use crate::cluster::redirect::refusal;
use crate::cluster::slot::key_slot;
use crate::command::{flags, table, Handler, Resolved};
use crate::engine::Engine;
use crate::record::{Op, Record};
use crate::resp::Frame;

impl Connection {
    /// Queues `args` with the group now if it is a plain write that
    /// `execute` would submit unchanged (no MULTI, no blocking, no auth or
    /// subscription refusal): its reply is then only awaited when its turn
    /// comes. Returns whether it did.
    pub(super) fn queue_write(&mut self, args: &[Bytes]) -> bool {
        if !self.session.authenticated
            || self.session.multi.is_some()
            || (self.session.resp == 2 && self.subscribed() > 0)
        {
            return false;
        }
        let Ok(r) = table().resolve(args) else {
            return false;
        };
        if !matches!(r.spec.handler, Handler::Data(_))
            || !r.spec.is_write()
            || r.spec.flags & flags::BLOCKING != 0
        {
            return false;
        }
        let record = Engine::record(
            self.session.db,
            self.session.resp3(),
            Op::Command(args.to_vec()),
        );
        let pending = self.server.engine.enqueue(record);
        self.queued.push_back((args[0].as_ptr() as usize, pending));
        true
    }

    /// After a queued write, parses and queues the writes right behind it
    /// in the buffer, so a pipeline of writes shares the group's entries;
    /// the first request that is not one is kept for its turn.
    pub(super) fn queue_following_writes(&mut self) {
        const MAX_AHEAD: usize = 1024;
        while self.ahead.len() < MAX_AHEAD {
            let parsed = self.parse_next();
            let queued = matches!(&parsed, Ok(Some(args)) if self.queue_write(args));
            let stop = !queued;
            if !matches!(parsed, Ok(None)) {
                self.ahead.push_back(parsed);
            }
            if stop {
                break;
            }
        }
    }

    /// Submits a write as a record; waits when a blocking command blocks.
    pub(super) async fn write(&mut self, r: Resolved, args: &[Bytes]) -> Frame {
        let engine = &self.server.engine;
        let record = || {
            Engine::record(
                self.session.db,
                self.session.resp3(),
                Op::Command(args.to_vec()),
            )
        };
        // A write of a pipeline was queued when it was parsed.
        let queued = match self.queued.front() {
            Some((first, _)) if *first == args[0].as_ptr() as usize => {
                self.queued.pop_front().map(|q| q.1)
            }
            _ => None,
        };
        let result = match queued {
            Some(Ok(pending)) => engine.finish(pending).await,
            Some(Err(why)) => Err(why),
            None => engine.submit(record()).await,
        };
        let applied = match result {
            Ok(a) => a,
            Err(why) => return refusal(engine.group(), why, command_slot(r, args)).await,
        };
        if !applied.blocked || r.spec.flags & flags::BLOCKING == 0 {
            self.session.select(applied.db);
            return applied.reply.unwrap_or(Frame::Null);
        }
        // Blocked: the reply is what to send on timeout; the handler put the
        // timeout in ms in the record's reply slot convention below.
        let timeout_reply = applied.reply.unwrap_or(Frame::NullArray);
        let timeout = blocking_timeout(r.spec.name, args);
        let deadline = match timeout {
            Some(t) if t > 0.0 => Some(tokio::time::Instant::now() + Duration::from_secs_f64(t)),
            _ => None,
        };
        let keys: Vec<(usize, Bytes)> = r
            .spec
            .key_positions(args)
            .unwrap_or_default()
            .into_iter()
            .map(|i| (self.session.db, args[i].clone()))
            .collect();
        let waiter = engine.waiter(&keys);
        self.session.handle.blocked.store(true, Ordering::Relaxed);
        let handle = self.session.handle.clone();
        let reply = loop {
            let woken = waiter.notified();
            let applied = match engine
                .submit(Record {
                    retry: true,
                    ..record()
                })
                .await
            {
                Ok(a) => a,
                Err(why) => break refusal(engine.group(), why, command_slot(r, args)).await,
            };
            if !applied.blocked {
                break applied.reply.unwrap_or(Frame::Null);
            }
            tokio::select! {
                _ = futures_any(woken) => {}
                _ = sleep_until(deadline) => break timeout_reply,
                _ = handle.kill.notified() => break timeout_reply,
            }
        };
        self.session.handle.blocked.store(false, Ordering::Relaxed);
        reply
    }
}

/// The slot of a command's first key (0 for a command without keys).
pub(super) fn command_slot(r: Resolved, args: &[Bytes]) -> u16 {
    r.spec
        .key_positions(args)
        .and_then(|k| k.first().map(|&i| key_slot(&args[i])))
        .unwrap_or(0)
}

/// Completes when any of the futures does.
async fn futures_any<F: std::future::Future<Output = ()> + Unpin>(mut futs: Vec<F>) {
    std::future::poll_fn(|cx| {
        for f in futs.iter_mut() {
            if std::pin::Pin::new(f).poll(cx).is_ready() {
                return std::task::Poll::Ready(());
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// The timeout argument (seconds) of a blocking command.
fn blocking_timeout(name: &str, args: &[Bytes]) -> Option<f64> {
    let arg = match name {
        "blmpop" | "bzmpop" => args.get(1),
        _ => args.last(),
    }?;
    crate::util::parse_f64(arg)
}
