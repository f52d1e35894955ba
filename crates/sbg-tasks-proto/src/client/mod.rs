//! Clients: a blocking [`Client`] and an [`AsyncClient`], generic over a transport and an
//! environment, with the same operations and all of their logic here.
//!
//! Both are thin drivers over [`CallMachine`] (one call with its retries),
//! [`WaitState`](crate::wait::WaitState) (polling) and [`Pager`](crate::Pager) (lazy listing
//! as a [`TaskIter`] or a [`TaskStream`]): they send what the machine asks, sleep as long as it
//! says, and hand back what the transport returned. A custom runtime can drive the
//! machines itself the same way.
//!
//! The transports live in other crates: `sbg-tasks-ureq` (blocking) and `sbg-tasks-hyper`
//! (tokio). A closure is a transport too ([`HttpTransport`](crate::transport::HttpTransport)):
//!
//! ```
//! use std::time::Duration;
//! use sbg_tasks_proto::client::{Client, FakeEnv};
//! use sbg_tasks_proto::http::{Request, Response};
//! use sbg_tasks_proto::transport::TransportFailure;
//! use sbg_tasks_proto::{AllowHttp, AuthToken, BaseUrl, Config, GetTask};
//!
//! let base = BaseUrl::parse_with("http://127.0.0.1:9/v2", AllowHttp::Loopback)?;
//! let config = Config::new(base, AuthToken::new("secret-token")?);
//! let transport = |req: Request<Vec<u8>>| -> Result<Response<Vec<u8>>, TransportFailure> {
//!     assert_eq!(req.uri().path(), "/v2/tasks/abc");
//!     Ok(Response::builder()
//!         .status(200)
//!         .body(br#"{"id":"abc","status":"QUEUED"}"#.to_vec())
//!         .unwrap())
//! };
//! let client = Client::new(config, transport, FakeEnv::new(Duration::ZERO));
//! let task = client.get(&GetTask::new("abc".parse()?))?;
//! assert_eq!(task.value.id.as_deref(), Some("abc"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[macro_use]
mod common;
mod asynchronous;
mod blocking;
mod env;
mod error;
mod listing;
mod machine;

pub use asynchronous::AsyncClient;
pub use blocking::Client;
pub use env::{AsyncEnv, BlockingEnv, Env, FakeEnv};
pub use error::Error;
pub use listing::{TaskIter, TaskStream};
pub use machine::{CallMachine, Step};

use crate::retry::RetryPolicy;
use crate::wait::WaitPolicy;
use crate::{Config, Decoding};

/// Everything a client decides with: where and who ([`Config`]), how to retry, how to wait,
/// how to decode.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// Base URL, token, auth header, user agent.
    pub config: Config,
    /// Retries of every call.
    pub retry: RetryPolicy,
    /// Polling of [`Client::wait`] / [`AsyncClient::wait`].
    pub wait: WaitPolicy,
    /// Strict or lenient decoding (default lenient).
    pub decoding: Decoding,
}

impl Settings {
    /// Defaults for `config`: [`RetryPolicy::default`], [`WaitPolicy::default`], lenient
    /// decoding.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            retry: RetryPolicy::default(),
            wait: WaitPolicy::default(),
            decoding: Decoding::default(),
        }
    }
}

impl From<Config> for Settings {
    fn from(config: Config) -> Self {
        Self::new(config)
    }
}
