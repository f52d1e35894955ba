//! The sans-IO machines: everything the clients decide, as plain state machines that are
//! handed the time and never read a clock, sleep or touch a socket.
//!
//! - [`CallMachine`] ([`call`]): one call with its retries — which request to send, how long
//!   to sleep, when it is over.
//! - [`retry`]: when to try again, and after how long ([`RetryPolicy`], [`RetryState`]).
//! - [`wait`]: polling one task until it ends ([`WaitPolicy`], [`WaitState`]).
//! - [`pager`]: walking every page of a task listing ([`Pager`]).
//! - [`budget`]: the client's rate-limit window — may a call go now, or wait how long
//!   ([`Budget`]).
//! - [`watch`]: following many tasks with bulk gets ([`Watcher`]).
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
//! [`Budget`]: budget::Budget
//! [`Watcher`]: watch::Watcher

pub mod budget;
pub mod call;
pub mod pager;
pub mod retry;
pub mod wait;
pub mod watch;

pub use call::{CallMachine, CallStep};

use crate::{Config, Decoding};
use budget::BudgetPolicy;
use retry::RetryPolicy;
use wait::WaitPolicy;
use watch::WatcherPolicy;

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
