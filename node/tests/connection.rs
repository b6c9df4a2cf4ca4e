//! Connection commands and protocol basics over real TCP.

mod common;

use common::{error, Node};

#[test]
fn ping_echo_select_and_errors() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(redis::cmd("PING").query::<String>(&mut c).unwrap(), "PONG");
    assert_eq!(
        redis::cmd("ECHO")
            .arg("hi")
            .query::<String>(&mut c)
            .unwrap(),
        "hi"
    );
    assert_eq!(
        error(&mut c, &["SELECT", "16"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        error(&mut c, &["GET"]),
        "ERR wrong number of arguments for 'get' command"
    );
    assert_eq!(
        error(&mut c, &["NOPE", "a", "b"]),
        "ERR unknown command 'NOPE', with args beginning with: 'a' 'b' "
    );
}

#[test]
fn pipelined_inline_and_multibulk_replies_in_order() {
    let node = Node::start();
    let mut raw = node.raw();
    raw.roundtrip(
        b"PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv\0\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nECHO \"a b\"\r\n",
        b"+PONG\r\n+OK\r\n$2\r\nv\0\r\n$3\r\na b\r\n",
    );
}

#[test]
fn protocol_error_replies_then_closes() {
    let node = Node::start();
    let mut raw = node.raw();
    raw.roundtrip(
        b"*1\r\n+PING\r\n",
        b"-ERR Protocol error: expected '$', got '+'\r\n",
    );
    assert!(raw.closed());
    // Other clients are unaffected.
    let mut c = node.client();
    assert_eq!(redis::cmd("PING").query::<String>(&mut c).unwrap(), "PONG");
}

#[test]
fn hello_switches_to_resp3() {
    let node = Node::start();
    let mut raw = node.raw();
    raw.send(b"HELLO 3\r\n");
    let head = raw.read_n(4);
    assert_eq!(&head, b"%7\r\n");
    let mut raw = node.raw();
    raw.roundtrip(b"HELLO 4\r\n", b"-NOPROTO unsupported protocol version\r\n");
}

#[test]
fn requirepass_gates_commands() {
    let node = Node::start_with(&["--requirepass", "sesame"]);
    let mut raw = node.raw();
    raw.roundtrip(b"GET k\r\n", b"-NOAUTH Authentication required.\r\n");
    raw.roundtrip(
        b"AUTH wrong\r\n",
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n",
    );
    raw.roundtrip(b"AUTH sesame\r\nGET k\r\n", b"+OK\r\n$-1\r\n");
}
