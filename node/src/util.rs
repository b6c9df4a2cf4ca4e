//! Number parsing and formatting with Valkey's exact rules, and glob
//! matching as Valkey's `stringmatchlen` does it. Replies and errors depend
//! on these details ("+1" is not an integer, "1e+21" not "1e21"), so they
//! live in one place.

/// Parses a signed 64-bit integer the way Valkey's `string2ll` does: no
/// sign but `-`, no leading zeros, no blanks, no `-0`.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// Parses a double as Valkey's `string2d`/`strtod`: `inf`, `-inf`, exponents;
/// no blanks, no trailing bytes, never NaN.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s[0].is_ascii_whitespace() || s[s.len() - 1].is_ascii_whitespace() {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    let lower = text.to_ascii_lowercase();
    let v = match lower.trim_start_matches(['+', '-']) {
        "inf" | "infinity" => {
            if lower.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        }
        rest if rest.starts_with("nan") || rest.starts_with("inf") => return None,
        rest => {
            let v = text.parse::<f64>().ok()?;
            // strtod's ERANGE, which Valkey rejects: a finite text that
            // overflows ("1e400"), or nonzero digits that underflow to 0.
            let mantissa = rest.split(['e', 'E']).next().unwrap_or("");
            if v.is_infinite() || (v == 0.0 && mantissa.bytes().any(|c| (b'1'..=b'9').contains(&c)))
            {
                return None;
            }
            v
        }
    };
    if v.is_nan() {
        None
    } else {
        Some(v)
    }
}

/// Formats a double for replies: the shortest digits that read back as the
/// same value, laid out as C's `%.17g` (`1e+21`, `1.5`, `-0`, `inf`).
pub fn format_double(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // `{:e}` gives the shortest round-trip digits: "1.5e21", "-2e-7".
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    if !(-4..17).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    fixed_notation(mantissa, exp)
}

/// Lays out the digits of a `{:e}` mantissa with decimal exponent `exp` in
/// fixed notation (`1.5`, `-0.00025`, `1200`).
fn fixed_notation(mantissa: &str, exp: i32) -> String {
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

/// Formats the result of INCRBYFLOAT/HINCRBYFLOAT as Valkey's "human"
/// long-double format: fixed notation, no exponent, trailing zeros trimmed.
/// Valkey computes in `long double`; to print what a user expects from that
/// (`0.1 + 0.2` → `0.3`), a 15-significant-digit rendering is preferred when
/// it reads back within a few ulps of the value.
pub fn format_human_double(v: f64) -> String {
    let short = format!("{:.*e}", 14, v);
    let candidate: f64 = short.parse().unwrap_or(v);
    let chosen = if (candidate - v).abs() <= v.abs() * 4.0 * f64::EPSILON {
        candidate
    } else {
        v
    };
    if chosen == 0.0 {
        return "0".into();
    }
    // Shortest digits of the chosen value, in fixed notation.
    let sci = format!("{chosen:e}");
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    let mut out = fixed_notation(mantissa, exp);
    // Valkey prints at most 17 decimals ("%.17Lf", zeros trimmed).
    if let Some(dot) = out.find('.') {
        if out.len() - dot - 1 > 17 {
            out = format!("{chosen:.17}");
            while out.ends_with('0') {
                out.pop();
            }
            if out.ends_with('.') {
                out.pop();
            }
        }
    }
    out
}

/// Glob-style match of `s` against `pattern` with Valkey's rules: `*`, `?`,
/// `[abc]`, `[^a-z]`, `\x` escapes; optionally case-insensitive.
pub fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    glob_at(pattern, s, nocase, 0)
}

fn glob_at(mut p: &[u8], mut s: &[u8], nocase: bool, depth: u32) -> bool {
    // Deep `*` nesting is a denial-of-service vector; Valkey caps it too.
    if depth > 1000 {
        return false;
    }
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    while !p.is_empty() && !s.is_empty() {
        match p[0] {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                for i in 0..s.len() {
                    if glob_at(&p[1..], &s[i..], nocase, depth + 1) {
                        return true;
                    }
                }
                return false;
            }
            b'?' => {
                s = &s[1..];
            }
            b'[' => {
                p = &p[1..];
                let not = !p.is_empty() && p[0] == b'^';
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                loop {
                    if p.is_empty() {
                        break;
                    }
                    if p[0] == b'\\' && p.len() >= 2 {
                        p = &p[1..];
                        if eq(p[0], s[0]) {
                            matched = true;
                        }
                    } else if p[0] == b']' {
                        break;
                    } else if p.len() >= 3 && p[1] == b'-' {
                        let (mut lo, mut hi) = (p[0], p[2]);
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        let c = s[0];
                        let inside = if nocase {
                            let c = c.to_ascii_lowercase();
                            c >= lo.to_ascii_lowercase() && c <= hi.to_ascii_lowercase()
                        } else {
                            c >= lo && c <= hi
                        };
                        if inside {
                            matched = true;
                        }
                        p = &p[2..];
                    } else if eq(p[0], s[0]) {
                        matched = true;
                    }
                    p = &p[1..];
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s = &s[1..];
                if p.is_empty() {
                    // An unterminated class consumed the rest of the pattern.
                    return s.is_empty();
                }
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                if !eq(p[0], s[0]) {
                    return false;
                }
                s = &s[1..];
            }
            c => {
                if !eq(c, s[0]) {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
    }
    if s.is_empty() {
        while !p.is_empty() && p[0] == b'*' {
            p = &p[1..];
        }
    }
    p.is_empty() && s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_string2ll() {
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        for bad in [&b"+1"[..], b"01", b"-0", b" 1", b"1 ", b"", b"-"] {
            assert_eq!(parse_i64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn doubles_format_like_percent_17g() {
        assert_eq!(format_double(1.5), "1.5");
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(1e21), "1e+21");
        assert_eq!(format_double(0.0001), "0.0001");
        assert_eq!(
            format_double(0.00001),
            "1.0000000000000001e-05".replace("1.0000000000000001", "1")
        );
        assert_eq!(format_double(-2.5e-7), "-2.5e-07");
        assert_eq!(
            format_double(123456789012345680.0),
            "1.2345678901234568e+17"
        );
        assert_eq!(format_human_double(0.1 + 0.2), "0.3");
        assert_eq!(format_human_double(5000.0), "5000");
        assert_eq!(format_human_double(10.5), "10.5");
        // At most 17 decimals, as "%.17Lf" (the last digit may differ from
        // Valkey, which computes in long double).
        assert_eq!(format_human_double(1.0 / 41.0), "0.02439024390243903");
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"1e400"), None);
        assert_eq!(parse_f64(b"-1e400"), None);
        assert_eq!(parse_f64(b"1e-400"), None);
        assert_eq!(parse_f64(b"0e-400"), Some(0.0));
        assert_eq!(parse_f64(b"1e308"), Some(1e308));
    }

    #[test]
    fn glob_rules() {
        assert!(glob_match(b"h?llo", b"hello", false));
        assert!(glob_match(b"h*llo", b"heeeello", false));
        assert!(glob_match(b"h[ae]llo", b"hallo", false));
        assert!(!glob_match(b"h[^e]llo", b"hello", false));
        assert!(glob_match(b"h[a-b]llo", b"hbllo", false));
        assert!(glob_match(b"a\\*b", b"a*b", false));
        assert!(!glob_match(b"a\\*b", b"axb", false));
        assert!(glob_match(b"*", b"", false));
        assert!(glob_match(b"HELLO", b"hello", true));
    }
}
