//! Per-connection state that commands read and change: selected database,
//! protocol, authentication, the transaction being queued, watched keys,
//! reply mode.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use super::clients::ClientHandle;
use crate::record::Watched;

/// CLIENT REPLY mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    /// Replies are sent.
    On,
    /// No replies.
    Off,
    /// This reply and the next are skipped (CLIENT REPLY SKIP).
    Skip,
    /// The next reply is skipped.
    SkipNext,
}

/// A transaction being queued after MULTI.
#[derive(Debug, Default)]
pub struct Multi {
    /// Queued commands.
    pub queued: Vec<Vec<Bytes>>,
    /// A command failed to queue: EXEC answers EXECABORT.
    pub aborted: bool,
}

/// One client's session.
#[derive(Debug)]
pub struct Session {
    /// Shared view for the registry.
    pub handle: Arc<ClientHandle>,
    /// Selected database.
    pub db: usize,
    /// Protocol: 2 or 3.
    pub resp: u8,
    /// Passed AUTH (or no password is set).
    pub authenticated: bool,
    /// MULTI in progress.
    pub multi: Option<Multi>,
    /// WATCHed keys.
    pub watched: Vec<Watched>,
    /// CLIENT REPLY.
    pub reply_mode: ReplyMode,
}

impl Session {
    /// A fresh session for a registered client.
    pub fn new(handle: Arc<ClientHandle>, authenticated: bool) -> Session {
        Session {
            handle,
            db: 0,
            resp: 2,
            authenticated,
            multi: None,
            watched: Vec::new(),
            reply_mode: ReplyMode::On,
        }
    }

    /// Client id.
    pub fn id(&self) -> u64 {
        self.handle.id
    }

    /// True for RESP3.
    pub fn resp3(&self) -> bool {
        self.resp >= 3
    }

    /// Selects database `db`.
    pub fn select(&mut self, db: usize) {
        self.db = db;
        self.handle.db.store(db, Ordering::Relaxed);
    }

    /// Sets the protocol.
    pub fn set_resp(&mut self, resp: u8) {
        self.resp = resp;
        self.handle.resp.store(resp, Ordering::Relaxed);
    }

    /// Drops WATCHed keys.
    pub fn unwatch(&mut self) {
        self.watched.clear();
        self.handle.watching.store(0, Ordering::Relaxed);
    }

    /// Leaves MULTI, forgetting queued commands and watches.
    pub fn discard(&mut self) {
        self.multi = None;
        self.handle.multi.store(-1, Ordering::Relaxed);
        self.unwatch();
    }
}
