//! Simulated clients on the node's request path: writes are records
//! proposed through `Engine::enqueue` / `Engine::finish` (what a
//! connection's write does), reads run the real GET/LRANGE handlers
//! through `Engine::read` (leadership confirmed first). A client talks to
//! one node at a time and follows `NotLeader` redirects like a cluster
//! client following MOVED; any other refusal or a timeout sends it to a
//! node drawn from its seeded rng.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use slotraft::command::{table, DataFn, Handler};
use slotraft::engine::Engine;
use slotraft::group::runtime::Refused;
use slotraft::group::types::NodeId;
use slotraft::record::{Op, Record};
use slotraft::resp::Frame;

use super::{unix_ms, Shared, Topology};

/// A client gives up on (and marks indeterminate) an operation after this.
pub const OP_TIMEOUT: Duration = Duration::from_secs(1);

/// How a write ended.
#[derive(Debug)]
pub enum Outcome {
    /// Applied; the reply.
    Ok(Frame),
    /// Refused before it was queued for the log: certainly not applied.
    NotDone(Refused),
    /// Queued, then refused or timed out: applied or not, unknown.
    Maybe(Option<Refused>),
}

impl Outcome {
    /// Short tag for the history log.
    pub fn tag(&self) -> &'static str {
        match self {
            Outcome::Ok(_) => "ok",
            Outcome::NotDone(_) => "refused",
            Outcome::Maybe(_) => "maybe",
        }
    }
}

/// A client's connection state: the node it talks to, its rng.
pub struct Conn {
    /// Seeded per client.
    pub rng: ChaCha8Rng,
    target: NodeId,
    members: Vec<NodeId>,
}

impl Conn {
    /// Client `c` of `seed`, starting at a node drawn from the seed.
    pub fn new(topo: &Topology, seed: u64, c: u64) -> Conn {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (c + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let members: Vec<NodeId> = topo.members().collect();
        let target = members[rng.gen_range(0..members.len())];
        Conn {
            rng,
            target,
            members,
        }
    }

    /// The node currently talked to.
    pub fn target(&self) -> NodeId {
        self.target
    }

    /// Sends the client to `id`.
    pub fn go_to(&mut self, id: NodeId) {
        self.target = id;
    }

    /// The engine of the node talked to, if it runs; otherwise moves to
    /// another node and returns `None` (the caller retries later).
    pub fn engine(&mut self, sh: &Shared) -> Option<Arc<Engine>> {
        let e = sh.lock().unwrap().live.get(&self.target).cloned();
        if e.is_none() {
            self.elsewhere();
        }
        e
    }

    /// Moves to a node drawn at random.
    fn elsewhere(&mut self) {
        self.target = self.members[self.rng.gen_range(0..self.members.len())];
    }

    /// Follows a refusal: to the named leader, else anywhere.
    fn redirect(&mut self, why: Option<&Refused>) {
        match why {
            Some(Refused::NotLeader(Some((id, _)))) => self.target = *id,
            _ => self.elsewhere(),
        }
    }

    /// A record as `Engine::record` makes it, with the simulated clock and
    /// a seeded draw so runs reproduce.
    pub fn record(&mut self, args: &[&str]) -> Record {
        Record {
            db: 0,
            time_ms: unix_ms(),
            seed: self.rng.gen(),
            resp3: false,
            op: Op::Command(args.iter().map(|a| Bytes::from(a.to_string())).collect()),
            retry: false,
        }
    }

    /// Writes `args` through `engine`: queued (or refused) at once, then
    /// awaited for at most [`OP_TIMEOUT`]. Redirects on refusal.
    pub async fn write(&mut self, engine: &Engine, args: &[&str]) -> Outcome {
        let rec = self.record(args);
        let out = match engine.enqueue(rec) {
            Err(r) => Outcome::NotDone(r),
            Ok(pending) => match tokio::time::timeout(OP_TIMEOUT, engine.finish(pending)).await {
                Ok(Ok(applied)) => {
                    let reply = applied.reply.unwrap_or(Frame::Null);
                    assert!(
                        !matches!(reply, Frame::Error(_)),
                        "write {args:?} failed: {reply:?}"
                    );
                    Outcome::Ok(reply)
                }
                Ok(Err(r)) => Outcome::Maybe(Some(r)),
                Err(_) => Outcome::Maybe(None),
            },
        };
        match &out {
            Outcome::Ok(_) => {}
            Outcome::NotDone(r) | Outcome::Maybe(Some(r)) => self.redirect(Some(r)),
            Outcome::Maybe(None) => self.redirect(None),
        }
        out
    }

    /// Runs read command `args` through `engine`; `None` if refused or
    /// timed out (the client moves on).
    pub async fn read(&mut self, engine: &Engine, args: &[&str]) -> Option<Frame> {
        let f = data_fn(args[0]);
        let args: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
        match tokio::time::timeout(OP_TIMEOUT, engine.read(f, 0, &args, false)).await {
            Ok(Ok((reply, _))) => Some(reply),
            Ok(Err(r)) => {
                self.redirect(Some(&r));
                None
            }
            Err(_) => {
                self.redirect(None);
                None
            }
        }
    }
}

/// The keyspace handler of command `name` from the node's command table.
fn data_fn(name: &str) -> DataFn {
    let r = table().get(name.as_bytes()).expect("known command");
    match r.spec.handler {
        Handler::Data(f) => f,
        _ => panic!("{name} is not a keyspace command"),
    }
}

/// A register value from a GET reply.
pub fn register(reply: Frame) -> Option<Vec<u8>> {
    match reply {
        Frame::Bulk(b) => Some(b.to_vec()),
        Frame::Null => None,
        other => panic!("GET answered {other:?}"),
    }
}

/// A list from an LRANGE reply.
pub fn list(reply: Frame) -> Vec<Vec<u8>> {
    match reply {
        Frame::Array(items) => items
            .into_iter()
            .map(|f| match f {
                Frame::Bulk(b) => b.to_vec(),
                other => panic!("LRANGE item {other:?}"),
            })
            .collect(),
        other => panic!("LRANGE answered {other:?}"),
    }
}
