//! What OBJECT ENCODING says of a string, as Valkey 9 lays strings out.
//!
//! Valkey 9 embeds the key (and, once it has one, the expiry time) in the
//! value's allocation. A string of up to 44 bytes is `embstr` only while
//! object header, key, expiry and value fit in 64 bytes; a string that ever
//! outgrew that (a longer key after RENAME, an expiry added) stays `raw`
//! for good, as do strings changed in place. We model the layout rather
//! than the allocator: the arithmetic below is the size Valkey computes,
//! and [`settle`] makes a `raw` verdict sticky at the moments Valkey
//! reallocates (a write, an expiry set, a key renamed or copied).

use crate::keyspace::{Entry, StrEncoding, Value};
use crate::util::parse_i64;

/// Longest string Valkey creates as `embstr` before embedding the key.
const EMBSTR_SIZE_LIMIT: usize = 44;
/// Size up to which value, key and expiry share one allocation.
const EMBED_LIMIT: usize = 64;
/// The object header (type/encoding/lru/refcount bits and a pointer).
const OBJECT_HEADER: usize = 16;

/// Bytes an sds string of `len` takes: header by size class, data, NUL.
fn sds_size(len: usize) -> usize {
    let header = match len {
        0..32 => 1,
        32..252 => 3,
        252..65531 => 5,
        _ => 9,
    };
    header + len + 1
}

/// True when a `val_len`-byte string stays embedded next to its key.
fn fits(key_len: usize, val_len: usize, has_expire: bool) -> bool {
    let key = 1 + sds_size(key_len);
    let expire = if has_expire { 8 } else { 0 };
    // Embedded values always use the 8-bit sds header (3 bytes).
    let value = 3 + val_len + 1;
    OBJECT_HEADER + key + expire + value <= EMBED_LIMIT
}

fn string_encoding(key: &[u8], s: &[u8], tag: StrEncoding, has_expire: bool) -> &'static str {
    match tag {
        StrEncoding::Raw => "raw",
        StrEncoding::Auto if s.len() <= 20 && parse_i64(s).is_some() => "int",
        _ if s.len() <= EMBSTR_SIZE_LIMIT && fits(key.len(), s.len(), has_expire) => "embstr",
        _ => "raw",
    }
}

/// The encoding name OBJECT ENCODING replies for `entry` stored at `key`.
pub fn name(key: &[u8], entry: &Entry, has_expire: bool) -> &'static str {
    match &entry.value {
        Value::Str(s) => string_encoding(key, s, entry.str_enc, has_expire),
        other => other.encoding(),
    }
}

/// Makes a `raw` verdict permanent: call after anything that makes Valkey
/// rebuild the object (a string write, a new expiry, a new key name).
pub fn settle(key: &[u8], entry: &mut Entry, has_expire: bool) {
    if name(key, entry, has_expire) == "raw" {
        if let Value::Str(_) = entry.value {
            entry.str_enc = StrEncoding::Raw;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(key: &str, val: &str, tag: StrEncoding, exp: bool) -> &'static str {
        string_encoding(key.as_bytes(), val.as_bytes(), tag, exp)
    }

    #[test]
    fn embedding_limits() {
        let a = StrEncoding::Auto;
        assert_eq!(enc("foo", "12345", a, false), "int");
        assert_eq!(enc("foo", "012", a, false), "embstr");
        // 16 + (1+1+3+1) + 3+len+1 <= 64  =>  len <= 38 for a 3-byte key.
        assert_eq!(enc("foo", &"x".repeat(38), a, false), "embstr");
        assert_eq!(enc("foo", &"x".repeat(39), a, false), "raw");
        // An expiry takes 8 more bytes.
        assert_eq!(enc("foo", &"x".repeat(30), a, true), "embstr");
        assert_eq!(enc("foo", &"x".repeat(31), a, true), "raw");
        assert_eq!(enc("foo", "2", StrEncoding::NoInt, false), "embstr");
        assert_eq!(enc("foo", "2", StrEncoding::Raw, false), "raw");
    }
}
