//! A packed list of byte strings: the memory shape of Valkey's `listpack`.
//!
//! Small collections are many, so their per-element cost dominates memory:
//! a `Vec<(Bytes, Bytes)>` spends 64 bytes of handles and two heap blocks
//! per pair before the first byte of data. Here every entry is a LEB128
//! length followed by its bytes, back to back in one buffer whose capacity
//! is kept equal to its length (a write reallocates, as Valkey's listpack
//! does; collections stay below ~128 entries, so that is cheap).
//!
//! Entries are addressed by byte offset: lookups are linear scans that
//! hand out offsets, and edits take them back. Storage order is insertion
//! order (edits in place keep positions), which keeps seeded random picks
//! deterministic.

/// A packed sequence of byte strings.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Listpack {
    /// A boxed slice, not a `Vec`: 8 bytes smaller, and exact by type.
    buf: Box<[u8]>,
    len: u32,
}

/// Reads the LEB128 length at `buf[at..]`; returns (length, header bytes).
fn read_len(buf: &[u8], at: usize) -> (usize, usize) {
    let mut n = 0usize;
    let mut shift = 0;
    let mut i = at;
    loop {
        let b = buf[i];
        n |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            return (n, i - at);
        }
        shift += 7;
    }
}

/// Appends the LEB128 encoding of `n`.
fn write_len(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Bytes taken by `len`'s header plus the data.
fn encoded_size(len: usize) -> usize {
    let mut header = 1;
    let mut n = len >> 7;
    while n > 0 {
        header += 1;
        n >>= 7;
    }
    header + len
}

/// Iterator over entries with their byte offsets.
pub struct Entries<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<(usize, &'a [u8])> {
        if self.at >= self.buf.len() {
            return None;
        }
        let start = self.at;
        let (n, h) = read_len(self.buf, start);
        self.at = start + h + n;
        Some((start, &self.buf[start + h..start + h + n]))
    }
}

impl Listpack {
    /// An empty list (no allocation).
    pub fn new() -> Listpack {
        Listpack::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heap bytes held (the buffer; its capacity equals its length).
    pub fn heap_bytes(&self) -> usize {
        self.buf.len()
    }

    /// Runs `f` on the buffer as a `Vec`, then stores it back exactly
    /// sized (no reallocation when `f` reserved exactly).
    fn edit(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        let mut v = std::mem::take(&mut self.buf).into_vec();
        f(&mut v);
        self.buf = v.into_boxed_slice();
    }

    /// Entries with their byte offsets, in storage order.
    pub fn entries(&self) -> Entries<'_> {
        Entries {
            buf: &self.buf,
            at: 0,
        }
    }

    /// Entries in storage order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.entries().map(|(_, e)| e)
    }

    /// The entry at byte offset `at`, and the offset of the next one.
    pub fn entry_at(&self, at: usize) -> (&[u8], usize) {
        let (n, h) = read_len(&self.buf, at);
        (&self.buf[at + h..at + h + n], at + h + n)
    }

    /// Appends the entries `items` (one exact reallocation).
    pub fn push_all(&mut self, items: &[&[u8]]) {
        let extra: usize = items.iter().map(|i| encoded_size(i.len())).sum();
        self.edit(|buf| {
            buf.reserve_exact(extra);
            for i in items {
                write_len(buf, i.len());
                buf.extend_from_slice(i);
            }
        });
        self.len += items.len() as u32;
    }

    /// Replaces the entry at byte offset `at` with `new`.
    pub fn replace(&mut self, at: usize, new: &[u8]) {
        let (_, end) = self.entry_at(at);
        let mut enc = Vec::with_capacity(encoded_size(new.len()));
        write_len(&mut enc, new.len());
        enc.extend_from_slice(new);
        self.edit(|buf| {
            if enc.len() > end - at {
                buf.reserve_exact(enc.len() - (end - at));
            }
            buf.splice(at..end, enc);
        });
    }

    /// Removes `count` consecutive entries starting at byte offset `at`.
    pub fn remove(&mut self, at: usize, count: usize) {
        let mut end = at;
        for _ in 0..count {
            end = self.entry_at(end).1;
        }
        self.edit(|buf| {
            buf.drain(at..end);
        });
        self.len -= count as u32;
    }
}

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(bytes::Bytes::copy_from_slice))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_replace_remove() {
        let mut lp = Listpack::new();
        lp.push_all(&[b"a", b"", b"ccc"]);
        let big = vec![7u8; 300];
        lp.push_all(&[&big]);
        assert_eq!(lp.len(), 4);
        let all: Vec<&[u8]> = lp.iter().collect();
        assert_eq!(all, vec![&b"a"[..], b"", b"ccc", &big[..]]);
        // 1+1, 1+0, 1+3, 2+300
        assert_eq!(lp.heap_bytes(), 2 + 1 + 4 + 302);

        let (at, _) = lp.entries().nth(1).unwrap();
        lp.replace(at, b"longer");
        let (at, _) = lp.entries().nth(3).unwrap();
        lp.replace(at, b"x");
        assert_eq!(
            lp.iter().collect::<Vec<_>>(),
            vec![&b"a"[..], b"longer", b"ccc", b"x"]
        );
        assert_eq!(lp.heap_bytes(), 2 + 7 + 4 + 2);

        let (at, _) = lp.entries().nth(1).unwrap();
        lp.remove(at, 2);
        assert_eq!(lp.iter().collect::<Vec<_>>(), vec![&b"a"[..], b"x"]);
        assert_eq!(lp.len(), 2);
        lp.remove(0, 2);
        assert!(lp.is_empty());
        assert_eq!(lp.heap_bytes(), 0);
    }

    #[test]
    fn handle_is_small() {
        assert_eq!(std::mem::size_of::<Listpack>(), 24);
        assert_eq!(std::mem::size_of::<crate::types::hash::Hash>(), 24);
    }

    #[test]
    fn lengths_round_trip() {
        for n in [0usize, 1, 127, 128, 16383, 16384, 70000] {
            let mut v = Vec::new();
            write_len(&mut v, n);
            assert_eq!(v.len(), encoded_size(n) - n);
            assert_eq!(read_len(&v, 0), (n, v.len()));
        }
    }
}
