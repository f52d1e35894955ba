//! Bounded views of untrusted bodies, for errors and logs.

use std::fmt;

/// How many bytes of a body an excerpt keeps.
pub const EXCERPT_LEN: usize = 256;

/// The first bytes of a body (at most [`EXCERPT_LEN`]), as lossy UTF-8, plus the body's full
/// length. Errors keep one of these instead of the whole body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyExcerpt {
    text: String,
    total_len: usize,
}

impl BodyExcerpt {
    /// The excerpt of `body`.
    pub fn of(body: &[u8]) -> Self {
        Self::at(body, 0)
    }

    /// An excerpt of `body` around byte `offset` (starting a little before it).
    pub fn at(body: &[u8], offset: usize) -> Self {
        let start = offset.saturating_sub(EXCERPT_LEN / 4).min(body.len());
        let end = (start + EXCERPT_LEN).min(body.len());
        let mut text = String::from_utf8_lossy(&body[start..end]).into_owned();
        if start > 0 {
            text.insert(0, '…');
        }
        Self {
            text,
            total_len: body.len(),
        }
    }

    /// The excerpt text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The length of the whole body in bytes.
    pub fn total_len(&self) -> usize {
        self.total_len
    }

    /// Whether the excerpt is the whole body.
    pub fn is_complete(&self) -> bool {
        self.total_len <= EXCERPT_LEN && !self.text.starts_with('…')
    }
}

impl fmt::Display for BodyExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_complete() {
            write!(f, "{:?}", self.text)
        } else {
            write!(f, "{:?} (of {} bytes)", self.text, self.total_len)
        }
    }
}

/// What a body looks like at a glance, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyShape {
    /// No bytes, or only white space.
    Empty,
    /// An HTML or XML page (starts with `<`), e.g. from a proxy.
    Html,
    /// Starts like JSON (`{`, `[` or `"`).
    JsonLike,
    /// Anything else.
    Text,
}

impl BodyShape {
    /// Looks at the first non-blank byte (after a UTF-8 BOM).
    pub fn sniff(body: &[u8]) -> Self {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            None => BodyShape::Empty,
            Some(b'<') => BodyShape::Html,
            Some(b'{' | b'[' | b'"') => BodyShape::JsonLike,
            Some(_) => BodyShape::Text,
        }
    }
}

impl fmt::Display for BodyShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BodyShape::Empty => "an empty body",
            BodyShape::Html => "an HTML page",
            BodyShape::JsonLike => "JSON",
            BodyShape::Text => "plain text",
        })
    }
}
