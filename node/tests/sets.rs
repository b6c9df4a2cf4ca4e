//! Set commands over real TCP: exact replies and errors as Valkey 9 gives
//! them, empty-set deletion, reply order of intsets, RESP3 shapes.

mod common;

use common::{error, Node, WRONGTYPE};
use redis::{Connection, FromRedisValue, Value};

fn q<T: FromRedisValue>(c: &mut Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn int(c: &mut Connection, args: &[&str]) -> i64 {
    q(c, args)
}

fn strings(c: &mut Connection, args: &[&str]) -> Vec<String> {
    q(c, args)
}

fn sorted(c: &mut Connection, args: &[&str]) -> Vec<String> {
    let mut v = strings(c, args);
    v.sort();
    v
}

fn exists(c: &mut Connection, key: &str) -> bool {
    int(c, &["EXISTS", key]) == 1
}

fn sadd_range(c: &mut Connection, key: &str, items: impl IntoIterator<Item = String>) {
    let mut cmd = redis::cmd("SADD");
    cmd.arg(key);
    for i in items {
        cmd.arg(i);
    }
    let _: i64 = cmd.query(c).unwrap();
}

fn arity(c: &mut Connection, args: &[&str]) {
    assert_eq!(
        error(c, args),
        format!(
            "ERR wrong number of arguments for '{}' command",
            args[0].to_ascii_lowercase()
        ),
        "{args:?}"
    );
}

#[test]
fn sadd_srem_scard_sismember() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(int(&mut c, &["SADD", "s", "a", "b", "a", "c"]), 3);
    assert_eq!(int(&mut c, &["SADD", "s", "a", "d"]), 1);
    assert_eq!(int(&mut c, &["SCARD", "s"]), 4);
    assert_eq!(int(&mut c, &["SCARD", "nokey"]), 0);
    assert_eq!(int(&mut c, &["SISMEMBER", "s", "a"]), 1);
    assert_eq!(int(&mut c, &["SISMEMBER", "s", "z"]), 0);
    assert_eq!(int(&mut c, &["SISMEMBER", "nokey", "a"]), 0);
    assert_eq!(
        q::<Vec<i64>>(&mut c, &["SMISMEMBER", "s", "a", "z", "d", "a"]),
        vec![1, 0, 1, 1]
    );
    assert_eq!(
        q::<Vec<i64>>(&mut c, &["SMISMEMBER", "nokey", "a", "b"]),
        vec![0, 0]
    );
    // Listpack keeps insertion order.
    assert_eq!(strings(&mut c, &["SMEMBERS", "s"]), ["a", "b", "c", "d"]);
    assert_eq!(int(&mut c, &["SREM", "s", "a", "zz", "a"]), 1);
    assert_eq!(int(&mut c, &["SREM", "nokey", "a"]), 0);
    assert_eq!(strings(&mut c, &["SMEMBERS", "s"]), ["b", "c", "d"]);
    // Removing the last member deletes the key (and stops counting there).
    assert_eq!(int(&mut c, &["SREM", "s", "b", "c", "d", "b"]), 3);
    assert!(!exists(&mut c, "s"));
    assert_eq!(strings(&mut c, &["SMEMBERS", "s"]), Vec::<String>::new());
}

#[test]
fn intsets_reply_in_ascending_order() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(int(&mut c, &["SADD", "i", "10", "-3", "7", "0", "7"]), 4);
    assert_eq!(strings(&mut c, &["SMEMBERS", "i"]), ["-3", "0", "7", "10"]);
    // Not canonical integers are strings: the set becomes a listpack that
    // keeps the intset's order and appends.
    assert_eq!(int(&mut c, &["SADD", "i", "07", "+1"]), 2);
    assert_eq!(
        strings(&mut c, &["SMEMBERS", "i"]),
        ["-3", "0", "7", "10", "07", "+1"]
    );
    assert_eq!(int(&mut c, &["SISMEMBER", "i", "7"]), 1);
    assert_eq!(int(&mut c, &["SISMEMBER", "i", "1"]), 0);
    assert_eq!(
        strings(&mut c, &["SUNION", "nokey", "i"]).len(),
        6,
        "union with a missing key"
    );
    assert_eq!(int(&mut c, &["SADD", "j", "5", "-9223372036854775808"]), 2);
    assert_eq!(
        strings(&mut c, &["SUNION", "j", "nokey"]),
        ["-9223372036854775808", "5"]
    );
}

#[test]
fn wrong_type_and_arity() {
    let node = Node::start();
    let mut c = node.client();
    let _: () = q(&mut c, &["SET", "str", "x"]);
    let _: i64 = q(&mut c, &["SADD", "s", "a"]);
    for args in [
        &["SADD", "str", "a"][..],
        &["SREM", "str", "a"],
        &["SMEMBERS", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SCARD", "str"],
        &["SPOP", "str"],
        &["SPOP", "str", "0"],
        &["SPOP", "str", "2"],
        &["SRANDMEMBER", "str"],
        &["SRANDMEMBER", "str", "0"],
        &["SRANDMEMBER", "str", "-2"],
        &["SMOVE", "str", "s", "a"],
        &["SMOVE", "s", "str", "a"],
        &["SINTER", "s", "str"],
        &["SINTER", "nokey", "str"],
        &["SINTERCARD", "2", "nokey", "str"],
        &["SINTERSTORE", "d", "s", "str"],
        &["SUNION", "s", "str"],
        &["SUNIONSTORE", "d", "str"],
        &["SDIFF", "nokey", "str"],
        &["SDIFFSTORE", "d", "s", "str"],
        &["SSCAN", "str", "0"],
    ] {
        assert_eq!(error(&mut c, args), WRONGTYPE, "{args:?}");
    }
    // A missing SMOVE source wins over a destination of the wrong type.
    assert_eq!(int(&mut c, &["SMOVE", "nokey", "str", "a"]), 0);
    assert!(!exists(&mut c, "d"));
    for args in [
        &["SADD", "s"][..],
        &["SREM", "s"],
        &["SMEMBERS"],
        &["SMEMBERS", "s", "t"],
        &["SISMEMBER", "s"],
        &["SISMEMBER", "s", "a", "b"],
        &["SMISMEMBER", "s"],
        &["SCARD"],
        &["SCARD", "s", "t"],
        &["SPOP"],
        &["SRANDMEMBER"],
        &["SMOVE", "s", "t"],
        &["SINTER"],
        &["SINTERCARD", "1"],
        &["SINTERSTORE", "d"],
        &["SUNION"],
        &["SUNIONSTORE", "d"],
        &["SDIFF"],
        &["SDIFFSTORE", "d"],
        &["SSCAN", "s"],
    ] {
        arity(&mut c, args);
    }
    assert_eq!(error(&mut c, &["SPOP", "s", "1", "2"]), "ERR syntax error");
    assert_eq!(
        error(&mut c, &["SRANDMEMBER", "s", "1", "2"]),
        "ERR syntax error"
    );
}

#[test]
fn smove() {
    let node = Node::start();
    let mut c = node.client();
    let _: i64 = q(&mut c, &["SADD", "src", "a", "b"]);
    let _: i64 = q(&mut c, &["SADD", "dst", "b"]);
    assert_eq!(int(&mut c, &["SMOVE", "src", "dst", "zz"]), 0);
    assert_eq!(int(&mut c, &["SMOVE", "nokey", "dst", "a"]), 0);
    assert_eq!(int(&mut c, &["SMOVE", "src", "dst", "a"]), 1);
    assert_eq!(strings(&mut c, &["SMEMBERS", "src"]), ["b"]);
    assert_eq!(sorted(&mut c, &["SMEMBERS", "dst"]), ["a", "b"]);
    // Already in the destination: still moved (removed from the source),
    // and the emptied source is deleted.
    assert_eq!(int(&mut c, &["SMOVE", "src", "dst", "b"]), 1);
    assert!(!exists(&mut c, "src"));
    assert_eq!(sorted(&mut c, &["SMEMBERS", "dst"]), ["a", "b"]);
    // Same key: membership, no change.
    assert_eq!(int(&mut c, &["SMOVE", "dst", "dst", "a"]), 1);
    assert_eq!(int(&mut c, &["SMOVE", "dst", "dst", "q"]), 0);
    assert_eq!(int(&mut c, &["SCARD", "dst"]), 2);
    // A new destination is created.
    assert_eq!(int(&mut c, &["SMOVE", "dst", "new", "a"]), 1);
    assert_eq!(strings(&mut c, &["SMEMBERS", "new"]), ["a"]);
    assert_eq!(strings(&mut c, &["SMEMBERS", "dst"]), ["b"]);
    // An integer member creates an intset: later members sort.
    let _: i64 = q(&mut c, &["SADD", "n", "5", "3"]);
    assert_eq!(int(&mut c, &["SMOVE", "n", "ints", "5"]), 1);
    let _: i64 = q(&mut c, &["SADD", "ints", "1"]);
    assert_eq!(strings(&mut c, &["SMEMBERS", "ints"]), ["1", "5"]);
}

#[test]
fn spop() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q::<Value>(&mut c, &["SPOP", "nokey"]), Value::Nil);
    assert_eq!(
        strings(&mut c, &["SPOP", "nokey", "3"]),
        Vec::<String>::new()
    );
    for bad in ["-1", "x", "1.5", "-9223372036854775808"] {
        assert_eq!(
            error(&mut c, &["SPOP", "s", bad]),
            "ERR value is out of range, must be positive"
        );
    }
    sadd_range(&mut c, "s", (0..20).map(|i| format!("m{i}")));
    assert_eq!(strings(&mut c, &["SPOP", "s", "0"]), Vec::<String>::new());
    let one: String = q(&mut c, &["SPOP", "s"]);
    assert_eq!(int(&mut c, &["SISMEMBER", "s", &one]), 0);
    let some = strings(&mut c, &["SPOP", "s", "5"]);
    assert_eq!(some.len(), 5);
    let mut all = some.clone();
    all.push(one);
    all.extend(strings(&mut c, &["SPOP", "s", "100"]));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 20);
    assert!(!exists(&mut c, "s"));
    // Popping exactly the size deletes too; so does popping the last one.
    sadd_range(&mut c, "s", (0..3).map(|i| i.to_string()));
    assert_eq!(sorted(&mut c, &["SPOP", "s", "3"]), ["0", "1", "2"]);
    assert!(!exists(&mut c, "s"));
    let _: i64 = q(&mut c, &["SADD", "s", "7"]);
    assert_eq!(q::<String>(&mut c, &["SPOP", "s"]), "7");
    assert!(!exists(&mut c, "s"));
    // A big hashtable, popped in every strategy.
    sadd_range(&mut c, "h", (0..1000).map(|i| format!("e{i}")));
    assert_eq!(strings(&mut c, &["SPOP", "h", "10"]).len(), 10);
    let rest = strings(&mut c, &["SPOP", "h", "985"]);
    assert_eq!(rest.len(), 985);
    assert_eq!(int(&mut c, &["SCARD", "h"]), 5);
    let mut every = rest;
    every.extend(strings(&mut c, &["SMEMBERS", "h"]));
    every.sort();
    every.dedup();
    assert_eq!(every.len(), 990);
}

#[test]
fn srandmember() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q::<Value>(&mut c, &["SRANDMEMBER", "nokey"]), Value::Nil);
    assert_eq!(
        strings(&mut c, &["SRANDMEMBER", "nokey", "-5"]),
        Vec::<String>::new()
    );
    assert_eq!(
        error(&mut c, &["SRANDMEMBER", "s", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        error(&mut c, &["SRANDMEMBER", "s", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    for (key, members) in [
        ("ints", (0..50).map(|i| i.to_string()).collect::<Vec<_>>()),
        ("lp", (0..50).map(|i| format!("m{i}")).collect()),
        ("ht", (0..300).map(|i| format!("m{i}")).collect()),
    ] {
        sadd_range(&mut c, key, members.clone());
        let n = members.len();
        assert_eq!(
            strings(&mut c, &["SRANDMEMBER", key, "0"]),
            Vec::<String>::new()
        );
        let one: String = q(&mut c, &["SRANDMEMBER", key]);
        assert!(members.contains(&one));
        // Positive: distinct members, at most the set.
        for count in [1, 3, n / 2, n - 1, n, n + 10] {
            let got = strings(&mut c, &["SRANDMEMBER", key, &count.to_string()]);
            let mut distinct = got.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(got.len(), count.min(n), "{key} {count}");
            assert_eq!(distinct.len(), got.len(), "{key} {count}: repeats");
            assert!(got.iter().all(|m| members.contains(m)));
        }
        // Negative: exactly |count| draws, repeats allowed.
        let got = strings(&mut c, &["SRANDMEMBER", key, "-1000"]);
        assert_eq!(got.len(), 1000);
        assert!(got.iter().all(|m| members.contains(m)));
        let mut distinct = got;
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() > n / 2, "{key}: draws look random");
        // Reads do not change the set.
        assert_eq!(int(&mut c, &["SCARD", key]), n as i64);
    }
    // Reads draw afresh each time.
    let draws: Vec<String> = (0..20).map(|_| q(&mut c, &["SRANDMEMBER", "ht"])).collect();
    assert!(draws.iter().any(|d| *d != draws[0]));
}

#[test]
fn sinter_sintercard_sinterstore() {
    let node = Node::start();
    let mut c = node.client();
    let _: i64 = q(&mut c, &["SADD", "a", "1", "2", "3", "x"]);
    let _: i64 = q(&mut c, &["SADD", "b", "2", "3", "4", "x", "y"]);
    let _: i64 = q(&mut c, &["SADD", "n", "3", "2", "9"]);
    assert_eq!(sorted(&mut c, &["SINTER", "a", "b"]), ["2", "3", "x"]);
    assert_eq!(sorted(&mut c, &["SINTER", "a"]), ["1", "2", "3", "x"]);
    assert_eq!(sorted(&mut c, &["SINTER", "a", "a"]), ["1", "2", "3", "x"]);
    // The smallest set is the intset: ascending order.
    assert_eq!(strings(&mut c, &["SINTER", "a", "b", "n"]), ["2", "3"]);
    assert_eq!(
        strings(&mut c, &["SINTER", "a", "nokey"]),
        Vec::<String>::new()
    );
    assert_eq!(int(&mut c, &["SINTERCARD", "2", "a", "b"]), 3);
    assert_eq!(int(&mut c, &["SINTERCARD", "2", "a", "b", "LIMIT", "0"]), 3);
    assert_eq!(int(&mut c, &["SINTERCARD", "2", "a", "b", "limit", "2"]), 2);
    assert_eq!(int(&mut c, &["SINTERCARD", "2", "a", "b", "LIMIT", "9"]), 3);
    assert_eq!(
        int(
            &mut c,
            &["SINTERCARD", "2", "a", "b", "LIMIT", "9", "LIMIT", "1"]
        ),
        1
    );
    assert_eq!(int(&mut c, &["SINTERCARD", "1", "nokey"]), 0);
    assert_eq!(int(&mut c, &["SINTERCARD", "2", "a", "nokey"]), 0);
    for (args, msg) in [
        (
            &["SINTERCARD", "0", "a"][..],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["SINTERCARD", "-1", "a"],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["SINTERCARD", "x", "a"],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["SINTERCARD", "3", "a", "b"],
            "ERR Number of keys can't be greater than number of args",
        ),
        (
            &["SINTERCARD", "1", "a", "LIMIT", "-1"],
            "ERR LIMIT can't be negative",
        ),
        (
            &["SINTERCARD", "1", "a", "LIMIT", "x"],
            "ERR LIMIT can't be negative",
        ),
        (&["SINTERCARD", "1", "a", "LIMIT"], "ERR syntax error"),
        (&["SINTERCARD", "1", "a", "b"], "ERR syntax error"),
    ] {
        assert_eq!(error(&mut c, args), msg, "{args:?}");
    }
    // Store: replaces the destination whatever it held.
    let _: () = q(&mut c, &["SET", "d", "string"]);
    assert_eq!(int(&mut c, &["SINTERSTORE", "d", "a", "b"]), 3);
    assert_eq!(sorted(&mut c, &["SMEMBERS", "d"]), ["2", "3", "x"]);
    // All integers: stored as an intset, so SMEMBERS is ascending.
    assert_eq!(int(&mut c, &["SINTERSTORE", "d", "b", "a", "n"]), 2);
    assert_eq!(strings(&mut c, &["SMEMBERS", "d"]), ["2", "3"]);
    // The destination may be a source.
    assert_eq!(int(&mut c, &["SINTERSTORE", "a", "a", "b"]), 3);
    assert_eq!(sorted(&mut c, &["SMEMBERS", "a"]), ["2", "3", "x"]);
    // Empty result: the destination is deleted.
    assert_eq!(int(&mut c, &["SINTERSTORE", "d", "a", "nokey"]), 0);
    assert!(!exists(&mut c, "d"));
    let _: i64 = q(&mut c, &["SADD", "d", "q"]);
    assert_eq!(int(&mut c, &["SINTERSTORE", "d", "a", "n", "b"]), 2);
    let _: i64 = q(&mut c, &["SADD", "z", "zz"]);
    assert_eq!(int(&mut c, &["SINTERSTORE", "d", "a", "z"]), 0);
    assert!(!exists(&mut c, "d"));
    // Big hashtables whose common part is all integers: an intset.
    sadd_range(
        &mut c,
        "h1",
        (0..300).map(|i| i.to_string()).chain(["s".into()]),
    );
    sadd_range(
        &mut c,
        "h2",
        (100..400).map(|i| i.to_string()).chain(["t".into()]),
    );
    assert_eq!(int(&mut c, &["SINTERSTORE", "d", "h1", "h2"]), 200);
    let members = strings(&mut c, &["SMEMBERS", "d"]);
    let expected: Vec<String> = (100..300).map(|i| i.to_string()).collect();
    assert_eq!(members, expected);
    assert_eq!(
        int(&mut c, &["SINTERCARD", "2", "h1", "h2", "LIMIT", "150"]),
        150
    );
}

#[test]
fn sunion_sdiff_and_store() {
    let node = Node::start();
    let mut c = node.client();
    let _: i64 = q(&mut c, &["SADD", "a", "1", "2", "3", "x"]);
    let _: i64 = q(&mut c, &["SADD", "b", "2", "3", "4", "y"]);
    let _: i64 = q(&mut c, &["SADD", "n", "9", "3", "-1"]);
    assert_eq!(
        sorted(&mut c, &["SUNION", "a", "nokey", "b"]),
        ["1", "2", "3", "4", "x", "y"]
    );
    assert_eq!(strings(&mut c, &["SUNION", "nokey"]), Vec::<String>::new());
    assert_eq!(sorted(&mut c, &["SDIFF", "a", "b"]), ["1", "x"]);
    assert_eq!(
        sorted(&mut c, &["SDIFF", "a", "nokey"]),
        ["1", "2", "3", "x"]
    );
    assert_eq!(
        strings(&mut c, &["SDIFF", "nokey", "a"]),
        Vec::<String>::new()
    );
    assert_eq!(
        strings(&mut c, &["SDIFF", "a", "b", "a"]),
        Vec::<String>::new()
    );
    assert_eq!(strings(&mut c, &["SDIFF", "a", "a"]), Vec::<String>::new());
    // Intsets only: ascending order.
    assert_eq!(strings(&mut c, &["SDIFF", "n", "a"]), ["-1", "9"]);
    let _: i64 = q(&mut c, &["SADD", "m", "100", "-50"]);
    assert_eq!(
        strings(&mut c, &["SUNION", "n", "m"]),
        ["-50", "-1", "3", "9", "100"]
    );
    // Store forms.
    let _: () = q(&mut c, &["SET", "d", "string"]);
    assert_eq!(int(&mut c, &["SUNIONSTORE", "d", "a", "b"]), 6);
    assert_eq!(
        sorted(&mut c, &["SMEMBERS", "d"]),
        ["1", "2", "3", "4", "x", "y"]
    );
    assert_eq!(int(&mut c, &["SUNIONSTORE", "d", "n", "m"]), 5);
    assert_eq!(
        strings(&mut c, &["SMEMBERS", "d"]),
        ["-50", "-1", "3", "9", "100"]
    );
    assert_eq!(int(&mut c, &["SDIFFSTORE", "d", "a", "b"]), 2);
    assert_eq!(sorted(&mut c, &["SMEMBERS", "d"]), ["1", "x"]);
    // The destination may be a source.
    assert_eq!(int(&mut c, &["SDIFFSTORE", "a", "a", "n"]), 3);
    assert_eq!(sorted(&mut c, &["SMEMBERS", "a"]), ["1", "2", "x"]);
    assert_eq!(int(&mut c, &["SUNIONSTORE", "a", "a", "m"]), 5);
    assert_eq!(
        sorted(&mut c, &["SMEMBERS", "a"]),
        ["-50", "1", "100", "2", "x"]
    );
    // Empty results delete the destination.
    assert_eq!(int(&mut c, &["SDIFFSTORE", "d", "a", "a"]), 0);
    assert!(!exists(&mut c, "d"));
    let _: i64 = q(&mut c, &["SADD", "d", "q"]);
    assert_eq!(int(&mut c, &["SUNIONSTORE", "d", "nokey", "nokey2"]), 0);
    assert!(!exists(&mut c, "d"));
    let _: i64 = q(&mut c, &["SADD", "d", "q"]);
    assert_eq!(int(&mut c, &["SDIFFSTORE", "d", "nokey", "a"]), 0);
    assert!(!exists(&mut c, "d"));
    assert_eq!(int(&mut c, &["SDIFFSTORE", "d", "nokey"]), 0);
    assert!(!exists(&mut c, "d"));
    // Bigger sets take both SDIFF algorithms.
    sadd_range(&mut c, "big", (0..200).map(|i| format!("m{i}")));
    sadd_range(&mut c, "most", (0..190).map(|i| format!("m{i}")));
    for i in 0..4 {
        let _: i64 = q(&mut c, &["SADD", &format!("t{i}"), &format!("m{i}")]);
    }
    let expected: Vec<String> = {
        let mut v: Vec<String> = (190..200).map(|i| format!("m{i}")).collect();
        v.sort();
        v
    };
    assert_eq!(
        sorted(&mut c, &["SDIFF", "big", "most", "t0", "t1", "t2", "t3"]),
        expected
    );
    assert_eq!(sorted(&mut c, &["SDIFF", "big", "most"]), expected);
    assert_eq!(
        int(
            &mut c,
            &["SDIFFSTORE", "d", "big", "t0", "most", "t1", "t2"]
        ),
        10
    );
    assert_eq!(sorted(&mut c, &["SMEMBERS", "d"]), expected);
    let mut everything = sorted(&mut c, &["SUNION", "big", "a"]);
    everything.dedup();
    assert_eq!(everything.len(), 205);
}

#[test]
fn sscan() {
    let node = Node::start();
    let mut c = node.client();
    let empty: (String, Vec<String>) = q(&mut c, &["SSCAN", "nokey", "0"]);
    assert_eq!(empty, ("0".to_string(), vec![]));
    // A missing key answers before the options are checked.
    let empty: (String, Vec<String>) = q(&mut c, &["SSCAN", "nokey", "0", "COUNT", "0"]);
    assert_eq!(empty.1.len(), 0);
    assert_eq!(
        error(&mut c, &["SSCAN", "nokey", "x"]),
        "ERR invalid cursor"
    );
    assert_eq!(
        error(&mut c, &["SSCAN", "nokey", "-1"]),
        "ERR invalid cursor"
    );
    let _: i64 = q(&mut c, &["SADD", "i", "3", "1", "2", "10"]);
    let _: i64 = q(&mut c, &["SADD", "lp", "foo", "bar", "fox"]);
    for (args, msg) in [
        (&["SSCAN", "i", "0", "COUNT", "0"][..], "ERR syntax error"),
        (
            &["SSCAN", "i", "0", "COUNT", "x"],
            "ERR value is not an integer or out of range",
        ),
        (&["SSCAN", "i", "0", "NOVALUES"], "ERR syntax error"),
        (&["SSCAN", "i", "0", "TYPE", "set"], "ERR syntax error"),
        (&["SSCAN", "i", "0", "MATCH"], "ERR syntax error"),
        (&["SSCAN", "i", "x"], "ERR invalid cursor"),
    ] {
        assert_eq!(error(&mut c, args), msg, "{args:?}");
    }
    // Compact encodings: everything at once, cursor 0, whatever the cursor.
    let (cur, items): (String, Vec<String>) = q(&mut c, &["SSCAN", "i", "0", "COUNT", "1"]);
    assert_eq!(
        (cur.as_str(), items),
        ("0", vec!["1".into(), "2".into(), "3".into(), "10".into()])
    );
    let (cur, items): (String, Vec<String>) = q(&mut c, &["SSCAN", "i", "77", "MATCH", "1*"]);
    assert_eq!((cur.as_str(), items), ("0", vec!["1".into(), "10".into()]));
    let (cur, items): (String, Vec<String>) = q(&mut c, &["SSCAN", "lp", "0", "match", "f*"]);
    assert_eq!(
        (cur.as_str(), items),
        ("0", vec!["foo".into(), "fox".into()])
    );
    // A hashtable: walk the cursor until 0, every member seen.
    sadd_range(&mut c, "h", (0..500).map(|i| format!("m{i}")));
    let mut seen = Vec::new();
    let mut cursor = "0".to_string();
    let mut rounds = 0;
    loop {
        let (next, items): (String, Vec<String>) =
            q(&mut c, &["SSCAN", "h", &cursor, "COUNT", "20"]);
        seen.extend(items);
        rounds += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert!(rounds > 5, "a hashtable is scanned in steps");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 500);
    let mut matched = Vec::new();
    let mut cursor = "0".to_string();
    loop {
        let (next, items): (String, Vec<String>) = q(
            &mut c,
            &["SSCAN", "h", &cursor, "MATCH", "m1?", "COUNT", "100"],
        );
        matched.extend(items);
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    matched.sort();
    let expected: Vec<String> = {
        let mut v: Vec<String> = (10..20).map(|i| format!("m{i}")).collect();
        v.sort();
        v
    };
    assert_eq!(matched, expected);
}

#[test]
fn resp3_shapes() {
    let node = Node::start();
    let mut c = node.client();
    let _: i64 = q(&mut c, &["SADD", "s", "2", "1"]);
    let mut raw = node.raw();
    raw.send(b"HELLO 3\r\n");
    // Skip the HELLO map: read until the reply to a PING.
    raw.send(b"PING\r\n");
    let mut buf = Vec::new();
    while !buf.ends_with(b"+PONG\r\n") {
        let chunk = raw.read_n(1);
        assert!(!chunk.is_empty(), "no PONG");
        buf.extend(chunk);
    }
    raw.roundtrip(b"SMEMBERS s\r\n", b"~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    raw.roundtrip(b"SMEMBERS nokey\r\n", b"~0\r\n");
    raw.roundtrip(b"SINTER s s\r\n", b"~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    raw.roundtrip(b"SINTER s nokey\r\n", b"~0\r\n");
    raw.roundtrip(b"SUNION s nokey\r\n", b"~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    raw.roundtrip(b"SDIFF s nokey\r\n", b"~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    raw.roundtrip(b"SDIFF nokey s\r\n", b"~0\r\n");
    raw.roundtrip(b"SPOP nokey\r\n", b"_\r\n");
    raw.roundtrip(b"SPOP nokey 2\r\n", b"~0\r\n");
    raw.roundtrip(b"SPOP s 0\r\n", b"~0\r\n");
    raw.roundtrip(b"SRANDMEMBER nokey\r\n", b"_\r\n");
    raw.roundtrip(b"SRANDMEMBER nokey 2\r\n", b"*0\r\n");
    raw.roundtrip(b"SRANDMEMBER s 2\r\n", b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    raw.roundtrip(b"SMISMEMBER s 1 9\r\n", b"*2\r\n:1\r\n:0\r\n");
    raw.roundtrip(
        b"SSCAN s 0\r\n",
        b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n",
    );
    raw.roundtrip(b"SINTERCARD 1 s\r\n", b":2\r\n");
    raw.roundtrip(b"SPOP s 5\r\n", b"~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    raw.roundtrip(b"EXISTS s\r\n", b":0\r\n");
    // RESP2: the same sets are plain arrays.
    let mut raw2 = node.raw();
    raw2.roundtrip(b"SADD t 5\r\nSMEMBERS t\r\n", b":1\r\n*1\r\n$1\r\n5\r\n");
    raw2.roundtrip(b"SPOP t 1\r\nSPOP t\r\n", b"*1\r\n$1\r\n5\r\n$-1\r\n");
}

#[test]
fn no_op_writes_keep_watch() {
    let node = Node::start();
    let mut c = node.client();
    let mut other = node.client();
    let _: i64 = q(&mut c, &["SADD", "s", "a", "b"]);
    let _: () = q(&mut c, &["WATCH", "s"]);
    // Nothing changes: the watch holds.
    assert_eq!(int(&mut other, &["SADD", "s", "a"]), 0);
    assert_eq!(int(&mut other, &["SREM", "s", "zz"]), 0);
    assert_eq!(int(&mut other, &["SMOVE", "s", "t", "zz"]), 0);
    let _: () = q(&mut c, &["MULTI"]);
    let _: () = q(&mut c, &["SCARD", "s"]);
    let r: Value = q(&mut c, &["EXEC"]);
    assert_eq!(r, Value::Array(vec![Value::Int(2)]));
    // A real change breaks it.
    let _: () = q(&mut c, &["WATCH", "s"]);
    assert_eq!(int(&mut other, &["SADD", "s", "c"]), 1);
    let _: () = q(&mut c, &["MULTI"]);
    let _: () = q(&mut c, &["SCARD", "s"]);
    let r: Value = q(&mut c, &["EXEC"]);
    assert_eq!(r, Value::Nil);
}
