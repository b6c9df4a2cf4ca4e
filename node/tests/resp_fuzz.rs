//! Property tests of the request parser, the first code that touches bytes
//! from the network: it never panics on any input cut any way, parses a
//! valid pipeline identically however the bytes arrive, and never
//! allocates more than the bytes actually received imply (a claimed
//! `*2000000000` or `$536870912` costs nothing until the data comes).
//!
//! Allocation is measured with a counting global allocator, per thread, so
//! the parallel test threads do not disturb each other.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use slotraft::resp::{ParseLimits, RequestParser};

struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    static TOTAL: Cell<usize> = const { Cell::new(0) };
}

fn record(size: usize) {
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            let _ = LARGEST.try_with(|m| m.set(m.get().max(size)));
            let _ = TOTAL.try_with(|n| n.set(n.get() + size));
        }
    });
}

// SAFETY: every call forwards to the system allocator unchanged; the
// bookkeeping touches only const-initialised thread-locals (no allocation).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const LIMITS: ParseLimits = ParseLimits {
    max_bulk_len: 512 * 1024 * 1024,
    authenticated: true,
};

/// What parsing a byte stream delivered in `chunks` gave: the requests
/// before the first error, the error if any, and the allocation figures
/// of the parser alone.
struct Outcome {
    requests: Vec<Vec<Bytes>>,
    error: Option<String>,
    largest_alloc: usize,
    total_alloc: usize,
}

fn parse_in_chunks(input: &[u8], cuts: &[usize]) -> Outcome {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.push(input.len());
    let mut parser = RequestParser::new();
    // Room for everything up front, so the buffer's own growth is not
    // counted as the parser's.
    let mut buf = BytesMut::with_capacity(input.len() + 1);
    let mut out = Outcome {
        requests: Vec::new(),
        error: None,
        largest_alloc: 0,
        total_alloc: 0,
    };
    let mut at = 0;
    'feed: for cut in cuts {
        buf.extend_from_slice(&input[at..cut]);
        at = cut;
        loop {
            LARGEST.with(|m| m.set(0));
            TOTAL.with(|n| n.set(0));
            TRACKING.with(|t| t.set(true));
            let step = parser.next(&mut buf, LIMITS);
            TRACKING.with(|t| t.set(false));
            out.largest_alloc = out.largest_alloc.max(LARGEST.with(|m| m.get()));
            out.total_alloc += TOTAL.with(|n| n.get());
            match step {
                Ok(Some(args)) => out.requests.push(args),
                Ok(None) => break,
                Err(e) => {
                    out.error = Some(e.0);
                    break 'feed;
                }
            }
        }
    }
    out
}

fn encode_multibulk(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The parser's memory may grow with the bytes it was given, never with
/// what they claim: a fixed allowance (one bounded argument vector) plus a
/// constant factor of the input.
fn allowance(input_len: usize) -> usize {
    64 * 1024 + 64 * input_len
}

/// A request: multibulk with arbitrary binary arguments, or inline with
/// plain words.
fn request() -> impl Strategy<Value = (Vec<Vec<u8>>, bool)> {
    prop_oneof![
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..8)
            .prop_map(|a| (a, false)),
        prop::collection::vec("[a-zA-Z0-9_:.-]{1,12}", 1..6)
            .prop_map(|w| (w.into_iter().map(String::into_bytes).collect(), true)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(
        input in prop::collection::vec(any::<u8>(), 0..512),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let out = parse_in_chunks(&input, &cuts);
        prop_assert!(out.largest_alloc <= allowance(input.len()));
        prop_assert!(out.total_alloc <= allowance(input.len()));
        if let Some(e) = out.error {
            prop_assert!(e.starts_with("ERR Protocol error: "), "{}", e);
        }
    }

    #[test]
    fn resp_shaped_noise_never_panics(
        parts in prop::collection::vec(
            prop_oneof![
                Just(b"*".to_vec()),
                Just(b"$".to_vec()),
                Just(b"\r\n".to_vec()),
                Just(b"-1".to_vec()),
                Just(b"2147483647".to_vec()),
                Just(b"536870912".to_vec()),
                Just(b"99999999999999999999".to_vec()),
                Just(b"\"".to_vec()),
                Just(b"'".to_vec()),
                Just(b"\\x4".to_vec()),
                "[0-9]{1,3}".prop_map(String::into_bytes),
                "[a-z ]{1,5}".prop_map(String::into_bytes),
            ],
            0..40,
        ),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let input = parts.concat();
        let out = parse_in_chunks(&input, &cuts);
        prop_assert!(out.largest_alloc <= allowance(input.len()));
        prop_assert!(out.total_alloc <= allowance(input.len()));
    }

    #[test]
    fn valid_pipelines_parse_the_same_however_cut(
        requests in prop::collection::vec(request(), 1..6),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let mut input = Vec::new();
        for (args, inline) in &requests {
            if *inline {
                input.extend_from_slice(&args.join(&b' '));
                input.extend_from_slice(b"\r\n");
            } else {
                input.extend_from_slice(&encode_multibulk(args));
            }
        }
        let whole = parse_in_chunks(&input, &[]);
        let cut = parse_in_chunks(&input, &cuts);
        prop_assert_eq!(whole.error, None);
        prop_assert_eq!(cut.error, None);
        let want: Vec<Vec<Bytes>> = requests
            .iter()
            .map(|(args, _)| args.iter().map(|a| Bytes::copy_from_slice(a)).collect())
            .collect();
        prop_assert_eq!(&whole.requests, &want);
        prop_assert_eq!(&cut.requests, &want);
        prop_assert!(cut.total_alloc <= allowance(input.len()));
    }

    #[test]
    fn claimed_lengths_cost_nothing_until_sent(
        count in 1i64..=i32::MAX as i64,
        len in 0i64..=512 * 1024 * 1024,
        sent in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut input = format!("*{count}\r\n${len}\r\n").into_bytes();
        input.extend_from_slice(&sent);
        let out = parse_in_chunks(&input, &[3, 9]);
        prop_assert!(
            out.largest_alloc <= allowance(input.len()),
            "allocated {} for {} input bytes", out.largest_alloc, input.len()
        );
    }
}
