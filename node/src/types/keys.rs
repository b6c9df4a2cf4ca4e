//! Type-independent key commands and database commands.

use bytes::Bytes;

use crate::command::{cmd, flags::*, CommandSpec, Ctx, Handler};
use crate::resp::Frame;

fn del(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let n = args[1..].iter().filter(|k| ctx.delete(k)).count();
    ctx.dirty(n as u64);
    Frame::int(n)
}

fn exists(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    Frame::int(args[1..].iter().filter(|k| ctx.exists(k)).count())
}

fn dbsize(ctx: &mut Ctx, _args: &[Bytes]) -> Frame {
    Frame::int(ctx.dbm().len())
}

/// Key and database commands.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("del", -2, WRITE, (1, -1, 1), Handler::Data(del)).doc(
        "generic",
        "Deletes one or more keys.",
        "1.0.0",
    ),
    cmd(
        "exists",
        -2,
        READONLY | FAST,
        (1, -1, 1),
        Handler::Data(exists),
    )
    .doc(
        "generic",
        "Determines whether one or more keys exist.",
        "1.0.0",
    ),
    cmd(
        "dbsize",
        1,
        READONLY | FAST,
        (0, 0, 0),
        Handler::Data(dbsize),
    )
    .doc(
        "server",
        "Returns the number of keys in the database.",
        "1.0.0",
    ),
];
