//! The wire protocol: parsing requests and encoding replies (RESP2/RESP3).

mod frame;
mod request;

pub use frame::Frame;
pub use request::{split_args, ParseLimits, ProtocolError, RequestParser, INLINE_MAX};
