//! When to try a call again, and after how long: a sans-IO decision from the call's kind, the
//! attempt, what went wrong and the answer's headers.
//!
//! Time is passed in (`now` is a monotonic reading, `unix_now` the wall clock; both are
//! [`Duration`]s since an origin the caller picks), and so is the randomness for jitter. Nothing
//! here reads a clock or sleeps.
//!
//! The rules:
//! - **429 / code 1000** (rate limited; the platform did not act): wait until `Retry-After`, or
//!   else until `X-RateLimit-Reset`, at most [`RetryPolicy::max_rate_limit_wait`]. Every call
//!   kind is retried.
//! - **502, 503, 504, code 0** (maintenance, proxy trouble) and **connect / timeout / broken
//!   connection** errors: exponential backoff with jitter.
//! - **Rerun and create are not idempotent**: they are retried only when the request surely did
//!   not reach the server (a refused connection, a connect timeout) or on a 429.
//! - Attempts are limited ([`RetryPolicy::max_attempts`], counting the first) and so is the total
//!   time ([`RetryPolicy::deadline`]): a wait that would end past the deadline is not started.
//!
//! ```
//! use std::time::Duration;
//! use sbg_tasks_proto::machine::{Call, Now, Operation, Settings, Shared, Step};
//! use sbg_tasks_proto::transport::{TransportErrorKind, TransportFailure};
//! use sbg_tasks_proto::{AuthToken, BudgetPolicy, ClientError, Config, Platform, RerunTask};
//!
//! let settings = Settings::new(Config::new(Platform::Cgc, AuthToken::new("token")?));
//! let mut shared = Shared::new(BudgetPolicy::default());
//! let rerun = RerunTask::new("t1".parse()?);
//! let mut call = Call::new(&settings, &rerun);
//! let now = Now { mono: Duration::ZERO, unix: Duration::ZERO, random: 0 };
//! let Step::Send(_) = call.step(now, &mut shared) else { unreachable!() };
//! // A reset connection after the rerun was written: the copy may exist, so never again.
//! let lost = TransportFailure::new(TransportErrorKind::Io, "reset").with_request_sent(true);
//! call.on_answer(Err(lost), now, &mut shared);
//! assert!(matches!(call.step(now, &mut shared), Step::Done(Err(ClientError::Transport(_)))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::Duration;

use crate::api_error::ApiError;
use crate::endpoint::CallKind;
use crate::meta::{ResponseMeta, RetryAfter};
use crate::transport::TransportErrorKind;

/// How a client retries. Build it with [`RetryPolicy::default`] or [`RetryPolicy::off`] and
/// adjust the fields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included. `1` (or `0`) turns retrying off. Default 5.
    pub max_attempts: u32,
    /// Total time a call may take, waits included: no wait is started that would end past it.
    /// Default 10 minutes.
    pub deadline: Duration,
    /// The first backoff delay; each further retry doubles it. Default 500 ms.
    pub base_delay: Duration,
    /// The largest backoff delay. Default 30 s.
    pub max_delay: Duration,
    /// How much of a backoff delay is random, from 0.0 (none) to 1.0 (anywhere in `0..=delay`).
    /// Default 0.5: the delay is in `delay/2..=delay`.
    pub jitter: f64,
    /// The longest wait for a rate-limit window to reset. Default 310 s (the platform's window
    /// is 5 minutes).
    pub max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            deadline: Duration::from_secs(600),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            jitter: 0.5,
            max_rate_limit_wait: Duration::from_secs(310),
        }
    }
}

impl RetryPolicy {
    /// No retries at all: every failure is returned at once.
    pub fn off() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Whether retrying is on (more than one attempt allowed).
    pub fn is_enabled(&self) -> bool {
        self.max_attempts > 1
    }

    /// Sets [`max_attempts`](Self::max_attempts).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Sets [`deadline`](Self::deadline).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets [`base_delay`](Self::base_delay) and [`max_delay`](Self::max_delay).
    pub fn with_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max.max(base);
        self
    }

    /// Sets [`jitter`](Self::jitter) (clamped to `0.0..=1.0`).
    pub fn with_jitter(mut self, jitter: f64) -> Self {
        self.jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        self
    }

    /// Sets [`max_rate_limit_wait`](Self::max_rate_limit_wait).
    pub fn with_max_rate_limit_wait(mut self, max: Duration) -> Self {
        self.max_rate_limit_wait = max;
        self
    }

    /// The backoff before retry number `retry` (1 for the first retry): `base · 2^(retry-1)`,
    /// at most `max_delay`, minus up to `jitter` of it as `random` says.
    pub fn backoff(&self, retry: u32, random: u64) -> Duration {
        let shift = retry.saturating_sub(1).min(32);
        let full = self
            .base_delay
            .checked_mul(1u32 << shift.min(31))
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let jitter = if self.jitter.is_nan() {
            0.0
        } else {
            self.jitter.clamp(0.0, 1.0)
        };
        let nanos = u64::try_from(full.as_nanos()).unwrap_or(u64::MAX);
        // Truncation is intended: the random span only needs to be roughly `jitter` of it.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let span = (nanos as f64 * jitter) as u64;
        let off = if span == 0 {
            0
        } else {
            random % span.saturating_add(1)
        };
        Duration::from_nanos(nanos - off.min(nanos))
    }
}

/// What went wrong with one attempt.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub(crate) enum Failure<'a> {
    /// The transport failed.
    Transport {
        /// What kind of failure.
        kind: TransportErrorKind,
        /// Whether the request may have reached the server.
        request_sent: bool,
    },
    /// The platform (or a proxy) answered with an error status.
    Answer(&'a ApiError),
}

/// Why a call is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum RetryReason {
    /// HTTP 429 / code 1000.
    RateLimited,
    /// 502, 503, 504 or code 0 (maintenance).
    Unavailable {
        /// The HTTP status.
        status: u16,
    },
    /// A transport failure that may go away.
    Transport(TransportErrorKind),
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryReason::RateLimited => f.write_str("rate limited"),
            RetryReason::Unavailable { status } => write!(f, "unavailable (HTTP {status})"),
            RetryReason::Transport(k) => write!(f, "{k} error"),
        }
    }
}

/// Why a call is not tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum StopReason {
    /// Retrying is off ([`RetryPolicy::off`]).
    Disabled,
    /// The failure is final (a 4xx other than 429, a TLS failure, a body too large, ...).
    NotRetryable,
    /// The call is not idempotent (rerun, create) and the request may have reached the server:
    /// sending it again could make a second task.
    NotIdempotent,
    /// [`RetryPolicy::max_attempts`] attempts were made.
    AttemptsExhausted,
    /// The next wait would end past [`RetryPolicy::deadline`].
    DeadlineReached,
}

impl StopReason {
    /// Whether the failure was retryable but the attempts or the time ran out.
    pub(crate) fn is_exhausted(self) -> bool {
        matches!(
            self,
            StopReason::AttemptsExhausted | StopReason::DeadlineReached
        )
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Decision {
    /// Wait `after`, then send the call again.
    Retry {
        /// How long to wait first.
        after: Duration,
        /// Why.
        reason: RetryReason,
    },
    /// Give up: the failure is the call's result.
    Stop(StopReason),
}

/// Whether a failure may be retried at all for a call of `kind`, and why.
pub(crate) fn classify(kind: CallKind, failure: &Failure<'_>) -> Result<RetryReason, StopReason> {
    match *failure {
        Failure::Answer(api) if api.is_rate_limited() => Ok(RetryReason::RateLimited),
        Failure::Answer(api) => {
            let unavailable = matches!(api.status, 502..=504) || api.is_maintenance();
            if !unavailable {
                Err(StopReason::NotRetryable)
            } else if !kind.is_idempotent() {
                // A proxy error or maintenance page may come after the platform acted.
                Err(StopReason::NotIdempotent)
            } else {
                Ok(RetryReason::Unavailable { status: api.status })
            }
        }
        Failure::Transport {
            kind: k,
            request_sent,
        } => {
            if !k.is_transient() {
                Err(StopReason::NotRetryable)
            } else if request_sent && !kind.is_idempotent() {
                Err(StopReason::NotIdempotent)
            } else {
                Ok(RetryReason::Transport(k))
            }
        }
    }
}

/// How long a rate-limited answer asks to wait: `Retry-After` when sent, else until
/// `X-RateLimit-Reset`. `None` when the answer says neither (or the moment has passed).
pub(crate) fn rate_limit_wait(meta: &ResponseMeta, unix_now: Duration) -> Option<Duration> {
    let until = |at: u64| Duration::from_secs(at).checked_sub(unix_now);
    let wait = match meta.retry_after {
        Some(RetryAfter::Seconds(s)) => Some(Duration::from_secs(s)),
        Some(RetryAfter::At(at)) => until(at),
        _ => meta.rate_limit.and_then(|rl| until(rl.reset)),
    };
    wait.filter(|w| !w.is_zero())
}

/// The retry state of one call: attempts made, when it started, and whether the platform may
/// already have acted on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RetryState {
    kind: CallKind,
    started: Duration,
    attempts: u32,
    maybe_acted: bool,
}

impl RetryState {
    /// A call of `kind` starting at monotonic time `now`, before its first attempt.
    pub(crate) fn new(kind: CallKind, now: Duration) -> Self {
        Self {
            kind,
            started: now,
            attempts: 0,
            maybe_acted: false,
        }
    }

    /// Counts a new attempt and returns its number (1 for the first).
    pub(crate) fn begin_attempt(&mut self) -> u32 {
        self.attempts += 1;
        self.attempts
    }

    /// Attempts begun so far.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time since the call started.
    pub(crate) fn elapsed(&self, now: Duration) -> Duration {
        now.saturating_sub(self.started)
    }

    /// Whether an earlier attempt may have reached the platform and been acted on (it was
    /// sent and its answer was lost, or the answer was a 5xx that may have come after the
    /// platform acted). A 429 and an unsent request do not count.
    pub(crate) fn maybe_acted(&self) -> bool {
        self.maybe_acted
    }

    /// Whether `answer` to this attempt means a run already happened: the call is a run, an
    /// earlier attempt may have been acted on, and the platform now says the task is no longer
    /// a DRAFT (7007). The client then fetches the task instead of failing.
    pub(crate) fn run_already_accepted(&self, answer: &ApiError) -> bool {
        self.kind == CallKind::Run && self.maybe_acted && answer.is_only_for_draft()
    }

    /// Decides what to do after the current attempt failed with `failure`, at monotonic time
    /// `now` and wall-clock time `unix_now` (since the Unix epoch); `random` feeds the jitter.
    pub(crate) fn on_failure(
        &mut self,
        policy: &RetryPolicy,
        failure: &Failure<'_>,
        now: Duration,
        unix_now: Duration,
        random: u64,
    ) -> Decision {
        let acted = match *failure {
            Failure::Answer(api) => !api.is_rate_limited(),
            Failure::Transport { request_sent, .. } => request_sent,
        };
        self.maybe_acted |= acted;
        let reason = match classify(self.kind, failure) {
            Ok(r) => r,
            Err(stop) => return Decision::Stop(stop),
        };
        if !policy.is_enabled() {
            return Decision::Stop(StopReason::Disabled);
        }
        if self.attempts >= policy.max_attempts {
            return Decision::Stop(StopReason::AttemptsExhausted);
        }
        let retry = self.attempts.max(1);
        let after = match (reason, failure) {
            (RetryReason::RateLimited, Failure::Answer(api)) => {
                rate_limit_wait(&api.meta, unix_now)
                    .map(|w| w.min(policy.max_rate_limit_wait))
                    .unwrap_or_else(|| policy.backoff(retry, random))
            }
            _ => policy.backoff(retry, random),
        };
        if self.elapsed(now).saturating_add(after) > policy.deadline {
            return Decision::Stop(StopReason::DeadlineReached);
        }
        Decision::Retry { after, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::RateLimit;
    use proptest::prelude::*;

    fn api(status: u16, body: &str, headers: &[(&str, &str)]) -> ApiError {
        let mut h = http::HeaderMap::new();
        for (k, v) in headers {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        ApiError::from_parts(
            http::StatusCode::from_u16(status).unwrap(),
            &h,
            body.as_bytes(),
        )
    }

    fn no_jitter() -> RetryPolicy {
        RetryPolicy::default().with_jitter(0.0)
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn first_failure(kind: CallKind, f: &Failure<'_>, policy: &RetryPolicy) -> Decision {
        let mut st = RetryState::new(kind, Duration::ZERO);
        st.begin_attempt();
        st.on_failure(policy, f, Duration::ZERO, S(1_700_000_000), 0)
    }

    #[test]
    fn rate_limited_waits_until_the_reset() {
        let e = api(
            429,
            r#"{"status":429,"code":1000,"message":"Rate limit exceeded"}"#,
            &[
                ("x-ratelimit-limit", "1000"),
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "1700000042"),
            ],
        );
        for kind in [
            CallKind::Read,
            CallKind::Run,
            CallKind::Rerun,
            CallKind::Create,
        ] {
            assert_eq!(
                first_failure(kind, &Failure::Answer(&e), &no_jitter()),
                Decision::Retry {
                    after: S(42),
                    reason: RetryReason::RateLimited
                },
                "{kind:?}"
            );
        }
    }

    #[test]
    fn retry_after_wins_over_the_reset_and_waits_are_capped() {
        let e = api(
            429,
            "",
            &[
                ("retry-after", "7"),
                ("x-ratelimit-limit", "1000"),
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "1700000042"),
            ],
        );
        let d = first_failure(CallKind::Read, &Failure::Answer(&e), &no_jitter());
        assert!(matches!(d, Decision::Retry { after, .. } if after == S(7)));

        let far = api(429, "", &[("retry-after", "100000")]);
        let p = no_jitter().with_max_rate_limit_wait(S(60));
        let d = first_failure(CallKind::Read, &Failure::Answer(&far), &p);
        assert!(matches!(d, Decision::Retry { after, .. } if after == S(60)));
    }

    #[test]
    fn rate_limited_without_hints_backs_off() {
        let e = api(429, "", &[]);
        let d = first_failure(CallKind::Read, &Failure::Answer(&e), &no_jitter());
        assert_eq!(
            d,
            Decision::Retry {
                after: Duration::from_millis(500),
                reason: RetryReason::RateLimited
            }
        );
        // A reset in the past (clock skew) also falls back to backoff.
        let meta = ResponseMeta {
            rate_limit: Some(RateLimit {
                limit: 1,
                remaining: 0,
                reset: 10,
            }),
            ..Default::default()
        };
        assert_eq!(rate_limit_wait(&meta, S(20)), None);
    }

    #[test]
    fn unavailable_answers_back_off_exponentially_for_idempotent_calls() {
        let p = no_jitter();
        let maintenance = api(
            503,
            r#"{"status":503,"code":0,"message":"Maintenance"}"#,
            &[],
        );
        let mut st = RetryState::new(CallKind::Read, Duration::ZERO);
        let mut waits = Vec::new();
        loop {
            st.begin_attempt();
            match st.on_failure(&p, &Failure::Answer(&maintenance), Duration::ZERO, S(0), 0) {
                Decision::Retry { after, reason } => {
                    assert_eq!(reason, RetryReason::Unavailable { status: 503 });
                    waits.push(after.as_millis());
                }
                Decision::Stop(r) => {
                    assert_eq!(r, StopReason::AttemptsExhausted);
                    break;
                }
            }
        }
        assert_eq!(waits, [500, 1000, 2000, 4000]);
        for status in [502, 504] {
            let e = api(status, "<html>bad gateway</html>", &[]);
            assert!(matches!(
                first_failure(CallKind::Run, &Failure::Answer(&e), &p),
                Decision::Retry { .. }
            ));
        }
    }

    #[test]
    fn final_errors_are_not_retried() {
        let p = RetryPolicy::default();
        for (status, code) in [
            (404, 7002),
            (400, 7005),
            (403, 7001),
            (500, 90000),
            (401, 90001),
        ] {
            let e = api(
                status,
                &format!(r#"{{"status":{status},"code":{code}}}"#),
                &[],
            );
            assert_eq!(
                first_failure(CallKind::Read, &Failure::Answer(&e), &p),
                Decision::Stop(StopReason::NotRetryable)
            );
        }
        for kind in [
            TransportErrorKind::Tls,
            TransportErrorKind::BodyTooLarge,
            TransportErrorKind::Redirect,
            TransportErrorKind::InsecureScheme,
            TransportErrorKind::Other,
        ] {
            let f = Failure::Transport {
                kind,
                request_sent: kind.maybe_sent(),
            };
            assert_eq!(
                first_failure(CallKind::Read, &f, &p),
                Decision::Stop(StopReason::NotRetryable)
            );
        }
    }

    #[test]
    fn rerun_and_create_retry_only_when_the_platform_surely_did_not_act() {
        let p = no_jitter();
        let unavailable = api(503, r#"{"status":503,"code":0}"#, &[]);
        let proxy = api(502, "<html></html>", &[]);
        for kind in [CallKind::Rerun, CallKind::Create] {
            let sent = Failure::Transport {
                kind: TransportErrorKind::Io,
                request_sent: true,
            };
            let timeout = Failure::Transport {
                kind: TransportErrorKind::Timeout,
                request_sent: true,
            };
            for f in [
                sent,
                timeout,
                Failure::Answer(&unavailable),
                Failure::Answer(&proxy),
            ] {
                assert_eq!(
                    first_failure(kind, &f, &p),
                    Decision::Stop(StopReason::NotIdempotent)
                );
            }
            let refused = Failure::Transport {
                kind: TransportErrorKind::Connect,
                request_sent: false,
            };
            let connect_timeout = Failure::Transport {
                kind: TransportErrorKind::Timeout,
                request_sent: false,
            };
            for f in [refused, connect_timeout] {
                assert!(matches!(
                    first_failure(kind, &f, &p),
                    Decision::Retry { .. }
                ));
            }
        }
    }

    #[test]
    fn off_switch_and_deadline() {
        let e = api(503, "", &[]);
        assert_eq!(
            first_failure(CallKind::Read, &Failure::Answer(&e), &RetryPolicy::off()),
            Decision::Stop(StopReason::Disabled)
        );
        // 9.8 s spent, a 500 ms wait would pass a 10 s deadline.
        let p = no_jitter().with_deadline(S(10));
        let mut st = RetryState::new(CallKind::Read, S(100));
        st.begin_attempt();
        let d = st.on_failure(
            &p,
            &Failure::Answer(&e),
            S(100) + Duration::from_millis(9_800),
            S(0),
            0,
        );
        assert_eq!(d, Decision::Stop(StopReason::DeadlineReached));
        assert!(StopReason::DeadlineReached.is_exhausted());
    }

    #[test]
    fn run_already_accepted_needs_an_earlier_attempt_that_may_have_acted() {
        let p = no_jitter();
        let draft_only = api(400, r#"{"status":400,"code":7007}"#, &[]);
        let limited = api(429, "", &[]);

        // First attempt 7007: the task was not a draft; a plain error.
        let mut st = RetryState::new(CallKind::Run, Duration::ZERO);
        st.begin_attempt();
        assert!(!st.run_already_accepted(&draft_only));

        // A 429 first: the platform did not act, so a later 7007 is a real error.
        st.on_failure(&p, &Failure::Answer(&limited), Duration::ZERO, S(0), 0);
        st.begin_attempt();
        assert!(!st.run_already_accepted(&draft_only));

        // A lost answer: the run may have happened.
        let lost = Failure::Transport {
            kind: TransportErrorKind::Io,
            request_sent: true,
        };
        st.on_failure(&p, &lost, Duration::ZERO, S(0), 0);
        st.begin_attempt();
        assert!(st.maybe_acted());
        assert!(st.run_already_accepted(&draft_only));

        let mut read = RetryState::new(CallKind::Read, Duration::ZERO);
        read.on_failure(&p, &lost, Duration::ZERO, S(0), 0);
        assert!(!read.run_already_accepted(&draft_only));
    }

    #[test]
    fn jitter_stays_within_its_share() {
        let p = RetryPolicy::default(); // jitter 0.5
        for r in [0, 1, 12_345, u64::MAX / 3, u64::MAX] {
            let d = p.backoff(3, r); // full delay 2 s
            assert!(d >= Duration::from_millis(1000) && d <= S(2), "{d:?}");
        }
        assert_ne!(p.backoff(3, 1), p.backoff(3, 999_999_999));
        // Large retry numbers cap at max_delay instead of overflowing.
        assert_eq!(no_jitter().backoff(200, 0), S(30));
    }

    fn any_kind() -> impl Strategy<Value = CallKind> {
        prop_oneof![
            Just(CallKind::Read),
            Just(CallKind::Run),
            Just(CallKind::Rerun),
            Just(CallKind::Create),
            Just(CallKind::Abort),
        ]
    }

    fn any_transport() -> impl Strategy<Value = TransportErrorKind> {
        prop_oneof![
            Just(TransportErrorKind::Connect),
            Just(TransportErrorKind::Timeout),
            Just(TransportErrorKind::Io),
            Just(TransportErrorKind::BodyTooLarge),
            Just(TransportErrorKind::Tls),
            Just(TransportErrorKind::Redirect),
            Just(TransportErrorKind::Other),
        ]
    }

    proptest! {
        #[test]
        fn decisions_respect_the_policy(
            kind in any_kind(),
            outcomes in proptest::collection::vec(
                prop_oneof![
                    (any_transport(), any::<bool>()).prop_map(|(k, s)| (0u16, Some((k, s)), 0u64)),
                    (prop_oneof![Just(429u16), Just(500), Just(502), Just(503), Just(504), Just(404)],
                     0u64..1_000).prop_map(|(st, reset)| (st, None, reset)),
                ],
                1..12,
            ),
            step_ms in 0u64..120_000,
            random in any::<u64>(),
            max_attempts in 0u32..8,
        ) {
            let policy = RetryPolicy::default().with_max_attempts(max_attempts).with_deadline(S(300));
            let unix = S(1_000_000);
            let mut st = RetryState::new(kind, Duration::ZERO);
            let mut now = Duration::ZERO;
            for (status, transport, reset) in outcomes {
                let n = st.begin_attempt();
                let err;
                let failure = match transport {
                    Some((k, sent)) => Failure::Transport { kind: k, request_sent: sent || k.maybe_sent() },
                    None => {
                        let reset = (1_000_000 + reset).to_string();
                        err = api(status, "", &[
                            ("x-ratelimit-limit", "1"), ("x-ratelimit-remaining", "0"),
                            ("x-ratelimit-reset", reset.as_str()),
                        ]);
                        Failure::Answer(&err)
                    }
                };
                match st.on_failure(&policy, &failure, now, unix, random) {
                    Decision::Retry { after, reason } => {
                        prop_assert!(n < policy.max_attempts);
                        prop_assert!(now + after <= policy.deadline);
                        prop_assert!(after <= policy.max_delay.max(policy.max_rate_limit_wait));
                        if !kind.is_idempotent() {
                            // Never again once the request may have reached the platform.
                            match failure {
                                Failure::Transport { request_sent, .. } => prop_assert!(!request_sent),
                                Failure::Answer(a) => prop_assert!(a.is_rate_limited()),
                            }
                        }
                        if let Failure::Answer(a) = failure {
                            prop_assert!(a.status == 429 || (502..=504).contains(&a.status));
                            prop_assert_eq!(reason == RetryReason::RateLimited, a.status == 429);
                        }
                        now += after + Duration::from_millis(step_ms);
                    }
                    Decision::Stop(_) => break,
                }
            }
        }
    }
}
