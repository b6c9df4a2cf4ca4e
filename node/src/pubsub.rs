//! Publish/subscribe: who listens to which channel, pattern or shard
//! channel, and delivery of messages to their connections.
//!
//! Each subscribed connection owns a bounded queue of outgoing messages; a
//! subscriber that does not drain it (Valkey's pubsub output-buffer hard
//! limit) is disconnected rather than letting memory grow without bound.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::RwLock;
use tokio::sync::mpsc;

use crate::command::{cmd, flags::*, CommandSpec, Handler};
use crate::errors;
use crate::resp::Frame;
use crate::server::{ClientHandle, Server, Session};
use crate::util::glob_match;

/// Messages a connection has not written yet, at most.
pub const QUEUE_LIMIT: usize = 32 * 1024;
/// Bytes of messages a connection has not written yet, at most (Valkey's
/// default `client-output-buffer-limit pubsub` hard limit, 32 MB).
pub const QUEUE_BYTES_LIMIT: usize = 32 * 1024 * 1024;

/// A subscriber's delivery queue and its handle (to disconnect it).
#[derive(Clone)]
pub struct Subscriber {
    /// Outgoing messages.
    pub tx: mpsc::Sender<Frame>,
    /// Bytes queued in `tx` and not yet taken by the connection (see
    /// [`message_cost`]); the connection subtracts what it takes.
    pub queued: Arc<AtomicUsize>,
    /// The client, to kill it on overflow.
    pub client: Arc<ClientHandle>,
}

/// What a queued message counts against [`QUEUE_BYTES_LIMIT`]: its
/// payload plus a fixed overhead.
pub fn message_cost(frame: &Frame) -> usize {
    match frame {
        Frame::Push(items) => items
            .iter()
            .map(|f| match f {
                Frame::Bulk(b) => b.len() + 16,
                _ => 16,
            })
            .sum(),
        _ => 64,
    }
}

/// The three kinds of subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE.
    Channel = 0,
    /// PSUBSCRIBE.
    Pattern = 1,
    /// SSUBSCRIBE.
    Shard = 2,
}

type Table = HashMap<Bytes, HashMap<u64, Subscriber>>;

/// Every subscription on this node.
#[derive(Default)]
pub struct PubSub {
    tables: [RwLock<Table>; 3],
    /// Subscribers disconnected because their queue overflowed (INFO
    /// `client_output_buffer_limit_disconnections`).
    pub overflowed: AtomicU64,
}

impl PubSub {
    /// Adds a subscription; false if it already existed.
    pub fn subscribe(&self, kind: Kind, name: Bytes, sub: Subscriber) -> bool {
        let mut t = self.tables[kind as usize].write();
        t.entry(name)
            .or_default()
            .insert(sub.client.id, sub)
            .is_none()
    }

    /// Removes a subscription; false if there was none.
    pub fn unsubscribe(&self, kind: Kind, name: &[u8], client: u64) -> bool {
        let mut t = self.tables[kind as usize].write();
        let Some(subs) = t.get_mut(name) else {
            return false;
        };
        let removed = subs.remove(&client).is_some();
        if subs.is_empty() {
            t.remove(name);
        }
        removed
    }

    /// Delivers a message; returns how many subscribers got it.
    pub fn publish(&self, channel: &Bytes, message: &Bytes, shard: bool) -> usize {
        let mut n = 0;
        let (kind, verb) = if shard {
            (Kind::Shard, "smessage")
        } else {
            (Kind::Channel, "message")
        };
        if let Some(subs) = self.tables[kind as usize].read().get(channel) {
            let frame = Frame::Push(vec![
                Frame::bulk(verb),
                Frame::Bulk(channel.clone()),
                Frame::Bulk(message.clone()),
            ]);
            for s in subs.values() {
                deliver(s, frame.clone(), &self.overflowed);
                n += 1;
            }
        }
        if !shard {
            for (pattern, subs) in self.tables[Kind::Pattern as usize].read().iter() {
                if !glob_match(pattern, channel, false) {
                    continue;
                }
                let frame = Frame::Push(vec![
                    Frame::bulk("pmessage"),
                    Frame::Bulk(pattern.clone()),
                    Frame::Bulk(channel.clone()),
                    Frame::Bulk(message.clone()),
                ]);
                for s in subs.values() {
                    deliver(s, frame.clone(), &self.overflowed);
                    n += 1;
                }
            }
        }
        n
    }

    /// Active channels (or shard channels) matching `pattern`.
    pub fn channels(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        self.tables[kind as usize]
            .read()
            .keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c, false)))
            .cloned()
            .collect()
    }

    /// Subscribers of one channel.
    pub fn count(&self, kind: Kind, name: &[u8]) -> usize {
        self.tables[kind as usize]
            .read()
            .get(name)
            .map_or(0, |s| s.len())
    }

    /// Number of distinct patterns subscribed.
    pub fn patterns(&self) -> usize {
        self.tables[Kind::Pattern as usize].read().len()
    }
}

fn deliver(s: &Subscriber, frame: Frame, overflowed: &AtomicU64) {
    // A full queue means the client stopped reading; a closed one means it
    // is going away. Only the first kill of a client is counted.
    let cost = message_cost(&frame);
    let over = s.queued.fetch_add(cost, Ordering::Relaxed) + cost > QUEUE_BYTES_LIMIT;
    if (over || s.tx.try_send(frame).is_err()) && !s.client.killed.load(Ordering::SeqCst) {
        overflowed.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            client = s.client.id,
            "pubsub output queue full, closing client"
        );
        s.client.kill();
    }
}

fn publish(_s: &mut Session, server: &Server, args: &[Bytes]) -> Frame {
    Frame::int(server.pubsub.publish(&args[1], &args[2], false))
}

fn spublish(_s: &mut Session, server: &Server, args: &[Bytes]) -> Frame {
    Frame::int(server.pubsub.publish(&args[1], &args[2], true))
}

fn pubsub_channels(_s: &mut Session, server: &Server, args: &[Bytes]) -> Frame {
    if args.len() > 3 {
        return errors::wrong_arity("pubsub|channels");
    }
    Frame::bulks(
        server
            .pubsub
            .channels(Kind::Channel, args.get(2).map(|p| p.as_ref())),
    )
}

fn pubsub_shardchannels(_s: &mut Session, server: &Server, args: &[Bytes]) -> Frame {
    if args.len() > 3 {
        return errors::wrong_arity("pubsub|shardchannels");
    }
    Frame::bulks(
        server
            .pubsub
            .channels(Kind::Shard, args.get(2).map(|p| p.as_ref())),
    )
}

fn numsub(server: &Server, args: &[Bytes], kind: Kind) -> Frame {
    let mut out = Vec::new();
    for c in &args[2..] {
        out.push(Frame::Bulk(c.clone()));
        out.push(Frame::int(server.pubsub.count(kind, c)));
    }
    Frame::Array(out)
}

fn pubsub_numsub(_s: &mut Session, server: &Server, args: &[Bytes]) -> Frame {
    numsub(server, args, Kind::Channel)
}

fn pubsub_shardnumsub(_s: &mut Session, server: &Server, args: &[Bytes]) -> Frame {
    numsub(server, args, Kind::Shard)
}

fn pubsub_numpat(_s: &mut Session, server: &Server, _args: &[Bytes]) -> Frame {
    Frame::int(server.pubsub.patterns())
}

fn pubsub_help(_s: &mut Session, _server: &Server, _args: &[Bytes]) -> Frame {
    crate::server::admin::help(
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    )
}

const PS: u32 = PUBSUB | LOADING | STALE;

const PUBSUB_SUBS: &[CommandSpec] = &[
    cmd(
        "channels",
        -2,
        PS,
        (0, 0, 0),
        Handler::Session(pubsub_channels),
    )
    .doc("pubsub", "Returns the active channels.", "2.8.0"),
    cmd("numsub", -2, PS, (0, 0, 0), Handler::Session(pubsub_numsub)).doc(
        "pubsub",
        "Returns a count of subscribers to channels.",
        "2.8.0",
    ),
    cmd("numpat", 2, PS, (0, 0, 0), Handler::Session(pubsub_numpat)).doc(
        "pubsub",
        "Returns a count of unique pattern subscriptions.",
        "2.8.0",
    ),
    cmd(
        "shardchannels",
        -2,
        PS,
        (0, 0, 0),
        Handler::Session(pubsub_shardchannels),
    )
    .doc("pubsub", "Returns the active shard channels.", "7.0.0"),
    cmd(
        "shardnumsub",
        -2,
        PS,
        (0, 0, 0),
        Handler::Session(pubsub_shardnumsub),
    )
    .doc(
        "pubsub",
        "Returns the count of subscribers of shard channels.",
        "7.0.0",
    ),
    cmd(
        "help",
        2,
        LOADING | STALE,
        (0, 0, 0),
        Handler::Session(pubsub_help),
    )
    .doc(
        "pubsub",
        "Returns helpful text about the different subcommands.",
        "6.2.0",
    ),
];

/// Pub/sub commands. The (un)subscribe family needs the connection's own
/// queue, so the connection loop runs them.
pub const COMMANDS: &[CommandSpec] = &[
    cmd(
        "publish",
        3,
        PS | FAST | MAY_REPLICATE,
        (0, 0, 0),
        Handler::Session(publish),
    )
    .doc("pubsub", "Posts a message to a channel.", "2.0.0"),
    cmd(
        "spublish",
        3,
        PS | FAST | MAY_REPLICATE,
        (1, 1, 1),
        Handler::Session(spublish),
    )
    .doc("pubsub", "Post a message to a shard channel", "7.0.0"),
    cmd(
        "subscribe",
        -2,
        PS | NOSCRIPT,
        (0, 0, 0),
        Handler::Connection,
    )
    .doc(
        "pubsub",
        "Listens for messages published to channels.",
        "2.0.0",
    ),
    cmd(
        "unsubscribe",
        -1,
        PS | NOSCRIPT,
        (0, 0, 0),
        Handler::Connection,
    )
    .doc(
        "pubsub",
        "Stops listening to messages posted to channels.",
        "2.0.0",
    ),
    cmd(
        "psubscribe",
        -2,
        PS | NOSCRIPT,
        (0, 0, 0),
        Handler::Connection,
    )
    .doc(
        "pubsub",
        "Listens for messages published to channels that match one or more patterns.",
        "2.0.0",
    ),
    cmd(
        "punsubscribe",
        -1,
        PS | NOSCRIPT,
        (0, 0, 0),
        Handler::Connection,
    )
    .doc(
        "pubsub",
        "Stops listening to messages published to channels that match one or more patterns.",
        "2.0.0",
    ),
    cmd(
        "ssubscribe",
        -2,
        PS | NOSCRIPT,
        (1, -1, 1),
        Handler::Connection,
    )
    .doc(
        "pubsub",
        "Listens for messages published to shard channels.",
        "7.0.0",
    ),
    cmd(
        "sunsubscribe",
        -1,
        PS | NOSCRIPT,
        (1, -1, 1),
        Handler::Connection,
    )
    .doc(
        "pubsub",
        "Stops listening to messages posted to shard channels.",
        "7.0.0",
    ),
    cmd("pubsub", -2, 0, (0, 0, 0), Handler::Session(pubsub_help))
        .doc("pubsub", "A container for Pub/Sub commands.", "2.8.0")
        .subs(PUBSUB_SUBS),
];
