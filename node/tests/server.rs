//! Server commands over real TCP: CONFIG, CLIENT, TIME, LASTSAVE, DEBUG,
//! SLOWLOG, WAIT, SHUTDOWN, INFO and COMMAND.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{error, value, Node};
use redis::Value;

fn config_get(c: &mut redis::Connection, patterns: &[&str]) -> HashMap<String, String> {
    let mut cmd = redis::cmd("CONFIG");
    cmd.arg("GET");
    for p in patterns {
        cmd.arg(*p);
    }
    cmd.query(c).unwrap()
}

fn info(c: &mut redis::Connection, sections: &[&str]) -> String {
    let mut cmd = redis::cmd("INFO");
    for s in sections {
        cmd.arg(*s);
    }
    cmd.query(c).unwrap()
}

/// The `field:value` pairs of an INFO text.
fn fields(text: &str) -> HashMap<String, String> {
    text.split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l
                .split_once(':')
                .unwrap_or_else(|| panic!("bad line {l:?}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn config_get_globs_and_several_patterns() {
    let node = Node::start();
    let mut c = node.client();
    let got = config_get(&mut c, &["maxmemory*"]);
    assert_eq!(got.get("maxmemory").map(String::as_str), Some("0"));
    assert_eq!(
        got.get("maxmemory-policy").map(String::as_str),
        Some("noeviction")
    );
    assert!(got.keys().all(|k| k.starts_with("maxmemory")), "{got:?}");
    let got = config_get(&mut c, &["timeout", "HZ", "nothing-matches*"]);
    assert_eq!(got.len(), 2);
    assert_eq!(got["timeout"], "0");
    assert_eq!(got["hz"], "10");
    assert_eq!(config_get(&mut c, &["nope"]).len(), 0);
    assert_eq!(
        error(&mut c, &["CONFIG", "GET"]),
        "ERR wrong number of arguments for 'config|get' command"
    );
}

#[test]
fn config_set_is_all_or_nothing() {
    let node = Node::start();
    let mut c = node.client();
    assert_eq!(
        value(
            &mut c,
            &["CONFIG", "SET", "timeout", "5", "maxmemory", "1mb"]
        ),
        Value::Okay
    );
    let got = config_get(&mut c, &["timeout", "maxmemory"]);
    assert_eq!(got["timeout"], "5");
    assert_eq!(got["maxmemory"], "1048576");
    assert_eq!(
        error(&mut c, &["CONFIG", "SET", "timeout", "7", "hz", "abc"]),
        "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
    );
    assert_eq!(config_get(&mut c, &["timeout"])["timeout"], "5");
    assert_eq!(
        error(&mut c, &["CONFIG", "SET", "timeout", "5", "timeout", "6"]),
        "ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter"
    );
    assert_eq!(
        error(&mut c, &["CONFIG", "SET", "databases", "3"]),
        "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"
    );
    assert_eq!(
        error(&mut c, &["CONFIG", "SET", "nope", "1"]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'nope'"
    );
    assert_eq!(
        error(&mut c, &["CONFIG", "SET", "timeout"]),
        "ERR wrong number of arguments for 'config|set' command"
    );
    assert_eq!(
        error(&mut c, &["CONFIG", "SET", "timeout", "1", "hz"]),
        "ERR wrong number of arguments for 'config|set' command"
    );
    assert_eq!(
        error(&mut c, &["CONFIG", "SET", "maxclients", "0"]),
        "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 2147483647 inclusive"
    );
    assert_eq!(
        error(&mut c, &["CONFIG", "SET", "loglevel", "sometimes"]),
        "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug,verbose,notice,warning,nothing"
    );
    // The node's log was opened with it: fixed until restart.
    assert_eq!(
        error(&mut c, &["CONFIG", "SET", "appendfsync", "no"]),
        "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - can't set immutable config"
    );
}

#[test]
fn config_rewrite_updates_the_file() {
    let node = Node::start_with_file("# my settings\ntimeout 0\nhz 10\n", &[]);
    let mut c = node.client();
    assert_eq!(
        value(
            &mut c,
            &[
                "CONFIG",
                "SET",
                "timeout",
                "7",
                "maxmemory-policy",
                "allkeys-lru"
            ]
        ),
        Value::Okay
    );
    assert_eq!(value(&mut c, &["CONFIG", "REWRITE"]), Value::Okay);
    let text = std::fs::read_to_string(node.dir().join("slotraft.conf")).unwrap();
    assert!(
        text.starts_with("# my settings\ntimeout 7\nhz 10\n"),
        "{text}"
    );
    assert!(text.contains("\nmaxmemory-policy allkeys-lru\n"), "{text}");
    let info = fields(&info(&mut c, &["server"]));
    assert!(info["config_file"].ends_with("slotraft.conf"), "{info:?}");

    let plain = Node::start();
    let mut c = plain.client();
    assert_eq!(
        error(&mut c, &["CONFIG", "REWRITE"]),
        "ERR The server is running without a config file"
    );
}

#[test]
fn config_resetstat_clears_counters() {
    let node = Node::start();
    let mut c = node.client();
    value(&mut c, &["SET", "k", "v"]);
    value(&mut c, &["GET", "k"]);
    value(&mut c, &["GET", "nope"]);
    error(&mut c, &["GET"]);
    let before = info(&mut c, &["commandstats"]);
    assert!(before.contains("cmdstat_get:calls=2,"), "{before}");
    assert!(
        before.contains(",rejected_calls=1,failed_calls=0\r\n"),
        "{before}"
    );
    let stats = fields(&info(&mut c, &["stats"]));
    assert_eq!(stats["keyspace_hits"], "1");
    assert_eq!(stats["keyspace_misses"], "1");
    assert_eq!(stats["total_error_replies"], "1");
    assert_eq!(value(&mut c, &["CONFIG", "RESETSTAT"]), Value::Okay);
    // Only RESETSTAT itself, counted once it has run (as in Valkey).
    let after = info(&mut c, &["commandstats"]);
    assert!(
        after.starts_with("# Commandstats\r\ncmdstat_config|resetstat:calls=1,"),
        "{after}"
    );
    assert_eq!(after.lines().count(), 2, "{after}");
    let stats = fields(&info(&mut c, &["stats"]));
    assert_eq!(stats["keyspace_hits"], "0");
    assert_eq!(stats["total_error_replies"], "0");
    assert_eq!(info(&mut c, &["errorstats"]), "# Errorstats\r\n");
}

#[test]
fn client_identity_commands() {
    let node = Node::start();
    let mut c = node.client();
    let id: i64 = redis::cmd("CLIENT").arg("ID").query(&mut c).unwrap();
    assert!(id > 0);
    assert_eq!(value(&mut c, &["CLIENT", "GETNAME"]), Value::Nil);
    assert_eq!(
        value(&mut c, &["CLIENT", "SETNAME", "worker-1"]),
        Value::Okay
    );
    assert_eq!(
        value(&mut c, &["CLIENT", "GETNAME"]),
        Value::BulkString(b"worker-1".to_vec())
    );
    assert_eq!(
        error(&mut c, &["CLIENT", "SETNAME", "a b"]),
        "ERR Client names cannot contain spaces, newlines or special characters."
    );
    assert_eq!(
        value(&mut c, &["CLIENT", "SETINFO", "LIB-NAME", "mylib"]),
        Value::Okay
    );
    assert_eq!(
        value(&mut c, &["CLIENT", "SETINFO", "lib-ver", "1.2.3"]),
        Value::Okay
    );
    assert_eq!(
        error(&mut c, &["CLIENT", "SETINFO", "lib-name", "a b"]),
        "ERR lib-name cannot contain spaces, newlines or special characters."
    );
    assert_eq!(
        error(&mut c, &["CLIENT", "SETINFO", "foo", "x"]),
        "ERR Unrecognized option 'foo'"
    );
    assert_eq!(value(&mut c, &["CLIENT", "NO-EVICT", "on"]), Value::Okay);
    assert_eq!(value(&mut c, &["CLIENT", "NO-TOUCH", "ON"]), Value::Okay);
    assert_eq!(
        error(&mut c, &["CLIENT", "NO-EVICT", "maybe"]),
        "ERR syntax error"
    );
    let me: String = redis::cmd("CLIENT").arg("INFO").query(&mut c).unwrap();
    assert!(me.starts_with(&format!("id={id} addr=127.0.0.1:")), "{me}");
    assert!(me.ends_with('\n'));
    for part in [
        " name=worker-1 ",
        " flags=eT ",
        " db=0 ",
        " cmd=client|info ",
        " lib-name=mylib lib-ver=1.2.3 ",
        " resp=2 ",
    ] {
        assert!(me.contains(part), "{part} not in {me}");
    }
    let mut other = node.client();
    value(&mut other, &["CLIENT", "SETNAME", "other"]);
    let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut c).unwrap();
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.contains(" name=other "));
    let only: String = redis::cmd("CLIENT")
        .arg("LIST")
        .arg("ID")
        .arg(id)
        .query(&mut c)
        .unwrap();
    assert_eq!(only.lines().count(), 1);
    assert!(only.contains(" name=worker-1 "));
    assert_eq!(
        error(&mut c, &["CLIENT", "LIST", "ID", "abc"]),
        "ERR Invalid client ID"
    );
    assert_eq!(
        error(&mut c, &["CLIENT", "LIST", "TYPE", "weird"]),
        "ERR Unknown client type 'weird'"
    );
    assert_eq!(
        error(&mut c, &["CLIENT", "NOPE"]),
        "ERR unknown subcommand 'NOPE'. Try CLIENT HELP."
    );
}

#[test]
fn client_kill_closes_the_target_only() {
    let node = Node::start();
    let mut c = node.client();
    let mut victim = node.raw();
    victim.roundtrip(b"CLIENT ID\r\n", b"");
    let id = {
        let line = victim.read_n(1);
        let mut all = line;
        while !all.ends_with(b"\r\n") {
            all.extend(victim.read_n(1));
        }
        String::from_utf8(all[1..all.len() - 2].to_vec())
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };
    assert_eq!(
        value(&mut c, &["CLIENT", "KILL", "ID", &id.to_string()]),
        Value::Int(1)
    );
    assert!(victim.closed());
    assert_eq!(
        value(&mut c, &["CLIENT", "KILL", "ID", "99999"]),
        Value::Int(0)
    );
    assert_eq!(
        error(&mut c, &["CLIENT", "KILL", "ID", "0"]),
        "ERR client-id should be greater than 0"
    );
    assert_eq!(
        error(&mut c, &["CLIENT", "KILL", "1.2.3.4:5"]),
        "ERR No such client"
    );
    // By address, old form.
    let mut victim = node.raw();
    victim.roundtrip(b"PING\r\n", b"+PONG\r\n");
    let addr = victim.s.local_addr().unwrap().to_string();
    assert_eq!(value(&mut c, &["CLIENT", "KILL", &addr]), Value::Okay);
    assert!(victim.closed());
    // SKIPME yes (the default) spares the caller.
    let my_id: i64 = redis::cmd("CLIENT").arg("ID").query(&mut c).unwrap();
    assert_eq!(
        value(&mut c, &["CLIENT", "KILL", "ID", &my_id.to_string()]),
        Value::Int(0)
    );
    assert_eq!(redis::cmd("PING").query::<String>(&mut c).unwrap(), "PONG");
}

#[test]
fn client_reply_modes() {
    let node = Node::start();
    let mut raw = node.raw();
    raw.roundtrip(
        b"CLIENT REPLY OFF\r\nPING\r\nSET k v\r\nCLIENT REPLY ON\r\nGET k\r\n",
        b"+OK\r\n$1\r\nv\r\n",
    );
    raw.roundtrip(b"CLIENT REPLY SKIP\r\nPING\r\nECHO a\r\n", b"$1\r\na\r\n");
    raw.roundtrip(b"CLIENT REPLY MAYBE\r\n", b"-ERR syntax error\r\n");
}

#[test]
fn time_lastsave_debug_wait() {
    let node = Node::start();
    let mut c = node.client();
    let (secs, micros): (String, String) = redis::cmd("TIME").query(&mut c).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let secs: i64 = secs.parse().unwrap();
    let micros: i64 = micros.parse().unwrap();
    assert!((secs - now).abs() <= 2, "TIME {secs} vs {now}");
    assert!((0..1_000_000).contains(&micros));
    let lastsave: i64 = redis::cmd("LASTSAVE").query(&mut c).unwrap();
    assert!(lastsave <= now + 1 && lastsave > now - 60, "{lastsave}");
    assert_eq!(value(&mut c, &["DEBUG", "SLEEP", "0"]), Value::Okay);
    let start = Instant::now();
    assert_eq!(value(&mut c, &["DEBUG", "SLEEP", "0.2"]), Value::Okay);
    assert!(start.elapsed() >= Duration::from_millis(200));
    assert_eq!(
        error(&mut c, &["DEBUG", "SLEEP", "abc"]),
        "ERR value is not a valid float"
    );
    assert_eq!(value(&mut c, &["WAIT", "0", "0"]), Value::Int(0));
    assert_eq!(value(&mut c, &["WAIT", "1", "100"]), Value::Int(0));
    assert_eq!(
        error(&mut c, &["WAIT", "x", "0"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        error(&mut c, &["WAIT", "0", "-1"]),
        "ERR timeout is negative"
    );
}

#[test]
fn slowlog_records_commands() {
    let node = Node::start();
    let mut c = node.client();
    value(&mut c, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    assert_eq!(value(&mut c, &["SLOWLOG", "RESET"]), Value::Okay);
    value(&mut c, &["CLIENT", "SETNAME", "slowpoke"]);
    value(&mut c, &["SET", "k", "v"]);
    let len: i64 = redis::cmd("SLOWLOG").arg("LEN").query(&mut c).unwrap();
    // SLOWLOG RESET itself, CLIENT SETNAME, SET (and SLOWLOG LEN is
    // counted after it replies).
    assert_eq!(len, 3);
    let Value::Array(entries) = value(&mut c, &["SLOWLOG", "GET", "1"]) else {
        panic!("not an array")
    };
    assert_eq!(entries.len(), 1);
    let Value::Array(e) = &entries[0] else {
        panic!("entry not an array")
    };
    assert_eq!(e.len(), 6);
    assert!(matches!(e[0], Value::Int(id) if id >= 0));
    assert!(matches!(e[1], Value::Int(t) if t > 1_600_000_000));
    assert!(matches!(e[2], Value::Int(us) if us >= 0));
    assert_eq!(
        e[3],
        Value::Array(vec![
            Value::BulkString(b"SLOWLOG".to_vec()),
            Value::BulkString(b"LEN".to_vec())
        ])
    );
    assert!(matches!(&e[4], Value::BulkString(a) if a.starts_with(b"127.0.0.1:")));
    assert_eq!(e[5], Value::BulkString(b"slowpoke".to_vec()));
    let Value::Array(all) = value(&mut c, &["SLOWLOG", "GET", "-1"]) else {
        panic!()
    };
    assert!(all.len() >= 4);
    assert_eq!(
        error(&mut c, &["SLOWLOG", "GET", "-2"]),
        "ERR count should be greater than or equal to -1"
    );
    assert_eq!(value(&mut c, &["SLOWLOG", "RESET"]), Value::Okay);
    // Only the RESET that was itself logged... after it ran, then cleared.
    let len: i64 = redis::cmd("SLOWLOG").arg("LEN").query(&mut c).unwrap();
    assert!(len <= 1, "{len}");
}

#[test]
fn shutdown_stops_the_process() {
    let mut node = Node::start();
    let mut raw = node.raw();
    raw.send(b"SHUTDOWN\r\n");
    assert!(raw.closed());
    assert!(
        node.wait_exit(Duration::from_secs(10)),
        "still running after SHUTDOWN"
    );
}

#[test]
fn info_sections_and_fields() {
    let node = Node::start();
    let mut c = node.client();
    value(&mut c, &["SET", "a", "1"]);
    value(&mut c, &["SET", "b", "2", "EX", "100"]);
    value(&mut c, &["SELECT", "2"]);
    value(&mut c, &["SET", "c", "3"]);
    let text = info(&mut c, &[]);
    let titles: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        titles,
        [
            "# Server",
            "# Clients",
            "# Memory",
            "# Persistence",
            "# Stats",
            "# Replication",
            "# CPU",
            "# Modules",
            "# Errorstats",
            "# Cluster",
            "# Keyspace"
        ]
    );
    assert!(text.starts_with(
        "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:9.0.0\r\n"
    ));
    assert!(text.contains("\r\n\r\n# Clients\r\n"));
    assert!(!text.replace("\r\n", "").contains('\n'), "bare LF in INFO");
    let f = fields(&text);
    assert_eq!(f["redis_mode"], "standalone");
    assert_eq!(f["tcp_port"], node.port.to_string());
    assert_eq!(f["process_id"], node.pid().to_string());
    assert_eq!(f["run_id"].len(), 40);
    assert_eq!(f["arch_bits"], "64");
    assert_eq!(f["hz"], "10");
    assert_eq!(f["connected_clients"], "1");
    assert_eq!(f["maxclients"], "10000");
    assert_eq!(f["role"], "master");
    assert_eq!(f["connected_slaves"], "0");
    assert_eq!(f["raft_group_restarts"], "0");
    assert_eq!(f["raft_group_failed_restarts"], "0");
    assert!(f["raft_group_1"].starts_with("role=leader,"));
    assert!(f["raft_group_1"].ends_with(",restarts=0"));
    assert_eq!(f["master_replid"].len(), 40);
    assert_eq!(f["loading"], "0");
    assert_eq!(f["rdb_changes_since_last_save"], "3");
    assert_eq!(f["appendfsync"], "always");
    assert_eq!(f["cluster_enabled"], "0");
    assert_eq!(f["maxmemory_policy"], "noeviction");
    let ttl = f["db0"]
        .strip_prefix("keys=2,expires=1,avg_ttl=")
        .unwrap_or_else(|| panic!("db0:{}", f["db0"]));
    let ttl: i64 = ttl.parse().unwrap();
    assert!(ttl > 90_000 && ttl <= 100_000, "{ttl}");
    assert_eq!(f["db2"], "keys=1,expires=0,avg_ttl=0");
    assert!(!f.contains_key("db1"));
    let rss: u64 = f["used_memory_rss"].parse().unwrap();
    assert!(rss > 1024 * 1024 && rss < 1 << 32, "{rss}");
    let used: u64 = f["used_memory"].parse().unwrap();
    assert!(used > 0 && used < rss * 4, "used_memory {used}, rss {rss}");
    assert!(
        f["used_memory_human"].ends_with(['K', 'M']),
        "{}",
        f["used_memory_human"]
    );
    let cpu: f64 = f["used_cpu_user"].parse().unwrap();
    assert!(cpu >= 0.0);
    assert!(f["used_cpu_sys"].contains('.'));
    let total: u64 = f["total_commands_processed"].parse().unwrap();
    assert!(total >= 5);
    assert!(f.contains_key("instantaneous_ops_per_sec"));
    // Sections by name, any case, in INFO's own order; unknown ones are empty.
    let two = info(&mut c, &["KEYSPACE", "cpu"]);
    assert!(two.starts_with("# CPU\r\n"), "{two}");
    assert!(two.contains("\r\n\r\n# Keyspace\r\ndb0:keys=2,"), "{two}");
    assert_eq!(info(&mut c, &["nope"]), "");
    let all = info(&mut c, &["all"]);
    assert!(all.contains("# Commandstats\r\ncmdstat_"), "{all}");
    assert!(all.contains("cmdstat_set:calls=3,"));
    assert!(all.contains("# Latencystats\r\n"));
    let everything = info(&mut c, &["everything"]);
    assert!(everything.contains("# Commandstats\r\n"));
    let default = info(&mut c, &["default"]);
    assert!(!default.contains("# Commandstats"));
    // Subcommands are shown as container|sub.
    value(&mut c, &["CONFIG", "GET", "hz"]);
    let cs = info(&mut c, &["commandstats"]);
    assert!(cs.contains("\r\ncmdstat_config|get:calls=1,usec="), "{cs}");
    // Error statistics by code.
    error(&mut c, &["NOPE"]);
    error(&mut c, &["GET"]);
    let es = info(&mut c, &["errorstats"]);
    assert_eq!(es, "# Errorstats\r\nerrorstat_ERR:count=2\r\n");
}

#[test]
fn info_reply_is_verbatim_in_resp3() {
    let node = Node::start();
    let mut raw = node.raw();
    raw.send(b"HELLO 3\r\n");
    let mut seen = Vec::new();
    while !seen.ends_with(b"$7\r\nmodules\r\n*0\r\n") {
        let b = raw.read_n(1);
        assert!(!b.is_empty());
        seen.extend(b);
    }
    raw.roundtrip(
        b"INFO cluster\r\n",
        b"=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n",
    );
    let mut raw2 = node.raw();
    raw2.roundtrip(
        b"INFO cluster\r\n",
        b"$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n",
    );
}

#[test]
fn instantaneous_ops_per_sec_tracks_load() {
    let node = Node::start();
    let mut c = node.client();
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut seen = 0;
    while Instant::now() < deadline {
        let mut pipe = redis::pipe();
        for _ in 0..200 {
            pipe.cmd("PING");
        }
        let _: Vec<String> = pipe.query(&mut c).unwrap();
        let f = fields(&info(&mut c, &["stats"]));
        seen = f["instantaneous_ops_per_sec"].parse::<u64>().unwrap();
        if seen > 100 {
            break;
        }
    }
    assert!(seen > 100, "instantaneous_ops_per_sec stayed at {seen}");
}

#[test]
fn command_count_and_info() {
    let node = Node::start();
    let mut c = node.client();
    let count: i64 = redis::cmd("COMMAND").arg("COUNT").query(&mut c).unwrap();
    let Value::Array(all) = value(&mut c, &["COMMAND"]) else {
        panic!("COMMAND is not an array")
    };
    assert_eq!(all.len() as i64, count);
    let Value::Array(infos) = value(&mut c, &["COMMAND", "INFO"]) else {
        panic!()
    };
    assert_eq!(infos.len() as i64, count);
    for entry in &all {
        let Value::Array(e) = entry else { panic!() };
        assert_eq!(e.len(), 10, "{e:?}");
    }
    let list: Vec<String> = redis::cmd("COMMAND").arg("LIST").query(&mut c).unwrap();
    assert!(list.contains(&"get".to_string()));
    assert!(list.contains(&"config|get".to_string()));
    assert!(list.len() as i64 > count);

    let mut raw = node.raw();
    raw.roundtrip(
        b"COMMAND INFO get nope\r\n",
        b"*2\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n$-1\r\n",
    );
    raw.roundtrip(
        b"COMMAND INFO config|help\r\n",
        b"*1\r\n*10\r\n$11\r\nconfig|help\r\n:2\r\n*2\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n*0\r\n*0\r\n*0\r\n",
    );
    raw.roundtrip(
        b"COMMAND INFO SET\r\n",
        b"*1\r\n*10\r\n$3\r\nset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@write\r\n+@string\r\n+@slow\r\n*0\r\n*0\r\n*0\r\n",
    );
    // A container lists its subcommands as full entries.
    let Value::Array(cfg) = value(&mut c, &["COMMAND", "INFO", "config"]) else {
        panic!()
    };
    let Value::Array(cfg) = &cfg[0] else { panic!() };
    assert_eq!(cfg[0], Value::BulkString(b"config".to_vec()));
    assert_eq!(cfg[1], Value::Int(-2));
    let Value::Array(subs) = &cfg[9] else {
        panic!()
    };
    assert!(subs.len() >= 4);
    for s in subs {
        let Value::Array(s) = s else { panic!() };
        let Value::BulkString(name) = &s[0] else {
            panic!()
        };
        assert!(name.starts_with(b"config|"));
    }
}

#[test]
fn command_getkeys_docs_list_help() {
    let node = Node::start();
    let mut c = node.client();
    let keys: Vec<String> = redis::cmd("COMMAND")
        .arg("GETKEYS")
        .arg("SET")
        .arg("k")
        .arg("v")
        .query(&mut c)
        .unwrap();
    assert_eq!(keys, ["k"]);
    let keys: Vec<String> = redis::cmd("COMMAND")
        .arg(&["GETKEYS", "del", "a", "b", "c"])
        .query(&mut c)
        .unwrap();
    assert_eq!(keys, ["a", "b", "c"]);
    assert_eq!(
        error(&mut c, &["COMMAND", "GETKEYS", "nope", "x"]),
        "ERR Invalid command specified"
    );
    assert_eq!(
        error(&mut c, &["COMMAND", "GETKEYS", "ping"]),
        "ERR The command has no key arguments"
    );
    assert_eq!(
        error(&mut c, &["COMMAND", "GETKEYS", "config", "get", "x"]),
        "ERR The command has no key arguments"
    );
    assert_eq!(
        error(&mut c, &["COMMAND", "GETKEYS", "get"]),
        "ERR Invalid number of arguments specified for command"
    );
    assert_eq!(
        error(&mut c, &["COMMAND", "GETKEYS"]),
        "ERR wrong number of arguments for 'command|getkeys' command"
    );
    // DOCS: a map per command; unknown names are left out.
    let docs: HashMap<String, HashMap<String, Value>> = redis::cmd("COMMAND")
        .arg(&["DOCS", "get", "nope"])
        .query(&mut c)
        .unwrap();
    assert_eq!(docs.len(), 1);
    let get = &docs["get"];
    assert_eq!(get["group"], Value::BulkString(b"string".to_vec()));
    assert_eq!(get["since"], Value::BulkString(b"1.0.0".to_vec()));
    assert!(matches!(&get["summary"], Value::BulkString(s) if !s.is_empty()));
    let mut raw = node.raw();
    raw.roundtrip(b"COMMAND DOCS nope\r\n", b"*0\r\n");
    // LIST filters.
    let cfg: Vec<String> = redis::cmd("COMMAND")
        .arg(&["LIST", "FILTERBY", "PATTERN", "config*"])
        .query(&mut c)
        .unwrap();
    assert!(cfg.contains(&"config".to_string()) && cfg.contains(&"config|set".to_string()));
    assert!(cfg.iter().all(|n| n.starts_with("config")));
    let pubsub: Vec<String> = redis::cmd("COMMAND")
        .arg(&["LIST", "FILTERBY", "ACLCAT", "pubsub"])
        .query(&mut c)
        .unwrap();
    assert!(pubsub.contains(&"publish".to_string()));
    assert!(!pubsub.contains(&"get".to_string()));
    let none: Vec<String> = redis::cmd("COMMAND")
        .arg(&["LIST", "FILTERBY", "MODULE", "x"])
        .query(&mut c)
        .unwrap();
    assert!(none.is_empty());
    assert_eq!(
        error(&mut c, &["COMMAND", "LIST", "FILTERBY", "NOPE", "x"]),
        "ERR syntax error"
    );
    assert_eq!(error(&mut c, &["COMMAND", "LIST", "x"]), "ERR syntax error");
    let Value::Array(help) = value(&mut c, &["COMMAND", "HELP"]) else {
        panic!()
    };
    assert_eq!(
        help[0],
        Value::SimpleString(
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:".into()
        )
    );
    assert_eq!(
        help.last(),
        Some(&Value::SimpleString("    Print this help.".into()))
    );
    assert_eq!(
        error(&mut c, &["COMMAND", "NOPE"]),
        "ERR unknown subcommand 'NOPE'. Try COMMAND HELP."
    );
}
