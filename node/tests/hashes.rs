//! Hash commands over real TCP: exact replies, errors, RESP3 shapes.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{arity, error, resp, resp3, value, Node, NOT_INTEGER, SYNTAX, WRONGTYPE};
use redis::Value::{self, Array, BulkString, Int, Nil, Okay};

fn s(x: &str) -> Value {
    BulkString(x.as_bytes().to_vec())
}

fn arr(xs: &[&str]) -> Value {
    Array(xs.iter().map(|x| s(x)).collect())
}

fn text(v: &Value) -> String {
    match v {
        BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("not a bulk string: {other:?}"),
    }
}

fn items(v: Value) -> Vec<Value> {
    match v {
        Array(items) => items,
        other => panic!("not an array: {other:?}"),
    }
}

#[test]
fn set_get_delete() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(
        value(&mut c, &["HSET", "h", "f1", "v1", "f2", "v2"]),
        Int(2)
    );
    assert_eq!(value(&mut c, &["HSET", "h", "f1", "x", "f3", "v3"]), Int(1));
    assert_eq!(value(&mut c, &["HSETNX", "h", "f1", "y"]), Int(0));
    assert_eq!(value(&mut c, &["HSETNX", "h", "f4", "v4"]), Int(1));
    assert_eq!(value(&mut c, &["HMSET", "h", "f5", "v5", "f1", "v1"]), Okay);
    assert_eq!(value(&mut c, &["HGET", "h", "f1"]), s("v1"));
    assert_eq!(value(&mut c, &["HGET", "h", "nope"]), Nil);
    assert_eq!(value(&mut c, &["HGET", "nokey", "f1"]), Nil);
    assert_eq!(
        value(&mut c, &["HMGET", "h", "f1", "nope", "f4"]),
        Array(vec![s("v1"), Nil, s("v4")])
    );
    assert_eq!(
        value(&mut c, &["HMGET", "nokey", "a", "b"]),
        Array(vec![Nil, Nil])
    );
    assert_eq!(value(&mut c, &["HLEN", "h"]), Int(5));
    assert_eq!(value(&mut c, &["HLEN", "nokey"]), Int(0));
    assert_eq!(value(&mut c, &["HSTRLEN", "h", "f3"]), Int(2));
    assert_eq!(value(&mut c, &["HSTRLEN", "h", "nope"]), Int(0));
    assert_eq!(value(&mut c, &["HSTRLEN", "nokey", "f"]), Int(0));
    assert_eq!(value(&mut c, &["HEXISTS", "h", "f3"]), Int(1));
    assert_eq!(value(&mut c, &["HEXISTS", "h", "nope"]), Int(0));
    assert_eq!(value(&mut c, &["HEXISTS", "nokey", "f"]), Int(0));
    // A small hash keeps insertion order.
    assert_eq!(
        value(&mut c, &["HKEYS", "h"]),
        arr(&["f1", "f2", "f3", "f4", "f5"])
    );
    assert_eq!(
        value(&mut c, &["HVALS", "h"]),
        arr(&["v1", "v2", "v3", "v4", "v5"])
    );
    assert_eq!(
        value(&mut c, &["HGETALL", "h"]),
        arr(&["f1", "v1", "f2", "v2", "f3", "v3", "f4", "v4", "f5", "v5"])
    );
    assert_eq!(value(&mut c, &["HKEYS", "nokey"]), Array(vec![]));
    assert_eq!(value(&mut c, &["HVALS", "nokey"]), Array(vec![]));
    assert_eq!(value(&mut c, &["HGETALL", "nokey"]), Array(vec![]));

    assert_eq!(value(&mut c, &["HDEL", "h", "f1", "f1", "nope"]), Int(1));
    assert_eq!(value(&mut c, &["HDEL", "nokey", "f1"]), Int(0));
    assert_eq!(
        value(&mut c, &["HDEL", "h", "f2", "f3", "f4", "f5", "f6"]),
        Int(4)
    );
    assert_eq!(value(&mut c, &["EXISTS", "h"]), Int(0));

    assert_eq!(error(&mut c, &["HSET", "h", "a"]), arity("hset"));
    assert_eq!(error(&mut c, &["HSET", "h", "a", "1", "b"]), arity("hset"));
    assert_eq!(
        error(&mut c, &["HMSET", "h", "a", "1", "b"]),
        arity("hmset")
    );
    value(&mut c, &["SET", "str", "v"]);
    // The pair count is checked before the key's type.
    assert_eq!(
        error(&mut c, &["HSET", "str", "a", "1", "b"]),
        arity("hset")
    );
    for cmd in [
        vec!["HSET", "str", "a", "1"],
        vec!["HMSET", "str", "a", "1"],
        vec!["HSETNX", "str", "a", "1"],
        vec!["HGET", "str", "a"],
        vec!["HMGET", "str", "a"],
        vec!["HDEL", "str", "a"],
        vec!["HLEN", "str"],
        vec!["HSTRLEN", "str", "a"],
        vec!["HEXISTS", "str", "a"],
        vec!["HKEYS", "str"],
        vec!["HVALS", "str"],
        vec!["HGETALL", "str"],
        vec!["HINCRBY", "str", "a", "1"],
        vec!["HINCRBYFLOAT", "str", "a", "1"],
        vec!["HRANDFIELD", "str"],
        vec!["HRANDFIELD", "str", "1"],
        vec!["HSCAN", "str", "0"],
    ] {
        assert_eq!(error(&mut c, &cmd), WRONGTYPE, "{cmd:?}");
    }
    assert_eq!(value(&mut c, &["HSET", "e", "", ""]), Int(1));
    assert_eq!(value(&mut c, &["HGET", "e", ""]), s(""));
}

#[test]
fn hgetall_is_a_resp3_map() {
    let node = Node::start();
    let mut c = node.client();
    value(&mut c, &["HSET", "h", "a", "1", "b", "2"]);
    let mut raw = resp3(&node);
    raw.roundtrip(
        &resp(&["HGETALL", "h"]),
        b"%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
    );
    raw.roundtrip(&resp(&["HGETALL", "nokey"]), b"%0\r\n");
    raw.roundtrip(&resp(&["HGET", "h", "x"]), b"_\r\n");
    let mut raw2 = node.raw();
    raw2.roundtrip(
        &resp(&["HGETALL", "h"]),
        b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
    );
    raw2.roundtrip(&resp(&["HGETALL", "nokey"]), b"*0\r\n");
}

#[test]
fn increments() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(value(&mut c, &["HINCRBY", "h", "n", "5"]), Int(5));
    assert_eq!(value(&mut c, &["HINCRBY", "h", "n", "-7"]), Int(-2));
    assert_eq!(value(&mut c, &["HGET", "h", "n"]), s("-2"));
    value(
        &mut c,
        &[
            "HSET",
            "h",
            "big",
            "9223372036854775807",
            "txt",
            "abc",
            "f",
            "1.5",
        ],
    );
    assert_eq!(
        error(&mut c, &["HINCRBY", "h", "big", "1"]),
        "ERR increment or decrement would overflow"
    );
    assert_eq!(
        error(&mut c, &["HINCRBY", "h", "txt", "1"]),
        "ERR hash value is not an integer"
    );
    assert_eq!(
        error(&mut c, &["HINCRBY", "h", "f", "1"]),
        "ERR hash value is not an integer"
    );
    assert_eq!(error(&mut c, &["HINCRBY", "h", "n", "1.5"]), NOT_INTEGER);
    assert_eq!(error(&mut c, &["HINCRBY", "h", "n", "x"]), NOT_INTEGER);
    assert_eq!(value(&mut c, &["HINCRBY", "h", "big", "0"]), Int(i64::MAX));
    assert_eq!(
        value(&mut c, &["HINCRBY", "h", "neg", "-9223372036854775808"]),
        Int(i64::MIN)
    );

    assert_eq!(value(&mut c, &["HINCRBYFLOAT", "h", "fl", "0.1"]), s("0.1"));
    assert_eq!(value(&mut c, &["HINCRBYFLOAT", "h", "fl", "0.2"]), s("0.3"));
    assert_eq!(value(&mut c, &["HINCRBYFLOAT", "h", "f", "1"]), s("2.5"));
    assert_eq!(value(&mut c, &["HINCRBYFLOAT", "h", "n", "1"]), s("-1"));
    assert_eq!(value(&mut c, &["HINCRBYFLOAT", "h", "i", "3"]), s("3"));
    assert_eq!(
        value(&mut c, &["HINCRBYFLOAT", "h", "i", "5.0e3"]),
        s("5003")
    );
    assert_eq!(
        value(&mut c, &["HINCRBYFLOAT", "h", "i", "-5003.5"]),
        s("-0.5")
    );
    assert_eq!(value(&mut c, &["HGET", "h", "i"]), s("-0.5"));
    assert_eq!(
        error(&mut c, &["HINCRBYFLOAT", "h", "txt", "1"]),
        "ERR hash value is not a float"
    );
    assert_eq!(
        error(&mut c, &["HINCRBYFLOAT", "h", "fl", "abc"]),
        "ERR value is not a valid float"
    );
    assert_eq!(
        error(&mut c, &["HINCRBYFLOAT", "h", "fl", "inf"]),
        "ERR value is NaN or Infinity"
    );
    assert_eq!(
        error(&mut c, &["HINCRBYFLOAT", "h", "fl", "-inf"]),
        "ERR value is NaN or Infinity"
    );
    // The increment is checked before the key's type.
    value(&mut c, &["SET", "str", "v"]);
    assert_eq!(error(&mut c, &["HINCRBY", "str", "a", "x"]), NOT_INTEGER);
    assert_eq!(
        error(&mut c, &["HINCRBYFLOAT", "str", "a", "x"]),
        "ERR value is not a valid float"
    );
    // A failed increment creates nothing.
    assert_eq!(value(&mut c, &["EXISTS", "nokey"]), Int(0));
    assert_eq!(error(&mut c, &["HINCRBY", "nokey", "a", "x"]), NOT_INTEGER);
    assert_eq!(value(&mut c, &["EXISTS", "nokey"]), Int(0));
}

#[test]
fn hrandfield() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(value(&mut c, &["HRANDFIELD", "nokey"]), Nil);
    assert_eq!(value(&mut c, &["HRANDFIELD", "nokey", "3"]), Array(vec![]));
    assert_eq!(
        value(&mut c, &["HRANDFIELD", "nokey", "-3", "WITHVALUES"]),
        Array(vec![])
    );
    value(&mut c, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    let all: BTreeMap<String, String> = [("a", "1"), ("b", "2"), ("c", "3")]
        .iter()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect();
    let one = text(&value(&mut c, &["HRANDFIELD", "h"]));
    assert!(all.contains_key(&one));
    assert_eq!(value(&mut c, &["HRANDFIELD", "h", "0"]), Array(vec![]));
    assert_eq!(
        value(&mut c, &["HRANDFIELD", "h", "0", "WITHVALUES"]),
        Array(vec![])
    );
    // count >= size: every field once.
    let got: BTreeSet<String> = items(value(&mut c, &["HRANDFIELD", "h", "10"]))
        .iter()
        .map(text)
        .collect();
    assert_eq!(got, all.keys().cloned().collect());
    // count < size: distinct fields.
    let got: Vec<String> = items(value(&mut c, &["HRANDFIELD", "h", "2"]))
        .iter()
        .map(text)
        .collect();
    assert_eq!(got.len(), 2);
    assert_ne!(got[0], got[1]);
    // Negative: repeats allowed, exactly |count| picks, values match.
    let flat = items(value(&mut c, &["HRANDFIELD", "h", "-20", "withvalues"]));
    assert_eq!(flat.len(), 40);
    let mut seen = BTreeSet::new();
    for pair in flat.chunks(2) {
        let (f, v) = (text(&pair[0]), text(&pair[1]));
        assert_eq!(all[&f], v);
        seen.insert(f);
    }
    assert!(
        seen.len() > 1,
        "20 draws from 3 fields are not all the same"
    );
    // Reads draw afresh each time.
    let draws: BTreeSet<String> = (0..10)
        .map(|_| format!("{:?}", value(&mut c, &["HRANDFIELD", "h", "-5"])))
        .collect();
    assert!(draws.len() > 1);

    assert_eq!(error(&mut c, &["HRANDFIELD", "h", "x"]), NOT_INTEGER);
    assert_eq!(
        error(&mut c, &["HRANDFIELD", "h", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(
        error(
            &mut c,
            &["HRANDFIELD", "h", "-4611686018427387905", "WITHVALUES"]
        ),
        "ERR value is out of range"
    );
    assert_eq!(
        error(
            &mut c,
            &["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"]
        ),
        "ERR value is out of range"
    );
    assert_eq!(
        error(&mut c, &["HRANDFIELD", "h", "1", "WITHVALUE"]),
        SYNTAX
    );
    assert_eq!(
        error(&mut c, &["HRANDFIELD", "h", "1", "WITHVALUES", "x"]),
        SYNTAX
    );
    value(&mut c, &["SET", "str", "v"]);
    // Options are checked before the key's type.
    assert_eq!(
        error(&mut c, &["HRANDFIELD", "str", "1", "WITHVALUE"]),
        SYNTAX
    );

    // RESP3: WITHVALUES gives [field, value] pairs.
    value(&mut c, &["HSET", "one", "f", "v"]);
    let mut raw = resp3(&node);
    raw.roundtrip(
        &resp(&["HRANDFIELD", "one", "1", "WITHVALUES"]),
        b"*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
    raw.roundtrip(
        &resp(&["HRANDFIELD", "one", "-2", "WITHVALUES"]),
        b"*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
    raw.roundtrip(&resp(&["HRANDFIELD", "nokey"]), b"_\r\n");
    let mut raw2 = node.raw();
    raw2.roundtrip(
        &resp(&["HRANDFIELD", "one", "1", "WITHVALUES"]),
        b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
}

#[test]
fn hscan() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(
        value(&mut c, &["HSCAN", "nokey", "0"]),
        Array(vec![s("0"), Array(vec![])])
    );
    // Small hash: everything at once, cursor 0.
    value(&mut c, &["HSET", "small", "a", "1", "b", "2", "ab", "3"]);
    assert_eq!(
        value(&mut c, &["HSCAN", "small", "0"]),
        Array(vec![s("0"), arr(&["a", "1", "b", "2", "ab", "3"])])
    );
    assert_eq!(
        value(
            &mut c,
            &["HSCAN", "small", "0", "MATCH", "a*", "COUNT", "1"]
        ),
        Array(vec![s("0"), arr(&["a", "1", "ab", "3"])])
    );
    assert_eq!(
        value(&mut c, &["HSCAN", "small", "0", "NOVALUES"]),
        Array(vec![s("0"), arr(&["a", "b", "ab"])])
    );
    assert_eq!(
        error(&mut c, &["HSCAN", "small", "x"]),
        "ERR invalid cursor"
    );
    assert_eq!(
        error(&mut c, &["HSCAN", "small", "-1"]),
        "ERR invalid cursor"
    );
    assert_eq!(
        error(&mut c, &["HSCAN", "nokey", "x"]),
        "ERR invalid cursor"
    );
    assert_eq!(
        error(&mut c, &["HSCAN", "small", "0", "COUNT", "0"]),
        SYNTAX
    );
    assert_eq!(
        error(&mut c, &["HSCAN", "small", "0", "COUNT", "x"]),
        NOT_INTEGER
    );
    assert_eq!(error(&mut c, &["HSCAN", "small", "0", "MATCH"]), SYNTAX);
    assert_eq!(
        error(&mut c, &["HSCAN", "small", "0", "TYPE", "string"]),
        SYNTAX
    );
    // Options of a missing key are not looked at.
    assert_eq!(
        value(&mut c, &["HSCAN", "nokey", "0", "COUNT", "x"]),
        Array(vec![s("0"), Array(vec![])])
    );

    // A hashtable: a full iteration returns every field exactly once.
    let mut args = vec!["HSET".to_string(), "big".to_string()];
    for i in 0..300 {
        args.push(format!("f{i}"));
        args.push(format!("v{i}"));
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(value(&mut c, &argv), Int(300));
    let mut cursor = "0".to_string();
    let mut seen = BTreeMap::new();
    let mut rounds = 0;
    loop {
        let reply = items(value(&mut c, &["HSCAN", "big", &cursor, "COUNT", "20"]));
        cursor = text(&reply[0]);
        for pair in items(reply[1].clone()).chunks(2) {
            seen.insert(text(&pair[0]), text(&pair[1]));
        }
        rounds += 1;
        if cursor == "0" {
            break;
        }
    }
    assert!(rounds > 1, "a hashtable is scanned in steps");
    assert_eq!(seen.len(), 300);
    assert_eq!(seen["f7"], "v7");
    let mut cursor = "0".to_string();
    let mut fields = BTreeSet::new();
    loop {
        let reply = items(value(
            &mut c,
            &["HSCAN", "big", &cursor, "MATCH", "f1*", "NOVALUES"],
        ));
        cursor = text(&reply[0]);
        for f in items(reply[1].clone()) {
            fields.insert(text(&f));
        }
        if cursor == "0" {
            break;
        }
    }
    // f1, f10..f19, f100..f199
    assert_eq!(fields.len(), 111);
}

#[test]
fn large_hashes_keep_working() {
    let node = Node::start();
    let mut c = node.client();
    // Past 128 fields and past 64-byte values (the listpack limits).
    for i in 0..200 {
        value(&mut c, &["HSET", "h", &format!("f{i}"), &i.to_string()]);
    }
    assert_eq!(value(&mut c, &["HLEN", "h"]), Int(200));
    let long = "x".repeat(100);
    assert_eq!(value(&mut c, &["HSET", "v", "a", &long]), Int(1));
    assert_eq!(value(&mut c, &["HGET", "v", "a"]), s(&long));
    assert_eq!(value(&mut c, &["HINCRBY", "h", "f150", "1"]), Int(151));
    assert_eq!(items(value(&mut c, &["HKEYS", "h"])).len(), 200);
    assert_eq!(items(value(&mut c, &["HGETALL", "h"])).len(), 400);
    for i in 0..200 {
        assert_eq!(value(&mut c, &["HDEL", "h", &format!("f{i}")]), Int(1));
    }
    assert_eq!(value(&mut c, &["EXISTS", "h"]), Int(0));
}

#[test]
fn arity_errors() {
    let node = Node::start();
    let mut c = node.client();
    for (name, args) in [
        ("hset", vec!["HSET", "k", "f"]),
        ("hsetnx", vec!["HSETNX", "k", "f"]),
        ("hget", vec!["HGET", "k"]),
        ("hmget", vec!["HMGET", "k"]),
        ("hmset", vec!["HMSET", "k", "f"]),
        ("hdel", vec!["HDEL", "k"]),
        ("hlen", vec!["HLEN"]),
        ("hstrlen", vec!["HSTRLEN", "k"]),
        ("hexists", vec!["HEXISTS", "k"]),
        ("hkeys", vec!["HKEYS"]),
        ("hvals", vec!["HVALS", "k", "x"]),
        ("hgetall", vec!["HGETALL"]),
        ("hincrby", vec!["HINCRBY", "k", "f"]),
        ("hincrbyfloat", vec!["HINCRBYFLOAT", "k", "f"]),
        ("hrandfield", vec!["HRANDFIELD"]),
        ("hscan", vec!["HSCAN", "k"]),
    ] {
        assert_eq!(error(&mut c, &args), arity(name), "{args:?}");
    }
}
