//! The sans-IO machines: every client operation as a plain state machine that is handed the
//! time and never reads a clock, sleeps, locks or touches a socket.
//!
//! # One step vocabulary
//!
//! Every operation is an [`Operation`]. A driver asks it for its next [`Step`] with the time
//! ([`Now`]) and the client's [`Shared`] state, and does what it says:
//!
//! - [`Step::Send`]: send this request, then hand the answer (or the transport's failure) to
//!   [`Operation::on_answer`]. An operation has at most one request in flight.
//! - [`Step::SleepUntil`]: step me again at this monotonic time at the latest (earlier is
//!   always allowed: a driver wakes its sleepers when another operation's answer changed
//!   [`Shared`]).
//! - [`Step::Event`]: something to hand out (a wait's progress, a watch's event, a listed
//!   task); step again.
//! - [`Step::Done`]: the outcome. The operation is over.
//!
//! # The operations
//!
//! | operation | what | events | outcome |
//! |---|---|---|---|
//! | [`Call`] ([`call`]) | one call of any [`Endpoint`](crate::Endpoint), retries, budget, probe | none | the answer |
//! | [`Run`] ([`call`]) | run → `7007` (already running) → get, as one call | none | the task |
//! | [`BulkGet`] ([`call`]) | any number of ids, 100 a request | none | one item per id |
//! | [`Wait`] ([`wait`]) | one task until it ends: its id followed on the client's shared [`Watcher`](watch::Watcher) | [`Progress`](wait::Progress) | the ended task |
//! | [`WaitMany`] ([`wait`]) | `wait_any` / `wait_all` over the [`Watcher`](watch::Watcher) | none | what ended, what is pending |
//! | [`Watch`] ([`watch`]) | many tasks with bulk gets, batch children | [`WatchEvent`](watch::WatchEvent) or an error | `()` |
//! | [`List`] ([`pager`]) | every page of a listing, lazily | one [`Task`](crate::Task) each | `Ok(())` or the first error |
//! | [`BulkWorker`] ([`bulk`]) | one of the N workers of a bulk action over its shared queue | [`BulkEvent`](bulk::BulkEvent): records, progress, outcomes | `()` (the report: [`BulkHandle::finish`]) |
//!
//! Under them: [`retry`] (when to try again), [`budget`] (the rate-limit window),
//! [`watch::Watcher`] (the one polling mechanism: bulk sweeps for watches, followed ids for
//! waits), [`pager::Pager`] (offsets that survive a changing list).
//!
//! # Shared state
//!
//! [`Shared`] is what the concurrent operations of one client share: the rate-limit
//! [`Budget`](budget::Budget) and the [`Watcher`](watch::Watcher) the waits follow their ids
//! on (concurrent waits share its requests). A driver keeps it in one
//! `Mutex`, locks it only around [`Operation::step`] and [`Operation::on_answer`] (never across
//! I/O or a sleep), and wakes its sleepers after each answer.
//!
//! # Drivers
//!
//! The clients' loops ([`BlockingClient`](crate::BlockingClient),
//! [`AsyncClient`](crate::AsyncClient)) are the only code that sends or sleeps; a custom
//! runtime writes its own loop the same way (see the crate README, "Drive it from your own
//! runtime"), and a simulation steps them in virtual time.

pub mod budget;
pub mod bulk;
pub mod call;
pub mod pager;
pub mod retry;
mod shared;
pub mod wait;
pub mod watch;

pub use bulk::{BulkAction, BulkHandle, BulkWorker};
pub use call::{BulkGet, Call, Run};
pub use pager::List;
pub use shared::Shared;
pub use wait::{Wait, WaitMany};
pub use watch::Watch;

use std::time::Duration;

use http::{Request, Response};

use crate::connection::Config;
use crate::decoding::Decoding;
use crate::transport::TransportFailure;
use budget::BudgetPolicy;
use retry::RetryPolicy;
use wait::WaitPolicy;
use watch::WatcherPolicy;

/// What the driver of an [`Operation`] does next: see the [module docs](self).
// A step lives only until its driver matches it; a request is the usual one.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[must_use]
#[non_exhaustive]
pub enum Step<E, O> {
    /// Send this request, then hand its answer to [`Operation::on_answer`].
    Send(Request<Vec<u8>>),
    /// Step again at this monotonic time ([`Now::mono`]) at the latest; earlier is allowed.
    SleepUntil(Duration),
    /// Hand this out, then step again.
    Event(E),
    /// The operation is over.
    Done(O),
}

/// The answer to an operation's request, or the transport's failure to get one.
pub type Reply = Result<Response<Vec<u8>>, TransportFailure>;

/// The time (and jitter) an operation is stepped with: the driver reads its clocks once per
/// step and hands them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// A monotonic reading (time since an origin of the driver's choosing).
    pub mono: Duration,
    /// The wall clock: time since the Unix epoch (rate-limit resets, `Retry-After` dates).
    pub unix: Duration,
    /// A random number (backoff jitter).
    pub random: u64,
}

/// A client operation as a sans-IO machine: see the [module docs](self).
///
/// After [`Step::Done`] an operation is over; stepping it again only gets
/// `Step::SleepUntil(Duration::MAX)` (like a fused future that stays pending).
pub trait Operation {
    /// What it hands out on the way.
    type Event;
    /// What it ends with.
    type Output;

    /// What to do next at `now`.
    fn step(&mut self, now: Now, shared: &mut Shared) -> Step<Self::Event, Self::Output>;

    /// The answer to the request of the last [`Step::Send`] (or the transport's failure).
    fn on_answer(&mut self, answer: Reply, now: Now, shared: &mut Shared);

    /// The driver gives up on the operation before its end (a dropped future): what it holds
    /// in `shared` (a granted request, a poll others wait for) is given back.
    fn abandon(&mut self, shared: &mut Shared) {
        let _ = shared;
    }
}

/// The sub-operation in flight of an operation made of others (`None`: nothing in flight).
pub(crate) trait InFlight {
    /// Hands `answer` to the sub-operation in flight.
    fn answer(&mut self, answer: Reply, now: Now, shared: &mut Shared);
    /// Abandons the sub-operation in flight.
    fn give_back(&mut self, shared: &mut Shared);
}

impl<O: Operation> InFlight for Option<O> {
    fn answer(&mut self, answer: Reply, now: Now, shared: &mut Shared) {
        if let Some(op) = self {
            op.on_answer(answer, now, shared);
        }
    }

    fn give_back(&mut self, shared: &mut Shared) {
        if let Some(op) = self {
            op.abandon(shared);
        }
    }
}

/// The step that means "never again": what an operation answers once it is over.
pub(crate) fn over<E, O>() -> Step<E, O> {
    Step::SleepUntil(Duration::MAX)
}

/// Everything a client decides with: where and who ([`Config`]), how to retry, how to wait,
/// how to decode.
///
/// How it relates to [`Config`] and [`TransportOptions`](crate::transport::TransportOptions):
/// [the crate docs](crate#configuration-config-settings-transportoptions).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// Base URL, token, auth header, user agent.
    pub config: Config,
    /// Retries of every call.
    pub retry: RetryPolicy,
    /// Polling of the clients' `wait`.
    pub wait: WaitPolicy,
    /// Strict or lenient decoding (default lenient).
    pub decoding: Decoding,
    /// How the client spends its rate-limit window (shared by every call of the client and
    /// its clones).
    pub budget: BudgetPolicy,
    /// How `watch`, `wait_all` and `wait_any` follow tasks.
    pub watcher: WatcherPolicy,
}

impl Settings {
    /// Defaults for `config`: [`RetryPolicy::default`], [`WaitPolicy::default`], lenient
    /// decoding, [`BudgetPolicy::default`], [`WatcherPolicy::default`].
    pub fn new(config: Config) -> Self {
        Self {
            config,
            retry: RetryPolicy::default(),
            wait: WaitPolicy::default(),
            decoding: Decoding::default(),
            budget: BudgetPolicy::default(),
            watcher: WatcherPolicy::default(),
        }
    }
}

impl From<Config> for Settings {
    fn from(config: Config) -> Self {
        Self::new(config)
    }
}

impl<O> Step<std::convert::Infallible, O> {
    /// The outcome of a sub-operation without events, or the step to pass on (its request or
    /// its sleep) for the operation that holds it.
    #[allow(clippy::result_large_err)]
    pub(crate) fn outcome<E, X>(self) -> Result<O, Step<E, X>> {
        match self {
            Step::Done(o) => Ok(o),
            Step::Send(r) => Err(Step::Send(r)),
            Step::SleepUntil(t) => Err(Step::SleepUntil(t)),
            Step::Event(never) => match never {},
        }
    }
}
