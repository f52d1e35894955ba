//! [`ClientError`], the one error type of the clients, and [`PagerError`].

use std::time::Duration;

use crate::api_error::ApiError;
use crate::endpoint::{RequestBuildError, ResponseError};
use crate::model::Task;
use crate::transport::{TransportError, TransportErrorKind, TransportFailure};

/// Why a client operation failed. Never contains the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The request could not be built.
    #[error("the request could not be built: {0}")]
    Build(#[from] RequestBuildError),

    /// An answer was received but did not give the value: the platform (or a proxy in front
    /// of it) answered with an error status ([`ResponseError::Api`]: status, code, message,
    /// request id, an excerpt of a body that was not the platform's error JSON), or a success
    /// status whose body could not be decoded ([`ResponseError::Decode`]: status, metadata,
    /// byte offset). [`ClientError::api`] and [`ClientError::status`] look inside.
    #[error(transparent)]
    Response(#[from] ResponseError),

    /// The transport failed: no answer was received. Says what kind of failure and whether
    /// the request may have reached the server.
    #[error(transparent)]
    Transport(TransportFailure),

    /// The platform answered with a redirect. Redirects are never followed, so that the token
    /// never goes to another host.
    #[error("the platform answered a redirect (HTTP {status}) to {location:?}; redirects are not followed")]
    Redirect {
        /// The HTTP status (301, 302, 303, 307, 308).
        status: u16,
        /// The `Location` header (at most 512 characters), empty when absent.
        location: String,
    },

    /// A retryable failure went on until the attempts ran out or the retry deadline ([`RetryPolicy::deadline`](crate::machine::retry::RetryPolicy::deadline)) passed.
    #[error("gave up after {attempts} attempts in {elapsed:?}: {last}")]
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
        /// Time spent, waits included.
        elapsed: Duration,
        /// The last attempt's error.
        last: Box<ClientError>,
    },

    /// A run was retried after an attempt whose answer was lost, and the platform now says the
    /// task is no longer a DRAFT (7007): the earlier attempt ran it. [`BlockingClient::run`] and
    /// [`AsyncClient::run`] turn this into the task by getting it; a generic `call` returns it.
    ///
    /// [`BlockingClient::run`]: crate::BlockingClient::run
    /// [`AsyncClient::run`]: crate::client::AsyncClient::run
    #[error("the run was accepted by an earlier attempt whose answer was lost (attempt {attempts} answered: {answer})")]
    RunAlreadyAccepted {
        /// Attempts made.
        attempts: u32,
        /// The 7007 answer.
        answer: Box<ApiError>,
    },

    /// Waiting ran past its timeout; holds the last task seen.
    #[error(
        "task {} did not end within {waited:?} ({polls} polls); last status {}",
        task_name(last),
        status_name(last)
    )]
    Timeout {
        /// Time waited.
        waited: Duration,
        /// Polls made.
        polls: u32,
        /// The task as last seen.
        last: Box<Task>,
    },

    /// A listing ([`BlockingClient::list`], [`AsyncClient::list`]) could not go on: a page's `items`
    /// were unusable, or pages stopped bringing new tasks.
    ///
    /// [`BlockingClient::list`]: crate::BlockingClient::list
    /// [`AsyncClient::list`]: crate::client::AsyncClient::list
    #[error("the listing stopped: {0}")]
    Pager(#[from] PagerError),

    /// The task waited for is a DRAFT: it was never run, so it would never end.
    #[error(
        "task {} is a DRAFT: it was never run, so waiting for it would never end (run it first)",
        task_name(task)
    )]
    NotStarted {
        /// The task as seen.
        task: Box<Task>,
    },
}

fn task_name(t: &Task) -> &str {
    t.id.as_deref().unwrap_or("(no id)")
}

fn status_name(t: &Task) -> &str {
    t.status.as_ref().map_or("(none)", |s| s.as_str())
}

impl ClientError {
    /// Wraps a transport's error.
    pub fn transport<E: TransportError>(error: E) -> Self {
        ClientError::Transport(TransportFailure::from_error(error))
    }

    /// The API error, if the platform answered with one (looking through
    /// [`ClientError::RetriesExhausted`]).
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Response(e) => e.api(),
            ClientError::RunAlreadyAccepted { answer, .. } => Some(answer),
            ClientError::RetriesExhausted { last, .. } => last.api(),
            _ => None,
        }
    }

    /// The transport failure's kind, if the transport failed (looking through
    /// [`ClientError::RetriesExhausted`]).
    pub fn transport_kind(&self) -> Option<TransportErrorKind> {
        match self {
            ClientError::Transport(failure) => Some(failure.kind()),
            ClientError::RetriesExhausted { last, .. } => last.transport_kind(),
            _ => None,
        }
    }

    /// The HTTP status of the answer behind this error, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Response(e) => Some(e.status()),
            ClientError::Redirect { status, .. } => Some(*status),
            ClientError::RetriesExhausted { last, .. } => last.status(),
            _ => self.api().map(|a| a.status),
        }
    }

    /// The last task seen, for [`ClientError::Timeout`] and [`ClientError::NotStarted`].
    pub fn task(&self) -> Option<&Task> {
        match self {
            ClientError::Timeout { last, .. } => Some(last),
            ClientError::NotStarted { task } => Some(task),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_send_sync_and_say_what_happened() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<ClientError>();

        let e = ClientError::transport(TransportFailure::new(
            TransportErrorKind::Io,
            "reset by peer",
        ));
        assert_eq!(
            e.to_string(),
            "io error (the request may have reached the server): reset by peer"
        );
        assert_eq!(e.transport_kind(), Some(TransportErrorKind::Io));
        let wrapped = ClientError::RetriesExhausted {
            attempts: 3,
            elapsed: Duration::from_secs(2),
            last: Box::new(e),
        };
        assert_eq!(wrapped.transport_kind(), Some(TransportErrorKind::Io));
        assert!(wrapped
            .to_string()
            .starts_with("gave up after 3 attempts in 2s: io error"));

        let t: Task = serde_json::from_str(r#"{"id":"t1","status":"RUNNING"}"#).unwrap();
        let timeout = ClientError::Timeout {
            waited: Duration::from_secs(60),
            polls: 7,
            last: Box::new(t),
        };
        assert_eq!(
            timeout.to_string(),
            "task t1 did not end within 60s (7 polls); last status RUNNING"
        );
        assert_eq!(timeout.task().and_then(|t| t.id.as_deref()), Some("t1"));
    }
}

/// Why the pager cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PagerError {
    /// [`Pager::on_page`](crate::machine::pager::Pager::on_page) was called without a request from [`Pager::next_request`](crate::machine::pager::Pager::next_request) pending.
    #[error("a page was fed to the pager without a pending request")]
    NoRequestPending,
    /// The page's `items` member was sent but is not a list of task objects (a lenient decode
    /// kept it in the page's `extra`). The walk stops rather than take the page for empty.
    #[error("the page at offset {offset} has an `items` member that is not a list of tasks")]
    UnusableItems {
        /// The offset of the page.
        offset: u64,
    },
    /// Too many consecutive pages brought nothing new (the list changes faster than it can be
    /// read, or the total header is inconsistent).
    #[error("{pages} consecutive pages up to offset {offset} brought no new task; giving up")]
    Stalled {
        /// How many pages in a row.
        pages: u32,
        /// The offset of the last one.
        offset: u64,
    },
}
