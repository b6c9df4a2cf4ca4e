//! LCS: the longest common subsequence of two strings, its length, or the
//! matching ranges (IDX), by the classic dynamic-programming table.
//!
//! The table walk back from the end decides which of several equally long
//! answers is returned; it prefers moving in the first string on a strict
//! improvement and in the second otherwise, as Valkey's does, so replies
//! are identical.

use bytes::Bytes;

use crate::command::Ctx;
use crate::errors::{err, NOT_INTEGER, SYNTAX};
use crate::keyspace::Value;
use crate::resp::Frame;
use crate::util::parse_i64;

/// One matching range: `a[a0..=a1]` equals `b[b0..=b1]`.
struct Match {
    a: (usize, usize),
    b: (usize, usize),
}

/// The LCS string and its matching ranges (last match first).
fn compute(a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<Match>) {
    let w = b.len() + 1;
    let mut t = vec![0u32; (a.len() + 1) * w];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            t[i * w + j] = if a[i - 1] == b[j - 1] {
                t[(i - 1) * w + j - 1] + 1
            } else {
                t[(i - 1) * w + j].max(t[i * w + j - 1])
            };
        }
    }
    let mut out = vec![0u8; t[a.len() * w + b.len()] as usize];
    let mut k = out.len();
    let mut ranges = Vec::new();
    let mut cur: Option<Match> = None;
    let (mut i, mut j) = (a.len(), b.len());
    while i > 0 && j > 0 {
        if a[i - 1] == b[j - 1] {
            k -= 1;
            out[k] = a[i - 1];
            match cur.as_mut() {
                // Contiguous with the range being built: extend it back.
                Some(m) if m.a.0 == i && m.b.0 == j => {
                    m.a.0 -= 1;
                    m.b.0 -= 1;
                }
                Some(_) => ranges.extend(cur.take()),
                None => {
                    cur = Some(Match {
                        a: (i - 1, i - 1),
                        b: (j - 1, j - 1),
                    })
                }
            }
            i -= 1;
            j -= 1;
            if cur.as_ref().is_some_and(|m| m.a.0 == 0 || m.b.0 == 0) {
                ranges.extend(cur.take());
            }
        } else {
            if t[(i - 1) * w + j] > t[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            ranges.extend(cur.take());
        }
    }
    (out, ranges)
}

/// The string at `key` for LCS (absent reads as empty).
fn operand(ctx: &mut Ctx, key: &[u8]) -> Result<Bytes, ()> {
    match ctx.get(key) {
        None => Ok(Bytes::new()),
        Some(Value::Str(s)) => Ok(s.clone()),
        Some(_) => Err(()),
    }
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
pub(super) fn lcs(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let (Ok(a), Ok(b)) = (operand(ctx, &args[1]), operand(ctx, &args[2])) else {
        return err("ERR The specified keys must contain string values");
    };
    let (mut len_only, mut idx, mut with_len, mut min_len) = (false, false, false, 0i64);
    let mut i = 3;
    while i < args.len() {
        match args[i].to_ascii_uppercase().as_slice() {
            b"IDX" => idx = true,
            b"LEN" => len_only = true,
            b"WITHMATCHLEN" => with_len = true,
            b"MINMATCHLEN" if i + 1 < args.len() => {
                let Some(n) = parse_i64(&args[i + 1]) else {
                    return err(NOT_INTEGER);
                };
                min_len = n.max(0);
                i += 1;
            }
            _ => return err(SYNTAX),
        }
        i += 1;
    }
    if idx && len_only {
        return err("ERR If you want both the length and indexes, please just use IDX.");
    }
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells.saturating_mul(4) > ctx.ks.limits.proto_max_bulk_len {
        return err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    }
    let (common, ranges) = compute(&a, &b);
    if len_only {
        return Frame::int(common.len());
    }
    if !idx {
        return Frame::Bulk(Bytes::from(common));
    }
    let matches = ranges
        .into_iter()
        .filter(|m| (m.a.1 - m.a.0 + 1) as i64 >= min_len)
        .map(|m| {
            let mut item = vec![
                Frame::Array(vec![Frame::int(m.a.0), Frame::int(m.a.1)]),
                Frame::Array(vec![Frame::int(m.b.0), Frame::int(m.b.1)]),
            ];
            if with_len {
                item.push(Frame::int(m.a.1 - m.a.0 + 1));
            }
            Frame::Array(item)
        })
        .collect();
    Frame::Map(vec![
        (Frame::bulk("matches"), Frame::Array(matches)),
        (Frame::bulk("len"), Frame::int(common.len())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_example() {
        let (s, ranges) = compute(b"ohmytext", b"mynewtext");
        assert_eq!(s, b"mytext");
        let got: Vec<_> = ranges.iter().map(|m| (m.a, m.b)).collect();
        assert_eq!(got, vec![((4, 7), (5, 8)), ((2, 3), (0, 1))]);
    }
}
