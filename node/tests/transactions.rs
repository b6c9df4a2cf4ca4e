//! MULTI/EXEC/DISCARD/WATCH/UNWATCH with Valkey's replies and errors.

mod common;

use common::Node;

#[test]
fn multi_exec_queues_and_runs_in_order() {
    let node = Node::start();
    let mut raw = node.raw();
    raw.roundtrip(
        b"MULTI\r\nSET k 1\r\nGET k\r\nPING\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n$1\r\n1\r\n+PONG\r\n",
    );
    raw.roundtrip(b"MULTI\r\nEXEC\r\n", b"+OK\r\n*0\r\n");
    // Out of MULTI again.
    raw.roundtrip(b"GET k\r\n", b"$1\r\n1\r\n");
}

#[test]
fn misuse_errors() {
    let node = Node::start();
    let mut raw = node.raw();
    raw.roundtrip(b"EXEC\r\n", b"-ERR EXEC without MULTI\r\n");
    raw.roundtrip(b"DISCARD\r\n", b"-ERR DISCARD without MULTI\r\n");
    // Nested MULTI and WATCH inside MULTI fail without aborting.
    raw.roundtrip(
        b"MULTI\r\nMULTI\r\nWATCH k\r\nSET k v\r\nEXEC\r\n",
        b"+OK\r\n-ERR MULTI calls can not be nested\r\n-ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n*1\r\n+OK\r\n",
    );
}

#[test]
fn queue_time_errors_abort_exec() {
    let node = Node::start();
    let mut raw = node.raw();
    raw.roundtrip(
        b"MULTI\r\nSET a 1\r\nNOPE x\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n-ERR unknown command 'NOPE', with args beginning with: 'x' \r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    raw.roundtrip(
        b"MULTI\r\nSET a 1\r\nGET\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n-ERR wrong number of arguments for 'get' command\r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    raw.roundtrip(
        b"MULTI\r\nCONFIG NOPE\r\nEXEC\r\n",
        b"+OK\r\n-ERR unknown subcommand 'NOPE'. Try CONFIG HELP.\r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    // Nothing of the aborted transactions ran, and MULTI state is gone.
    raw.roundtrip(b"GET a\r\nEXEC\r\n", b"$-1\r\n-ERR EXEC without MULTI\r\n");
}

#[test]
fn runtime_errors_do_not_abort_the_others() {
    let node = Node::start();
    let mut raw = node.raw();
    raw.roundtrip(
        b"MULTI\r\nSET a 1\r\nSET a 2 NX XX\r\nSELECT 99\r\nSET b 2\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n+OK\r\n-ERR syntax error\r\n-ERR DB index is out of range\r\n+OK\r\n",
    );
    raw.roundtrip(b"GET a\r\nGET b\r\n", b"$1\r\n1\r\n$1\r\n2\r\n");
}

#[test]
fn discard_drops_queue_and_watches() {
    let node = Node::start();
    let mut raw = node.raw();
    raw.roundtrip(
        b"WATCH k\r\nMULTI\r\nSET k 1\r\nDISCARD\r\nGET k\r\n",
        b"+OK\r\n+OK\r\n+QUEUED\r\n+OK\r\n$-1\r\n",
    );
    // The watch is gone: another client's write does not abort this EXEC.
    let mut other = node.raw();
    other.roundtrip(b"SET k 2\r\n", b"+OK\r\n");
    raw.roundtrip(
        b"MULTI\r\nGET k\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n*1\r\n$1\r\n2\r\n",
    );
}

#[test]
fn watch_aborts_when_another_client_writes() {
    let node = Node::start();
    let mut a = node.raw();
    let mut b = node.raw();
    a.roundtrip(b"SET k 1\r\nWATCH k\r\n", b"+OK\r\n+OK\r\n");
    b.roundtrip(b"SET k 2\r\n", b"+OK\r\n");
    a.roundtrip(
        b"MULTI\r\nSET k 3\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n*-1\r\n",
    );
    a.roundtrip(b"GET k\r\n", b"$1\r\n2\r\n");
    // EXEC forgot the watch: the next transaction runs.
    b.roundtrip(b"SET k 4\r\n", b"+OK\r\n");
    a.roundtrip(
        b"MULTI\r\nSET k 5\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n",
    );
    // A key that did not exist and then appears counts as changed.
    a.roundtrip(b"WATCH fresh\r\n", b"+OK\r\n");
    b.roundtrip(b"SET fresh x\r\n", b"+OK\r\n");
    a.roundtrip(
        b"MULTI\r\nGET fresh\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n*-1\r\n",
    );
    // So does a deletion, and the client's own write.
    a.roundtrip(b"WATCH fresh\r\nDEL fresh\r\n", b"+OK\r\n:1\r\n");
    a.roundtrip(b"MULTI\r\nPING\r\nEXEC\r\n", b"+OK\r\n+QUEUED\r\n*-1\r\n");
    // Untouched watched keys let EXEC run; RESP3 shows the abort as null.
    a.roundtrip(
        b"WATCH quiet\r\nMULTI\r\nPING\r\nEXEC\r\n",
        b"+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n",
    );
}

#[test]
fn watch_abort_is_null_in_resp3() {
    let node = Node::start();
    let mut a = node.raw();
    a.send(b"HELLO 3\r\n");
    let mut seen = Vec::new();
    while !seen.ends_with(b"$7\r\nmodules\r\n*0\r\n") {
        let b = a.read_n(1);
        assert!(!b.is_empty());
        seen.extend(b);
    }
    let mut b = node.raw();
    a.roundtrip(b"WATCH k\r\n", b"+OK\r\n");
    b.roundtrip(b"SET k 1\r\n", b"+OK\r\n");
    a.roundtrip(b"MULTI\r\nGET k\r\nEXEC\r\n", b"+OK\r\n+QUEUED\r\n_\r\n");
}

#[test]
fn unwatch_forgets_keys() {
    let node = Node::start();
    let mut a = node.raw();
    let mut b = node.raw();
    a.roundtrip(b"WATCH k1 k2\r\nUNWATCH\r\n", b"+OK\r\n+OK\r\n");
    b.roundtrip(b"SET k1 x\r\n", b"+OK\r\n");
    a.roundtrip(
        b"MULTI\r\nGET k1\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n*1\r\n$1\r\nx\r\n",
    );
    a.roundtrip(
        b"WATCH\r\n",
        b"-ERR wrong number of arguments for 'watch' command\r\n",
    );
}

#[test]
fn select_inside_multi_moves_later_commands() {
    let node = Node::start();
    let mut raw = node.raw();
    raw.roundtrip(
        b"SET k db0\r\nMULTI\r\nSELECT 3\r\nSET k db3\r\nGET k\r\nEXEC\r\n",
        b"+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n+OK\r\n$3\r\ndb3\r\n",
    );
    // The connection stays in the database EXEC selected, as in Valkey.
    raw.roundtrip(
        b"GET k\r\nSELECT 0\r\nGET k\r\n",
        b"$3\r\ndb3\r\n+OK\r\n$3\r\ndb0\r\n",
    );
}

#[test]
fn watch_in_other_db_is_per_db() {
    let node = Node::start();
    let mut a = node.raw();
    let mut b = node.raw();
    a.roundtrip(b"SELECT 1\r\nWATCH k\r\n", b"+OK\r\n+OK\r\n");
    // Same key name in db 0 is another key.
    b.roundtrip(b"SET k x\r\n", b"+OK\r\n");
    a.roundtrip(
        b"MULTI\r\nGET k\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n*1\r\n$-1\r\n",
    );
    a.roundtrip(b"WATCH k\r\n", b"+OK\r\n");
    b.roundtrip(b"SELECT 1\r\nSET k y\r\n", b"+OK\r\n+OK\r\n");
    a.roundtrip(b"MULTI\r\nGET k\r\nEXEC\r\n", b"+OK\r\n+QUEUED\r\n*-1\r\n");
}

#[test]
fn client_list_shows_multi_and_watch_state() {
    let node = Node::start();
    let mut a = node.raw();
    a.roundtrip(
        b"WATCH a b\r\nMULTI\r\nPING\r\nPING\r\n",
        b"+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n",
    );
    let mut c = node.client();
    let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut c).unwrap();
    let line = list
        .lines()
        .find(|l| l.contains("multi=2"))
        .unwrap_or_else(|| panic!("no client in MULTI: {list}"));
    assert!(line.contains(" flags=x "), "{line}");
    assert!(line.contains(" watch=2 "), "{line}");
    let info: String = redis::cmd("INFO").arg("clients").query(&mut c).unwrap();
    assert!(info.contains("watching_clients:1\r\n"), "{info}");
    assert!(info.contains("total_watched_keys:2\r\n"), "{info}");
    a.roundtrip(b"EXEC\r\n", b"*2\r\n+PONG\r\n+PONG\r\n");
}

#[test]
fn queued_commands_count_in_commandstats() {
    let node = Node::start();
    let mut raw = node.raw();
    raw.roundtrip(
        b"MULTI\r\nSET a 1\r\nSET a 2 NX XX\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n-ERR syntax error\r\n",
    );
    let mut c = node.client();
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut c)
        .unwrap();
    assert!(stats.contains("cmdstat_set:calls=2,"), "{stats}");
    assert!(
        stats.contains(",rejected_calls=0,failed_calls=1\r\n"),
        "{stats}"
    );
    assert!(stats.contains("cmdstat_exec:calls=1,"), "{stats}");
    let errors: String = redis::cmd("INFO").arg("errorstats").query(&mut c).unwrap();
    assert_eq!(errors, "# Errorstats\r\nerrorstat_ERR:count=1\r\n");
}
