//! Publish/subscribe over real TCP, byte-exact in RESP2 and RESP3.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{error, value, Node};
use redis::Value;

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

#[test]
fn subscribe_publish_resp2() {
    let node = Node::start();
    let mut sub = node.raw();
    sub.roundtrip(
        b"SUBSCRIBE news sport\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$5\r\nsport\r\n:2\r\n",
    );
    // Subscribing twice does not count twice.
    sub.roundtrip(
        b"SUBSCRIBE news\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:2\r\n",
    );
    sub.roundtrip(
        b"PSUBSCRIBE n*\r\n",
        b"*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:3\r\n",
    );
    let mut c = node.client();
    assert_eq!(value(&mut c, &["PUBLISH", "news", "hello"]), Value::Int(2));
    assert_eq!(value(&mut c, &["PUBLISH", "nothing", "x"]), Value::Int(1));
    assert_eq!(value(&mut c, &["PUBLISH", "other", "x"]), Value::Int(0));
    let want: &[u8] = b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n\
*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$5\r\nhello\r\n\
*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$7\r\nnothing\r\n$1\r\nx\r\n";
    assert_eq!(
        String::from_utf8_lossy(&sub.read_n(want.len())),
        String::from_utf8_lossy(want)
    );
}

#[test]
fn resp2_subscribed_context_allows_only_subscription_commands() {
    let node = Node::start();
    let mut sub = node.raw();
    sub.roundtrip(
        b"SUBSCRIBE a\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n",
    );
    sub.roundtrip(
        b"GET k\r\n",
        b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    sub.roundtrip(
        b"CONFIG GET port\r\n",
        b"-ERR Can't execute 'config|get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    sub.roundtrip(b"PING\r\n", b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    sub.roundtrip(b"PING hi\r\n", b"*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
    // Leaving every channel leaves the context.
    sub.roundtrip(
        b"UNSUBSCRIBE\r\n",
        b"*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n",
    );
    sub.roundtrip(b"GET k\r\n", b"$-1\r\n");
    sub.roundtrip(b"PING\r\n", b"+PONG\r\n");
}

#[test]
fn unsubscribe_variants() {
    let node = Node::start();
    let mut sub = node.raw();
    // Nothing to leave: one reply with a null name.
    sub.roundtrip(
        b"UNSUBSCRIBE\r\n",
        b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n",
    );
    sub.roundtrip(
        b"PUNSUBSCRIBE\r\n",
        b"*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n",
    );
    sub.roundtrip(
        b"SUBSCRIBE a b\r\nPSUBSCRIBE p*\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n",
    );
    // Leaving a channel one is not in still answers, with the count.
    sub.roundtrip(
        b"UNSUBSCRIBE zz\r\n",
        b"*3\r\n$11\r\nunsubscribe\r\n$2\r\nzz\r\n:3\r\n",
    );
    sub.roundtrip(
        b"UNSUBSCRIBE\r\n",
        b"*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:1\r\n",
    );
    sub.roundtrip(
        b"PUNSUBSCRIBE\r\n",
        b"*3\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n:0\r\n",
    );
    let mut c = node.client();
    assert_eq!(value(&mut c, &["PUBLISH", "a", "x"]), Value::Int(0));
}

#[test]
fn resp3_pushes_and_commands_while_subscribed() {
    let node = Node::start();
    let mut sub = node.raw();
    sub.send(b"HELLO 3\r\n");
    assert_eq!(&sub.read_n(4), b"%7\r\n");
    // Drain the rest of the HELLO map: read until the modules entry.
    let mut rest = Vec::new();
    while !rest.ends_with(b"$7\r\nmodules\r\n*0\r\n") {
        let b = sub.read_n(1);
        assert!(!b.is_empty(), "HELLO reply cut short");
        rest.extend(b);
    }
    sub.roundtrip(
        b"SUBSCRIBE ch\r\n",
        b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n",
    );
    // RESP3 clients may run any command while subscribed.
    sub.roundtrip(
        b"SET k v\r\nGET k\r\nPING\r\n",
        b"+OK\r\n$1\r\nv\r\n+PONG\r\n",
    );
    let mut c = node.client();
    assert_eq!(value(&mut c, &["PUBLISH", "ch", "hey"]), Value::Int(1));
    sub.roundtrip(b"", b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nhey\r\n");
    sub.roundtrip(
        b"PSUBSCRIBE c?\r\n",
        b">3\r\n$10\r\npsubscribe\r\n$2\r\nc?\r\n:2\r\n",
    );
    assert_eq!(value(&mut c, &["PUBLISH", "ch", "2"]), Value::Int(2));
    sub.roundtrip(
        b"",
        b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\n2\r\n>4\r\n$8\r\npmessage\r\n$2\r\nc?\r\n$2\r\nch\r\n$1\r\n2\r\n",
    );
    sub.roundtrip(
        b"UNSUBSCRIBE ch\r\n",
        b">3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:1\r\n",
    );
}

#[test]
fn shard_channels() {
    let node = Node::start();
    let mut sub = node.raw();
    sub.roundtrip(
        b"SSUBSCRIBE s1 s2\r\n",
        b"*3\r\n$10\r\nssubscribe\r\n$2\r\ns1\r\n:1\r\n*3\r\n$10\r\nssubscribe\r\n$2\r\ns2\r\n:2\r\n",
    );
    let mut c = node.client();
    // PUBLISH does not reach shard subscribers, SPUBLISH does.
    assert_eq!(value(&mut c, &["PUBLISH", "s1", "x"]), Value::Int(0));
    assert_eq!(value(&mut c, &["SPUBLISH", "s1", "y"]), Value::Int(1));
    sub.roundtrip(b"", b"*3\r\n$8\r\nsmessage\r\n$2\r\ns1\r\n$1\r\ny\r\n");
    let chans: Vec<String> = redis::cmd("PUBSUB")
        .arg("SHARDCHANNELS")
        .query(&mut c)
        .unwrap();
    let mut chans = chans;
    chans.sort();
    assert_eq!(chans, ["s1", "s2"]);
    assert_eq!(
        value(&mut c, &["PUBSUB", "SHARDNUMSUB", "s1", "nope"]),
        Value::Array(vec![bulk("s1"), Value::Int(1), bulk("nope"), Value::Int(0)])
    );
    // Shard subscriptions are counted apart from the others.
    sub.roundtrip(
        b"SUBSCRIBE c\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n",
    );
    sub.roundtrip(
        b"SUNSUBSCRIBE\r\n",
        b"*3\r\n$12\r\nsunsubscribe\r\n$2\r\ns1\r\n:1\r\n*3\r\n$12\r\nsunsubscribe\r\n$2\r\ns2\r\n:0\r\n",
    );
}

#[test]
fn pubsub_introspection() {
    let node = Node::start();
    let mut a = node.raw();
    a.roundtrip(
        b"SUBSCRIBE news.1 news.2 other\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$6\r\nnews.1\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$6\r\nnews.2\r\n:2\r\n*3\r\n$9\r\nsubscribe\r\n$5\r\nother\r\n:3\r\n",
    );
    let mut b = node.raw();
    b.roundtrip(
        b"SUBSCRIBE news.1\r\nPSUBSCRIBE x* y*\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$6\r\nnews.1\r\n:1\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\nx*\r\n:2\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\ny*\r\n:3\r\n",
    );
    let mut c = node.client();
    let mut all: Vec<String> = redis::cmd("PUBSUB").arg("CHANNELS").query(&mut c).unwrap();
    all.sort();
    assert_eq!(all, ["news.1", "news.2", "other"]);
    let mut news: Vec<String> = redis::cmd("PUBSUB")
        .arg("CHANNELS")
        .arg("news.*")
        .query(&mut c)
        .unwrap();
    news.sort();
    assert_eq!(news, ["news.1", "news.2"]);
    assert_eq!(
        value(&mut c, &["PUBSUB", "NUMSUB", "news.1", "other", "none"]),
        Value::Array(vec![
            bulk("news.1"),
            Value::Int(2),
            bulk("other"),
            Value::Int(1),
            bulk("none"),
            Value::Int(0)
        ])
    );
    assert_eq!(value(&mut c, &["PUBSUB", "NUMSUB"]), Value::Array(vec![]));
    assert_eq!(value(&mut c, &["PUBSUB", "NUMPAT"]), Value::Int(2));
    assert_eq!(
        error(&mut c, &["PUBSUB", "CHANNELS", "a", "b"]),
        "ERR wrong number of arguments for 'pubsub|channels' command"
    );
    assert_eq!(
        error(&mut c, &["PUBSUB", "NOPE"]),
        "ERR unknown subcommand 'NOPE'. Try PUBSUB HELP."
    );
    assert_eq!(
        error(&mut c, &["PUBLISH", "a"]),
        "ERR wrong number of arguments for 'publish' command"
    );
    // A closed subscriber's subscriptions go away with it.
    drop(b);
    let deadline = Instant::now() + Duration::from_secs(5);
    while value(&mut c, &["PUBSUB", "NUMPAT"]) != Value::Int(0) {
        assert!(
            Instant::now() < deadline,
            "patterns of a closed client remain"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let info: String = redis::cmd("INFO").arg("stats").query(&mut c).unwrap();
    assert!(info.contains("pubsub_channels:3\r\n"), "{info}");
    assert!(info.contains("pubsub_patterns:0\r\n"), "{info}");
    let info: String = redis::cmd("INFO").arg("clients").query(&mut c).unwrap();
    assert!(info.contains("pubsub_clients:1\r\n"), "{info}");
}

#[test]
fn slow_subscriber_is_disconnected() {
    let mut node = Node::start();
    let mut slow = node.raw();
    slow.roundtrip(
        b"SUBSCRIBE firehose\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$8\r\nfirehose\r\n:1\r\n",
    );
    // It never reads again. Publish ~80 MB, well past the 32 MB limit.
    let mut publisher = node.raw();
    let payload = vec![b'z'; 100 * 1024];
    let mut req = Vec::new();
    req.extend_from_slice(b"*3\r\n$7\r\nPUBLISH\r\n$8\r\nfirehose\r\n$102400\r\n");
    req.extend_from_slice(&payload);
    req.extend_from_slice(b"\r\n");
    let writer = {
        let mut s = publisher.s.try_clone().unwrap();
        std::thread::spawn(move || {
            for _ in 0..800 {
                if s.write_all(&req).is_err() {
                    break;
                }
            }
        })
    };
    // Drain the publisher's replies so it never blocks.
    let mut got = 0;
    while got < 800 * 4 {
        let n = publisher.read_n(4 * 100).len();
        if n == 0 {
            break;
        }
        got += n;
    }
    writer.join().unwrap();
    let mut c = node.client();
    let info: String = redis::cmd("INFO").arg("stats").query(&mut c).unwrap();
    assert!(
        info.contains("client_output_buffer_limit_disconnections:1\r\n"),
        "{info}"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while value(&mut c, &["PUBSUB", "NUMSUB", "firehose"])
        != Value::Array(vec![bulk("firehose"), Value::Int(0)])
    {
        assert!(Instant::now() < deadline, "the slow subscriber stayed");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(slow.closed());
    assert!(node.alive());
}
