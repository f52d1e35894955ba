//! Blocking transport for the Seven Bridges Tasks API (v2), on [ureq] 3 with rustls (ring) and
//! the web PKI roots, and a ready blocking client.
//!
//! All protocol logic (requests, answers, retries, waiting) lives in `sbg-tasks-proto`; this
//! crate moves bytes, enforces timeouts and a body cap, refuses redirects and plain http, and
//! sleeps when the client says so.
//!
//! # In scope
//! - [`UreqTransport`]: a [`HttpTransport`](sbg_tasks_proto::HttpTransport) on a ureq `Agent`
//!   (pooled keep-alive connections; clone it freely). HTTP statuses are answers, not errors;
//!   connect and per-call timeouts; a response body cap (16 MiB by default, a typed
//!   [`TransportErrorKind::BodyTooLarge`] past it, never an unbounded read); redirects never
//!   followed, so the token never reaches another host; custom root certificates (PEM); the
//!   proxy from the environment (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, as ureq reads them).
//! - [`InlineResolver`]: the transport's ureq resolver; IP literals at once, names on the
//!   calling thread (ureq's default starts a thread per call once a timeout is set).
//! - [`StdEnv`]: the standard clocks, `thread::sleep` and a random jitter source.
//! - [`BlockingClient`] and [`client`]: the proto [`Client`] over both.
//!
//! # Out of scope
//! - Anything async (see `sbg-tasks-hyper`), HTTP/2, response decompression.
//!
//! # Example
//! ```no_run
//! use sbg_tasks_proto::{AuthToken, Config, GetTask, Platform};
//!
//! let config = Config::new(Platform::Cgc, AuthToken::new(std::env::var("SB_AUTH_TOKEN")?)?);
//! let client = sbg_tasks_ureq::client(config);
//! let task = client.get(&GetTask::new("08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse()?))?;
//! println!("{:?}", task.value.status);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod env;
mod error;
mod resolver;
mod transport;

pub use env::StdEnv;
pub use error::{BuildError, UreqError};
pub use resolver::InlineResolver;
pub use transport::{UreqTransport, UreqTransportBuilder};

pub use sbg_tasks_proto;
pub use sbg_tasks_proto::client::{Client, Settings};
pub use sbg_tasks_proto::transport::{TransportErrorKind, TransportOptions, DEFAULT_MAX_BODY_SIZE};

/// The blocking client over ureq.
pub type BlockingClient = Client<UreqTransport, StdEnv>;

/// A blocking client for `config` with the default settings (retries on, lenient decoding)
/// and a default transport; plain http is allowed only when `config`'s base URL is http (which
/// [`BaseUrl`](sbg_tasks_proto::BaseUrl) only accepts when told to).
pub fn client(config: sbg_tasks_proto::Config) -> BlockingClient {
    client_with(Settings::new(config), UreqTransport::builder())
}

/// A blocking client with `settings` and a transport built from `transport`. Plain http is
/// allowed only when the settings' base URL is http.
pub fn client_with(settings: Settings, transport: UreqTransportBuilder) -> BlockingClient {
    let transport = transport
        .allow_http(settings.config.base_url().is_http())
        .build();
    Client::with_settings(settings, transport, StdEnv::new())
}

/// The README's Rust example, compiled as a doctest so it cannot rot.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
