//! What SCAN, HSCAN, SSCAN and ZSCAN share: the cursor and options parser,
//! and the reply shape `[cursor, [items...]]`.

use bytes::Bytes;

use crate::errors::{err, NOT_INTEGER, SYNTAX};
use crate::resp::Frame;
use crate::util::{glob_match, parse_i64};

/// Parsed `cursor [MATCH pattern] [COUNT n] [TYPE t] [NOVALUES]`.
#[derive(Debug, Clone, Default)]
pub struct ScanArgs {
    /// The cursor (unsigned 64-bit).
    pub cursor: u64,
    /// MATCH pattern.
    pub pattern: Option<Bytes>,
    /// COUNT hint (default 10).
    pub count: usize,
    /// TYPE filter (SCAN only).
    pub type_name: Option<String>,
    /// NOVALUES (HSCAN only).
    pub no_values: bool,
}

impl ScanArgs {
    /// True when `item` passes the MATCH filter.
    pub fn matches(&self, item: &[u8]) -> bool {
        self.pattern
            .as_ref()
            .is_none_or(|p| glob_match(p, item, false))
    }
}

/// Parses `args[at]` as the cursor and the options after it. `allow_type`
/// and `allow_novalues` say which command-specific options are accepted.
pub fn parse(
    args: &[Bytes],
    at: usize,
    allow_type: bool,
    allow_novalues: bool,
) -> Result<ScanArgs, Frame> {
    let cursor = std::str::from_utf8(&args[at])
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| err("ERR invalid cursor"))?;
    let mut out = ScanArgs {
        cursor,
        count: 10,
        ..ScanArgs::default()
    };
    let mut i = at + 1;
    while i < args.len() {
        let opt = args[i].to_ascii_lowercase();
        let next = args.get(i + 1);
        match (opt.as_slice(), next) {
            (b"count", Some(n)) => {
                let n = parse_i64(n).ok_or_else(|| err(NOT_INTEGER))?;
                if n < 1 {
                    return Err(err(SYNTAX));
                }
                out.count = n as usize;
                i += 2;
            }
            (b"match", Some(p)) => {
                out.pattern = Some(p.clone());
                i += 2;
            }
            (b"type", Some(t)) if allow_type => {
                out.type_name = Some(String::from_utf8_lossy(t).to_ascii_lowercase());
                i += 2;
            }
            (b"novalues", _) if allow_novalues => {
                out.no_values = true;
                i += 1;
            }
            _ => return Err(err(SYNTAX)),
        }
    }
    Ok(out)
}

/// The reply: next cursor as a bulk string, then the items.
pub fn reply(next: u64, items: Vec<Frame>) -> Frame {
    Frame::Array(vec![Frame::bulk(next.to_string()), Frame::Array(items)])
}

/// Parses the timeout of a blocking command (seconds, decimals allowed),
/// with Valkey's errors. 0 means forever.
pub fn blocking_timeout(arg: &[u8]) -> Result<f64, Frame> {
    let t = crate::util::parse_f64(arg).ok_or_else(|| err(crate::errors::TIMEOUT_NOT_FLOAT))?;
    if t < 0.0 {
        return Err(err(crate::errors::TIMEOUT_NEGATIVE));
    }
    if !t.is_finite() || t * 1000.0 > i64::MAX as f64 / 2.0 {
        return Err(err("ERR timeout is out of range"));
    }
    Ok(t)
}
