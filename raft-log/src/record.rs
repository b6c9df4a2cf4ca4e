//! The on-disk record format (version 1) and its checks.
//!
//! A segment file is a 16-byte file header followed by records, back to back:
//!
//! ```text
//! file header: magic "SRAFTWAL" (8) | format version u32 LE | reserved u32
//! record:      magic u32 | version u8 | kind u8 | flags u16 | group u64
//!              | index u64 | payload len u32 | payload crc32c u32
//!              | header crc32c u32 (over the 32 bytes before it) | payload
//! ```
//!
//! Two checksums, because they answer different questions during recovery: a
//! good header checksum means the group id and length can be trusted even when
//! the payload is damaged, so the damage can be pinned on one group and the
//! scan can step over it; a bad header means nothing after it in that file can
//! be located. Format and recovery rules are documented in `docs/raft-log.md`.

use crate::options::MAX_PAYLOAD;

/// Magic at the start of every segment file.
pub const FILE_MAGIC: &[u8; 8] = b"SRAFTWAL";
/// Version of the file and record format written by this code.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes of the segment file header.
pub const FILE_HEADER_LEN: u64 = 16;
/// Magic at the start of every record ("SRLR").
pub const RECORD_MAGIC: u32 = 0x534c_5252;
/// Bytes of a record header.
pub const RECORD_HEADER_LEN: usize = 36;

/// Flag: more records of the same append follow. An append of several
/// entries is all-or-nothing: recovery drops a trailing run of records that
/// carry this flag (the unit never finished).
pub const FLAG_CONTINUED: u16 = 1;

/// What a record means when replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// A log entry appended at `index`. Payload: the serialized entry, which
    /// carries its full log id (leader id + index).
    Entry = 1,
    /// A copy of a live entry written by compaction: sets `index` without
    /// truncating anything after it.
    Copy = 2,
    /// The group's vote. Payload: serialized `Vote`. Latest wins.
    Vote = 3,
    /// The group's committed log id. Payload: serialized `Option<LogId>`.
    Committed = 4,
    /// Entries at `index` and after are deleted. No payload.
    Truncate = 5,
    /// Entries up to and including `index` are purged. Payload: the
    /// serialized `LogId` that becomes `last_purged_log_id`.
    Purge = 6,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Entry,
            2 => Kind::Copy,
            3 => Kind::Vote,
            4 => Kind::Committed,
            5 => Kind::Truncate,
            6 => Kind::Purge,
            _ => return None,
        })
    }
}

/// A decoded record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Meaning of the record.
    pub kind: Kind,
    /// Bit flags (`FLAG_CONTINUED`).
    pub flags: u16,
    /// Raft group the record belongs to.
    pub group: u64,
    /// Log index (meaning depends on `kind`).
    pub index: u64,
    /// Payload bytes after the header.
    pub len: u32,
    /// crc32c of the payload.
    pub payload_crc: u32,
}

impl Header {
    /// Total bytes of the record, header included.
    pub fn total_len(&self) -> u64 {
        RECORD_HEADER_LEN as u64 + self.len as u64
    }
}

/// The 16-byte header every segment file starts with.
pub fn file_header() -> [u8; FILE_HEADER_LEN as usize] {
    let mut h = [0u8; FILE_HEADER_LEN as usize];
    h[..8].copy_from_slice(FILE_MAGIC);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h
}

/// Checks a segment file header; `Err` says why it is not one.
pub fn check_file_header(b: &[u8]) -> Result<(), String> {
    if b.len() < FILE_HEADER_LEN as usize {
        return Err("file header is incomplete".into());
    }
    if &b[..8] != FILE_MAGIC {
        return Err("bad file magic".into());
    }
    let v = u32::from_le_bytes(b[8..12].try_into().expect("4 bytes"));
    if v != FORMAT_VERSION {
        return Err(format!("unsupported format version {v}"));
    }
    Ok(())
}

/// Appends one encoded record to `out`.
pub fn encode(out: &mut Vec<u8>, kind: Kind, flags: u16, group: u64, index: u64, payload: &[u8]) {
    assert!(
        payload.len() <= MAX_PAYLOAD as usize,
        "record payload too large"
    );
    let start = out.len();
    out.extend_from_slice(&RECORD_MAGIC.to_le_bytes());
    out.push(FORMAT_VERSION as u8);
    out.push(kind as u8);
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&group.to_le_bytes());
    out.extend_from_slice(&index.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(payload).to_le_bytes());
    let hcrc = crc32c::crc32c(&out[start..start + 32]);
    out.extend_from_slice(&hcrc.to_le_bytes());
    out.extend_from_slice(payload);
}

/// Length of the record `encode` would produce for a payload of `len` bytes.
pub fn encoded_len(len: usize) -> u64 {
    (RECORD_HEADER_LEN + len) as u64
}

/// Why a record could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bad {
    /// Fewer bytes remain than the header or the payload needs.
    Short,
    /// The header fails its magic, version, kind, length or checksum.
    Header(String),
    /// The header is sound but the payload checksum fails.
    Payload(Header),
}

/// Decodes the header at the start of `b`.
pub fn decode_header(b: &[u8]) -> Result<Header, Bad> {
    if b.len() < RECORD_HEADER_LEN {
        return Err(Bad::Short);
    }
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
    if crc32c::crc32c(&b[..32]) != u32_at(32) {
        return Err(Bad::Header("header checksum mismatch".into()));
    }
    if u32_at(0) != RECORD_MAGIC {
        return Err(Bad::Header("bad record magic".into()));
    }
    if b[4] as u32 != FORMAT_VERSION {
        return Err(Bad::Header(format!("unsupported record version {}", b[4])));
    }
    let kind = Kind::from_u8(b[5]).ok_or_else(|| Bad::Header(format!("unknown kind {}", b[5])))?;
    let len = u32_at(24);
    if len > MAX_PAYLOAD {
        return Err(Bad::Header(format!("payload length {len} over limit")));
    }
    Ok(Header {
        kind,
        flags: u16::from_le_bytes([b[6], b[7]]),
        group: u64_at(8),
        index: u64_at(16),
        len,
        payload_crc: u32_at(28),
    })
}

/// Decodes the whole record at the start of `b`: header and checked payload.
pub fn decode(b: &[u8]) -> Result<(Header, &[u8]), Bad> {
    let h = decode_header(b)?;
    let end = RECORD_HEADER_LEN + h.len as usize;
    if b.len() < end {
        return Err(Bad::Short);
    }
    let payload = &b[RECORD_HEADER_LEN..end];
    if crc32c::crc32c(payload) != h.payload_crc {
        return Err(Bad::Payload(h));
    }
    Ok((h, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_bit_flip_is_caught() {
        let mut buf = Vec::new();
        encode(&mut buf, Kind::Entry, FLAG_CONTINUED, 7, 42, b"hello raft");
        let (h, p) = decode(&buf).expect("valid");
        assert_eq!(
            (h.kind, h.group, h.index, p),
            (Kind::Entry, 7, 42, &b"hello raft"[..])
        );
        for bit in 0..buf.len() * 8 {
            let mut b = buf.clone();
            b[bit / 8] ^= 1 << (bit % 8);
            assert!(decode(&b).is_err(), "flip of bit {bit} went unnoticed");
        }
        for cut in 0..buf.len() {
            assert!(decode(&buf[..cut]).is_err(), "cut at {cut} went unnoticed");
        }
    }
}
