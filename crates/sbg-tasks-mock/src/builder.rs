//! Building a mock: [`MockBuilder`], then [`start`](MockBuilder::start) (async) or
//! [`start_blocking`](MockBuilder::start_blocking) (own runtime).

use std::net::SocketAddr;
use std::time::Duration;

use crate::config::{MalformedIdPolicy, MockConfig, RateLimit, Schedule};
use crate::control::{MockHandle, MockServer};
use crate::error::MockError;
use crate::fault::{Fault, Scope};
use crate::fleet::FleetSpec;

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

    /// Skew the mock's clock by `ms` milliseconds against the clock it is driven by (the wall
    /// clock for a server, the virtual one for a simulation): positive, the mock is ahead.
    /// Every wall time it shows is skewed: `created_time`, `start_time`, `end_time`, the list
    /// filters' reading of them, and `X-RateLimit-Reset`. Default 0.
    pub fn clock_skew_ms(mut self, ms: i64) -> Self {
        self.config.clock_skew_ms = ms;
        self
    }

    /// Make listings lag by `lag` (default none): a change (status, start or end time, a new
    /// task) is seen by a get and a bulk get at once, but `GET /v2/tasks` filters, sorts and
    /// shows each task as it was `lag` ago, and does not show a task made less than `lag`
    /// ago. The clock of a change is when the mock notices it: the first request that reads
    /// the task (a listing reads them all) at or after the moment it happened. Also
    /// [`MockControl::set_listing_lag`](crate::MockControl::set_listing_lag) and
    /// `POST /__mock/listing_lag?secs=S`.
    pub fn listing_lag(mut self, lag: Duration) -> Self {
        self.config.listing_lag = lag;
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

impl MockServer {
    /// A builder with the defaults.
    pub fn builder() -> MockBuilder {
        MockBuilder::new()
    }
}
