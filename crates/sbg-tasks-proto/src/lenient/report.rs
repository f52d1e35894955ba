//! What the repair pass did: [`RepairKind`], [`Repair`], [`RepairReport`], and [`line_col`].

use std::fmt;
use std::ops::Range;

/// One kind of repair the lenient pass can make.
///
/// Every repair is reported with a byte range of the ORIGINAL input (see [`Repair`]). A repair
/// that inserts something has an empty range at the insertion point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RepairKind {
    /// A string in single quotes (`'123456789'`) became a double-quoted JSON string with the
    /// same text. The repair pass never guesses types: `'123'` stays the string `"123"`.
    /// Range: the whole literal, quotes included.
    SingleQuotedString,
    /// A string in typographic quotes (`“…”` or `‘…’`) became a JSON string.
    /// Range: the whole literal, quotes included.
    SmartQuotes,
    /// A comma was missing between two members or elements and was inserted.
    /// Range: empty, at the end of the value before it.
    MissingComma,
    /// A comma before `}` or `]` (or at the end of a truncated body) was dropped.
    /// Range: the comma.
    TrailingComma,
    /// A comma with nothing before it (`[,1]`, `[1,,2]`) was dropped. Range: the comma.
    ExtraComma,
    /// A colon was missing between a key and its value and was inserted.
    /// Range: empty, at the end of the key.
    MissingColon,
    /// A key had no value (`{"a": }`, `{"a", "b": 1}`); `null` was inserted so the key survives.
    /// Range: empty, where the value belongs.
    MissingValue,
    /// An elision marker standing as an element or line of its own (`<snip>`, `<...>`, `...`,
    /// `…`) was dropped; it never becomes a member. Range: the marker (and a comma right after
    /// it); for `"key": <snip>` the whole member, which is dropped.
    ElisionLine,
    /// A `//`, `/* */` or `#` comment was dropped. Range: the comment.
    Comment,
    /// An unquoted object key (`{id: 1}`) was quoted. Range: the key.
    UnquotedKey,
    /// An unquoted text value (`{"a": hello world}`) became a string. Range: the text,
    /// trailing blanks excluded.
    UnquotedString,
    /// A Python literal `True`, `False` or `None` became `true`, `false` or `null`.
    /// Range: the literal.
    PythonLiteral,
    /// JavaScript's `undefined` became `null`. Range: the literal.
    UndefinedLiteral,
    /// `NaN`, `Infinity` or `-Infinity` (which JSON cannot express) became `null`.
    /// Range: the literal.
    NonFiniteNumber,
    /// A number JSON spells differently (`+1`, `01`, `.5`, `1.`, `0x1F`) was rewritten in JSON
    /// syntax with the same value. Range: the number.
    InvalidNumber,
    /// A number too large for a double (`1e400`) became a string holding its text, so that no
    /// digit is lost. Range: the number.
    NumberOutOfRange,
    /// A UTF-8 byte order mark at the start was dropped. Range: the three bytes.
    ByteOrderMark,
    /// An anti-XSSI prefix (`)]}'`, `)]}',`, `while(1);`, `for(;;);`) was dropped.
    /// Range: the prefix.
    XssiPrefix,
    /// A raw control character inside a string was escaped (`\n`, `\u0001`).
    /// Range: the character(s); adjacent ones are reported as one repair.
    ControlCharacterInString,
    /// An escape JSON does not have (`\'`, `\x41`, `\q`, a lone surrogate `\ud800`) was
    /// rewritten: `\'` as `'`, `\xHH` as `\u00HH`, a lone surrogate as U+FFFD, any other as an
    /// escaped backslash followed by the character (the text is kept). Range: the escape.
    InvalidEscape,
    /// Bytes inside a string that are not UTF-8 were replaced with U+FFFD.
    /// Range: the bytes; adjacent ones are reported as one repair.
    InvalidUtf8,
    /// Bytes that cannot start anything where they stand were skipped.
    /// Range: the bytes; runs separated only by whitespace are reported as one repair.
    Junk,
    /// A closing bracket that does not match the innermost open one closed the open ones up to
    /// its partner (`{"a": [1}` → `{"a": [1]}`). Range: the closing bracket.
    MismatchedBracket,
    /// The body ended early: every open object and array was closed. Range: empty, at the end.
    Truncated,
    /// The body ended inside a member or element (an unterminated string, a number that may
    /// have been cut, a key without its value), which was dropped rather than guessed.
    /// Range: from the member's start (or the comma before it) to the end of the input.
    PartialMemberDropped,
    /// Something after the complete top-level object or array was dropped.
    /// Range: from its first byte to the end of the input.
    TrailingGarbage,
    /// The body holds an object's members without the braces (`"errors": [...]`); it was
    /// wrapped into an object. Range: the members.
    MembersFragment,
}

impl RepairKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [RepairKind] = &[
        RepairKind::SingleQuotedString,
        RepairKind::SmartQuotes,
        RepairKind::MissingComma,
        RepairKind::TrailingComma,
        RepairKind::ExtraComma,
        RepairKind::MissingColon,
        RepairKind::MissingValue,
        RepairKind::ElisionLine,
        RepairKind::Comment,
        RepairKind::UnquotedKey,
        RepairKind::UnquotedString,
        RepairKind::PythonLiteral,
        RepairKind::UndefinedLiteral,
        RepairKind::NonFiniteNumber,
        RepairKind::InvalidNumber,
        RepairKind::NumberOutOfRange,
        RepairKind::ByteOrderMark,
        RepairKind::XssiPrefix,
        RepairKind::ControlCharacterInString,
        RepairKind::InvalidEscape,
        RepairKind::InvalidUtf8,
        RepairKind::Junk,
        RepairKind::MismatchedBracket,
        RepairKind::Truncated,
        RepairKind::PartialMemberDropped,
        RepairKind::TrailingGarbage,
        RepairKind::MembersFragment,
    ];

    /// A short human phrase for this kind (what [`Display`](fmt::Display) prints).
    pub const fn describe(self) -> &'static str {
        match self {
            RepairKind::SingleQuotedString => "single-quoted string",
            RepairKind::SmartQuotes => "string in typographic quotes",
            RepairKind::MissingComma => "missing comma",
            RepairKind::TrailingComma => "trailing comma",
            RepairKind::ExtraComma => "extra comma",
            RepairKind::MissingColon => "missing colon",
            RepairKind::MissingValue => "missing value",
            RepairKind::ElisionLine => "elision marker",
            RepairKind::Comment => "comment",
            RepairKind::UnquotedKey => "unquoted key",
            RepairKind::UnquotedString => "unquoted string",
            RepairKind::PythonLiteral => "Python literal",
            RepairKind::UndefinedLiteral => "undefined literal",
            RepairKind::NonFiniteNumber => "non-finite number",
            RepairKind::InvalidNumber => "number in non-JSON syntax",
            RepairKind::NumberOutOfRange => "number out of range",
            RepairKind::ByteOrderMark => "byte order mark",
            RepairKind::XssiPrefix => "anti-XSSI prefix",
            RepairKind::ControlCharacterInString => "control character in string",
            RepairKind::InvalidEscape => "invalid escape",
            RepairKind::InvalidUtf8 => "invalid UTF-8",
            RepairKind::Junk => "junk bytes",
            RepairKind::MismatchedBracket => "mismatched closing bracket",
            RepairKind::Truncated => "truncated body",
            RepairKind::PartialMemberDropped => "partial last member dropped",
            RepairKind::TrailingGarbage => "trailing garbage",
            RepairKind::MembersFragment => "members without enclosing braces",
        }
    }
}

impl fmt::Display for RepairKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// One repair, at a byte range of the original input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Repair {
    /// What was repaired.
    pub kind: RepairKind,
    /// Where, as a byte range of the ORIGINAL input (empty for an insertion).
    pub range: Range<usize>,
}

impl Repair {
    /// The 1-based line and column where this repair starts in `input` (the original input).
    pub fn line_col(&self, input: &[u8]) -> (usize, usize) {
        line_col(input, self.range.start)
    }
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at bytes {}..{}",
            self.kind, self.range.start, self.range.end
        )
    }
}

/// Every repair made to one body, in input order (by start of range).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// The repairs, sorted by the start of their range.
    pub repairs: Vec<Repair>,
}

impl RepairReport {
    /// Whether nothing was repaired.
    pub fn is_empty(&self) -> bool {
        self.repairs.is_empty()
    }

    /// How many repairs were made.
    pub fn len(&self) -> usize {
        self.repairs.len()
    }

    /// The repairs, in input order.
    pub fn iter(&self) -> std::slice::Iter<'_, Repair> {
        self.repairs.iter()
    }

    /// The kinds of the repairs, in input order (with repetitions).
    pub fn kinds(&self) -> impl Iterator<Item = RepairKind> + '_ {
        self.repairs.iter().map(|r| r.kind)
    }

    /// Whether some repair is of `kind`.
    pub fn contains(&self, kind: RepairKind) -> bool {
        self.repairs.iter().any(|r| r.kind == kind)
    }

    /// The 1-based line and column of byte `offset` of `input` (see [`line_col`]).
    pub fn line_col(input: &[u8], offset: usize) -> (usize, usize) {
        line_col(input, offset)
    }
}

impl<'a> IntoIterator for &'a RepairReport {
    type Item = &'a Repair;
    type IntoIter = std::slice::Iter<'a, Repair>;

    fn into_iter(self) -> Self::IntoIter {
        self.repairs.iter()
    }
}

impl fmt::Display for RepairReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.repairs.is_empty() {
            return f.write_str("no repairs");
        }
        for (i, r) in self.repairs.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// The 1-based line and column of byte `offset` of `input`, computed on demand.
///
/// Lines are separated by `\n` (so `\r\n` counts once). The column counts characters: every
/// byte except UTF-8 continuation bytes (`0x80..=0xBF`). An offset past the end is clamped to
/// the end.
pub fn line_col(input: &[u8], offset: usize) -> (usize, usize) {
    let before = &input[..offset.min(input.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let col = 1 + before[line_start..]
        .iter()
        .filter(|&&b| !(0x80..=0xBF).contains(&b))
        .count();
    (line, col)
}
