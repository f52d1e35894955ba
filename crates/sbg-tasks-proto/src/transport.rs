//! The two transport traits (blocking and async) and what a transport error must tell the client.
//!
//! A transport moves bytes: it sends an [`http::Request`] with a `Vec<u8>` body and returns the
//! [`http::Response`] with the whole body, or its own error. It enforces timeouts and size caps
//! and never follows redirects; it knows nothing about the API. It asks for gzip
//! ([`TransportOptions::accept_gzip`], through [`ask_for_gzip`]) and hands on the decoded body
//! ([`decode_body`]: the body cap applies to the decoded size), so what it returns is always
//! plain. Both traits are implemented for
//! closures, so a test or a custom runtime plugs in with a function:
//!
//! ```
//! use sbg_tasks_proto::http::{Request, Response};
//! use sbg_tasks_proto::transport::{HttpTransport, TransportFailure};
//!
//! let canned = |req: Request<Vec<u8>>| -> Result<Response<Vec<u8>>, TransportFailure> {
//!     assert_eq!(req.method(), "GET");
//!     Ok(Response::builder().status(200).body(b"{}".to_vec()).unwrap())
//! };
//! let answer = canned.send(Request::get("https://h/v2/tasks/x").body(Vec::new())?)?;
//! assert_eq!(answer.status(), 200);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::Future;

use http::{Request, Response};

mod gzip;
mod options;

pub use gzip::{ask_for_gzip, decode_body};
pub use options::{
    announces_more_than, Proxy, TransportBuildError, TransportOptions, DEFAULT_MAX_BODY_SIZE,
};

/// What went wrong in a transport, as far as retry decisions care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (refused, unreachable, DNS failure). The request was not
    /// sent.
    Connect,
    /// A timeout: connecting (request not sent) or waiting for the answer (it may have been).
    Timeout,
    /// The connection broke while sending or receiving (reset, closed early, truncated body).
    Io,
    /// The answer's body is larger than the transport's cap.
    BodyTooLarge,
    /// The TLS handshake failed (unknown certificate, wrong host name, protocol mismatch).
    Tls,
    /// The server answered with a redirect the transport refused to follow.
    Redirect,
    /// A plain `http://` request that the transport was not allowed to send.
    InsecureScheme,
    /// Anything else (a malformed answer, an invalid request, an internal error).
    Other,
}

impl TransportErrorKind {
    /// Whether a request failing this way may have reached the server, when the transport does
    /// not know better: everything except [`Connect`](Self::Connect), [`Tls`](Self::Tls) and
    /// [`InsecureScheme`](Self::InsecureScheme).
    pub fn maybe_sent(self) -> bool {
        !matches!(
            self,
            TransportErrorKind::Connect
                | TransportErrorKind::Tls
                | TransportErrorKind::InsecureScheme
        )
    }

    /// Whether the failure may go away by trying again (connect, timeout, broken connection).
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Io
        )
    }

    /// A short name: `connect`, `timeout`, `io`, `body-too-large`, `tls`, `redirect`,
    /// `insecure-scheme`, `other`.
    pub fn name(self) -> &'static str {
        match self {
            TransportErrorKind::Connect => "connect",
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::Io => "io",
            TransportErrorKind::BodyTooLarge => "body-too-large",
            TransportErrorKind::Tls => "tls",
            TransportErrorKind::Redirect => "redirect",
            TransportErrorKind::InsecureScheme => "insecure-scheme",
            TransportErrorKind::Other => "other",
        }
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of a transport: an error that knows its [`TransportErrorKind`] and whether the
/// request may have reached the server.
///
/// Its `Display` must never contain the request's headers (the token is one of them).
pub trait TransportError: std::error::Error + Send + Sync + 'static {
    /// What went wrong.
    fn kind(&self) -> TransportErrorKind;

    /// Whether the request may have reached the server (and the platform may have acted on it).
    /// `false` only when the transport is sure it did not. Defaults to
    /// [`TransportErrorKind::maybe_sent`].
    fn request_sent(&self) -> bool {
        self.kind().maybe_sent()
    }
}

/// A ready-made [`TransportError`] for closures and custom transports: a kind, whether the
/// request may have been sent, a message and an optional source.
#[derive(Debug)]
pub struct TransportFailure {
    kind: TransportErrorKind,
    sent: bool,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl TransportFailure {
    /// A failure of `kind`; whether the request was sent follows from the kind
    /// ([`TransportErrorKind::maybe_sent`]).
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            sent: kind.maybe_sent(),
            message: message.into(),
            source: None,
        }
    }

    /// A connection that could not be made: the request was not sent.
    pub fn connect(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Connect, message)
    }

    /// An answer whose body is larger than the transport's cap of `limit` bytes (refused
    /// unread, or cut off at the cap).
    pub fn body_too_large(limit: u64) -> Self {
        Self::new(
            TransportErrorKind::BodyTooLarge,
            format!("the answer's body is larger than the cap of {limit} bytes"),
        )
    }

    /// Says whether the request may have reached the server, overriding the kind's default.
    pub fn with_request_sent(mut self, sent: bool) -> Self {
        self.sent = sent;
        self
    }

    /// Keeps the underlying error (any error, or one already boxed).
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl TransportFailure {
    /// Any transport's error as a `TransportFailure`: the same value when it is one already,
    /// else its kind, whether it was sent and its message, keeping it as the source.
    pub fn from_error<E: TransportError>(error: E) -> Self {
        let any: Box<dyn std::any::Any> = Box::new(error);
        match any.downcast::<TransportFailure>() {
            Ok(failure) => *failure,
            Err(any) => match any.downcast::<E>() {
                Ok(e) => Self::new(e.kind(), e.to_string())
                    .with_request_sent(e.request_sent())
                    .with_source(*e),
                // The box holds an `E`: the first downcast to it cannot fail.
                Err(_) => Self::new(TransportErrorKind::Other, "unreadable transport error"),
            },
        }
    }

    /// Whether the request may have reached the server.
    pub fn request_sent(&self) -> bool {
        self.sent
    }

    /// What went wrong.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }
}

/// `{kind} error: {message}`, with `(the request may have reached the server)` after the kind
/// when it may have: the kind is named once, by this type, so messages never repeat it.
impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sent = if self.sent {
            " (the request may have reached the server)"
        } else {
            ""
        };
        write!(f, "{} error{sent}: {}", self.kind, self.message)
    }
}

impl std::error::Error for TransportFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl TransportError for TransportFailure {
    fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    fn request_sent(&self) -> bool {
        self.sent
    }
}

/// A blocking transport: one request in, one complete answer (or the transport's error) out.
///
/// Any HTTP status is an answer, not an error: the client reads error bodies. Implemented for
/// every `Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, E>` with `E: TransportError`.
pub trait HttpTransport {
    /// The transport's error.
    type Error: TransportError;

    /// Sends `request` and reads the whole answer.
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Self::Error>;
}

impl<F, E> HttpTransport for F
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, E>,
    E: TransportError,
{
    type Error = E;

    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, E> {
        self(request)
    }
}

/// An async transport: one request in, a `Send` future of the complete answer out.
///
/// Any HTTP status is an answer, not an error. Implemented for every
/// `Fn(Request<Vec<u8>>) -> Fut` where `Fut: Future<Output = Result<Response<Vec<u8>>, E>> + Send`
/// and `E: TransportError`.
pub trait AsyncHttpTransport {
    /// The transport's error.
    type Error: TransportError;

    /// Sends `request` and reads the whole answer.
    fn send(
        &self,
        request: Request<Vec<u8>>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, Self::Error>> + Send;
}

impl<F, Fut, E> AsyncHttpTransport for F
where
    F: Fn(Request<Vec<u8>>) -> Fut,
    Fut: Future<Output = Result<Response<Vec<u8>>, E>> + Send,
    E: TransportError,
{
    type Error = E;

    fn send(
        &self,
        request: Request<Vec<u8>>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, E>> + Send {
        self(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_connect_tls_and_scheme_failures_are_surely_unsent() {
        use TransportErrorKind::*;
        for k in [Connect, Tls, InsecureScheme] {
            assert!(!k.maybe_sent(), "{k}");
        }
        for k in [Timeout, Io, BodyTooLarge, Redirect, Other] {
            assert!(k.maybe_sent(), "{k}");
        }
        assert!(Connect.is_transient() && Timeout.is_transient() && Io.is_transient());
        assert!(!Tls.is_transient() && !BodyTooLarge.is_transient());
    }

    #[test]
    fn failure_keeps_kind_sent_flag_and_source() {
        let f = TransportFailure::new(TransportErrorKind::Timeout, "connect timed out")
            .with_request_sent(false)
            .with_source(std::io::Error::from(std::io::ErrorKind::TimedOut));
        assert_eq!(f.kind(), TransportErrorKind::Timeout);
        assert!(!f.request_sent());
        assert_eq!(f.to_string(), "timeout error: connect timed out");
        let reset = TransportFailure::new(TransportErrorKind::Io, "connection reset by peer");
        assert_eq!(
            reset.to_string(),
            "io error (the request may have reached the server): connection reset by peer"
        );
        assert!(std::error::Error::source(&f).is_some());
        assert!(TransportFailure::new(TransportErrorKind::Io, "reset").request_sent());
    }
}
