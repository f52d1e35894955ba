//! Configuration of a mock server and its builder.

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use crate::control::{MockHandle, MockServer};
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

/// Everything a mock server is started with. Built with [`MockBuilder`].
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
        }
    }
}

/// Builder of a [`MockServer`] (async) or [`MockHandle`] (own runtime on a background thread).
///
/// Defaults: listen on `127.0.0.1:0`, any non-empty token accepted (until [`token`](Self::token)
/// is called), no seeded tasks, [`Schedule::Polls(3)`](Schedule::Polls), the platform's rate
/// limit (1000 per 5 minutes), plain HTTP, malformed ids → 400/7005, every file id exists,
/// 4 steps per task, a journal of the last 100 000 requests.
#[derive(Debug, Clone, Default)]
pub struct MockBuilder {
    config: MockConfig,
}

impl MockBuilder {
    /// A builder with the defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accept `token` (user name `mock-user`). May be called several times; once called, only
    /// the tokens given are accepted.
    pub fn token(self, token: impl Into<String>) -> Self {
        self.user(token, "mock-user")
    }

    /// Accept `token` as the user `user` (shown in `created_by` / `executed_by`).
    pub fn user(mut self, token: impl Into<String>, user: impl Into<String>) -> Self {
        self.config.tokens.push((token.into(), user.into()));
        self
    }

    /// Address to listen on (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.config.listen = addr;
        self
    }

    /// Seed the documentation's example tasks (see [`examples`](crate::examples)).
    pub fn seed_examples(mut self, yes: bool) -> Self {
        self.config.seed_examples = yes;
        self
    }

    /// Serve the batch example ([`BATCH_TASK_ID`](crate::examples::BATCH_TASK_ID)) verbatim,
    /// malformed as documented, instead of repaired.
    pub fn serve_malformed_examples(mut self, yes: bool) -> Self {
        self.config.serve_malformed_examples = yes;
        self
    }

    /// How running tasks advance.
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.config.schedule = schedule;
        self
    }

    /// A per-token budget of `limit` requests per `window`.
    pub fn rate_limit(mut self, limit: u32, window: Duration) -> Self {
        self.config.rate_limit = Some(RateLimit { limit, window });
        self
    }

    /// No rate limiting and no `X-RateLimit-*` headers (for load benches).
    pub fn no_rate_limit(mut self) -> Self {
        self.config.rate_limit = None;
        self
    }

    /// Serve HTTPS with a self-signed certificate for `localhost`, `127.0.0.1` and `::1`.
    pub fn tls(mut self, yes: bool) -> Self {
        self.config.tls = yes;
        self
    }

    /// What a task id that is not a UUID gets.
    pub fn malformed_id(mut self, policy: MalformedIdPolicy) -> Self {
        self.config.malformed_id = policy;
        self
    }

    /// Only these file ids (`path` of a `File`/`Directory` input) exist; a task using another
    /// gets a `error/task_validation/input/files_missing` entry in `errors`.
    pub fn known_files<I, S>(mut self, files: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.known_files = Some(files.into_iter().map(Into::into).collect());
        self
    }

    /// `steps_total` of tasks that do not say (default 4).
    pub fn steps_total(mut self, steps: u64) -> Self {
        self.config.steps_total = steps.max(1);
        self
    }

    /// How many journal entries are kept (oldest dropped first; default 100 000).
    pub fn journal_capacity(mut self, entries: usize) -> Self {
        self.config.journal_capacity = entries;
        self
    }

    /// Inject a fault from the start (same as [`MockControl::inject`](crate::MockControl::inject)).
    pub fn fault(mut self, fault: Fault, scope: Scope) -> Self {
        self.config.faults.push((fault, scope));
        self
    }

    /// Make a fleet when the server starts (repeatable; see
    /// [`MockControl::spawn_fleet`](crate::MockControl::spawn_fleet)). Its clock starts then.
    pub fn fleet(mut self, spec: FleetSpec) -> Self {
        self.config.fleets.push(spec);
        self
    }

    /// Worker threads of the runtime made by [`start_blocking`](Self::start_blocking) (default 2).
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.config.worker_threads = n.max(1);
        self
    }

    /// The configuration built so far.
    pub fn config(&self) -> &MockConfig {
        &self.config
    }

    /// Start on the current tokio runtime.
    pub async fn start(self) -> Result<MockServer, MockError> {
        MockServer::start(self.config).await
    }

    /// Start on a runtime of its own, on a background thread (for blocking code).
    pub fn start_blocking(self) -> Result<MockHandle, MockError> {
        MockServer::start_blocking(self.config)
    }
}

impl From<MockConfig> for MockBuilder {
    fn from(config: MockConfig) -> Self {
        MockBuilder { config }
    }
}
