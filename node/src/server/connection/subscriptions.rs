//! The (un)subscribe commands of one connection. They live on the
//! connection, not in `pubsub`, because their confirmations are replies in
//! the connection's own stream (and pushes in RESP3), one per channel, and
//! the connection owns the queue the messages arrive on.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::Connection;
use crate::pubsub::{Kind, Subscriber};
use crate::resp::Frame;

impl Connection {
    /// The count a (un)subscribe confirmation reports: shard channels count
    /// on their own, channels and patterns together (as Valkey counts).
    fn sub_count(&self, kind: Kind) -> usize {
        if kind == Kind::Shard {
            self.subs[2].len()
        } else {
            self.subs[0].len() + self.subs[1].len()
        }
    }

    /// SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE: one confirmation per name.
    pub(super) fn subscribe(&mut self, kind: Kind, names: &[Bytes]) -> Option<Frame> {
        let verb = ["subscribe", "psubscribe", "ssubscribe"][kind as usize];
        for name in names {
            if self.subs[kind as usize].insert(name.clone()) {
                self.server.pubsub.subscribe(
                    kind,
                    name.clone(),
                    Subscriber {
                        tx: self.push_tx.clone(),
                        queued: self.push_queued.clone(),
                        client: self.session.handle.clone(),
                    },
                );
            }
            self.session.handle.subs[kind as usize]
                .store(self.subs[kind as usize].len(), Ordering::Relaxed);
            let count = self.sub_count(kind);
            self.reply(Frame::Push(vec![
                Frame::bulk(verb),
                Frame::Bulk(name.clone()),
                Frame::int(count),
            ]));
        }
        None
    }

    /// The UNSUBSCRIBE family; no names means every subscription of `kind`.
    pub(super) fn unsubscribe(&mut self, kind: Kind, names: &[Bytes]) -> Option<Frame> {
        let verb = ["unsubscribe", "punsubscribe", "sunsubscribe"][kind as usize];
        let names: Vec<Bytes> = if names.is_empty() {
            self.subs[kind as usize].iter().cloned().collect()
        } else {
            names.to_vec()
        };
        if names.is_empty() {
            let count = self.sub_count(kind);
            self.reply(Frame::Push(vec![
                Frame::bulk(verb),
                Frame::Null,
                Frame::int(count),
            ]));
        }
        for name in names {
            if self.subs[kind as usize].remove(&name) {
                self.server
                    .pubsub
                    .unsubscribe(kind, &name, self.session.id());
            }
            self.session.handle.subs[kind as usize]
                .store(self.subs[kind as usize].len(), Ordering::Relaxed);
            let count = self.sub_count(kind);
            self.reply(Frame::Push(vec![
                Frame::bulk(verb),
                Frame::Bulk(name),
                Frame::int(count),
            ]));
        }
        None
    }

    /// Drops every subscription (RESET, disconnect).
    pub(super) fn unsubscribe_all(&mut self) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for name in std::mem::take(&mut self.subs[kind as usize]) {
                self.server
                    .pubsub
                    .unsubscribe(kind, &name, self.session.id());
            }
            self.session.handle.subs[kind as usize].store(0, Ordering::Relaxed);
        }
    }
}
