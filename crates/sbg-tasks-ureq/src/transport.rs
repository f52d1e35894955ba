//! [`UreqTransport`]: a blocking transport on a ureq 3 `Agent`.

use std::sync::Arc;
use std::time::Duration;

use sbg_tasks_proto::http::{header, Request, Response};
use sbg_tasks_proto::transport::HttpTransport;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};

use crate::error::{BuildError, UreqError};

/// The default cap on an answer's body: 16 MiB.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 16 * 1024 * 1024;

/// A blocking transport on a ureq `Agent`: keep-alive connection pool, rustls (ring), web PKI
/// roots (or the roots you give), timeouts, a body cap, no redirects, https only unless told.
///
/// Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
    max_body: u64,
}

impl std::fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UreqTransport")
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl UreqTransport {
    /// A transport with the defaults (see [`UreqTransportBuilder`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder with the defaults.
    pub fn builder() -> UreqTransportBuilder {
        UreqTransportBuilder::default()
    }

    /// The body cap in bytes.
    pub fn max_body_size(&self) -> u64 {
        self.max_body
    }
}

impl HttpTransport for UreqTransport {
    type Error = UreqError;

    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, UreqError> {
        let limit = self.max_body;
        let response = self
            .agent
            .run(request)
            .map_err(|e| UreqError::from_ureq(e, limit, false))?;
        let (parts, mut body) = response.into_parts();
        let announced = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if announced.is_some_and(|n| n > limit) {
            return Err(UreqError::body_too_large(limit));
        }
        let bytes = body
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| UreqError::from_ureq(e, limit, true))?;
        Ok(Response::from_parts(parts, bytes))
    }
}

/// Settings of a [`UreqTransport`].
///
/// Defaults: connect timeout 10 s, per-call timeout 60 s (the whole exchange, body included),
/// body cap [`DEFAULT_MAX_BODY_SIZE`], the web PKI roots, https only, the proxy from the
/// environment.
#[derive(Clone)]
pub struct UreqTransportBuilder {
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    max_body: u64,
    roots: Option<Arc<Vec<Certificate<'static>>>>,
    allow_http: bool,
    proxy_from_env: bool,
}

impl Default for UreqTransportBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: Some(Duration::from_secs(10)),
            timeout: Some(Duration::from_secs(60)),
            max_body: DEFAULT_MAX_BODY_SIZE,
            roots: None,
            allow_http: false,
            proxy_from_env: true,
        }
    }
}

impl std::fmt::Debug for UreqTransportBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UreqTransportBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_body", &self.max_body)
            .field("custom_roots", &self.roots.as_ref().map(|r| r.len()))
            .field("allow_http", &self.allow_http)
            .field("proxy_from_env", &self.proxy_from_env)
            .finish()
    }
}

impl UreqTransportBuilder {
    /// Time to connect (DNS, TCP, TLS). `None`: no limit.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time for a whole exchange, the answer's body included. `None`: no limit.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest answer body accepted, in bytes; a larger one fails with
    /// [`TransportErrorKind::BodyTooLarge`](sbg_tasks_proto::TransportErrorKind::BodyTooLarge)
    /// without being read whole.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }

    /// Trusts only the certificates in `pem` (instead of the web PKI roots), e.g. a test
    /// server's self-signed certificate.
    pub fn root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, BuildError> {
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(pem) {
            if let PemItem::Certificate(c) = item.map_err(|e| BuildError::Pem(e.to_string()))? {
                certs.push(c);
            }
        }
        if certs.is_empty() {
            return Err(BuildError::NoCertificate);
        }
        self.roots = Some(Arc::new(certs));
        Ok(self)
    }

    /// Allows plain `http://` requests. Off by default: the token must not travel in clear
    /// text. ([`client`](crate::client) turns it on only for an http base URL, which
    /// [`BaseUrl`](sbg_tasks_proto::BaseUrl) accepts only when explicitly allowed.)
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Whether to use the proxy named by the environment (`HTTPS_PROXY`, `ALL_PROXY`, ...,
    /// honouring `NO_PROXY`), as ureq reads it. On by default.
    pub fn proxy_from_env(mut self, yes: bool) -> Self {
        self.proxy_from_env = yes;
        self
    }

    /// Builds the transport.
    pub fn build(self) -> UreqTransport {
        let roots = match self.roots {
            Some(certs) => RootCerts::Specific(certs),
            None => RootCerts::WebPki,
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(roots)
            .build();
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .save_redirect_history(false)
            .https_only(!self.allow_http)
            .tls_config(tls)
            .timeout_connect(self.connect_timeout)
            .timeout_global(self.timeout);
        if !self.proxy_from_env {
            config = config.proxy(None);
        }
        UreqTransport {
            agent: config.build().new_agent(),
            max_body: self.max_body,
        }
    }
}
