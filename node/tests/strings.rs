//! String commands over real TCP: exact replies and errors of Valkey 9.

mod common;

use common::{error, value, Node};
use redis::Value;

fn b(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

fn q(c: &mut redis::Connection, args: &[&str]) -> Value {
    value(c, args)
}

fn enc(c: &mut redis::Connection, key: &str) -> Value {
    q(c, &["OBJECT", "ENCODING", key])
}

/// Creates a list at `key` (for the WRONGTYPE paths).
fn make_list(c: &mut redis::Connection, key: &str) {
    assert_eq!(q(c, &["RPUSH", key, "x"]), Value::Int(1));
}

#[test]
fn get_set_and_options() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["GET", "k"]), Value::Nil);
    assert_eq!(q(&mut c, &["SET", "k", "v"]), Value::Okay);
    assert_eq!(q(&mut c, &["GET", "k"]), b("v"));
    // NX / XX
    assert_eq!(q(&mut c, &["SET", "k", "w", "NX"]), Value::Nil);
    assert_eq!(q(&mut c, &["SET", "k2", "w", "XX"]), Value::Nil);
    assert_eq!(q(&mut c, &["SET", "k", "w", "XX"]), Value::Okay);
    // GET returns the old value, also when NX stops the write.
    assert_eq!(q(&mut c, &["SET", "k", "x", "GET"]), b("w"));
    assert_eq!(q(&mut c, &["SET", "k", "y", "NX", "GET"]), b("x"));
    assert_eq!(q(&mut c, &["SET", "new", "y", "GET"]), Value::Nil);
    assert_eq!(q(&mut c, &["GET", "new"]), b("y"));
    // Repeated options are fine; conflicting ones are syntax errors.
    assert_eq!(
        q(&mut c, &["SET", "k", "v", "EX", "10", "EX", "20"]),
        Value::Okay
    );
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(20));
    for bad in [
        &["SET", "k", "v", "NX", "XX"][..],
        &["SET", "k", "v", "EX", "10", "PX", "10"],
        &["SET", "k", "v", "KEEPTTL", "EX", "10"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "PERSIST"],
        &["SET", "k", "v", "FOO"],
        &["SET", "k", "v", "IFEQ", "a", "NX"],
    ] {
        assert_eq!(error(&mut c, bad), "ERR syntax error", "{bad:?}");
    }
    // Expiry values.
    assert_eq!(
        error(&mut c, &["SET", "k", "v", "EX", "x"]),
        "ERR value is not an integer or out of range"
    );
    for bad in [
        &["SET", "k", "v", "EX", "0"][..],
        &["SET", "k", "v", "PX", "-1"],
        &["SET", "k", "v", "EXAT", "0"],
        &["SET", "k", "v", "EX", "9223372036854776"],
        &["SET", "k", "v", "PX", "9223372036854775807"],
    ] {
        assert_eq!(
            error(&mut c, bad),
            "ERR invalid expire time in 'set' command",
            "{bad:?}"
        );
    }
    assert_eq!(q(&mut c, &["SET", "k", "v", "PX", "100000"]), Value::Okay);
    let pttl = match q(&mut c, &["PTTL", "k"]) {
        Value::Int(n) => n,
        v => panic!("{v:?}"),
    };
    assert!((99_000..=100_000).contains(&pttl), "{pttl}");
    assert_eq!(q(&mut c, &["SET", "k", "v2", "KEEPTTL"]), Value::Okay);
    assert!(matches!(q(&mut c, &["PTTL", "k"]), Value::Int(n) if n > 90_000));
    assert_eq!(q(&mut c, &["SET", "k", "v3"]), Value::Okay);
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(-1));
    assert_eq!(
        q(&mut c, &["SET", "k", "v", "EXAT", "4102444800"]),
        Value::Okay
    );
    assert_eq!(q(&mut c, &["EXPIRETIME", "k"]), Value::Int(4102444800));
    assert_eq!(
        q(&mut c, &["SET", "k", "v", "PXAT", "4102444800123"]),
        Value::Okay
    );
    assert_eq!(q(&mut c, &["PEXPIRETIME", "k"]), Value::Int(4102444800123));
    // A time already past: OK, and the key is gone (also an old one).
    assert_eq!(q(&mut c, &["SET", "k", "v", "PXAT", "1"]), Value::Okay);
    assert_eq!(q(&mut c, &["EXISTS", "k"]), Value::Int(0));
    assert_eq!(
        q(&mut c, &["SET", "k", "v", "EXAT", "1", "GET"]),
        Value::Nil
    );
    // IFEQ
    assert_eq!(q(&mut c, &["SET", "c", "1"]), Value::Okay);
    assert_eq!(q(&mut c, &["SET", "c", "2", "IFEQ", "0"]), Value::Nil);
    assert_eq!(q(&mut c, &["SET", "c", "2", "IFEQ", "1"]), Value::Okay);
    assert_eq!(q(&mut c, &["SET", "c", "3", "IFEQ", "2", "GET"]), b("2"));
    assert_eq!(q(&mut c, &["SET", "c", "4", "IFEQ", "9", "GET"]), b("3"));
    assert_eq!(q(&mut c, &["SET", "none", "4", "IFEQ", "9"]), Value::Nil);
    assert_eq!(q(&mut c, &["EXISTS", "none"]), Value::Int(0));
    assert_eq!(
        error(&mut c, &["SET", "k"]),
        "ERR wrong number of arguments for 'set' command"
    );
    assert_eq!(
        error(&mut c, &["GET", "a", "b"]),
        "ERR wrong number of arguments for 'get' command"
    );
    make_list(&mut c, "list");
    let wt = "WRONGTYPE Operation against a key holding the wrong kind of value";
    assert_eq!(error(&mut c, &["GET", "list"]), wt);
    assert_eq!(error(&mut c, &["SET", "list", "v", "GET"]), wt);
    assert_eq!(
        q(&mut c, &["TYPE", "list"]),
        Value::SimpleString("list".into())
    );
    assert_eq!(q(&mut c, &["SET", "list", "v"]), Value::Okay);
}

#[test]
fn set_variants() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["SETNX", "k", "a"]), Value::Int(1));
    assert_eq!(q(&mut c, &["SETNX", "k", "b"]), Value::Int(0));
    assert_eq!(q(&mut c, &["GET", "k"]), b("a"));
    assert_eq!(q(&mut c, &["SETEX", "k", "100", "v"]), Value::Okay);
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(100));
    assert_eq!(q(&mut c, &["PSETEX", "k", "100000", "w"]), Value::Okay);
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(100));
    assert_eq!(q(&mut c, &["GET", "k"]), b("w"));
    assert_eq!(
        error(&mut c, &["SETEX", "k", "0", "v"]),
        "ERR invalid expire time in 'setex' command"
    );
    assert_eq!(
        error(&mut c, &["PSETEX", "k", "-5", "v"]),
        "ERR invalid expire time in 'psetex' command"
    );
    assert_eq!(
        error(&mut c, &["SETEX", "k", "x", "v"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        error(&mut c, &["SETEX", "k", "1"]),
        "ERR wrong number of arguments for 'setex' command"
    );
    // GETSET clears the TTL.
    assert_eq!(q(&mut c, &["GETSET", "k", "z"]), b("w"));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["GETSET", "fresh", "z"]), Value::Nil);
    assert_eq!(q(&mut c, &["GETDEL", "k"]), b("z"));
    assert_eq!(q(&mut c, &["GETDEL", "k"]), Value::Nil);
    assert_eq!(q(&mut c, &["EXISTS", "k"]), Value::Int(0));
    // MGET / MSET / MSETNX
    assert_eq!(q(&mut c, &["MSET", "a", "1", "b", "2"]), Value::Okay);
    assert_eq!(
        q(&mut c, &["MGET", "a", "nope", "b", "a"]),
        Value::Array(vec![b("1"), Value::Nil, b("2"), b("1")])
    );
    assert_eq!(
        error(&mut c, &["MSET", "a", "1", "b"]),
        "ERR wrong number of arguments for 'mset' command"
    );
    assert_eq!(
        error(&mut c, &["MSETNX", "a"]),
        "ERR wrong number of arguments for 'msetnx' command"
    );
    assert_eq!(
        error(&mut c, &["MSETNX", "a", "1", "b"]),
        "ERR wrong number of arguments for 'msetnx' command"
    );
    assert_eq!(q(&mut c, &["MSETNX", "x", "1", "a", "9"]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXISTS", "x"]), Value::Int(0));
    assert_eq!(
        q(&mut c, &["MSETNX", "x", "1", "y", "2", "x", "3"]),
        Value::Int(1)
    );
    assert_eq!(
        q(&mut c, &["MGET", "x", "y"]),
        Value::Array(vec![b("3"), b("2")])
    );
    assert_eq!(
        error(&mut c, &["MGET"]),
        "ERR wrong number of arguments for 'mget' command"
    );
}

#[test]
fn getex_options() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["GETEX", "k"]), Value::Nil);
    assert_eq!(q(&mut c, &["GETEX", "k", "EX", "10"]), Value::Nil);
    assert_eq!(q(&mut c, &["SET", "k", "v"]), Value::Okay);
    assert_eq!(q(&mut c, &["GETEX", "k"]), b("v"));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["GETEX", "k", "EX", "100"]), b("v"));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(100));
    assert_eq!(q(&mut c, &["GETEX", "k", "PX", "50000"]), b("v"));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(50));
    assert_eq!(q(&mut c, &["GETEX", "k", "EXAT", "4102444800"]), b("v"));
    assert_eq!(q(&mut c, &["EXPIRETIME", "k"]), Value::Int(4102444800));
    assert_eq!(q(&mut c, &["GETEX", "k", "PXAT", "4102444800001"]), b("v"));
    assert_eq!(q(&mut c, &["PEXPIRETIME", "k"]), Value::Int(4102444800001));
    assert_eq!(q(&mut c, &["GETEX", "k", "PERSIST"]), b("v"));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(-1));
    // A past absolute time deletes the key after replying its value.
    assert_eq!(q(&mut c, &["GETEX", "k", "EXAT", "1"]), b("v"));
    assert_eq!(q(&mut c, &["EXISTS", "k"]), Value::Int(0));
    for bad in [
        &["GETEX", "k", "PERSIST", "EX", "1"][..],
        &["GETEX", "k", "EX", "1", "PX", "1"],
        &["GETEX", "k", "KEEPTTL"],
        &["GETEX", "k", "NX"],
        &["GETEX", "k", "GET"],
        &["GETEX", "k", "EX"],
    ] {
        assert_eq!(error(&mut c, bad), "ERR syntax error", "{bad:?}");
    }
    assert_eq!(
        error(&mut c, &["GETEX", "k", "EX", "0"]),
        "ERR invalid expire time in 'getex' command"
    );
    assert_eq!(
        error(&mut c, &["GETEX", "k", "EX", "-1"]),
        "ERR invalid expire time in 'getex' command"
    );
    assert_eq!(
        error(&mut c, &["GETEX", "k", "PX", "abc"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        error(&mut c, &["GETEX"]),
        "ERR wrong number of arguments for 'getex' command"
    );
}

#[test]
fn append_strlen_ranges() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["APPEND", "k", "Hello"]), Value::Int(5));
    assert_eq!(q(&mut c, &["APPEND", "k", " World"]), Value::Int(11));
    assert_eq!(q(&mut c, &["STRLEN", "k"]), Value::Int(11));
    assert_eq!(q(&mut c, &["STRLEN", "none"]), Value::Int(0));
    assert_eq!(q(&mut c, &["GETRANGE", "k", "0", "4"]), b("Hello"));
    assert_eq!(q(&mut c, &["GETRANGE", "k", "-5", "-1"]), b("World"));
    assert_eq!(q(&mut c, &["GETRANGE", "k", "0", "-1"]), b("Hello World"));
    assert_eq!(q(&mut c, &["GETRANGE", "k", "5", "3"]), b(""));
    assert_eq!(q(&mut c, &["GETRANGE", "k", "-1", "-5"]), b(""));
    assert_eq!(q(&mut c, &["GETRANGE", "k", "0", "-100"]), b("H"));
    assert_eq!(q(&mut c, &["GETRANGE", "k", "-100", "2"]), b("Hel"));
    assert_eq!(q(&mut c, &["GETRANGE", "k", "8", "1000"]), b("rld"));
    assert_eq!(q(&mut c, &["GETRANGE", "k", "20", "30"]), b(""));
    assert_eq!(q(&mut c, &["SUBSTR", "k", "0", "1"]), b("He"));
    assert_eq!(q(&mut c, &["GETRANGE", "none", "0", "1"]), b(""));
    assert_eq!(
        error(&mut c, &["GETRANGE", "k", "a", "1"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        error(&mut c, &["GETRANGE", "k", "0"]),
        "ERR wrong number of arguments for 'getrange' command"
    );
    // SETRANGE
    assert_eq!(q(&mut c, &["SETRANGE", "k", "6", "Redis"]), Value::Int(11));
    assert_eq!(q(&mut c, &["GET", "k"]), b("Hello Redis"));
    assert_eq!(q(&mut c, &["SETRANGE", "k", "0", ""]), Value::Int(11));
    assert_eq!(q(&mut c, &["SETRANGE", "empty", "5", ""]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXISTS", "empty"]), Value::Int(0));
    assert_eq!(q(&mut c, &["SETRANGE", "pad", "3", "x"]), Value::Int(4));
    assert_eq!(
        q(&mut c, &["GET", "pad"]),
        Value::BulkString(b"\0\0\0x".to_vec())
    );
    assert_eq!(
        error(&mut c, &["SETRANGE", "k", "-1", "x"]),
        "ERR offset is out of range"
    );
    assert_eq!(
        error(&mut c, &["SETRANGE", "k", "x", "x"]),
        "ERR value is not an integer or out of range"
    );
    let too_big = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    assert_eq!(error(&mut c, &["SETRANGE", "k", "536870912", "x"]), too_big);
    assert_eq!(
        error(&mut c, &["SETRANGE", "new", "536870911", "xy"]),
        too_big
    );
    assert_eq!(q(&mut c, &["EXISTS", "new"]), Value::Int(0));
    // APPEND respects a lowered proto-max-bulk-len.
    assert_eq!(
        q(&mut c, &["CONFIG", "SET", "proto-max-bulk-len", "1mb"]),
        Value::Okay
    );
    assert_eq!(
        q(&mut c, &["SETRANGE", "big", "1048570", "x"]),
        Value::Int(1048571)
    );
    assert_eq!(error(&mut c, &["APPEND", "big", "123456"]), too_big);
    assert_eq!(q(&mut c, &["APPEND", "big", "12345"]), Value::Int(1048576));
}

#[test]
fn counters() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["INCR", "n"]), Value::Int(1));
    assert_eq!(q(&mut c, &["INCRBY", "n", "10"]), Value::Int(11));
    assert_eq!(q(&mut c, &["DECR", "n"]), Value::Int(10));
    assert_eq!(q(&mut c, &["DECRBY", "n", "20"]), Value::Int(-10));
    assert_eq!(q(&mut c, &["GET", "n"]), b("-10"));
    assert_eq!(q(&mut c, &["DECR", "fresh"]), Value::Int(-1));
    let not_int = "ERR value is not an integer or out of range";
    for v in [" 1", "1 ", "+1", "01", "1.5", "abc", ""] {
        assert_eq!(q(&mut c, &["SET", "s", v]), Value::Okay);
        assert_eq!(error(&mut c, &["INCR", "s"]), not_int, "{v:?}");
    }
    assert_eq!(error(&mut c, &["INCRBY", "n", "1.5"]), not_int);
    assert_eq!(error(&mut c, &["DECRBY", "n", "x"]), not_int);
    assert_eq!(
        error(&mut c, &["INCRBY", "n", "9223372036854775808"]),
        not_int
    );
    assert_eq!(q(&mut c, &["SET", "m", "9223372036854775807"]), Value::Okay);
    assert_eq!(
        error(&mut c, &["INCR", "m"]),
        "ERR increment or decrement would overflow"
    );
    assert_eq!(
        q(&mut c, &["SET", "m", "-9223372036854775808"]),
        Value::Okay
    );
    assert_eq!(
        error(&mut c, &["DECR", "m"]),
        "ERR increment or decrement would overflow"
    );
    assert_eq!(
        error(&mut c, &["DECRBY", "n", "-9223372036854775808"]),
        "ERR decrement would overflow"
    );
    assert_eq!(
        error(&mut c, &["INCR", "n", "1"]),
        "ERR wrong number of arguments for 'incr' command"
    );
    // A counter keeps the TTL.
    assert_eq!(q(&mut c, &["SET", "t", "1", "EX", "100"]), Value::Okay);
    assert_eq!(q(&mut c, &["INCR", "t"]), Value::Int(2));
    assert_eq!(q(&mut c, &["TTL", "t"]), Value::Int(100));
    // INCRBYFLOAT
    assert_eq!(q(&mut c, &["INCRBYFLOAT", "f", "10.5"]), b("10.5"));
    assert_eq!(q(&mut c, &["INCRBYFLOAT", "f", "0.1"]), b("10.6"));
    assert_eq!(q(&mut c, &["INCRBYFLOAT", "f", "-5"]), b("5.6"));
    assert_eq!(q(&mut c, &["SET", "f", "5.0e3"]), Value::Okay);
    assert_eq!(q(&mut c, &["INCRBYFLOAT", "f", "2.0e2"]), b("5200"));
    assert_eq!(q(&mut c, &["SET", "f", "17179869184"]), Value::Okay);
    assert_eq!(q(&mut c, &["INCRBYFLOAT", "f", "1.5"]), b("17179869185.5"));
    assert_eq!(q(&mut c, &["SET", "f", "1"]), Value::Okay);
    assert_eq!(q(&mut c, &["INCRBYFLOAT", "f", "-1.1"]), b("-0.1"));
    assert_eq!(q(&mut c, &["SET", "f", "0"]), Value::Okay);
    assert_eq!(
        error(&mut c, &["INCRBYFLOAT", "f", "+inf"]),
        "ERR increment would produce NaN or Infinity"
    );
    assert_eq!(
        error(&mut c, &["INCRBYFLOAT", "f", "x"]),
        "ERR value is not a valid float"
    );
    assert_eq!(q(&mut c, &["SET", "f", " 11"]), Value::Okay);
    assert_eq!(
        error(&mut c, &["INCRBYFLOAT", "f", "1"]),
        "ERR value is not a valid float"
    );
    assert_eq!(q(&mut c, &["SET", "t", "1", "EX", "100"]), Value::Okay);
    assert_eq!(q(&mut c, &["INCRBYFLOAT", "t", "1"]), b("2"));
    assert_eq!(q(&mut c, &["TTL", "t"]), Value::Int(100));
    // No negative zero.
    assert_eq!(q(&mut c, &["DEL", "z"]), Value::Int(0));
    q(&mut c, &["INCRBYFLOAT", "z", "0.024390243902439025"]);
    assert_eq!(
        q(&mut c, &["INCRBYFLOAT", "z", "-0.024390243902439025"]),
        b("0")
    );
}

#[test]
fn encodings() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["SET", "foo", "12345"]), Value::Okay);
    assert_eq!(enc(&mut c, "foo"), b("int"));
    assert_eq!(
        q(&mut c, &["SET", "foo", "-9223372036854775808"]),
        Value::Okay
    );
    assert_eq!(enc(&mut c, "foo"), b("int"));
    assert_eq!(q(&mut c, &["SET", "foo", "012"]), Value::Okay);
    assert_eq!(enc(&mut c, "foo"), b("embstr"));
    assert_eq!(q(&mut c, &["SET", "foo", "hello"]), Value::Okay);
    assert_eq!(enc(&mut c, "foo"), b("embstr"));
    // The key shares the 64-byte allocation: 38 bytes fit next to "foo".
    let v38 = "x".repeat(38);
    let v39 = "x".repeat(39);
    assert_eq!(q(&mut c, &["SET", "foo", &v38]), Value::Okay);
    assert_eq!(enc(&mut c, "foo"), b("embstr"));
    assert_eq!(q(&mut c, &["SET", "foo", &v39]), Value::Okay);
    assert_eq!(enc(&mut c, "foo"), b("raw"));
    assert_eq!(q(&mut c, &["SET", "foo", &"x".repeat(100)]), Value::Okay);
    assert_eq!(enc(&mut c, "foo"), b("raw"));
    // An expiry takes room too, and a string that outgrew stays raw.
    assert_eq!(q(&mut c, &["SET", "foo", &v38]), Value::Okay);
    assert_eq!(q(&mut c, &["EXPIRE", "foo", "100"]), Value::Int(1));
    assert_eq!(enc(&mut c, "foo"), b("raw"));
    assert_eq!(q(&mut c, &["PERSIST", "foo"]), Value::Int(1));
    assert_eq!(enc(&mut c, "foo"), b("raw"));
    // In-place changes make a string raw; counters make it int again.
    assert_eq!(q(&mut c, &["SET", "n", "1"]), Value::Okay);
    assert_eq!(q(&mut c, &["APPEND", "n", "2"]), Value::Int(2));
    assert_eq!(enc(&mut c, "n"), b("raw"));
    assert_eq!(q(&mut c, &["INCR", "n"]), Value::Int(13));
    assert_eq!(enc(&mut c, "n"), b("int"));
    assert_eq!(q(&mut c, &["SETRANGE", "n", "0", "2"]), Value::Int(2));
    assert_eq!(enc(&mut c, "n"), b("raw"));
    assert_eq!(q(&mut c, &["SETRANGE", "r", "0", "ab"]), Value::Int(2));
    assert_eq!(enc(&mut c, "r"), b("raw"));
    assert_eq!(q(&mut c, &["APPEND", "a", "12"]), Value::Int(2));
    assert_eq!(enc(&mut c, "a"), b("int"));
    // INCRBYFLOAT stores a plain string even when it looks like an integer.
    assert_eq!(q(&mut c, &["INCRBYFLOAT", "fl", "2"]), b("2"));
    assert_eq!(enc(&mut c, "fl"), b("embstr"));
    assert_eq!(
        q(&mut c, &["TYPE", "fl"]),
        Value::SimpleString("string".into())
    );
    assert_eq!(q(&mut c, &["OBJECT", "REFCOUNT", "fl"]), Value::Int(1));
    assert_eq!(enc(&mut c, "none"), Value::Nil);
}

#[test]
fn binary_safe_keys_and_values() {
    let node = Node::start();
    let mut c = node.client();
    let key: &[u8] = b"k\r\n\0ey";
    let val: &[u8] = b"a\r\nb\0c";
    let ok: Value = redis::cmd("SET").arg(key).arg(val).query(&mut c).unwrap();
    assert_eq!(ok, Value::Okay);
    let got: Vec<u8> = redis::cmd("GET").arg(key).query(&mut c).unwrap();
    assert_eq!(got, val);
    let n: i64 = redis::cmd("APPEND")
        .arg(key)
        .arg(b"\0\r\n")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 9);
    let got: Vec<u8> = redis::cmd("GETRANGE")
        .arg(key)
        .arg(3)
        .arg(5)
        .query(&mut c)
        .unwrap();
    assert_eq!(got, b"b\0c");
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("k*").query(&mut c).unwrap();
    assert_eq!(keys, vec![key.to_vec()]);
    let mut raw = node.raw();
    raw.roundtrip(
        b"*2\r\n$3\r\nGET\r\n$6\r\nk\r\n\0ey\r\n",
        b"$9\r\na\r\nb\0c\0\r\n\r\n",
    );
    raw.roundtrip(
        b"*3\r\n$3\r\nLCS\r\n$6\r\nk\r\n\0ey\r\n$1\r\nz\r\n",
        b"$0\r\n\r\n",
    );
}

#[test]
fn lcs_replies() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(
        q(&mut c, &["MSET", "a", "ohmytext", "b", "mynewtext"]),
        Value::Okay
    );
    assert_eq!(q(&mut c, &["LCS", "a", "b"]), b("mytext"));
    assert_eq!(q(&mut c, &["LCS", "a", "b", "LEN"]), Value::Int(6));
    assert_eq!(q(&mut c, &["LCS", "a", "nokey"]), b(""));
    assert_eq!(q(&mut c, &["LCS", "a", "nokey", "LEN"]), Value::Int(0));
    let pair = |x: i64, y: i64| Value::Array(vec![Value::Int(x), Value::Int(y)]);
    assert_eq!(
        q(&mut c, &["LCS", "a", "b", "IDX"]),
        Value::Array(vec![
            b("matches"),
            Value::Array(vec![
                Value::Array(vec![pair(4, 7), pair(5, 8)]),
                Value::Array(vec![pair(2, 3), pair(0, 1)]),
            ]),
            b("len"),
            Value::Int(6),
        ])
    );
    assert_eq!(
        q(
            &mut c,
            &["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]
        ),
        Value::Array(vec![
            b("matches"),
            Value::Array(vec![Value::Array(vec![
                pair(4, 7),
                pair(5, 8),
                Value::Int(4)
            ])]),
            b("len"),
            Value::Int(6),
        ])
    );
    assert_eq!(
        error(&mut c, &["LCS", "a", "b", "IDX", "LEN"]),
        "ERR If you want both the length and indexes, please just use IDX."
    );
    assert_eq!(error(&mut c, &["LCS", "a", "b", "FOO"]), "ERR syntax error");
    assert_eq!(
        error(&mut c, &["LCS", "a", "b", "MINMATCHLEN"]),
        "ERR syntax error"
    );
    assert_eq!(
        error(&mut c, &["LCS", "a", "b", "MINMATCHLEN", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        error(&mut c, &["LCS", "a"]),
        "ERR wrong number of arguments for 'lcs' command"
    );
    make_list(&mut c, "list");
    assert_eq!(
        error(&mut c, &["LCS", "a", "list"]),
        "ERR The specified keys must contain string values"
    );
    // RESP3: IDX is a map.
    let mut raw = node.raw();
    raw.hello3();
    raw.roundtrip(
        b"LCS a b IDX MINMATCHLEN 4\r\n",
        b"%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n",
    );
}

#[test]
fn delifeq_releases_only_a_matching_lock() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["SET", "lock", "tok"]), Value::Okay);
    assert_eq!(q(&mut c, &["DELIFEQ", "lock", "other"]), Value::Int(0));
    assert_eq!(q(&mut c, &["DELIFEQ", "lock", "tok"]), Value::Int(1));
    assert_eq!(q(&mut c, &["DELIFEQ", "lock", "tok"]), Value::Int(0));
    make_list(&mut c, "list");
    assert_eq!(
        error(&mut c, &["DELIFEQ", "list", "x"]),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        error(&mut c, &["DELIFEQ", "lock"]),
        "ERR wrong number of arguments for 'delifeq' command"
    );
}
