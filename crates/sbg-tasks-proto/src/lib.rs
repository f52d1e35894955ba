//! Sans-IO protocol core for the Seven Bridges Tasks API (v2) — and CGC, Cavatica, BioData
//! Catalyst, and the EU, GCP and China deployments.
//!
//! This crate turns task calls into [`http::Request`] values, turns the platform's answers
//! into a typed, lossless model, and makes every client operation a state machine. It never
//! opens a socket, never sleeps and never reads a clock: transports (`sbg-tasks-ureq`,
//! `sbg-tasks-hyper`, or your own) move the bytes, and a driver loop moves the time.
//!
//! # Map
//!
//! | what | where |
//! |---|---|
//! | the machines, one per operation, one step vocabulary ([`Step`](machine::Step)) | [`machine`]: [`Call`](machine::Call), [`Run`](machine::Run), [`BulkGet`](machine::BulkGet), [`Wait`](machine::Wait), [`WaitMany`](machine::WaitMany), [`Watch`](machine::Watch), [`List`](machine::List) |
//! | what concurrent operations share: the rate-limit budget, the waits' polls | [`machine::Shared`], one per client (and its clones), in one `Mutex` |
//! | the drivers: the only code that sends or sleeps | [`BlockingClient`] (one blocking loop), [`AsyncClient`] (one async loop), or your own (README: "Drive it from your own runtime") |
//! | clocks, sleep and jitter of the standard library | [`StdEnv`] ([`mod@env`]): drivers read it, machines are handed [`Now`](machine::Now) |
//!
//! ```text
//!            ┌──────────── step(now, &mut shared) ────────────┐
//!            │                                                ▼
//!   driver loop                                         operation (machine)
//!   (the only I/O)  ◀── Send(request) ─── SleepUntil(t) ─── Event(e) ─── Done(out)
//!            │                │                 │
//!            │        transport.send      sleep until t (or until another
//!            │                │           operation's answer wakes it)
//!            └─ on_answer(response or failure, now, &mut shared) ─┘
//! ```
//!
//! # In scope
//! - Platforms and base URLs ([`Platform`], [`BaseUrl`]), tokens that never print themselves
//!   ([`AuthToken`]), ids that can never change a request path ([`TaskId`]), the `fields`
//!   selector ([`Fields`](fields::Fields)).
//! - One type per call, each an [`Endpoint`]: [`GetTask`], [`RunTask`], [`RerunTask`].
//!   `prepare_request` builds the request; `parse_response` reads the answer.
//! - The rest of a task's life: [`CreateTask`] (with a typed "created but cannot run"
//!   [`CreateOutcome`](endpoints::CreateOutcome)), [`UpdateTask`], [`DeleteTask`], [`GetTaskInputs`] and
//!   [`UpdateTaskInputs`], [`AbortTask`], [`ListTasks`] (filters, pages, batch children),
//!   [`BulkGetTasks`] (up to 100 tasks a request, one result per id), [`GetExecutionDetails`],
//!   [`GetRateLimit`].
//! - The task model ([`model::Task`] and friends): every member optional, unknown members kept
//!   and re-emitted, prices as exact decimal text, timestamps that never fail a decode.
//! - Typed API errors ([`ApiError`], [`ErrorCode`]) from JSON bodies, proxy pages or nothing.
//! - Rate-limit and request-id metadata ([`ResponseMeta`](meta::ResponseMeta)).
//! - Lenient decoding of malformed bodies with a report of every repair ([`lenient`],
//!   [`Decoding`]).
//! - Transport traits, blocking and async, also implemented for closures, the options every
//!   transport has and the one failure type they report ([`transport`]).
//! - Every client operation as a machine ([`machine`]) with time passed in — a call with its
//!   retries, the rate-limit budget and its probes, run → 7007 → get, waits whose polls are
//!   shared, `wait_any` / `wait_all`, watch, paging — and the two clients that drive them,
//!   with a method per call, over any transport and environment.
//!
//! # Configuration: `Config`, `Settings`, `TransportOptions`
//! Three types, one per layer; each setting lives in exactly one of them:
//! - [`Config`] — **what every request says**: the platform's base URL, the token and the
//!   header that carries it, the user agent, extra headers. [`Endpoint::prepare_request`]
//!   reads it and nothing else; it holds no policy.
//! - [`Settings`] — **how a client behaves around its requests**: a [`Config`] plus the retry
//!   policy ([`RetryPolicy`]), polling ([`WaitPolicy`]), decoding ([`Decoding`]), the
//!   rate-limit budget ([`BudgetPolicy`]) and the watcher ([`WatcherPolicy`]). The machines
//!   and clients read it; a client made from a bare [`Config`] uses [`Settings::new`].
//! - [`TransportOptions`](transport::TransportOptions) — **how the bytes move**: timeouts, the body size cap, TLS roots,
//!   plain http, the proxy, gzip. Only transports read it (`sbg-tasks-ureq`,
//!   `sbg-tasks-hyper` build theirs from it); this crate does no I/O with it.
//!
//! A change to a request's bytes belongs in `Config`; to when a request is sent (again) or how
//! its answer is read, in `Settings`; to the connection, in `TransportOptions`.
//!
//! # Out of scope
//! - Any I/O: sockets, TLS, timeouts, size caps. Those belong to transports. Clocks and
//!   sleeping belong to drivers and their environments ([`mod@env`]): the machines never
//!   touch them, and never lock.
//! - Following redirects (transports refuse to carry the token to another host).
//! - Apps, files, projects and the rest of the platform API.
//!
//! # Example
//! ```
//! use sbg_tasks_proto::{http, AuthToken, Config, Decoding, Endpoint, GetTask, Platform};
//!
//! let config = Config::new(Platform::Cgc, AuthToken::new("3259c50e1ac5426ea8f1273259740f74")?);
//! let call = GetTask::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse()?);
//! let request = call.prepare_request(&config)?;
//! assert_eq!(request.method(), http::Method::GET);
//! assert_eq!(request.uri().path(), "/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb");
//!
//! // ... a transport sends `request` and gets an answer back:
//! let answer = http::Response::builder()
//!     .status(200)
//!     .header("X-RateLimit-Remaining", "999")
//!     .header("X-RateLimit-Limit", "1000")
//!     .header("X-RateLimit-Reset", "1700000000")
//!     .body(br#"{"id": "08c5ce64-1551-4b7d-b054-63a1517bc7bb", "status": "RUNNING"}"#.to_vec())?;
//! let task = call.parse_response(&answer, &Decoding::default())?;
//! assert_eq!(task.value.status.unwrap().as_str(), "RUNNING");
//! assert_eq!(task.meta.rate_limit.unwrap().remaining, 999);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use http;

mod api_error;
pub mod client;
mod connection;
pub mod decode;
mod decoding;
mod endpoint;
pub mod endpoints;
pub mod env;
mod error;
pub mod excerpt;
pub mod fields;
mod id;
pub mod lenient;
pub mod machine;
pub mod meta;
pub mod model;
mod platform;
mod target;
mod token;
pub mod transport;

pub mod config {
    //! The parts of a [`Config`](crate::Config) besides the type itself: the header that
    //! carries the token, header errors, the platform and token errors, and the limits.
    //!
    //! [`Config`](crate::Config), [`Platform`](crate::Platform), [`BaseUrl`](crate::BaseUrl)
    //! and [`AuthToken`](crate::AuthToken) are at the crate root.
    pub use crate::connection::{
        AuthScheme, HeaderError, ADVANCE_ACCESS_HEADER, DEFAULT_USER_AGENT,
    };
    pub use crate::platform::{is_loopback_host, AllowHttp, BaseUrlError, UnknownPlatform};
    pub use crate::token::{TokenError, MAX_TOKEN_LEN};
}

// The crate root: what a caller names in ordinary use, each item here only. Everything else
// is under its module.
pub use api_error::{ApiError, ErrorCode};
pub use client::{AsyncClient, BlockingClient, TaskIter, TaskStream, WatchIter, WatchStream};
pub use connection::Config;
pub use decoding::Decoding;
pub use endpoint::{Answer, Endpoint, ResponseError};
pub use endpoints::abort_task::AbortTask;
pub use endpoints::bulk_get::BulkGetTasks;
pub use endpoints::create_task::CreateTask;
pub use endpoints::delete_task::DeleteTask;
pub use endpoints::execution_details::GetExecutionDetails;
pub use endpoints::get_task::GetTask;
pub use endpoints::list_tasks::ListTasks;
pub use endpoints::names::{AppId, ProjectId};
pub use endpoints::rate_limit::GetRateLimit;
pub use endpoints::rerun_task::RerunTask;
pub use endpoints::run_task::RunTask;
pub use endpoints::task_inputs::{GetTaskInputs, UpdateTaskInputs};
pub use endpoints::update_task::UpdateTask;
pub use env::StdEnv;
pub use error::{ClientError, PagerError};
pub use id::TaskId;
pub use machine::budget::BudgetPolicy;
pub use machine::retry::RetryPolicy;
pub use machine::wait::{Progress, WaitAny, WaitPolicy};
pub use machine::watch::{FeedStrategy, ProjectFeed, WatchEvent, WatcherPolicy};
pub use machine::Settings;
pub use model::task::Task;
pub use platform::{BaseUrl, Platform};
pub use token::AuthToken;

/// The crate README's example, compiled as a doctest so it cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
