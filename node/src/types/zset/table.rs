//! The sorted-set entries of the command table: Valkey's arity, flags,
//! key positions (movable for the numkeys commands) and docs.

use super::{commands, listing, pop, random, store};
use crate::command::flags::{BLOCKING, DENYOOM, FAST, READONLY, WRITE};
use crate::command::{cmd, CommandSpec, Handler};

const RW: u32 = WRITE | DENYOOM;

/// The commands of this type.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("zadd", -4, RW | FAST, (1, 1, 1), Handler::Data(commands::zadd)).doc(
        "sorted-set",
        "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.",
        "1.2.0",
    ),
    cmd("zincrby", 4, RW | FAST, (1, 1, 1), Handler::Data(commands::zincrby)).doc(
        "sorted-set",
        "Increments the score of a member in a sorted set.",
        "1.2.0",
    ),
    cmd("zrem", -3, WRITE | FAST, (1, 1, 1), Handler::Data(commands::zrem)).doc(
        "sorted-set",
        "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.",
        "1.2.0",
    ),
    cmd("zcard", 2, READONLY | FAST, (1, 1, 1), Handler::Data(commands::zcard)).doc(
        "sorted-set",
        "Returns the number of members in a sorted set.",
        "1.2.0",
    ),
    cmd("zcount", 4, READONLY | FAST, (1, 1, 1), Handler::Data(commands::zcount)).doc(
        "sorted-set",
        "Returns the count of members in a sorted set that have scores within a range.",
        "2.0.0",
    ),
    cmd("zlexcount", 4, READONLY | FAST, (1, 1, 1), Handler::Data(commands::zlexcount)).doc(
        "sorted-set",
        "Returns the number of members in a sorted set within a lexicographical range.",
        "2.8.9",
    ),
    cmd("zscore", 3, READONLY | FAST, (1, 1, 1), Handler::Data(commands::zscore)).doc(
        "sorted-set",
        "Returns the score of a member in a sorted set.",
        "1.2.0",
    ),
    cmd("zmscore", -3, READONLY | FAST, (1, 1, 1), Handler::Data(commands::zmscore)).doc(
        "sorted-set",
        "Returns the score of one or more members in a sorted set.",
        "6.2.0",
    ),
    cmd("zrank", -3, READONLY | FAST, (1, 1, 1), Handler::Data(commands::zrank)).doc(
        "sorted-set",
        "Returns the index of a member in a sorted set ordered by ascending scores.",
        "2.0.0",
    ),
    cmd("zrevrank", -3, READONLY | FAST, (1, 1, 1), Handler::Data(commands::zrevrank)).doc(
        "sorted-set",
        "Returns the index of a member in a sorted set ordered by descending scores.",
        "2.0.0",
    ),
    cmd("zrange", -4, READONLY, (1, 1, 1), Handler::Data(listing::zrange)).doc(
        "sorted-set",
        "Returns members in a sorted set within a range of indexes.",
        "1.2.0",
    ),
    cmd("zrangestore", -5, RW, (1, 2, 1), Handler::Data(listing::zrangestore)).doc(
        "sorted-set",
        "Stores a range of members from sorted set in a key.",
        "6.2.0",
    ),
    cmd("zrevrange", -4, READONLY, (1, 1, 1), Handler::Data(listing::zrevrange)).doc(
        "sorted-set",
        "Returns members in a sorted set within a range of indexes in reverse order.",
        "1.2.0",
    ),
    cmd("zrangebyscore", -4, READONLY, (1, 1, 1), Handler::Data(listing::zrangebyscore)).doc(
        "sorted-set",
        "Returns members in a sorted set within a range of scores.",
        "1.0.5",
    ),
    cmd("zrevrangebyscore", -4, READONLY, (1, 1, 1), Handler::Data(listing::zrevrangebyscore))
        .doc(
            "sorted-set",
            "Returns members in a sorted set within a range of scores in reverse order.",
            "2.2.0",
        ),
    cmd("zrangebylex", -4, READONLY, (1, 1, 1), Handler::Data(listing::zrangebylex)).doc(
        "sorted-set",
        "Returns members in a sorted set within a lexicographical range.",
        "2.8.9",
    ),
    cmd("zrevrangebylex", -4, READONLY, (1, 1, 1), Handler::Data(listing::zrevrangebylex)).doc(
        "sorted-set",
        "Returns members in a sorted set within a lexicographical range in reverse order.",
        "2.8.9",
    ),
    cmd("zremrangebyrank", 4, WRITE, (1, 1, 1), Handler::Data(listing::zremrangebyrank)).doc(
        "sorted-set",
        "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.",
        "2.0.0",
    ),
    cmd("zremrangebyscore", 4, WRITE, (1, 1, 1), Handler::Data(listing::zremrangebyscore)).doc(
        "sorted-set",
        "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.",
        "1.2.0",
    ),
    cmd("zremrangebylex", 4, WRITE, (1, 1, 1), Handler::Data(listing::zremrangebylex)).doc(
        "sorted-set",
        "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.",
        "2.8.9",
    ),
    cmd("zpopmin", -2, WRITE | FAST, (1, 1, 1), Handler::Data(pop::zpopmin)).doc(
        "sorted-set",
        "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
        "5.0.0",
    ),
    cmd("zpopmax", -2, WRITE | FAST, (1, 1, 1), Handler::Data(pop::zpopmax)).doc(
        "sorted-set",
        "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
        "5.0.0",
    ),
    cmd("bzpopmin", -3, WRITE | FAST | BLOCKING, (1, -2, 1), Handler::Data(pop::bzpopmin)).doc(
        "sorted-set",
        "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
        "5.0.0",
    ),
    cmd("bzpopmax", -3, WRITE | FAST | BLOCKING, (1, -2, 1), Handler::Data(pop::bzpopmax)).doc(
        "sorted-set",
        "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
        "5.0.0",
    ),
    cmd("zmpop", -4, WRITE, (0, 0, 0), Handler::Data(pop::zmpop))
        .movable(pop::zmpop_keys)
        .doc(
            "sorted-set",
            "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.",
            "7.0.0",
        ),
    cmd("bzmpop", -5, WRITE | BLOCKING, (0, 0, 0), Handler::Data(pop::bzmpop))
        .movable(pop::bzmpop_keys)
        .doc(
            "sorted-set",
            "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
            "7.0.0",
        ),
    cmd("zrandmember", -2, READONLY, (1, 1, 1), Handler::Data(random::zrandmember)).doc(
        "sorted-set",
        "Returns one or more random members from a sorted set.",
        "6.2.0",
    ),
    cmd("zscan", -3, READONLY, (1, 1, 1), Handler::Data(random::zscan)).doc(
        "sorted-set",
        "Iterates over members and scores of a sorted set.",
        "2.8.0",
    ),
    cmd("zunion", -3, READONLY, (0, 0, 0), Handler::Data(store::zunion))
        .movable(store::numkeys_at_1)
        .doc("sorted-set", "Returns the union of multiple sorted sets.", "6.2.0"),
    cmd("zinter", -3, READONLY, (0, 0, 0), Handler::Data(store::zinter))
        .movable(store::numkeys_at_1)
        .doc("sorted-set", "Returns the intersect of multiple sorted sets.", "6.2.0"),
    cmd("zdiff", -3, READONLY, (0, 0, 0), Handler::Data(store::zdiff))
        .movable(store::numkeys_at_1)
        .doc("sorted-set", "Returns the difference between multiple sorted sets.", "6.2.0"),
    cmd("zintercard", -3, READONLY, (0, 0, 0), Handler::Data(store::zintercard))
        .movable(store::numkeys_at_1)
        .doc(
            "sorted-set",
            "Returns the number of members of the intersect of multiple sorted sets.",
            "7.0.0",
        ),
    cmd("zunionstore", -4, RW, (1, 1, 1), Handler::Data(store::zunionstore))
        .movable(store::dest_and_numkeys)
        .doc(
            "sorted-set",
            "Stores the union of multiple sorted sets in a key.",
            "2.0.0",
        ),
    cmd("zinterstore", -4, RW, (1, 1, 1), Handler::Data(store::zinterstore))
        .movable(store::dest_and_numkeys)
        .doc(
            "sorted-set",
            "Stores the intersect of multiple sorted sets in a key.",
            "2.0.0",
        ),
    cmd("zdiffstore", -4, RW, (1, 1, 1), Handler::Data(store::zdiffstore))
        .movable(store::dest_and_numkeys)
        .doc(
            "sorted-set",
            "Stores the difference of multiple sorted sets in a key.",
            "6.2.0",
        ),
];
