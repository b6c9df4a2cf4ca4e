//! An order-independent digest of a keyspace (DEBUG DIGEST): each key's
//! (db, key, type, value, expiry) is hashed on its own and the hashes are
//! combined with XOR-free mixing by summation, so two keyspaces built by
//! different histories but holding the same data have the same digest.

use xxhash_rust::xxh3::Xxh3;

use crate::keyspace::{Keyspace, Value};

/// 20-byte digest (Valkey's DEBUG DIGEST is 40 hex chars); all zero when
/// the keyspace is empty, as Valkey's is.
pub fn digest(ks: &Keyspace) -> [u8; 20] {
    let mut acc = [0u128; 2];
    let mut any = false;
    for (dbi, db) in ks.dbs.iter().enumerate() {
        for (key, entry) in db.entries.iter() {
            any = true;
            let mut h = Xxh3::new();
            h.update(&(dbi as u64).to_le_bytes());
            field(&mut h, key);
            match db.expires.get(key) {
                Some(at) => h.update(&at.to_le_bytes()),
                None => h.update(b"-"),
            }
            value_digest(&mut h, &entry.value);
            let v = h.digest128();
            acc[0] = acc[0].wrapping_add(v);
            acc[1] = acc[1].wrapping_add(v.rotate_left(17).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        }
    }
    let mut out = [0u8; 20];
    if any {
        out[..16].copy_from_slice(&acc[0].to_le_bytes());
        out[16..].copy_from_slice(&acc[1].to_le_bytes()[..4]);
    }
    out
}

fn field(h: &mut Xxh3, b: &[u8]) {
    h.update(&(b.len() as u64).to_le_bytes());
    h.update(b);
}

fn value_digest(h: &mut Xxh3, v: &Value) {
    h.update(v.type_name().as_bytes());
    match v {
        Value::Str(s) => field(h, s),
        Value::List(l) => {
            for item in l.iter() {
                field(h, item);
            }
        }
        // Unordered collections: sort a canonical form first.
        Value::Hash(hash) => {
            let mut pairs: Vec<_> = hash.iter().collect();
            pairs.sort();
            for (k, v) in pairs {
                field(h, k);
                field(h, v);
            }
        }
        Value::Set(s) => {
            let mut members: Vec<_> = s.members();
            members.sort();
            for m in members {
                field(h, &m);
            }
        }
        Value::ZSet(z) => {
            for (m, score) in z.iter() {
                field(h, m);
                h.update(&score.to_le_bytes());
            }
        }
    }
}
