//! Segment files: naming, and reading one back at recovery.
//!
//! Recovery rules live next to the format (`record.rs`) they check. A segment
//! is read whole (segments are bounded), records are walked in order, and each
//! failure is classified: in a sealed segment any failure is corruption; in
//! the last segment a failure is a torn tail only if no valid record follows
//! it (a partially written last batch), otherwise it is corruption too. A bad
//! payload under a sound header is charged to that one group and the scan
//! steps over it; a bad header stops everything, because nothing after it can
//! be located.

use std::path::{Path, PathBuf};

use crate::record::{self, Bad, Header, FILE_HEADER_LEN, RECORD_HEADER_LEN};

/// File name of segment `id`.
pub fn file_name(id: u64) -> String {
    format!("{id:016x}.wal")
}

/// Segment id from a file name, if it is one.
pub fn parse_name(name: &str) -> Option<u64> {
    let hex = name.strip_suffix(".wal")?;
    if hex.len() != 16 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// One good record found by the scan.
pub struct Found<'a> {
    pub offset: u64,
    pub header: Header,
    pub payload: &'a [u8],
}

/// How a scan of one segment ended.
pub enum End {
    /// Every byte was a valid record.
    Clean,
    /// The last segment ends in a partial record starting at `offset`.
    TornTail { offset: u64, reason: String },
    /// Unrecoverable: nothing from `offset` on can be trusted.
    Corrupt { offset: u64, reason: String },
}

/// Whether any valid record starts anywhere in `b` (used to tell a torn tail
/// from damage in the middle of the last segment).
fn any_valid_record(b: &[u8]) -> bool {
    let magic = record::RECORD_MAGIC.to_le_bytes();
    (0..b.len().saturating_sub(RECORD_HEADER_LEN - 1))
        .filter(|&i| b[i..i + 4] == magic)
        .any(|i| record::decode(&b[i..]).is_ok())
}

/// Walks the records of one segment, calling `on_record` for each valid one
/// (including those after a payload-damaged record, which is reported via
/// `on_damage` and skipped). Returns how the walk ended.
pub fn scan<'a>(
    bytes: &'a [u8],
    is_last: bool,
    mut on_record: impl FnMut(Found<'a>),
    mut on_damage: impl FnMut(u64, u64),
) -> End {
    if let Err(reason) = record::check_file_header(bytes) {
        return if is_last && bytes.len() < FILE_HEADER_LEN as usize {
            End::TornTail { offset: 0, reason }
        } else {
            End::Corrupt { offset: 0, reason }
        };
    }
    let mut off = FILE_HEADER_LEN as usize;
    while off < bytes.len() {
        match record::decode(&bytes[off..]) {
            Ok((header, payload)) => {
                on_record(Found {
                    offset: off as u64,
                    header,
                    payload,
                });
                off += header.total_len() as usize;
            }
            Err(bad) => {
                let rest_valid = || any_valid_record(&bytes[off + 1..]);
                let reason = match &bad {
                    Bad::Short => "record runs past end of file".to_string(),
                    Bad::Header(r) => r.clone(),
                    Bad::Payload(_) => "payload checksum mismatch".to_string(),
                };
                if is_last && !rest_valid() {
                    return End::TornTail {
                        offset: off as u64,
                        reason,
                    };
                }
                match bad {
                    Bad::Payload(h) => {
                        on_damage(off as u64, h.group);
                        off += h.total_len() as usize;
                    }
                    _ => {
                        return End::Corrupt {
                            offset: off as u64,
                            reason,
                        }
                    }
                }
            }
        }
    }
    End::Clean
}

/// Full path of segment `id` in `dir`.
pub fn path(dir: &Path, id: u64) -> PathBuf {
    dir.join(file_name(id))
}
