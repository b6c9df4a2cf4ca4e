//! Sorted-set commands over real TCP: exact replies and error texts of
//! Valkey 9, in RESP2 and RESP3, for both encodings.
//!
//! Replies are rendered compactly by [`Conn::cmd`]: bulk strings as their
//! text, `$-1` for a null bulk, `*-1` for a null array, `:n` integers,
//! `,x` RESP3 doubles, `_` RESP3 nulls, `-ERR ...` errors, arrays as
//! `[a, b]`. Type and nesting stay visible, so RESP2 and RESP3 shapes can
//! be told apart without the noise of length headers.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::Node;

/// A raw connection that renders each reply as a compact string.
struct Conn {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Conn {
    fn new(node: &Node) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", node.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        Conn {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        }
    }

    fn resp3(node: &Node) -> Conn {
        let mut c = Conn::new(node);
        c.send(&["HELLO", "3"]);
        c.read();
        c
    }

    fn send(&mut self, args: &[&str]) {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.w.write_all(&out).unwrap();
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        self.r.read_line(&mut l).expect("reply line");
        assert!(l.ends_with("\r\n"), "truncated reply {l:?}");
        l.truncate(l.len() - 2);
        l
    }

    fn read(&mut self) -> String {
        let l = self.line();
        let (kind, rest) = l.split_at(1);
        match kind {
            "$" if rest == "-1" => l,
            "$" => {
                let n: usize = rest.parse().unwrap();
                let mut b = vec![0; n + 2];
                self.r.read_exact(&mut b).unwrap();
                String::from_utf8_lossy(&b[..n]).into_owned()
            }
            "*" | "~" | "%" if rest == "-1" => l,
            "*" | "~" | "%" => {
                let n: usize = rest.parse().unwrap();
                let n = if kind == "%" { n * 2 } else { n };
                let items: Vec<String> = (0..n).map(|_| self.read()).collect();
                let prefix = if kind == "*" { "" } else { kind };
                format!("{prefix}[{}]", items.join(", "))
            }
            _ => l,
        }
    }

    /// Sends one command and renders its reply.
    fn cmd(&mut self, args: &[&str]) -> String {
        self.send(args);
        self.read()
    }

    /// Runs a command line split on spaces (for arguments without blanks).
    fn q(&mut self, line: &str) -> String {
        let args: Vec<&str> = line.split(' ').collect();
        self.cmd(&args)
    }

    /// Sends a command line without reading the reply (blocking commands).
    fn q_send(&mut self, line: &str) {
        let args: Vec<&str> = line.split(' ').collect();
        self.send(&args);
    }

    /// True when no reply arrives within `d`.
    fn silent_for(&mut self, d: Duration) -> bool {
        self.w.set_read_timeout(Some(d)).unwrap();
        let quiet = self.r.fill_buf().is_err() || self.r.buffer().is_empty();
        self.w
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        quiet
    }
}

#[test]
fn zadd_options_replies_and_errors() {
    let node = Node::start();
    let mut c = Conn::new(&node);
    assert_eq!(c.q("ZADD z 1 a 2 b 3 c"), ":3");
    assert_eq!(c.q("ZADD z 1 a 5 d"), ":1");
    assert_eq!(c.q("ZADD z CH 1 a 9 b 6 e"), ":2");
    assert_eq!(c.q("ZADD z NX 100 a 7 f"), ":1");
    assert_eq!(c.q("ZADD z XX 100 a 8 nope"), ":0");
    assert_eq!(c.q("ZSCORE z a"), "100");
    assert_eq!(c.q("ZSCORE z nope"), "$-1");
    assert_eq!(c.q("ZADD z GT CH 50 a 10 b 1 g"), ":2");
    assert_eq!(c.q("ZMSCORE z a b g"), "[100, 10, 1]");
    assert_eq!(c.q("ZADD z LT CH 200 a 5 b"), ":1");
    assert_eq!(c.q("ZADD z XX GT CH 300 a 1 b 3 zz"), ":1");
    assert_eq!(c.q("ZMSCORE z a b zz"), "[300, 5, $-1]");
    // INCR: the new score, or nil when an option skipped the element.
    assert_eq!(c.q("ZADD z INCR 1.5 a"), "301.5");
    assert_eq!(c.q("ZADD z INCR 2 new"), "2");
    assert_eq!(c.q("ZADD z XX INCR 1 missing"), "$-1");
    assert_eq!(c.q("ZADD z NX INCR 1 a"), "$-1");
    assert_eq!(c.q("ZADD z GT INCR -1 a"), "$-1");
    assert_eq!(c.q("ZADD z LT INCR -1 a"), "300.5");
    assert_eq!(c.q("ZADD nokey XX 1 a"), ":0");
    assert_eq!(c.q("ZADD nokey XX INCR 1 a"), "$-1");
    assert_eq!(c.q("EXISTS nokey"), ":0");
    // Re-adding with the same score changes nothing.
    assert_eq!(c.q("ZADD z CH 300.5 a"), ":0");
    // Infinities, and the NaN an increment can produce.
    assert_eq!(c.q("ZADD inf inf a -inf b"), ":2");
    assert_eq!(c.q("ZRANGE inf 0 -1 WITHSCORES"), "[b, -inf, a, inf]");
    assert_eq!(
        c.q("ZADD inf INCR -inf a"),
        "-ERR resulting score is not a number (NaN)"
    );
    assert_eq!(
        c.q("ZINCRBY inf +inf b"),
        "-ERR resulting score is not a number (NaN)"
    );
    assert_eq!(c.q("ZSCORE inf a"), "inf");
    // Option and argument errors, checked before the key.
    assert_eq!(
        c.q("ZADD z NX XX 1 a"),
        "-ERR XX and NX options at the same time are not compatible"
    );
    for bad in ["ZADD z GT LT 1 a", "ZADD z NX GT 1 a", "ZADD z NX LT 1 a"] {
        assert_eq!(
            c.q(bad),
            "-ERR GT, LT, and/or NX options at the same time are not compatible"
        );
    }
    assert_eq!(
        c.q("ZADD z INCR 1 a 2 b"),
        "-ERR INCR option supports a single increment-element pair"
    );
    assert_eq!(c.q("ZADD z 1 a 2"), "-ERR syntax error");
    assert_eq!(c.q("ZADD z NX 1"), "-ERR syntax error");
    assert_eq!(c.q("ZADD z CH NX"), "-ERR syntax error");
    assert_eq!(c.q("ZADD z x a"), "-ERR value is not a valid float");
    assert_eq!(c.q("ZADD z nan a"), "-ERR value is not a valid float");
    assert_eq!(c.q("ZADD z 1e400 a"), "-ERR value is not a valid float");
    assert_eq!(c.q("ZADD z 1 a x b"), "-ERR value is not a valid float");
    assert_eq!(
        c.q("ZADD z"),
        "-ERR wrong number of arguments for 'zadd' command"
    );
    // Scores are shortest round-trip, %.17g layout.
    assert_eq!(c.q("ZADD f 0.1 a 1e21 b -2.5e-7 c 3.0 d"), ":4");
    assert_eq!(
        c.q("ZRANGE f 0 -1 WITHSCORES"),
        "[c, -2.5e-07, a, 0.1, d, 3, b, 1e+21]"
    );
}

#[test]
fn zincrby_zrem_zcard_and_empty_deletion() {
    let node = Node::start();
    let mut c = Conn::new(&node);
    assert_eq!(c.q("ZINCRBY z 2.5 a"), "2.5");
    assert_eq!(c.q("ZINCRBY z -1 a"), "1.5");
    assert_eq!(c.q("ZINCRBY z x a"), "-ERR value is not a valid float");
    // ZINCRBY shares ZADD's parser: an increment spelled like an option is one.
    assert_eq!(c.q("ZINCRBY z nx a"), "-ERR syntax error");
    assert_eq!(
        c.q("ZINCRBY z 1"),
        "-ERR wrong number of arguments for 'zincrby' command"
    );
    assert_eq!(c.q("ZADD z 1 b 2 c"), ":2");
    assert_eq!(c.q("ZCARD z"), ":3");
    assert_eq!(c.q("ZCARD nokey"), ":0");
    assert_eq!(c.q("ZREM z a nope"), ":1");
    assert_eq!(c.q("ZREM nokey a"), ":0");
    assert_eq!(c.q("ZREM z b c b"), ":2");
    assert_eq!(c.q("EXISTS z"), ":0");
    assert_eq!(
        c.q("ZREM z"),
        "-ERR wrong number of arguments for 'zrem' command"
    );
    assert_eq!(
        c.q("ZCARD"),
        "-ERR wrong number of arguments for 'zcard' command"
    );
}

#[test]
fn counts_scores_and_ranks() {
    let node = Node::start();
    let mut c = Conn::new(&node);
    c.q("ZADD z 1 a 2 b 2 c 3 d");
    assert_eq!(c.q("ZCOUNT z -inf +inf"), ":4");
    assert_eq!(c.q("ZCOUNT z (1 2"), ":2");
    assert_eq!(c.q("ZCOUNT z (2 (3"), ":0");
    assert_eq!(c.q("ZCOUNT z 3 1"), ":0");
    assert_eq!(c.q("ZCOUNT nokey 0 1"), ":0");
    assert_eq!(c.q("ZCOUNT z a 1"), "-ERR min or max is not a float");
    assert_eq!(c.q("ZCOUNT nokey 1 (x"), "-ERR min or max is not a float");
    c.q("ZADD lex 0 a 0 b 0 c 0 d");
    assert_eq!(c.q("ZLEXCOUNT lex - +"), ":4");
    assert_eq!(c.q("ZLEXCOUNT lex [b (d"), ":2");
    assert_eq!(c.q("ZLEXCOUNT lex (b +"), ":2");
    assert_eq!(c.q("ZLEXCOUNT lex + -"), ":0");
    assert_eq!(
        c.q("ZLEXCOUNT lex a +"),
        "-ERR min or max not valid string range item"
    );
    assert_eq!(
        c.q("ZLEXCOUNT nokey - 1"),
        "-ERR min or max not valid string range item"
    );
    assert_eq!(c.q("ZRANK z c"), ":2");
    assert_eq!(c.q("ZREVRANK z c"), ":1");
    assert_eq!(c.q("ZRANK z c WITHSCORE"), "[:2, 2]");
    assert_eq!(c.q("ZREVRANK z a withscore"), "[:3, 1]");
    assert_eq!(c.q("ZRANK z nope"), "$-1");
    assert_eq!(c.q("ZRANK z nope WITHSCORE"), "*-1");
    assert_eq!(c.q("ZRANK nokey a WITHSCORE"), "*-1");
    assert_eq!(c.q("ZRANK z a WITHSCORES"), "-ERR syntax error");
    assert_eq!(
        c.q("ZRANK z a WITHSCORE x"),
        "-ERR wrong number of arguments for 'zrank' command"
    );
    assert_eq!(
        c.q("ZREVRANK z"),
        "-ERR wrong number of arguments for 'zrevrank' command"
    );
    assert_eq!(c.q("ZMSCORE nokey a b"), "[$-1, $-1]");
    assert_eq!(
        c.q("ZMSCORE z"),
        "-ERR wrong number of arguments for 'zmscore' command"
    );
}

#[test]
fn zrange_family() {
    let node = Node::start();
    let mut c = Conn::new(&node);
    c.q("ZADD z 1 a 2 b 3 c 4 d 5 e");
    assert_eq!(c.q("ZRANGE z 0 -1"), "[a, b, c, d, e]");
    assert_eq!(c.q("ZRANGE z -2 100 WITHSCORES"), "[d, 4, e, 5]");
    assert_eq!(c.q("ZRANGE z 3 1"), "[]");
    assert_eq!(c.q("ZRANGE z 0 1 REV"), "[e, d]");
    assert_eq!(c.q("ZRANGE z (1 3 BYSCORE"), "[b, c]");
    assert_eq!(c.q("ZRANGE z 4 (2 BYSCORE REV WITHSCORES"), "[d, 4, c, 3]");
    assert_eq!(c.q("ZRANGE z -inf +inf BYSCORE LIMIT 1 2"), "[b, c]");
    assert_eq!(c.q("ZRANGE z +inf -inf BYSCORE REV LIMIT 0 1"), "[e]");
    assert_eq!(c.q("ZRANGE z -inf +inf BYSCORE LIMIT 5 1"), "[]");
    assert_eq!(c.q("ZRANGE z -inf +inf BYSCORE LIMIT -1 1"), "[]");
    assert_eq!(c.q("ZRANGE z -inf +inf BYSCORE LIMIT 3 -1"), "[d, e]");
    // LIMIT 0 -1 is "no limit", so rank ranges accept it as Valkey does.
    assert_eq!(c.q("ZRANGE z 0 0 LIMIT 0 -1"), "[a]");
    assert_eq!(c.q("ZRANGE nokey 0 -1"), "[]");
    c.q("ZADD lex 0 a 0 b 0 c 0 d");
    assert_eq!(c.q("ZRANGE lex [b + BYLEX"), "[b, c, d]");
    assert_eq!(c.q("ZRANGE lex (c - BYLEX REV"), "[b, a]");
    assert_eq!(c.q("ZRANGE lex - + BYLEX LIMIT 1 2"), "[b, c]");
    // Legacy forms.
    assert_eq!(c.q("ZREVRANGE z 0 1 WITHSCORES"), "[e, 5, d, 4]");
    assert_eq!(
        c.q("ZRANGEBYSCORE z 2 4 WITHSCORES LIMIT 1 5"),
        "[c, 3, d, 4]"
    );
    assert_eq!(c.q("ZREVRANGEBYSCORE z 4 2"), "[d, c, b]");
    assert_eq!(c.q("ZRANGEBYLEX lex (a [c"), "[b, c]");
    assert_eq!(c.q("ZREVRANGEBYLEX lex + - LIMIT 0 2"), "[d, c]");
    // Errors.
    let limit_err =
        "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
    assert_eq!(c.q("ZRANGE z 0 -1 LIMIT 0 1"), limit_err);
    assert_eq!(c.q("ZREVRANGE z 0 -1 LIMIT 0 1"), limit_err);
    assert_eq!(
        c.q("ZRANGE lex - + BYLEX WITHSCORES"),
        "-ERR syntax error, WITHSCORES not supported in combination with BYLEX"
    );
    assert_eq!(
        c.q("ZRANGEBYLEX lex - + WITHSCORES"),
        "-ERR syntax error, WITHSCORES not supported in combination with BYLEX"
    );
    for bad in [
        "ZRANGE z 0 -1 REV REV",
        "ZRANGE z 0 -1 BYSCORE BYLEX",
        "ZRANGE z 0 -1 LIMIT 1",
        "ZRANGE z 0 -1 FOO",
        "ZRANGEBYSCORE z 0 1 REV",
        "ZRANGEBYSCORE z 0 1 BYSCORE",
        "ZREVRANGE z 0 1 BYSCORE",
    ] {
        assert_eq!(c.q(bad), "-ERR syntax error", "{bad}");
    }
    assert_eq!(
        c.q("ZRANGE z 0 -1 BYSCORE LIMIT a 1"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        c.q("ZRANGE z a 1"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        c.q("ZRANGE z a 1 BYSCORE"),
        "-ERR min or max is not a float"
    );
    assert_eq!(
        c.q("ZRANGE z a 1 BYLEX"),
        "-ERR min or max not valid string range item"
    );
    assert_eq!(
        c.q("ZRANGE nokey x 1 BYSCORE"),
        "-ERR min or max is not a float"
    );
    assert_eq!(
        c.q("ZRANGE z 0"),
        "-ERR wrong number of arguments for 'zrange' command"
    );
    for name in [
        "zrevrange",
        "zrangebyscore",
        "zrevrangebyscore",
        "zrangebylex",
        "zrevrangebylex",
    ] {
        assert_eq!(
            c.cmd(&[name, "z", "0"]),
            format!("-ERR wrong number of arguments for '{name}' command")
        );
    }
}

#[test]
fn zrangestore_and_range_removals() {
    let node = Node::start();
    let mut c = Conn::new(&node);
    c.q("ZADD z 1 a 2 b 3 c 4 d 5 e");
    assert_eq!(c.q("ZRANGESTORE dst z 1 2"), ":2");
    assert_eq!(c.q("ZRANGE dst 0 -1 WITHSCORES"), "[b, 2, c, 3]");
    assert_eq!(c.q("ZRANGESTORE dst z 5 (2 BYSCORE REV LIMIT 0 2"), ":2");
    assert_eq!(c.q("ZRANGE dst 0 -1 WITHSCORES"), "[d, 4, e, 5]");
    assert_eq!(
        c.q("ZRANGESTORE dst z 0 -1 WITHSCORES"),
        "-ERR syntax error"
    );
    // An empty result deletes the destination, whatever it held.
    c.q("SET str v");
    assert_eq!(c.q("ZRANGESTORE str z 10 20"), ":0");
    assert_eq!(c.q("EXISTS str"), ":0");
    assert_eq!(c.q("ZRANGESTORE dst nokey 0 -1"), ":0");
    assert_eq!(c.q("EXISTS dst"), ":0");
    // A destination of another type is replaced.
    c.q("SET str v");
    assert_eq!(c.q("ZRANGESTORE str z 0 0"), ":1");
    assert_eq!(c.q("ZRANGE str 0 -1"), "[a]");
    assert_eq!(
        c.q("ZRANGESTORE d z 0"),
        "-ERR wrong number of arguments for 'zrangestore' command"
    );
    // Removals.
    assert_eq!(c.q("ZREMRANGEBYRANK z 0 0"), ":1");
    assert_eq!(c.q("ZREMRANGEBYRANK z 10 20"), ":0");
    assert_eq!(c.q("ZREMRANGEBYSCORE z (2 4"), ":2");
    assert_eq!(c.q("ZRANGE z 0 -1"), "[b, e]");
    assert_eq!(
        c.q("ZREMRANGEBYRANK z x 1"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(
        c.q("ZREMRANGEBYSCORE z x 1"),
        "-ERR min or max is not a float"
    );
    assert_eq!(
        c.q("ZREMRANGEBYLEX z x 1"),
        "-ERR min or max not valid string range item"
    );
    assert_eq!(c.q("ZREMRANGEBYRANK nokey 0 -1"), ":0");
    assert_eq!(c.q("ZREMRANGEBYRANK z 0 -1"), ":2");
    assert_eq!(c.q("EXISTS z"), ":0");
    c.q("ZADD lex 0 a 0 b 0 c");
    assert_eq!(c.q("ZREMRANGEBYLEX lex (a [b"), ":1");
    assert_eq!(c.q("ZREMRANGEBYLEX lex - +"), ":2");
    assert_eq!(c.q("EXISTS lex"), ":0");
    for name in ["zremrangebyrank", "zremrangebyscore", "zremrangebylex"] {
        assert_eq!(
            c.cmd(&[name, "z", "0"]),
            format!("-ERR wrong number of arguments for '{name}' command")
        );
    }
}

#[test]
fn pops_and_mpops() {
    let node = Node::start();
    let mut c = Conn::new(&node);
    c.q("ZADD z 1 a 2 b 3 c 4 d");
    assert_eq!(c.q("ZPOPMIN z"), "[a, 1]");
    assert_eq!(c.q("ZPOPMAX z 2"), "[d, 4, c, 3]");
    assert_eq!(c.q("ZPOPMAX z 0"), "[]");
    assert_eq!(c.q("ZPOPMIN nokey"), "[]");
    assert_eq!(c.q("ZPOPMIN nokey 2"), "[]");
    assert_eq!(
        c.q("ZPOPMIN z -1"),
        "-ERR value is out of range, must be positive"
    );
    assert_eq!(
        c.q("ZPOPMIN z x"),
        "-ERR value is out of range, must be positive"
    );
    assert_eq!(c.q("ZPOPMIN z 1 2"), "-ERR syntax error");
    assert_eq!(c.q("ZPOPMIN z 10"), "[b, 2]");
    assert_eq!(c.q("EXISTS z"), ":0");
    assert_eq!(
        c.q("ZPOPMAX"),
        "-ERR wrong number of arguments for 'zpopmax' command"
    );
    c.q("ZADD m2 1 a 2 b 3 c");
    assert_eq!(
        c.q("ZMPOP 2 nokey m2 MAX COUNT 2"),
        "[m2, [[c, 3], [b, 2]]]"
    );
    assert_eq!(c.q("ZMPOP 1 m2 min"), "[m2, [[a, 1]]]");
    assert_eq!(c.q("EXISTS m2"), ":0");
    assert_eq!(c.q("ZMPOP 2 nokey m2 MIN"), "*-1");
    assert_eq!(
        c.q("ZMPOP 0 m2 MIN"),
        "-ERR numkeys should be greater than 0"
    );
    assert_eq!(
        c.q("ZMPOP x m2 MIN"),
        "-ERR numkeys should be greater than 0"
    );
    assert_eq!(c.q("ZMPOP 3 m2 MIN"), "-ERR syntax error");
    assert_eq!(c.q("ZMPOP 1 m2 FOO"), "-ERR syntax error");
    assert_eq!(
        c.q("ZMPOP 1 m2 MIN COUNT 0"),
        "-ERR count should be greater than 0"
    );
    assert_eq!(
        c.q("ZMPOP 1 m2 MIN COUNT x"),
        "-ERR count should be greater than 0"
    );
    assert_eq!(c.q("ZMPOP 1 m2 MIN COUNT 1 COUNT 1"), "-ERR syntax error");
    assert_eq!(c.q("ZMPOP 1 m2 MIN COUNT"), "-ERR syntax error");
    assert_eq!(
        c.q("ZMPOP 1 m2"),
        "-ERR wrong number of arguments for 'zmpop' command"
    );
    // The first existing key is the one popped from, even of a wrong type.
    c.q("SET str v");
    c.q("ZADD m3 1 a");
    assert_eq!(
        c.q("ZMPOP 2 str m3 MIN"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(c.q("ZMPOP 2 m3 str MIN"), "[m3, [[a, 1]]]");
}

#[test]
fn resp3_shapes() {
    let node = Node::start();
    let mut c = Conn::resp3(&node);
    c.q("ZADD z 1 a 2.5 b 3 c");
    assert_eq!(c.q("ZSCORE z b"), ",2.5");
    assert_eq!(c.q("ZSCORE z nope"), "_");
    assert_eq!(c.q("ZMSCORE z a nope"), "[,1, _]");
    assert_eq!(c.q("ZINCRBY z 1 a"), ",2");
    assert_eq!(c.q("ZADD z XX INCR 1 nope"), "_");
    assert_eq!(
        c.q("ZRANGE z 0 -1 WITHSCORES"),
        "[[a, ,2], [b, ,2.5], [c, ,3]]"
    );
    assert_eq!(c.q("ZRANGE z 0 -1"), "[a, b, c]");
    assert_eq!(c.q("ZRANK z b WITHSCORE"), "[:1, ,2.5]");
    assert_eq!(c.q("ZRANK z nope WITHSCORE"), "_");
    // ZPOP without COUNT stays flat in RESP3; with COUNT it nests.
    assert_eq!(c.q("ZPOPMIN z"), "[a, ,2]");
    assert_eq!(c.q("ZPOPMAX z 1"), "[[c, ,3]]");
    c.q("ZADD z 1 x");
    assert_eq!(c.q("ZMPOP 1 z MIN"), "[z, [[x, ,1]]]");
    assert_eq!(c.q("BZPOPMIN z 0"), "[z, b, ,2.5]");
    assert_eq!(c.q("BZPOPMIN z 0.01"), "_");
    c.q("ZADD a 1 x 2 y");
    c.q("ZADD b 3 y -inf w");
    assert_eq!(
        c.q("ZUNION 2 a b WITHSCORES"),
        "[[w, ,-inf], [x, ,1], [y, ,5]]"
    );
    assert_eq!(c.q("ZRANDMEMBER b 5 WITHSCORES"), "[[y, ,3], [w, ,-inf]]");
    assert_eq!(c.q("ZRANDMEMBER nokey"), "_");
    // ZSCAN scores stay bulk strings.
    assert_eq!(c.q("ZSCAN a 0"), "[0, [x, 1, y, 2]]");
}

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
