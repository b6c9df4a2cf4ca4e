//! Reply values and their encoding.
//!
//! A handler builds a [`Frame`] once; the connection encodes it for the
//! protocol the client negotiated with HELLO. RESP3 types (maps, sets,
//! doubles, booleans, verbatim strings, pushes) fall back to their RESP2
//! shapes exactly as Valkey's `addReply*` functions do, so handlers never
//! branch on the protocol for encoding (only for shapes that differ, such as
//! `ZRANGE WITHSCORES` pairs, which they build from [`Frame::pairs`]).

use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use crate::util::format_double;

/// One reply value. (Serde because a Raft group's apply results carry
/// replies; see `group::types`.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Frame {
    /// `+OK`
    Simple(String),
    /// `-ERR ...`; the text includes the error code (`ERR`, `WRONGTYPE`, ...).
    Error(String),
    /// `:42`
    Integer(i64),
    /// `$3\r\nfoo`
    Bulk(Bytes),
    /// A missing bulk string: `$-1` in RESP2, `_` in RESP3.
    Null,
    /// A missing array: `*-1` in RESP2, `_` in RESP3.
    NullArray,
    /// `*N`
    Array(Vec<Frame>),
    /// `%N` in RESP3, a flat array of 2N in RESP2.
    Map(Vec<(Frame, Frame)>),
    /// `~N` in RESP3, an array in RESP2.
    Set(Vec<Frame>),
    /// `,1.5` in RESP3, a bulk string in RESP2.
    Double(f64),
    /// `#t` in RESP3, `:1`/`:0` in RESP2.
    Boolean(bool),
    /// `=N\r\ntxt:...` in RESP3, a bulk string in RESP2.
    Verbatim(String),
    /// `>N` in RESP3, an array in RESP2.
    Push(Vec<Frame>),
}

impl Frame {
    /// `+OK`.
    pub fn ok() -> Frame {
        Frame::Simple("OK".into())
    }

    /// An error reply; `msg` starts with its code, e.g. `ERR syntax error`.
    pub fn error(msg: impl Into<String>) -> Frame {
        Frame::Error(msg.into())
    }

    /// A bulk string from anything byte-like.
    pub fn bulk(b: impl Into<Bytes>) -> Frame {
        Frame::Bulk(b.into())
    }

    /// A bulk string copied from a slice.
    pub fn bulk_from(b: &[u8]) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(b))
    }

    /// Integer reply.
    pub fn int(n: impl TryInto<i64>) -> Frame {
        Frame::Integer(n.try_into().unwrap_or(i64::MAX))
    }

    /// Array of bulk strings.
    pub fn bulks<I: IntoIterator<Item = Bytes>>(items: I) -> Frame {
        Frame::Array(items.into_iter().map(Frame::Bulk).collect())
    }

    /// Member/score pairs as Valkey sends them: `[[m, s], ...]` in RESP3,
    /// `[m, s, ...]` flat in RESP2 with scores as bulk strings.
    pub fn pairs(items: Vec<(Bytes, f64)>, resp3: bool) -> Frame {
        if resp3 {
            Frame::Array(
                items
                    .into_iter()
                    .map(|(m, s)| Frame::Array(vec![Frame::Bulk(m), Frame::Double(s)]))
                    .collect(),
            )
        } else {
            let mut out = Vec::with_capacity(items.len() * 2);
            for (m, s) in items {
                out.push(Frame::Bulk(m));
                out.push(Frame::Double(s));
            }
            Frame::Array(out)
        }
    }

    /// True for error replies.
    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_))
    }

    /// Appends the encoding of `self` for protocol `proto` (2 or 3) to `out`.
    pub fn encode(&self, proto: u8, out: &mut BytesMut) {
        match self {
            Frame::Simple(s) => line(out, b'+', s.as_bytes()),
            Frame::Error(s) => line(out, b'-', s.as_bytes()),
            Frame::Integer(n) => {
                let mut buf = itoa::Buffer::new();
                line(out, b':', buf.format(*n).as_bytes());
            }
            Frame::Bulk(b) => bulk(out, b),
            Frame::Null => {
                if proto >= 3 {
                    out.put_slice(b"_\r\n")
                } else {
                    out.put_slice(b"$-1\r\n")
                }
            }
            Frame::NullArray => {
                if proto >= 3 {
                    out.put_slice(b"_\r\n")
                } else {
                    out.put_slice(b"*-1\r\n")
                }
            }
            Frame::Array(items) => {
                header(out, b'*', items.len());
                for item in items {
                    item.encode(proto, out);
                }
            }
            Frame::Map(pairs) => {
                if proto >= 3 {
                    header(out, b'%', pairs.len());
                } else {
                    header(out, b'*', pairs.len() * 2);
                }
                for (k, v) in pairs {
                    k.encode(proto, out);
                    v.encode(proto, out);
                }
            }
            Frame::Set(items) => {
                header(out, if proto >= 3 { b'~' } else { b'*' }, items.len());
                for item in items {
                    item.encode(proto, out);
                }
            }
            Frame::Push(items) => {
                header(out, if proto >= 3 { b'>' } else { b'*' }, items.len());
                for item in items {
                    item.encode(proto, out);
                }
            }
            Frame::Double(d) => {
                let text = format_double(*d);
                if proto >= 3 {
                    line(out, b',', text.as_bytes())
                } else {
                    bulk(out, text.as_bytes())
                }
            }
            Frame::Boolean(b) => {
                if proto >= 3 {
                    out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" })
                } else {
                    out.put_slice(if *b { b":1\r\n" } else { b":0\r\n" })
                }
            }
            Frame::Verbatim(text) => {
                if proto >= 3 {
                    header(out, b'=', text.len() + 4);
                    out.put_slice(b"txt:");
                    out.put_slice(text.as_bytes());
                    out.put_slice(b"\r\n");
                } else {
                    bulk(out, text.as_bytes())
                }
            }
        }
    }
}

fn header(out: &mut BytesMut, kind: u8, len: usize) {
    let mut buf = itoa::Buffer::new();
    line(out, kind, buf.format(len).as_bytes());
}

fn line(out: &mut BytesMut, kind: u8, body: &[u8]) {
    out.reserve(body.len() + 3);
    out.put_u8(kind);
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

fn bulk(out: &mut BytesMut, body: &[u8]) {
    header(out, b'$', body.len());
    out.reserve(body.len() + 2);
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

impl From<&str> for Frame {
    fn from(s: &str) -> Frame {
        Frame::Simple(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: &Frame, proto: u8) -> Vec<u8> {
        let mut out = BytesMut::new();
        f.encode(proto, &mut out);
        out.to_vec()
    }

    #[test]
    fn resp2_fallbacks_match_valkey() {
        let map = Frame::Map(vec![(Frame::bulk("a"), Frame::Integer(1))]);
        assert_eq!(enc(&map, 2), b"*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&map, 3), b"%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&Frame::Double(1.5), 2), b"$3\r\n1.5\r\n");
        assert_eq!(enc(&Frame::Double(1.5), 3), b",1.5\r\n");
        assert_eq!(enc(&Frame::Null, 2), b"$-1\r\n");
        assert_eq!(enc(&Frame::NullArray, 2), b"*-1\r\n");
        assert_eq!(enc(&Frame::Null, 3), b"_\r\n");
        assert_eq!(enc(&Frame::Boolean(true), 2), b":1\r\n");
        assert_eq!(enc(&Frame::Verbatim("hi".into()), 3), b"=6\r\ntxt:hi\r\n");
    }
}
