//! The command table: one entry per command with its arity, flags, key
//! positions, ACL categories and handler — data, as Valkey's table is.
//!
//! Each data-type module exports its entries in a `COMMANDS` slice next to
//! the handlers; [`table`] gathers them. The same key positions serve
//! COMMAND GETKEYS, WATCH bookkeeping, blocked-client wake-ups and (later)
//! cluster slot routing.

pub mod ctx;
pub mod info;
mod table;

use bytes::Bytes;

pub use ctx::Ctx;
pub use table::{table, CommandTable, Resolved};

use crate::resp::Frame;
use crate::server::{Server, Session};

/// Command flags (Valkey's names, reported by COMMAND).
pub mod flags {
    /// May modify the keyspace.
    pub const WRITE: u32 = 1 << 0;
    /// Never modifies the keyspace.
    pub const READONLY: u32 = 1 << 1;
    /// May grow memory use.
    pub const DENYOOM: u32 = 1 << 2;
    /// Administrative.
    pub const ADMIN: u32 = 1 << 3;
    /// Pub/sub related.
    pub const PUBSUB: u32 = 1 << 4;
    /// Not allowed in scripts.
    pub const NOSCRIPT: u32 = 1 << 5;
    /// May block the client.
    pub const BLOCKING: u32 = 1 << 6;
    /// Allowed while loading.
    pub const LOADING: u32 = 1 << 7;
    /// Allowed on a stale replica.
    pub const STALE: u32 = 1 << 8;
    /// Not shown in MONITOR.
    pub const SKIP_MONITOR: u32 = 1 << 9;
    /// Not recorded in the slow log.
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    /// O(1) or O(log N).
    pub const FAST: u32 = 1 << 11;
    /// Allowed before authentication.
    pub const NO_AUTH: u32 = 1 << 12;
    /// May replicate.
    pub const MAY_REPLICATE: u32 = 1 << 13;
    /// Not allowed inside MULTI.
    pub const NO_MULTI: u32 = 1 << 14;
    /// Allowed while a script is busy.
    pub const ALLOW_BUSY: u32 = 1 << 15;
}

/// A handler that runs against the keyspace: a read (on the applied
/// keyspace) or the apply of a write record. It must be a pure function of
/// (keyspace, arguments, `ctx` time/seed/protocol).
pub type DataFn = fn(&mut Ctx, &[Bytes]) -> Frame;

/// A handler of connection or server state (no keyspace change).
pub type SessionFn = fn(&mut Session, &Server, &[Bytes]) -> Frame;

/// Finds the key argument positions of a command whose keys move
/// (ZUNIONSTORE's numkeys, LMPOP, ...). `None`: malformed arguments.
pub type KeysFn = fn(&[Bytes]) -> Option<Vec<usize>>;

/// How a command runs.
#[derive(Clone, Copy)]
pub enum Handler {
    /// Keyspace command (read or write per its flags).
    Data(DataFn),
    /// Connection/server command.
    Session(SessionFn),
    /// Needs the connection loop itself (MULTI/EXEC, SUBSCRIBE, QUIT, ...).
    Connection,
}

/// One command's entry in the table.
#[derive(Clone, Copy)]
pub struct CommandSpec {
    /// Lower-case name (`config|get` style for subcommands is derived).
    pub name: &'static str,
    /// Valkey arity: N exact, -N at least N (the name counts).
    pub arity: i32,
    /// Bit set of [`flags`].
    pub flags: u32,
    /// First key position (0: none).
    pub first_key: i32,
    /// Last key position (-1: last argument).
    pub last_key: i32,
    /// Step between keys.
    pub key_step: i32,
    /// Key finder for commands whose key positions depend on arguments.
    pub movable_keys: Option<KeysFn>,
    /// Command group (`string`, `list`, `generic`, `server`, ...).
    pub group: &'static str,
    /// Extra ACL categories beyond those derived from flags and group.
    pub acl: &'static [&'static str],
    /// One-line summary for COMMAND DOCS.
    pub summary: &'static str,
    /// Valkey/Redis version that introduced it.
    pub since: &'static str,
    /// The handler.
    pub handler: Handler,
    /// Subcommands (CONFIG GET, CLIENT LIST, ...).
    pub subcommands: &'static [CommandSpec],
}

/// A table entry: `cmd("get", 2, READONLY | FAST, (1, 1, 1), Handler::Data(get))`.
pub const fn cmd(
    name: &'static str,
    arity: i32,
    flags: u32,
    keys: (i32, i32, i32),
    handler: Handler,
) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        first_key: keys.0,
        last_key: keys.1,
        key_step: keys.2,
        movable_keys: None,
        group: "generic",
        acl: &[],
        summary: "",
        since: "1.0.0",
        handler,
        subcommands: &[],
    }
}

impl CommandSpec {
    /// Sets group, summary and version for COMMAND DOCS.
    pub const fn doc(
        mut self,
        group: &'static str,
        summary: &'static str,
        since: &'static str,
    ) -> Self {
        self.group = group;
        self.summary = summary;
        self.since = since;
        self
    }

    /// Sets extra ACL categories (e.g. `&["dangerous"]`).
    pub const fn acl(mut self, acl: &'static [&'static str]) -> Self {
        self.acl = acl;
        self
    }

    /// Marks the keys as movable, found by `f`.
    pub const fn movable(mut self, f: KeysFn) -> Self {
        self.movable_keys = Some(f);
        self
    }

    /// Attaches subcommands.
    pub const fn subs(mut self, subs: &'static [CommandSpec]) -> Self {
        self.subcommands = subs;
        self
    }

    /// True for commands that may change the keyspace: they become records.
    pub fn is_write(&self) -> bool {
        self.flags & flags::WRITE != 0
    }

    /// True when `argc` (including the name) fits the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i32;
        if self.arity >= 0 {
            argc == self.arity
        } else {
            argc >= -self.arity
        }
    }

    /// Positions of the key arguments in `args` (args[0] is the name).
    /// `None` when the arguments are malformed for a movable-keys command.
    pub fn key_positions(&self, args: &[Bytes]) -> Option<Vec<usize>> {
        if let Some(f) = self.movable_keys {
            return f(args);
        }
        if self.first_key <= 0 {
            return Some(Vec::new());
        }
        let argc = args.len() as i32;
        let last = if self.last_key < 0 {
            argc + self.last_key
        } else {
            self.last_key.min(argc - 1)
        };
        let mut out = Vec::new();
        let mut i = self.first_key;
        while i <= last {
            out.push(i as usize);
            i += self.key_step.max(1);
        }
        Some(out)
    }

    /// ACL categories as COMMAND reports them (`@write`, `@string`, ...).
    pub fn acl_categories(&self) -> Vec<String> {
        let mut out = Vec::new();
        let f = self.flags;
        if f & flags::WRITE != 0 {
            out.push("@write".to_string());
        }
        if f & flags::READONLY != 0 {
            out.push("@read".to_string());
        }
        let group_cat = match self.group {
            "string" => Some("@string"),
            "list" => Some("@list"),
            "hash" => Some("@hash"),
            "set" => Some("@set"),
            "sorted-set" => Some("@sortedset"),
            "generic" => Some("@keyspace"),
            "connection" => Some("@connection"),
            "pubsub" => Some("@pubsub"),
            "transactions" => Some("@transaction"),
            _ => None,
        };
        if let Some(c) = group_cat {
            if !(c == "@keyspace"
                && self.first_key == 0
                && self.movable_keys.is_none()
                && f & flags::WRITE == 0
                && f & flags::READONLY == 0)
            {
                out.push(c.to_string());
            }
        }
        if f & flags::ADMIN != 0 {
            out.push("@admin".to_string());
        }
        for extra in self.acl {
            out.push(format!("@{extra}"));
        }
        if f & flags::FAST != 0 {
            out.push("@fast".to_string());
        } else {
            out.push("@slow".to_string());
        }
        if f & flags::BLOCKING != 0 {
            out.push("@blocking".to_string());
        }
        if f & flags::ADMIN != 0 && !self.acl.contains(&"dangerous") {
            out.push("@dangerous".to_string());
        }
        // Valkey lists categories in the order of its category bits.
        const ORDER: &[&str] = &[
            "@keyspace",
            "@read",
            "@write",
            "@set",
            "@sortedset",
            "@list",
            "@hash",
            "@string",
            "@bitmap",
            "@hyperloglog",
            "@geo",
            "@stream",
            "@pubsub",
            "@admin",
            "@fast",
            "@slow",
            "@blocking",
            "@dangerous",
            "@connection",
            "@transaction",
            "@scripting",
        ];
        out.sort_by_key(|c| ORDER.iter().position(|o| o == c).unwrap_or(ORDER.len()));
        out.dedup();
        out
    }
}
