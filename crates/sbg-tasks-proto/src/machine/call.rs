//! One call with its retries, as a sans-IO state machine.

use std::time::Duration;

use http::{Request, Response};

use std::sync::{Mutex, MutexGuard};

use super::budget::{Budget, BudgetStep, Lane};
use super::retry::{Decision, Failure, RetryState, StopReason};
use super::Settings;
use crate::endpoint::{Answer, Endpoint, ResponseError};
use crate::endpoints::GetRateLimit;
use crate::env::Env;
use crate::error::ClientError;
use crate::meta::ResponseMeta;
use crate::transport::TransportError;

/// What the driver of a [`CallMachine`] does next.
#[derive(Debug)]
#[must_use]
#[non_exhaustive]
pub enum CallStep<T> {
    /// Send this request with the transport, then call [`CallMachine::on_response`] or
    /// [`CallMachine::on_transport_error`].
    Send(Request<Vec<u8>>),
    /// Sleep this long, then call [`CallMachine::resume`].
    Sleep(Duration),
    /// The call is over.
    Done(Result<Answer<T>, ClientError>),
}

/// One call of an [`Endpoint`] with its retries: builds each attempt's request, reads each
/// answer, and decides (with [`RetryState`]) whether to wait and try again.
///
/// A driver loop is all a client adds:
///
/// ```
/// # use sbg_tasks_proto::env::BlockingEnv;
/// # use sbg_tasks_proto::machine::{CallMachine, CallStep, Settings};
/// # use sbg_tasks_proto::ClientError;
/// # use sbg_tasks_proto::transport::HttpTransport;
/// # use sbg_tasks_proto::{Answer, Endpoint};
/// fn call<P: Endpoint>(
///     settings: &Settings, endpoint: &P, transport: &impl HttpTransport, env: &impl BlockingEnv,
/// ) -> Result<Answer<P::Output>, ClientError> {
///     let mut machine = CallMachine::new(settings, endpoint, env);
///     let mut step = machine.resume(env);
///     loop {
///         step = match step {
///             CallStep::Send(request) => match transport.send(request) {
///                 Ok(response) => machine.on_response(response, env),
///                 Err(e) => machine.on_transport_error(e, env),
///             },
///             CallStep::Sleep(d) => {
///                 env.sleep(d);
///                 machine.resume(env)
///             }
///             CallStep::Done(result) => return result,
///             _ => unreachable!(),
///         }
///     }
/// }
/// ```
///
/// Each attempt logs a `tracing` event with the method, path, attempt, status (or transport
/// error kind) and latency; never a header, so never the token.
#[derive(Debug)]
pub struct CallMachine<'a, P: ?Sized> {
    settings: &'a Settings,
    endpoint: &'a P,
    retry: RetryState,
    sent_at: Duration,
    method: http::Method,
    path: String,
    /// The client's budget and the lane this call spends, when it has one.
    budget: Option<(&'a Mutex<Budget>, Lane)>,
    /// The request in flight is the budget's probe (`GET /rate_limit`), not the call.
    probing: bool,
}

fn lock(budget: &Mutex<Budget>) -> MutexGuard<'_, Budget> {
    budget.lock().unwrap_or_else(|e| e.into_inner())
}

impl<'a, P: Endpoint + ?Sized> CallMachine<'a, P> {
    /// A call of `endpoint` with `settings`, starting now. Begin with [`CallMachine::resume`].
    pub fn new(settings: &'a Settings, endpoint: &'a P, env: &impl Env) -> Self {
        let base = settings.config.base_url();
        Self {
            settings,
            endpoint,
            retry: RetryState::new(endpoint.kind(), env.now()),
            sent_at: Duration::ZERO,
            method: endpoint.method(),
            path: target_path(base.path_prefix(), endpoint),
            budget: None,
            probing: false,
        }
    }

    /// Asks `budget` before each attempt and tells it each answer, spending `lane` (usually
    /// [`Endpoint::lane`]): the attempt waits ([`CallStep::Sleep`]) while the budget says so,
    /// and is preceded by a free `GET /rate_limit` when it asks for a probe.
    pub fn with_budget(mut self, budget: &'a Mutex<Budget>, lane: Lane) -> Self {
        self.budget = Some((budget, lane));
        self
    }

    /// A `tracing` span for the whole call (method and path), for drivers to enter.
    pub fn span(&self) -> tracing::Span {
        tracing::debug_span!("sbg_tasks_call", method = %self.method, path = %self.path)
    }

    /// Attempts begun so far.
    pub fn attempts(&self) -> u32 {
        self.retry.attempts()
    }

    /// Starts the next attempt: asks the budget, then builds its request.
    pub fn resume(&mut self, env: &impl Env) -> CallStep<P::Output> {
        if let Some((budget, lane)) = self.budget {
            let step = lock(budget).acquire(env.unix_now(), lane);
            match step {
                BudgetStep::Go => {}
                BudgetStep::Wait(d) => {
                    tracing::debug!(path = %self.path, wait_ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX), "waiting for the rate-limit budget");
                    return CallStep::Sleep(d);
                }
                BudgetStep::Probe => {
                    match GetRateLimit::new().prepare_request(&self.settings.config) {
                        Ok(request) => {
                            self.probing = true;
                            return CallStep::Send(request);
                        }
                        Err(_) => {
                            // Cannot happen with a valid config; go on without the probe.
                            lock(budget).probe_failed();
                            return self.resume(env);
                        }
                    }
                }
            }
        }
        match self.endpoint.prepare_request(&self.settings.config) {
            Ok(request) => {
                self.retry.begin_attempt();
                self.sent_at = env.now();
                CallStep::Send(request)
            }
            Err(e) => CallStep::Done(Err(ClientError::Build(e))),
        }
    }

    fn latency_ms(&self, env: &impl Env) -> u64 {
        u64::try_from(env.now().saturating_sub(self.sent_at).as_millis()).unwrap_or(u64::MAX)
    }

    /// Reads the answer to the current attempt.
    pub fn on_response(
        &mut self,
        response: Response<Vec<u8>>,
        env: &impl Env,
    ) -> CallStep<P::Output> {
        let status = response.status();
        if let Some((budget, _)) = self.budget {
            if std::mem::take(&mut self.probing) {
                let rate = GetRateLimit::new()
                    .parse_response(&response, &self.settings.decoding)
                    .ok()
                    .and_then(|a| a.value.rate_limit().or(a.meta.rate_limit));
                let mut b = lock(budget);
                match rate {
                    Some(r) => b.observe_probe(env.unix_now(), Some(r)),
                    None => b.probe_failed(),
                }
                drop(b);
                return self.resume(env);
            }
            let meta = ResponseMeta::from_parts(status, response.headers());
            lock(budget).observe(env.unix_now(), &meta);
        }
        let attempt = self.retry.attempts();
        tracing::debug!(
            method = %self.method,
            path = %self.path,
            attempt,
            status = status.as_u16(),
            latency_ms = self.latency_ms(env),
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
            return CallStep::Done(Err(ClientError::Redirect {
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
                CallStep::Done(Ok(answer))
            }
            Err(ResponseError::Api(api)) => {
                if self.retry.maybe_acted() {
                    if let Some(value) = self.endpoint.settled_by_earlier_attempt(&api) {
                        tracing::info!(path = %self.path, attempt, status = api.status, "settled by an earlier attempt");
                        return CallStep::Done(Ok(Answer {
                            value,
                            meta: api.meta.clone(),
                            report: Default::default(),
                        }));
                    }
                }
                if self.retry.run_already_accepted(&api) {
                    tracing::info!(path = %self.path, attempt, "run already accepted by an earlier attempt");
                    return CallStep::Done(Err(ClientError::RunAlreadyAccepted {
                        attempts: attempt,
                        answer: api,
                    }));
                }
                let decision = self.retry.on_failure(
                    &self.settings.retry,
                    &Failure::Answer(&api),
                    env.now(),
                    env.unix_now(),
                    env.random(),
                );
                self.decide(
                    decision,
                    ClientError::Response(ResponseError::Api(api)),
                    env,
                )
            }
            Err(e) => CallStep::Done(Err(e.into())),
        }
    }

    /// Reads the transport's failure of the current attempt.
    pub fn on_transport_error<E: TransportError>(
        &mut self,
        error: E,
        env: &impl Env,
    ) -> CallStep<P::Output> {
        if let Some((budget, _)) = self.budget {
            if std::mem::take(&mut self.probing) {
                lock(budget).probe_failed();
                return self.resume(env);
            }
            lock(budget).release();
        }
        let (kind, request_sent) = (error.kind(), error.request_sent());
        tracing::debug!(
            method = %self.method,
            path = %self.path,
            attempt = self.retry.attempts(),
            error_kind = %kind,
            request_sent,
            latency_ms = self.latency_ms(env),
            "transport error"
        );
        let decision = self.retry.on_failure(
            &self.settings.retry,
            &Failure::Transport { kind, request_sent },
            env.now(),
            env.unix_now(),
            env.random(),
        );
        self.decide(decision, ClientError::transport(error), env)
    }

    fn decide(
        &mut self,
        decision: Decision,
        error: ClientError,
        env: &impl Env,
    ) -> CallStep<P::Output> {
        match decision {
            Decision::Retry { after, reason } => {
                tracing::info!(
                    method = %self.method,
                    path = %self.path,
                    attempt = self.retry.attempts(),
                    %reason,
                    wait_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                    "retrying"
                );
                CallStep::Sleep(after)
            }
            Decision::Stop(reason) => {
                let attempts = self.retry.attempts();
                if reason == StopReason::NotIdempotent {
                    tracing::info!(
                        path = %self.path,
                        "not retried: the request may have reached the platform and is not idempotent"
                    );
                }
                if reason.is_exhausted() && attempts > 1 {
                    CallStep::Done(Err(ClientError::RetriesExhausted {
                        attempts,
                        elapsed: self.retry.elapsed(env.now()),
                        last: Box::new(error),
                    }))
                } else {
                    CallStep::Done(Err(error))
                }
            }
        }
    }
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
