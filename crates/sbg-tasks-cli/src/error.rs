//! The CLI's errors and their exit codes.

use sbg_tasks_proto::ApiError;

/// Exit code: success.
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code: anything else (undecodable body, unreadable file).
pub(crate) const EXIT_FAILURE: u8 = 1;
/// Exit code: bad usage (clap uses 2 as well).
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code: the platform answered with an error.
pub(crate) const EXIT_API: u8 = 3;
/// Exit code: network failure or timeout.
pub(crate) const EXIT_NETWORK: u8 = 4;
/// Exit code: `wait` saw the task end FAILED or ABORTED.
pub(crate) const EXIT_TASK_FAILED: u8 = 5;

/// Why a command failed. Messages never hold the token: configuration errors name where a
/// token came from, never its bytes, and transport errors never print request headers.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// Bad usage: a bad argument, missing credentials, an invalid id or endpoint.
    #[error("{0}")]
    Usage(String),
    /// The platform answered with an error.
    #[error("{message}")]
    Api {
        /// What happened (the client's message, e.g. with the attempts made).
        message: String,
        /// The platform's answer.
        error: Box<ApiError>,
    },
    /// `get` of several ids: the platform answered some of them with an error (each was
    /// printed with the others).
    #[error("{failed} of {total} task(s) were answered with an error")]
    Items {
        /// How many ids were answered with an error.
        failed: usize,
        /// How many ids were asked.
        total: usize,
    },
    /// The network failed (connect, TLS, cut connection, request timeout).
    #[error("network error: {0}")]
    Network(String),
    /// Waiting took longer than allowed.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The task ended FAILED or ABORTED.
    #[error("task {id} ended {status}")]
    TaskEnded {
        /// The task id.
        id: String,
        /// The final status.
        status: String,
    },
    /// `watch`, `wait` of several ids: some tasks (or children) ended FAILED or ABORTED.
    #[error("{failed} task(s) ended FAILED or ABORTED")]
    TasksFailed {
        /// How many.
        failed: usize,
    },
    /// `watch`, `wait` of several ids: some ids are unknown to the platform.
    #[error("{gone} of {total} id(s) are unknown to the platform")]
    Unknown {
        /// How many ids are unknown.
        gone: usize,
        /// How many ids were followed.
        total: usize,
    },
    /// A bulk action: some tasks failed, or the selection could not be listed.
    #[error("{message}")]
    Bulk {
        /// What happened.
        message: String,
        /// Only network failures or timeouts (exit 4), else an answer of the platform (3).
        network: bool,
    },
    /// Anything else: a body that could not be decoded, a DRAFT waited for, a demo step that
    /// did not go as documented.
    #[error("{0}")]
    Other(String),
    /// Local I/O (a file to read, standard output).
    #[error("{0}")]
    Io(String),
}

impl CliError {
    /// The process exit code for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Api { .. } | CliError::Items { .. } | CliError::Unknown { .. } => EXIT_API,
            CliError::Network(_) | CliError::Timeout(_) => EXIT_NETWORK,
            CliError::Bulk { network: true, .. } => EXIT_NETWORK,
            CliError::Bulk { network: false, .. } => EXIT_API,
            CliError::TaskEnded { .. } | CliError::TasksFailed { .. } => EXIT_TASK_FAILED,
            CliError::Other(_) | CliError::Io(_) => EXIT_FAILURE,
        }
    }
}

/// Prints an error to stderr the way every command does: the message, then for API errors the
/// code, message and request id on lines of their own (so scripts can grep them).
pub(crate) fn report(e: &CliError) {
    eprintln!("error: {e}");
    if let CliError::Api { error: api, .. } = e {
        eprintln!("  http status: {}", api.status);
        if let Some(code) = api.code {
            eprintln!("  code:        {}", code.as_i64());
        }
        if let Some(m) = &api.message {
            eprintln!("  message:     {m}");
        }
        if let Some(more) = &api.more_info {
            eprintln!("  more info:   {more}");
        }
        if let Some(id) = &api.meta.request_id {
            eprintln!("  request id:  {id}");
        }
    }
}
