//! What the headers of an answer say besides the body: rate limit, request id, retry hints.

use http::HeaderMap;

/// The rate-limit state the platform reports on every answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// `X-RateLimit-Limit`: requests allowed per window.
    pub limit: u64,
    /// `X-RateLimit-Remaining`: requests left in this window.
    pub remaining: u64,
    /// `X-RateLimit-Reset`: when the window resets, in Unix seconds.
    pub reset: u64,
}

impl RateLimit {
    /// Reads the three `X-RateLimit-*` headers; `None` unless all three are present and numeric.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        Some(Self {
            limit: header_u64(headers, "x-ratelimit-limit")?,
            remaining: header_u64(headers, "x-ratelimit-remaining")?,
            reset: header_u64(headers, "x-ratelimit-reset")?,
        })
    }
}

/// A `Retry-After` header: seconds to wait, or an HTTP date (kept as text; the caller's clock
/// turns it into a wait).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryAfter {
    /// Wait this many seconds.
    Seconds(u64),
    /// Wait until this moment, in Unix seconds.
    At(u64),
}

impl RetryAfter {
    /// Reads `Retry-After`; an unparseable value gives `None`.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let v = headers
            .get(http::header::RETRY_AFTER)?
            .to_str()
            .ok()?
            .trim();
        if let Ok(s) = v.parse::<u64>() {
            return Some(RetryAfter::Seconds(s));
        }
        let fmt = time::format_description::well_known::Rfc2822;
        let t = time::OffsetDateTime::parse(v, &fmt).ok()?;
        u64::try_from(t.unix_timestamp()).ok().map(RetryAfter::At)
    }
}

/// Metadata of one answer, for every call, success or error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseMeta {
    /// The HTTP status code.
    pub status: u16,
    /// The rate-limit headers, when all three were sent.
    pub rate_limit: Option<RateLimit>,
    /// `X-Request-Id`, when sent: quote it to platform support.
    pub request_id: Option<String>,
    /// `Retry-After`, when sent.
    pub retry_after: Option<RetryAfter>,
    /// `X-Total-Matching-Query` (list calls): how many items match in all pages.
    pub total_matching: Option<u64>,
}

impl ResponseMeta {
    /// Reads the metadata of an answer.
    pub fn from_parts(status: http::StatusCode, headers: &HeaderMap) -> Self {
        Self {
            status: status.as_u16(),
            rate_limit: RateLimit::from_headers(headers),
            request_id: headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(200).collect()),
            retry_after: RetryAfter::from_headers(headers),
            total_matching: header_u64(headers, "x-total-matching-query"),
        }
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}
