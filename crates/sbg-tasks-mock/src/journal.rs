//! The request journal (what reached the server) and the per-token statistics.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use crate::fault::{Fault, Route};

/// Which authentication scheme a request used. The token itself is never recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthScheme {
    /// No authentication header.
    None,
    /// `X-SBG-Auth-Token: <token>`.
    XSbgAuthToken,
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// An `Authorization` header with another scheme (refused).
    Other,
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JournalEntry {
    /// The request method.
    pub method: http::Method,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Which token scheme the request used.
    pub auth: AuthScheme,
    /// Whether the token was accepted.
    pub authorized: bool,
    /// When it arrived, since the server started.
    pub at: Duration,
    /// The route it matched.
    pub route: Route,
    /// The status answered; `None` when the connection was dropped instead.
    pub status: Option<u16>,
    /// The fault that fired for it, if any.
    pub fault: Option<Fault>,
    /// The length of the request body.
    pub body_len: usize,
    /// Its number: 0 for the first request the server saw, then 1, 2, ... (kept across
    /// [`clear_journal`](crate::MockControl::clear_journal)).
    pub seq: u64,
    /// The token's fingerprint ([`token_fingerprint`]), never the token; `None` without one.
    pub token: Option<String>,
    /// The user the token belongs to, when it was accepted.
    pub user: Option<String>,
    /// Whether the request was counted against the token's rate limit (a 429, a free
    /// `GET /v2/rate_limit` and a fault that answers instead of the platform are not).
    pub counted: bool,
    /// The answer's body bytes before compression (the inflated size for a gzip bomb).
    pub response_bytes: usize,
    /// The body bytes sent (compressed when `gzip`).
    pub sent_bytes: usize,
    /// Whether the answer was sent with `Content-Encoding: gzip`.
    pub gzip: bool,
    /// For a `clone` that made a copy: the original's id (whatever happened to the answer
    /// afterwards, e.g. a fault that dropped it).
    pub copy_of: Option<String>,
    /// For a `clone` that made a copy: the copy's id.
    pub copy: Option<String>,
}

/// A short stable name for a token, so that a journal, stats and logs can tell tokens apart
/// without showing them: the CRC-32 (IEEE, as zlib's `crc32`) of the token's bytes, as 8
/// lowercase hex digits. E.g. in Python: `format(zlib.crc32(token.encode()), "08x")`.
pub fn token_fingerprint(token: &str) -> String {
    let mut crc = flate2::Crc::new();
    crc.update(token.as_bytes());
    format!("{:08x}", crc.sum())
}

/// What one token did (see [`MockControl::stats`](crate::MockControl::stats)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenStats {
    /// The token's fingerprint ([`token_fingerprint`]); `"none"` for requests without a token.
    pub token: String,
    /// The user the token belongs to, once it was accepted.
    pub user: Option<String>,
    /// Every request that reached the server with this token.
    pub requests: u64,
    /// Those counted against the rate limit.
    pub counted: u64,
    /// Answers 429 (by the limiter or by [`Fault::RateLimited`]).
    pub rate_limited: u64,
    /// Requests by route name ([`Route::name`]: `get`, `bulk_get`, `list`, ...).
    pub routes: BTreeMap<String, u64>,
    /// Answer body bytes before compression.
    pub body_bytes: u64,
    /// Answer body bytes sent (compressed when gzip).
    pub sent_bytes: u64,
    /// Answers sent gzip-compressed.
    pub gzip_answers: u64,
}

/// Per-token statistics since the start (or the last
/// [`reset_stats`](crate::MockControl::reset_stats)), whatever the journal's capacity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MockStats {
    /// Every request.
    pub requests: u64,
    /// Requests counted against a rate limit.
    pub counted: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// One entry per token (and `"none"`), ordered by fingerprint.
    pub tokens: Vec<TokenStats>,
}

impl MockStats {
    /// The statistics of `token` (the token itself; only its fingerprint is compared).
    pub fn token(&self, token: &str) -> Option<&TokenStats> {
        let fp = token_fingerprint(token);
        self.tokens.iter().find(|t| t.token == fp)
    }
}

#[derive(Default)]
pub(crate) struct Stats {
    tokens: HashMap<String, TokenStats>,
}

impl Stats {
    fn record(&mut self, e: &JournalEntry) {
        let key = e.token.clone().unwrap_or_else(|| "none".to_owned());
        let t = self
            .tokens
            .entry(key.clone())
            .or_insert_with(|| TokenStats {
                token: key,
                ..TokenStats::default()
            });
        if t.user.is_none() {
            t.user.clone_from(&e.user);
        }
        t.requests += 1;
        t.counted += u64::from(e.counted);
        t.rate_limited += u64::from(e.status == Some(429));
        *t.routes.entry(e.route.name().to_owned()).or_default() += 1;
        t.body_bytes += e.response_bytes as u64;
        t.sent_bytes += e.sent_bytes as u64;
        t.gzip_answers += u64::from(e.gzip);
    }

    pub(crate) fn snapshot(&self) -> MockStats {
        let mut tokens: Vec<TokenStats> = self.tokens.values().cloned().collect();
        tokens.sort_by(|a, b| a.token.cmp(&b.token));
        MockStats {
            requests: tokens.iter().map(|t| t.requests).sum(),
            counted: tokens.iter().map(|t| t.counted).sum(),
            rate_limited: tokens.iter().map(|t| t.rate_limited).sum(),
            tokens,
        }
    }
}

pub(crate) struct Journal {
    entries: VecDeque<JournalEntry>,
    capacity: usize,
    total: u64,
    stats: Stats,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Self {
        Journal {
            entries: VecDeque::new(),
            capacity,
            total: 0,
            stats: Stats::default(),
        }
    }

    /// Record `entry`, numbering it.
    pub(crate) fn push(&mut self, mut entry: JournalEntry) {
        entry.seq = self.total;
        self.stats.record(&entry);
        self.total += 1;
        if self.capacity == 0 {
            return;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub(crate) fn entries(&self) -> Vec<JournalEntry> {
        self.entries.iter().cloned().collect()
    }

    /// The kept entries numbered `since` or later, at most `limit` of them.
    pub(crate) fn since(&self, since: u64, limit: usize) -> Vec<JournalEntry> {
        let first = self.entries.front().map_or(self.total, |e| e.seq);
        let skip = usize::try_from(since.saturating_sub(first)).unwrap_or(usize::MAX);
        self.entries
            .iter()
            .skip(skip)
            .take(limit)
            .cloned()
            .collect()
    }

    /// The number of the oldest entry kept (`total` when none is).
    pub(crate) fn first_kept(&self) -> u64 {
        self.entries.front().map_or(self.total, |e| e.seq)
    }

    pub(crate) fn stats(&self) -> MockStats {
        self.stats.snapshot()
    }

    pub(crate) fn reset_stats(&mut self) {
        self.stats = Stats::default();
    }

    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
