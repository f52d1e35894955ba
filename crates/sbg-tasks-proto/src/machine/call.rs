//! One call with its retries ([`Call`]), a run that may find its earlier attempt accepted
//! ([`Run`]), and a bulk get of any number of ids ([`BulkGet`]), as [`Operation`]s.

use std::borrow::Cow;
use std::convert::Infallible;
use std::time::Duration;

use http::Response;

use super::budget::BudgetStep;
use super::retry::{Decision, Failure, RetryState, StopReason};
use super::{over, InFlight as _, Now, Operation, Reply, Settings, Shared, Step};
use crate::endpoint::{Answer, Endpoint, Lane, ResponseError};
use crate::endpoints::bulk_get::{BulkGetTasks, BulkTasks};
use crate::endpoints::get_task::GetTask;
use crate::endpoints::rate_limit::GetRateLimit;
use crate::endpoints::run_task::RunTask;
use crate::error::ClientError;
use crate::id::TaskId;
use crate::meta::ResponseMeta;
use crate::model::Task;
use crate::transport::{TransportErrorKind, TransportFailure};

/// What one call ends with.
pub type CallResult<T> = Result<Answer<T>, ClientError>;

#[derive(Debug)]
enum State<T> {
    /// The next attempt (or the budget's probe) is to be asked for.
    Ready,
    /// Waiting (for the budget, or before a retry) until this monotonic time.
    Sleeping(Duration),
    /// A request is in flight.
    InFlight,
    /// Over: the outcome, until handed out.
    Finished(Option<CallResult<T>>),
}

/// One call of an [`Endpoint`] with its retries: before each attempt it asks the client's
/// rate-limit [`Budget`](super::budget::Budget) (in [`Shared`]), which may make it wait or
/// send a free `GET /rate_limit` probe first; it reads each answer and decides (as the
/// [`RetryPolicy`](super::retry::RetryPolicy) says) whether to wait and try again.
///
/// Retries never resend a rerun or a create once the request may have reached the platform; a
/// DELETE that finds the task gone after an attempt that may have acted succeeds with
/// [`Deletion::AlreadyGone`](crate::endpoints::Deletion::AlreadyGone). Each attempt logs a `tracing`
/// event with the method, path, attempt, status (or transport error kind) and latency; never
/// a header, so never the token.
///
/// ```
/// use std::time::Duration;
/// use sbg_tasks_proto::machine::{Call, Now, Operation, Settings, Shared, Step};
/// use sbg_tasks_proto::{http, AuthToken, BudgetPolicy, Config, GetTask, Platform};
///
/// let settings = Settings::new(Config::new(Platform::Cgc, AuthToken::new("token")?));
/// let mut shared = Shared::new(BudgetPolicy::default());
/// let get = GetTask::new("t1".parse()?);
/// let mut call = Call::new(&settings, &get);
/// let now = Now { mono: Duration::ZERO, unix: Duration::from_secs(1_700_000_000), random: 7 };
/// let Step::Send(request) = call.step(now, &mut shared) else { unreachable!() };
/// assert_eq!(request.uri().path(), "/v2/tasks/t1");
/// let answer = http::Response::builder().status(200).body(br#"{"id":"t1"}"#.to_vec())?;
/// call.on_answer(Ok(answer), now, &mut shared);
/// let Step::Done(Ok(task)) = call.step(now, &mut shared) else { unreachable!() };
/// assert_eq!(task.value.id.as_deref(), Some("t1"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Call<'a, P: Endpoint + Clone> {
    settings: &'a Settings,
    endpoint: Cow<'a, P>,
    lane: Lane,
    retry: Option<RetryState>,
    sent_at: Duration,
    path: String,
    /// The request in flight is the budget's probe (`GET /rate_limit`), not the call.
    probing: bool,
    state: State<P::Output>,
    /// Method and path, around every event of the call.
    span: tracing::Span,
}

impl<'a, P: Endpoint + Clone> Call<'a, P> {
    /// A call of `endpoint` with `settings`, spending [`Endpoint::lane`] of the budget.
    pub fn new(settings: &'a Settings, endpoint: &'a P) -> Self {
        Self::with(settings, Cow::Borrowed(endpoint))
    }

    /// [`Call::new`] owning its endpoint.
    pub fn owned(settings: &'a Settings, endpoint: P) -> Self {
        Self::with(settings, Cow::Owned(endpoint))
    }

    fn with(settings: &'a Settings, endpoint: Cow<'a, P>) -> Self {
        let path = target_path(settings.config.base_url().path_prefix(), &*endpoint);
        let span =
            tracing::debug_span!("sbg_tasks_call", method = %endpoint.method(), path = %path);
        Self {
            span,
            settings,
            lane: endpoint.lane(),
            endpoint,
            retry: None,
            sent_at: Duration::ZERO,
            path,
            probing: false,
            state: State::Ready,
        }
    }

    /// Spends `lane` of the rate-limit budget instead of the call's own
    /// ([`Lane::Watch`] for a watcher's sweeps).
    pub fn in_lane(mut self, lane: Lane) -> Self {
        self.lane = lane;
        self
    }

    /// The endpoint called.
    pub fn endpoint(&self) -> &P {
        &self.endpoint
    }

    /// Attempts begun so far.
    pub fn attempts(&self) -> u32 {
        self.retry.as_ref().map_or(0, RetryState::attempts)
    }

    fn retry(&mut self, now: Now) -> &mut RetryState {
        let kind = self.endpoint.kind();
        self.retry
            .get_or_insert_with(|| RetryState::new(kind, now.mono))
    }

    fn finish(&mut self, result: CallResult<P::Output>) {
        self.state = State::Finished(Some(result));
    }

    fn begin(&mut self, now: Now, shared: &mut Shared) -> Step<Infallible, CallResult<P::Output>> {
        self.retry(now);
        match shared.budget_mut().acquire(now.unix, self.lane, now.random) {
            BudgetStep::Go => {}
            BudgetStep::Wait(d) => {
                tracing::debug!(path = %self.path, wait_ms = millis(d), "waiting for the rate-limit budget");
                self.state = State::Sleeping(now.mono + d);
                return Step::SleepUntil(now.mono + d);
            }
            BudgetStep::Probe => match GetRateLimit::new().prepare_request(&self.settings.config) {
                Ok(request) => {
                    self.probing = true;
                    self.state = State::InFlight;
                    return Step::Send(request);
                }
                Err(_) => {
                    // Cannot happen with a valid config; go on without the probe.
                    shared.budget_mut().probe_failed();
                    return self.begin(now, shared);
                }
            },
        }
        match self.endpoint.prepare_request(&self.settings.config) {
            Ok(request) => {
                self.retry(now).begin_attempt();
                self.sent_at = now.mono;
                self.state = State::InFlight;
                Step::Send(request)
            }
            Err(e) => {
                shared.budget_mut().release();
                Step::Done(Err(ClientError::Build(e)))
            }
        }
    }

    fn on_response(&mut self, response: Response<Vec<u8>>, now: Now, shared: &mut Shared) {
        let status = response.status();
        if std::mem::take(&mut self.probing) {
            let rate = GetRateLimit::new()
                .parse_response(&response, &self.settings.decoding)
                .ok()
                .and_then(|a| a.value.rate_limit().or(a.meta.rate_limit));
            match rate {
                Some(r) => shared.budget_mut().observe_probe(now.unix, Some(r)),
                None => shared.budget_mut().probe_failed(),
            }
            self.state = State::Ready;
            return;
        }
        let meta = ResponseMeta::from_parts(status, response.headers());
        shared.budget_mut().observe(now.unix, &meta);
        let attempt = self.attempts();
        tracing::debug!(
            method = %self.endpoint.method(),
            path = %self.path,
            attempt,
            status = status.as_u16(),
            latency_ms = millis(now.mono.saturating_sub(self.sent_at)),
            "answer received"
        );
        if status.is_redirection() {
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .map(|v| {
                    String::from_utf8_lossy(v.as_bytes())
                        .chars()
                        .take(512)
                        .collect()
                })
                .unwrap_or_default();
            return self.finish(Err(ClientError::Redirect {
                status: status.as_u16(),
                location,
            }));
        }
        match self
            .endpoint
            .parse_response(&response, &self.settings.decoding)
        {
            Ok(answer) => {
                if !answer.report.is_clean() {
                    tracing::debug!(path = %self.path, report = %answer.report, "answer repaired");
                }
                self.finish(Ok(answer));
            }
            Err(ResponseError::Api(api)) => {
                let retry = self.retry(now);
                if retry.maybe_acted() {
                    if let Some(value) = self.endpoint.settled_by_earlier_attempt(&api) {
                        tracing::info!(path = %self.path, attempt, status = api.status, "settled by an earlier attempt");
                        let meta = api.meta.clone();
                        return self.finish(Ok(Answer {
                            value,
                            meta,
                            report: Default::default(),
                        }));
                    }
                }
                if self.retry(now).run_already_accepted(&api) {
                    tracing::info!(path = %self.path, attempt, "run already accepted by an earlier attempt");
                    return self.finish(Err(ClientError::RunAlreadyAccepted {
                        attempts: attempt,
                        answer: api,
                    }));
                }
                let settings = self.settings;
                let decision = self.retry(now).on_failure(
                    &settings.retry,
                    &Failure::Answer(&api),
                    now.mono,
                    now.unix,
                    now.random,
                );
                self.decide(
                    decision,
                    ClientError::Response(ResponseError::Api(api)),
                    now,
                );
            }
            Err(e) => self.finish(Err(e.into())),
        }
    }

    fn on_failure(&mut self, error: TransportFailure, now: Now, shared: &mut Shared) {
        if std::mem::take(&mut self.probing) {
            shared.budget_mut().probe_failed();
            self.state = State::Ready;
            return;
        }
        shared.budget_mut().release();
        let (kind, request_sent) = (error.kind(), error.request_sent());
        tracing::debug!(
            method = %self.endpoint.method(),
            path = %self.path,
            attempt = self.attempts(),
            error_kind = %kind,
            request_sent,
            latency_ms = millis(now.mono.saturating_sub(self.sent_at)),
            "transport error"
        );
        let settings = self.settings;
        let decision = self.retry(now).on_failure(
            &settings.retry,
            &Failure::Transport { kind, request_sent },
            now.mono,
            now.unix,
            now.random,
        );
        self.decide(decision, ClientError::Transport(error), now);
    }

    fn decide(&mut self, decision: Decision, error: ClientError, now: Now) {
        let attempts = self.attempts();
        match decision {
            Decision::Retry { after, reason } => {
                tracing::info!(
                    method = %self.endpoint.method(),
                    path = %self.path,
                    attempt = attempts,
                    %reason,
                    wait_ms = millis(after),
                    "retrying"
                );
                self.state = State::Sleeping(now.mono + after);
            }
            Decision::Stop(reason) => {
                if reason == StopReason::NotIdempotent {
                    tracing::info!(
                        path = %self.path,
                        "not retried: the request may have reached the platform and is not idempotent"
                    );
                }
                let elapsed = self
                    .retry
                    .as_ref()
                    .map_or(Duration::ZERO, |r| r.elapsed(now.mono));
                if reason.is_exhausted() && attempts > 1 {
                    self.finish(Err(ClientError::RetriesExhausted {
                        attempts,
                        elapsed,
                        last: Box::new(error),
                    }));
                } else {
                    self.finish(Err(error));
                }
            }
        }
    }
}

impl<P: Endpoint + Clone> Operation for Call<'_, P> {
    type Event = Infallible;
    type Output = CallResult<P::Output>;

    fn step(&mut self, now: Now, shared: &mut Shared) -> Step<Infallible, Self::Output> {
        let span = self.span.clone();
        let _entered = span.enter();
        match &mut self.state {
            State::Ready => self.begin(now, shared),
            State::Sleeping(until) if now.mono >= *until => self.begin(now, shared),
            State::Sleeping(until) => Step::SleepUntil(*until),
            State::InFlight => {
                // Stepped again without the answer: the answer is lost.
                let lost = TransportFailure::new(
                    TransportErrorKind::Io,
                    "the driver stepped the call again without handing back its answer",
                );
                self.on_failure(lost, now, shared);
                self.step(now, shared)
            }
            State::Finished(outcome) => outcome.take().map_or_else(over, Step::Done),
        }
    }

    fn on_answer(&mut self, answer: Reply, now: Now, shared: &mut Shared) {
        if !matches!(self.state, State::InFlight) {
            return;
        }
        let span = self.span.clone();
        let _entered = span.enter();
        match answer {
            Ok(response) => self.on_response(response, now, shared),
            Err(e) => self.on_failure(e, now, shared),
        }
    }

    fn abandon(&mut self, shared: &mut Shared) {
        if matches!(self.state, State::InFlight) {
            if std::mem::take(&mut self.probing) {
                shared.budget_mut().probe_failed();
            } else {
                shared.budget_mut().release();
            }
            self.state = State::Finished(None);
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The path of `endpoint`'s request target (no query: query values may name things a trace
/// has no need of).
fn target_path<P: Endpoint + ?Sized>(prefix: &str, endpoint: &P) -> String {
    let mut path = String::with_capacity(prefix.len() + 64);
    path.push_str(prefix);
    endpoint.write_target(&mut crate::target::Target::new(&mut path));
    if let Some(q) = path.find('?') {
        path.truncate(q);
    }
    path
}

/// Runs a DRAFT task (`POST /tasks/{id}/actions/run`); when a retry finds the task already
/// running because an earlier attempt's answer was lost (`7007`), gets it (with the run's
/// `fields`): the run happened once.
#[derive(Debug)]
pub struct Run<'a> {
    run: Call<'a, RunTask>,
    get: Option<Call<'a, GetTask>>,
}

impl<'a> Run<'a> {
    /// A run of `call` with `settings`.
    pub fn new(settings: &'a Settings, call: &'a RunTask) -> Self {
        Self {
            run: Call::new(settings, call),
            get: None,
        }
    }

    /// [`Run::new`] owning its call.
    pub fn owned(settings: &'a Settings, call: RunTask) -> Self {
        Self {
            run: Call::owned(settings, call),
            get: None,
        }
    }

    /// Spends `lane` of the rate-limit budget for the run (the get that may settle it is a
    /// read).
    pub fn in_lane(mut self, lane: Lane) -> Self {
        self.run = self.run.in_lane(lane);
        self
    }
}

impl Operation for Run<'_> {
    type Event = Infallible;
    type Output = CallResult<Task>;

    fn step(&mut self, now: Now, shared: &mut Shared) -> Step<Infallible, CallResult<Task>> {
        if let Some(get) = &mut self.get {
            return get.step(now, shared);
        }
        match self.run.step(now, shared) {
            Step::Done(Err(ClientError::RunAlreadyAccepted { .. })) => {
                let get = self.run.endpoint().as_get();
                self.get = Some(Call::owned(self.run.settings, get));
                self.step(now, shared)
            }
            other => other,
        }
    }

    fn on_answer(&mut self, answer: Reply, now: Now, shared: &mut Shared) {
        match &mut self.get {
            Some(get) => get.on_answer(answer, now, shared),
            None => self.run.on_answer(answer, now, shared),
        }
    }

    fn abandon(&mut self, shared: &mut Shared) {
        self.run.abandon(shared);
        if let Some(get) = &mut self.get {
            get.abandon(shared);
        }
    }
}

/// Gets any number of tasks, [`MAX_BULK_IDS`](crate::endpoints::MAX_BULK_IDS) a request
/// (`POST /bulk/tasks/get`): one item per id, in the order asked; `ceil(n / 100)` requests
/// for `n` ids, none for none. A request that fails (after its retries) fails the whole.
#[derive(Debug)]
pub struct BulkGet<'a> {
    settings: &'a Settings,
    batches: std::vec::IntoIter<BulkGetTasks>,
    current: Option<Call<'a, BulkGetTasks>>,
    out: BulkTasks,
    over: bool,
}

impl<'a> BulkGet<'a> {
    /// A bulk get of `ids` with `settings`.
    pub fn new(settings: &'a Settings, ids: &[TaskId]) -> Self {
        let batches: Vec<_> = BulkGetTasks::batches(ids).collect();
        Self {
            settings,
            batches: batches.into_iter(),
            current: None,
            out: BulkTasks::default(),
            over: false,
        }
    }
}

impl Operation for BulkGet<'_> {
    type Event = Infallible;
    type Output = Result<BulkTasks, ClientError>;

    fn step(&mut self, now: Now, shared: &mut Shared) -> Step<Infallible, Self::Output> {
        while !self.over {
            let Some(call) = &mut self.current else {
                match self.batches.next() {
                    Some(batch) => self.current = Some(Call::owned(self.settings, batch)),
                    None => {
                        self.over = true;
                        return Step::Done(Ok(std::mem::take(&mut self.out)));
                    }
                }
                continue;
            };
            match call.step(now, shared).outcome() {
                Ok(Ok(answer)) => {
                    self.out.extend(answer.value);
                    self.current = None;
                }
                Ok(Err(e)) => {
                    self.over = true;
                    return Step::Done(Err(e));
                }
                Err(pass) => return pass,
            }
        }
        over()
    }

    fn on_answer(&mut self, answer: Reply, now: Now, shared: &mut Shared) {
        self.current.answer(answer, now, shared);
    }

    fn abandon(&mut self, shared: &mut Shared) {
        self.current.give_back(shared);
    }
}
