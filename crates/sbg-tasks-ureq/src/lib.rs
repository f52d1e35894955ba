//! Blocking transport for the Seven Bridges Tasks API (v2), on [ureq] 3 with rustls (ring) and
//! the web PKI roots, and a ready blocking client.
//!
//! All protocol logic (requests, answers, retries, waiting) lives in `sbg-tasks-proto`; this
//! crate moves bytes, enforces timeouts and a body cap, and refuses redirects and plain http.
//!
//! This crate is the one to depend on for blocking use: it re-exports the root of
//! `sbg-tasks-proto` (the calls, the clients, the configuration, the top errors and policies)
//! as `sbg_tasks_ureq::Name`, and the whole crate as [`proto`] for the rest
//! (`sbg_tasks_ureq::proto::model::TaskStatus`, `sbg_tasks_ureq::proto::transport::TransportOptions`).
//!
//! # In scope
//! - [`UreqTransport`]: a [`HttpTransport`](proto::transport::HttpTransport) on a ureq `Agent` (pooled keep-alive connections;
//!   clone it freely) built from [`TransportOptions`]. HTTP statuses are answers, not errors;
//!   connect and per-call timeouts; a response body cap (16 MiB by default, a typed
//!   [`TransportErrorKind::BodyTooLarge`](proto::transport::TransportErrorKind::BodyTooLarge) past it, never an unbounded read); redirects never
//!   followed, so the token never reaches another host; custom root certificates (PEM); the
//!   proxy from the environment (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, as ureq reads them),
//!   none, or one given; gzip answers: `Accept-Encoding: gzip` is sent
//!   ([`TransportOptions::accept_gzip`], on by default) and a gzip body decoded by
//!   [`transport::decode_body`](proto::transport::decode_body), the cap applying to the decoded size too (a gzip bomb is
//!   `BodyTooLarge`; ureq's own `gzip` feature stays off). Failures are [`TransportFailure`](proto::transport::TransportFailure)s.
//! - [`InlineResolver`]: the transport's ureq resolver; IP literals at once, names on the
//!   calling thread (ureq's default starts a thread per call once a timeout is set).
//! - [`UreqClient`] and [`client()`]: the [`BlockingClient`] over it, in the standard
//!   environment ([`StdEnv`]).
//!
//! # Out of scope
//! - Anything async (see `sbg-tasks-hyper`), HTTP/2, encodings other than gzip (br, deflate,
//!   zstd: refused with a typed error, never passed on undecoded).
//!
//! # Example
//! ```no_run
//! use sbg_tasks_ureq::{AuthToken, Config, GetTask, Platform};
//!
//! let config = Config::new(Platform::Cgc, AuthToken::new(std::env::var("SB_AUTH_TOKEN")?)?);
//! let client = sbg_tasks_ureq::client(config)?;
//! let task = client.get(&GetTask::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse()?))?;
//! println!("{:?}", task.value.status);
//! let done = client.wait(&task.value.task_id()?)?;
//! println!("{:?}", done.status);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod agent;
mod error;
mod resolver;

pub use agent::{UreqTransport, UreqTransportBuilder};
pub use resolver::InlineResolver;

/// The whole sans-IO core, for what is not named at the root: `proto::model`,
/// `proto::transport`, `proto::endpoints`, ...
pub use sbg_tasks_proto as proto;

use sbg_tasks_proto::transport::{TransportBuildError, TransportOptions};
/// The core's root: what a caller names in ordinary use.
pub use sbg_tasks_proto::{
    http, AbortTask, Answer, ApiError, AppId, AsyncClient, AuthToken, BaseUrl, BlockingClient,
    BudgetPolicy, BulkGetTasks, ClientError, Config, CreateTask, Decoding, DeleteTask, Endpoint,
    ErrorCode, GetExecutionDetails, GetRateLimit, GetTask, GetTaskInputs, ListTasks, PagerError,
    Platform, Progress, ProjectId, RerunTask, ResponseError, RetryPolicy, RunTask, Settings,
    StdEnv, Task, TaskId, TaskIter, TaskStream, UpdateTask, UpdateTaskInputs, WaitAny, WaitPolicy,
    WatchEvent, WatchIter, WatchStream, WatcherPolicy,
};

/// The blocking client over ureq, in the standard environment.
pub type UreqClient = BlockingClient<UreqTransport, StdEnv>;

/// A blocking client for `config` with the default settings (retries on, lenient decoding)
/// and the default transport options; plain http is allowed only when `config`'s base URL is
/// http (which [`BaseUrl`] only accepts when told to).
pub fn client(config: Config) -> Result<UreqClient, TransportBuildError> {
    client_with(Settings::new(config), TransportOptions::default())
}

/// A blocking client with `settings` and a transport with `options`. Plain http is allowed
/// only when the settings' base URL is http.
pub fn client_with(
    settings: Settings,
    options: TransportOptions,
) -> Result<UreqClient, TransportBuildError> {
    let allow_http = settings.config.base_url().is_http();
    let transport = UreqTransport::new(options.allow_http(allow_http))?;
    Ok(BlockingClient::with_settings(
        settings,
        transport,
        StdEnv::new(),
    ))
}

/// The crate README's example, compiled as a doctest so it cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
