//! Hash slots: `CRC16-XMODEM(key or its {hash tag}) mod 16384`, as Valkey's
//! cluster specification defines them.

/// Number of hash slots.
pub const SLOTS: u16 = 16384;

/// The part of `key` that is hashed: the first `{...}` with at least one
/// byte inside, else the whole key.
pub fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

/// The slot of `key`.
pub fn key_slot(key: &[u8]) -> u16 {
    crc16::State::<crc16::XMODEM>::calculate(hash_tag(key)) % SLOTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_reference_vector() {
        assert_eq!(
            crc16::State::<crc16::XMODEM>::calculate(b"123456789"),
            0x31C3
        );
    }

    #[test]
    fn hash_tag_edge_cases() {
        // Cases from Valkey's cluster specification.
        assert_eq!(hash_tag(b"{user1000}.following"), b"user1000");
        assert_eq!(hash_tag(b"foo{}{bar}"), b"foo{}{bar}");
        assert_eq!(hash_tag(b"foo{{bar}}zap"), b"{bar");
        assert_eq!(hash_tag(b"foo{bar}{zap}"), b"bar");
        assert_eq!(hash_tag(b"{}foo"), b"{}foo");
        assert_eq!(hash_tag(b"foo{bar"), b"foo{bar");
        assert_eq!(key_slot(b"{user1000}.a"), key_slot(b"{user1000}.b"));
        assert_eq!(key_slot(b"foo"), 12182);
    }
}
