//! Async transport for the Seven Bridges Tasks API (v2), on hyper 1 and tokio with rustls
//! (ring) and the web PKI roots, and a ready async client.
//!
//! All protocol logic (requests, answers, retries, waiting) lives in `sbg-tasks-proto`; this
//! crate moves bytes, enforces timeouts and a body cap, refuses plain http unless allowed, and
//! sleeps on tokio's timer when the client says so.
//!
//! # In scope
//! - [`HyperTransport`]: an [`AsyncHttpTransport`](sbg_tasks_proto::AsyncHttpTransport) on
//!   hyper-util's pooled client: HTTP/1.1 keep-alive and HTTP/2 (negotiated with ALPN over
//!   TLS), one pool shared by every clone, so thousands of concurrent calls share connections.
//!   `Send` futures. HTTP statuses are answers, not errors; connect and per-call timeouts; a
//!   body cap (16 MiB by default) read through `http_body_util::Limited`, a typed
//!   [`TransportErrorKind::BodyTooLarge`] past it; redirects never followed, so the token never
//!   reaches another host; custom root certificates (PEM); the proxy from the environment
//!   (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, … by curl's rules) or one given, as CONNECT
//!   tunnels with TLS inside.
//! - [`TokioEnv`]: tokio's clock and timer (so paused test time works) and a jitter source.
//! - [`HyperClient`] and [`client`]: the proto [`AsyncClient`] over both.
//!
//! # Out of scope
//! - https:// and SOCKS proxies (wrap your own connector in a closure transport); response
//!   decompression.
//!
//! # Example
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use sbg_tasks_proto::{AuthToken, Config, GetTask, Platform};
//!
//! let config = Config::new(Platform::Cgc, AuthToken::new(std::env::var("SB_AUTH_TOKEN")?)?);
//! let client = sbg_tasks_hyper::client(config)?;
//! let task = client.get(&GetTask::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse()?)).await?;
//! println!("{:?}", task.value.status);
//! # Ok(()) }
//! ```

mod env;
mod error;
mod proxy;
mod transport;

pub use env::TokioEnv;
pub use error::{BuildError, HyperError};
pub use transport::{HyperTransport, HyperTransportBuilder};

pub use sbg_tasks_proto;
pub use sbg_tasks_proto::client::{AsyncClient, Settings};
pub use sbg_tasks_proto::transport::{TransportErrorKind, TransportOptions, DEFAULT_MAX_BODY_SIZE};

/// The async client over hyper.
pub type HyperClient = AsyncClient<HyperTransport, TokioEnv>;

/// An async client for `config` with the default settings (retries on, lenient decoding) and
/// a default transport; plain http is allowed only when `config`'s base URL is http (which
/// [`BaseUrl`](sbg_tasks_proto::BaseUrl) only accepts when told to).
pub fn client(config: sbg_tasks_proto::Config) -> Result<HyperClient, BuildError> {
    client_with(Settings::new(config), HyperTransport::builder())
}

/// An async client with `settings` and a transport built from `transport`. Plain http is
/// allowed only when the settings' base URL is http.
pub fn client_with(
    settings: Settings,
    transport: HyperTransportBuilder,
) -> Result<HyperClient, BuildError> {
    let transport = transport
        .allow_http(settings.config.base_url().is_http())
        .build()?;
    Ok(AsyncClient::with_settings(
        settings,
        transport,
        TokioEnv::new(),
    ))
}
