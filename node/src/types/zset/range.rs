//! Range specifications of the sorted-set commands: score intervals
//! (`(1.5 +inf`), lexicographic intervals (`[a (z - +`) and rank windows
//! (`0 -1`), parsed with Valkey's rules and error texts.
//!
//! They live apart from the data structure because the commands parse
//! them *before* looking the key up (a bad range is an error even on a
//! missing key), and the same predicates drive counting, listing and
//! removal.

use std::cmp::Ordering;

use bytes::Bytes;

use crate::errors::err;
use crate::resp::Frame;
use crate::util::parse_f64;

/// Error of a malformed score interval.
pub const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
/// Error of a malformed lexicographic interval.
pub const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// A score interval; each end inclusive or exclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    /// Lower end.
    pub min: f64,
    /// Upper end.
    pub max: f64,
    /// The lower end is excluded (`(min`).
    pub minex: bool,
    /// The upper end is excluded (`(max`).
    pub maxex: bool,
}

/// Parses one end: `(` marks it exclusive; the rest reads as strtod does
/// (an empty rest reads as 0, as Valkey's parser lets it through).
fn score_end(s: &[u8]) -> Option<(f64, bool)> {
    let (ex, rest) = match s.first() {
        Some(b'(') => (true, &s[1..]),
        _ => (false, s),
    };
    if rest.is_empty() {
        return Some((0.0, ex));
    }
    // Unlike score arguments, range ends take strtod's out-of-range
    // results ("1e400" is +inf) as Valkey does not check ERANGE here.
    let v = parse_f64(rest).or_else(|| {
        let v = std::str::from_utf8(rest).ok()?.parse::<f64>().ok()?;
        (v.is_infinite() || v == 0.0).then_some(v)
    })?;
    Some((v, ex))
}

impl ScoreRange {
    /// Parses `min max`; `ERR min or max is not a float` when malformed.
    pub fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, Frame> {
        match (score_end(min), score_end(max)) {
            (Some((min, minex)), Some((max, maxex))) => Ok(ScoreRange {
                min,
                max,
                minex,
                maxex,
            }),
            _ => Err(err(NOT_FLOAT_RANGE)),
        }
    }

    /// True when `v` is at or above the lower end.
    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    /// True when `v` is at or below the upper end.
    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    /// True when `v` is inside.
    pub fn contains(&self, v: f64) -> bool {
        self.gte_min(v) && self.lte_max(v)
    }

    /// True when no score can be inside.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a lexicographic interval.
#[derive(Debug, Clone, PartialEq)]
pub enum LexEnd {
    /// `-`: below every string.
    Min,
    /// `+`: above every string.
    Max,
    /// `[x`: x included.
    Incl(Bytes),
    /// `(x`: x excluded.
    Excl(Bytes),
}

impl LexEnd {
    fn parse(s: &[u8]) -> Option<LexEnd> {
        match s.first()? {
            b'+' if s.len() == 1 => Some(LexEnd::Max),
            b'-' if s.len() == 1 => Some(LexEnd::Min),
            b'[' => Some(LexEnd::Incl(Bytes::copy_from_slice(&s[1..]))),
            b'(' => Some(LexEnd::Excl(Bytes::copy_from_slice(&s[1..]))),
            _ => None,
        }
    }

    fn excluded(&self) -> bool {
        // The infinities count as exclusive ends, as in Valkey.
        !matches!(self, LexEnd::Incl(_))
    }

    /// Orders `value` against this end (the infinities bound everything).
    fn cmp_value(&self, value: &[u8]) -> Ordering {
        match self {
            LexEnd::Min => Ordering::Greater,
            LexEnd::Max => Ordering::Less,
            LexEnd::Incl(b) | LexEnd::Excl(b) => value.cmp(b),
        }
    }

    /// The string of a finite end.
    pub fn value(&self) -> Option<&Bytes> {
        match self {
            LexEnd::Incl(b) | LexEnd::Excl(b) => Some(b),
            _ => None,
        }
    }
}

/// A lexicographic interval of members.
#[derive(Debug, Clone, PartialEq)]
pub struct LexRange {
    /// Lower end.
    pub min: LexEnd,
    /// Upper end.
    pub max: LexEnd,
}

impl LexRange {
    /// Parses `min max`; `ERR min or max not valid string range item`.
    pub fn parse(min: &[u8], max: &[u8]) -> Result<LexRange, Frame> {
        match (LexEnd::parse(min), LexEnd::parse(max)) {
            (Some(min), Some(max)) => Ok(LexRange { min, max }),
            _ => Err(err(NOT_LEX_RANGE)),
        }
    }

    /// True when `m` is at or above the lower end.
    pub fn gte_min(&self, m: &[u8]) -> bool {
        match self.min.cmp_value(m) {
            Ordering::Greater => true,
            Ordering::Equal => !self.min.excluded(),
            Ordering::Less => false,
        }
    }

    /// True when `m` is at or below the upper end.
    pub fn lte_max(&self, m: &[u8]) -> bool {
        match self.max.cmp_value(m) {
            Ordering::Less => true,
            Ordering::Equal => !self.max.excluded(),
            Ordering::Greater => false,
        }
    }

    /// True when no string can be inside.
    pub fn is_empty(&self) -> bool {
        use LexEnd::*;
        let cmp = match (&self.min, &self.max) {
            (Min, Min) | (Max, Max) => Ordering::Equal,
            (Min, _) | (_, Max) => Ordering::Less,
            (Max, _) | (_, Min) => Ordering::Greater,
            (a, b) => a.value().cmp(&b.value()),
        };
        cmp == Ordering::Greater
            || (cmp == Ordering::Equal && (self.min.excluded() || self.max.excluded()))
    }
}

/// Turns `start stop` ranks (negative from the end) into an inclusive
/// window of `[0, len)`, or `None` when it selects nothing.
pub fn rank_window(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut stop = if stop < 0 { len + stop } else { stop };
    if start < 0 {
        start = 0;
    }
    if start > stop || start >= len {
        return None;
    }
    if stop >= len {
        stop = len - 1;
    }
    Some((start as usize, stop as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_ranges() {
        let r = ScoreRange::parse(b"(1", b"+inf").unwrap();
        assert!(r.minex && !r.maxex && r.max == f64::INFINITY);
        assert!(!r.contains(1.0) && r.contains(1.5) && r.contains(f64::INFINITY));
        assert!(ScoreRange::parse(b"-inf", b"(2")
            .unwrap()
            .contains(f64::NEG_INFINITY));
        assert!(ScoreRange::parse(b"(1", b"(1").unwrap().is_empty());
        assert!(!ScoreRange::parse(b"1", b"1").unwrap().is_empty());
        assert!(ScoreRange::parse(b"2", b"1").unwrap().is_empty());
        for bad in [&b"x"[..], b"(x", b"nan", b"1 ", b"((1"] {
            assert!(ScoreRange::parse(bad, b"1").is_err(), "{bad:?}");
        }
        assert_eq!(ScoreRange::parse(b"(", b"1").unwrap().min, 0.0);
        assert_eq!(
            ScoreRange::parse(b"-1e400", b"1").unwrap().min,
            f64::NEG_INFINITY
        );
    }

    #[test]
    fn lex_ranges() {
        let r = LexRange::parse(b"[b", b"(d").unwrap();
        assert!(r.gte_min(b"b") && r.lte_max(b"c") && !r.lte_max(b"d"));
        assert!(!r.gte_min(b"a"));
        let all = LexRange::parse(b"-", b"+").unwrap();
        assert!(all.gte_min(b"") && all.lte_max(b"\xff\xff") && !all.is_empty());
        assert!(LexRange::parse(b"+", b"-").unwrap().is_empty());
        assert!(LexRange::parse(b"-", b"-").unwrap().is_empty());
        assert!(LexRange::parse(b"(a", b"[a").unwrap().is_empty());
        assert!(!LexRange::parse(b"[a", b"[a").unwrap().is_empty());
        assert!(LexRange::parse(b"[b", b"[a").unwrap().is_empty());
        for bad in [&b"a"[..], b"", b"+a", b"--", b"1"] {
            assert!(LexRange::parse(bad, b"+").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rank_windows() {
        assert_eq!(rank_window(0, -1, 3), Some((0, 2)));
        assert_eq!(rank_window(-100, 100, 3), Some((0, 2)));
        assert_eq!(rank_window(2, 1, 3), None);
        assert_eq!(rank_window(3, 5, 3), None);
        assert_eq!(rank_window(0, -4, 3), None);
        assert_eq!(rank_window(0, 0, 0), None);
    }
}
