//! The sans-IO machines: everything the clients decide, as plain state machines that are
//! handed the time and never read a clock, sleep or touch a socket.
//!
//! - [`CallMachine`] ([`call`]): one call with its retries — which request to send, how long
//!   to sleep, when it is over.
//! - [`retry`]: when to try again, and after how long ([`RetryPolicy`], [`RetryState`]).
//! - [`wait`]: polling one task until it ends ([`WaitPolicy`], [`WaitState`]).
//! - [`pager`]: walking every page of a task listing ([`Pager`]).
//!
//! The clients ([`BlockingClient`](crate::BlockingClient), [`AsyncClient`](crate::AsyncClient))
//! are thin loops around these; a custom runtime can drive them the same way, and a test or a
//! simulation can drive them in virtual time.
//!
//! [`RetryPolicy`]: retry::RetryPolicy
//! [`RetryState`]: retry::RetryState
//! [`WaitPolicy`]: wait::WaitPolicy
//! [`WaitState`]: wait::WaitState
//! [`Pager`]: pager::Pager

pub mod call;
pub mod pager;
pub mod retry;
pub mod wait;

pub use call::{CallMachine, CallStep};

use crate::{Config, Decoding};
use retry::RetryPolicy;
use wait::WaitPolicy;

/// Everything a client decides with: where and who ([`Config`]), how to retry, how to wait,
/// how to decode.
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
