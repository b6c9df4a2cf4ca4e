//! Protocol robustness over real TCP: malformed and hostile input gets
//! Valkey's exact error, closes only the offending client, never costs
//! memory the client merely claims, and never takes the node down.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{value, Node};

/// The node still answers a fresh client.
fn still_serving(node: &mut Node) {
    let mut c = node.client();
    assert_eq!(redis::cmd("PING").query::<String>(&mut c).unwrap(), "PONG");
    assert!(node.alive(), "node died");
}

/// Sends `req` on a new connection, expects exactly `reply`, then EOF.
fn rejected(node: &mut Node, req: &[u8], reply: &[u8]) {
    let mut raw = node.raw();
    raw.roundtrip(req, reply);
    assert!(raw.closed(), "connection stays open after {reply:?}");
    still_serving(node);
}

#[test]
fn malformed_frames_get_valkey_errors_and_close() {
    let mut node = Node::start();
    rejected(
        &mut node,
        b"*1\r\n+x\r\n",
        b"-ERR Protocol error: expected '$', got '+'\r\n",
    );
    rejected(
        &mut node,
        b"*1\r\n$-5\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    );
    rejected(
        &mut node,
        b"*x\r\n",
        b"-ERR Protocol error: invalid multibulk length\r\n",
    );
    rejected(
        &mut node,
        b"*1\r\n$abc\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    );
    rejected(
        &mut node,
        b"*2147483648\r\n",
        b"-ERR Protocol error: invalid multibulk length\r\n",
    );
    rejected(
        &mut node,
        b"SET \"a b\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
    );
    rejected(
        &mut node,
        b"SET 'a'b c\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
    );
}

#[test]
fn nul_in_an_inline_request_ends_the_line() {
    // Valkey splits inline requests as C strings. This input once made the
    // node loop forever allocating empty arguments.
    let mut node = Node::start();
    let mut raw = node.raw();
    raw.roundtrip(b"ECHO a\0junk\r\nPING\r\n", b"$1\r\na\r\n+PONG\r\n");
    raw.roundtrip(b"\0\0\0\r\nPING\r\n", b"+PONG\r\n");
    raw.roundtrip(
        b"ECHO \"a\0b\"\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
    );
    assert!(raw.closed());
    still_serving(&mut node);
}

#[test]
fn replies_before_a_protocol_error_are_still_sent() {
    let mut node = Node::start();
    rejected(
        &mut node,
        b"PING\r\n*1\r\n$x\r\n",
        b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n",
    );
}

#[test]
fn empty_and_negative_multibulk_counts_are_ignored() {
    let mut node = Node::start();
    let mut raw = node.raw();
    raw.roundtrip(b"*0\r\n*-1\r\n*-10\r\n\r\nPING\r\n", b"+PONG\r\n");
    still_serving(&mut node);
}

#[test]
fn bulk_longer_than_proto_max_bulk_len_is_refused() {
    let mut node = Node::start();
    let mut c = node.client();
    // Valkey's minimum for proto-max-bulk-len is 1mb.
    assert_eq!(
        value(&mut c, &["CONFIG", "SET", "proto-max-bulk-len", "1mb"]),
        redis::Value::Okay
    );
    let mut raw = node.raw();
    // Exactly the limit is fine (the data need not arrive for the check).
    raw.send(b"*2\r\n$4\r\nECHO\r\n$1048576\r\n");
    let mut raw2 = node.raw();
    rejected(
        &mut node,
        b"*2\r\n$4\r\nECHO\r\n$1048577\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    );
    raw2.roundtrip(b"PING\r\n", b"+PONG\r\n");
    drop(raw);
}

#[test]
fn huge_claimed_lengths_do_not_allocate() {
    let mut node = Node::start();
    let before = node.rss();
    let mut hogs = Vec::new();
    for _ in 0..20 {
        let mut raw = node.raw();
        // Two billion arguments, the first of 512 MB: claimed, never sent.
        raw.send(b"*2000000000\r\n$536870912\r\nabc");
        hogs.push(raw);
    }
    // Let the node read everything, then check it did not reserve memory.
    let mut probe = node.raw();
    probe.roundtrip(b"PING\r\n", b"+PONG\r\n");
    std::thread::sleep(Duration::from_millis(200));
    let after = node.rss();
    assert!(
        after < before + 64 * 1024 * 1024,
        "RSS grew from {before} to {after}"
    );
    still_serving(&mut node);
}

#[test]
fn too_big_inline_request_is_refused() {
    let mut node = Node::start();
    let mut raw = node.raw();
    let mut junk = vec![b'a'; 70 * 1024];
    junk[0] = b'S';
    raw.send(&junk);
    let reply = raw.read_n(b"-ERR Protocol error: too big inline request\r\n".len());
    assert_eq!(
        String::from_utf8_lossy(&reply),
        "-ERR Protocol error: too big inline request\r\n"
    );
    assert!(raw.closed());
    still_serving(&mut node);
}

#[test]
fn too_big_count_header_is_refused() {
    let mut node = Node::start();
    let mut raw = node.raw();
    let mut junk = b"*".to_vec();
    junk.extend(std::iter::repeat_n(b'1', 70 * 1024));
    raw.send(&junk);
    let want = "-ERR Protocol error: too big mbulk count string\r\n";
    assert_eq!(String::from_utf8_lossy(&raw.read_n(want.len())), want);
    assert!(raw.closed());
    still_serving(&mut node);
}

#[test]
fn binary_keys_and_values_round_trip() {
    let node = Node::start();
    let mut c = node.client();
    let key: &[u8] = b"k\r\n\0\xff";
    let val: &[u8] = b"\0\r\n$3\r\n*1\r\n\xfe";
    let _: () = redis::cmd("SET").arg(key).arg(val).query(&mut c).unwrap();
    let got: Vec<u8> = redis::cmd("GET").arg(key).query(&mut c).unwrap();
    assert_eq!(got, val);
    let mut raw = node.raw();
    raw.roundtrip(
        b"*2\r\n$3\r\nGET\r\n$5\r\nk\r\n\0\xff\r\n",
        b"$12\r\n\0\r\n$3\r\n*1\r\n\xfe\r\n",
    );
    // Inline requests take \x escapes in double quotes.
    raw.roundtrip(
        b"GET \"k\\r\\n\\x00\\xff\"\r\n",
        b"$12\r\n\0\r\n$3\r\n*1\r\n\xfe\r\n",
    );
}

#[test]
fn client_gone_mid_frame_leaves_others_working() {
    let mut node = Node::start();
    for partial in [
        &b"*3\r\n$3\r\nSET\r\n$1\r\nk"[..],
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc",
        b"*2",
        b"SET k",
    ] {
        let mut raw = node.raw();
        raw.send(partial);
        drop(raw);
    }
    let mut c = node.client();
    assert_eq!(value(&mut c, &["GET", "k"]), redis::Value::Nil);
    still_serving(&mut node);
}

#[test]
fn query_buffer_limit_closes_only_that_client() {
    let mut node = Node::start();
    let mut c = node.client();
    // Valkey's minimum for client-query-buffer-limit is 1mb.
    assert_eq!(
        value(
            &mut c,
            &["CONFIG", "SET", "client-query-buffer-limit", "1mb"]
        ),
        redis::Value::Okay
    );
    // One big argument that never completes.
    let mut raw = node.raw();
    raw.send(b"*2\r\n$4\r\nECHO\r\n$3000000\r\n");
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    while sent < 2_000_000 {
        if raw.s.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    assert!(raw.closed());
    // Many small arguments of an unfinished request count too.
    let mut raw = node.raw();
    raw.send(b"*100000\r\n");
    let arg = b"$1000\r\n"
        .iter()
        .chain([b'y'; 1000].iter())
        .chain(b"\r\n")
        .copied()
        .collect::<Vec<u8>>();
    for _ in 0..2000 {
        if raw.s.write_all(&arg).is_err() {
            break;
        }
    }
    assert!(raw.closed());
    assert_eq!(
        redis::cmd("PING").query::<String>(&mut c).unwrap(),
        "PONG",
        "the other client was closed too"
    );
    let info: String = redis::cmd("INFO").arg("stats").query(&mut c).unwrap();
    assert!(
        info.contains("client_query_buffer_limit_disconnections:2\r\n"),
        "{info}"
    );
    still_serving(&mut node);
}

/// Raises this process's open-file limit to `want` (or the hard limit).
fn raise_nofile(want: u64) -> u64 {
    // SAFETY: getrlimit/setrlimit only touch the struct passed.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        if lim.rlim_cur < want {
            lim.rlim_cur = want.min(lim.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur
    }
}

#[test]
fn five_thousand_idle_connections() {
    const N: usize = 5000;
    let limit = raise_nofile(N as u64 + 200);
    if limit < N as u64 + 100 {
        eprintln!("skipping: open file limit {limit} is below {N}");
        return;
    }
    let mut node = Node::start();
    let conns: Vec<std::net::TcpStream> = (0..N)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", node.port)).expect("connect"))
        .collect();
    let mut c = node.client();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info: String = redis::cmd("INFO").arg("clients").query(&mut c).unwrap();
        if info.contains(&format!("connected_clients:{}\r\n", N + 1)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "clients never all registered: {info}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Every one of them is served.
    for s in conns.iter().step_by(97) {
        let mut s = s.try_clone().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"PING\r\n").unwrap();
        let mut buf = [0u8; 7];
        std::io::Read::read_exact(&mut s, &mut buf).unwrap();
        assert_eq!(&buf, b"+PONG\r\n");
    }
    drop(conns);
    still_serving(&mut node);
}

#[test]
fn maxclients_refuses_the_extra_connection() {
    let mut node = Node::start_with(&["--maxclients", "2"]);
    let mut a = node.raw();
    a.roundtrip(b"PING\r\n", b"+PONG\r\n");
    let mut b = node.raw();
    b.roundtrip(b"PING\r\n", b"+PONG\r\n");
    let mut extra = node.raw();
    let want = "-ERR max number of clients reached\r\n";
    assert_eq!(String::from_utf8_lossy(&extra.read_n(want.len())), want);
    assert!(extra.closed());
    drop(a);
    // The slot frees once a client leaves.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut c = node.raw();
        c.send(b"PING\r\n");
        if c.read_n(7) == b"+PONG\r\n" {
            break;
        }
        assert!(Instant::now() < deadline, "slot never freed");
        std::thread::sleep(Duration::from_millis(50));
    }
    b.roundtrip(b"PING\r\n", b"+PONG\r\n");
    assert!(node.alive());
}

#[test]
fn idle_clients_are_closed_after_timeout() {
    let mut node = Node::start_with(&["--timeout", "1"]);
    let mut idle = node.raw();
    idle.roundtrip(b"PING\r\n", b"+PONG\r\n");
    // A subscriber is exempt, as in Valkey.
    let mut sub = node.raw();
    sub.roundtrip(
        b"SUBSCRIBE ch\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n",
    );
    let start = Instant::now();
    assert!(idle.closed(), "idle client not closed");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(5),
        "closed after {took:?}"
    );
    sub.roundtrip(b"PING\r\n", b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    still_serving(&mut node);
}

#[test]
fn inline_and_multibulk_pipelines_interleave() {
    let mut node = Node::start();
    let mut raw = node.raw();
    let mut req = Vec::new();
    let mut want = Vec::new();
    for i in 0..200 {
        if i % 2 == 0 {
            req.extend_from_slice(format!("SET k{i} v{i}\r\n").as_bytes());
            want.extend_from_slice(b"+OK\r\n");
        } else {
            let k = format!("k{}", i - 1);
            req.extend_from_slice(format!("*2\r\n$3\r\nGET\r\n${}\r\n{k}\r\n", k.len()).as_bytes());
            let v = format!("v{}", i - 1);
            want.extend_from_slice(format!("${}\r\n{v}\r\n", v.len()).as_bytes());
        }
    }
    raw.roundtrip(&req, &want);
    still_serving(&mut node);
}
