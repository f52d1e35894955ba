//! [`TransportOptions`]: the settings every transport has, as plain data, and the macros that
//! give the workspace's two transports (`sbg-tasks-ureq`, `sbg-tasks-hyper`) one builder and
//! one error shape.

use std::fmt;
use std::time::Duration;

use http::{header, HeaderMap};

/// The default cap on an answer's body: 16 MiB.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 16 * 1024 * 1024;

/// The settings every transport has: timeouts, the body cap, the roots to trust, whether plain
/// http is allowed. Plain data: nothing is parsed or checked here (the PEM is kept as given and
/// read by the transport's TLS stack when it is handed over).
///
/// Defaults: connect timeout 10 s, per-call timeout 60 s (the whole exchange, body included),
/// body cap [`DEFAULT_MAX_BODY_SIZE`], the web PKI roots (no PEM), https only.
///
/// ```
/// use std::time::Duration;
/// use sbg_tasks_proto::transport::TransportOptions;
///
/// let options = TransportOptions::default()
///     .timeout(Some(Duration::from_secs(5)))
///     .max_body_size(1 << 20);
/// assert_eq!(options.connect_timeout, Some(Duration::from_secs(10)));
/// assert_eq!(options.timeout, Some(Duration::from_secs(5)));
/// assert!(!options.allow_http);
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportOptions {
    /// Time to open a connection (what that covers is the transport's: see its builder).
    /// `None`: no limit.
    pub connect_timeout: Option<Duration>,
    /// Time for a whole exchange (connecting, TLS, sending, the answer and its body).
    /// `None`: no limit.
    pub timeout: Option<Duration>,
    /// The largest answer body accepted, in bytes.
    pub max_body_size: u64,
    /// PEM holding the only root certificates to trust (e.g. a test server's self-signed
    /// one) instead of the web PKI roots.
    pub root_certificates_pem: Option<Vec<u8>>,
    /// Whether plain `http://` requests may be sent.
    pub allow_http: bool,
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Some(Duration::from_secs(10)),
            timeout: Some(Duration::from_secs(60)),
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            root_certificates_pem: None,
            allow_http: false,
        }
    }
}

impl fmt::Debug for TransportOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_body_size", &self.max_body_size)
            .field(
                "root_certificates_pem_len",
                &self.root_certificates_pem.as_ref().map(Vec::len),
            )
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

impl TransportOptions {
    /// Sets [`connect_timeout`](Self::connect_timeout).
    pub fn connect_timeout(self, timeout: Option<Duration>) -> Self {
        Self {
            connect_timeout: timeout,
            ..self
        }
    }

    /// Sets [`timeout`](Self::timeout).
    pub fn timeout(self, timeout: Option<Duration>) -> Self {
        Self { timeout, ..self }
    }

    /// Sets [`max_body_size`](Self::max_body_size).
    pub fn max_body_size(self, bytes: u64) -> Self {
        Self {
            max_body_size: bytes,
            ..self
        }
    }

    /// Sets [`root_certificates_pem`](Self::root_certificates_pem).
    pub fn root_certificates_pem(self, pem: impl Into<Vec<u8>>) -> Self {
        let root_certificates_pem = Some(pem.into());
        Self {
            root_certificates_pem,
            ..self
        }
    }

    /// Sets [`allow_http`](Self::allow_http).
    pub fn allow_http(self, allow: bool) -> Self {
        Self {
            allow_http: allow,
            ..self
        }
    }
}

/// Whether an answer's `Content-Length` announces more than `limit` bytes, so that its body
/// can be refused without being read. A missing or unreadable length announces nothing (the
/// transport then caps what it reads).
pub fn announces_more_than(headers: &HeaderMap, limit: u64) -> bool {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > limit)
}

/// Writes the builder methods the workspace's transports share, in an `impl` block of a
/// builder that has the fields `options: TransportOptions` and `roots: Option<R>` (the roots
/// parsed from `options.root_certificates_pem`), implements `Default`, and has a function
/// `$parse(&[u8]) -> Result<R, $error>` reading PEM with its TLS stack.
///
/// The methods: `connect_timeout`, `timeout`, `max_body_size`, `allow_http` (setting the
/// options), `root_certificates_pem` (parsed at once: a bad PEM is an error there),
/// `from_options` and `options`. For transport crates; not a stable API.
#[doc(hidden)]
#[macro_export]
macro_rules! transport_builder_common {
    (error = $error:ty, parse = $parse:path) => {
        /// Time to open a connection (see the builder's defaults for what it covers).
        /// `None`: no limit.
        pub fn connect_timeout(self, timeout: Option<::std::time::Duration>) -> Self {
            let options = self.options.connect_timeout(timeout);
            Self { options, ..self }
        }

        /// Time for a whole exchange (connecting, TLS, sending, the answer and its body).
        /// `None`: no limit.
        pub fn timeout(self, timeout: Option<::std::time::Duration>) -> Self {
            let options = self.options.timeout(timeout);
            Self { options, ..self }
        }

        /// The largest answer body accepted, in bytes; a larger one fails with
        /// [`TransportErrorKind::BodyTooLarge`](sbg_tasks_proto::TransportErrorKind::BodyTooLarge)
        /// without being read whole.
        pub fn max_body_size(self, bytes: u64) -> Self {
            let options = self.options.max_body_size(bytes);
            Self { options, ..self }
        }

        /// Allows plain `http://` requests. Off by default: the token must not travel in clear
        /// text. ([`client`](crate::client) turns it on only for an http base URL, which
        /// [`BaseUrl`](sbg_tasks_proto::BaseUrl) accepts only when explicitly allowed.)
        pub fn allow_http(self, allow: bool) -> Self {
            let options = self.options.allow_http(allow);
            Self { options, ..self }
        }

        /// Trusts only the certificates in `pem` (instead of the web PKI roots), e.g. a test
        /// server's self-signed certificate. The PEM is read here: a bad one is an error now.
        pub fn root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, $error> {
            self.roots = Some($parse(pem)?);
            self.options.root_certificates_pem = Some(pem.to_vec());
            Ok(self)
        }

        /// A builder with `options` (the transport's own settings at their defaults). Fails
        /// only if the options' root certificate PEM cannot be read.
        pub fn from_options(options: $crate::transport::TransportOptions) -> Result<Self, $error> {
            let roots = match &options.root_certificates_pem {
                Some(pem) => Some($parse(pem)?),
                None => None,
            };
            Ok(Self {
                options,
                roots,
                ..Self::default()
            })
        }

        /// The settings every transport has, as set so far.
        pub fn options(&self) -> &$crate::transport::TransportOptions {
            &self.options
        }
    };
}

/// Declares the error type of one of the workspace's transports: a newtype over
/// [`TransportFailure`](crate::transport::TransportFailure) (kind, whether the request may
/// have been sent, message, source) that displays its message alone, with `From`,
/// `Display`, `Error` (its source is the failure's source) and
/// [`TransportError`](crate::transport::TransportError). For transport crates; not a stable
/// API.
#[doc(hidden)]
#[macro_export]
macro_rules! transport_error_type {
    ($(#[$attr:meta])* $vis:vis struct $name:ident;) => {
        $(#[$attr])*
        #[derive(Debug)]
        $vis struct $name($crate::transport::TransportFailure);

        impl ::std::convert::From<$crate::transport::TransportFailure> for $name {
            fn from(failure: $crate::transport::TransportFailure) -> Self {
                Self(failure)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.0.message())
            }
        }

        impl ::std::error::Error for $name {
            fn source(&self) -> Option<&(dyn ::std::error::Error + 'static)> {
                ::std::error::Error::source(&self.0)
            }
        }

        impl $crate::transport::TransportError for $name {
            fn kind(&self) -> $crate::transport::TransportErrorKind {
                $crate::transport::TransportError::kind(&self.0)
            }

            fn request_sent(&self) -> bool {
                $crate::transport::TransportError::request_sent(&self.0)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones_and_setters_set() {
        let d = TransportOptions::default();
        assert_eq!(d.connect_timeout, Some(Duration::from_secs(10)));
        assert_eq!(d.timeout, Some(Duration::from_secs(60)));
        assert_eq!(d.max_body_size, 16 * 1024 * 1024);
        assert_eq!(d.root_certificates_pem, None);
        assert!(!d.allow_http);
        let o = d
            .connect_timeout(None)
            .timeout(Some(Duration::from_millis(5)))
            .max_body_size(7)
            .root_certificates_pem(&b"-----BEGIN CERTIFICATE-----"[..])
            .allow_http(true);
        assert_eq!(
            (o.connect_timeout, o.timeout, o.max_body_size, o.allow_http),
            (None, Some(Duration::from_millis(5)), 7, true)
        );
        let debug = format!("{o:?}");
        assert!(
            debug.contains("root_certificates_pem_len: Some(27)"),
            "{debug}"
        );
    }

    #[test]
    fn only_a_readable_length_over_the_limit_is_refused_up_front() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_LENGTH, v.parse().unwrap());
            h
        };
        assert!(announces_more_than(&with("11"), 10));
        assert!(announces_more_than(&with(" 11 "), 10));
        assert!(!announces_more_than(&with("10"), 10));
        assert!(!announces_more_than(&with("lots"), 10));
        assert!(!announces_more_than(&HeaderMap::new(), 0));
    }
}
