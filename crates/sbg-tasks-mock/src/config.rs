//! What a mock is configured with: schedules, rate limits, policies, and the whole
//! [`MockConfig`] (built with [`MockBuilder`](crate::MockBuilder)).

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use crate::error::MockError;
use crate::fault::{Fault, Scope};
use crate::fleet::FleetSpec;

/// How a running task advances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Schedule {
    /// Deterministic: the run answer shows QUEUED; each `GET` of the task (or of its batch
    /// parent) counts one poll; polls `1..n` show RUNNING with `steps_completed` rising, and
    /// poll `n` shows the final status. Batch child `i` (0-based) needs `n + i` polls.
    /// `Polls(0)` finishes at once.
    Polls(u32),
    /// By wall time `d` since the run: QUEUED for the first quarter, RUNNING until `d`, then
    /// final. Batch child `i` needs `d + i·d/4`.
    WallTime(Duration),
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule::Polls(3)
    }
}

impl FromStr for Schedule {
    type Err = MockError;
    /// `polls:N` or `ms:N`.
    fn from_str(s: &str) -> Result<Self, MockError> {
        let (kind, n) = s
            .split_once(':')
            .ok_or_else(|| MockError::parse("schedule", s, "expected polls:N or ms:N"))?;
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| MockError::parse("schedule", s, "N is not a number"))?;
        match kind.trim() {
            "polls" => u32::try_from(n)
                .map(Schedule::Polls)
                .map_err(|_| MockError::parse("schedule", s, "too many polls")),
            "ms" => Ok(Schedule::WallTime(Duration::from_millis(n))),
            _ => Err(MockError::parse("schedule", s, "expected polls:N or ms:N")),
        }
    }
}

/// A per-token request budget per window (the platform: 1000 per 5 minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u32,
    /// Length of a window; it starts with the first request of a token.
    pub window: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            limit: 1000,
            window: Duration::from_secs(300),
        }
    }
}

impl FromStr for RateLimit {
    type Err = MockError;
    /// `N/SECONDS` (e.g. `1000/300`) or `N/Nms` (e.g. `5/500ms`).
    fn from_str(s: &str) -> Result<Self, MockError> {
        let (n, w) = s
            .split_once('/')
            .ok_or_else(|| MockError::parse("rate limit", s, "expected N/SECONDS"))?;
        let limit = n
            .trim()
            .parse()
            .map_err(|_| MockError::parse("rate limit", s, "N is not a number"))?;
        let w = w.trim();
        let window = if let Some(ms) = w.strip_suffix("ms") {
            Duration::from_millis(
                ms.parse()
                    .map_err(|_| MockError::parse("rate limit", s, "bad window"))?,
            )
        } else {
            Duration::from_secs(
                w.trim_end_matches('s')
                    .parse()
                    .map_err(|_| MockError::parse("rate limit", s, "bad window"))?,
            )
        };
        if window.is_zero() {
            return Err(MockError::parse("rate limit", s, "window must not be zero"));
        }
        Ok(RateLimit { limit, window })
    }
}

/// What a task id that is not a UUID gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MalformedIdPolicy {
    /// 400 with code 7005 ("Task ID must be a valid UUID."). The default.
    #[default]
    BadRequest,
    /// 404 with code 7002, as the platform answers for many malformed ids.
    NotFound,
}

/// How a task ends when its schedule runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// COMPLETED, outputs filled in.
    Completed,
    /// FAILED. The default for tasks whose name contains "fail" (any case).
    Failed,
    /// ABORTED (as if aborted by the platform).
    Aborted,
}

/// A run that follows a wall-time plan of its own, whatever the [`Schedule`] (as fleet tasks
/// do): QUEUED from its start, RUNNING from `running_after`, ended with `outcome` at
/// `ends_after` (never, when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunPlan {
    /// From the run's start to RUNNING.
    pub running_after: Duration,
    /// From the run's start to its end; `None`: it does not end.
    pub ends_after: Option<Duration>,
    /// How it ends.
    pub outcome: Outcome,
}

impl RunPlan {
    /// RUNNING after `running_after`, ended with `outcome` after `ends_after`.
    pub fn new(running_after: Duration, ends_after: Option<Duration>, outcome: Outcome) -> Self {
        RunPlan {
            running_after,
            ends_after,
            outcome,
        }
    }
}

/// Everything a mock server is started with. Built with [`MockBuilder`](crate::MockBuilder).
#[derive(Clone)]
pub struct MockConfig {
    pub(crate) listen: SocketAddr,
    /// (token, user name)
    pub(crate) tokens: Vec<(String, String)>,
    pub(crate) seed_examples: bool,
    pub(crate) serve_malformed_examples: bool,
    pub(crate) schedule: Schedule,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) tls: bool,
    pub(crate) malformed_id: MalformedIdPolicy,
    pub(crate) known_files: Option<BTreeSet<String>>,
    pub(crate) steps_total: u64,
    pub(crate) journal_capacity: usize,
    pub(crate) faults: Vec<(Fault, Scope)>,
    pub(crate) worker_threads: usize,
    pub(crate) fleets: Vec<FleetSpec>,
    /// Milliseconds the mock's clock is ahead (negative: behind) of the clock it is driven by.
    pub(crate) clock_skew_ms: i64,
    /// How long after a get shows a change listings show it.
    pub(crate) listing_lag: Duration,
}

impl fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Tokens are secrets: only their count and users are shown.
        f.debug_struct("MockConfig")
            .field("listen", &self.listen)
            .field(
                "users",
                &self
                    .tokens
                    .iter()
                    .map(|(_, u)| u.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("seed_examples", &self.seed_examples)
            .field("serve_malformed_examples", &self.serve_malformed_examples)
            .field("schedule", &self.schedule)
            .field("rate_limit", &self.rate_limit)
            .field("tls", &self.tls)
            .field("malformed_id", &self.malformed_id)
            .field("known_files", &self.known_files.as_ref().map(BTreeSet::len))
            .field("steps_total", &self.steps_total)
            .field("journal_capacity", &self.journal_capacity)
            .field("faults", &self.faults)
            .field("fleets", &self.fleets)
            .field("clock_skew_ms", &self.clock_skew_ms)
            .field("listing_lag", &self.listing_lag)
            .finish()
    }
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tokens: Vec::new(),
            seed_examples: false,
            serve_malformed_examples: false,
            schedule: Schedule::default(),
            rate_limit: Some(RateLimit::default()),
            tls: false,
            malformed_id: MalformedIdPolicy::default(),
            known_files: None,
            steps_total: 4,
            journal_capacity: 100_000,
            faults: Vec::new(),
            worker_threads: 2,
            fleets: Vec::new(),
            clock_skew_ms: 0,
            listing_lag: Duration::ZERO,
        }
    }
}

/// A duration in seconds (`60`, `1.5`) or milliseconds (`500ms`).
pub fn parse_duration(s: &str) -> Result<Duration, MockError> {
    let t = s.trim();
    let err = || MockError::parse("duration", s, "expected SECONDS (e.g. 60, 1.5) or Nms");
    if let Some(ms) = t.strip_suffix("ms") {
        return ms
            .trim()
            .parse()
            .map(Duration::from_millis)
            .map_err(|_| err());
    }
    let secs: f64 = t.trim_end_matches('s').parse().map_err(|_| err())?;
    Duration::try_from_secs_f64(secs).map_err(|_| err())
}
