//! The request journal: what reached the server.

use std::collections::VecDeque;
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
}

pub(crate) struct Journal {
    entries: VecDeque<JournalEntry>,
    capacity: usize,
    total: u64,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Self {
        Journal {
            entries: VecDeque::new(),
            capacity,
            total: 0,
        }
    }

    pub(crate) fn push(&mut self, entry: JournalEntry) {
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

    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
