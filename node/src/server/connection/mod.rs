//! One client connection: read requests, run them in order, write replies.
//!
//! Every request that is already in the read buffer is executed before the
//! replies are written, so a pipeline costs one write per read. Commands
//! that need the connection itself — transactions, subscriptions,
//! blocking, HELLO/AUTH/QUIT/RESET — are run here; everything else goes to
//! the command's handler.

use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tracing::debug;

mod subscriptions;
mod transaction;
mod writes;

use writes::command_slot;

use super::session::{ReplyMode, Session};
use super::stats::SlowEntry;
use super::{ClientHandle, Server};
use crate::cluster::redirect::refusal;
use crate::command::{flags, table, Handler, Resolved};
use crate::engine::unix_ms;
use crate::errors::{self, err};
use crate::group::runtime::{Pending, Refused};
use crate::pubsub::{self, Kind};
use crate::resp::{Frame, ParseLimits, ProtocolError, RequestParser};

/// What the loop does after a command.
enum Next {
    Continue,
    /// Write what is buffered, then close.
    Close,
}

struct Connection {
    server: Arc<Server>,
    session: Session,
    socket: TcpStream,
    rbuf: BytesMut,
    wbuf: BytesMut,
    parser: RequestParser,
    /// Subscriptions by kind: channels, patterns, shard channels.
    subs: [BTreeSet<Bytes>; 3],
    push_tx: mpsc::Sender<Frame>,
    push_rx: mpsc::Receiver<Frame>,
    /// Bytes waiting in `push_rx` (the pub/sub output limit).
    push_queued: Arc<AtomicUsize>,
    /// Requests parsed ahead of their turn (behind queued writes).
    ahead: VecDeque<Result<Option<Vec<Bytes>>, ProtocolError>>,
    /// Writes already handed to the group, by their first argument's
    /// address, in request order.
    queued: VecDeque<(usize, Result<Pending, Refused>)>,
}

/// Serves one accepted socket until it closes.
/// The client is registered by the accept loop before this task starts, so
/// `maxclients` counts it even if many connections arrive at once.
pub async fn serve(server: Arc<Server>, socket: TcpStream, handle: Arc<ClientHandle>) {
    let authenticated = server.requirepass().is_empty();
    let (push_tx, push_rx) = mpsc::channel(pubsub::QUEUE_LIMIT);
    let mut conn = Connection {
        server: server.clone(),
        session: Session::new(handle.clone(), authenticated),
        socket,
        rbuf: BytesMut::with_capacity(16 * 1024),
        wbuf: BytesMut::with_capacity(16 * 1024),
        parser: RequestParser::new(),
        subs: Default::default(),
        push_tx,
        push_rx,
        push_queued: Arc::new(AtomicUsize::new(0)),
        ahead: VecDeque::new(),
        queued: VecDeque::new(),
    };
    if let Err(e) = conn.run().await {
        debug!(client = handle.id, %e, "connection closed");
    }
    conn.unsubscribe_all();
    server.clients.unregister(handle.id);
}

impl Connection {
    fn subscribed(&self) -> usize {
        self.subs.iter().map(|s| s.len()).sum()
    }

    async fn run(&mut self) -> std::io::Result<()> {
        loop {
            if self.session.handle.killed.load(Ordering::SeqCst) {
                return Ok(());
            }
            // Execute everything already received.
            loop {
                let next = match self.ahead.pop_front() {
                    Some(parsed) => parsed,
                    None => {
                        let parsed = self.parse_next();
                        match parsed {
                            Ok(Some(args)) if self.queue_write(&args) => {
                                self.queue_following_writes();
                                Ok(Some(args))
                            }
                            other => other,
                        }
                    }
                };
                match next {
                    Ok(Some(args)) => {
                        if let Next::Close = self.execute(args).await {
                            self.flush().await?;
                            return Ok(());
                        }
                        if self.session.handle.killed.load(Ordering::SeqCst) {
                            return Ok(());
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        self.server.stats.error_reply(&e.0);
                        Frame::Error(e.0).encode(self.session.resp, &mut self.wbuf);
                        self.flush().await?;
                        return Ok(());
                    }
                }
            }
            self.flush().await?;
            let limit = self.server.hot.query_buffer_limit() as usize;
            if self.rbuf.len() + self.parser.pending_bytes() > limit {
                self.server
                    .stats
                    .qbuf_limit_disconnections
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    client = self.session.id(),
                    "query buffer limit reached, closing client"
                );
                return Ok(());
            }
            let idle = self.server.hot.timeout();
            let idle_deadline = if idle > 0 && self.subscribed() == 0 {
                Some(tokio::time::Instant::now() + Duration::from_secs(idle as u64))
            } else {
                None
            };
            tokio::select! {
                n = self.socket.read_buf(&mut self.rbuf) => {
                    let n = n?;
                    if n == 0 {
                        return Ok(());
                    }
                    self.server.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    self.session.handle.net_in.fetch_add(n as u64, Ordering::Relaxed);
                }
                Some(msg) = self.push_rx.recv() => {
                    let mut taken = pubsub::message_cost(&msg);
                    msg.encode(self.session.resp, &mut self.wbuf);
                    // Bounded batch: the write buffer must not grow without
                    // limit while a fast publisher keeps the queue full.
                    while self.wbuf.len() < 1024 * 1024 {
                        let Ok(msg) = self.push_rx.try_recv() else { break };
                        taken += pubsub::message_cost(&msg);
                        msg.encode(self.session.resp, &mut self.wbuf);
                    }
                    self.push_queued.fetch_sub(taken, Ordering::Relaxed);
                }
                _ = self.session.handle.kill.notified() => return Ok(()),
                _ = sleep_until(idle_deadline) => {
                    debug!(client = self.session.id(), "idle timeout");
                    return Ok(());
                }
            }
        }
    }

    fn parse_next(&mut self) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let limits = ParseLimits {
            max_bulk_len: self.server.hot.proto_max_bulk_len(),
            authenticated: self.session.authenticated,
        };
        self.parser.next(&mut self.rbuf, limits)
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let n = self.wbuf.len() as u64;
        // Fast path: replies almost always fit in the socket buffer, so try
        // a non-blocking write first. Arming the kill notification and the
        // select below on every flush showed up in profiles (Notified
        // poll/drop, select polling) at -P 1.
        match self.socket.try_write(&self.wbuf) {
            Ok(w) => self.wbuf.advance(w),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        if !self.wbuf.is_empty() {
            // A client that stops reading must not pin this task: CLIENT
            // KILL and the pub/sub queue overflow close it even mid-write.
            let handle = self.session.handle.clone();
            tokio::select! {
                r = self.socket.write_all(&self.wbuf) => r?,
                _ = handle.kill.notified() => {
                    return Err(std::io::Error::other("client killed while writing"));
                }
            }
        }
        self.wbuf.clear();
        self.server
            .stats
            .net_output_bytes
            .fetch_add(n, Ordering::Relaxed);
        self.session.handle.net_out.fetch_add(n, Ordering::Relaxed);
        Ok(())
    }

    fn reply(&mut self, frame: Frame) {
        if let Frame::Error(text) = &frame {
            self.server.stats.error_reply(text);
        }
        match self.session.reply_mode {
            ReplyMode::On => frame.encode(self.session.resp, &mut self.wbuf),
            ReplyMode::Off => {}
            ReplyMode::Skip => self.session.reply_mode = ReplyMode::SkipNext,
            ReplyMode::SkipNext => self.session.reply_mode = ReplyMode::On,
        }
    }

    async fn execute(&mut self, args: Vec<Bytes>) -> Next {
        // No Arc clones of the server or the client handle here: every
        // connection bumping the same refcounts per command bounces their
        // cache lines between the worker threads.
        let handle = &self.session.handle;
        handle.last_ms.store(unix_ms(), Ordering::Relaxed);
        handle.commands.fetch_add(1, Ordering::Relaxed);
        self.server
            .stats
            .commands_processed
            .fetch_add(1, Ordering::Relaxed);

        let resolved = table().resolve(&args);
        // Authentication comes before anything else, even arity.
        if !self.session.authenticated {
            let no_auth = matches!(&resolved, Ok(r) if r.spec.flags & flags::NO_AUTH != 0);
            if !no_auth {
                self.reply(err("NOAUTH Authentication required."));
                return Next::Continue;
            }
        }
        let r = match resolved {
            Ok(r) => r,
            Err(e) => {
                if let Some(m) = self.session.multi.as_mut() {
                    m.aborted = true;
                }
                if let Some(r) = table().get(&args[0]) {
                    self.server.stats.commands[r.id]
                        .rejected
                        .fetch_add(1, Ordering::Relaxed);
                }
                self.reply(e);
                return Next::Continue;
            }
        };
        *handle.last_cmd.lock() = r.full_name;

        // RESP2 subscribed context: only subscription commands and PING.
        if self.session.resp == 2 && self.subscribed() > 0 {
            let allowed = [
                "subscribe",
                "unsubscribe",
                "psubscribe",
                "punsubscribe",
                "ssubscribe",
                "sunsubscribe",
                "ping",
                "quit",
                "reset",
            ];
            if !allowed.contains(&r.spec.name) {
                self.reply(Frame::Error(format!(
                    "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                    r.full_name
                )));
                return Next::Continue;
            }
        }

        // Queue inside MULTI.
        if self.session.multi.is_some()
            && !matches!(
                r.spec.name,
                "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
            )
        {
            if r.spec.flags & flags::NO_MULTI != 0
                || (matches!(r.spec.handler, Handler::Connection) && r.spec.name != "ping")
            {
                self.session.multi.as_mut().expect("in multi").aborted = true;
                self.reply(err("ERR Command not allowed inside a transaction"));
                return Next::Continue;
            }
            let m = self.session.multi.as_mut().expect("in multi");
            m.queued.push(args);
            handle.multi.store(m.queued.len() as i64, Ordering::Relaxed);
            self.reply(Frame::Simple("QUEUED".into()));
            return Next::Continue;
        }

        let start = Instant::now();
        let (reply, next) = self.dispatch(r, &args).await;
        let micros = start.elapsed().as_micros() as u64;
        let st = &self.server.stats.commands[r.id];
        st.calls.fetch_add(1, Ordering::Relaxed);
        st.usec.fetch_add(micros, Ordering::Relaxed);
        if reply.as_ref().is_some_and(|f| f.is_error()) {
            st.failed.fetch_add(1, Ordering::Relaxed);
        }
        self.slowlog(r, &args, micros);
        if let Some(reply) = reply {
            self.reply(reply);
        }
        next
    }

    fn slowlog(&self, r: Resolved, args: &[Bytes], micros: u64) {
        if r.spec.flags & flags::SKIP_SLOWLOG != 0 {
            return;
        }
        let hot = &self.server.hot;
        let (slower, max) = (hot.slowlog_slower_than(), hot.slowlog_max_len());
        if slower < 0 || (micros as i64) < slower {
            return;
        }
        self.server.slowlog.push(
            SlowEntry {
                id: 0,
                time: unix_ms() / 1000,
                micros,
                args: args.to_vec(),
                addr: self.session.handle.addr.to_string(),
                name: self.session.handle.name.lock().clone(),
            },
            max as usize,
        );
    }

    /// Runs a resolved command; `None` means the reply was already written.
    async fn dispatch(&mut self, r: Resolved, args: &[Bytes]) -> (Option<Frame>, Next) {
        match r.spec.handler {
            Handler::Data(f) => {
                let reply = if r.spec.is_write() {
                    self.write(r, args).await
                } else {
                    let engine = &self.server.engine;
                    match engine
                        .read(f, self.session.db, args, self.session.resp3())
                        .await
                    {
                        Ok((reply, db)) => {
                            self.session.select(db);
                            reply
                        }
                        Err(why) => refusal(engine.group(), why, command_slot(r, args)).await,
                    }
                };
                (Some(reply), Next::Continue)
            }
            Handler::Session(f) => (
                Some(f(&mut self.session, &self.server, args)),
                Next::Continue,
            ),
            Handler::Connection => self.connection_command(r, args).await,
        }
    }

    async fn connection_command(&mut self, r: Resolved, args: &[Bytes]) -> (Option<Frame>, Next) {
        let reply = match r.spec.name {
            "quit" => return (Some(Frame::ok()), Next::Close),
            "multi" => self.multi(),
            "exec" => self.exec().await,
            "discard" => {
                if self.session.multi.is_none() {
                    err("ERR DISCARD without MULTI")
                } else {
                    self.session.discard();
                    Frame::ok()
                }
            }
            "watch" => self.watch(args).await,
            "unwatch" => {
                self.session.unwatch();
                Frame::ok()
            }
            "subscribe" => return (self.subscribe(Kind::Channel, &args[1..]), Next::Continue),
            "psubscribe" => return (self.subscribe(Kind::Pattern, &args[1..]), Next::Continue),
            "ssubscribe" => return (self.subscribe(Kind::Shard, &args[1..]), Next::Continue),
            "unsubscribe" => return (self.unsubscribe(Kind::Channel, &args[1..]), Next::Continue),
            "punsubscribe" => return (self.unsubscribe(Kind::Pattern, &args[1..]), Next::Continue),
            "sunsubscribe" => return (self.unsubscribe(Kind::Shard, &args[1..]), Next::Continue),
            "ping" => self.ping(args),
            "reset" => self.reset(),
            "hello" => self.hello(args),
            "auth" => self.auth(args),
            "shutdown" => {
                self.server.request_shutdown();
                return (None, Next::Close);
            }
            "debug" => self.debug(args).await,
            "wait" => self.wait(args).await,
            other => unreachable!("{other} is not a connection command"),
        };
        (Some(reply), Next::Continue)
    }

    fn ping(&mut self, args: &[Bytes]) -> Frame {
        if args.len() > 2 {
            return errors::wrong_arity("ping");
        }
        if self.session.resp == 2 && self.subscribed() > 0 {
            return Frame::Array(vec![
                Frame::bulk("pong"),
                Frame::Bulk(args.get(1).cloned().unwrap_or_default()),
            ]);
        }
        match args.get(1) {
            Some(msg) => Frame::Bulk(msg.clone()),
            None => Frame::Simple("PONG".into()),
        }
    }

    fn reset(&mut self) -> Frame {
        self.session.discard();
        self.unsubscribe_all();
        self.session.select(0);
        self.session.set_resp(2);
        self.session.reply_mode = ReplyMode::On;
        self.session.handle.name.lock().clear();
        self.session.handle.no_evict.store(false, Ordering::Relaxed);
        self.session.handle.no_touch.store(false, Ordering::Relaxed);
        self.session.authenticated = self.server.requirepass().is_empty();
        Frame::Simple("RESET".into())
    }

    fn check_password(&self, user: &[u8], pass: &[u8]) -> Result<(), Frame> {
        let required = self.server.requirepass();
        if user != b"default" || (!required.is_empty() && pass != required.as_bytes()) {
            return Err(err(
                "WRONGPASS invalid username-password pair or user is disabled.",
            ));
        }
        Ok(())
    }

    fn auth(&mut self, args: &[Bytes]) -> Frame {
        let (user, pass) = match args.len() {
            2 => (&b"default"[..], &args[1]),
            3 => (args[1].as_ref(), &args[2]),
            _ => return err(errors::SYNTAX),
        };
        let required = self.server.requirepass();
        if args.len() == 2 && required.is_empty() {
            return err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
        }
        match self.check_password(user, pass) {
            Ok(()) => {
                self.session.authenticated = true;
                Frame::ok()
            }
            Err(e) => e,
        }
    }

    fn hello(&mut self, args: &[Bytes]) -> Frame {
        let mut proto = self.session.resp;
        let mut i = 1;
        if let Some(v) = args.get(1) {
            match crate::util::parse_i64(v) {
                Some(p) if p == 2 || p == 3 => proto = p as u8,
                Some(_) => return err("NOPROTO unsupported protocol version"),
                None => return err("ERR Protocol version is not an integer or out of range"),
            }
            i = 2;
        }
        let mut name = None;
        while i < args.len() {
            let opt = args[i].to_ascii_lowercase();
            let more = args.len() - i - 1;
            if opt == b"auth" && more >= 2 {
                if let Err(e) = self.check_password(&args[i + 1], &args[i + 2]) {
                    return e;
                }
                self.session.authenticated = true;
                i += 3;
            } else if opt == b"setname" && more >= 1 {
                if let Err(e) = super::admin::valid_client_name(&args[i + 1]) {
                    return e;
                }
                name = Some(args[i + 1].clone());
                i += 2;
            } else {
                return Frame::Error(errors::sanitize(format!(
                    "ERR Syntax error in HELLO option '{}'",
                    String::from_utf8_lossy(&args[i])
                )));
            }
        }
        if !self.session.authenticated {
            return err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
        }
        if let Some(n) = name {
            *self.session.handle.name.lock() = String::from_utf8_lossy(&n).into_owned();
        }
        self.session.set_resp(proto);
        Frame::Map(vec![
            (Frame::bulk("server"), Frame::bulk("valkey")),
            (
                Frame::bulk("version"),
                Frame::bulk(super::admin::VALKEY_VERSION),
            ),
            (Frame::bulk("proto"), Frame::Integer(proto as i64)),
            (Frame::bulk("id"), Frame::int(self.session.id())),
            (Frame::bulk("mode"), Frame::bulk("standalone")),
            (Frame::bulk("role"), Frame::bulk("master")),
            (Frame::bulk("modules"), Frame::Array(vec![])),
        ])
    }

    async fn debug(&mut self, args: &[Bytes]) -> Frame {
        let sub = args[1].to_ascii_lowercase();
        match sub.as_slice() {
            b"sleep" if args.len() == 3 => match crate::util::parse_f64(&args[2]) {
                Some(secs) if secs >= 0.0 => {
                    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
                    Frame::ok()
                }
                _ => err(errors::NOT_FLOAT),
            },
            b"digest" if args.len() == 2 => {
                let d = self.server.engine.with_keyspace(|ks| ks.digest());
                Frame::Simple(d.iter().map(|b| format!("{b:02x}")).collect())
            }
            b"digest-value" => {
                let db = self.session.db;
                let keys = args[2..].to_vec();
                let out = self.server.engine.with_keyspace(|ks| {
                    keys.iter()
                        .map(|k| {
                            let mut one = crate::keyspace::Keyspace::new(1);
                            if let Some(e) = ks.dbs[db].entries.get(k) {
                                one.dbs[0].entries.insert(k.clone(), e.clone());
                            }
                            let d = one.digest();
                            Frame::Simple(d.iter().map(|b| format!("{b:02x}")).collect())
                        })
                        .collect()
                });
                Frame::Array(out)
            }
            b"help" => super::admin::help(
                "DEBUG",
                &[
                    "DIGEST",
                    "    Output a hex signature representing the current DB content.",
                    "DIGEST-VALUE <key> [<key> ...]",
                    "    Output a hex signature of the values of all the specified keys.",
                    "SLEEP <seconds>",
                    "    Stop the server for <seconds>. Decimals allowed.",
                ],
            ),
            _ => errors::unknown_subcommand("debug", &args[1]),
        }
    }

    async fn wait(&mut self, args: &[Bytes]) -> Frame {
        let (Some(n), Some(timeout)) = (
            crate::util::parse_i64(&args[1]),
            crate::util::parse_i64(&args[2]),
        ) else {
            return err(errors::NOT_INTEGER);
        };
        if timeout < 0 {
            return err("ERR timeout is negative");
        }
        // A standalone node has no replicas: 0 is the truth. Valkey blocks
        // for the timeout when more are asked for; so do we.
        if n > 0 {
            let deadline = (timeout > 0)
                .then(|| tokio::time::Instant::now() + Duration::from_millis(timeout as u64));
            tokio::select! {
                _ = sleep_until(deadline) => {}
                _ = self.session.handle.kill.notified() => {}
            }
        }
        Frame::Integer(0)
    }
}

/// Sleeps until `deadline`, or forever when there is none.
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
