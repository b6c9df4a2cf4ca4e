//! COMMAND: the command table as clients see it.
//!
//! Cluster clients (redis-py, Lettuce, go-redis, ...) read `COMMAND` at
//! start to learn arity, flags and key positions, so the entry shape is
//! Valkey's exactly: a 10-element array of name, arity, flags (a set of
//! status strings), first/last/step key positions, ACL categories (a set),
//! tips (a set), key specifications (a set) and subcommands (an array of
//! entries, or an empty set). Everything here is derived from the
//! [`CommandSpec`] table, so COMMAND can never disagree with dispatch.
//!
//! slotraft keeps no per-key access flags, so key specifications are
//! reported empty (Valkey allows that, as for module commands without
//! specs) and COMMAND GETKEYSANDFLAGS is not offered.

use bytes::Bytes;

use super::{cmd, flags, flags::*, table, CommandSpec, Handler};
use crate::errors::{self, err};
use crate::resp::Frame;
use crate::server::{Server, Session};
use crate::util::glob_match;

/// Flag names in the order Valkey prints them; `may_replicate` is hidden
/// on purpose, as in Valkey, and `movablekeys` comes from the key finder.
const FLAG_ORDER: &[(u32, &str)] = &[
    (WRITE, "write"),
    (READONLY, "readonly"),
    (DENYOOM, "denyoom"),
    (ADMIN, "admin"),
    (PUBSUB, "pubsub"),
    (NOSCRIPT, "noscript"),
    (BLOCKING, "blocking"),
    (LOADING, "loading"),
    (STALE, "stale"),
    (SKIP_MONITOR, "skip_monitor"),
    (SKIP_SLOWLOG, "skip_slowlog"),
    (FAST, "fast"),
    (NO_AUTH, "no_auth"),
    (NO_MULTI, "no_multi"),
];

/// The flag names COMMAND reports for `spec`.
pub fn flag_names(spec: &CommandSpec) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = FLAG_ORDER
        .iter()
        .filter(|(bit, _)| spec.flags & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    if spec.movable_keys.is_some() {
        out.push("movablekeys");
    }
    if spec.flags & flags::ALLOW_BUSY != 0 {
        out.push("allow_busy");
    }
    out
}

/// True when the command takes key arguments (Valkey's `doesCommandHaveKeys`).
fn has_keys(spec: &CommandSpec) -> bool {
    spec.first_key > 0 || spec.movable_keys.is_some()
}

/// One COMMAND INFO entry; `full_name` is `config|get` for subcommands.
pub fn entry(spec: &'static CommandSpec, full_name: &str) -> Frame {
    let subs = if spec.subcommands.is_empty() {
        Frame::Set(Vec::new())
    } else {
        Frame::Array(
            spec.subcommands
                .iter()
                .map(|s| entry(s, &format!("{full_name}|{}", s.name)))
                .collect(),
        )
    };
    Frame::Array(vec![
        Frame::bulk(full_name.to_string()),
        Frame::Integer(spec.arity as i64),
        Frame::Set(
            flag_names(spec)
                .into_iter()
                .map(|f| Frame::Simple(f.into()))
                .collect(),
        ),
        Frame::Integer(spec.first_key as i64),
        Frame::Integer(spec.last_key as i64),
        Frame::Integer(spec.key_step as i64),
        Frame::Set(
            spec.acl_categories()
                .into_iter()
                .map(Frame::Simple)
                .collect(),
        ),
        Frame::Set(Vec::new()),
        Frame::Set(Vec::new()),
        subs,
    ])
}

/// One COMMAND DOCS value: summary, since, group and the subcommands' docs.
fn docs(spec: &'static CommandSpec, full_name: &str) -> Frame {
    let mut map = Vec::new();
    if !spec.summary.is_empty() {
        map.push((Frame::bulk("summary"), Frame::bulk(spec.summary)));
    }
    map.push((Frame::bulk("since"), Frame::bulk(spec.since)));
    map.push((Frame::bulk("group"), Frame::bulk(spec.group)));
    if !spec.subcommands.is_empty() {
        let subs = spec
            .subcommands
            .iter()
            .map(|s| {
                let name = format!("{full_name}|{}", s.name);
                (Frame::bulk(name.clone()), docs(s, &name))
            })
            .collect();
        map.push((Frame::bulk("subcommands"), Frame::Map(subs)));
    }
    Frame::Map(map)
}

/// Finds a command by `name` or `container|sub`, as Valkey's
/// `lookupCommandBySds` does.
fn lookup(name: &[u8]) -> Option<(&'static CommandSpec, String)> {
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let mut parts = name.splitn(2, '|');
    let base = table().get(parts.next()?.as_bytes())?;
    match parts.next() {
        None => Some((base.spec, base.full_name.to_string())),
        Some(sub) if !sub.contains('|') => {
            let s = table().sub(base.spec.name, sub.as_bytes())?;
            Some((s.spec, s.full_name.to_string()))
        }
        Some(_) => None,
    }
}

fn command_all(_s: &mut Session, _server: &Server, _args: &[Bytes]) -> Frame {
    Frame::Array(table().top_level().map(|s| entry(s, s.name)).collect())
}

fn command_count(_s: &mut Session, _server: &Server, _args: &[Bytes]) -> Frame {
    Frame::int(table().len())
}

fn command_info(s: &mut Session, server: &Server, args: &[Bytes]) -> Frame {
    if args.len() == 2 {
        return command_all(s, server, args);
    }
    Frame::Array(
        args[2..]
            .iter()
            .map(|name| match lookup(name) {
                Some((spec, full)) => entry(spec, &full),
                None => Frame::Null,
            })
            .collect(),
    )
}

fn command_docs(_s: &mut Session, _server: &Server, args: &[Bytes]) -> Frame {
    if args.len() == 2 {
        return Frame::Map(
            table()
                .top_level()
                .map(|s| (Frame::bulk(s.name), docs(s, s.name)))
                .collect(),
        );
    }
    // Unknown names are left out, as in Valkey.
    Frame::Map(
        args[2..]
            .iter()
            .filter_map(|name| lookup(name))
            .map(|(spec, full)| (Frame::bulk(full.clone()), docs(spec, &full)))
            .collect(),
    )
}

fn command_getkeys(_s: &mut Session, _server: &Server, args: &[Bytes]) -> Frame {
    let argv = &args[2..];
    // A container's subcommand when one is named, else the command itself.
    let spec = match table().get(&argv[0]) {
        None => None,
        Some(r) if r.spec.subcommands.is_empty() || argv.len() == 1 => Some(r.spec),
        Some(r) => table().sub(r.spec.name, &argv[1]).map(|s| s.spec),
    };
    let Some(spec) = spec else {
        return err("ERR Invalid command specified");
    };
    if !has_keys(spec) {
        return err("ERR The command has no key arguments");
    }
    if !spec.arity_ok(argv.len()) {
        return err("ERR Invalid number of arguments specified for command");
    }
    match spec.key_positions(argv) {
        Some(pos) if !pos.is_empty() && pos.iter().all(|&i| i < argv.len()) => Frame::Array(
            pos.into_iter()
                .map(|i| Frame::Bulk(argv[i].clone()))
                .collect(),
        ),
        _ => err("ERR Invalid arguments specified for command"),
    }
}

fn command_list(_s: &mut Session, _server: &Server, args: &[Bytes]) -> Frame {
    enum Filter {
        None,
        Module,
        Category(String),
        Pattern(Bytes),
    }
    let filter = match args.len() {
        2 => Filter::None,
        5 if args[2].eq_ignore_ascii_case(b"filterby") => {
            let value = &args[4];
            match args[3].to_ascii_lowercase().as_slice() {
                b"module" => Filter::Module,
                b"aclcat" => Filter::Category(format!(
                    "@{}",
                    String::from_utf8_lossy(value).to_ascii_lowercase()
                )),
                b"pattern" => Filter::Pattern(value.clone()),
                _ => return err(errors::SYNTAX),
            }
        }
        _ => return err(errors::SYNTAX),
    };
    let names = table().all.iter().filter(|r| match &filter {
        Filter::None => true,
        // slotraft loads no modules.
        Filter::Module => false,
        Filter::Category(c) => r.spec.acl_categories().contains(c),
        Filter::Pattern(p) => glob_match(p, r.full_name.as_bytes(), true),
    });
    Frame::Array(names.map(|r| Frame::bulk(r.full_name)).collect())
}

fn command_help(_s: &mut Session, _server: &Server, _args: &[Bytes]) -> Frame {
    crate::server::admin::help(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all commands.",
            "COUNT",
            "    Return the total number of commands in this server.",
            "LIST",
            "    Return a list of all commands in this server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full command.",
        ],
    )
}

const CMD: u32 = LOADING | STALE;

const COMMAND_SUBS: &[CommandSpec] = &[
    cmd("count", 2, CMD, (0, 0, 0), Handler::Session(command_count))
        .doc("server", "Returns a count of commands.", "2.8.13")
        .acl(&["connection"]),
    cmd("docs", -2, CMD, (0, 0, 0), Handler::Session(command_docs))
        .doc(
            "server",
            "Returns documentary information about one, multiple or all commands.",
            "7.0.0",
        )
        .acl(&["connection"]),
    cmd(
        "getkeys",
        -3,
        CMD,
        (0, 0, 0),
        Handler::Session(command_getkeys),
    )
    .doc(
        "server",
        "Extracts the key names from an arbitrary command.",
        "2.8.13",
    )
    .acl(&["connection"]),
    cmd("help", 2, CMD, (0, 0, 0), Handler::Session(command_help))
        .doc(
            "server",
            "Returns helpful text about the different subcommands.",
            "5.0.0",
        )
        .acl(&["connection"]),
    cmd("info", -2, CMD, (0, 0, 0), Handler::Session(command_info))
        .doc(
            "server",
            "Returns information about one, multiple or all commands.",
            "2.8.13",
        )
        .acl(&["connection"]),
    cmd("list", -2, CMD, (0, 0, 0), Handler::Session(command_list))
        .doc("server", "Returns a list of command names.", "7.0.0")
        .acl(&["connection"]),
];

/// COMMAND and its subcommands.
pub const COMMANDS: &[CommandSpec] =
    &[
        cmd("command", -1, CMD, (0, 0, 0), Handler::Session(command_all))
            .doc(
                "server",
                "Returns detailed information about all commands.",
                "2.8.13",
            )
            .acl(&["connection"])
            .subs(COMMAND_SUBS),
    ];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_entry_matches_valkey() {
        let get = table().get(b"get").unwrap();
        let mut out = bytes::BytesMut::new();
        entry(get.spec, "get").encode(3, &mut out);
        assert_eq!(
            &out[..],
            &b"*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~0\r\n~0\r\n"[..]
        );
    }

    #[test]
    fn movable_keys_and_hidden_flags() {
        fn keys(_: &[Bytes]) -> Option<Vec<usize>> {
            Some(vec![])
        }
        const SPEC: CommandSpec = cmd(
            "x",
            -2,
            WRITE | MAY_REPLICATE | NO_MULTI | ALLOW_BUSY,
            (0, 0, 0),
            Handler::Connection,
        )
        .movable(keys);
        assert_eq!(
            flag_names(&SPEC),
            ["write", "no_multi", "movablekeys", "allow_busy"]
        );
        assert!(has_keys(&SPEC));
    }

    #[test]
    fn categories_in_valkey_order() {
        let cmd = table().get(b"command").unwrap();
        assert_eq!(cmd.spec.acl_categories(), ["@slow", "@connection"]);
    }

    #[test]
    fn lookup_takes_full_names() {
        assert_eq!(lookup(b"CONFIG|GET").unwrap().1, "config|get");
        assert!(lookup(b"config|nope").is_none());
        assert!(lookup(b"get|x").is_none());
    }
}
