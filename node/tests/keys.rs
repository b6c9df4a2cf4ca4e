//! Key and database commands over real TCP: exact replies and errors.

mod common;

use std::collections::HashSet;

use common::{error, value, Node};
use redis::Value;

fn b(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

fn q(c: &mut redis::Connection, args: &[&str]) -> Value {
    value(c, args)
}

/// Waits until the server's clock has moved `ms` milliseconds, so a key
/// set with `PX 1` is logically expired, without touching that key (a
/// lookup would delete it and hide what the test checks).
fn wait_server_ms(c: &mut redis::Connection, ms: u64) {
    let now = |c: &mut redis::Connection| -> u64 {
        let (s, us): (u64, u64) = redis::cmd("TIME").query(c).unwrap();
        s * 1_000_000 + us
    };
    let start = now(c);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while now(c) < start + ms * 1000 {
        assert!(std::time::Instant::now() < deadline, "server clock stuck");
    }
}

fn sorted(v: Value) -> Vec<String> {
    let Value::Array(items) = v else {
        panic!("not an array: {v:?}")
    };
    let mut out: Vec<String> = items
        .into_iter()
        .map(|i| match i {
            Value::BulkString(s) => String::from_utf8(s).unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    out.sort();
    out
}

#[test]
fn del_exists_type_touch() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(
        q(&mut c, &["MSET", "a", "1", "b", "2", "c", "3"]),
        Value::Okay
    );
    assert_eq!(q(&mut c, &["EXISTS", "a", "a", "nope", "b"]), Value::Int(3));
    assert_eq!(q(&mut c, &["DEL", "a", "a", "nope"]), Value::Int(1));
    assert_eq!(q(&mut c, &["UNLINK", "b", "c", "x"]), Value::Int(2));
    assert_eq!(q(&mut c, &["EXISTS", "a", "b", "c"]), Value::Int(0));
    assert_eq!(
        q(&mut c, &["TYPE", "a"]),
        Value::SimpleString("none".into())
    );
    assert_eq!(q(&mut c, &["SET", "s", "v"]), Value::Okay);
    assert_eq!(
        q(&mut c, &["TYPE", "s"]),
        Value::SimpleString("string".into())
    );
    assert_eq!(q(&mut c, &["TOUCH", "s", "s", "nope"]), Value::Int(2));
    for name in ["del", "unlink", "exists", "touch"] {
        assert_eq!(
            error(&mut c, &[name]),
            format!("ERR wrong number of arguments for '{name}' command")
        );
    }
    assert_eq!(
        error(&mut c, &["TYPE"]),
        "ERR wrong number of arguments for 'type' command"
    );
    let mut raw = node.raw();
    raw.roundtrip(b"TYPE s\r\nTYPE none\r\n", b"+string\r\n+none\r\n");
}

#[test]
fn rename_and_renamenx() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(error(&mut c, &["RENAME", "nope", "x"]), "ERR no such key");
    assert_eq!(error(&mut c, &["RENAMENX", "nope", "x"]), "ERR no such key");
    assert_eq!(
        error(&mut c, &["RENAME", "nope", "nope"]),
        "ERR no such key"
    );
    assert_eq!(q(&mut c, &["SET", "a", "1", "EX", "100"]), Value::Okay);
    assert_eq!(q(&mut c, &["RENAME", "a", "a"]), Value::Okay);
    assert_eq!(q(&mut c, &["RENAMENX", "a", "a"]), Value::Int(0));
    assert_eq!(q(&mut c, &["RENAME", "a", "b"]), Value::Okay);
    assert_eq!(q(&mut c, &["EXISTS", "a"]), Value::Int(0));
    assert_eq!(q(&mut c, &["GET", "b"]), b("1"));
    assert_eq!(q(&mut c, &["TTL", "b"]), Value::Int(100));
    assert_eq!(q(&mut c, &["SET", "c", "3"]), Value::Okay);
    assert_eq!(q(&mut c, &["RENAMENX", "b", "c"]), Value::Int(0));
    assert_eq!(q(&mut c, &["RENAMENX", "b", "d"]), Value::Int(1));
    assert_eq!(q(&mut c, &["TTL", "d"]), Value::Int(100));
    // RENAME over an existing key replaces it and its TTL.
    assert_eq!(q(&mut c, &["SET", "e", "5", "EX", "50"]), Value::Okay);
    assert_eq!(q(&mut c, &["RENAME", "c", "e"]), Value::Okay);
    assert_eq!(q(&mut c, &["GET", "e"]), b("3"));
    assert_eq!(q(&mut c, &["TTL", "e"]), Value::Int(-1));
    assert_eq!(
        error(&mut c, &["RENAME", "e"]),
        "ERR wrong number of arguments for 'rename' command"
    );
}

#[test]
fn copy_and_move() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["SET", "a", "hello", "EX", "100"]), Value::Okay);
    assert_eq!(q(&mut c, &["COPY", "a", "b"]), Value::Int(1));
    assert_eq!(q(&mut c, &["GET", "b"]), b("hello"));
    assert_eq!(q(&mut c, &["TTL", "b"]), Value::Int(100));
    assert_eq!(q(&mut c, &["COPY", "a", "b"]), Value::Int(0));
    assert_eq!(q(&mut c, &["SET", "a", "new"]), Value::Okay);
    assert_eq!(q(&mut c, &["COPY", "a", "b", "REPLACE"]), Value::Int(1));
    assert_eq!(q(&mut c, &["GET", "b"]), b("new"));
    assert_eq!(q(&mut c, &["TTL", "b"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["COPY", "nope", "b"]), Value::Int(0));
    assert_eq!(q(&mut c, &["COPY", "a", "a", "DB", "3"]), Value::Int(1));
    assert_eq!(q(&mut c, &["SELECT", "3"]), Value::Okay);
    assert_eq!(q(&mut c, &["GET", "a"]), b("new"));
    assert_eq!(q(&mut c, &["SELECT", "0"]), Value::Okay);
    assert_eq!(
        error(&mut c, &["COPY", "a", "a"]),
        "ERR source and destination objects are the same"
    );
    assert_eq!(
        error(&mut c, &["COPY", "a", "a", "DB", "0"]),
        "ERR source and destination objects are the same"
    );
    assert_eq!(
        error(&mut c, &["COPY", "a", "b", "DB", "16"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        error(&mut c, &["COPY", "a", "b", "DB", "-1"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        error(&mut c, &["COPY", "a", "b", "DB", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(error(&mut c, &["COPY", "a", "b", "DB"]), "ERR syntax error");
    assert_eq!(
        error(&mut c, &["COPY", "a", "b", "FOO"]),
        "ERR syntax error"
    );
    // The copy is independent of the source.
    assert_eq!(q(&mut c, &["APPEND", "b", "!"]), Value::Int(4));
    assert_eq!(q(&mut c, &["GET", "a"]), b("new"));
    // MOVE
    assert_eq!(q(&mut c, &["SET", "m", "v", "EX", "100"]), Value::Okay);
    assert_eq!(q(&mut c, &["MOVE", "m", "1"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXISTS", "m"]), Value::Int(0));
    assert_eq!(q(&mut c, &["MOVE", "m", "1"]), Value::Int(0));
    assert_eq!(q(&mut c, &["SET", "m", "other"]), Value::Okay);
    assert_eq!(q(&mut c, &["MOVE", "m", "1"]), Value::Int(0));
    assert_eq!(q(&mut c, &["SELECT", "1"]), Value::Okay);
    assert_eq!(q(&mut c, &["GET", "m"]), b("v"));
    assert_eq!(q(&mut c, &["TTL", "m"]), Value::Int(100));
    assert_eq!(
        error(&mut c, &["MOVE", "m", "1"]),
        "ERR source and destination objects are the same"
    );
    assert_eq!(
        error(&mut c, &["MOVE", "m", "16"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        error(&mut c, &["MOVE", "m", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        error(&mut c, &["MOVE", "m", "99999999999"]),
        "ERR value is out of range, value must between -2147483648 and 2147483647"
    );
}

#[test]
fn keys_dbsize_flush_swapdb() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(0));
    assert_eq!(q(&mut c, &["KEYS", "*"]), Value::Array(vec![]));
    assert_eq!(
        q(
            &mut c,
            &["MSET", "hello", "1", "hallo", "2", "hxllo", "3", "world", "4"]
        ),
        Value::Okay
    );
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(4));
    assert_eq!(
        sorted(q(&mut c, &["KEYS", "*"])),
        ["hallo", "hello", "hxllo", "world"]
    );
    assert_eq!(
        sorted(q(&mut c, &["KEYS", "h?llo"])),
        ["hallo", "hello", "hxllo"]
    );
    assert_eq!(sorted(q(&mut c, &["KEYS", "h[ae]llo"])), ["hallo", "hello"]);
    assert_eq!(sorted(q(&mut c, &["KEYS", "h[^e]llo"])), ["hallo", "hxllo"]);
    assert_eq!(sorted(q(&mut c, &["KEYS", "w*"])), ["world"]);
    // Expired-but-not-deleted keys are not listed.
    assert_eq!(q(&mut c, &["SET", "gone", "x", "PX", "1"]), Value::Okay);
    wait_server_ms(&mut c, 2);
    assert_eq!(sorted(q(&mut c, &["KEYS", "g*"])), Vec::<String>::new());
    assert_eq!(
        error(&mut c, &["KEYS"]),
        "ERR wrong number of arguments for 'keys' command"
    );
    // SWAPDB
    assert_eq!(q(&mut c, &["SELECT", "1"]), Value::Okay);
    assert_eq!(q(&mut c, &["SET", "in1", "x"]), Value::Okay);
    assert_eq!(q(&mut c, &["SWAPDB", "0", "1"]), Value::Okay);
    // Four keys, plus "gone" until expiry deletes it (DBSIZE counts it).
    assert!(matches!(q(&mut c, &["DBSIZE"]), Value::Int(4 | 5)));
    assert_eq!(q(&mut c, &["EXISTS", "hello"]), Value::Int(1));
    assert_eq!(q(&mut c, &["SELECT", "0"]), Value::Okay);
    assert_eq!(q(&mut c, &["KEYS", "*"]), Value::Array(vec![b("in1")]));
    assert_eq!(q(&mut c, &["SWAPDB", "0", "0"]), Value::Okay);
    assert_eq!(
        error(&mut c, &["SWAPDB", "a", "1"]),
        "ERR invalid first DB index"
    );
    assert_eq!(
        error(&mut c, &["SWAPDB", "1", "b"]),
        "ERR invalid second DB index"
    );
    assert_eq!(
        error(&mut c, &["SWAPDB", "1", "99999999999"]),
        "ERR invalid second DB index"
    );
    assert_eq!(
        error(&mut c, &["SWAPDB", "0", "16"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        error(&mut c, &["SWAPDB", "-1", "0"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        error(&mut c, &["SWAPDB", "0"]),
        "ERR wrong number of arguments for 'swapdb' command"
    );
    // FLUSHDB / FLUSHALL
    assert_eq!(q(&mut c, &["FLUSHDB"]), Value::Okay);
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(0));
    assert_eq!(q(&mut c, &["SELECT", "1"]), Value::Okay);
    assert!(matches!(q(&mut c, &["DBSIZE"]), Value::Int(n) if n >= 4));
    assert_eq!(q(&mut c, &["FLUSHDB", "ASYNC"]), Value::Okay);
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(0));
    assert_eq!(q(&mut c, &["SET", "x", "1"]), Value::Okay);
    assert_eq!(q(&mut c, &["SELECT", "0"]), Value::Okay);
    assert_eq!(q(&mut c, &["SET", "y", "1"]), Value::Okay);
    assert_eq!(error(&mut c, &["FLUSHALL", "FOO"]), "ERR syntax error");
    assert_eq!(
        error(&mut c, &["FLUSHDB", "SYNC", "ASYNC"]),
        "ERR syntax error"
    );
    assert_eq!(q(&mut c, &["FLUSHALL", "sync"]), Value::Okay);
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(0));
    assert_eq!(q(&mut c, &["SELECT", "1"]), Value::Okay);
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(0));
    assert_eq!(
        error(&mut c, &["DBSIZE", "x"]),
        "ERR wrong number of arguments for 'dbsize' command"
    );
}

#[test]
fn swapdb_wakes_watchers() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["SET", "w", "1"]), Value::Okay);
    assert_eq!(q(&mut c, &["WATCH", "w"]), Value::Okay);
    let mut other = node.client();
    assert_eq!(q(&mut other, &["SWAPDB", "0", "1"]), Value::Okay);
    assert_eq!(q(&mut c, &["MULTI"]), Value::Okay);
    assert_eq!(
        q(&mut c, &["SET", "w", "2"]),
        Value::SimpleString("QUEUED".into())
    );
    assert_eq!(q(&mut c, &["EXEC"]), Value::Nil);
}

#[test]
fn scan_iterates_everything() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(
        q(&mut c, &["SCAN", "0"]),
        Value::Array(vec![b("0"), Value::Array(vec![])])
    );
    let mut pipe = redis::pipe();
    for i in 0..1000 {
        pipe.cmd("SET").arg(format!("key:{i}")).arg(i).ignore();
    }
    let () = pipe.query(&mut c).unwrap();
    // Full iteration while keys are added: every original key at least once.
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut round = 0;
    loop {
        let Value::Array(parts) = q(&mut c, &["SCAN", &cursor, "COUNT", "20"]) else {
            panic!("bad reply")
        };
        let Value::BulkString(next) = &parts[0] else {
            panic!()
        };
        let Value::Array(keys) = &parts[1] else {
            panic!()
        };
        for k in keys {
            let Value::BulkString(k) = k else { panic!() };
            seen.insert(String::from_utf8(k.clone()).unwrap());
        }
        round += 1;
        if round % 5 == 0 {
            for j in 0..100 {
                q(&mut c, &["SET", &format!("added:{round}:{j}"), "x"]);
            }
        }
        cursor = String::from_utf8(next.clone()).unwrap();
        if cursor == "0" {
            break;
        }
        assert!(round < 10_000, "scan does not terminate");
    }
    for i in 0..1000 {
        assert!(seen.contains(&format!("key:{i}")), "key:{i} missed");
    }
    // MATCH and TYPE filters.
    let all = |c: &mut redis::Connection, extra: &[&str]| {
        let mut out = HashSet::new();
        let mut cursor = "0".to_string();
        loop {
            let mut args = vec!["SCAN", cursor.as_str()];
            args.extend_from_slice(extra);
            let Value::Array(parts) = q(c, &args) else {
                panic!()
            };
            let Value::BulkString(next) = &parts[0] else {
                panic!()
            };
            for k in sorted(parts[1].clone()) {
                out.insert(k);
            }
            cursor = String::from_utf8(next.clone()).unwrap();
            if cursor == "0" {
                break out;
            }
        }
    };
    let matched = all(&mut c, &["MATCH", "key:1??", "COUNT", "100"]);
    assert_eq!(matched.len(), 100);
    assert!(all(&mut c, &["TYPE", "list"]).is_empty());
    assert!(all(&mut c, &["TYPE", "string", "MATCH", "key:99"]).contains("key:99"));
    // Expired keys are skipped.
    assert_eq!(q(&mut c, &["FLUSHDB"]), Value::Okay);
    assert_eq!(q(&mut c, &["SET", "live", "x"]), Value::Okay);
    assert_eq!(q(&mut c, &["SET", "dead", "x", "PX", "1"]), Value::Okay);
    wait_server_ms(&mut c, 2);
    assert_eq!(all(&mut c, &[]), HashSet::from(["live".to_string()]));
    // Errors.
    assert_eq!(error(&mut c, &["SCAN", "x"]), "ERR invalid cursor");
    assert_eq!(error(&mut c, &["SCAN", "-1"]), "ERR invalid cursor");
    assert_eq!(
        error(&mut c, &["SCAN", "0", "COUNT", "0"]),
        "ERR syntax error"
    );
    assert_eq!(
        error(&mut c, &["SCAN", "0", "COUNT", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(error(&mut c, &["SCAN", "0", "MATCH"]), "ERR syntax error");
    assert_eq!(
        error(&mut c, &["SCAN", "0", "NOVALUES"]),
        "ERR syntax error"
    );
    assert_eq!(
        error(&mut c, &["SCAN"]),
        "ERR wrong number of arguments for 'scan' command"
    );
}

#[test]
fn randomkey_and_object() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["RANDOMKEY"]), Value::Nil);
    assert_eq!(
        q(&mut c, &["MSET", "a", "1", "b", "2", "c", "3", "d", "4"]),
        Value::Okay
    );
    let mut drawn = HashSet::new();
    for _ in 0..200 {
        let Value::BulkString(k) = q(&mut c, &["RANDOMKEY"]) else {
            panic!()
        };
        drawn.insert(k);
    }
    assert_eq!(drawn.len(), 4, "RANDOMKEY draws every key over 200 calls");
    assert_eq!(q(&mut c, &["FLUSHDB"]), Value::Okay);
    assert_eq!(q(&mut c, &["SET", "dead", "x", "PX", "1"]), Value::Okay);
    wait_server_ms(&mut c, 2);
    assert_eq!(q(&mut c, &["RANDOMKEY"]), Value::Nil);
    assert_eq!(q(&mut c, &["SET", "live", "x"]), Value::Okay);
    assert_eq!(q(&mut c, &["RANDOMKEY"]), b("live"));
    assert_eq!(
        error(&mut c, &["RANDOMKEY", "x"]),
        "ERR wrong number of arguments for 'randomkey' command"
    );
    // OBJECT
    assert_eq!(q(&mut c, &["OBJECT", "ENCODING", "live"]), b("embstr"));
    assert_eq!(q(&mut c, &["OBJECT", "REFCOUNT", "live"]), Value::Int(1));
    assert_eq!(q(&mut c, &["OBJECT", "IDLETIME", "live"]), Value::Int(0));
    assert_eq!(q(&mut c, &["OBJECT", "IDLETIME", "nope"]), Value::Nil);
    assert_eq!(q(&mut c, &["OBJECT", "FREQ", "nope"]), Value::Nil);
    let lfu_off = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
    assert_eq!(error(&mut c, &["OBJECT", "FREQ", "live"]), lfu_off);
    assert_eq!(
        q(
            &mut c,
            &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]
        ),
        Value::Okay
    );
    assert!(
        matches!(q(&mut c, &["OBJECT", "FREQ", "live"]), Value::Int(n) if (5..=6).contains(&n))
    );
    let lfu_on = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
    assert_eq!(error(&mut c, &["OBJECT", "IDLETIME", "live"]), lfu_on);
    for _ in 0..100 {
        q(&mut c, &["GET", "live"]);
    }
    assert!(matches!(q(&mut c, &["OBJECT", "FREQ", "live"]), Value::Int(n) if n > 5));
    assert_eq!(
        error(&mut c, &["OBJECT", "FOO", "live"]),
        "ERR unknown subcommand 'FOO'. Try OBJECT HELP."
    );
    assert_eq!(
        error(&mut c, &["OBJECT", "ENCODING"]),
        "ERR wrong number of arguments for 'object|encoding' command"
    );
    let Value::Array(help) = q(&mut c, &["OBJECT", "HELP"]) else {
        panic!()
    };
    assert_eq!(
        help[0],
        Value::SimpleString(
            "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:".into()
        )
    );
    assert_eq!(help[1], Value::SimpleString("ENCODING <key>".into()));
    assert_eq!(help.len(), 15);
}

#[test]
fn reads_do_not_mutate_and_idle_time_grows() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["SET", "k", "v"]), Value::Okay);
    // OBJECT, TYPE, EXISTS and TTL do not count as accesses.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        q(&mut c, &["TYPE", "k"]);
        q(&mut c, &["EXISTS", "k"]);
        q(&mut c, &["TTL", "k"]);
        if let Value::Int(n) = q(&mut c, &["OBJECT", "IDLETIME", "k"]) {
            if n >= 1 {
                break;
            }
        }
        assert!(std::time::Instant::now() < deadline, "idle time never grew");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    q(&mut c, &["GET", "k"]);
    assert_eq!(q(&mut c, &["OBJECT", "IDLETIME", "k"]), Value::Int(0));
}
