//! The platform the mock serves, without HTTP: tokens, the rate limiter, the routes and the
//! tasks ([`MockPlatform`]). It never reads a clock: every call is handed the instant it happens
//! at, so the server runs it on the wall clock and a simulation on a virtual one, and both get
//! the same answers from the same model.

mod calls;
mod route;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{Request, Response, StatusCode};
use serde_json::Value;
use time::OffsetDateTime;

use crate::api_error::{codes, ApiError};
use crate::config::{MalformedIdPolicy, MockConfig, Outcome, RunPlan};
use crate::error::MockError;
use crate::fleet::{Fleet, FleetSpec};
use crate::ratelimit::{Limiter, RateInfo};
use crate::store::{is_uuid, Store, StoreConfig, TaskCopy};
use crate::sync::lock;

pub(crate) use route::{auth_of, classify, Params, Target};

/// An answer before the HTTP layer's faults and encoding.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
    pub(crate) content_type: &'static str,
    pub(crate) rate: Option<RateInfo>,
    pub(crate) total: Option<usize>,
    /// (original, copy) when the call made a copy (`clone`).
    pub(crate) copy: Option<(String, String)>,
}

impl Answer {
    pub(crate) fn json(status: StatusCode, body: Bytes) -> Self {
        Answer {
            status,
            body,
            content_type: "application/json; charset=utf-8",
            rate: None,
            copy: None,
            total: None,
        }
    }

    pub(crate) fn error(e: &ApiError) -> Self {
        Self::json(e.status, e.body())
    }

    /// The answer's headers: content type, `X-RateLimit-*` and `X-Total-Matching-Query`.
    pub(crate) fn headers(&self, h: &mut http::HeaderMap) {
        if !self.content_type.is_empty() {
            h.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        }
        if let Some(r) = self.rate {
            h.insert(
                HeaderName::from_static("x-ratelimit-limit"),
                HeaderValue::from(r.limit),
            );
            h.insert(
                HeaderName::from_static("x-ratelimit-remaining"),
                HeaderValue::from(r.remaining),
            );
            h.insert(
                HeaderName::from_static("x-ratelimit-reset"),
                HeaderValue::from(r.reset),
            );
        }
        if let Some(t) = self.total {
            h.insert(
                HeaderName::from_static("x-total-matching-query"),
                HeaderValue::from(t),
            );
        }
    }
}

/// What the platform made of a request, for the journal: counted against the rate limit, and
/// the user whose token was accepted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Seen {
    pub(crate) counted: bool,
    pub(crate) user: Option<String>,
    /// (original, copy) when the call made a copy.
    pub(crate) copy: Option<(String, String)>,
}

/// A request as the platform reads it: its route, query, token and body.
pub(crate) struct Call<'a> {
    pub(crate) target: &'a Target,
    pub(crate) params: &'a Params,
    pub(crate) token: Option<&'a str>,
    pub(crate) body: &'a [u8],
}

/// The mock's model of the platform, without HTTP: tokens, the per-token rate limiter, every
/// Tasks route and the tasks themselves. [`MockServer`](crate::MockServer) serves one on the
/// wall clock; [`handle`](Self::handle) answers a request at any instant it is given, so a
/// virtual-time simulation drives the same model (same windows, same lifecycle, same bodies).
///
/// Instants are mapped to wall time (`created_time`, `X-RateLimit-Reset`, ...) through the
/// pair given to [`new`](Self::new): `origin` stands for `wall` (plus the config's clock
/// skew, [`MockBuilder::clock_skew_ms`](crate::MockBuilder::clock_skew_ms)).
pub struct MockPlatform {
    base_url: String,
    /// token → user; empty: any non-empty token is accepted as `mock-user`.
    tokens: HashMap<String, String>,
    malformed_id: MalformedIdPolicy,
    store: Mutex<Store>,
    limiter: Option<Mutex<Limiter>>,
    /// The user of fleet tasks: the first token's, else `mock-user`.
    default_user: String,
}

impl std::fmt::Debug for MockPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockPlatform")
            .field("base_url", &self.base_url)
            .field("tasks", &self.task_count())
            .finish_non_exhaustive()
    }
}

impl MockPlatform {
    /// The platform `config` describes (its tokens, rate limit, schedule, seeded examples and
    /// fleets; not its listening address, TLS or faults, which are the server's), answering
    /// with hrefs under `base_url` (e.g. `http://127.0.0.1:8080/v2`). `origin` is the instant
    /// whose wall time is `wall`; the config's fleets start at `origin`.
    pub fn new(config: &MockConfig, base_url: &str, origin: Instant, wall: SystemTime) -> Self {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let skew = Duration::from_millis(config.clock_skew_ms.unsigned_abs());
        let wall = if config.clock_skew_ms >= 0 {
            wall.checked_add(skew)
        } else {
            wall.checked_sub(skew)
        }
        .unwrap_or(wall);
        let mut store = Store::new(StoreConfig {
            schedule: config.schedule,
            steps_total: config.steps_total,
            known_files: config.known_files.clone(),
            base_url: base_url.clone(),
            serve_malformed: config.serve_malformed_examples,
            base_instant: origin,
            base_wall: OffsetDateTime::from(wall),
            listing_lag: config.listing_lag,
        });
        if config.seed_examples {
            store.seed_examples();
        }
        let default_user = config
            .tokens
            .first()
            .map_or_else(|| "mock-user".to_owned(), |(_, u)| u.clone());
        for spec in &config.fleets {
            store.spawn_fleet(spec, &default_user, origin);
        }
        MockPlatform {
            base_url,
            tokens: config.tokens.iter().cloned().collect(),
            malformed_id: config.malformed_id,
            store: Mutex::new(store),
            limiter: config
                .rate_limit
                .map(|r| Mutex::new(Limiter::new(r, origin, wall))),
            default_user,
        }
    }

    /// The API base URL every `href` starts with.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The answer to `request` at `now`, as the server gives it before its faults, journal
    /// and compression: the rate limit first (`GET /v2/rate_limit` is free), then the token,
    /// then the call. The path must start with `/v2/` (a full URL's path is used).
    pub fn handle<B: AsRef<[u8]>>(&self, request: &Request<B>, now: Instant) -> Response<Bytes> {
        let target = classify(request.method(), request.uri().path());
        let params = Params(crate::query::parse(request.uri().query()));
        let (_, token) = auth_of(request.headers());
        let call = Call {
            target: &target,
            params: &params,
            token: token.as_deref(),
            body: request.body().as_ref(),
        };
        let (answer, _) = self.answer(&call, false, now);
        let mut response = Response::new(answer.body.clone());
        *response.status_mut() = answer.status;
        answer.headers(response.headers_mut());
        response
    }

    /// Insert (or replace) a task given as a JSON object. A missing `id` is made up (a new
    /// UUID); `href` is set to this platform's. Returns the id.
    pub fn insert_task(&self, task: Value) -> Result<String, MockError> {
        lock(&self.store)
            .insert(task, None)
            .map_err(MockError::InvalidTask)
    }

    /// Insert (or replace) a task, as [`insert_task`](Self::insert_task), already run at
    /// `started`: QUEUED until `plan`'s running moment, RUNNING until its end, then its
    /// outcome, whatever the schedule. Its `created_time` and `start_time` are `started`'s
    /// wall time unless the task gives them.
    pub fn insert_running(
        &self,
        task: Value,
        plan: RunPlan,
        started: Instant,
    ) -> Result<String, MockError> {
        lock(&self.store)
            .insert(task, Some((plan, started)))
            .map_err(MockError::InvalidTask)
    }

    /// The task as it is at `now`, without counting a poll.
    pub fn task(&self, id: &str, now: Instant) -> Option<Value> {
        lock(&self.store).snapshot(id, now)
    }

    /// The ids of all tasks, in the order they were made.
    pub fn task_ids(&self) -> Vec<String> {
        lock(&self.store).ids()
    }

    /// How many tasks there are.
    pub fn task_count(&self) -> usize {
        lock(&self.store).len()
    }

    /// How the task (and, for a batch parent, its children) ends; `false` if there is no
    /// such task.
    pub fn set_outcome(&self, id: &str, outcome: Outcome) -> bool {
        lock(&self.store).set_outcome(id, outcome)
    }

    /// Count `polls` polls of a running task (and of its children) at `now`; `false` if there
    /// is no such task.
    pub fn advance(&self, id: &str, polls: u32, now: Instant) -> bool {
        lock(&self.store).advance(id, polls, now)
    }

    /// Make listings lag by `lag` from now on (see
    /// [`MockBuilder::listing_lag`](crate::MockBuilder::listing_lag)); tasks as they are when
    /// it changes are listed at once.
    pub fn set_listing_lag(&self, lag: Duration) {
        lock(&self.store).set_listing_lag(lag);
    }

    /// The current listing lag.
    pub fn listing_lag(&self) -> Duration {
        lock(&self.store).listing_lag()
    }

    /// Every copy made by `clone` so far, in the order made, with its status at `now`: what a
    /// test reads to check that each original has exactly one copy that ran and that no
    /// orphan DRAFT remains. A copy deleted as a DRAFT stays listed, as `DELETED`.
    pub fn copies(&self, now: Instant) -> Vec<TaskCopy> {
        lock(&self.store).copies(now)
    }

    /// Make a fleet (see [`FleetSpec`]) whose clock starts at `now`.
    pub fn spawn_fleet(&self, spec: &FleetSpec, now: Instant) -> Fleet {
        lock(&self.store).spawn_fleet(spec, &self.default_user, now)
    }

    /// The fleets made so far.
    pub fn fleets(&self) -> Vec<Fleet> {
        lock(&self.store).fleets().to_vec()
    }

    /// Start every token's rate-limit window afresh.
    pub fn reset_rate_limits(&self) {
        if let Some(l) = &self.limiter {
            lock(l).reset_all();
        }
    }

    fn check_id(&self, id: &str) -> Result<(), ApiError> {
        self.check_id_in(&lock(&self.store), id)
    }

    /// 400/7004 for an empty id; for an id that is neither a UUID nor a task's, 400/7005 (or
    /// 404/7002 as the malformed-id policy says).
    fn check_id_in(&self, store: &Store, id: &str) -> Result<(), ApiError> {
        if id.is_empty() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::EMPTY_ID,
                "Task ID must not be empty or null or an empty string.",
            ));
        }
        if is_uuid(id) || store.contains(id) {
            return Ok(());
        }
        Err(match self.malformed_id {
            MalformedIdPolicy::NotFound => ApiError::not_found_task(),
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::ID_NOT_UUID,
                "Task ID must be a valid UUID.",
            ),
        })
    }

    fn user_of(&self, token: Option<&str>) -> Option<String> {
        let token = token.filter(|t| !t.is_empty())?;
        if self.tokens.is_empty() {
            return Some("mock-user".to_owned());
        }
        self.tokens.get(token).cloned()
    }

    /// The answer of the platform proper (rate limit, auth, the call) to `call` at `now`;
    /// `force_429` refuses it as a spent window would (without counting it).
    pub(crate) fn answer(&self, call: &Call<'_>, force_429: bool, now: Instant) -> (Answer, Seen) {
        let target = call.target;
        let mut seen = Seen::default();
        let key = call.token.unwrap_or_default();
        let rate = self.limiter.as_ref().map(|l| {
            let mut l = lock(l);
            if force_429 {
                RateInfo {
                    allowed: false,
                    remaining: 0,
                    ..l.peek(key, now)
                }
            } else if *target == Target::RateLimit {
                l.peek(key, now)
            } else {
                l.hit(key, now)
            }
        });
        let limited =
            force_429 || (*target != Target::RateLimit && rate.is_some_and(|r| !r.allowed));
        seen.counted = !limited && *target != Target::RateLimit && rate.is_some();
        let mut answer = if limited {
            Answer::error(&ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                codes::RATE_LIMITED,
                "Rate limit exceeded! Check response headers.",
            ))
        } else {
            match self.user_of(call.token) {
                None => Answer::error(&ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    codes::UNAUTHORIZED,
                    "Unauthorized.",
                )),
                Some(user) => {
                    seen.user = Some(user.clone());
                    match self.dispatch(target, call.params, &user, call.body, rate, now) {
                        Ok(a) => a,
                        Err(e) => Answer::error(&e),
                    }
                }
            }
        };
        answer.rate = rate;
        seen.copy.clone_from(&answer.copy);
        (answer, seen)
    }
}
