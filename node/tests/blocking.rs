//! Blocking list commands: clients that wait, are served, time out, and
//! never wait inside MULTI. Waits use deadlines, not bare sleeps.

mod common;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{error, resp, value, Node, WRONGTYPE};
use redis::Value::{self, Array, BulkString, Int};

fn s(x: &str) -> Value {
    BulkString(x.as_bytes().to_vec())
}

fn arr(xs: &[&str]) -> Value {
    Array(xs.iter().map(|x| s(x)).collect())
}

/// Number of clients CLIENT LIST shows as blocked (flag `b`).
fn blocked(c: &mut redis::Connection) -> usize {
    let list: String = redis::cmd("CLIENT").arg("LIST").query(c).unwrap();
    list.lines()
        .filter(|l| {
            l.split(' ')
                .find_map(|f| f.strip_prefix("flags="))
                .is_some_and(|f| f.contains('b'))
        })
        .count()
}

/// Waits (up to 10 s) until `n` clients are blocked.
fn wait_blocked(c: &mut redis::Connection, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while blocked(c) != n {
        assert!(Instant::now() < deadline, "expected {n} blocked clients");
        thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `args` on a fresh connection in a thread; the reply comes on the
/// returned channel.
fn spawn(node: &Node, args: &[&str]) -> mpsc::Receiver<Value> {
    let mut c = node.client();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let _ = tx.send(value(&mut c, &argv));
    });
    rx
}

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn blpop_is_served_by_a_push() {
    let node = Node::start();
    let mut c = node.client();
    let rx = spawn(&node, &["BLPOP", "q", "0"]);
    wait_blocked(&mut c, 1);
    assert_eq!(value(&mut c, &["RPUSH", "q", "a", "b"]), Int(2));
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), arr(&["q", "a"]));
    assert_eq!(value(&mut c, &["LRANGE", "q", "0", "-1"]), arr(&["b"]));
    wait_blocked(&mut c, 0);

    // BRPOP takes from the tail; the last element deletes the key.
    let rx = spawn(&node, &["BRPOP", "r", "0"]);
    wait_blocked(&mut c, 1);
    value(&mut c, &["LPUSH", "r", "x"]);
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), arr(&["r", "x"]));
    assert_eq!(value(&mut c, &["EXISTS", "r"]), Int(0));
}

#[test]
fn data_already_there_is_taken_at_once() {
    let node = Node::start();
    let mut c = node.client();
    value(&mut c, &["RPUSH", "b", "1", "2"]);
    value(&mut c, &["RPUSH", "c", "3"]);
    // The first non-empty key in argument order wins.
    assert_eq!(
        value(&mut c, &["BLPOP", "a", "b", "c", "0"]),
        arr(&["b", "1"])
    );
    assert_eq!(
        value(&mut c, &["BRPOP", "a", "c", "b", "0"]),
        arr(&["c", "3"])
    );
    assert_eq!(value(&mut c, &["BRPOPLPUSH", "b", "d", "0"]), s("2"));
    assert_eq!(
        value(&mut c, &["BLMOVE", "d", "e", "LEFT", "RIGHT", "0"]),
        s("2")
    );
    value(&mut c, &["RPUSH", "m", "1", "2", "3"]);
    assert_eq!(
        value(
            &mut c,
            &["BLMPOP", "0", "2", "x", "m", "RIGHT", "COUNT", "2"]
        ),
        Array(vec![s("m"), arr(&["3", "2"])])
    );
    assert_eq!(
        value(&mut c, &["BLMPOP", "0", "1", "m", "LEFT"]),
        Array(vec![s("m"), arr(&["1"])])
    );
    assert_eq!(value(&mut c, &["EXISTS", "m"]), Int(0));
}

#[test]
fn several_keys_first_pushed_wins() {
    let node = Node::start();
    let mut c = node.client();
    let rx = spawn(&node, &["BLPOP", "k1", "k2", "k3", "0"]);
    wait_blocked(&mut c, 1);
    value(&mut c, &["RPUSH", "k2", "v"]);
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), arr(&["k2", "v"]));

    let rx = spawn(
        &node,
        &["BLMPOP", "0", "2", "m1", "m2", "LEFT", "COUNT", "2"],
    );
    wait_blocked(&mut c, 1);
    value(&mut c, &["RPUSH", "m2", "1", "2", "3"]);
    assert_eq!(
        rx.recv_timeout(WAIT).unwrap(),
        Array(vec![s("m2"), arr(&["1", "2"])])
    );
    assert_eq!(value(&mut c, &["LRANGE", "m2", "0", "-1"]), arr(&["3"]));
}

#[test]
fn blmove_and_brpoplpush_are_served() {
    let node = Node::start();
    let mut c = node.client();
    let rx = spawn(&node, &["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]);
    wait_blocked(&mut c, 1);
    value(&mut c, &["RPUSH", "src", "a", "b"]);
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), s("b"));
    assert_eq!(value(&mut c, &["LRANGE", "dst", "0", "-1"]), arr(&["b"]));
    assert_eq!(value(&mut c, &["LRANGE", "src", "0", "-1"]), arr(&["a"]));

    let rx = spawn(&node, &["BRPOPLPUSH", "src2", "dst", "0"]);
    wait_blocked(&mut c, 1);
    value(&mut c, &["LPUSH", "src2", "z"]);
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), s("z"));
    assert_eq!(
        value(&mut c, &["LRANGE", "dst", "0", "-1"]),
        arr(&["z", "b"])
    );
    assert_eq!(value(&mut c, &["EXISTS", "src2"]), Int(0));
}

#[test]
fn timeouts_reply_null() {
    let node = Node::start();
    let mut raw = node.raw();
    let started = Instant::now();
    raw.roundtrip(&resp(&["BLPOP", "q", "0.1"]), b"*-1\r\n");
    assert!(started.elapsed() >= Duration::from_millis(90));
    raw.roundtrip(&resp(&["BRPOP", "q", "q2", "0.05"]), b"*-1\r\n");
    raw.roundtrip(&resp(&["BLMPOP", "0.05", "1", "q", "LEFT"]), b"*-1\r\n");
    raw.roundtrip(
        &resp(&["BLMOVE", "q", "d", "LEFT", "LEFT", "0.05"]),
        b"$-1\r\n",
    );
    raw.roundtrip(&resp(&["BRPOPLPUSH", "q", "d", "0.05"]), b"$-1\r\n");
    // RESP3 nulls.
    raw.send(b"HELLO 3\r\nPING\r\n");
    let mut got = Vec::new();
    let deadline = Instant::now() + WAIT;
    while !got.ends_with(b"+PONG\r\n") && Instant::now() < deadline {
        got.extend(raw.read_n(1));
    }
    raw.roundtrip(&resp(&["BLPOP", "q", "0.05"]), b"_\r\n");
    raw.roundtrip(
        &resp(&["BLMOVE", "q", "d", "LEFT", "LEFT", "0.05"]),
        b"_\r\n",
    );
    let mut c = node.client();
    assert_eq!(value(&mut c, &["EXISTS", "d"]), Int(0));
}

#[test]
fn inside_multi_nothing_blocks() {
    let node = Node::start();
    let mut raw = node.raw();
    raw.roundtrip(&resp(&["MULTI"]), b"+OK\r\n");
    for cmd in [
        resp(&["BLPOP", "q", "0"]),
        resp(&["BRPOP", "q", "0"]),
        resp(&["BLMOVE", "q", "d", "LEFT", "LEFT", "0"]),
        resp(&["BRPOPLPUSH", "q", "d", "0"]),
        resp(&["BLMPOP", "0", "1", "q", "LEFT"]),
        resp(&["RPUSH", "q", "a"]),
        resp(&["BLPOP", "q", "0"]),
    ] {
        raw.roundtrip(&cmd, b"+QUEUED\r\n");
    }
    let started = Instant::now();
    raw.roundtrip(
        &resp(&["EXEC"]),
        b"*7\r\n*-1\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n:1\r\n*2\r\n$1\r\nq\r\n$1\r\na\r\n",
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn wrong_type_keys() {
    let node = Node::start();
    let mut c = node.client();
    value(&mut c, &["SET", "str", "v"]);
    // Not blocked yet: a key of another type fails at once.
    assert_eq!(error(&mut c, &["BLPOP", "str", "0"]), WRONGTYPE);
    assert_eq!(error(&mut c, &["BLPOP", "nope", "str", "0"]), WRONGTYPE);
    assert_eq!(
        error(&mut c, &["BLMPOP", "0", "1", "str", "LEFT"]),
        WRONGTYPE
    );
    assert_eq!(
        error(&mut c, &["BLMOVE", "str", "d", "LEFT", "LEFT", "0"]),
        WRONGTYPE
    );
    value(&mut c, &["RPUSH", "l", "x"]);
    assert_eq!(error(&mut c, &["BRPOPLPUSH", "l", "str", "0"]), WRONGTYPE);
    assert_eq!(value(&mut c, &["LRANGE", "l", "0", "-1"]), arr(&["x"]));
    // A list before the string is served.
    assert_eq!(value(&mut c, &["BLPOP", "l", "str", "0"]), arr(&["l", "x"]));

    // Blocked: the key turning into a string does not wake the client
    // (Valkey only serves a key that holds a list); a later list does.
    let rx = spawn(&node, &["BLPOP", "k", "0"]);
    wait_blocked(&mut c, 1);
    value(&mut c, &["SET", "k", "string"]);
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    assert_eq!(blocked(&mut c), 1);
    value(&mut c, &["DEL", "k"]);
    value(&mut c, &["RPUSH", "k", "v"]);
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), arr(&["k", "v"]));

    // Woken by a list on a later key, the command runs again from the
    // start (Valkey 7.2+ re-executes it), so an earlier key that became a
    // string now fails it. (Redis 7.0 served the list instead.)
    let mut w = node.client();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(error(&mut w, &["BLPOP", "k1", "k2", "0"]));
    });
    wait_blocked(&mut c, 1);
    value(&mut c, &["SET", "k1", "string"]);
    value(&mut c, &["RPUSH", "k2", "v"]);
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), WRONGTYPE);
    assert_eq!(value(&mut c, &["LRANGE", "k2", "0", "-1"]), arr(&["v"]));
}

#[test]
fn two_waiters_each_get_one_element() {
    let node = Node::start();
    let mut c = node.client();
    let rx1 = spawn(&node, &["BLPOP", "q", "0"]);
    let rx2 = spawn(&node, &["BLPOP", "q", "0"]);
    wait_blocked(&mut c, 2);
    value(&mut c, &["RPUSH", "q", "a"]);
    let deadline = Instant::now() + WAIT;
    let first = loop {
        if let Ok(v) = rx1.try_recv() {
            break (v, &rx2);
        }
        if let Ok(v) = rx2.try_recv() {
            break (v, &rx1);
        }
        assert!(Instant::now() < deadline, "nobody was served");
        thread::sleep(Duration::from_millis(2));
    };
    assert_eq!(first.0, arr(&["q", "a"]));
    wait_blocked(&mut c, 1);
    value(&mut c, &["RPUSH", "q", "b"]);
    assert_eq!(first.1.recv_timeout(WAIT).unwrap(), arr(&["q", "b"]));
    assert_eq!(value(&mut c, &["EXISTS", "q"]), Int(0));
}

#[test]
fn argument_errors() {
    let node = Node::start();
    let mut c = node.client();
    let neg = "ERR timeout is negative";
    let nf = "ERR timeout is not a float or out of range";
    assert_eq!(error(&mut c, &["BLPOP", "q", "-1"]), neg);
    assert_eq!(error(&mut c, &["BRPOP", "q", "abc"]), nf);
    assert_eq!(
        error(&mut c, &["BLMOVE", "q", "d", "LEFT", "LEFT", "-0.5"]),
        neg
    );
    assert_eq!(error(&mut c, &["BRPOPLPUSH", "q", "d", "x"]), nf);
    assert_eq!(error(&mut c, &["BLMPOP", "x", "1", "q", "LEFT"]), nf);
    assert_eq!(
        error(&mut c, &["BLPOP", "q", "inf"]),
        "ERR timeout is out of range"
    );
    // BLMPOP checks numkeys, direction and COUNT before the timeout.
    assert_eq!(
        error(&mut c, &["BLMPOP", "x", "0", "q", "LEFT"]),
        "ERR numkeys should be greater than 0"
    );
    assert_eq!(
        error(&mut c, &["BLMPOP", "x", "1", "q", "UP"]),
        "ERR syntax error"
    );
    assert_eq!(
        error(&mut c, &["BLMPOP", "0", "2", "q", "LEFT"]),
        "ERR syntax error"
    );
    assert_eq!(
        error(&mut c, &["BLMPOP", "x", "1", "q", "LEFT", "COUNT", "0"]),
        "ERR count should be greater than 0"
    );
    // BLMOVE checks its directions before the timeout.
    assert_eq!(
        error(&mut c, &["BLMOVE", "q", "d", "UP", "LEFT", "x"]),
        "ERR syntax error"
    );
    assert_eq!(
        error(&mut c, &["BLPOP", "q"]),
        "ERR wrong number of arguments for 'blpop' command"
    );
}
