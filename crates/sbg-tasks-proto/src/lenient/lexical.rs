//! Byte-level helpers of the repair pass: byte classes, UTF-8 and number syntax.
//!
//! Everything here is a plain function of a byte slice: no allocation, no recursion.

/// Bytes that end a run of plain string content when the whole input is valid UTF-8:
/// quotes, backslash, control characters, and 0xE2 (the lead byte of `“ ” ‘ ’`).
pub(super) static STR_STOP_UTF8: [bool; 256] = str_stop(false);
/// The same, plus every non-ASCII byte (validated one character at a time).
pub(super) static STR_STOP_CHECK: [bool; 256] = str_stop(true);

const fn str_stop(non_ascii: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = i < 0x20 || i == b'"' as usize || i == b'\\' as usize || i == b'\'' as usize;
        if i == 0xE2 || (non_ascii && i >= 0x80) {
            t[i] = true;
        }
        i += 1;
    }
    t
}

/// JSON whitespace.
pub(super) const fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Bytes of an unquoted key or a bare word: `[A-Za-z0-9_$]`.
pub(super) const fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// Bytes of an unquoted key: identifier bytes plus `-` and `.`.
pub(super) const fn is_key_byte(b: u8) -> bool {
    is_ident(b) || b == b'-' || b == b'.'
}

/// Bytes of a number-like token: `[0-9A-Za-z+\-._]`.
pub(super) const fn is_number_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.' | b'_')
}

/// Bytes that end an unquoted text value.
pub(super) const fn ends_bare_value(b: u8) -> bool {
    matches!(b, b',' | b'}' | b']' | b'{' | b'[' | b'"' | b'\n' | b'\r')
}

/// Bytes that cannot be part of a run of junk: whitespace and structural bytes.
pub(super) const fn ends_junk(b: u8) -> bool {
    is_ws(b)
        || matches!(
            b,
            b'{' | b'}' | b'[' | b']' | b',' | b':' | b'"' | b'\'' | b'/' | b'#'
        )
}

/// Length of the valid UTF-8 character at the start of `s` (`Ok`), or the length of the
/// maximal invalid prefix to replace with one U+FFFD (`Err`, at least 1). `s` is not empty.
pub(super) fn utf8_char(s: &[u8]) -> Result<usize, usize> {
    let b0 = s[0];
    let (len, lo, hi) = match b0 {
        0x00..=0x7F => return Ok(1),
        0xC2..=0xDF => (2, 0x80, 0xBF),
        0xE0 => (3, 0xA0, 0xBF),
        0xE1..=0xEC | 0xEE..=0xEF => (3, 0x80, 0xBF),
        0xED => (3, 0x80, 0x9F),
        0xF0 => (4, 0x90, 0xBF),
        0xF1..=0xF3 => (4, 0x80, 0xBF),
        0xF4 => (4, 0x80, 0x8F),
        _ => return Err(1),
    };
    for i in 1..len {
        let Some(&b) = s.get(i) else {
            return Err(i);
        };
        let (l, h) = if i == 1 { (lo, hi) } else { (0x80, 0xBF) };
        if b < l || b > h {
            return Err(i);
        }
    }
    Ok(len)
}

/// How a number-like token reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Number {
    /// Valid JSON, within the range of a double.
    Json,
    /// Valid JSON syntax, but too large for a double (`1e400`).
    OutOfRange,
    /// `NaN`, `Infinity` with a sign.
    NonFinite,
    /// Another spelling of a number; the JSON spelling was appended to the buffer.
    Rewritten,
    /// Not a number.
    Invalid,
}

/// Parses `tok` (a maximal run of [`is_number_byte`] bytes) and, for [`Number::Rewritten`],
/// appends its JSON spelling to `out`. On any other outcome `out` is unchanged.
pub(super) fn classify_number(tok: &[u8], out: &mut Vec<u8>) -> Number {
    if strict_number(tok) {
        return if in_range(tok) {
            Number::Json
        } else {
            Number::OutOfRange
        };
    }
    let unsigned = match tok.first() {
        Some(b'-' | b'+') => &tok[1..],
        _ => tok,
    };
    if matches!(unsigned, b"Infinity" | b"NaN" | b"inf" | b"nan") {
        return Number::NonFinite;
    }
    let neg = tok.first() == Some(&b'-');
    let mark = out.len();
    if let Some(hex) = unsigned
        .strip_prefix(b"0x")
        .or_else(|| unsigned.strip_prefix(b"0X"))
    {
        if hex.is_empty() || hex.len() > 16 || !hex.iter().all(u8::is_ascii_hexdigit) {
            return Number::Invalid;
        }
        let v = hex.iter().fold(0u64, |acc, &h| {
            let d = (h as char).to_digit(16).unwrap_or(0) as u64;
            (acc << 4) | d
        });
        if neg && v != 0 {
            out.push(b'-');
        }
        out.extend_from_slice(v.to_string().as_bytes());
        return Number::Rewritten;
    }
    // [digits][.digits][(e|E)[+-]digits], with at least one digit before the exponent.
    let mut i = 0;
    let int_start = i;
    while i < unsigned.len() && unsigned[i].is_ascii_digit() {
        i += 1;
    }
    let int = &unsigned[int_start..i];
    let mut frac: &[u8] = &[];
    if i < unsigned.len() && unsigned[i] == b'.' {
        i += 1;
        let s = i;
        while i < unsigned.len() && unsigned[i].is_ascii_digit() {
            i += 1;
        }
        frac = &unsigned[s..i];
    }
    if int.is_empty() && frac.is_empty() {
        return Number::Invalid;
    }
    let mut exp: &[u8] = &[];
    if i < unsigned.len() && matches!(unsigned[i], b'e' | b'E') {
        let s = i;
        i += 1;
        if i < unsigned.len() && matches!(unsigned[i], b'+' | b'-') {
            i += 1;
        }
        let d = i;
        while i < unsigned.len() && unsigned[i].is_ascii_digit() {
            i += 1;
        }
        if d == i {
            return Number::Invalid;
        }
        exp = &unsigned[s..i];
    }
    if i != unsigned.len() {
        return Number::Invalid;
    }
    if neg {
        out.push(b'-');
    }
    let int = match int.iter().position(|&b| b != b'0') {
        Some(p) => &int[p..],
        None => b"0",
    };
    out.extend_from_slice(int);
    if !frac.is_empty() {
        out.push(b'.');
        out.extend_from_slice(frac);
    }
    out.extend_from_slice(exp);
    if !in_range(&out[mark..]) {
        out.truncate(mark);
        return Number::OutOfRange;
    }
    Number::Rewritten
}

/// Whether `tok` is exactly a JSON number.
fn strict_number(tok: &[u8]) -> bool {
    let mut i = 0;
    let n = tok.len();
    if i < n && tok[i] == b'-' {
        i += 1;
    }
    match tok.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while i < n && tok[i].is_ascii_digit() {
                i += 1;
            }
        }
        _ => return false,
    }
    if i < n && tok[i] == b'.' {
        i += 1;
        let s = i;
        while i < n && tok[i].is_ascii_digit() {
            i += 1;
        }
        if s == i {
            return false;
        }
    }
    if i < n && matches!(tok[i], b'e' | b'E') {
        i += 1;
        if i < n && matches!(tok[i], b'+' | b'-') {
            i += 1;
        }
        let s = i;
        while i < n && tok[i].is_ascii_digit() {
            i += 1;
        }
        if s == i {
            return false;
        }
    }
    i == n
}

/// Whether the JSON number `tok` fits a double (`serde_json` refuses numbers that overflow).
/// Only numbers with an exponent or very many digits can overflow; only those are parsed.
fn in_range(tok: &[u8]) -> bool {
    let has_exp = tok.iter().any(|&b| b == b'e' || b == b'E');
    if !has_exp && tok.len() < 300 {
        return true;
    }
    std::str::from_utf8(tok)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .is_some_and(f64::is_finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(tok: &str) -> (Number, String) {
        let mut out = Vec::new();
        let n = classify_number(tok.as_bytes(), &mut out);
        (n, String::from_utf8(out).unwrap())
    }

    #[test]
    fn numbers() {
        assert_eq!(rewrite("0").0, Number::Json);
        assert_eq!(rewrite("-12.5e+3").0, Number::Json);
        assert_eq!(rewrite("1e400").0, Number::OutOfRange);
        assert_eq!(rewrite("-Infinity").0, Number::NonFinite);
        assert_eq!(rewrite("+1"), (Number::Rewritten, "1".into()));
        assert_eq!(rewrite("007"), (Number::Rewritten, "7".into()));
        assert_eq!(rewrite("-.5"), (Number::Rewritten, "-0.5".into()));
        assert_eq!(rewrite("1."), (Number::Rewritten, "1".into()));
        assert_eq!(rewrite("0x1F"), (Number::Rewritten, "31".into()));
        assert_eq!(rewrite("1e"), (Number::Invalid, String::new()));
        assert_eq!(rewrite("2016-04-05T12"), (Number::Invalid, String::new()));
        assert_eq!(rewrite("+1e999"), (Number::OutOfRange, String::new()));
        assert_eq!(rewrite("-"), (Number::Invalid, String::new()));
    }

    #[test]
    fn utf8() {
        assert_eq!(utf8_char("é".as_bytes()), Ok(2));
        assert_eq!(utf8_char("…".as_bytes()), Ok(3));
        assert_eq!(utf8_char("😀".as_bytes()), Ok(4));
        assert_eq!(utf8_char(&[0xE2, 0x80]), Err(2));
        assert_eq!(utf8_char(&[0xED, 0xA0, 0x80]), Err(1));
        assert_eq!(utf8_char(&[0xFF]), Err(1));
        assert_eq!(utf8_char(&[0xC0, 0x80]), Err(1));
    }
}
