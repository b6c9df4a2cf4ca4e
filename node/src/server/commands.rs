//! Connection commands: PING, ECHO, SELECT, QUIT, RESET, HELLO, AUTH and
//! the CLIENT family.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::admin::{help, valid_client_name};
use super::session::ReplyMode;
use super::{Server, Session};
use crate::command::{cmd, flags::*, CommandSpec, Ctx, Handler};
use crate::errors::{self, err};
use crate::resp::Frame;
use crate::util::parse_i64;

fn echo(_ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    Frame::Bulk(args[1].clone())
}

/// SELECT is a keyspace command so that it also works inside EXEC, where
/// it moves the database of the commands after it.
fn select(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let Some(db) = parse_i64(&args[1]) else {
        return err(errors::NOT_INTEGER);
    };
    if db < 0 || db as usize >= ctx.ks.dbs.len() {
        return err(errors::DB_OUT_OF_RANGE);
    }
    ctx.db = db as usize;
    Frame::ok()
}

fn client_id(s: &mut Session, _server: &Server, _args: &[Bytes]) -> Frame {
    Frame::int(s.id())
}

fn client_setname(s: &mut Session, _server: &Server, args: &[Bytes]) -> Frame {
    if let Err(e) = valid_client_name(&args[2]) {
        return e;
    }
    *s.handle.name.lock() = String::from_utf8_lossy(&args[2]).into_owned();
    Frame::ok()
}

fn client_getname(s: &mut Session, _server: &Server, _args: &[Bytes]) -> Frame {
    let name = s.handle.name.lock().clone();
    if name.is_empty() {
        Frame::Null
    } else {
        Frame::bulk(name)
    }
}

fn client_list(_s: &mut Session, server: &Server, args: &[Bytes]) -> Frame {
    let mut ids: Option<Vec<u64>> = None;
    let mut i = 2;
    while i < args.len() {
        let opt = args[i].to_ascii_lowercase();
        if opt == b"type" && i + 1 < args.len() {
            let t = args[i + 1].to_ascii_lowercase();
            if !matches!(
                t.as_slice(),
                b"normal" | b"master" | b"replica" | b"slave" | b"pubsub"
            ) {
                return Frame::Error(format!(
                    "ERR Unknown client type '{}'",
                    String::from_utf8_lossy(&args[i + 1])
                ));
            }
            i += 2;
        } else if opt == b"id" && i + 1 < args.len() {
            let mut v = Vec::new();
            for a in &args[i + 1..] {
                match parse_i64(a) {
                    Some(n) if n > 0 => v.push(n as u64),
                    _ => return err("ERR Invalid client ID"),
                }
            }
            ids = Some(v);
            i = args.len();
        } else {
            return err(errors::SYNTAX);
        }
    }
    let mut out = String::new();
    for c in server.clients.all() {
        if ids.as_ref().is_some_and(|ids| !ids.contains(&c.id)) {
            continue;
        }
        out.push_str(&c.info_line());
        out.push('\n');
    }
    Frame::Verbatim(out)
}

fn client_info(s: &mut Session, _server: &Server, _args: &[Bytes]) -> Frame {
    Frame::Verbatim(format!("{}\n", s.handle.info_line()))
}

fn client_kill(s: &mut Session, server: &Server, args: &[Bytes]) -> Frame {
    // Old form: CLIENT KILL addr:port.
    if args.len() == 3 {
        let addr = String::from_utf8_lossy(&args[2]);
        return match server
            .clients
            .all()
            .into_iter()
            .find(|c| c.addr.to_string() == addr)
        {
            Some(c) => {
                c.kill();
                Frame::ok()
            }
            None => err("ERR No such client"),
        };
    }
    if !(args.len() - 2).is_multiple_of(2) {
        return err(errors::SYNTAX);
    }
    let mut id = None;
    let mut addr = None;
    let mut laddr = None;
    let mut skipme = true;
    for pair in args[2..].chunks(2) {
        let v = String::from_utf8_lossy(&pair[1]).into_owned();
        match pair[0].to_ascii_lowercase().as_slice() {
            b"id" => match v.parse::<u64>() {
                Ok(n) if n > 0 => id = Some(n),
                _ => return err("ERR client-id should be greater than 0"),
            },
            b"addr" => addr = Some(v),
            b"laddr" => laddr = Some(v),
            b"skipme" => match v.as_str() {
                "yes" => skipme = true,
                "no" => skipme = false,
                _ => return err(errors::SYNTAX),
            },
            b"type" | b"user" | b"maxage" => {}
            _ => return err(errors::SYNTAX),
        }
    }
    let mut killed = 0;
    for c in server.clients.all() {
        if id.is_some_and(|i| i != c.id)
            || addr.as_ref().is_some_and(|a| *a != c.addr.to_string())
            || laddr.as_ref().is_some_and(|a| *a != c.laddr.to_string())
            || (skipme && c.id == s.id())
        {
            continue;
        }
        c.kill();
        killed += 1;
    }
    Frame::int(killed)
}

fn on_off(arg: &[u8]) -> Option<bool> {
    match arg.to_ascii_lowercase().as_slice() {
        b"on" => Some(true),
        b"off" => Some(false),
        _ => None,
    }
}

fn client_no_evict(s: &mut Session, _server: &Server, args: &[Bytes]) -> Frame {
    match on_off(&args[2]) {
        Some(v) => {
            s.handle.no_evict.store(v, Ordering::Relaxed);
            Frame::ok()
        }
        None => err(errors::SYNTAX),
    }
}

fn client_no_touch(s: &mut Session, _server: &Server, args: &[Bytes]) -> Frame {
    match on_off(&args[2]) {
        Some(v) => {
            s.handle.no_touch.store(v, Ordering::Relaxed);
            Frame::ok()
        }
        None => err(errors::SYNTAX),
    }
}

fn client_setinfo(s: &mut Session, _server: &Server, args: &[Bytes]) -> Frame {
    let value = String::from_utf8_lossy(&args[3]).into_owned();
    if value.contains(|c: char| c == ' ' || c == '\n' || !(' '..='~').contains(&c)) {
        return Frame::Error(format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            String::from_utf8_lossy(&args[2]).to_ascii_lowercase()
        ));
    }
    let mut lib = s.handle.lib.lock();
    match args[2].to_ascii_lowercase().as_slice() {
        b"lib-name" => lib.0 = value,
        b"lib-ver" => lib.1 = value,
        _ => {
            return Frame::Error(format!(
                "ERR Unrecognized option '{}'",
                String::from_utf8_lossy(&args[2])
            ))
        }
    }
    Frame::ok()
}

fn client_reply(s: &mut Session, _server: &Server, args: &[Bytes]) -> Frame {
    match args[2].to_ascii_lowercase().as_slice() {
        b"on" => {
            s.reply_mode = ReplyMode::On;
            Frame::ok()
        }
        // The OK of OFF/SKIP itself is not sent.
        b"off" => {
            s.reply_mode = ReplyMode::Off;
            Frame::ok()
        }
        b"skip" => {
            s.reply_mode = ReplyMode::Skip;
            // This reply is swallowed; the next one is skipped too.
            Frame::ok()
        }
        _ => err(errors::SYNTAX),
    }
}

fn client_help(_s: &mut Session, _server: &Server, _args: &[Bytes]) -> Frame {
    help(
        "CLIENT",
        &[
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are: ID, ADDR, LADDR, SKIPME.",
            "LIST [options ...]",
            "    Return information about client connections. Options: TYPE, ID.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
        ],
    )
}

const CONN: u32 = NOSCRIPT | LOADING | STALE;

const CLIENT_SUBS: &[CommandSpec] = &[
    cmd("id", 2, CONN, (0, 0, 0), Handler::Session(client_id)).doc(
        "connection",
        "Returns the unique client ID of the connection.",
        "5.0.0",
    ),
    cmd(
        "setname",
        3,
        CONN,
        (0, 0, 0),
        Handler::Session(client_setname),
    )
    .doc("connection", "Sets the connection name.", "2.6.9"),
    cmd(
        "getname",
        2,
        CONN,
        (0, 0, 0),
        Handler::Session(client_getname),
    )
    .doc("connection", "Returns the name of the connection.", "2.6.9"),
    cmd(
        "list",
        -2,
        ADMIN | CONN,
        (0, 0, 0),
        Handler::Session(client_list),
    )
    .doc("connection", "Lists open connections.", "2.4.0"),
    cmd("info", 2, CONN, (0, 0, 0), Handler::Session(client_info)).doc(
        "connection",
        "Returns information about the connection.",
        "6.2.0",
    ),
    cmd(
        "kill",
        -3,
        ADMIN | CONN,
        (0, 0, 0),
        Handler::Session(client_kill),
    )
    .doc("connection", "Terminates open connections.", "2.4.0"),
    cmd(
        "no-evict",
        3,
        ADMIN | CONN,
        (0, 0, 0),
        Handler::Session(client_no_evict),
    )
    .doc(
        "connection",
        "Sets the client eviction mode of the connection.",
        "7.0.0",
    ),
    cmd(
        "no-touch",
        3,
        CONN,
        (0, 0, 0),
        Handler::Session(client_no_touch),
    )
    .doc(
        "connection",
        "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
        "7.2.0",
    ),
    cmd(
        "setinfo",
        4,
        CONN,
        (0, 0, 0),
        Handler::Session(client_setinfo),
    )
    .doc(
        "connection",
        "Sets information specific to the client or connection.",
        "7.2.0",
    ),
    cmd("reply", 3, CONN, (0, 0, 0), Handler::Session(client_reply)).doc(
        "connection",
        "Instructs the server whether to reply to commands.",
        "3.2.0",
    ),
    cmd(
        "help",
        2,
        LOADING | STALE,
        (0, 0, 0),
        Handler::Session(client_help),
    )
    .doc(
        "connection",
        "Returns helpful text about the different subcommands.",
        "5.0.0",
    ),
];

/// Connection commands.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("ping", -1, FAST, (0, 0, 0), Handler::Connection).doc(
        "connection",
        "Returns the server's liveliness response.",
        "1.0.0",
    ),
    cmd("echo", 2, FAST, (0, 0, 0), Handler::Data(echo)).doc(
        "connection",
        "Returns the given string.",
        "1.0.0",
    ),
    cmd(
        "select",
        2,
        LOADING | STALE | FAST,
        (0, 0, 0),
        Handler::Data(select),
    )
    .doc("connection", "Changes the selected database.", "1.0.0"),
    cmd(
        "quit",
        -1,
        ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        (0, 0, 0),
        Handler::Connection,
    )
    .doc("connection", "Closes the connection.", "1.0.0"),
    cmd(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        (0, 0, 0),
        Handler::Connection,
    )
    .doc("connection", "Resets the connection.", "6.2.0"),
    cmd(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        (0, 0, 0),
        Handler::Connection,
    )
    .doc("connection", "Handshakes with the server.", "6.0.0"),
    cmd(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        (0, 0, 0),
        Handler::Connection,
    )
    .doc("connection", "Authenticates the connection.", "1.0.0"),
    cmd("client", -2, 0, (0, 0, 0), Handler::Session(client_help))
        .doc(
            "connection",
            "A container for client connection commands.",
            "2.4.0",
        )
        .subs(CLIENT_SUBS),
];
