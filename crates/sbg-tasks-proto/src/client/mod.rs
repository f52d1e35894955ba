//! Clients: a [`BlockingClient`] and an [`AsyncClient`], generic over a transport and an
//! environment, with the same methods under the same names.
//!
//! Both are thin drivers over the [machines](crate::machine): [`CallMachine`](crate::CallMachine)
//! (one call with its retries), [`WaitState`](crate::machine::wait::WaitState) (polling) and
//! [`Pager`](crate::Pager) (lazy listing as a [`TaskIter`] or a [`TaskStream`]): they send what
//! the machine asks, sleep as long as it says, and hand back what the transport returned.
//!
//! The transports live in other crates: `sbg-tasks-ureq` (blocking) and `sbg-tasks-hyper`
//! (tokio). A closure is a transport too ([`HttpTransport`](crate::transport::HttpTransport)):
//!
//! ```
//! use sbg_tasks_proto::http::{Request, Response};
//! use sbg_tasks_proto::transport::TransportFailure;
//! use sbg_tasks_proto::config::AllowHttp;
//! use sbg_tasks_proto::{AuthToken, BaseUrl, BlockingClient, Config, GetTask};
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
//! // The standard environment (real clocks, `thread::sleep`) unless told otherwise.
//! let client = BlockingClient::new(config, transport);
//! let task = client.get(&GetTask::new("abc".parse()?))?;
//! assert_eq!(task.value.id.as_deref(), Some("abc"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[macro_use]
mod common;
mod asynchronous;
mod blocking;
pub(crate) mod hub;
mod listing;
mod watching;

pub use asynchronous::AsyncClient;
pub use blocking::BlockingClient;
pub use listing::{TaskIter, TaskStream};
pub use watching::{WaitAny, Watch, WatchStream};
