//! Server administration: CONFIG, TIME, LASTSAVE, SLOWLOG, and the helpers
//! they share (HELP text, encoding limits from the configuration).

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::{Server, Session};
use crate::command::{cmd, flags::*, CommandSpec, Handler};
use crate::engine::unix_ms;
use crate::errors::{self, err};
use crate::keyspace::EncodingLimits;
use crate::resp::Frame;

/// The Valkey version whose behaviour slotraft follows (HELLO, INFO).
pub const VALKEY_VERSION: &str = "9.0.0";

/// A HELP reply: `<CMD> <subcommand> [<arg> ...]. Subcommands are:` then
/// the lines, then the HELP line itself, as Valkey formats them.
pub fn help(cmd: &str, lines: &[&str]) -> Frame {
    let mut out = vec![Frame::Simple(format!(
        "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ))];
    out.extend(lines.iter().map(|l| Frame::Simple(l.to_string())));
    out.push(Frame::Simple("HELP".into()));
    out.push(Frame::Simple("    Print this help.".into()));
    Frame::Array(out)
}

/// Client names cannot contain spaces, newlines or special characters.
pub fn valid_client_name(name: &[u8]) -> Result<(), Frame> {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(err(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

/// The encoding thresholds the configuration sets.
pub fn encoding_limits(c: &crate::config::Config) -> EncodingLimits {
    let u = |n: &str| c.get_i64(n).max(0) as usize;
    EncodingLimits {
        hash_max_listpack_entries: u("hash-max-listpack-entries"),
        hash_max_listpack_value: u("hash-max-listpack-value"),
        set_max_intset_entries: u("set-max-intset-entries"),
        set_max_listpack_entries: u("set-max-listpack-entries"),
        set_max_listpack_value: u("set-max-listpack-value"),
        zset_max_listpack_entries: u("zset-max-listpack-entries"),
        zset_max_listpack_value: u("zset-max-listpack-value"),
        list_max_listpack_size: c.get_i64("list-max-listpack-size"),
        proto_max_bulk_len: c.get_i64("proto-max-bulk-len").max(0) as u64,
        maxmemory_lfu: c.get("maxmemory-policy").unwrap_or("").ends_with("-lfu"),
    }
}

fn config_get(_s: &mut Session, server: &Server, args: &[Bytes]) -> Frame {
    let cfg = server.config.read();
    let mut seen = std::collections::BTreeMap::new();
    for pattern in &args[2..] {
        for (k, v) in cfg.matching(pattern) {
            seen.insert(k, v);
        }
    }
    Frame::Map(
        seen.into_iter()
            .map(|(k, v)| (Frame::bulk(k), Frame::bulk(v)))
            .collect(),
    )
}

fn config_set(_s: &mut Session, server: &Server, args: &[Bytes]) -> Frame {
    if args.len() < 4 || !(args.len() - 2).is_multiple_of(2) {
        return errors::wrong_arity("config|set");
    }
    let mut cfg = server.config.write();
    // All or nothing: validate on a copy, then swap in.
    let mut next = cfg.clone();
    let failed = |name: &str, why: &str| {
        Frame::Error(errors::sanitize(format!(
            "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
        )))
    };
    let mut seen = std::collections::HashSet::new();
    for pair in args[2..].chunks(2) {
        let name = String::from_utf8_lossy(&pair[0]).into_owned();
        let value = String::from_utf8_lossy(&pair[1]).into_owned();
        // Unknown names are reported before any value is looked at.
        if next.get(&name).is_none() {
            return Frame::Error(errors::sanitize(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            )));
        }
        if !seen.insert(name.to_ascii_lowercase()) {
            return failed(&name, "duplicate parameter");
        }
        if let Err(e) = next.set_value(&name, &value, false) {
            return failed(&name, &e.to_string());
        }
    }
    *cfg = next;
    server.hot.update(&cfg);
    let limits = encoding_limits(&cfg);
    drop(cfg);
    server.engine.with_keyspace(|ks| ks.limits = limits);
    Frame::ok()
}

fn config_resetstat(_s: &mut Session, server: &Server, _args: &[Bytes]) -> Frame {
    server.stats.reset();
    server.slowlog.reset();
    server.pubsub.overflowed.store(0, Ordering::Relaxed);
    server.engine.with_keyspace(|ks| {
        ks.stats.hits = 0;
        ks.stats.misses = 0;
        ks.stats.expired_keys = 0;
    });
    Frame::ok()
}

fn config_rewrite(_s: &mut Session, server: &Server, _args: &[Bytes]) -> Frame {
    match server.config.read().rewrite() {
        Ok(()) => Frame::ok(),
        Err(e) => Frame::Error(format!("ERR {e}")),
    }
}

fn config_help(_s: &mut Session, _server: &Server, _args: &[Bytes]) -> Frame {
    help(
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    )
}

fn time(_s: &mut Session, _server: &Server, _args: &[Bytes]) -> Frame {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Frame::Array(vec![
        Frame::bulk(now.as_secs().to_string()),
        Frame::bulk(now.subsec_micros().to_string()),
    ])
}

fn lastsave(_s: &mut Session, server: &Server, _args: &[Bytes]) -> Frame {
    // Every acknowledged write is durable in the log when it is applied;
    // the last "save" is the start of the process until snapshots exist.
    let started_unix = unix_ms() / 1000 - server.started.elapsed().as_secs() as i64;
    Frame::Integer(started_unix)
}

fn slowlog_get(_s: &mut Session, server: &Server, args: &[Bytes]) -> Frame {
    let n = match args.get(2) {
        None => 10,
        Some(a) => match crate::util::parse_i64(a) {
            Some(-1) => usize::MAX,
            Some(n) if n >= 0 => n as usize,
            _ => return err("ERR count should be greater than or equal to -1"),
        },
    };
    Frame::Array(
        server
            .slowlog
            .get(n)
            .into_iter()
            .map(|e| {
                Frame::Array(vec![
                    Frame::int(e.id),
                    Frame::Integer(e.time),
                    Frame::int(e.micros),
                    Frame::bulks(e.args),
                    Frame::bulk(e.addr),
                    Frame::bulk(e.name),
                ])
            })
            .collect(),
    )
}

fn slowlog_len(_s: &mut Session, server: &Server, _args: &[Bytes]) -> Frame {
    Frame::int(server.slowlog.len())
}

fn slowlog_reset(_s: &mut Session, server: &Server, _args: &[Bytes]) -> Frame {
    server.slowlog.reset();
    Frame::ok()
}

fn slowlog_help(_s: &mut Session, _server: &Server, _args: &[Bytes]) -> Frame {
    help(
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    )
}

/// Connected clients, for INFO.
pub fn connected_clients(server: &Server) -> usize {
    server.clients.len()
}

/// Blocked clients, for INFO.
pub fn blocked_clients(server: &Server) -> usize {
    server
        .clients
        .all()
        .iter()
        .filter(|c| c.blocked.load(Ordering::Relaxed))
        .count()
}

const ADM: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

const CONFIG_SUBS: &[CommandSpec] = &[
    cmd("get", -3, ADM, (0, 0, 0), Handler::Session(config_get)).doc(
        "server",
        "Returns the effective values of configuration parameters.",
        "2.0.0",
    ),
    cmd("set", -4, ADM, (0, 0, 0), Handler::Session(config_set)).doc(
        "server",
        "Sets configuration parameters in-flight.",
        "2.0.0",
    ),
    cmd(
        "resetstat",
        2,
        ADM,
        (0, 0, 0),
        Handler::Session(config_resetstat),
    )
    .doc("server", "Resets the server's statistics.", "2.0.0"),
    cmd(
        "rewrite",
        2,
        ADM,
        (0, 0, 0),
        Handler::Session(config_rewrite),
    )
    .doc(
        "server",
        "Persists the effective configuration to file.",
        "2.8.0",
    ),
    cmd(
        "help",
        2,
        LOADING | STALE,
        (0, 0, 0),
        Handler::Session(config_help),
    )
    .doc(
        "server",
        "Returns helpful text about the different subcommands.",
        "5.0.0",
    ),
];

const SLOWLOG_SUBS: &[CommandSpec] = &[
    cmd(
        "get",
        -2,
        ADMIN | LOADING | STALE,
        (0, 0, 0),
        Handler::Session(slowlog_get),
    )
    .doc("server", "Returns the slow log's entries.", "2.2.12"),
    cmd(
        "len",
        2,
        ADMIN | LOADING | STALE,
        (0, 0, 0),
        Handler::Session(slowlog_len),
    )
    .doc(
        "server",
        "Returns the number of entries in the slow log.",
        "2.2.12",
    ),
    cmd(
        "reset",
        2,
        ADMIN | LOADING | STALE,
        (0, 0, 0),
        Handler::Session(slowlog_reset),
    )
    .doc("server", "Clears all entries from the slow log.", "2.2.12"),
    cmd(
        "help",
        2,
        LOADING | STALE,
        (0, 0, 0),
        Handler::Session(slowlog_help),
    )
    .doc(
        "server",
        "Show helpful text about the different subcommands",
        "6.2.0",
    ),
];

/// Server administration commands.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("config", -2, 0, (0, 0, 0), Handler::Session(config_help))
        .doc("server", "A container for server configuration commands.", "2.0.0")
        .subs(CONFIG_SUBS),
    cmd("slowlog", -2, 0, (0, 0, 0), Handler::Session(slowlog_help))
        .doc("server", "A container for slow log commands.", "2.2.12")
        .subs(SLOWLOG_SUBS),
    cmd("info", -1, LOADING | STALE, (0, 0, 0), Handler::Session(super::info::info))
        .doc("server", "Returns information and statistics about the server.", "1.0.0")
        .acl(&["dangerous"]),
    cmd("time", 1, LOADING | STALE | FAST, (0, 0, 0), Handler::Session(time))
        .doc("server", "Returns the server time.", "2.6.0"),
    cmd("lastsave", 1, LOADING | STALE | FAST, (0, 0, 0), Handler::Session(lastsave))
        .doc("server", "Returns the Unix timestamp of the last successful save to disk.", "1.0.0"),
    cmd("debug", -2, ADM, (0, 0, 0), Handler::Connection)
        .doc("server", "A container for debugging commands.", "1.0.0"),
    cmd("shutdown", -1, ADM | NO_MULTI | ALLOW_BUSY, (0, 0, 0), Handler::Connection)
        .doc("server", "Synchronously saves the database(s) to disk and shuts down the server.", "1.0.0"),
    cmd("wait", 3, 0, (0, 0, 0), Handler::Connection)
        .doc("generic", "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.", "3.0.0"),
];
