//! Turning body bytes into model values: strict, or lenient with a report.

use std::fmt;

use serde::de::DeserializeOwned;

pub(crate) use crate::decoding::Decoding;
use crate::excerpt::{BodyExcerpt, BodyShape};
use crate::lenient::{self, RepairError, RepairReport};
use crate::model::{Coercion, FromLenient, LenientCx};

/// What a lenient decode had to do. Empty for a clean body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseReport {
    /// Repairs of the bytes (syntax), with byte ranges in the original body.
    pub repairs: RepairReport,
    /// Coercions of types, with JSON pointers into the value.
    pub coercions: Vec<Coercion>,
}

impl ParseReport {
    /// Whether nothing had to be done.
    pub fn is_clean(&self) -> bool {
        self.repairs.repairs.is_empty() && self.coercions.is_empty()
    }
}

impl fmt::Display for ParseReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_clean() {
            return f.write_str("clean");
        }
        write!(
            f,
            "{} repair(s), {} coercion(s)",
            self.repairs.repairs.len(),
            self.coercions.len()
        )
    }
}

/// A body read into a value, with the report of what had to be repaired: bytes in, no HTTP.
///
/// Returned by [`decode()`] and by [`Endpoint::decode`](crate::Endpoint::decode). Callers of
/// [`Endpoint::parse_response`](crate::Endpoint::parse_response) and of the clients get an
/// [`Answer`](crate::Answer) instead: the same value and report plus the answer's metadata
/// (status, rate limit, request id), which a body alone does not have.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<T> {
    /// The value.
    pub value: T,
    /// What had to be repaired or coerced (empty for a clean body).
    pub report: ParseReport,
}

/// A body that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body is empty.
    #[error("the body is empty")]
    Empty,
    /// The body is not JSON at all (e.g. an HTML page from a proxy).
    #[error("the body is {shape}, not JSON: {excerpt}")]
    NotJson {
        /// What it looks like.
        shape: BodyShape,
        /// Its first bytes.
        excerpt: BodyExcerpt,
    },
    /// Invalid JSON (strict decoding).
    #[error(
        "invalid JSON at line {line}, column {column} (byte {offset}): {message}; near {excerpt}"
    )]
    Syntax {
        /// Byte offset of the error.
        offset: usize,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
        /// The bytes around the error.
        excerpt: BodyExcerpt,
    },
    /// Valid JSON that does not have the expected shape (strict decoding).
    #[error("unexpected JSON at line {line}, column {column} (byte {offset}): {message}")]
    Shape {
        /// Byte offset where the decoder stopped.
        offset: usize,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The decoder's message.
        message: String,
        /// The bytes around the error.
        excerpt: BodyExcerpt,
    },
    /// The lenient repair could not recover a trustworthy value, or the policy refused a repair.
    #[error("the body could not be repaired: {0}")]
    Repair(#[from] RepairError),
    /// A bulk answer does not have one entry per id sent: the entries cannot be matched to the
    /// ids, so none is used.
    #[error("the bulk answer has {answered} entries for the {sent} ids sent")]
    EntryCount {
        /// Ids sent.
        sent: usize,
        /// Entries answered.
        answered: usize,
    },
    /// A bulk answer's entry is a task with another id than the one asked at its place: the
    /// entries are not in the order of the ids, so none is used.
    #[error("bulk entry {index} is task {answered:?}, but {asked:?} was asked there")]
    EntryMismatch {
        /// The place (0-based) in the ids sent.
        index: usize,
        /// The id sent there.
        asked: String,
        /// The id of the task answered there.
        answered: String,
    },
    /// After repair, the value is not an object of the expected type at all (e.g. an array where
    /// a task belongs).
    #[error("the body is {found} where {expected} was expected")]
    WrongType {
        /// What the decoder wanted.
        expected: &'static str,
        /// What the body held.
        found: &'static str,
    },
}

impl DecodeError {
    /// Byte offset of the problem, when known.
    pub fn offset(&self) -> Option<usize> {
        match self {
            DecodeError::Syntax { offset, .. } | DecodeError::Shape { offset, .. } => Some(*offset),
            _ => None,
        }
    }

    fn from_serde(body: &[u8], e: &serde_json::Error) -> Self {
        Self::positioned(body, offset_of(body, e.line(), e.column()), e)
    }

    /// The error `e` placed at byte `offset` of `body`.
    fn positioned(body: &[u8], offset: usize, e: &serde_json::Error) -> Self {
        let (line, column) = line_col(body, offset);
        let message = strip_position(&e.to_string());
        let excerpt = BodyExcerpt::at(body, offset);
        match e.classify() {
            serde_json::error::Category::Data => DecodeError::Shape {
                offset,
                line,
                column,
                message,
                excerpt,
            },
            _ => DecodeError::Syntax {
                offset,
                line,
                column,
                message,
                excerpt,
            },
        }
    }
}

/// serde_json appends " at line L column C"; we report those separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// The byte offset of serde_json's 1-based (line, column); column counts bytes of the line.
fn offset_of(body: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    if line > 1 {
        let mut seen = 1;
        for (i, b) in body.iter().enumerate() {
            if *b == b'\n' {
                seen += 1;
                if seen == line {
                    start = i + 1;
                    break;
                }
            }
        }
    }
    (start + column.saturating_sub(1)).min(body.len())
}

pub use crate::lenient::line_col;

/// Decodes `body` strictly: valid JSON of the right types, nothing else.
pub fn decode_strict<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    match BodyShape::sniff(body) {
        BodyShape::Empty => return Err(DecodeError::Empty),
        BodyShape::Html | BodyShape::Text => {
            // Still let serde_json have a go (a bare number or `true` is JSON), but report an
            // HTML page as what it is.
            // JSON after all (`true`, `12`), just not of the expected shape? (`404 Not Found`
            // starts like a number but is text.)
            if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
                return from_json_bytes(body).map_err(|e| DecodeError::from_serde(body, &e));
            }
            return Err(DecodeError::NotJson {
                shape: BodyShape::sniff(body),
                excerpt: BodyExcerpt::of(body),
            });
        }
        BodyShape::JsonLike => {}
    }
    from_json_bytes(body).map_err(|e| DecodeError::from_serde(body, &e))
}

/// `serde_json::from_slice`, faster: serde_json's slice reader checks UTF-8 string by string,
/// which costs several times one pass over the whole body (most members are short strings), so
/// a body that is UTF-8 is read as text. A body that is not is read as bytes, so that the error
/// says where the bad byte is, exactly as before.
pub(crate) fn from_json_bytes<T: DeserializeOwned>(body: &[u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    }
}

/// Decodes `body` as `decoding` says.
pub fn decode<T>(body: &[u8], decoding: &Decoding) -> Result<Decoded<T>, DecodeError>
where
    T: DeserializeOwned + FromLenient,
{
    let policy = match decoding {
        Decoding::Strict => {
            return decode_strict(body).map(|value| Decoded {
                value,
                report: ParseReport::default(),
            })
        }
        Decoding::Lenient(p) => p,
    };
    // Fast path: a valid body decodes exactly as in strict mode.
    let first = match from_json_bytes::<T>(body) {
        Ok(value) => {
            return Ok(Decoded {
                value,
                report: ParseReport::default(),
            })
        }
        Err(e) => e,
    };
    // Valid JSON with a member of an unexpected type: type it leniently, no byte repair.
    // (Also the way for a repeated member, which strict decoding refuses: it is reported.)
    if first.classify() == serde_json::error::Category::Data {
        if let Ok((v, dups)) = crate::model::untyped::parse(body) {
            return typed(v, dups, RepairReport::default());
        }
    }
    let repaired = lenient::repair(body, policy)?;
    let (v, dups) = crate::model::untyped::parse(&repaired.json).map_err(|e| {
        // The repair pass promises valid JSON; if it ever breaks that promise, say so plainly.
        DecodeError::from_serde(&repaired.json, &e)
    })?;
    typed(v, dups, repaired.report)
}

fn typed<T: FromLenient>(
    v: serde_json::Value,
    duplicates: Vec<crate::model::Coercion>,
    repairs: RepairReport,
) -> Result<Decoded<T>, DecodeError> {
    let mut cx = LenientCx::new();
    cx.coercions = duplicates;
    match T::from_lenient(v, &mut cx) {
        Ok(value) => Ok(Decoded {
            value,
            report: ParseReport {
                repairs,
                coercions: cx.coercions,
            },
        }),
        Err(v) => Err(DecodeError::WrongType {
            expected: T::EXPECTED,
            found: crate::model::kind_of(&v),
        }),
    }
}

/// Strictly decodes a members-only fragment such as the documentation's
/// `"errors": [ ... ]` (an object's members without the braces) as the object `T`.
///
/// Offsets in errors refer to the fragment as given.
pub fn decode_members_fragment<T: DeserializeOwned>(fragment: &[u8]) -> Result<T, DecodeError> {
    let mut wrapped = Vec::with_capacity(fragment.len() + 2);
    wrapped.push(b'{');
    wrapped.extend_from_slice(fragment);
    wrapped.push(b'}');
    serde_json::from_slice(&wrapped).map_err(|e| {
        // Back from the wrapped body's terms to the fragment's: one `{` was added in front.
        let offset = offset_of(&wrapped, e.line(), e.column())
            .saturating_sub(1)
            .min(fragment.len());
        DecodeError::positioned(fragment, offset, &e)
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::{decode_strict, from_json_bytes, DecodeError};

    /// Both routes give the same value, or errors of the same kind at the same place.
    fn same_as_from_slice(body: &[u8]) -> Result<(), TestCaseError> {
        let fast = from_json_bytes::<Value>(body);
        let slice = serde_json::from_slice::<Value>(body);
        match (fast, slice) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => {
                prop_assert_eq!(a.classify(), b.classify());
                prop_assert_eq!((a.line(), a.column()), (b.line(), b.column()));
            }
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn reading_as_text_changes_nothing(body in proptest::collection::vec(any::<u8>(), 0..64)) {
            same_as_from_slice(&body)?;
        }

        #[test]
        fn reading_json_as_text_changes_nothing(
            s in r#"[\[\]{}",: 0-9a-z\\é€\n]{0,48}"#,
            bad in any::<Option<(prop::sample::Index, u8)>>(),
        ) {
            let mut body = s.into_bytes();
            if let Some((at, b)) = bad {
                if !body.is_empty() {
                    let i = at.index(body.len());
                    body[i] = b;
                }
            }
            same_as_from_slice(&body)?;
        }
    }

    #[test]
    fn invalid_utf8_in_a_string_is_reported_where_it_is() {
        let body = b"{\"name\": \"ab\xFFcd\"}";
        match decode_strict::<Value>(body) {
            Err(DecodeError::Syntax { offset, .. }) => assert_eq!(offset, 12),
            other => panic!("{other:?}"),
        }
        // The same byte outside a string is a syntax error there too.
        assert!(decode_strict::<Value>(b"{\"a\": \xFF}").is_err());
        // Valid UTF-8 everywhere is read as text: same value as from bytes.
        let text = "{\"name\": \"é €\"}".as_bytes();
        assert_eq!(
            decode_strict::<Value>(text).unwrap(),
            serde_json::from_slice::<Value>(text).unwrap()
        );
    }
}
