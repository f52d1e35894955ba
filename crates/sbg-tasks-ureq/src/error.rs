//! ureq's errors as [`TransportFailure`]s.

use std::io;

use sbg_tasks_proto::transport::{TransportErrorKind, TransportFailure};

/// Classifies an error of ureq as a [`TransportFailure`]: its kind, whether the request may
/// have reached the server, and a message that does not repeat the kind (the failure's
/// `Display` names it). `reading_body`: the answer's head had arrived.
pub(crate) fn from_ureq(e: ureq::Error, limit: u64, reading_body: bool) -> TransportFailure {
    use TransportErrorKind as K;
    // ureq hands some of its own errors (and rustls') over inside an io::Error.
    let e = match e {
        ureq::Error::Io(io) if io.get_ref().is_some_and(|i| i.is::<ureq::Error>()) => {
            match io.into_inner().map(|i| i.downcast::<ureq::Error>()) {
                Some(Ok(inner)) => return from_ureq(*inner, limit, reading_body),
                _ => unreachable_io(),
            }
        }
        other => other,
    };
    let (kind, sent) = match &e {
        ureq::Error::Io(io) if io.get_ref().is_some_and(|i| i.is::<rustls::Error>()) => {
            (K::Tls, reading_body)
        }
        ureq::Error::BodyExceedsLimit(_) => return TransportFailure::body_too_large(limit),
        ureq::Error::Io(io) => io_kind(io, reading_body),
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => (K::Connect, false),
        ureq::Error::ConnectProxyFailed(_) | ureq::Error::InvalidProxyUrl => (K::Connect, false),
        ureq::Error::Timeout(t) => {
            use ureq::Timeout as T;
            let before_send = matches!(t, T::Resolve | T::Connect) && !reading_body;
            (K::Timeout, !before_send)
        }
        ureq::Error::Tls(_)
        | ureq::Error::Pem(_)
        | ureq::Error::Rustls(_)
        | ureq::Error::TlsRequired => (K::Tls, reading_body),
        ureq::Error::RequireHttpsOnly(_) => (K::InsecureScheme, false),
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => (K::Redirect, true),
        ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => (K::Io, true),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => (K::Other, false),
        _ => (K::Other, true),
    };
    TransportFailure::new(kind, describe(&e))
        .with_request_sent(sent)
        .with_source(e)
}

/// ureq's message without the prefix that names a kind (`io: `, `timeout: `, `rustls: `).
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::Timeout(t) => format!("the {t} timeout was reached"),
        ureq::Error::Rustls(r) => r.to_string(),
        other => other.to_string(),
    }
}

/// Only reached if `is::<ureq::Error>()` and `downcast` disagree, which they cannot.
fn unreachable_io() -> ureq::Error {
    ureq::Error::Io(io::Error::other("an I/O error that could not be unwrapped"))
}

/// Connection-level I/O failures before anything was written are connect errors.
fn io_kind(e: &io::Error, reading_body: bool) -> (TransportErrorKind, bool) {
    use io::ErrorKind as E;
    use TransportErrorKind as K;
    if reading_body {
        return match e.kind() {
            E::TimedOut | E::WouldBlock => (K::Timeout, true),
            _ => (K::Io, true),
        };
    }
    match e.kind() {
        E::ConnectionRefused
        | E::AddrNotAvailable
        | E::AddrInUse
        | E::NetworkUnreachable
        | E::HostUnreachable
        | E::NetworkDown => (K::Connect, false),
        E::TimedOut | E::WouldBlock => (K::Timeout, true),
        _ => (K::Io, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_connections_are_unsent_and_resets_may_have_been_sent() {
        let refused = from_ureq(
            ureq::Error::Io(io::Error::from(io::ErrorKind::ConnectionRefused)),
            1,
            false,
        );
        assert_eq!(
            (refused.kind(), refused.request_sent()),
            (TransportErrorKind::Connect, false)
        );
        let reset = from_ureq(
            ureq::Error::Io(io::Error::from(io::ErrorKind::ConnectionReset)),
            1,
            false,
        );
        assert_eq!(
            (reset.kind(), reset.request_sent()),
            (TransportErrorKind::Io, true)
        );
        let connect_timeout = from_ureq(ureq::Error::Timeout(ureq::Timeout::Connect), 1, false);
        assert_eq!(
            (connect_timeout.kind(), connect_timeout.request_sent()),
            (TransportErrorKind::Timeout, false)
        );
        let read_timeout = from_ureq(ureq::Error::Timeout(ureq::Timeout::Global), 1, false);
        assert!(read_timeout.request_sent());
        let big = from_ureq(ureq::Error::BodyExceedsLimit(10), 10, true);
        assert_eq!(big.kind(), TransportErrorKind::BodyTooLarge);
        assert_eq!(
            big.to_string(),
            "body-too-large error (the request may have reached the server): \
             the answer's body is larger than the cap of 10 bytes"
        );
        // The failure names its kind once; ureq's own prefix is not repeated.
        assert_eq!(
            reset.to_string(),
            "io error (the request may have reached the server): connection reset"
        );
        assert_eq!(
            read_timeout.to_string(),
            "timeout error (the request may have reached the server): \
             the global timeout was reached"
        );
        let tls = from_ureq(
            ureq::Error::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
            )),
            1,
            false,
        );
        assert_eq!(
            (tls.kind(), tls.request_sent()),
            (TransportErrorKind::Tls, false)
        );
        let wrapped = from_ureq(
            ureq::Error::Io(ureq::Error::Timeout(ureq::Timeout::Connect).into_io()),
            1,
            false,
        );
        assert_eq!(
            (wrapped.kind(), wrapped.request_sent()),
            (TransportErrorKind::Timeout, false)
        );
        let http = from_ureq(ureq::Error::RequireHttpsOnly("x".into()), 1, false);
        assert_eq!(
            (http.kind(), http.request_sent()),
            (TransportErrorKind::InsecureScheme, false)
        );
    }
}
