//! Errors of the mock itself (starting it, configuring it), not the platform errors it serves.

use std::net::SocketAddr;

/// An error starting or driving the mock server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The self-signed certificate could not be made or installed.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// The background runtime or thread could not be started, or it stopped early.
    #[error("runtime error: {0}")]
    Runtime(String),
    /// A task given to [`MockControl::insert_task`](crate::MockControl::insert_task) is not usable.
    #[error("invalid task: {0}")]
    InvalidTask(String),
    /// A fault, route, schedule or rate-limit specification could not be parsed.
    #[error("cannot parse {what} {input:?}: {reason}")]
    Parse {
        /// What was being parsed (`fault`, `route`, `schedule`, ...).
        what: &'static str,
        /// The text given.
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// Writing the certificate file (binary) failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl MockError {
    pub(crate) fn parse(what: &'static str, input: &str, reason: impl Into<String>) -> Self {
        MockError::Parse {
            what,
            input: input.to_owned(),
            reason: reason.into(),
        }
    }
}
