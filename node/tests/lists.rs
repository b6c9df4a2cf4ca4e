//! List commands over real TCP: exact replies, errors and their order.

mod common;

use common::{arity, error, resp, resp3, value, Node, NOT_INTEGER, SYNTAX, WRONGTYPE};
use redis::Value::{self, Array, BulkString, Int, Nil, Okay};

fn s(x: &str) -> Value {
    BulkString(x.as_bytes().to_vec())
}

fn arr(xs: &[&str]) -> Value {
    Array(xs.iter().map(|x| s(x)).collect())
}

fn ints(xs: &[i64]) -> Value {
    Array(xs.iter().map(|&x| Int(x)).collect())
}

#[test]
fn push_and_pop() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(value(&mut c, &["RPUSH", "l", "a", "b"]), Int(2));
    assert_eq!(value(&mut c, &["LPUSH", "l", "x", "y"]), Int(4));
    assert_eq!(
        value(&mut c, &["LRANGE", "l", "0", "-1"]),
        arr(&["y", "x", "a", "b"])
    );
    assert_eq!(value(&mut c, &["LPUSHX", "nope", "a"]), Int(0));
    assert_eq!(value(&mut c, &["RPUSHX", "nope", "a", "b"]), Int(0));
    assert_eq!(value(&mut c, &["EXISTS", "nope"]), Int(0));
    assert_eq!(value(&mut c, &["LPUSHX", "l", "h"]), Int(5));
    assert_eq!(value(&mut c, &["RPUSHX", "l", "t1", "t2"]), Int(7));
    assert_eq!(value(&mut c, &["LPOP", "l"]), s("h"));
    assert_eq!(value(&mut c, &["RPOP", "l"]), s("t2"));
    assert_eq!(value(&mut c, &["LPOP", "l", "2"]), arr(&["y", "x"]));
    assert_eq!(value(&mut c, &["RPOP", "l", "2"]), arr(&["t1", "b"]));
    assert_eq!(value(&mut c, &["LPOP", "l", "0"]), Array(vec![]));
    assert_eq!(value(&mut c, &["RPOP", "l", "10"]), arr(&["a"]));
    // The last pop deleted the key.
    assert_eq!(value(&mut c, &["EXISTS", "l"]), Int(0));
    assert_eq!(value(&mut c, &["LPOP", "l"]), Nil);

    // Count errors come before the key lookup.
    let pos = "ERR value is out of range, must be positive";
    assert_eq!(error(&mut c, &["LPOP", "l", "-1"]), pos);
    assert_eq!(error(&mut c, &["RPOP", "l", "abc"]), pos);
    assert_eq!(error(&mut c, &["LPOP", "l", "1", "2"]), arity("lpop"));
    assert_eq!(error(&mut c, &["RPOP", "l", "1", "2"]), arity("rpop"));
    value(&mut c, &["SET", "str", "v"]);
    assert_eq!(error(&mut c, &["LPOP", "str", "abc"]), pos);
    for cmd in [
        vec!["LPUSH", "str", "a"],
        vec!["RPUSH", "str", "a"],
        vec!["LPUSHX", "str", "a"],
        vec!["RPUSHX", "str", "a"],
        vec!["LPOP", "str"],
        vec!["RPOP", "str", "0"],
    ] {
        assert_eq!(error(&mut c, &cmd), WRONGTYPE, "{cmd:?}");
    }

    // Null bulk without count, null array with count, on a missing key.
    let mut raw = node.raw();
    raw.roundtrip(&resp(&["LPOP", "missing"]), b"$-1\r\n");
    raw.roundtrip(&resp(&["RPOP", "missing", "1"]), b"*-1\r\n");
    raw.roundtrip(&resp(&["LPOP", "missing", "0"]), b"*-1\r\n");
    let mut raw = resp3(&node);
    raw.roundtrip(&resp(&["LPOP", "missing", "1"]), b"_\r\n");
    raw.roundtrip(&resp(&["LPOP", "missing"]), b"_\r\n");
}

#[test]
fn length_range_index_and_set() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(value(&mut c, &["LLEN", "l"]), Int(0));
    value(&mut c, &["RPUSH", "l", "a", "b", "c", "d", "e"]);
    assert_eq!(value(&mut c, &["LLEN", "l"]), Int(5));
    assert_eq!(value(&mut c, &["LRANGE", "l", "1", "2"]), arr(&["b", "c"]));
    assert_eq!(
        value(&mut c, &["LRANGE", "l", "-2", "-1"]),
        arr(&["d", "e"])
    );
    assert_eq!(
        value(&mut c, &["LRANGE", "l", "-100", "1"]),
        arr(&["a", "b"])
    );
    assert_eq!(
        value(&mut c, &["LRANGE", "l", "3", "100"]),
        arr(&["d", "e"])
    );
    assert_eq!(value(&mut c, &["LRANGE", "l", "3", "1"]), Array(vec![]));
    assert_eq!(value(&mut c, &["LRANGE", "l", "5", "10"]), Array(vec![]));
    assert_eq!(value(&mut c, &["LRANGE", "nope", "0", "-1"]), Array(vec![]));
    assert_eq!(error(&mut c, &["LRANGE", "l", "a", "1"]), NOT_INTEGER);
    assert_eq!(error(&mut c, &["LRANGE", "nope", "0", "x"]), NOT_INTEGER);

    assert_eq!(value(&mut c, &["LINDEX", "l", "0"]), s("a"));
    assert_eq!(value(&mut c, &["LINDEX", "l", "-1"]), s("e"));
    assert_eq!(value(&mut c, &["LINDEX", "l", "5"]), Nil);
    assert_eq!(value(&mut c, &["LINDEX", "l", "-6"]), Nil);
    // LINDEX looks the key up before parsing the index.
    assert_eq!(value(&mut c, &["LINDEX", "nope", "abc"]), Nil);
    assert_eq!(error(&mut c, &["LINDEX", "l", "abc"]), NOT_INTEGER);

    assert_eq!(value(&mut c, &["LSET", "l", "1", "B"]), Okay);
    assert_eq!(value(&mut c, &["LSET", "l", "-1", "E"]), Okay);
    assert_eq!(
        value(&mut c, &["LRANGE", "l", "0", "-1"]),
        arr(&["a", "B", "c", "d", "E"])
    );
    assert_eq!(
        error(&mut c, &["LSET", "nope", "0", "x"]),
        "ERR no such key"
    );
    assert_eq!(
        error(&mut c, &["LSET", "nope", "abc", "x"]),
        "ERR no such key"
    );
    assert_eq!(
        error(&mut c, &["LSET", "l", "5", "x"]),
        "ERR index out of range"
    );
    assert_eq!(
        error(&mut c, &["LSET", "l", "-6", "x"]),
        "ERR index out of range"
    );
    assert_eq!(error(&mut c, &["LSET", "l", "abc", "x"]), NOT_INTEGER);

    value(&mut c, &["SET", "str", "v"]);
    for cmd in [
        vec!["LLEN", "str"],
        vec!["LRANGE", "str", "0", "-1"],
        vec!["LINDEX", "str", "0"],
        vec!["LINDEX", "str", "abc"],
        vec!["LSET", "str", "0", "x"],
    ] {
        assert_eq!(error(&mut c, &cmd), WRONGTYPE, "{cmd:?}");
    }
    assert_eq!(error(&mut c, &["LRANGE", "str", "x", "0"]), NOT_INTEGER);
}

#[test]
fn insert_remove_trim() {
    let node = Node::start();
    let mut c = node.client();
    value(&mut c, &["RPUSH", "l", "a", "b", "c"]);
    assert_eq!(value(&mut c, &["LINSERT", "l", "BEFORE", "b", "x"]), Int(4));
    assert_eq!(value(&mut c, &["LINSERT", "l", "after", "c", "y"]), Int(5));
    assert_eq!(
        value(&mut c, &["LINSERT", "l", "AFTER", "zz", "y"]),
        Int(-1)
    );
    assert_eq!(
        value(&mut c, &["LINSERT", "nope", "AFTER", "a", "y"]),
        Int(0)
    );
    assert_eq!(value(&mut c, &["EXISTS", "nope"]), Int(0));
    assert_eq!(
        value(&mut c, &["LRANGE", "l", "0", "-1"]),
        arr(&["a", "x", "b", "c", "y"])
    );
    assert_eq!(error(&mut c, &["LINSERT", "l", "middle", "a", "y"]), SYNTAX);
    assert_eq!(
        error(&mut c, &["LINSERT", "nope", "middle", "a", "y"]),
        SYNTAX
    );

    value(&mut c, &["DEL", "r"]);
    value(&mut c, &["RPUSH", "r", "a", "b", "a", "c", "a", "b", "a"]);
    assert_eq!(value(&mut c, &["LREM", "r", "2", "a"]), Int(2));
    assert_eq!(
        value(&mut c, &["LRANGE", "r", "0", "-1"]),
        arr(&["b", "c", "a", "b", "a"])
    );
    assert_eq!(value(&mut c, &["LREM", "r", "-1", "b"]), Int(1));
    assert_eq!(
        value(&mut c, &["LRANGE", "r", "0", "-1"]),
        arr(&["b", "c", "a", "a"])
    );
    assert_eq!(value(&mut c, &["LREM", "r", "0", "a"]), Int(2));
    assert_eq!(value(&mut c, &["LREM", "r", "0", "zz"]), Int(0));
    assert_eq!(value(&mut c, &["LREM", "nope", "0", "a"]), Int(0));
    assert_eq!(value(&mut c, &["LREM", "r", "0", "b"]), Int(1));
    assert_eq!(value(&mut c, &["LREM", "r", "-5", "c"]), Int(1));
    assert_eq!(value(&mut c, &["EXISTS", "r"]), Int(0));
    assert_eq!(error(&mut c, &["LREM", "r", "x", "a"]), NOT_INTEGER);

    value(&mut c, &["RPUSH", "t", "a", "b", "c", "d", "e"]);
    assert_eq!(value(&mut c, &["LTRIM", "t", "1", "-2"]), Okay);
    assert_eq!(
        value(&mut c, &["LRANGE", "t", "0", "-1"]),
        arr(&["b", "c", "d"])
    );
    assert_eq!(value(&mut c, &["LTRIM", "t", "-100", "100"]), Okay);
    assert_eq!(
        value(&mut c, &["LRANGE", "t", "0", "-1"]),
        arr(&["b", "c", "d"])
    );
    assert_eq!(value(&mut c, &["LTRIM", "t", "1", "1"]), Okay);
    assert_eq!(value(&mut c, &["LRANGE", "t", "0", "-1"]), arr(&["c"]));
    assert_eq!(value(&mut c, &["LTRIM", "t", "2", "1"]), Okay);
    assert_eq!(value(&mut c, &["EXISTS", "t"]), Int(0));
    assert_eq!(value(&mut c, &["LTRIM", "nope", "0", "1"]), Okay);
    assert_eq!(error(&mut c, &["LTRIM", "t", "0", "x"]), NOT_INTEGER);

    value(&mut c, &["SET", "str", "v"]);
    for cmd in [
        vec!["LINSERT", "str", "BEFORE", "a", "b"],
        vec!["LREM", "str", "0", "a"],
        vec!["LTRIM", "str", "0", "1"],
    ] {
        assert_eq!(error(&mut c, &cmd), WRONGTYPE, "{cmd:?}");
    }
    // Numbers are parsed before the key is looked up.
    assert_eq!(error(&mut c, &["LREM", "str", "x", "a"]), NOT_INTEGER);
    assert_eq!(error(&mut c, &["LTRIM", "str", "x", "1"]), NOT_INTEGER);
    assert_eq!(error(&mut c, &["LINSERT", "str", "x", "a", "b"]), SYNTAX);
}

#[test]
fn lpos_options() {
    let node = Node::start();
    let mut c = node.client();
    let large = "x".repeat(500);
    value(
        &mut c,
        &["RPUSH", "l", "a", "b", "c", &large, "2", "3", "c", "c"],
    );
    assert_eq!(value(&mut c, &["LPOS", "l", "a"]), Int(0));
    assert_eq!(value(&mut c, &["LPOS", "l", "c"]), Int(2));
    assert_eq!(value(&mut c, &["LPOS", "l", &large]), Int(3));
    assert_eq!(value(&mut c, &["LPOS", "l", "c", "RANK", "1"]), Int(2));
    assert_eq!(value(&mut c, &["LPOS", "l", "c", "RANK", "2"]), Int(6));
    assert_eq!(value(&mut c, &["LPOS", "l", "c", "RANK", "4"]), Nil);
    assert_eq!(value(&mut c, &["LPOS", "l", "c", "RANK", "-1"]), Int(7));
    assert_eq!(value(&mut c, &["LPOS", "l", "c", "RANK", "-2"]), Int(6));
    assert_eq!(
        value(&mut c, &["LPOS", "l", "c", "COUNT", "0"]),
        ints(&[2, 6, 7])
    );
    assert_eq!(value(&mut c, &["LPOS", "l", "c", "COUNT", "1"]), ints(&[2]));
    assert_eq!(
        value(&mut c, &["LPOS", "l", "c", "COUNT", "2"]),
        ints(&[2, 6])
    );
    assert_eq!(
        value(&mut c, &["LPOS", "l", "c", "COUNT", "100"]),
        ints(&[2, 6, 7])
    );
    assert_eq!(
        value(&mut c, &["LPOS", "l", "c", "COUNT", "0", "RANK", "2"]),
        ints(&[6, 7])
    );
    assert_eq!(
        value(&mut c, &["LPOS", "l", "c", "count", "2", "rank", "-1"]),
        ints(&[7, 6])
    );
    assert_eq!(
        value(&mut c, &["LPOS", "nope", "c", "COUNT", "0", "RANK", "2"]),
        Array(vec![])
    );
    assert_eq!(value(&mut c, &["LPOS", "nope", "c"]), Nil);
    assert_eq!(
        value(&mut c, &["LPOS", "l", "x", "COUNT", "2", "RANK", "-1"]),
        Array(vec![])
    );
    assert_eq!(value(&mut c, &["LPOS", "l", "x", "RANK", "-1"]), Nil);
    assert_eq!(
        value(&mut c, &["LPOS", "l", "a", "COUNT", "0", "MAXLEN", "1"]),
        ints(&[0])
    );
    assert_eq!(
        value(&mut c, &["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "1"]),
        Array(vec![])
    );
    assert_eq!(
        value(&mut c, &["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"]),
        ints(&[2])
    );
    assert_eq!(
        value(
            &mut c,
            &["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3", "RANK", "-1"]
        ),
        ints(&[7, 6])
    );
    assert_eq!(
        value(
            &mut c,
            &["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "7", "RANK", "2"]
        ),
        ints(&[6])
    );

    assert_eq!(
        error(&mut c, &["LPOS", "l", "c", "RANK", "0"]),
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
    );
    assert_eq!(
        error(&mut c, &["LPOS", "l", "c", "RANK", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(error(&mut c, &["LPOS", "l", "c", "RANK", "x"]), NOT_INTEGER);
    assert_eq!(
        error(&mut c, &["LPOS", "l", "c", "COUNT", "-1"]),
        "ERR COUNT can't be negative"
    );
    assert_eq!(
        error(&mut c, &["LPOS", "l", "c", "COUNT", "x"]),
        "ERR COUNT can't be negative"
    );
    assert_eq!(
        error(&mut c, &["LPOS", "l", "c", "MAXLEN", "-1"]),
        "ERR MAXLEN can't be negative"
    );
    assert_eq!(error(&mut c, &["LPOS", "l", "c", "RANK"]), SYNTAX);
    assert_eq!(error(&mut c, &["LPOS", "l", "c", "FOO", "1"]), SYNTAX);
    value(&mut c, &["SET", "str", "v"]);
    assert_eq!(error(&mut c, &["LPOS", "str", "c"]), WRONGTYPE);
    assert_eq!(error(&mut c, &["LPOS", "str", "c", "RANK", "0"]), "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
}

#[test]
fn lmove_and_rpoplpush() {
    let node = Node::start();
    let mut c = node.client();
    value(&mut c, &["RPUSH", "src", "a", "b", "c", "d"]);
    assert_eq!(
        value(&mut c, &["LMOVE", "src", "dst", "LEFT", "RIGHT"]),
        s("a")
    );
    assert_eq!(
        value(&mut c, &["LMOVE", "src", "dst", "right", "left"]),
        s("d")
    );
    assert_eq!(
        value(&mut c, &["LMOVE", "src", "dst", "LEFT", "LEFT"]),
        s("b")
    );
    assert_eq!(
        value(&mut c, &["LMOVE", "src", "dst", "RIGHT", "RIGHT"]),
        s("c")
    );
    assert_eq!(
        value(&mut c, &["LRANGE", "dst", "0", "-1"]),
        arr(&["b", "d", "a", "c"])
    );
    assert_eq!(value(&mut c, &["EXISTS", "src"]), Int(0));
    assert_eq!(
        value(&mut c, &["LMOVE", "src", "dst", "LEFT", "RIGHT"]),
        Nil
    );
    // Rotation of one list.
    assert_eq!(
        value(&mut c, &["LMOVE", "dst", "dst", "LEFT", "RIGHT"]),
        s("b")
    );
    assert_eq!(
        value(&mut c, &["LRANGE", "dst", "0", "-1"]),
        arr(&["d", "a", "c", "b"])
    );
    assert_eq!(value(&mut c, &["RPOPLPUSH", "dst", "dst"]), s("b"));
    assert_eq!(
        value(&mut c, &["LRANGE", "dst", "0", "-1"]),
        arr(&["b", "d", "a", "c"])
    );
    value(&mut c, &["RPUSH", "one", "x"]);
    assert_eq!(value(&mut c, &["RPOPLPUSH", "one", "one"]), s("x"));
    assert_eq!(value(&mut c, &["LRANGE", "one", "0", "-1"]), arr(&["x"]));
    assert_eq!(value(&mut c, &["RPOPLPUSH", "dst", "other"]), s("c"));
    assert_eq!(value(&mut c, &["LRANGE", "other", "0", "-1"]), arr(&["c"]));
    assert_eq!(value(&mut c, &["RPOPLPUSH", "nope", "other"]), Nil);

    assert_eq!(
        error(&mut c, &["LMOVE", "dst", "other", "UP", "LEFT"]),
        SYNTAX
    );
    assert_eq!(
        error(&mut c, &["LMOVE", "dst", "other", "LEFT", "DOWN"]),
        SYNTAX
    );
    value(&mut c, &["SET", "str", "v"]);
    // A destination of another type fails before anything is popped.
    assert_eq!(
        error(&mut c, &["LMOVE", "dst", "str", "LEFT", "LEFT"]),
        WRONGTYPE
    );
    assert_eq!(error(&mut c, &["RPOPLPUSH", "dst", "str"]), WRONGTYPE);
    assert_eq!(
        value(&mut c, &["LRANGE", "dst", "0", "-1"]),
        arr(&["b", "d", "a"])
    );
    assert_eq!(
        error(&mut c, &["LMOVE", "str", "dst", "LEFT", "LEFT"]),
        WRONGTYPE
    );
    assert_eq!(error(&mut c, &["RPOPLPUSH", "str", "dst"]), WRONGTYPE);
    // A missing source never looks at the destination.
    assert_eq!(value(&mut c, &["RPOPLPUSH", "nope", "str"]), Nil);
}

#[test]
fn lmpop() {
    let node = Node::start();
    let mut c = node.client();
    value(&mut c, &["RPUSH", "b", "1", "2", "3"]);
    value(&mut c, &["RPUSH", "c", "x"]);
    let kv = |k: &str, items: &[&str]| Array(vec![s(k), arr(items)]);
    assert_eq!(
        value(&mut c, &["LMPOP", "3", "a", "b", "c", "LEFT"]),
        kv("b", &["1"])
    );
    assert_eq!(
        value(
            &mut c,
            &["LMPOP", "3", "a", "b", "c", "right", "COUNT", "5"]
        ),
        kv("b", &["3", "2"])
    );
    assert_eq!(value(&mut c, &["EXISTS", "b"]), Int(0));
    assert_eq!(
        value(&mut c, &["LMPOP", "2", "b", "c", "LEFT", "count", "1"]),
        kv("c", &["x"])
    );
    let mut raw = node.raw();
    raw.roundtrip(&resp(&["LMPOP", "2", "b", "c", "LEFT"]), b"*-1\r\n");

    let numkeys = "ERR numkeys should be greater than 0";
    assert_eq!(error(&mut c, &["LMPOP", "0", "a", "LEFT"]), numkeys);
    assert_eq!(error(&mut c, &["LMPOP", "-1", "a", "LEFT"]), numkeys);
    assert_eq!(error(&mut c, &["LMPOP", "x", "a", "LEFT"]), numkeys);
    assert_eq!(error(&mut c, &["LMPOP", "5", "a", "LEFT"]), SYNTAX);
    assert_eq!(error(&mut c, &["LMPOP", "1", "a", "MIDDLE"]), SYNTAX);
    assert_eq!(
        error(&mut c, &["LMPOP", "1", "a", "LEFT", "COUNT", "0"]),
        "ERR count should be greater than 0"
    );
    assert_eq!(
        error(&mut c, &["LMPOP", "1", "a", "LEFT", "COUNT", "x"]),
        "ERR count should be greater than 0"
    );
    assert_eq!(
        error(
            &mut c,
            &["LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"]
        ),
        SYNTAX
    );
    assert_eq!(error(&mut c, &["LMPOP", "1", "a", "LEFT", "COUNT"]), SYNTAX);
    assert_eq!(error(&mut c, &["LMPOP", "1", "a"]), arity("lmpop"));
    value(&mut c, &["SET", "str", "v"]);
    value(&mut c, &["RPUSH", "l", "1"]);
    assert_eq!(
        error(&mut c, &["LMPOP", "2", "str", "l", "LEFT"]),
        WRONGTYPE
    );
    // A missing key before a list is skipped; a list before a string wins.
    assert_eq!(
        value(&mut c, &["LMPOP", "3", "nope", "l", "str", "LEFT"]),
        kv("l", &["1"])
    );
}

#[test]
fn arity_errors() {
    let node = Node::start();
    let mut c = node.client();
    for (name, args) in [
        ("lpush", vec!["LPUSH", "k"]),
        ("rpush", vec!["RPUSH", "k"]),
        ("lpushx", vec!["LPUSHX", "k"]),
        ("rpushx", vec!["RPUSHX", "k"]),
        ("lpop", vec!["LPOP"]),
        ("rpop", vec!["RPOP"]),
        ("llen", vec!["LLEN", "k", "x"]),
        ("lrange", vec!["LRANGE", "k", "0"]),
        ("lindex", vec!["LINDEX", "k"]),
        ("lset", vec!["LSET", "k", "0"]),
        ("linsert", vec!["LINSERT", "k", "BEFORE", "a"]),
        ("lrem", vec!["LREM", "k", "0"]),
        ("ltrim", vec!["LTRIM", "k", "0"]),
        ("lpos", vec!["LPOS", "k"]),
        ("lmove", vec!["LMOVE", "a", "b", "LEFT"]),
        ("rpoplpush", vec!["RPOPLPUSH", "a"]),
        ("lmpop", vec!["LMPOP", "1"]),
        ("blpop", vec!["BLPOP", "k"]),
        ("brpop", vec!["BRPOP", "k"]),
        ("blmove", vec!["BLMOVE", "a", "b", "LEFT", "LEFT"]),
        ("brpoplpush", vec!["BRPOPLPUSH", "a", "b"]),
        ("blmpop", vec!["BLMPOP", "0", "1", "k"]),
    ] {
        assert_eq!(error(&mut c, &args), arity(name), "{args:?}");
    }
}

#[test]
fn binary_safe_elements() {
    let node = Node::start();
    let mut c = node.client();
    let v: Vec<u8> = vec![0, 255, b'\r', b'\n', 7];
    redis::cmd("RPUSH")
        .arg("bin")
        .arg(&v)
        .query::<i64>(&mut c)
        .unwrap();
    let got: Vec<Vec<u8>> = redis::cmd("LRANGE")
        .arg("bin")
        .arg(0)
        .arg(-1)
        .query(&mut c)
        .unwrap();
    assert_eq!(got, vec![v.clone()]);
    let pos: i64 = redis::cmd("LPOS").arg("bin").arg(&v).query(&mut c).unwrap();
    assert_eq!(pos, 0);
}
