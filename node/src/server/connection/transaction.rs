//! MULTI / EXEC / WATCH on a connection. EXEC sends the queued keyspace
//! commands as one record (WATCH is a version check inside it) and runs the
//! connection-level ones in their positions.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::Connection;
use crate::cluster::redirect::refusal;
use crate::cluster::slot::key_slot;
use crate::command::{table, Handler};
use crate::engine::Engine;
use crate::errors::{self, err};
use crate::record::Op;
use crate::resp::Frame;
use crate::server::session::Multi;

impl Connection {
    pub(super) fn multi(&mut self) -> Frame {
        if self.session.multi.is_some() {
            return err("ERR MULTI calls can not be nested");
        }
        self.session.multi = Some(Multi::default());
        self.session.handle.multi.store(0, Ordering::Relaxed);
        Frame::ok()
    }

    pub(super) async fn exec(&mut self) -> Frame {
        let Some(multi) = self.session.multi.take() else {
            return err("ERR EXEC without MULTI");
        };
        self.session.handle.multi.store(-1, Ordering::Relaxed);
        let watched = std::mem::take(&mut self.session.watched);
        self.session.unwatch();
        if multi.aborted {
            return err("EXECABORT Transaction discarded because of previous errors.");
        }
        // Keyspace commands go to the record as one unit; connection-level
        // ones (PING, CLIENT, CONFIG...) run here, in their positions.
        let mut data = Vec::new();
        let mut local = Vec::new();
        for (i, args) in multi.queued.iter().enumerate() {
            match table().resolve(args).map(|r| r.spec.handler) {
                Ok(Handler::Data(_)) => data.push(args.clone()),
                _ => local.push(i),
            }
        }
        let slot = data
            .iter()
            .find_map(|args| {
                let r = table().resolve(args).ok()?;
                let first = *r.spec.key_positions(args)?.first()?;
                Some(key_slot(&args[first]))
            })
            .unwrap_or(0);
        let engine = &self.server.engine;
        let submitted = engine
            .submit(Engine::record(
                self.session.db,
                self.session.resp3(),
                Op::Exec {
                    commands: data,
                    watched,
                },
            ))
            .await;
        let applied = match submitted {
            Ok(a) => a,
            Err(why) => return refusal(engine.group(), why, slot).await,
        };
        self.session.select(applied.db);
        let Some(Frame::Array(data_replies)) = applied.reply else {
            return Frame::NullArray;
        };
        let mut data_replies = data_replies.into_iter();
        let mut out = Vec::with_capacity(multi.queued.len());
        for (i, args) in multi.queued.iter().enumerate() {
            if local.contains(&i) {
                let reply = match table().resolve(args) {
                    Ok(r) => match r.spec.handler {
                        Handler::Session(f) => f(&mut self.session, &self.server, args),
                        Handler::Connection if r.spec.name == "ping" => self.ping(args),
                        _ => errors::unknown_command(args),
                    },
                    Err(e) => e,
                };
                out.push(reply);
            } else {
                out.push(data_replies.next().unwrap_or(Frame::Null));
            }
        }
        // Each queued command counts as a call of its own (INFO
        // commandstats, errorstats), as in Valkey; its time is EXEC's.
        for (args, reply) in multi.queued.iter().zip(&out) {
            if let Ok(r) = table().resolve(args) {
                let st = &self.server.stats.commands[r.id];
                st.calls.fetch_add(1, Ordering::Relaxed);
                if let Frame::Error(text) = reply {
                    st.failed.fetch_add(1, Ordering::Relaxed);
                    self.server.stats.error_reply(text);
                }
            }
        }
        Frame::Array(out)
    }

    pub(super) async fn watch(&mut self, args: &[Bytes]) -> Frame {
        if self.session.multi.is_some() {
            return err("ERR WATCH inside MULTI is not allowed");
        }
        for key in &args[1..] {
            if self
                .session
                .watched
                .iter()
                .any(|w| w.db == self.session.db && w.key == *key)
            {
                continue;
            }
            let engine = &self.server.engine;
            match engine.watch(self.session.db, key).await {
                Ok(w) => self.session.watched.push(w),
                Err(why) => return refusal(engine.group(), why, key_slot(key)).await,
            }
        }
        self.session
            .handle
            .watching
            .store(self.session.watched.len(), Ordering::Relaxed);
        Frame::ok()
    }
}
