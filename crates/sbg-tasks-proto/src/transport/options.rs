//! [`TransportOptions`]: the settings every transport has, as plain data, and
//! [`TransportBuildError`], why a transport could not be built from them.

use std::fmt;
use std::time::Duration;

use http::{header, HeaderMap};

/// The default cap on an answer's body: 16 MiB.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 16 * 1024 * 1024;

/// The settings every transport has: timeouts, the body cap, the roots to trust, whether plain
/// http is allowed, whether to ask for gzip. Plain data: nothing is parsed or checked here (the
/// PEM is kept as given and read by the transport's TLS stack when it is handed over).
///
/// The connection layer of the configuration; what a request says is in
/// [`Config`](crate::Config), how a client retries and waits in
/// [`Settings`](crate::Settings): see
/// [the crate docs](crate#configuration-config-settings-transportoptions).
///
/// Defaults: connect timeout 10 s, per-call timeout 60 s (the whole exchange, body included),
/// body cap [`DEFAULT_MAX_BODY_SIZE`], the web PKI roots (no PEM), https only, the proxy from
/// the environment, gzip asked for.
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
/// assert!(options.accept_gzip);
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
    /// The largest answer body accepted, in bytes: as received, and again once decoded (a
    /// small gzip body that inflates past it is refused).
    pub max_body_size: u64,
    /// PEM holding the only root certificates to trust (e.g. a test server's self-signed
    /// one) instead of the web PKI roots.
    pub root_certificates_pem: Option<Vec<u8>>,
    /// Whether plain `http://` requests may be sent.
    pub allow_http: bool,
    /// Which proxy to go through.
    pub proxy: Proxy,
    /// Whether to send `Accept-Encoding: gzip` (see [`ask_for_gzip`](super::ask_for_gzip)).
    /// A gzip answer is decoded either way ([`decode_body`](super::decode_body)).
    pub accept_gzip: bool,
}

/// Which proxy a transport goes through.
///
/// A proxy URL may hold a password: `Debug` never shows it, and neither does any error.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Proxy {
    /// The proxy the environment names (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
    /// `NO_PROXY`, upper or lower case), read when the transport is built. The default, as
    /// in curl.
    #[default]
    FromEnv,
    /// No proxy, whatever the environment says.
    Off,
    /// Every connection through this proxy (`http://[user:password@]host:port`).
    Url(String),
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Proxy::FromEnv => f.write_str("FromEnv"),
            Proxy::Off => f.write_str("Off"),
            Proxy::Url(_) => f.write_str("Url(<hidden>)"),
        }
    }
}

/// Why a transport could not be built from its [`TransportOptions`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportBuildError {
    /// The PEM given as root certificates could not be read.
    #[error("the root certificate PEM could not be read: {0}")]
    Pem(String),
    /// The PEM given as root certificates holds no usable certificate.
    #[error("the root certificate PEM holds no usable certificate")]
    NoCertificate,
    /// The TLS stack refused the configuration.
    #[error("the TLS configuration was refused: {0}")]
    Tls(String),
    /// The proxy given cannot be used (the URL itself is not repeated: it may hold a password).
    #[error("the proxy cannot be used: {reason}")]
    Proxy {
        /// What is wrong with it.
        reason: String,
    },
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Some(Duration::from_secs(10)),
            timeout: Some(Duration::from_secs(60)),
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            root_certificates_pem: None,
            allow_http: false,
            proxy: Proxy::FromEnv,
            accept_gzip: true,
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
            .field("proxy", &self.proxy)
            .field("accept_gzip", &self.accept_gzip)
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

    /// Sets [`proxy`](Self::proxy).
    pub fn proxy(self, proxy: Proxy) -> Self {
        Self { proxy, ..self }
    }

    /// Sets [`accept_gzip`](Self::accept_gzip).
    pub fn accept_gzip(self, yes: bool) -> Self {
        Self {
            accept_gzip: yes,
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
        assert!(d.accept_gzip);
        let o = d
            .connect_timeout(None)
            .timeout(Some(Duration::from_millis(5)))
            .max_body_size(7)
            .root_certificates_pem(&b"-----BEGIN CERTIFICATE-----"[..])
            .allow_http(true)
            .accept_gzip(false);
        assert_eq!(
            (o.connect_timeout, o.timeout, o.max_body_size, o.allow_http),
            (None, Some(Duration::from_millis(5)), 7, true)
        );
        assert!(!o.accept_gzip);
        let o = o.proxy(Proxy::Url("http://user:secret@127.0.0.1:3128".into()));
        let debug = format!("{o:?}");
        assert!(!debug.contains("secret"), "{debug}");
        assert!(
            debug.contains("root_certificates_pem_len: Some(27)"),
            "{debug}"
        );
        assert!(debug.contains("accept_gzip: false"), "{debug}");
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
