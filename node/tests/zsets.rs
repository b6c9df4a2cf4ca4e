//! Sorted-set commands over real TCP: exact replies and error texts of
//! Valkey 9, in RESP2 and RESP3, for both encodings (see `common::render`
//! for how replies are shown). More in `zsets_more.rs`.

mod common;

use common::render::Conn;
use common::Node;

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
