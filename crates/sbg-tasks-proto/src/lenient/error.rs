//! Why the repair pass gave up: [`RepairError`].

use std::ops::Range;

use super::report::RepairKind;

/// Longest excerpt kept in [`RepairError::NotJson`], in bytes.
pub const NOT_JSON_EXCERPT_LEN: usize = 200;

/// The repair pass gave up: nothing trustworthy could be recovered, or the policy said no.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RepairError {
    /// The body is empty (or holds only whitespace, comments and a byte order mark).
    #[error("the body is empty")]
    Empty,
    /// The body is not JSON at all, e.g. an HTML error page from a proxy; it is not "repaired".
    #[error("the body is not JSON: it looks like {looks_like}: {excerpt:?}")]
    NotJson {
        /// What it looks like, e.g. "an HTML page starting `<html>`".
        looks_like: String,
        /// The first bytes of the body (at most [`NOT_JSON_EXCERPT_LEN`] bytes, lossy UTF-8).
        excerpt: String,
    },
    /// Objects and arrays nest deeper than [`Policy::max_depth`](super::Policy::max_depth).
    #[error("nesting deeper than {max} levels at byte {offset}")]
    TooDeep {
        /// Byte offset of the bracket that went too deep.
        offset: usize,
        /// The cap.
        max: usize,
    },
    /// The body needs more repairs than [`Policy::max_repairs`](super::Policy::max_repairs).
    #[error("more than {max} repairs needed (the next at byte {offset})")]
    TooManyRepairs {
        /// The cap.
        max: usize,
        /// Byte offset of the first repair over the cap.
        offset: usize,
    },
    /// The body needs a repair the policy refuses.
    #[error("the policy refuses to repair a {kind} at bytes {}..{}", range.start, range.end)]
    Rejected {
        /// The refused kind.
        kind: RepairKind,
        /// Where, in the original input.
        range: Range<usize>,
    },
    /// The body is JSON-like but cannot be turned into a trustworthy value.
    #[error("unrecoverable body at byte {offset}: {reason}")]
    Unrecoverable {
        /// Byte offset of the problem.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

impl RepairError {
    /// Byte offset of the problem in the original input, when there is one.
    pub fn offset(&self) -> Option<usize> {
        match self {
            RepairError::TooDeep { offset, .. }
            | RepairError::TooManyRepairs { offset, .. }
            | RepairError::Unrecoverable { offset, .. } => Some(*offset),
            RepairError::Rejected { range, .. } => Some(range.start),
            RepairError::Empty | RepairError::NotJson { .. } => None,
        }
    }

    /// Builds [`RepairError::NotJson`] for `input`, whose first significant byte is at `at`.
    pub(crate) fn not_json(input: &[u8], at: usize) -> Self {
        RepairError::NotJson {
            looks_like: looks_like(input, at),
            excerpt: excerpt(input),
        }
    }
}

/// At most [`NOT_JSON_EXCERPT_LEN`] bytes of the start of `input`, as lossy UTF-8.
fn excerpt(input: &[u8]) -> String {
    let head = &input[..input.len().min(NOT_JSON_EXCERPT_LEN)];
    let mut s = String::from_utf8_lossy(head).into_owned();
    if s.len() > NOT_JSON_EXCERPT_LEN {
        let mut cut = NOT_JSON_EXCERPT_LEN;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// Longest piece of the body quoted in a description.
const SHOWN: usize = 40;

/// A short description of what the body looks like.
fn looks_like(input: &[u8], at: usize) -> String {
    if input.starts_with(&[0xFF, 0xFE]) || input.starts_with(&[0xFE, 0xFF]) {
        return "UTF-16 text (it starts with a UTF-16 byte order mark)".to_owned();
    }
    let rest = &input[at.min(input.len())..];
    if rest.first() == Some(&b'<') {
        let end = rest
            .iter()
            .take(SHOWN)
            .position(|&b| b == b'>')
            .map_or(rest.len().min(SHOWN), |p| p + 1);
        let tag = String::from_utf8_lossy(&rest[..end]);
        let lower = tag.to_ascii_lowercase();
        let what = if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
            "an HTML page"
        } else if lower.starts_with("<?xml") {
            "an XML document"
        } else {
            "markup"
        };
        return format!("{what} starting `{tag}`");
    }
    let line_end = rest
        .iter()
        .take(SHOWN)
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(rest.len().min(SHOWN));
    let line = &rest[..line_end];
    let binary = line.iter().any(|&b| b < 0x20 && b != b'\t')
        || matches!(std::str::from_utf8(line), Err(e) if e.error_len().is_some());
    if binary {
        return "binary data".to_owned();
    }
    format!(
        "text starting `{}`",
        String::from_utf8_lossy(line).trim_end()
    )
}
