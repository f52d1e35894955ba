//! Async transport for the Seven Bridges Tasks API (v2), on hyper 1 and tokio with rustls
//! (ring) and the web PKI roots, and a ready async client.
//!
//! All protocol logic (requests, answers, retries, waiting) lives in `sbg-tasks-proto`; this
//! crate moves bytes, enforces timeouts and a body cap, refuses plain http unless allowed, and
//! sleeps on tokio's timer when the client says so.
//!
//! This crate is the one to depend on for async use: it re-exports the root of
//! `sbg-tasks-proto` (the calls, the clients, the configuration, the top errors and policies)
//! as `sbg_tasks_hyper::Name`, and the whole crate as [`proto`] for the rest
//! (`sbg_tasks_hyper::proto::model::TaskStatus`, `sbg_tasks_hyper::proto::transport::TransportOptions`).
//!
//! # In scope
//! - [`HyperTransport`]: an [`AsyncHttpTransport`](proto::transport::AsyncHttpTransport) on hyper-util's pooled client built from
//!   [`TransportOptions`]: HTTP/1.1 keep-alive and HTTP/2 (negotiated with ALPN over TLS), one
//!   pool shared by every clone, so thousands of concurrent calls share connections. `Send`
//!   futures. HTTP statuses are answers, not errors; connect and per-call timeouts; a body cap
//!   (16 MiB by default) read through `http_body_util::Limited`, a typed
//!   [`TransportErrorKind::BodyTooLarge`](proto::transport::TransportErrorKind::BodyTooLarge) past it; redirects never followed, so the token never
//!   reaches another host; custom root certificates (PEM); the proxy from the environment
//!   (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, … by curl's rules), none, or one given, as
//!   CONNECT tunnels with TLS inside; gzip answers: `Accept-Encoding: gzip` is sent
//!   ([`TransportOptions::accept_gzip`], on by default) and a gzip body decoded by
//!   [`transport::decode_body`](proto::transport::decode_body), the cap applying to the decoded size too (a gzip bomb is
//!   `BodyTooLarge`). Failures are [`TransportFailure`](proto::transport::TransportFailure)s.
//! - [`TokioEnv`]: tokio's clock and timer (so paused test time works), with the wall clock
//!   and jitter of the standard environment.
//! - [`HyperClient`] and [`client()`]: the [`AsyncClient`] over both.
//!
//! # Out of scope
//! - https:// and SOCKS proxies (wrap your own connector in a closure transport); encodings
//!   other than gzip (br, deflate, zstd: refused with a typed error, never passed on
//!   undecoded).
//!
//! # Example
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use sbg_tasks_hyper::{AuthToken, Config, GetTask, Platform};
//!
//! let config = Config::new(Platform::Cgc, AuthToken::new(std::env::var("SB_AUTH_TOKEN")?)?);
//! let client = sbg_tasks_hyper::client(config)?;
//! let task = client.get(&GetTask::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse()?)).await?;
//! println!("{:?}", task.value.status);
//! let done = client.wait(&task.value.task_id()?).await?;
//! println!("{:?}", done.status);
//! # Ok(()) }
//! ```

mod error;
mod pool;
mod proxy;
mod tokio_env;

pub use pool::{HyperTransport, HyperTransportBuilder};
pub use tokio_env::TokioEnv;

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

/// The async client over hyper, on tokio.
pub type HyperClient = AsyncClient<HyperTransport, TokioEnv>;

/// An async client for `config` with the default settings (retries on, lenient decoding) and
/// the default transport options; plain http is allowed only when `config`'s base URL is http
/// (which [`BaseUrl`] only accepts when told to).
pub fn client(config: Config) -> Result<HyperClient, TransportBuildError> {
    client_with(Settings::new(config), TransportOptions::default())
}

/// An async client with `settings` and a transport with `options` (for HTTP/2 or the pool's
/// idle timeout, build a [`HyperTransport`] and use [`AsyncClient::with_settings`]). Plain
/// http is allowed only when the settings' base URL is http.
pub fn client_with(
    settings: Settings,
    options: TransportOptions,
) -> Result<HyperClient, TransportBuildError> {
    let allow_http = settings.config.base_url().is_http();
    let transport = HyperTransport::new(options.allow_http(allow_http))?;
    Ok(AsyncClient::with_settings(
        settings,
        transport,
        TokioEnv::new(),
    ))
}

/// The crate README's example, compiled as a doctest so it cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
