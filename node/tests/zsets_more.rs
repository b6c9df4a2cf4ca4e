//! Sorted sets, continued: blocking pops, set algebra, random members and
//! scans, the skiplist encoding, WRONGTYPE everywhere, WATCH.

mod common;

use std::time::{Duration, Instant};

use common::render::Conn;
use common::Node;
#[test]
fn blocking_pops() {
    let node = Node::start();
    let mut waiter = Conn::new(&node);
    let mut c = Conn::new(&node);
    // Served by a ZADD from another client.
    waiter.q_send("BZPOPMIN nokey bz 5");
    assert!(
        waiter.silent_for(Duration::from_millis(200)),
        "did not block"
    );
    assert_eq!(c.q("ZADD bz 7 m 8 n"), ":2");
    assert_eq!(waiter.read(), "[bz, m, 7]");
    assert_eq!(c.q("ZRANGE bz 0 -1"), "[n]");
    // BZMPOP waits on its numkeys keys.
    waiter.q_send("BZMPOP 5 2 x1 x2 MAX COUNT 5");
    assert!(
        waiter.silent_for(Duration::from_millis(200)),
        "did not block"
    );
    assert_eq!(c.q("ZADD x2 1 a 2 b"), ":2");
    assert_eq!(waiter.read(), "[x2, [[b, 2], [a, 1]]]");
    assert_eq!(c.q("EXISTS x2"), ":0");
    // Immediate pops.
    assert_eq!(c.q("BZPOPMAX nokey bz 0"), "[bz, n, 8]");
    assert_eq!(c.q("EXISTS bz"), ":0");
    // Timeouts reply a null array after the deadline.
    let t = Instant::now();
    assert_eq!(c.q("BZPOPMIN nokey 0.2"), "*-1");
    assert!(
        t.elapsed() >= Duration::from_millis(190),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(c.q("BZMPOP 0.1 1 nokey MIN"), "*-1");
    // Inside MULTI nothing blocks.
    assert_eq!(c.q("MULTI"), "+OK");
    assert_eq!(c.q("BZPOPMIN nokey 0"), "+QUEUED");
    assert_eq!(c.q("EXEC"), "[*-1]");
    // Errors.
    assert_eq!(c.q("BZPOPMIN z -1"), "-ERR timeout is negative");
    assert_eq!(
        c.q("BZPOPMIN z x"),
        "-ERR timeout is not a float or out of range"
    );
    assert_eq!(
        c.q("BZMPOP x 1 z MIN"),
        "-ERR timeout is not a float or out of range"
    );
    assert_eq!(
        c.q("BZMPOP x 0 z MIN"),
        "-ERR numkeys should be greater than 0"
    );
    c.q("SET str v");
    assert_eq!(
        c.q("BZPOPMIN nokey str 0"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        c.q("BZPOPMIN z"),
        "-ERR wrong number of arguments for 'bzpopmin' command"
    );
    assert_eq!(
        c.q("BZMPOP 0 1 z"),
        "-ERR wrong number of arguments for 'bzmpop' command"
    );
}

#[test]
fn union_inter_diff_and_stores() {
    let node = Node::start();
    let mut c = Conn::new(&node);
    c.q("ZADD a 1 x 2 y 3 z");
    c.q("ZADD b 10 y 20 z 30 w");
    assert_eq!(c.q("ZUNION 2 a b"), "[x, y, z, w]");
    assert_eq!(
        c.q("ZUNION 2 a b WITHSCORES"),
        "[x, 1, y, 12, z, 23, w, 30]"
    );
    assert_eq!(
        c.q("ZUNION 2 a b WEIGHTS 2 0.5 AGGREGATE MAX WITHSCORES"),
        "[x, 2, y, 5, z, 10, w, 15]"
    );
    assert_eq!(c.q("ZINTER 2 a b WITHSCORES"), "[y, 12, z, 23]");
    assert_eq!(c.q("ZINTER 2 a b AGGREGATE min WITHSCORES"), "[y, 2, z, 3]");
    assert_eq!(c.q("ZINTER 2 a nokey"), "[]");
    assert_eq!(c.q("ZDIFF 2 a b WITHSCORES"), "[x, 1]");
    assert_eq!(c.q("ZDIFF 1 b"), "[y, z, w]");
    assert_eq!(c.q("ZDIFF 2 a a"), "[]");
    assert_eq!(c.q("ZINTERCARD 2 a b"), ":2");
    assert_eq!(c.q("ZINTERCARD 2 a b LIMIT 1"), ":1");
    assert_eq!(c.q("ZINTERCARD 2 a b LIMIT 0"), ":2");
    // Stores: the result replaces the destination; empty deletes it.
    assert_eq!(c.q("ZUNIONSTORE d 2 a b WEIGHTS 1 -1"), ":4");
    assert_eq!(
        c.q("ZRANGE d 0 -1 WITHSCORES"),
        "[w, -30, z, -17, y, -8, x, 1]"
    );
    assert_eq!(c.q("ZINTERSTORE d 2 a b AGGREGATE MAX"), ":2");
    assert_eq!(c.q("ZRANGE d 0 -1 WITHSCORES"), "[y, 10, z, 20]");
    assert_eq!(c.q("ZDIFFSTORE d 2 b a"), ":1");
    assert_eq!(c.q("ZRANGE d 0 -1 WITHSCORES"), "[w, 30]");
    assert_eq!(c.q("ZINTERSTORE d 2 a nokey"), ":0");
    assert_eq!(c.q("EXISTS d"), ":0");
    // A source may be the destination.
    assert_eq!(c.q("ZUNIONSTORE a 2 a a"), ":3");
    assert_eq!(c.q("ZRANGE a 0 -1 WITHSCORES"), "[x, 2, y, 4, z, 6]");
    // inf + -inf sums to 0; weight 0 times inf too.
    c.q("ZADD pi 1 m inf n");
    c.q("ZADD ni -inf n");
    assert_eq!(c.q("ZUNION 2 pi ni WITHSCORES"), "[n, 0, m, 1]");
    assert_eq!(c.q("ZUNION 1 pi WEIGHTS 0 WITHSCORES"), "[m, 0, n, 0]");
    // Errors.
    for (name, at) in [
        ("zunion", 1),
        ("zinter", 1),
        ("zdiff", 1),
        ("zintercard", 1),
        ("zunionstore", 2),
        ("zinterstore", 2),
        ("zdiffstore", 2),
    ] {
        let mut args = vec![name];
        if at == 2 {
            args.push("dst");
        }
        args.extend(["0", "a"]);
        assert_eq!(
            c.cmd(&args),
            format!("-ERR at least 1 input key is needed for '{name}' command")
        );
        args[at] = "x";
        assert_eq!(c.cmd(&args), "-ERR value is not an integer or out of range");
        args[at] = "3";
        assert_eq!(c.cmd(&args), "-ERR syntax error");
    }
    assert_eq!(c.q("ZUNION 2 a b WEIGHTS 1"), "-ERR syntax error");
    assert_eq!(
        c.q("ZUNION 2 a b WEIGHTS 1 x"),
        "-ERR weight value is not a float"
    );
    assert_eq!(c.q("ZUNION 2 a b AGGREGATE avg"), "-ERR syntax error");
    assert_eq!(c.q("ZUNION 2 a b AGGREGATE"), "-ERR syntax error");
    assert_eq!(c.q("ZDIFF 2 a b WEIGHTS 1 1"), "-ERR syntax error");
    assert_eq!(c.q("ZDIFF 2 a b AGGREGATE SUM"), "-ERR syntax error");
    assert_eq!(c.q("ZUNIONSTORE d 2 a b WITHSCORES"), "-ERR syntax error");
    assert_eq!(c.q("ZINTERCARD 2 a b WITHSCORES"), "-ERR syntax error");
    assert_eq!(
        c.q("ZINTERCARD 2 a b LIMIT -1"),
        "-ERR LIMIT can't be negative"
    );
    assert_eq!(
        c.q("ZINTERCARD 2 a b LIMIT x"),
        "-ERR LIMIT can't be negative"
    );
    // The type check comes before the options.
    c.q("SET str v");
    assert_eq!(
        c.q("ZUNION 2 a str BADOPT"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        c.q("ZUNIONSTORE d 1"),
        "-ERR wrong number of arguments for 'zunionstore' command"
    );
    assert_eq!(
        c.q("ZUNION 1"),
        "-ERR wrong number of arguments for 'zunion' command"
    );
}

#[test]
fn zrandmember_and_zscan() {
    let node = Node::start();
    let mut c = Conn::new(&node);
    c.q("ZADD z 1 a 2 b 3 c");
    assert_eq!(c.q("ZRANDMEMBER nokey"), "$-1");
    assert_eq!(c.q("ZRANDMEMBER nokey 3"), "[]");
    assert_eq!(c.q("ZRANDMEMBER z 0"), "[]");
    // A count at least the size returns the whole set, highest first.
    assert_eq!(c.q("ZRANDMEMBER z 3 WITHSCORES"), "[c, 3, b, 2, a, 1]");
    assert_eq!(c.q("ZRANDMEMBER z 10"), "[c, b, a]");
    let one = c.q("ZRANDMEMBER z");
    assert!(["a", "b", "c"].contains(&one.as_str()), "{one}");
    // Distinct members for a positive count, repeats for a negative one.
    for _ in 0..10 {
        let two = c.q("ZRANDMEMBER z 2");
        let items: Vec<&str> = two[1..two.len() - 1].split(", ").collect();
        assert_eq!(items.len(), 2);
        assert_ne!(items[0], items[1]);
    }
    let many = c.q("ZRANDMEMBER z -20");
    assert_eq!(many.matches(", ").count(), 19);
    assert!(many[1..many.len() - 1]
        .split(", ")
        .all(|m| ["a", "b", "c"].contains(&m)));
    // Reads are not stuck on one seed.
    let draws: std::collections::HashSet<String> = (0..40).map(|_| c.q("ZRANDMEMBER z")).collect();
    assert!(draws.len() > 1, "{draws:?}");
    assert_eq!(
        c.q("ZRANDMEMBER z x"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        c.q("ZRANDMEMBER z -9223372036854775808"),
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(
        c.q("ZRANDMEMBER z 9223372036854775807 WITHSCORES"),
        "-ERR value is out of range"
    );
    assert_eq!(c.q("ZRANDMEMBER z 1 WITHSCORE"), "-ERR syntax error");
    assert_eq!(c.q("ZRANDMEMBER z 1 WITHSCORES x"), "-ERR syntax error");
    // ZSCAN: a listpack comes whole with cursor 0.
    assert_eq!(c.q("ZSCAN z 0"), "[0, [a, 1, b, 2, c, 3]]");
    assert_eq!(c.q("ZSCAN z 0 NOSCORES"), "[0, [a, b, c]]");
    assert_eq!(c.q("ZSCAN z 0 MATCH [ab] COUNT 1"), "[0, [a, 1, b, 2]]");
    assert_eq!(c.q("ZSCAN nokey 0 BADOPT"), "[0, []]");
    assert_eq!(c.q("ZSCAN z x"), "-ERR invalid cursor");
    assert_eq!(c.q("ZSCAN z 0 COUNT 0"), "-ERR syntax error");
    assert_eq!(
        c.q("ZSCAN z 0 COUNT x"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(c.q("ZSCAN z 0 MATCH"), "-ERR syntax error");
    assert_eq!(
        c.q("ZSCAN z 0 NOVALUES"),
        "-ERR NOVALUES option can only be used in HSCAN"
    );
    assert_eq!(
        c.q("ZSCAN z"),
        "-ERR wrong number of arguments for 'zscan' command"
    );
    assert_eq!(
        c.q("ZRANDMEMBER"),
        "-ERR wrong number of arguments for 'zrandmember' command"
    );
}

#[test]
fn skiplist_encoding_behaves_the_same() {
    let node = Node::start();
    let mut c = Conn::new(&node);
    // 200 members (> zset-max-listpack-entries): the skiplist encoding.
    let mut args = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..200 {
        args.push((i / 2).to_string());
        args.push(format!("m{i:03}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(c.cmd(&refs), ":200");
    assert_eq!(c.q("ZCARD big"), ":200");
    assert_eq!(c.q("ZRANK big m101 WITHSCORE"), "[:101, 50]");
    assert_eq!(c.q("ZREVRANK big m101"), ":98");
    assert_eq!(
        c.q("ZRANGE big 100 102 WITHSCORES"),
        "[m100, 50, m101, 50, m102, 51]"
    );
    assert_eq!(c.q("ZRANGE big 0 1 REV"), "[m199, m198]");
    assert_eq!(c.q("ZCOUNT big (10 20"), ":20");
    assert_eq!(
        c.q("ZRANGE big (10 20 BYSCORE LIMIT 0 3"),
        "[m022, m023, m024]"
    );
    assert_eq!(
        c.q("ZRANGE big 20 (10 BYSCORE REV LIMIT 1 2"),
        "[m040, m039]"
    );
    assert_eq!(c.q("ZRANGEBYSCORE big 99 +inf"), "[m198, m199]");
    assert_eq!(
        c.q("ZREVRANGEBYSCORE big +inf 99 WITHSCORES"),
        "[m199, 99, m198, 99]"
    );
    // Lex ranges over members that share a score.
    let mut args = vec!["ZADD".to_string(), "lex".to_string()];
    for i in 0..200 {
        args.push("0".into());
        args.push(format!("w{i:03}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(c.cmd(&refs), ":200");
    assert_eq!(c.q("ZLEXCOUNT lex [w010 (w020"), ":10");
    assert_eq!(c.q("ZRANGEBYLEX lex (w197 +"), "[w198, w199]");
    assert_eq!(c.q("ZREVRANGEBYLEX lex [w002 - LIMIT 1 5"), "[w001, w000]");
    assert_eq!(c.q("ZREMRANGEBYLEX lex - (w100"), ":100");
    assert_eq!(c.q("ZREMRANGEBYRANK lex 0 49"), ":50");
    assert_eq!(c.q("ZRANGE lex 0 0"), "[w150]");
    // ZSCAN walks the table with a cursor and sees every member.
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        c.send(&["ZSCAN", "big", &cursor, "COUNT", "20", "NOSCORES"]);
        let reply = c.read();
        let (head, rest) = reply[1..reply.len() - 1].split_once(", ").unwrap();
        cursor = head.to_string();
        let rest = &rest[1..rest.len() - 1];
        if !rest.is_empty() {
            seen.extend(rest.split(", ").map(str::to_string));
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 200);
    // Pops from both ends.
    assert_eq!(c.q("ZPOPMIN big 2"), "[m000, 0, m001, 0]");
    assert_eq!(c.q("ZPOPMAX big"), "[m199, 99]");
    assert_eq!(c.q("ZRANDMEMBER big -3").matches(", ").count(), 2);
    let sample = c.q("ZRANDMEMBER big 50");
    let set: std::collections::HashSet<&str> = sample[1..sample.len() - 1].split(", ").collect();
    assert_eq!(set.len(), 50);
}

#[test]
fn wrongtype_for_every_command() {
    let node = Node::start();
    let mut c = Conn::new(&node);
    c.q("SET s v");
    let wt = "-WRONGTYPE Operation against a key holding the wrong kind of value";
    for line in [
        "ZADD s 1 a",
        "ZINCRBY s 1 a",
        "ZREM s a",
        "ZCARD s",
        "ZCOUNT s 0 1",
        "ZLEXCOUNT s - +",
        "ZSCORE s a",
        "ZMSCORE s a",
        "ZRANK s a",
        "ZREVRANK s a WITHSCORE",
        "ZRANGE s 0 -1",
        "ZRANGESTORE d s 0 -1",
        "ZREVRANGE s 0 -1",
        "ZRANGEBYSCORE s 0 1",
        "ZREVRANGEBYSCORE s 1 0",
        "ZRANGEBYLEX s - +",
        "ZREVRANGEBYLEX s + -",
        "ZREMRANGEBYRANK s 0 1",
        "ZREMRANGEBYSCORE s 0 1",
        "ZREMRANGEBYLEX s - +",
        "ZPOPMIN s",
        "ZPOPMAX s 2",
        "BZPOPMIN s 0",
        "BZPOPMAX s 0",
        "ZMPOP 1 s MIN",
        "BZMPOP 0 1 s MAX",
        "ZRANDMEMBER s",
        "ZRANDMEMBER s 2",
        "ZSCAN s 0",
        "ZUNION 1 s",
        "ZINTER 1 s",
        "ZDIFF 1 s",
        "ZINTERCARD 1 s",
        "ZUNIONSTORE d 1 s",
        "ZINTERSTORE d 1 s",
        "ZDIFFSTORE d 1 s",
    ] {
        assert_eq!(c.q(line), wt, "{line}");
    }
    assert_eq!(c.q("GET s"), "v");
    assert_eq!(c.q("EXISTS d"), ":0");
}

#[test]
fn watch_sees_only_real_changes() {
    let node = Node::start();
    let mut c = Conn::new(&node);
    let mut other = Conn::new(&node);
    c.q("ZADD z 1 a");
    // A ZADD that changes nothing does not touch the key (Valkey signals
    // only real changes), so the transaction runs.
    assert_eq!(c.q("WATCH z"), "+OK");
    assert_eq!(other.q("ZADD z 1 a"), ":0");
    assert_eq!(other.q("ZREM z nope"), ":0");
    assert_eq!(c.q("MULTI"), "+OK");
    assert_eq!(c.q("ZCARD z"), "+QUEUED");
    assert_eq!(c.q("EXEC"), "[:1]");
    // A real change aborts it.
    assert_eq!(c.q("WATCH z"), "+OK");
    assert_eq!(other.q("ZADD z 2 a"), ":0");
    assert_eq!(c.q("MULTI"), "+OK");
    assert_eq!(c.q("ZCARD z"), "+QUEUED");
    assert_eq!(c.q("EXEC"), "*-1");
}
