//! Valkey's error replies, written once. Handlers return these texts so
//! that every command fails with the same words Valkey uses.

use crate::resp::Frame;

/// `WRONGTYPE` for an operation on a key of another type.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
/// Argument that must be a 64-bit integer.
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
/// Argument that must be a double.
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
/// Malformed option list.
pub const SYNTAX: &str = "ERR syntax error";
/// Missing source key (RENAME, ...).
pub const NO_SUCH_KEY: &str = "ERR no such key";
/// INCR family overflow.
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
/// LSET and friends.
pub const INDEX_OUT_OF_RANGE: &str = "ERR index out of range";
/// SELECT/MOVE/SWAPDB on a bad database.
pub const DB_OUT_OF_RANGE: &str = "ERR DB index is out of range";
/// A negative or zero count where positive is required.
pub const POSITIVE: &str = "ERR value is out of range, must be positive";
/// Timeouts of blocking commands.
pub const TIMEOUT_NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
/// Negative timeout.
pub const TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";

/// `-ERR wrong number of arguments for 'get' command`.
pub fn wrong_arity(name: &str) -> Frame {
    Frame::Error(format!(
        "ERR wrong number of arguments for '{}' command",
        name.to_ascii_lowercase()
    ))
}

/// `-ERR unknown command 'foo', with args beginning with: 'a' 'b' `.
pub fn unknown_command(args: &[bytes::Bytes]) -> Frame {
    let name = String::from_utf8_lossy(&args[0]);
    let mut msg = format!(
        "ERR unknown command '{}', with args beginning with: ",
        truncate(&name, 128)
    );
    for a in args[1..].iter() {
        if msg.len() >= 128 * 2 {
            break;
        }
        msg.push_str(&format!(
            "'{}' ",
            truncate(&String::from_utf8_lossy(a), 128)
        ));
    }
    Frame::Error(sanitize(msg))
}

/// `-ERR unknown subcommand 'x'. Try CLIENT HELP.`
pub fn unknown_subcommand(cmd: &str, sub: &[u8]) -> Frame {
    Frame::Error(sanitize(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        truncate(&String::from_utf8_lossy(sub), 128),
        cmd.to_ascii_uppercase()
    )))
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Error lines cannot hold CR or LF (Valkey replaces them with spaces).
pub fn sanitize(mut s: String) -> String {
    if s.contains(['\r', '\n']) {
        s = s.replace(['\r', '\n'], " ");
    }
    s
}

/// Shorthand: an error frame from one of the constants above.
pub fn err(msg: &str) -> Frame {
    Frame::Error(msg.to_string())
}
