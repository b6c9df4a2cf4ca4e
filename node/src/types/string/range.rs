//! Byte-range commands: APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE.
//!
//! APPEND and SETRANGE change a string in place, which Valkey reports as
//! `raw` from then on; both refuse to grow a string past
//! `proto-max-bulk-len`.

use bytes::{Bytes, BytesMut};

use super::get_str;
use crate::command::Ctx;
use crate::errors::{err, NOT_INTEGER, WRONGTYPE};
use crate::keyspace::{StrEncoding, Value};
use crate::resp::Frame;
use crate::util::parse_i64;

const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/// Checks that `size + append` bytes stay within `proto-max-bulk-len`.
fn check_length(ctx: &Ctx, size: u64, append: u64) -> Result<(), Frame> {
    match size.checked_add(append) {
        Some(total) if total <= ctx.ks.limits.proto_max_bulk_len => Ok(()),
        _ => Err(err(TOO_BIG)),
    }
}

/// Replaces the string at an existing `key` by `f(old)`; marks it `raw`.
fn edit_in_place(ctx: &mut Ctx, key: &[u8], f: impl FnOnce(&mut BytesMut)) -> usize {
    let db = ctx.db;
    let Some(Value::Str(s)) = ctx.get_mut(key) else {
        unreachable!("caller checked the key holds a string");
    };
    // Reuse the buffer when nobody else holds it, so repeated APPENDs
    // stay amortised O(1) per byte.
    let mut buf = std::mem::take(s)
        .try_into_mut()
        .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
    f(&mut buf);
    let len = buf.len();
    *s = buf.freeze();
    if let Some(e) = ctx.ks.dbs[db].entries.get_mut(key) {
        e.str_enc = StrEncoding::Raw;
    }
    ctx.dirty(1);
    len
}

pub(super) fn append(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let (key, tail) = (&args[1], &args[2]);
    let old_len = match get_str(ctx, key) {
        Ok(None) => {
            ctx.set(key.clone(), Value::Str(tail.clone()));
            ctx.dirty(1);
            return Frame::int(tail.len());
        }
        Ok(Some(s)) => s.len(),
        Err(e) => return e,
    };
    if let Err(e) = check_length(ctx, old_len as u64, tail.len() as u64) {
        return e;
    }
    let len = edit_in_place(ctx, key, |b| b.extend_from_slice(tail));
    Frame::int(len)
}

pub(super) fn strlen(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    match get_str(ctx, &args[1]) {
        Ok(v) => Frame::int(v.map_or(0, |s| s.len())),
        Err(e) => e,
    }
}

/// GETRANGE key start end: inclusive, negative counts from the end.
pub(super) fn getrange(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let (Some(mut start), Some(mut end)) = (parse_i64(&args[2]), parse_i64(&args[3])) else {
        return err(NOT_INTEGER);
    };
    let s = match get_str(ctx, &args[1]) {
        Ok(Some(s)) => s,
        Ok(None) => return Frame::Bulk(Bytes::new()),
        Err(e) => return e,
    };
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Frame::Bulk(Bytes::new());
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    let start = start.max(0);
    let end = end.max(0).min(len - 1);
    if start > end || len == 0 {
        return Frame::Bulk(Bytes::new());
    }
    Frame::Bulk(s.slice(start as usize..=end as usize))
}

/// SETRANGE key offset value: overwrites from `offset`, zero-padding.
pub(super) fn setrange(ctx: &mut Ctx, args: &[Bytes]) -> Frame {
    let (key, value) = (&args[1], &args[3]);
    let Some(offset) = parse_i64(&args[2]) else {
        return err(NOT_INTEGER);
    };
    if offset < 0 {
        return err("ERR offset is out of range");
    }
    let offset = offset as u64;
    let exists = match ctx.get(key) {
        None => false,
        Some(Value::Str(s)) => {
            if value.is_empty() {
                return Frame::int(s.len());
            }
            true
        }
        Some(_) => return err(WRONGTYPE),
    };
    if !exists && value.is_empty() {
        return Frame::Integer(0);
    }
    if let Err(e) = check_length(ctx, offset, value.len() as u64) {
        return e;
    }
    let offset = offset as usize;
    let write = |b: &mut BytesMut| {
        if b.len() < offset + value.len() {
            b.resize(offset + value.len(), 0);
        }
        b[offset..offset + value.len()].copy_from_slice(value);
    };
    if !exists {
        ctx.set(key.clone(), Value::Str(Bytes::new()));
    }
    Frame::int(edit_in_place(ctx, key, write))
}
