//! hyper's errors as [`TransportFailure`]s, with messages that do not repeat the kind (the
//! failure's `Display` names it).

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use sbg_tasks_proto::transport::{TransportErrorKind, TransportFailure};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

fn failure(kind: TransportErrorKind, sent: bool, message: String) -> TransportFailure {
    TransportFailure::new(kind, message).with_request_sent(sent)
}

/// A request the transport may not send: plain http when not allowed.
pub(crate) fn insecure(scheme: &str) -> TransportFailure {
    let message = format!(
        "refusing to send a {scheme}:// request: plain http is not allowed for this transport"
    );
    failure(TransportErrorKind::InsecureScheme, false, message)
}

/// No complete answer within the per-call timeout.
pub(crate) fn timeout(after: Duration) -> TransportFailure {
    let message = format!("no complete answer within {after:?}");
    failure(TransportErrorKind::Timeout, true, message)
}

/// Classifies an error of hyper-util's client (no answer head received).
pub(crate) fn from_client(e: hyper_util::client::legacy::Error) -> TransportFailure {
    use TransportErrorKind as K;
    let (kind, sent) = if e.is_connect() {
        if chain_has::<rustls::Error>(&e) {
            (K::Tls, false)
        } else if chain_io_kind(&e).is_some_and(|k| k == io::ErrorKind::TimedOut)
            || chain_message_contains(&e, "timed out")
        {
            (K::Timeout, false)
        } else {
            (K::Connect, false)
        }
    } else if let Some(h) = find::<hyper::Error>(&e) {
        if h.is_user() {
            (K::Other, false)
        } else if h.is_timeout() {
            (K::Timeout, true)
        } else {
            (K::Io, true)
        }
    } else {
        (K::Io, true)
    };
    let message = describe(&e);
    failure(kind, sent, message).with_source(e)
}

/// Classifies an error while reading the answer's body.
pub(crate) fn from_body(e: BoxError, limit: u64) -> TransportFailure {
    if e.is::<http_body_util::LengthLimitError>() {
        return TransportFailure::body_too_large(limit);
    }
    let timeout = find::<hyper::Error>(&*e).is_some_and(hyper::Error::is_timeout);
    let kind = if timeout {
        TransportErrorKind::Timeout
    } else {
        TransportErrorKind::Io
    };
    let message = format!("reading the answer's body failed: {}", describe(&*e));
    failure(kind, true, message).with_source(e)
}

fn find<'a, T: StdError + 'static>(e: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<T>() {
            return Some(t);
        }
        // `io::Error::source` skips the error it wraps; look at that one too.
        cur = match err.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => err.source(),
        };
    }
    None
}

fn chain_has<T: StdError + 'static>(e: &(dyn StdError + 'static)) -> bool {
    find::<T>(e).is_some()
}

fn chain_io_kind(e: &(dyn StdError + 'static)) -> Option<io::ErrorKind> {
    find::<io::Error>(e).map(io::Error::kind)
}

fn chain_message_contains(e: &(dyn StdError + 'static), needle: &str) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.to_string().contains(needle) {
            return true;
        }
        cur = err.source();
    }
    false
}

/// The error and its causes on one line (hyper's top-level messages are terse).
fn describe(e: &(dyn StdError + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        let s = err.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = err.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn body_errors_are_classified() {
        use http_body_util::{BodyExt, Full, Limited};
        let over = Limited::new(Full::new(bytes::Bytes::from_static(b"12345678")), 7)
            .collect()
            .await
            .unwrap_err();
        let big = from_body(over, 7);
        assert_eq!(
            (big.kind(), big.request_sent()),
            (TransportErrorKind::BodyTooLarge, true)
        );
        assert_eq!(
            big.to_string(),
            "body-too-large error (the request may have reached the server): \
             the answer's body is larger than the cap of 7 bytes"
        );
        let cut = from_body(Box::new(io::Error::from(io::ErrorKind::UnexpectedEof)), 7);
        assert_eq!(cut.kind(), TransportErrorKind::Io);
        // The kind is named once, by the failure itself.
        assert_eq!(
            cut.to_string(),
            "io error (the request may have reached the server): \
             reading the answer's body failed: unexpected end of file"
        );
        let insecure = insecure("http");
        assert_eq!(
            (insecure.kind(), insecure.request_sent()),
            (TransportErrorKind::InsecureScheme, false)
        );
    }
}
