//! Expiry over real TCP: EXPIRE family with NX/XX/GT/LT, TTL family,
//! PERSIST, lazy and active expiry.

mod common;

use std::time::{Duration, Instant};

use common::{error, value, Node};
use redis::Value;

fn q(c: &mut redis::Connection, args: &[&str]) -> Value {
    value(c, args)
}

fn int(v: Value) -> i64 {
    match v {
        Value::Int(n) => n,
        other => panic!("not an integer: {other:?}"),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Polls `f` until it returns true, failing after `secs` seconds.
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn expire_family() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["EXPIRE", "nope", "100"]), Value::Int(0));
    assert_eq!(q(&mut c, &["SET", "k", "v"]), Value::Okay);
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["PTTL", "k"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["EXPIRETIME", "k"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["PEXPIRETIME", "k"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["TTL", "nope"]), Value::Int(-2));
    assert_eq!(q(&mut c, &["PTTL", "nope"]), Value::Int(-2));
    assert_eq!(q(&mut c, &["EXPIRETIME", "nope"]), Value::Int(-2));
    assert_eq!(q(&mut c, &["PEXPIRETIME", "nope"]), Value::Int(-2));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "100"]), Value::Int(1));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(100));
    let pttl = int(q(&mut c, &["PTTL", "k"]));
    assert!((99_000..=100_000).contains(&pttl), "{pttl}");
    let before = now_ms();
    assert_eq!(q(&mut c, &["PEXPIRE", "k", "200000"]), Value::Int(1));
    let at = int(q(&mut c, &["PEXPIRETIME", "k"]));
    assert!(at >= before + 200_000 && at <= now_ms() + 200_000, "{at}");
    assert_eq!(int(q(&mut c, &["EXPIRETIME", "k"])), (at + 500) / 1000);
    assert_eq!(q(&mut c, &["EXPIREAT", "k", "4102444800"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXPIRETIME", "k"]), Value::Int(4102444800));
    assert_eq!(
        q(&mut c, &["PEXPIREAT", "k", "4102444800999"]),
        Value::Int(1)
    );
    assert_eq!(q(&mut c, &["PEXPIRETIME", "k"]), Value::Int(4102444800999));
    assert_eq!(q(&mut c, &["EXPIRETIME", "k"]), Value::Int(4102444801));
    // PERSIST
    assert_eq!(q(&mut c, &["PERSIST", "k"]), Value::Int(1));
    assert_eq!(q(&mut c, &["PERSIST", "k"]), Value::Int(0));
    assert_eq!(q(&mut c, &["PERSIST", "nope"]), Value::Int(0));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(-1));
    // A time in the past deletes the key (and replies 1).
    for cmd in [
        &["EXPIRE", "k", "-1"][..],
        &["EXPIRE", "k", "0"],
        &["PEXPIRE", "k", "-100"],
        &["EXPIREAT", "k", "1"],
        &["PEXPIREAT", "k", "0"],
    ] {
        assert_eq!(q(&mut c, &["SET", "k", "v"]), Value::Okay);
        assert_eq!(q(&mut c, cmd), Value::Int(1), "{cmd:?}");
        assert_eq!(q(&mut c, &["EXISTS", "k"]), Value::Int(0), "{cmd:?}");
    }
    // Errors.
    let not_int = "ERR value is not an integer or out of range";
    assert_eq!(error(&mut c, &["EXPIRE", "k", "x"]), not_int);
    assert_eq!(error(&mut c, &["EXPIRE", "k", "1.5"]), not_int);
    assert_eq!(
        error(&mut c, &["EXPIRE", "k", "9223372036854775807"]),
        "ERR invalid expire time in 'expire' command"
    );
    assert_eq!(
        error(&mut c, &["EXPIRE", "k", "-9223372036854775808"]),
        "ERR invalid expire time in 'expire' command"
    );
    assert_eq!(
        error(&mut c, &["PEXPIRE", "k", "9223372036854775807"]),
        "ERR invalid expire time in 'pexpire' command"
    );
    assert_eq!(
        error(&mut c, &["EXPIREAT", "k", "9223372036854775807"]),
        "ERR invalid expire time in 'expireat' command"
    );
    assert_eq!(
        q(&mut c, &["PEXPIREAT", "nope", "9223372036854775807"]),
        Value::Int(0)
    );
    assert_eq!(
        error(&mut c, &["EXPIRE", "k"]),
        "ERR wrong number of arguments for 'expire' command"
    );
    assert_eq!(
        error(&mut c, &["TTL"]),
        "ERR wrong number of arguments for 'ttl' command"
    );
    assert_eq!(
        error(&mut c, &["PERSIST", "a", "b"]),
        "ERR wrong number of arguments for 'persist' command"
    );
    assert_eq!(
        error(&mut c, &["PEXPIRETIME"]),
        "ERR wrong number of arguments for 'pexpiretime' command"
    );
}

#[test]
fn expire_conditions() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["SET", "k", "v"]), Value::Okay);
    // No TTL yet: XX and GT fail, NX and LT succeed.
    assert_eq!(q(&mut c, &["EXPIRE", "k", "100", "XX"]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "100", "GT"]), Value::Int(0));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "100", "NX"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "200", "NX"]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "200", "xx"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "100", "GT"]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "300", "gt"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "400", "LT"]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "50", "lt"]), Value::Int(1));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(50));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "60", "XX", "GT"]), Value::Int(1));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(60));
    assert_eq!(q(&mut c, &["PERSIST", "k"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "60", "LT"]), Value::Int(1));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(60));
    assert_eq!(q(&mut c, &["EXPIRE", "nope", "60", "NX"]), Value::Int(0));
    let nx_msg = "ERR NX and XX, GT or LT options at the same time are not compatible";
    assert_eq!(error(&mut c, &["EXPIRE", "k", "1", "NX", "XX"]), nx_msg);
    assert_eq!(error(&mut c, &["EXPIRE", "k", "1", "NX", "GT"]), nx_msg);
    assert_eq!(error(&mut c, &["PEXPIRE", "k", "1", "LT", "NX"]), nx_msg);
    assert_eq!(
        error(&mut c, &["EXPIREAT", "k", "1", "GT", "LT"]),
        "ERR GT and LT options at the same time are not compatible"
    );
    assert_eq!(
        error(&mut c, &["EXPIRE", "k", "1", "FOO"]),
        "ERR Unsupported option FOO"
    );
    // Options are checked before the number.
    assert_eq!(
        error(&mut c, &["EXPIRE", "k", "x", "FOO"]),
        "ERR Unsupported option FOO"
    );
    assert_eq!(error(&mut c, &["EXPIRE", "k", "x", "NX", "XX"]), nx_msg);
    // GT and LT on a past time still delete the key when allowed.
    assert_eq!(q(&mut c, &["EXPIRE", "k", "-1", "LT"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXISTS", "k"]), Value::Int(0));
}

#[test]
fn lazy_expiry_hides_keys() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(q(&mut c, &["SET", "k", "v", "PX", "50"]), Value::Okay);
    assert_eq!(q(&mut c, &["SET", "keep", "v"]), Value::Okay);
    eventually(5, "k to expire", || q(&mut c, &["GET", "k"]) == Value::Nil);
    assert_eq!(q(&mut c, &["EXISTS", "k"]), Value::Int(0));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(-2));
    assert_eq!(
        q(&mut c, &["TYPE", "k"]),
        Value::SimpleString("none".into())
    );
    assert_eq!(
        q(&mut c, &["KEYS", "*"]),
        Value::Array(vec![Value::BulkString(b"keep".to_vec())])
    );
    // An expired key counts as absent for writes too.
    assert_eq!(q(&mut c, &["SET", "n", "5", "PX", "30"]), Value::Okay);
    eventually(5, "n to expire", || {
        q(&mut c, &["EXISTS", "n"]) == Value::Int(0)
    });
    assert_eq!(q(&mut c, &["INCR", "n"]), Value::Int(1));
    assert_eq!(q(&mut c, &["TTL", "n"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["SET", "s", "v", "PX", "30"]), Value::Okay);
    eventually(5, "s to expire", || {
        q(&mut c, &["EXISTS", "s"]) == Value::Int(0)
    });
    assert_eq!(q(&mut c, &["SETNX", "s", "w"]), Value::Int(1));
    assert_eq!(q(&mut c, &["GET", "s"]), Value::BulkString(b"w".to_vec()));
    assert_eq!(q(&mut c, &["TTL", "s"]), Value::Int(-1));
}

#[test]
fn active_expiry_removes_untouched_keys() {
    let node = Node::start();
    let mut c = node.client();
    let mut pipe = redis::pipe();
    for i in 0..200 {
        pipe.cmd("SET")
            .arg(format!("k{i}"))
            .arg("v")
            .arg("PX")
            .arg(100)
            .ignore();
    }
    let () = pipe.query(&mut c).unwrap();
    assert_eq!(q(&mut c, &["SET", "persistent", "v"]), Value::Okay);
    // Nobody reads the volatile keys: only the active cycle can delete them.
    eventually(10, "active expiry", || {
        q(&mut c, &["DBSIZE"]) == Value::Int(1)
    });
    assert_eq!(
        q(&mut c, &["GET", "persistent"]),
        Value::BulkString(b"v".to_vec())
    );
}
