//! Data types: each module holds a type's representation and its
//! commands (`keys` and `expire` hold the type-independent key commands).

pub mod expire;
pub mod hash;
pub mod keys;
pub mod list;
pub mod listpack;
pub mod scan;
pub mod set;
pub mod string;
pub mod zset;
